#include "vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/impl/io.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <unordered_set>

// Fortran BLAS, as FAISS itself declares it (LP64: 32-bit integers).
extern "C" int sgemv_(const char *trans, const int *m, const int *n, const float *alpha,
                      const float *a, const int *lda, const float *x, const int *incx,
                      const float *beta, float *y, const int *incy);

namespace imago {

namespace {

using idx_t = faiss::Index::idx_t;

// Exact top-k of one query over n row-major vectors: one BLAS matrix-vector product per block
// (reads the vectors once, memory-bound), then a size-k min-heap over the scores. FAISS's own
// BLAS path for a single query runs sgemm on blocks of 1024 vectors, whose packing reads
// them twice: measured 2x slower at 100k x 768 on this class of machine (index_benchmark).
std::vector<std::pair<float, std::size_t>> scanTopK(const float *query, const float *vectors,
                                                    std::size_t n, std::size_t dim, std::size_t k)
{
    constexpr std::size_t kBlock = 1 << 18; // rows per call; keeps int arguments in range
    std::vector<float> scores(std::min(n, kBlock));
    auto worse = [](const std::pair<float, std::size_t> &a,
                    const std::pair<float, std::size_t> &b) {
        return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    std::vector<std::pair<float, std::size_t>> heap; // min-heap on score: heap.front() is the worst
    heap.reserve(k + 1);
    const int m = int(dim), lda = int(dim), one = 1;
    const float alpha = 1.f, beta = 0.f;
    for (std::size_t at = 0; at < n; at += kBlock) {
        const std::size_t rows = std::min(kBlock, n - at);
        const int nrows = int(rows);
        // Column-major view: the block is a dim x rows matrix A; scores = A^T query.
        sgemv_("T", &m, &nrows, &alpha, vectors + at * dim, &lda, query, &one, &beta, scores.data(),
               &one);
        for (std::size_t i = 0; i < rows; ++i) {
            const float s = scores[i];
            if (heap.size() == k) {
                if (!(s > heap.front().first))
                    continue;
                std::pop_heap(heap.begin(), heap.end(), worse);
                heap.back() = {s, at + i};
            } else {
                heap.emplace_back(s, at + i);
            }
            std::push_heap(heap.begin(), heap.end(), worse);
        }
    }
    std::sort_heap(heap.begin(), heap.end(), worse);
    return heap; // best first
}

// ---- process-wide BLAS threshold -------------------------------------------------------------

void ensureBlasForSingleQueries()
{
    static std::once_flag once;
    std::call_once(once, [] { faiss::distance_compute_blas_threshold = 1; });
}

// ---- file format -----------------------------------------------------------------------------

constexpr std::array<char, 8> kMagic = {'I', 'M', 'A', 'G', 'O', 'V', 'I', 'X'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kFixedHeaderBytes = 72; // up to and including the identity length
constexpr std::size_t kMaxHeaderBytes = 1 << 16;
constexpr std::size_t kIoBlock = 1 << 20;

// Byte offsets of the version-1 header fields.
enum HeaderOffset : std::size_t
{
    kOffMagic = 0,
    kOffVersion = 8,
    kOffHeaderBytes = 12,
    kOffGeneration = 16,
    kOffDim = 24,
    kOffKind = 28,
    kOffCount = 32,
    kOffPayloadBytes = 40,
    kOffPayloadCrc = 48,
    kOffHeaderCrc = 52,
    kOffNprobe = 56,
    kOffRecall = 60,
    kOffNlist = 64,
    kOffIdentityBytes = 68,
    kOffIdentity = 72,
};

template<typename T> void putLE(std::vector<std::uint8_t> &buf, std::size_t off, T value)
{
    static_assert(std::is_integral_v<T>);
    using U = std::make_unsigned_t<T>;
    auto u = static_cast<U>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i)
        buf[off + i] = std::uint8_t(u >> (8 * i));
}

template<typename T> T getLE(const std::uint8_t *buf, std::size_t off)
{
    static_assert(std::is_integral_v<T>);
    using U = std::make_unsigned_t<T>;
    U u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
        u |= U(buf[off + i]) << (8 * i);
    return static_cast<T>(u);
}

struct FileHeader
{
    std::int64_t generation = 0;
    std::uint32_t dim = 0;
    std::uint32_t kind = 0;
    std::uint64_t count = 0;
    std::uint64_t payloadBytes = 0;
    std::uint32_t payloadCrc = 0;
    std::uint32_t nprobe = 0;
    float recall = -1;
    std::uint32_t nlist = 0;
    std::string identity;
};

std::vector<std::uint8_t> encodeHeader(const FileHeader &h)
{
    std::vector<std::uint8_t> buf(kFixedHeaderBytes + h.identity.size(), 0);
    std::memcpy(buf.data() + kOffMagic, kMagic.data(), kMagic.size());
    putLE(buf, kOffVersion, kFormatVersion);
    putLE(buf, kOffHeaderBytes, std::uint32_t(buf.size()));
    putLE(buf, kOffGeneration, h.generation);
    putLE(buf, kOffDim, h.dim);
    putLE(buf, kOffKind, h.kind);
    putLE(buf, kOffCount, h.count);
    putLE(buf, kOffPayloadBytes, h.payloadBytes);
    putLE(buf, kOffPayloadCrc, h.payloadCrc);
    putLE(buf, kOffNprobe, h.nprobe);
    putLE(buf, kOffRecall, std::bit_cast<std::uint32_t>(h.recall));
    putLE(buf, kOffNlist, h.nlist);
    putLE(buf, kOffIdentityBytes, std::uint32_t(h.identity.size()));
    std::memcpy(buf.data() + kOffIdentity, h.identity.data(), h.identity.size());
    // The header checksum covers every header byte with its own field zeroed.
    putLE(buf, kOffHeaderCrc, std::uint32_t(crc32(0, buf.data(), uInt(buf.size()))));
    return buf;
}

std::string errnoText()
{
    return std::strerror(errno);
}

// Owns a POSIX file descriptor.
class Fd
{
public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int get() const { return m_fd; }
    int release()
    {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }

private:
    int m_fd;
};

bool writeAll(int fd, const void *data, std::size_t n)
{
    const auto *p = static_cast<const std::uint8_t *>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= std::size_t(w);
    }
    return true;
}

// Reads exactly n bytes; false on error or end of file.
bool readAll(int fd, void *data, std::size_t n)
{
    auto *p = static_cast<std::uint8_t *>(data);
    while (n > 0) {
        const ssize_t r = ::read(fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        if (r == 0)
            return false;
        p += r;
        n -= std::size_t(r);
    }
    return true;
}

// FAISS's serialiser writes through this: buffered, counted, checksummed.
class PayloadWriter : public faiss::IOWriter
{
public:
    explicit PayloadWriter(int fd) : m_fd(fd) { m_buf.reserve(kIoBlock); }
    size_t operator()(const void *ptr, size_t size, size_t nitems) override
    {
        const auto *p = static_cast<const std::uint8_t *>(ptr);
        std::size_t n = size * nitems;
        while (n > 0) {
            const std::size_t take = std::min(n, kIoBlock - m_buf.size());
            m_buf.insert(m_buf.end(), p, p + take);
            p += take;
            n -= take;
            if (m_buf.size() == kIoBlock && !flush())
                return 0;
        }
        return nitems;
    }
    bool flush()
    {
        if (m_buf.empty())
            return m_ok;
        m_crc = std::uint32_t(crc32(m_crc, m_buf.data(), uInt(m_buf.size())));
        m_bytes += m_buf.size();
        m_ok = m_ok && writeAll(m_fd, m_buf.data(), m_buf.size());
        m_buf.clear();
        return m_ok;
    }
    std::uint64_t bytes() const { return m_bytes; }
    std::uint32_t crc() const { return m_crc; }

private:
    int m_fd;
    std::vector<std::uint8_t> m_buf;
    std::uint64_t m_bytes = 0;
    std::uint32_t m_crc = 0;
    bool m_ok = true;
};

// FAISS's deserialiser reads through this; never past `limit` bytes.
class PayloadReader : public faiss::IOReader
{
public:
    PayloadReader(int fd, std::uint64_t limit) : m_fd(fd), m_left(limit) {}
    size_t operator()(void *ptr, size_t size, size_t nitems) override
    {
        if (size == 0 || nitems == 0)
            return 0;
        const std::uint64_t want = std::uint64_t(size) * nitems;
        const std::uint64_t can = std::min(want, m_left) / size * size;
        if (can == 0 || !readAll(m_fd, ptr, std::size_t(can)))
            return 0;
        m_left -= can;
        return std::size_t(can / size);
    }

private:
    int m_fd;
    std::uint64_t m_left;
};

void fsyncDirectoryOf(const std::filesystem::path &file)
{
    const auto dir = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() >= 0)
        ::fsync(fd.get()); // best effort: some filesystems refuse fsync on a directory
}

// A readers-writer lock that does not starve writers: glibc's rwlock (behind std::shared_mutex)
// prefers readers, so a steady stream of searches kept add() waiting forever. A writer holds
// the turnstile while it waits, so readers arriving after it queue behind it.
class FairSharedMutex
{
public:
    void lock()
    {
        m_turnstile.lock();
        m_rw.lock();
    }
    void unlock()
    {
        m_rw.unlock();
        m_turnstile.unlock();
    }
    void lock_shared()
    {
        std::lock_guard gate(m_turnstile);
        m_rw.lock_shared();
    }
    void unlock_shared() { m_rw.unlock_shared(); }

private:
    std::mutex m_turnstile;
    std::shared_mutex m_rw;
};

} // namespace

// ---- VectorIndex -----------------------------------------------------------------------------

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
    void vectorOf(std::int64_t id, float *out) const
    {
        if (kind == IndexKind::Flat) {
            const idx_t pos = idMap()->rev_map.at(id);
            std::memcpy(out, flat()->get_xb() + std::size_t(pos) * std::size_t(dim),
                        sizeof(float) * std::size_t(dim));
        } else {
            ivf()->reconstruct(id, out);
        }
    }

