// model_identity.h - the identity of a model's files: "flava-<16 hex>", a hash of config.json's
// text and every byte of the weights file. Libraries store it with each vector: another
// identity means the vectors are stale.
//
// Hashing flava-full's 1.4 GB takes ~0.4 s with the file in the page cache and seconds without,
// on every start. With a cache folder, the identity is remembered beside the two files' stamps
// (device, inode, size, modification and change times, to the nanosecond) and read back while
// both stamps still match: a file rewritten, replaced, touched or renamed over is hashed again.
// A cache that cannot be read or written is ignored (the identity is then computed).
// Plain C++ (no Qt, no LibTorch).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace imago::flava {

class Checkpoint;

// The identity cache's folder inside a model cache (ModelOptions::cacheDir); empty for none.
inline std::filesystem::path identityCacheDir(const std::filesystem::path &modelCache)
{
    return modelCache.empty() ? std::filesystem::path() : modelCache / "model-identity";
}

// The identity of `configText` (the contents of `configPath`) and `weights`' file. With a
// non-empty `cacheDir`, looked up first and stored after. Hashing drops the weights' pages
// from the resident set as it goes (they stay in the page cache).
std::string modelIdentity(std::string_view configText, const std::filesystem::path &configPath,
                          const Checkpoint &weights, const std::filesystem::path &cacheDir = {});

// The same for a model folder (config.json and its weights file). Throws CheckpointError
// naming the file that is missing or cannot be read.
std::string modelIdentity(const std::filesystem::path &modelDir,
                          const std::filesystem::path &cacheDir = {});

// The identity `cacheDir` remembers for the folder's files as they are now, without hashing;
// nullopt when there is none (or no weights file).
std::optional<std::string> cachedModelIdentity(const std::filesystem::path &modelDir,
                                               const std::filesystem::path &cacheDir);

} // namespace imago::flava
