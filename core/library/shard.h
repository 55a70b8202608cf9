// shard.h - which photos a shard of a sharded indexing run takes.
//
// `imago-cli index --shard K/N` indexes only the photos of shard K (0-based) of N. The split is
// a stable partition by a 64-bit FNV-1a hash of the photo's path relative to its library folder
// (its root), in UTF-8: a cluster mounts the archive at another path than the desktop that will
// open the merged library, and every shard, on every machine and CPU, must see the same split.
// `auto/N` takes K from the scheduler's environment: SLURM_ARRAY_TASK_ID (Slurm job arrays),
// else JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs), else IMAGO_SHARD_INDEX. N is always
// explicit: a re-submitted subset of a Slurm array changes SLURM_ARRAY_TASK_COUNT.
//
// A library made by a shard records it (Library::shard()), so a re-run resumes the same shard
// and `merge` can refuse shards that overlap.
#pragma once

#include <QString>

#include <cstdint>
#include <functional>
#include <optional>

namespace imago {

struct ShardSpec
{
    int index = 0;            // K, 0 <= K < N
    int count = 1;            // N >= 1
    QString toString() const; // "K/N"
    friend bool operator==(const ShardSpec &, const ShardSpec &) = default;
};

// Parses "K/N" or "auto/N". `env` reads an environment variable (default: the process's).
// Throws std::invalid_argument with a sentence a user can act on.
ShardSpec parseShardSpec(const QString &text, const std::function<QString(const char *)> &env = {});
// "K/N" as stored in a library; nullopt for anything else.
std::optional<ShardSpec> shardFromText(const QString &text);

// Which shard of `count` takes the photo at `relativePath` (relative to its root, '/'-separated).
int shardOfPath(const QString &relativePath, int count);
std::uint64_t stablePathHash(const QString &relativePath); // FNV-1a 64 over the UTF-8 bytes

} // namespace imago