    std::vector<SearchHit> searchLocked(const float *query, std::size_t k) const
    {
        if (kind == IndexKind::Flat) {
            const auto top =
                scanTopK(query, flat()->get_xb(), std::size_t(index->ntotal), std::size_t(dim),
                         std::min<std::size_t>(k, std::size_t(index->ntotal)));
            const auto &ids = idMap()->id_map;
            std::vector<SearchHit> hits;
            hits.reserve(top.size());
            for (const auto &[score, pos] : top)
                hits.push_back({ids[pos], score});
            return hits;
        }
        const std::size_t kk = std::min<std::size_t>(k, std::size_t(index->ntotal));
        std::vector<float> scores(kk);
        std::vector<idx_t> labels(kk);
        index->search(1, query, idx_t(kk), scores.data(), labels.data());
        std::vector<SearchHit> hits;
        hits.reserve(kk);
        for (std::size_t i = 0; i < kk; ++i)
            if (labels[i] >= 0)
                hits.push_back({labels[i], scores[i]});
        return hits;
    }

    // Exact search over a subset, gathered in blocks so memory stays bounded.
    std::vector<SearchHit> searchSubset(const float *query, std::size_t k,
                                        const std::vector<std::int64_t> &allowed) const
    {
        constexpr std::size_t kBlock = 16384;
        std::vector<SearchHit> best;
        std::vector<float> block;
        std::vector<std::int64_t> blockIds;
        std::vector<float> scores(k);
        std::vector<idx_t> labels(k);
        auto flush = [&] {
            if (blockIds.empty())
                return;
            const std::size_t kk = std::min(k, blockIds.size());
            faiss::knn_inner_product(query, block.data(), std::size_t(dim), 1, blockIds.size(), kk,
                                     scores.data(), labels.data());
            for (std::size_t i = 0; i < kk; ++i)
                if (labels[i] >= 0)
                    best.push_back({blockIds[std::size_t(labels[i])], scores[i]});
            blockIds.clear();
            block.clear();
        };
        for (std::int64_t id : allowed) {
            if (!containsLocked(id))
                continue;
            blockIds.push_back(id);
            block.resize(blockIds.size() * std::size_t(dim));
            vectorOf(id, block.data() + (blockIds.size() - 1) * std::size_t(dim));
            if (blockIds.size() == kBlock)
                flush();
        }
        flush();
        const std::size_t kk = std::min(k, best.size());
        std::partial_sort(best.begin(), best.begin() + std::ptrdiff_t(kk), best.end(),
                          [](const SearchHit &a, const SearchHit &b) {
                              return a.score > b.score || (a.score == b.score && a.id < b.id);
                          });
        best.resize(kk);
        return best;
    }
};

