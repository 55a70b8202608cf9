#include "derived_file.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace imago::flava {

namespace {

constexpr std::size_t kPage = 4096;
struct Header
{
    char magic[16];
    char identity[64];
    std::uint32_t format, blobs;
    std::uint64_t tag;
    std::uint64_t fileSize; // a file cut short anywhere is refused
};
// Then, for each blob, its offset and size (two uint64).
constexpr std::size_t kMaxBlobs = (kPage - sizeof(Header)) / 16;

std::size_t pageRound(std::size_t n)
{
    return (n + kPage - 1) / kPage * kPage;
}

} // namespace

std::optional<DerivedFile> DerivedFile::open(const std::filesystem::path &file,
                                             const DerivedKind &kind, const std::string &identity,
                                             std::size_t blobs)
{
    DerivedFile f;
    try {
        f.m_map = std::make_shared<const MappedFile>(file);
    } catch (const std::exception &) {
        return std::nullopt;
    }
    const auto bytes = f.m_map->bytes();
    Header h{};
    if (bytes.size() < kPage)
        return std::nullopt;
    std::memcpy(&h, bytes.data(), sizeof h);
    if (std::strncmp(h.magic, kind.magic, sizeof h.magic) != 0 || h.format != kind.format ||
        h.tag != kind.tag || h.blobs != blobs || h.fileSize != bytes.size() ||
        identity.size() >= sizeof h.identity ||
        std::string(h.identity, strnlen(h.identity, sizeof h.identity)) != identity)
        return std::nullopt;
    for (std::size_t b = 0; b < blobs; ++b) {
        std::uint64_t place[2];
        std::memcpy(place, bytes.data() + sizeof h + b * 16, 16);
        if (place[0] % kPage != 0 || place[0] > bytes.size() || place[1] > bytes.size() - place[0])
            return std::nullopt;
        f.m_blobs.push_back(bytes.subspan(place[0], place[1]));
    }
    return f;
}

bool writeDerivedFile(const std::filesystem::path &file, const DerivedKind &kind,
                      const std::string &identity, const std::vector<DerivedBlob> &blobs,
                      std::size_t kept)
{
    if (blobs.size() > kMaxBlobs || identity.size() >= sizeof(Header::identity) ||
        std::strlen(kind.magic) >= sizeof(Header::magic))
        return false;
    std::vector<std::uint8_t> header(kPage, 0);
    Header h{};
    std::strncpy(h.magic, kind.magic, sizeof h.magic - 1);
    std::memcpy(h.identity, identity.data(), identity.size());
    h.format = kind.format;
    h.blobs = std::uint32_t(blobs.size());
    h.tag = kind.tag;
    std::size_t at = kPage;
    for (std::size_t b = 0; b < blobs.size(); ++b) {
        const std::uint64_t place[2] = {at, blobs[b].size};
        std::memcpy(header.data() + sizeof h + b * 16, place, 16);
        at += pageRound(blobs[b].size);
    }
    h.fileSize = at;
    std::memcpy(header.data(), &h, sizeof h);
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    const std::filesystem::path temp = file.string() + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(header.data()), std::streamsize(header.size()));
        std::vector<std::uint8_t> bytes;
        for (const DerivedBlob &blob : blobs) {
            bytes.assign(pageRound(blob.size), 0);
            if (blob.size > 0)
                blob.fill(bytes.data());
            out.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
        }
        if (!out.flush()) {
            out.close();
            std::filesystem::remove(temp, ec);
            return false;
        }
    }
    std::filesystem::rename(temp, file, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        return false;
    }
    // Files made from earlier models take tens to hundreds of MB: keep the newest few.
    const std::string name = file.filename().string();
    const std::string suffix = name.size() > identity.size() && name.starts_with(identity)
                                   ? name.substr(identity.size())
                                   : name;
    std::vector<std::pair<std::filesystem::file_time_type, std::filesystem::path>> others;
    for (const auto &e : std::filesystem::directory_iterator(file.parent_path(), ec)) {
        const std::string other = e.path().filename().string();
        if (e.path() != file && other.size() > suffix.size() && other.ends_with(suffix))
            others.emplace_back(e.last_write_time(ec), e.path());
    }
    std::sort(others.rbegin(), others.rend());
    for (std::size_t i = kept > 0 ? kept - 1 : 0; i < others.size(); ++i)
        std::filesystem::remove(others[i].second, ec);
    return true;
}

} // namespace imago::flava
