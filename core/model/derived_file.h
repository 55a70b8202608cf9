// derived_file.h - weights derived once from a model's (quantized or converted), kept in the
// model cache and mapped in place by later starts.
//
// Layout: a 4096-byte header (magic, format, a format-specific tag, the model identity the
// file was made from, the whole file's size, each blob's offset and size), then each blob at a
// multiple of 4096 (so each may be used where it lies: Int8Rows::fromSerialized, bf16 tensors
// over the mapping). A file that is not exactly what the reader expects (another magic, format,
// tag, identity or blob count, or cut short anywhere) is refused, and the caller derives the
// weights again and writes a new file.
//
// Files are written to a temporary name and renamed into place, so a reader never sees half a
// file; writing keeps only the newest few files of the same kind in the folder.
// LibTorch-free; thread-safe (no shared state).
#pragma once

#include "mapped_file.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace imago::flava {

struct DerivedKind
{
    const char *magic;    // up to 15 characters
    std::uint32_t format; // bumped when the blobs' meaning changes
    std::uint64_t tag;    // anything else the blobs depend on (a kernel's block size)
};

class DerivedFile
{
public:
    // `file` when it holds exactly `blobs` blobs of `kind` made from `identity`, else nullopt.
    static std::optional<DerivedFile> open(const std::filesystem::path &file,
                                           const DerivedKind &kind, const std::string &identity,
                                           std::size_t blobs);

    std::span<const std::uint8_t> blob(std::size_t i) const { return m_blobs[i]; }
    // The mapping the blobs lie in: whoever uses them in place holds it.
    const std::shared_ptr<const MappedFile> &mapping() const { return m_map; }

private:
    std::shared_ptr<const MappedFile> m_map;
    std::vector<std::span<const std::uint8_t>> m_blobs;
};

// One blob to write: its size, and how to fill that many (zeroed) bytes.
struct DerivedBlob
{
    std::size_t size = 0;
    std::function<void(std::uint8_t *)> fill;
};

// Writes `blobs` to `file`; false when it cannot (the caller goes on without the file). Then
// removes all but the newest `kept` files in the folder whose names end as `file`'s does after
// the identity (e.g. "-text-int8.bin").
bool writeDerivedFile(const std::filesystem::path &file, const DerivedKind &kind,
                      const std::string &identity, const std::vector<DerivedBlob> &blobs,
                      std::size_t kept = 3);

} // namespace imago::flava
