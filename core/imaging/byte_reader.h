// byte_reader.h - bounds-checked reads of little/big-endian integers from untrusted bytes.
// Internal to imago_imaging. Every read takes the offset and fails (nullopt) instead of
// reading past the end, so header parsers stay short and safe on truncated or hostile files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace imago::detail {

using Bytes = std::span<const std::uint8_t>;

inline bool hasBytes(Bytes b, std::size_t offset, std::size_t count)
{
    return offset <= b.size() && count <= b.size() - offset;
}

inline bool startsWith(Bytes b, std::size_t offset, std::string_view magic)
{
    return hasBytes(b, offset, magic.size()) &&
           std::memcmp(b.data() + offset, magic.data(), magic.size()) == 0;
}

inline std::optional<std::uint32_t> readU16(Bytes b, std::size_t offset, bool bigEndian)
{
    if (!hasBytes(b, offset, 2))
        return std::nullopt;
    const std::uint32_t b0 = b[offset], b1 = b[offset + 1];
    return bigEndian ? (b0 << 8 | b1) : (b1 << 8 | b0);
}

inline std::optional<std::uint32_t> readU24(Bytes b, std::size_t offset, bool bigEndian)
{
    if (!hasBytes(b, offset, 3))
        return std::nullopt;
    const std::uint32_t b0 = b[offset], b1 = b[offset + 1], b2 = b[offset + 2];
    return bigEndian ? (b0 << 16 | b1 << 8 | b2) : (b2 << 16 | b1 << 8 | b0);
}

inline std::optional<std::uint32_t> readU32(Bytes b, std::size_t offset, bool bigEndian)
{
    if (!hasBytes(b, offset, 4))
        return std::nullopt;
    const std::uint32_t b0 = b[offset], b1 = b[offset + 1], b2 = b[offset + 2], b3 = b[offset + 3];
    return bigEndian ? (b0 << 24 | b1 << 16 | b2 << 8 | b3) : (b3 << 24 | b2 << 16 | b1 << 8 | b0);
}

} // namespace imago::detail
