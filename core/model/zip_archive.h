// zip_archive.h - index of the stored (uncompressed) entries of a zip archive in memory.
//
// Enough of the zip format for `torch.save` archives (what pytorch_model.bin is): the central
// directory (with zip64 extensions), local headers, stored entries. Compressed entries are
// listed but refused when read. Every offset and size is bounds-checked against the buffer;
// a malformed archive throws CheckpointError naming the file and the problem.
// The archive does not own the bytes; they must outlive it. Read-only: thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace imago::flava {

class ZipArchive
{
public:
    ZipArchive(std::span<const std::uint8_t> bytes, std::filesystem::path file);

    bool contains(const std::string &name) const { return m_entries.count(name) != 0; }
    // The entry's bytes; throws CheckpointError if missing or compressed.
    std::span<const std::uint8_t> entry(const std::string &name) const;
    // All entry names, sorted.
    std::vector<std::string> names() const;

private:
    struct Entry
    {
        std::uint64_t localHeaderOffset = 0;
        std::uint64_t compressedSize = 0;
        std::uint64_t size = 0;
        std::uint16_t method = 0;
    };
    std::span<const std::uint8_t> m_bytes;
    std::filesystem::path m_file;
    std::map<std::string, Entry> m_entries;
};

} // namespace imago::flava
