// index_benchmark.h - how fast the vector index answers one query on this machine.
//
// Measures single-query latency (p50/p95 over many queries, after a warm-up) at each requested
// size, of exact flat search three ways - FAISS's default scalar per-query scan, FAISS's BLAS
// path (sgemm), and VectorIndex::search (one sgemv + top-k) - and of an IVF index whose nprobe
// was tuned for recall@10 >= 0.95, with its recall measured against exact search. Data:
// seeded random unit vectors drawn around random cluster centres (real embeddings are
// clustered; flat timings do not depend on the data, IVF's recall does). Used by
// `imago-cli bench`; not part of the tests. Runs on the calling thread and changes the
// process-wide FAISS BLAS threshold while it runs (restored at the end): do not search
// concurrently. Takes ~1-2 minutes on 2 cores at the default sizes (the IVF build dominates;
// ivf = false: ~15 s). Needs ~1.3 GB of memory at 100k vectors of 768 dims.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace imago {

struct IndexBenchmarkOptions
{
    std::vector<std::size_t> sizes{10'000, 100'000};
    int dim = 768;
    std::size_t queries = 200; // timed queries per row
    std::size_t k = 10;
    bool ivf = true; // include an IVF row per size (its build takes most of the time)
    bool faissBaselines = true; // include FAISS's own scalar and BLAS scans (slow at 1M)
    std::uint64_t seed = 7;
};

struct IndexBenchmarkRow
{
    std::string name; // "flat, VectorIndex (sgemv)"
    std::size_t vectors = 0;
    int dim = 0;
    double p50Ms = 0, p95Ms = 0;
    double recall = -1; // recall@k against exact search; -1 for exact rows
    std::string note;   // e.g. "nlist 1265, nprobe 24, built in 21.3 s"
};

struct IndexBenchmarkSystem
{
    std::string blas; // the library that provides sgemm_
    int ompThreads = 0;
    int blasThreshold = 0; // faiss::distance_compute_blas_threshold as VectorIndex sets it
};

IndexBenchmarkSystem indexBenchmarkSystem();

// Seeded benchmark data: n unit vectors of `dim` floats around `clusters` random unit centres
// (real embeddings are clustered). The centres depend on centreSeed only, so batches drawn
// with different pointSeeds belong to one collection.
std::vector<float> clusteredBenchmarkVectors(std::size_t n, int dim, std::size_t clusters,
                                             std::uint64_t centreSeed, std::uint64_t pointSeed);

struct LatencyPercentiles
{
    double p50 = 0, p95 = 0; // milliseconds
};
// Runs call(i) for a few warm-up i, then times `count` calls; percentiles of those.
LatencyPercentiles measureLatency(std::size_t count, const std::function<void(std::size_t)> &call);
// `onRow` is called as each row is measured (for live output).
std::vector<IndexBenchmarkRow>
benchmarkVectorIndex(const IndexBenchmarkOptions &options = {},
                     const std::function<void(const IndexBenchmarkRow &)> &onRow = {});

} // namespace imago
