#include "vector_index_impl.h"

#include "exact_scan.h"

#include <faiss/impl/IDSelector.h>
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_set>

namespace imago {

namespace {

void ensureBlasForSingleQueries()
{
    static std::once_flag once;
    std::call_once(once, [] { faiss::distance_compute_blas_threshold = 1; });
}

} // namespace

void VectorIndex::Impl::vectorOf(std::int64_t id, float *out) const
{
    if (kind == IndexKind::Flat) {
        const idx_t pos = idMap()->rev_map.at(id);
        std::memcpy(out, flat()->get_xb() + std::size_t(pos) * std::size_t(dim),
                    sizeof(float) * std::size_t(dim));
    } else {
        ivf()->reconstruct(id, out);
    }
}

std::vector<SearchHit> VectorIndex::Impl::searchLocked(const float *query, std::size_t k) const
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

std::vector<SearchHit>
VectorIndex::Impl::searchSubset(const float *query, std::size_t k,
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

const char *indexKindName(IndexKind kind)
{
    return kind == IndexKind::Ivf ? "ivf" : "flat";
}

} // namespace imago
