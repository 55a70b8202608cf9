// vector_index.h - nearest-neighbour search over photo embeddings: a FAISS index whose ids are
// the catalog's photo ids, scored by inner product (cosine for the L2-normalised embeddings).
//
// Kinds:
//   flat - exact search (IndexIDMap2 over IndexFlatIP). The default: a 768-dim query reads
//          every vector once, ~1-2 ms at 10k photos and ~20-30 ms at 100k on 2 shared cores
//          (memory-bound; bench/index_benchmark.h), so exact is right up to about a million photos.
//   ivf  - approximate (IndexIVFFlat, inner product, spherical k-means, nlist ~ 4 sqrt(n)),
//          built at or above a size threshold. nprobe is tuned at build time against exact
//          search on sample queries (stored vectors pushed off by noise) to reach a recall floor
//          (recall@10 >= 0.95 by default); build() reports what it measured. Queries unlike
//          every stored vector get lower recall (index_benchmark measures that worst case).
//
// Speed: the distro's FAISS is built without AVX2, so its per-query scan is a scalar loop.
// A single flat query is therefore one BLAS matrix-vector product over the stored vectors
// (memory-bound; bench/index_benchmark.h measures it against FAISS's paths), and everything else
// FAISS computes (batches, IVF's coarse quantizer, filtered subsets) takes FAISS's BLAS path:
// the process-wide faiss::distance_compute_blas_threshold is set to 1 the first time any
// VectorIndex is created (with FAISS's default, 20, batches of fewer queries take the scalar
// loop).
//
// File format (save/load): a small little-endian header - magic "IMAGOVIX", format version,
// generation, dim, kind, vector count, nprobe, measured recall, model identity, payload size
// and CRC-32 - followed by FAISS's own serialisation. save() writes a temporary file next to
// the target, fsyncs it, renames it over the target and fsyncs the folder, so a crash leaves
// either the old file or the new one. load() verifies the header, the size and the checksum
// before FAISS reads a byte of the payload, so a truncated or damaged file is reported, never
// trusted. Format version 1 files (tests/data/library/index-v1.faiss) must keep loading.
//
// Threading: search(), size(), ids(), contains() and save() may run concurrently from any
// threads; add() and remove() take an exclusive lock, wait for searches in flight, and hold
// back searches that arrive meanwhile (a steady stream of searches cannot starve a writer).
// The object owns its FAISS index. Qt-free, like the model layer.
//
// Files: vector_index.cpp (the FAISS wrapper), vector_index_build.cpp (build, IVF training and
// tuning), vector_index_file.cpp (the file format, a reader per version), exact_scan.cpp (the
// flat kernel), fair_shared_mutex.h (the lock); vector_index_impl.h is what they share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace imago {

enum class IndexKind
{
    Flat,
    Ivf
};
const char *indexKindName(IndexKind kind); // "flat", "ivf"

struct SearchHit
{
    std::int64_t id = -1;
    float score = 0; // inner product
    friend bool operator==(const SearchHit &, const SearchHit &) = default;
};

// What a saved index says about itself; the library compares it with the catalog.
struct IndexStamp
{
    std::int64_t generation = 0; // the catalog's index generation the vectors reflect
    std::string modelIdentity;   // the model that produced them
};

// Thrown by save() when the file cannot be written; names the file and the reason.
class IndexFileError : public std::runtime_error
{
public:
    IndexFileError(const std::filesystem::path &file, const std::string &problem)
        : std::runtime_error(file.string() + ": " + problem), m_file(file)
    {
    }
    const std::filesystem::path &file() const { return m_file; }

private:
    std::filesystem::path m_file;
};

struct IvfOptions
{
    std::size_t nlist = 0;           // coarse cells; 0: 4 sqrt(n), at most n / 39, at least 1
    std::size_t nprobe = 0;          // cells searched per query; 0: tuned to reach targetRecall
    double targetRecall = 0.95;      // recall@10 against exact search on sample queries
    std::size_t tuningQueries = 200; // generated from stored vectors
    // More tuning queries (row-major, dim values each), e.g. embeddings of real text queries:
    // the recall floor must then hold for them too. Stored vectors are a kind proxy for text.
    std::vector<float> extraTuningQueries;
    // Training points per cell (FAISS warns below 39); capped by the vector count.
    std::size_t trainingPerList = 50;
};

