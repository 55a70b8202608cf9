// vector_index_impl.h - PRIVATE to core/library: what a VectorIndex holds, shared by the files
// that implement it: vector_index.cpp (the FAISS wrapper: create, add, remove, search),
// vector_index_build.cpp (build: IVF training and nprobe tuning) and vector_index_file.cpp
// (the file format: save, and a reader per format version for load).
#pragma once

#include "fair_shared_mutex.h"
#include "vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>

#include <memory>
#include <vector>

namespace imago {

using idx_t = faiss::Index::idx_t;

struct VectorIndex::Impl
{
    int dim = 0;
    IndexKind kind = IndexKind::Flat;
    // Flat: IndexIDMap2 owning an IndexFlatIP. IVF: IndexIVFFlat owning its quantizer, with a
    // hashtable direct map (ids -> list entries) for remove, contains and reconstruct.
    std::unique_ptr<faiss::Index> index;
    double recall = -1;
    mutable FairSharedMutex mutex;

    faiss::IndexIDMap2 *idMap() const { return static_cast<faiss::IndexIDMap2 *>(index.get()); }
    faiss::IndexFlat *flat() const { return static_cast<faiss::IndexFlat *>(idMap()->index); }
    faiss::IndexIVFFlat *ivf() const { return static_cast<faiss::IndexIVFFlat *>(index.get()); }

    bool containsLocked(std::int64_t id) const
    {
        if (kind == IndexKind::Flat)
            return idMap()->rev_map.count(id) != 0;
        return ivf()->direct_map.hashtable.count(id) != 0;
    }
    // Copies the stored vector of `id` into out (dim floats). The id must be present.
    void vectorOf(std::int64_t id, float *out) const;
    std::vector<SearchHit> searchLocked(const float *query, std::size_t k) const;
    // Exact search over a subset, gathered in blocks so memory stays bounded.
    std::vector<SearchHit> searchSubset(const float *query, std::size_t k,
                                        const std::vector<std::int64_t> &allowed) const;
};

} // namespace imago
