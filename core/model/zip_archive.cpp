#include "zip_archive.h"

#include "checkpoint_error.h"

#include <algorithm>

namespace imago::flava {

namespace {

constexpr std::uint32_t kEndOfCentralDir = 0x06054b50;
constexpr std::uint32_t kZip64EndLocator = 0x07064b50;
constexpr std::uint32_t kZip64End = 0x06064b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kLocalHeader = 0x04034b50;

// Little-endian reads with the bounds check folded in.
class Reader
{
public:
    Reader(std::span<const std::uint8_t> bytes, const std::filesystem::path &file)
        : m_bytes(bytes), m_file(file)
    {
    }
    void need(std::uint64_t offset, std::uint64_t length, const char *what) const
    {
        if (offset > m_bytes.size() || length > m_bytes.size() - offset)
            throw CheckpointError(m_file, std::string("zip archive truncated or corrupt: ") +
                                              what + " lies past the end of the file");
    }
    std::uint64_t le(std::uint64_t offset, int width, const char *what) const
    {
        need(offset, width, what);
        std::uint64_t v = 0;
        for (int i = width - 1; i >= 0; --i)
            v = (v << 8) | m_bytes[offset + i];
        return v;
    }

private:
    std::span<const std::uint8_t> m_bytes;
    const std::filesystem::path &m_file;
};

} // namespace

ZipArchive::ZipArchive(std::span<const std::uint8_t> bytes, std::filesystem::path file)
    : m_bytes(bytes), m_file(std::move(file))
{
    const Reader r(m_bytes, m_file);
    if (m_bytes.size() < 22)
        throw CheckpointError(m_file, "not a zip archive (too short)");
    // The end record sits in the last 22 + 65535 (comment) bytes; scan backwards for it.
    const std::uint64_t lowest = m_bytes.size() >= 22 + 65535 ? m_bytes.size() - 22 - 65535 : 0;
    std::uint64_t eocd = UINT64_MAX;
    for (std::uint64_t p = m_bytes.size() - 22 + 1; p-- > lowest;) {
        if (r.le(p, 4, "end record") == kEndOfCentralDir) {
            eocd = p;
            break;
        }
    }
    if (eocd == UINT64_MAX)
        throw CheckpointError(m_file, "not a zip archive (no end-of-central-directory record)");

    std::uint64_t count = r.le(eocd + 10, 2, "end record");
    std::uint64_t dirSize = r.le(eocd + 12, 4, "end record");
    std::uint64_t dirOffset = r.le(eocd + 16, 4, "end record");
    if ((count == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF) && eocd >= 20 &&
        r.le(eocd - 20, 4, "zip64 locator") == kZip64EndLocator) {
        const std::uint64_t z64 = r.le(eocd - 20 + 8, 8, "zip64 locator");
        if (r.le(z64, 4, "zip64 end record") != kZip64End)
            throw CheckpointError(m_file, "zip64 end record is corrupt");
        count = r.le(z64 + 32, 8, "zip64 end record");
        dirSize = r.le(z64 + 40, 8, "zip64 end record");
        dirOffset = r.le(z64 + 48, 8, "zip64 end record");
    }
    r.need(dirOffset, dirSize, "central directory");
    // Each central header takes at least 46 bytes: the count cannot exceed what fits.
    if (count > dirSize / 46)
        throw CheckpointError(m_file, "zip central directory claims " + std::to_string(count) +
                                          " entries, more than fit in it");

    std::uint64_t p = dirOffset;
    for (std::uint64_t i = 0; i < count; ++i) {
        if (r.le(p, 4, "central header") != kCentralHeader)
            throw CheckpointError(m_file, "zip central directory entry " + std::to_string(i) +
                                              " is corrupt");
        Entry e;
        e.method = static_cast<std::uint16_t>(r.le(p + 10, 2, "central header"));
        e.compressedSize = r.le(p + 20, 4, "central header");
        e.size = r.le(p + 24, 4, "central header");
        const std::uint64_t nameLen = r.le(p + 28, 2, "central header");
        const std::uint64_t extraLen = r.le(p + 30, 2, "central header");
        const std::uint64_t commentLen = r.le(p + 32, 2, "central header");
        e.localHeaderOffset = r.le(p + 42, 4, "central header");
        r.need(p + 46, nameLen + extraLen + commentLen, "central header name");
        std::string name(reinterpret_cast<const char *>(m_bytes.data() + p + 46), nameLen);
        // zip64 extra field: the 64-bit values appear in order, only for fields set to ~0.
        std::uint64_t x = p + 46 + nameLen;
        const std::uint64_t xEnd = x + extraLen;
        while (x + 4 <= xEnd) {
            const std::uint64_t id = r.le(x, 2, "extra field");
            const std::uint64_t len = r.le(x + 2, 2, "extra field");
            if (x + 4 + len > xEnd)
                break;
            if (id == 0x0001) {
                std::uint64_t q = x + 4;
                auto take = [&](std::uint64_t &field) {
                    if (q + 8 <= x + 4 + len) {
                        field = r.le(q, 8, "zip64 extra");
                        q += 8;
                    }
                };
                if (e.size == 0xFFFFFFFF)
                    take(e.size);
                if (e.compressedSize == 0xFFFFFFFF)
                    take(e.compressedSize);
                if (e.localHeaderOffset == 0xFFFFFFFF)
                    take(e.localHeaderOffset);
            }
            x += 4 + len;
        }
        m_entries[std::move(name)] = e;
        p += 46 + nameLen + extraLen + commentLen;
    }
}

std::span<const std::uint8_t> ZipArchive::entry(const std::string &name) const
{
    const auto it = m_entries.find(name);
    if (it == m_entries.end())
        throw CheckpointError(m_file, "zip archive has no entry '" + name + "'");
    const Entry &e = it->second;
    if (e.method != 0)
        throw CheckpointError(m_file, "zip entry '" + name + "' is compressed (method " +
                                          std::to_string(e.method) +
                                          "); torch.save writes stored entries only");
    if (e.size != e.compressedSize)
        throw CheckpointError(m_file, "zip entry '" + name + "' has inconsistent sizes");
    const Reader r(m_bytes, m_file);
    if (r.le(e.localHeaderOffset, 4, "local header") != kLocalHeader)
        throw CheckpointError(m_file, "zip local header of '" + name + "' is corrupt");
    const std::uint64_t nameLen = r.le(e.localHeaderOffset + 26, 2, "local header");
    const std::uint64_t extraLen = r.le(e.localHeaderOffset + 28, 2, "local header");
    const std::uint64_t start = e.localHeaderOffset + 30 + nameLen + extraLen;
    r.need(start, e.size, ("data of '" + name + "'").c_str());
    return m_bytes.subspan(start, e.size);
}

std::vector<std::string> ZipArchive::names() const
{
    std::vector<std::string> out;
    out.reserve(m_entries.size());
    for (const auto &[name, e] : m_entries)
        out.push_back(name);
    return out;
}

} // namespace imago::flava
