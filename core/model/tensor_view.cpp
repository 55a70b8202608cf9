#include "tensor_view.h"

#include <cstring>
#include <stdexcept>

namespace imago::flava {

std::size_t dtypeSize(DType t)
{
    switch (t) {
    case DType::F64:
    case DType::I64:
        return 8;
    case DType::F32:
    case DType::I32:
        return 4;
    case DType::F16:
    case DType::BF16:
    case DType::I16:
        return 2;
    case DType::I8:
    case DType::U8:
    case DType::Bool:
        return 1;
    }
    return 1;
}

std::string_view dtypeName(DType t)
{
    switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::F64: return "F64";
    case DType::I64: return "I64";
    case DType::I32: return "I32";
    case DType::I16: return "I16";
    case DType::I8: return "I8";
    case DType::U8: return "U8";
    case DType::Bool: return "BOOL";
    }
    return "?";
}

std::optional<DType> dtypeFromSafetensors(std::string_view s)
{
    static constexpr DType all[] = {DType::F32, DType::F16, DType::BF16, DType::F64, DType::I64,
                                    DType::I32, DType::I16, DType::I8,   DType::U8,  DType::Bool};
    for (DType t : all)
        if (dtypeName(t) == s)
            return t;
    return std::nullopt;
}

std::int64_t TensorView::numel() const
{
    std::int64_t n = 1;
    for (auto d : shape)
        n *= d;
    return n;
}

namespace {

float halfToFloat(std::uint16_t h)
{
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
    std::uint32_t bits;
    if (exponent == 0x1f) { // inf / NaN
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else { // subnormal half: normalise
        exponent = 113;
        while (!(mantissa & 0x400u)) {
            mantissa <<= 1;
            --exponent;
        }
        bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// The element `offset` elements past the view's storage start, as a float.
float elementAt(const TensorView &v, std::int64_t offset)
{
    const std::uint8_t *p = v.data + offset * std::int64_t(dtypeSize(v.dtype));
    switch (v.dtype) {
    case DType::F32: {
        float f;
        std::memcpy(&f, p, 4);
        return f;
    }
    case DType::F64: {
        double d;
        std::memcpy(&d, p, 8);
        return float(d);
    }
    case DType::F16: {
        std::uint16_t h;
        std::memcpy(&h, p, 2);
        return halfToFloat(h);
    }
    case DType::BF16: {
        std::uint16_t h;
        std::memcpy(&h, p, 2);
        const std::uint32_t bits = std::uint32_t(h) << 16;
        float f;
        std::memcpy(&f, &bits, 4);
        return f;
    }
    default:
        return 0.0f; // not a floating-point view
    }
}

} // namespace

void readRow(const TensorView &v, std::int64_t row, float *out)
{
    const std::int64_t cols = v.shape.empty() ? 1 : v.shape.back();
    const std::int64_t colStride = v.strides.empty() ? 1 : v.strides.back();
    const std::int64_t base = v.storageOffset + (v.shape.size() == 2 ? row * v.strides[0] : 0);
    if (v.dtype == DType::F32 && colStride == 1) {
        std::memcpy(out, v.data + base * 4, std::size_t(cols) * 4);
        return;
    }
    for (std::int64_t c = 0; c < cols; ++c)
        out[c] = elementAt(v, base + c * colStride);
}

const float *rowPointer(const TensorView &v, std::int64_t row, float *scratch)
{
    const std::int64_t colStride = v.strides.empty() ? 1 : v.strides.back();
    const std::int64_t base = v.storageOffset + (v.shape.size() == 2 ? row * v.strides[0] : 0);
    const std::uint8_t *p = v.data + base * 4;
    if (v.dtype == DType::F32 && colStride == 1 &&
        reinterpret_cast<std::uintptr_t>(p) % alignof(float) == 0)
        return reinterpret_cast<const float *>(p);
    readRow(v, row, scratch);
    return scratch;
}

std::vector<float> readAll(const TensorView &v)
{
    if (v.shape.size() > 2)
        throw std::invalid_argument("readAll: " + v.name + " has more than two dimensions");
    const std::int64_t rows = v.shape.size() == 2 ? v.shape[0] : 1;
    const std::int64_t cols = v.shape.empty() ? 1 : v.shape.back();
    std::vector<float> out(std::size_t(v.numel()));
    for (std::int64_t r = 0; r < rows; ++r)
        readRow(v, r, out.data() + r * cols);
    return out;
}

} // namespace imago::flava
