#include "tensor_view.h"

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

} // namespace imago::flava