VectorIndex::VectorIndex(std::unique_ptr<Impl> impl) : d(std::move(impl))
{
    ensureBlasForSingleQueries();
}

VectorIndex::~VectorIndex() = default;

std::unique_ptr<VectorIndex> VectorIndex::createFlat(int dim)
{
    if (dim <= 0)
        throw std::invalid_argument("VectorIndex: dimension must be positive");
    auto impl = std::make_unique<Impl>();
    impl->dim = dim;
    impl->kind = IndexKind::Flat;
    auto idMap = std::make_unique<faiss::IndexIDMap2>(new faiss::IndexFlatIP(dim));
    idMap->own_fields = true;
    impl->index = std::move(idMap);
    return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(impl)));
}

std::unique_ptr<VectorIndex> VectorIndex::createIvf(int dim, std::span<const float> training,
                                                    std::size_t nlist, std::uint64_t seed)
{
    if (dim <= 0)
        throw std::invalid_argument("VectorIndex: dimension must be positive");
    const std::size_t n = training.size() / std::size_t(dim);
    if (n == 0 || training.size() % std::size_t(dim) != 0)
        throw std::invalid_argument("VectorIndex: IVF training needs whole vectors");
    nlist = std::clamp<std::size_t>(nlist, 1, n);
    auto impl = std::make_unique<Impl>();
    impl->dim = dim;
    impl->kind = IndexKind::Ivf;
    auto ivf = std::make_unique<faiss::IndexIVFFlat>(new faiss::IndexFlatIP(dim), std::size_t(dim),
                                                     nlist, faiss::METRIC_INNER_PRODUCT);
    ivf->own_fields = true;
    // Embeddings are unit vectors and scored by inner product: spherical k-means. Ten
    // iterations converge well enough for assignment and keep a million-photo build in minutes.
    ivf->cp.spherical = true;
    ivf->cp.niter = 10;
    ivf->cp.seed = int(seed & 0x7fffffff);
    ivf->cp.max_points_per_centroid = int(std::max<std::size_t>(n / nlist + 1, 39));
    ivf->train(idx_t(n), training.data());
    ivf->set_direct_map_type(faiss::DirectMap::Hashtable);
    ivf->nprobe = std::min<std::size_t>(nlist, 8);
    impl->index = std::move(ivf);
    return std::unique_ptr<VectorIndex>(new VectorIndex(std::move(impl)));
}