struct IndexBuildOptions
{
    // At or above this many vectors build() makes an IVF index; below it, exact flat.
    std::size_t approximateThreshold = 1'000'000;
    IvfOptions ivf;
    std::uint64_t seed = 20240601; // sampling for training and tuning: reproducible builds
};

struct IndexBuildReport
{
    IndexKind kind = IndexKind::Flat;
    std::size_t count = 0;
    std::size_t nlist = 0, nprobe = 0;
    double recall = -1; // measured recall@10 of the tuned IVF index; -1 for flat
    double seconds = 0;
};

// Streams (ids, row-major vectors) batches to `sink`; build() may call it twice (IVF: once
// to sample training vectors, once to add). Must produce the same data each time.
using VectorSink = std::function<void(std::span<const std::int64_t>, std::span<const float>)>;
using VectorSource = std::function<void(const VectorSink &sink)>;

struct IndexLoadResult;

class VectorIndex
{
public:
    ~VectorIndex();
    VectorIndex(const VectorIndex &) = delete;
    VectorIndex &operator=(const VectorIndex &) = delete;

    static std::unique_ptr<VectorIndex> createFlat(int dim);
    // An empty IVF index whose coarse quantizer is trained on `training` (n x dim, n >= 1).
    static std::unique_ptr<VectorIndex> createIvf(int dim, std::span<const float> training,
                                                  std::size_t nlist, std::uint64_t seed);
    // Builds the right kind for `count` vectors from `source` (see IndexBuildOptions); for IVF
    // trains, adds, and tunes nprobe against exact search.
    static std::unique_ptr<VectorIndex> build(int dim, std::size_t count,
                                              const VectorSource &source,
                                              const IndexBuildOptions &options = {},
                                              IndexBuildReport *report = nullptr);

    // Adds vectors (ids.size() x dim, row-major); an id already present is replaced.
    void add(std::span<const std::int64_t> ids, std::span<const float> vectors);
    // Removes the ids that are present; returns how many were.
    std::size_t remove(std::span<const std::int64_t> ids);

    // The k best (highest inner product first). `allowed`, when given, restricts the result
    // to those ids (exact over them for flat; for ivf exact when they are few, else filtered
    // approximate search). Throws std::invalid_argument when query.size() != dim().
    std::vector<SearchHit> search(std::span<const float> query, std::size_t k,
                                  const std::vector<std::int64_t> *allowed = nullptr) const;
    // nq queries (nq x dim) in one call: one matrix product for all of them.
    std::vector<std::vector<SearchHit>> searchBatch(std::span<const float> queries,
                                                    std::size_t k) const;

    int dim() const;
    IndexKind kind() const;
    std::size_t size() const;
    std::vector<std::int64_t> ids() const; // ascending
    bool contains(std::int64_t id) const;
    std::size_t nlist() const;  // 0 for flat
    std::size_t nprobe() const; // 0 for flat
    void setNprobe(std::size_t nprobe);
    double measuredRecall() const; // -1 when not measured

    // Atomic save (see the file comment). Throws IndexFileError.
    void save(const std::filesystem::path &file, const IndexStamp &stamp) const;
    // Never throws for a bad file: the result says what is wrong with it.
    static IndexLoadResult load(const std::filesystem::path &file);

private:
    struct Impl;
    explicit VectorIndex(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

struct IndexLoadResult
{
    std::unique_ptr<VectorIndex> index; // null on failure
    IndexStamp stamp;
    std::string error; // "missing", "truncated: ...", "checksum mismatch", ...
    bool missing = false;
    bool ok() const { return index != nullptr; }
};

// Recall@k of `approx` against `exact` results (the fraction of exact ids found), averaged.
double recallAtK(const std::vector<std::vector<SearchHit>> &exact,
                 const std::vector<std::vector<SearchHit>> &approx, std::size_t k);

} // namespace imago
