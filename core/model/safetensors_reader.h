// safetensors_reader.h - validating parser for the safetensors format.
//
// Layout: u64 little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the
// raw little-endian row-major data; offsets are relative to the data section.
//
// Everything is checked before a view is handed out: header length within the file and below a
// sane bound, JSON well formed, known dtypes, non-negative shapes without overflow, offsets
// inside the data section, byte counts equal to shape x dtype, no two tensors overlapping.
// A violation throws CheckpointError naming the file, the tensor and the problem. Parsing never
// allocates more than the header's own size. Pure function of the bytes: thread-safe.
#pragma once

#include "tensor_view.h"

#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace imago::flava {

struct SafetensorsContents
{
    std::vector<TensorView> tensors;              // in file order of their data
    std::map<std::string, std::string> metadata; // "__metadata__" string entries
};

// `file` is used only to name the source in errors.
SafetensorsContents parseSafetensors(std::span<const std::uint8_t> bytes,
                                     const std::filesystem::path &file);

} // namespace imago::flava
