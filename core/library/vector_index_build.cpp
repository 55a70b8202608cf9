// VectorIndex::build: the right kind for the vector count; for IVF, the coarse quantizer trained
// on a uniform random sample of the whole stream (reservoir sampling: with the merged catalog
// of a sharded run, a sample across every shard, not its first vectors), then nprobe tuned
// against exact search.
#include "vector_index_impl.h"

#include <faiss/utils/distances.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <stdexcept>
#include <unordered_set>

namespace imago {

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

} // namespace imago
