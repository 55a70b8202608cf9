// torch_pickle.h - a restricted unpickler for PyTorch state dicts (the data.pkl of torch.save).
//
// It understands only what a state dict needs: the opcodes of pickle protocol 2 that torch.save
// emits (plus a few harmless ones of later protocols) and the globals collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 / _rebuild_parameter and torch.<Type>Storage. Anything else -
// another global (os.system, builtins.eval, ...), an unknown opcode, malformed data - is refused
// with a CheckpointError naming the file, the byte offset and the reason. Nothing is ever
// executed or imported: globals are matched by name against the allow-list and turned into
// plain records. Memory is bounded by the input size; nesting depth is capped.
// Pure function of the bytes: thread-safe.
#pragma once

#include "tensor_view.h"

#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace imago::flava {

// One tensor of the state dict, before its storage bytes are attached.
struct PickledTensor
{
    std::string name;
    DType dtype = DType::F32;
    std::string storageKey; // the persistent id: file data/<key> in the archive
    std::int64_t storageNumel = 0;
    std::int64_t storageOffset = 0;
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> strides;
};

std::vector<PickledTensor> parseTorchStateDict(std::span<const std::uint8_t> pickle,
                                               const std::filesystem::path &file);

} // namespace imago::flava
