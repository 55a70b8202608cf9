// duplicate_finder.h - groups of photos that are the same picture.
//
//   exact: the same bytes (content hash) - a copy;
//   near:  the same picture resized, recompressed, re-saved, slightly cropped or edited.
//
// Never merely similar scenes: the image vectors only propose candidates (each photo's nearest
// neighbours above a cosine floor), and a perceptual hash of the pixels (perceptual_hash.h,
// computed from a small decode of each candidate) must confirm every pair. Confirmed pairs and
// same-bytes sets are joined into groups (union-find); a group is "exact" when all its photos
// share their bytes, else "near".
//
// Cost: the library's vectors searched against themselves, 256 queries per matrix product (k
// neighbours each), plus a small decode of each photo that is someone's candidate. Read-only:
// nothing in the library changes.
//
// Threading: runs on the calling thread; the library's search side is thread-safe, so this
// may run beside an indexer. Cancellable; `progress(done, total)` per photo examined.
#pragma once

#include <QString>
#include <QStringList>

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

namespace imago {

class Library;

struct DuplicateOptions
{
    float minCosine = 0.90f; // candidates: neighbours at least this similar
    int neighbours = 8;      // per photo
};

struct DuplicateGroup
{
    enum class Kind
    {
        Exact,
        Near
    } kind = Kind::Exact;
    std::vector<std::int64_t> ids;
    std::vector<QString> paths; // same order as ids: by path
};

struct DuplicateReport
{
    std::vector<DuplicateGroup> groups; // ordered by their first path
    int candidatePairs = 0;             // proposed by the vectors
    int confirmedPairs = 0;             // confirmed by the pixels
    QStringList unreadable;             // candidates that could not be decoded (skipped)
    bool cancelled = false;
};

DuplicateReport findDuplicates(const Library &library, const DuplicateOptions &options = {},
                               const std::function<void(int, int)> &progress = {},
                               const std::atomic<bool> *cancel = nullptr);

} // namespace imago
