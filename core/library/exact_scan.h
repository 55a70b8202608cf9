// exact_scan.h - PRIVATE to core/library: the exact-search kernel behind a flat index's
// single queries (see vector_index.h, "Speed").
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace imago {

// Exact top-k of one query over n row-major vectors: one BLAS matrix-vector product per block
// (reads the vectors once, memory-bound), then a size-k min-heap over the scores. FAISS's own
// BLAS path for a single query runs sgemm on blocks of 1024 vectors, whose packing reads
// them twice: measured 2x slower at 100k x 768 on this class of machine (index_benchmark).
std::vector<std::pair<float, std::size_t>> scanTopK(const float *query, const float *vectors,
                                                    std::size_t n, std::size_t dim, std::size_t k);

} // namespace imago
