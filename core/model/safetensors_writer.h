// safetensors_writer.h - write tensors as a safetensors file, and convert a torch.save
// checkpoint (pytorch_model.bin) into the memory-mappable model.safetensors the loader prefers.
//
// Layout written: u64 little-endian header length N (N a multiple of 8, the JSON padded with
// spaces), the JSON header {"__metadata__": {...}, "<name>": {"dtype", "shape",
// "data_offsets": [begin, end]}}, then each tensor's elements densely in row-major order, one
// after another without gaps. Views that share a storage in the source (tied weights) are
// written as separate copies: safetensors has no aliasing.
//
// Conversion is bit-exact: every tensor keeps its dtype, shape and element bytes; the result is
// reloaded with Checkpoint and compared byte for byte before it replaces anything.
// Plain functions of their inputs: thread-safe. Errors throw CheckpointError naming the file.
#pragma once

#include "tensor_view.h"

#include <filesystem>
#include <map>
#include <span>
#include <string>

namespace imago::flava {

class Checkpoint;

// Writes `tensors` to `file` (created or truncated) in the order given and fsyncs it.
void writeSafetensors(const std::filesystem::path &file, std::span<const TensorView> tensors,
                      const std::map<std::string, std::string> &metadata = {{"format", "pt"}});

// Empty when `a` and `b` hold the same tensor names, each with the same dtype, shape and
// row-major element bytes (layout in the file may differ); else the first difference in words.
std::string compareCheckpoints(const Checkpoint &a, const Checkpoint &b);

// Converts the checkpoint `source` (any format Checkpoint reads) into a safetensors file at
// `target`: written to `target` + ".part", verified against the source tensor by tensor, then
// renamed into place. Never leaves a partial `target`. Returns the number of tensors written.
std::size_t convertToSafetensors(const std::filesystem::path &source,
                                 const std::filesystem::path &target);

} // namespace imago::flava
