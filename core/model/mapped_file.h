// mapped_file.h - a read-only memory map of a whole file.
//
// Owns the mapping; the bytes stay valid until the object is destroyed. Safe to read from any
// thread. Opening fails with CheckpointError naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace imago::flava {

// The whole of a (small) file, or nullopt when it cannot be opened.
std::optional<std::string> readWholeFile(const std::filesystem::path &path);

class MappedFile
{
public:
    explicit MappedFile(const std::filesystem::path &path);
    ~MappedFile();
    MappedFile(const MappedFile &) = delete;
    MappedFile &operator=(const MappedFile &) = delete;

    std::span<const std::uint8_t> bytes() const { return {m_data, m_size}; }
    const std::filesystem::path &path() const { return m_path; }
    // Lets the kernel drop the pages read so far from this process (they stay in the page
    // cache): after copying or hashing, the mapping no longer counts in the resident set.
    void dropResident() const;
    // The same for [offset, offset + length) (offset a multiple of the page size).
    void dropResident(std::size_t offset, std::size_t length) const;

private:
    std::filesystem::path m_path;
    const std::uint8_t *m_data = nullptr;
    std::size_t m_size = 0;
};

} // namespace imago::flava