void VectorIndex::add(std::span<const std::int64_t> ids, std::span<const float> vectors)
{
    const std::size_t dim = std::size_t(d->dim);
    if (vectors.size() != ids.size() * dim)
        throw std::invalid_argument("VectorIndex::add: vectors.size() != ids.size() * dim");
    if (ids.empty())
        return;
    std::unique_lock lock(d->mutex);
    std::vector<idx_t> newIds;
    std::vector<float> newVectors;
    newIds.reserve(ids.size());
    std::unordered_set<std::int64_t> seen;
    // A repeated id within one call: the last vector wins.
    for (std::size_t i = ids.size(); i-- > 0;) {
        if (!seen.insert(ids[i]).second)
            continue;
        const float *v = vectors.data() + i * dim;
        if (d->kind == IndexKind::Flat) {
            auto it = d->idMap()->rev_map.find(ids[i]);
            if (it != d->idMap()->rev_map.end()) {
                // Replace in place: IndexFlat's storage is the raw vectors.
                std::memcpy(d->flat()->get_xb() + std::size_t(it->second) * dim, v,
                            dim * sizeof(float));
                continue;
            }
        } else if (d->containsLocked(ids[i])) {
            const idx_t id = ids[i];
            faiss::IDSelectorArray one(1, &id);
            d->ivf()->remove_ids(one);
        }
        newIds.push_back(ids[i]);
        newVectors.insert(newVectors.end(), v, v + dim);
    }
    if (!newIds.empty())
        d->index->add_with_ids(idx_t(newIds.size()), newVectors.data(), newIds.data());
}

std::size_t VectorIndex::remove(std::span<const std::int64_t> ids)
{
    if (ids.empty())
        return 0;
    std::unique_lock lock(d->mutex);
    std::vector<idx_t> present;
    for (std::int64_t id : ids)
        if (d->containsLocked(id))
            present.push_back(id);
    if (present.empty())
        return 0;
    if (d->kind == IndexKind::Flat) {
        // One batch: IndexFlat compacts its storage once per call, not once per id, and asks
        // the selector about every stored vector (a hash set answers in O(1)).
        faiss::IDSelectorBatch sel(present.size(), present.data());
        return std::size_t(d->index->remove_ids(sel));
    }
    // The IVF hashtable direct map removes by id and accepts only an id array.
    faiss::IDSelectorArray sel(present.size(), present.data());
    return std::size_t(d->index->remove_ids(sel));
}

std::vector<SearchHit> VectorIndex::search(std::span<const float> query, std::size_t k,
                                           const std::vector<std::int64_t> *allowed) const
{
    if (query.size() != std::size_t(d->dim))
        throw std::invalid_argument("VectorIndex::search: query has " +
                                    std::to_string(query.size()) + " values, the index " +
                                    std::to_string(d->dim));
    std::shared_lock lock(d->mutex);
    if (k == 0 || d->index->ntotal == 0)
        return {};
    if (!allowed)
        return d->searchLocked(query.data(), k);
    if (allowed->empty())
        return {};
    const std::size_t n = std::size_t(d->index->ntotal);
    // Exact over the subset for flat, and for IVF when the subset is small enough that
    // gathering it costs less than the approximate search misses.
    if (d->kind == IndexKind::Flat || allowed->size() <= n / 8)
        return d->searchSubset(query.data(), k, *allowed);
    faiss::IDSelectorBatch sel(allowed->size(), allowed->data());
    faiss::SearchParametersIVF params;
    params.sel = &sel;
    params.nprobe = d->ivf()->nprobe;
    const std::size_t kk = std::min(k, n);
    std::vector<float> scores(kk);
    std::vector<idx_t> labels(kk);
    d->index->search(1, query.data(), idx_t(kk), scores.data(), labels.data(), &params);
    std::vector<SearchHit> hits;
    for (std::size_t i = 0; i < kk; ++i)
        if (labels[i] >= 0)
            hits.push_back({labels[i], scores[i]});
    return hits;
}

std::vector<std::vector<SearchHit>> VectorIndex::searchBatch(std::span<const float> queries,
                                                             std::size_t k) const
{
    const std::size_t dim = std::size_t(d->dim);
    if (queries.size() % dim != 0)
        throw std::invalid_argument("VectorIndex::searchBatch: queries are not whole vectors");
    const std::size_t nq = queries.size() / dim;
    std::shared_lock lock(d->mutex);
    std::vector<std::vector<SearchHit>> out(nq);
    const std::size_t kk = std::min<std::size_t>(k, std::size_t(d->index->ntotal));
    if (nq == 0 || kk == 0)
        return out;
    std::vector<float> scores(nq * kk);
    std::vector<idx_t> labels(nq * kk);
    d->index->search(idx_t(nq), queries.data(), idx_t(kk), scores.data(), labels.data());
    for (std::size_t q = 0; q < nq; ++q)
        for (std::size_t i = 0; i < kk; ++i)
            if (labels[q * kk + i] >= 0)
                out[q].push_back({labels[q * kk + i], scores[q * kk + i]});
    return out;
}

