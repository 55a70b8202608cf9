#include "model_identity.h"
#include "mapped_file.h"

#include "checkpoint.h"
#include "checkpoint_error.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace imago::flava {

namespace {

// A fast 64-bit content hash (four independent multiply-rotate lanes): cryptographic strength
// is not needed to notice a different model, speed is (the weights are ~1.4 GB).
class ContentHash
{
public:
    void add(std::span<const std::uint8_t> bytes)
    {
        std::size_t i = 0;
        for (; i + 32 <= bytes.size(); i += 32)
            for (int lane = 0; lane < 4; ++lane) {
                std::uint64_t w;
                std::memcpy(&w, bytes.data() + i + 8 * lane, 8);
                m_lane[lane] = rotl(m_lane[lane] ^ (w * kP1), 31) * kP2;
            }
        for (; i < bytes.size(); ++i)
            m_lane[0] = rotl(m_lane[0] ^ (bytes[i] * kP1), 11) * kP2;
        m_length += bytes.size();
    }
    std::uint64_t digest() const
    {
        std::uint64_t h = m_length * kP1;
        for (auto l : m_lane)
            h = rotl(h ^ (l * kP2), 27) * kP1 + 0x9E3779B97F4A7C15ull;
        h ^= h >> 33;
        h *= kP2;
        h ^= h >> 29;
        return h;
    }

private:
    static constexpr std::uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full;
    static std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
    std::uint64_t m_lane[4] = {1, 2, 3, 4};
    std::uint64_t m_length = 0;
};

// What says a file is still the one hashed: where it lives, its size and both times.
std::optional<std::string> stampOf(const std::filesystem::path &file)
{
    struct stat st
    {
    };
    if (::stat(file.c_str(), &st) != 0)
        return std::nullopt;
    std::ostringstream s;
    s << st.st_dev << ' ' << st.st_ino << ' ' << st.st_size << ' ' << st.st_mtim.tv_sec << '.'
      << st.st_mtim.tv_nsec << ' ' << st.st_ctim.tv_sec << '.' << st.st_ctim.tv_nsec;
    return s.str();
}

constexpr char kCacheHeader[] = "imago-model-identity 1";

// One cache file per weights file (named by a hash of its absolute path).
std::filesystem::path cacheFileFor(const std::filesystem::path &cacheDir,
                                   const std::filesystem::path &weightsPath)
{
    std::error_code ec;
    const std::string key = std::filesystem::absolute(weightsPath, ec).lexically_normal().string();
    std::uint64_t h = 0xcbf29ce484222325ull; // FNV-1a
    for (unsigned char c : key)
        h = (h ^ c) * 0x100000001b3ull;
    char name[40];
    std::snprintf(name, sizeof name, "%016llx.txt", static_cast<unsigned long long>(h));
    return cacheDir / name;
}

std::string cacheRecord(const std::string &configStamp, const std::string &weightsStamp,
                        const std::filesystem::path &weightsPath)
{
    std::error_code ec;
    return std::string(kCacheHeader) + '\n' +
           std::filesystem::absolute(weightsPath, ec).lexically_normal().string() + '\n' +
           configStamp + '\n' + weightsStamp + '\n';
}

// The cached identity of the two files, if a record for exactly these stamps is there.
// `record` receives the record a new identity would be stored under (empty: not cacheable).
std::optional<std::string> lookUp(const std::filesystem::path &configPath,
                                  const std::filesystem::path &weightsPath,
                                  const std::filesystem::path &cacheDir, std::string *record)
{
    if (cacheDir.empty())
        return std::nullopt;
    const auto configStamp = stampOf(configPath), weightsStamp = stampOf(weightsPath);
    if (!configStamp || !weightsStamp)
        return std::nullopt;
    const std::string want = cacheRecord(*configStamp, *weightsStamp, weightsPath);
    if (record)
        *record = want;
    const std::string cached =
        readWholeFile(cacheFileFor(cacheDir, weightsPath)).value_or(std::string());
    if (cached.size() <= want.size() || cached.compare(0, want.size(), want) != 0)
        return std::nullopt;
    std::string identity = cached.substr(want.size());
    while (!identity.empty() && identity.back() == '\n')
        identity.pop_back();
    if (identity.size() != 22 || identity.rfind("flava-", 0) != 0)
        return std::nullopt;
    return identity;
}

} // namespace

std::string modelIdentity(std::string_view configText, const std::filesystem::path &configPath,
                          const Checkpoint &weights, const std::filesystem::path &cacheDir)
{
    std::string record;
    if (auto cached = lookUp(configPath, weights.file(), cacheDir, &record))
        return *cached;

    ContentHash hash;
    hash.add({reinterpret_cast<const std::uint8_t *>(configText.data()), configText.size()});
    // In 64 MiB pieces (a multiple of the hash's 32-byte block: the same digest as one call),
    // each dropped from the resident set once read, so hashing 1.4 GB never holds it all.
    const auto bytes = weights.bytes();
    constexpr std::size_t kPiece = std::size_t(64) << 20;
    for (std::size_t at = 0; at < bytes.size(); at += kPiece) {
        hash.add(bytes.subspan(at, std::min(kPiece, bytes.size() - at)));
        weights.dropResident(at, kPiece);
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash.digest()));
    const std::string identity = std::string("flava-") + hex;

    // Remembered only if neither file changed while it was hashed; written to a temporary
    // file and renamed, so a reader never sees half a record.
    std::string after;
    lookUp(configPath, weights.file(), cacheDir, &after);
    if (!record.empty() && after == record) {
        std::error_code ec;
        std::filesystem::create_directories(cacheDir, ec);
        const std::filesystem::path cacheFile = cacheFileFor(cacheDir, weights.file());
        const std::filesystem::path temp =
            cacheFile.string() + ".tmp." + std::to_string(::getpid());
        {
            std::ofstream out(temp, std::ios::binary | std::ios::trunc);
            out << record << identity << '\n';
        }
        std::filesystem::rename(temp, cacheFile, ec);
        if (ec)
            std::filesystem::remove(temp, ec);
    }
    return identity;
}

std::string modelIdentity(const std::filesystem::path &modelDir,
                          const std::filesystem::path &cacheDir)
{
    const auto configPath = modelDir / "config.json";
    const auto configText = readWholeFile(configPath);
    if (!configText)
        throw CheckpointError(configPath, "missing: a model folder needs config.json");
    const Checkpoint weights(Checkpoint::weightsFile(modelDir));
    return modelIdentity(*configText, configPath, weights, cacheDir);
}

std::optional<std::string> cachedModelIdentity(const std::filesystem::path &modelDir,
                                               const std::filesystem::path &cacheDir)
{
    try {
        return lookUp(modelDir / "config.json", Checkpoint::weightsFile(modelDir), cacheDir,
                      nullptr);
    } catch (const CheckpointError &) { // no weights file
        return std::nullopt;
    }
}

} // namespace imago::flava
