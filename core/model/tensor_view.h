// tensor_view.h - a typed, non-owning view of one tensor inside a checkpoint file.
//
// The bytes belong to the Checkpoint (a memory map) that produced the view; a view must not
// outlive it. Plain C++: no LibTorch types, so readers can be fuzzed and tested on their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace imago::flava {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, Bool };

std::size_t dtypeSize(DType t);
std::string_view dtypeName(DType t);
// Parses a safetensors dtype string ("F32", "BF16", ...).
std::optional<DType> dtypeFromSafetensors(std::string_view s);

struct TensorView
{
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::vector<std::int64_t> strides; // in elements, row-major for safetensors
    std::int64_t storageOffset = 0;    // in elements, from data
    const std::uint8_t *data = nullptr; // start of the storage
    std::size_t storageBytes = 0;       // bytes readable from data

    std::int64_t numel() const;
};

// Floating-point views (F32, F16, BF16, F64) read as fp32, in the view's logical row-major
// order; other dtypes read as 0 (check the dtype first, e.g. with checkedTensor()).
// One row of a 2-D view (or the whole of a 1-D or 0-D one) into `out`.
void readRow(const TensorView &view, std::int64_t row, float *out);
// Row `row` of a 2-D view as fp32: a pointer into the view's own bytes where they are aligned,
// contiguous fp32, else `scratch` (room for a row) filled with the converted values.
const float *rowPointer(const TensorView &view, std::int64_t row, float *scratch);
// Every element of a view of at most two dimensions.
std::vector<float> readAll(const TensorView &view);

} // namespace imago::flava