int VectorIndex::dim() const
{
    return d->dim;
}

IndexKind VectorIndex::kind() const
{
    return d->kind;
}

std::size_t VectorIndex::size() const
{
    std::shared_lock lock(d->mutex);
    return std::size_t(d->index->ntotal);
}

std::vector<std::int64_t> VectorIndex::ids() const
{
    std::shared_lock lock(d->mutex);
    std::vector<std::int64_t> out;
    out.reserve(std::size_t(d->index->ntotal));
    if (d->kind == IndexKind::Flat) {
        out.assign(d->idMap()->id_map.begin(), d->idMap()->id_map.end());
    } else {
        const faiss::InvertedLists *lists = d->ivf()->invlists;
        for (std::size_t l = 0; l < lists->nlist; ++l) {
            faiss::InvertedLists::ScopedIds listIds(lists, l);
            const std::size_t n = lists->list_size(l);
            out.insert(out.end(), listIds.get(), listIds.get() + n);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool VectorIndex::contains(std::int64_t id) const
{
    std::shared_lock lock(d->mutex);
    return d->containsLocked(id);
}

std::size_t VectorIndex::nlist() const
{
    return d->kind == IndexKind::Ivf ? d->ivf()->nlist : 0;
}

std::size_t VectorIndex::nprobe() const
{
    std::shared_lock lock(d->mutex);
    return d->kind == IndexKind::Ivf ? d->ivf()->nprobe : 0;
}

void VectorIndex::setNprobe(std::size_t nprobe)
{
    std::unique_lock lock(d->mutex);
    if (d->kind == IndexKind::Ivf)
        d->ivf()->nprobe = std::clamp<std::size_t>(nprobe, 1, d->ivf()->nlist);
}

double VectorIndex::measuredRecall() const
{
    std::shared_lock lock(d->mutex);
    return d->recall;
}

// ---- build -----------------------------------------------------------------------------------

namespace {

// Keeps a uniform random sample of `capacity` vectors from a stream (reservoir sampling).
class Reservoir
{
public:
    Reservoir(std::size_t capacity, std::size_t dim, std::uint64_t seed)
        : m_capacity(capacity), m_dim(dim), m_rng(seed)
    {
    }
    void offer(const float *v)
    {
        ++m_seen;
        if (m_rows < m_capacity) {
            m_data.insert(m_data.end(), v, v + m_dim);
            ++m_rows;
            return;
        }
        std::uniform_int_distribution<std::uint64_t> pick(0, m_seen - 1);
        const std::uint64_t j = pick(m_rng);
        if (j < m_capacity)
            std::memcpy(m_data.data() + j * m_dim, v, m_dim * sizeof(float));
    }
    const std::vector<float> &data() const { return m_data; }
    std::size_t rows() const { return m_rows; }

private:
    std::size_t m_capacity, m_dim, m_rows = 0;
    std::uint64_t m_seen = 0;
    std::mt19937_64 m_rng;
    std::vector<float> m_data;
};

// Tuning queries: sample vectors pushed away from themselves by Gaussian noise, so that
// (like text queries) they sit between stored vectors rather than on top of one.
std::vector<float> makeTuningQueries(const std::vector<float> &sample, std::size_t dim,
                                     std::uint64_t seed)
{
    std::vector<float> q = sample;
    std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
    std::normal_distribution<float> noise(0.f, 1.f);
    const std::size_t n = q.size() / dim;
    for (std::size_t i = 0; i < n; ++i) {
        float *v = q.data() + i * dim;
        double norm = 0;
        for (std::size_t j = 0; j < dim; ++j)
            norm += double(v[j]) * v[j];
        const float scale = norm > 0 ? float(1 / std::sqrt(norm)) : 1.f;
        const float sigma = 1.2f / std::sqrt(float(dim));
        double qn = 0;
        for (std::size_t j = 0; j < dim; ++j) {
            v[j] = v[j] * scale + sigma * noise(rng);
            qn += double(v[j]) * v[j];
        }
        const float inv = qn > 0 ? float(1 / std::sqrt(qn)) : 1.f;
        for (std::size_t j = 0; j < dim; ++j)
            v[j] *= inv;
    }
    return q;
}

// Running exact top-k of a few queries over a stream of batches.
class ExactTopK
{
public:
    ExactTopK(const std::vector<float> &queries, std::size_t dim, std::size_t k)
        : m_queries(queries), m_dim(dim), m_k(k), m_nq(queries.size() / dim), m_best(m_nq)
    {
    }
    void add(std::span<const std::int64_t> ids, std::span<const float> vectors)
    {
        if (m_nq == 0 || ids.empty())
            return;
        const std::size_t kk = std::min(m_k, ids.size());
        std::vector<float> scores(m_nq * kk);
        std::vector<idx_t> labels(m_nq * kk);
        faiss::knn_inner_product(m_queries.data(), vectors.data(), m_dim, m_nq, ids.size(), kk,
                                 scores.data(), labels.data());
        for (std::size_t q = 0; q < m_nq; ++q) {
            auto &best = m_best[q];
            for (std::size_t i = 0; i < kk; ++i)
                if (labels[q * kk + i] >= 0)
                    best.push_back({ids[std::size_t(labels[q * kk + i])], scores[q * kk + i]});
            std::sort(best.begin(), best.end(),
                      [](const SearchHit &a, const SearchHit &b) { return a.score > b.score; });
            if (best.size() > m_k)
                best.resize(m_k);
        }
    }
    const std::vector<std::vector<SearchHit>> &results() const { return m_best; }

private:
    const std::vector<float> &m_queries;
    std::size_t m_dim, m_k, m_nq;
    std::vector<std::vector<SearchHit>> m_best;
};

} // namespace

std::unique_ptr<VectorIndex> VectorIndex::build(int dim, std::size_t count,
                                                const VectorSource &source,
                                                const IndexBuildOptions &options,
                                                IndexBuildReport *report)
{
    const auto start = std::chrono::steady_clock::now();
    const std::size_t udim = std::size_t(dim);
    IndexBuildReport r;
    std::unique_ptr<VectorIndex> index;
    if (count < options.approximateThreshold || count < 2) {
        index = createFlat(dim);
        source([&](std::span<const std::int64_t> ids, std::span<const float> vectors) {
            index->add(ids, vectors);
        });
        r.kind = IndexKind::Flat;
    } else {
        const IvfOptions &ivf = options.ivf;
        std::size_t nlist = ivf.nlist;
        // ~4 sqrt(n) cells, but no more than k-means can place with 39 points each (below
        // that FAISS warns and the centroids are noise).
        if (nlist == 0)
            nlist = std::min(std::size_t(std::lround(4 * std::sqrt(double(count)))), count / 39);
        nlist = std::clamp<std::size_t>(nlist, 1, count);
        const std::size_t trainN =
            std::min(count, nlist * std::max<std::size_t>(ivf.trainingPerList, 1));
        Reservoir training(trainN, udim, options.seed);
        Reservoir tuning(ivf.nprobe ? 0 : ivf.tuningQueries, udim, options.seed + 1);
        source([&](std::span<const std::int64_t> ids, std::span<const float> vectors) {
            for (std::size_t i = 0; i < ids.size(); ++i) {
                training.offer(vectors.data() + i * udim);
                tuning.offer(vectors.data() + i * udim);
            }
        });
        if (training.rows() == 0)
            throw std::runtime_error("VectorIndex::build: the source produced no vectors");
        index = createIvf(dim, training.data(), nlist, options.seed);
        std::vector<float> queries = makeTuningQueries(tuning.data(), udim, options.seed);
        const std::size_t generated = queries.size() / udim;
        if (!ivf.nprobe && ivf.extraTuningQueries.size() % udim == 0)
            queries.insert(queries.end(), ivf.extraTuningQueries.begin(),
                           ivf.extraTuningQueries.end());
        constexpr std::size_t kRecallK = 10;
        ExactTopK exact(queries, udim, kRecallK);
        source([&](std::span<const std::int64_t> ids, std::span<const float> vectors) {
            index->add(ids, vectors);
            exact.add(ids, vectors);
        });
        if (ivf.nprobe) {
            index->setNprobe(ivf.nprobe);
        } else if (!queries.empty()) {
            // Smallest power of two reaching the floor, then bisect down from it.
            // The floor must hold for the generated queries and, separately, for the extra ones.
            auto recallAt = [&](std::size_t nprobe) {
                index->setNprobe(nprobe);
                const auto got = index->searchBatch(queries, kRecallK);
                const auto &want = exact.results();
                const auto split = std::ptrdiff_t(generated);
                double recall = recallAtK({want.begin(), want.begin() + split},
                                          {got.begin(), got.begin() + split}, kRecallK);
                if (want.size() > generated)
                    recall =
                        std::min(recall, recallAtK({want.begin() + split, want.end()},
                                                   {got.begin() + split, got.end()}, kRecallK));
                return recall;
            };
            const std::size_t maxProbe = index->nlist();
            std::size_t hi = 1;
            double hiRecall = recallAt(hi);
            while (hiRecall < ivf.targetRecall && hi < maxProbe) {
                hi = std::min(hi * 2, maxProbe);
                hiRecall = recallAt(hi);
            }
            std::size_t lo = hi / 2;
            while (lo + 1 < hi) {
                const std::size_t mid = (lo + hi) / 2;
                const double rec = recallAt(mid);
                if (rec >= ivf.targetRecall) {
                    hi = mid;
                    hiRecall = rec;
                } else {
                    lo = mid;
                }
            }
            index->setNprobe(hi);
            r.recall = hiRecall;
            std::unique_lock lock(index->d->mutex);
            index->d->recall = hiRecall;
        }
        r.kind = IndexKind::Ivf;
        r.nlist = index->nlist();
        r.nprobe = index->nprobe();
    }
    r.count = index->size();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (report)
        *report = r;
    return index;
}

double recallAtK(const std::vector<std::vector<SearchHit>> &exact,
                 const std::vector<std::vector<SearchHit>> &approx, std::size_t k)
{
    if (exact.empty())
        return 1.0;
    double sum = 0;
    std::size_t counted = 0;
    for (std::size_t q = 0; q < exact.size() && q < approx.size(); ++q) {
        const std::size_t want = std::min(k, exact[q].size());
        if (want == 0)
            continue;
        std::unordered_set<std::int64_t> truth;
        for (std::size_t i = 0; i < want; ++i)
            truth.insert(exact[q][i].id);
        std::size_t found = 0;
        for (std::size_t i = 0; i < std::min(k, approx[q].size()); ++i)
            found += truth.count(approx[q][i].id);
        sum += double(found) / double(want);
        ++counted;
    }
    return counted ? sum / double(counted) : 1.0;
}

const char *indexKindName(IndexKind kind)
{
    return kind == IndexKind::Ivf ? "ivf" : "flat";
}

// ---- save / load -----------------------------------------------------------------------------

void VectorIndex::save(const std::filesystem::path &file, const IndexStamp &stamp) const
{
    std::shared_lock lock(d->mutex);
    std::filesystem::path tmp = file;
    tmp += ".tmp";
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0)
        throw IndexFileError(tmp, "cannot create: " + errnoText());
    auto fail = [&](const std::string &why) {
        ::close(fd.release());
        ::unlink(tmp.c_str());
        throw IndexFileError(tmp, why);
    };

    FileHeader h;
    h.generation = stamp.generation;
    h.dim = std::uint32_t(d->dim);
    h.kind = d->kind == IndexKind::Ivf ? 1 : 0;
    h.count = std::uint64_t(d->index->ntotal);
    h.nprobe = std::uint32_t(d->kind == IndexKind::Ivf ? d->ivf()->nprobe : 0);
    h.nlist = std::uint32_t(d->kind == IndexKind::Ivf ? d->ivf()->nlist : 0);
    h.recall = float(d->recall);
    h.identity = stamp.modelIdentity;
    // Header first with a zero payload size and checksum; rewritten once they are known.
    std::vector<std::uint8_t> header = encodeHeader(h);
    if (!writeAll(fd.get(), header.data(), header.size()))
        fail("write failed: " + errnoText());
    PayloadWriter payload(fd.get());
    try {
        faiss::write_index(d->index.get(), &payload);
    } catch (const std::exception &e) {
        fail(std::string("FAISS could not serialise the index: ") + e.what());
    }
    if (!payload.flush())
        fail("write failed: " + errnoText());
    h.payloadBytes = payload.bytes();
    h.payloadCrc = payload.crc();
    header = encodeHeader(h);
    if (::pwrite(fd.get(), header.data(), header.size(), 0) != ssize_t(header.size()))
        fail("write failed: " + errnoText());
    if (::fsync(fd.get()) != 0)
        fail("fsync failed: " + errnoText());
    if (::close(fd.release()) != 0) {
        ::unlink(tmp.c_str());
        throw IndexFileError(tmp, "close failed: " + errnoText());
    }
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        const std::string why = errnoText();
        ::unlink(tmp.c_str());
        throw IndexFileError(file, "rename from " + tmp.filename().string() + " failed: " + why);
    }
    fsyncDirectoryOf(file);
}

IndexLoadResult VectorIndex::load(const std::filesystem::path &file)
{
    IndexLoadResult result;
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        result.missing = errno == ENOENT;
        result.error = result.missing ? "missing" : "cannot open: " + errnoText();
        return result;
    }
    struct stat st = {};
    if (::fstat(fd.get(), &st) != 0) {
        result.error = "cannot stat: " + errnoText();
        return result;
    }
    const std::uint64_t fileSize = std::uint64_t(st.st_size);
    std::vector<std::uint8_t> header(kFixedHeaderBytes);
    if (fileSize < kFixedHeaderBytes || !readAll(fd.get(), header.data(), header.size())) {
        result.error = "truncated: " + std::to_string(fileSize) + " bytes, shorter than a header";
        return result;
    }
    if (std::memcmp(header.data(), kMagic.data(), kMagic.size()) != 0) {
        result.error = "not an Imago index file (bad magic)";
        return result;
    }
    const auto version = getLE<std::uint32_t>(header.data(), kOffVersion);
    if (version != kFormatVersion) {
        result.error = "format version " + std::to_string(version) + " (this Imago reads " +
                       std::to_string(kFormatVersion) + ")";
        return result;
    }
    const auto headerBytes = getLE<std::uint32_t>(header.data(), kOffHeaderBytes);
    const auto identityBytes = getLE<std::uint32_t>(header.data(), kOffIdentityBytes);
    if (headerBytes > kMaxHeaderBytes || headerBytes != kFixedHeaderBytes + identityBytes ||
        headerBytes > fileSize) {
        result.error = "damaged header (sizes do not add up)";
        return result;
    }
    header.resize(headerBytes);
    if (!readAll(fd.get(), header.data() + kFixedHeaderBytes, identityBytes)) {
        result.error = "truncated inside the header";
        return result;
    }
    const auto headerCrc = getLE<std::uint32_t>(header.data(), kOffHeaderCrc);
    putLE(header, kOffHeaderCrc, std::uint32_t(0));
    if (std::uint32_t(crc32(0, header.data(), uInt(header.size()))) != headerCrc) {
        result.error = "damaged header (checksum mismatch)";
        return result;
    }
    FileHeader h;
    h.generation = getLE<std::int64_t>(header.data(), kOffGeneration);
    h.dim = getLE<std::uint32_t>(header.data(), kOffDim);
    h.kind = getLE<std::uint32_t>(header.data(), kOffKind);
    h.count = getLE<std::uint64_t>(header.data(), kOffCount);
    h.payloadBytes = getLE<std::uint64_t>(header.data(), kOffPayloadBytes);
    h.payloadCrc = getLE<std::uint32_t>(header.data(), kOffPayloadCrc);
    h.nprobe = getLE<std::uint32_t>(header.data(), kOffNprobe);
    h.recall = std::bit_cast<float>(getLE<std::uint32_t>(header.data(), kOffRecall));
    h.nlist = getLE<std::uint32_t>(header.data(), kOffNlist);
    h.identity.assign(reinterpret_cast<const char *>(header.data()) + kOffIdentity, identityBytes);
    result.stamp.generation = h.generation;
    result.stamp.modelIdentity = h.identity;
    if (h.dim == 0 || h.kind > 1) {
        result.error = "damaged header (dim " + std::to_string(h.dim) + ", kind " +
                       std::to_string(h.kind) + ")";
        return result;
    }
    if (fileSize != headerBytes + h.payloadBytes) {
        result.error = "truncated: " + std::to_string(fileSize) + " bytes, the header says " +
                       std::to_string(headerBytes + h.payloadBytes);
        return result;
    }
    // Checksum the whole payload before FAISS parses any of it: its reader trusts sizes.
    {
        std::vector<std::uint8_t> block(kIoBlock);
        std::uint64_t left = h.payloadBytes;
        std::uint32_t crc = 0;
        while (left > 0) {
            const std::size_t n = std::size_t(std::min<std::uint64_t>(left, block.size()));
            if (!readAll(fd.get(), block.data(), n)) {
                result.error = "read failed: " + errnoText();
                return result;
            }
            crc = std::uint32_t(crc32(crc, block.data(), uInt(n)));
            left -= n;
        }
        if (crc != h.payloadCrc) {
            result.error = "damaged (payload checksum mismatch)";
            return result;
        }
    }
    if (::lseek(fd.get(), off_t(headerBytes), SEEK_SET) != off_t(headerBytes)) {
        result.error = "seek failed: " + errnoText();
        return result;
    }
    std::unique_ptr<faiss::Index> index;
    try {
        PayloadReader reader(fd.get(), h.payloadBytes);
        index.reset(faiss::read_index(&reader));
    } catch (const std::exception &e) {
        result.error = std::string("FAISS could not read it: ") + e.what();
        return result;
    }
    auto impl = std::make_unique<Impl>();
    impl->dim = int(h.dim);
    impl->kind = h.kind == 1 ? IndexKind::Ivf : IndexKind::Flat;
    impl->recall = h.recall;
    bool shapeOk = index && index->d == idx_t(h.dim) && index->ntotal == idx_t(h.count) &&
                   index->metric_type == faiss::METRIC_INNER_PRODUCT;
    if (shapeOk && impl->kind == IndexKind::Flat) {
        auto *idMap = dynamic_cast<faiss::IndexIDMap2 *>(index.get());
        shapeOk = idMap && dynamic_cast<faiss::IndexFlatIP *>(idMap->index) != nullptr &&
                  idMap->rev_map.size() == std::size_t(idMap->ntotal);
    } else if (shapeOk) {
        auto *ivf = dynamic_cast<faiss::IndexIVFFlat *>(index.get());
        shapeOk = ivf && ivf->direct_map.type == faiss::DirectMap::Hashtable;
    }
    if (!shapeOk) {
        result.error = "the FAISS index does not match its header (dim, count, metric or type)";
        return result;
    }
    impl->index = std::move(index);
    result.index.reset(new VectorIndex(std::move(impl)));
    return result;
}

} // namespace imago
