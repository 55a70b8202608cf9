#include "index_benchmark.h"

#include "vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/utils/distances.h>

#include <dlfcn.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>

extern "C" void sgemm_(); // only its address is taken, to name the library that provides it

namespace imago {

namespace {

void normalise(float *v, std::size_t dim)
{
    double n = 0;
    for (std::size_t j = 0; j < dim; ++j)
        n += double(v[j]) * v[j];
    const float inv = n > 0 ? float(1 / std::sqrt(n)) : 1.f;
    for (std::size_t j = 0; j < dim; ++j)
        v[j] *= inv;
}

std::vector<float> randomUnitVectors(std::size_t n, std::size_t dim, std::mt19937_64 &rng)
{
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<float> x(n * dim);
    for (auto &v : x)
        v = g(rng);
    for (std::size_t i = 0; i < n; ++i)
        normalise(x.data() + i * dim, dim);
    return x;
}

// n unit vectors around the given unit centres (a point's cosine to its centre ~0.75).
std::vector<float> clusteredUnitVectors(std::size_t n, std::size_t dim,
                                        const std::vector<float> &centres, std::mt19937_64 &rng)
{
    std::normal_distribution<float> g(0.f, 1.f);
    std::uniform_int_distribution<std::size_t> pick(0, centres.size() / dim - 1);
    const float sigma = 0.9f / std::sqrt(float(dim));
    std::vector<float> x(n * dim);
    for (std::size_t i = 0; i < n; ++i) {
        const float *centre = centres.data() + pick(rng) * dim;
        float *v = x.data() + i * dim;
        for (std::size_t j = 0; j < dim; ++j)
            v[j] = centre[j] + sigma * g(rng);
        normalise(v, dim);
    }
    return x;
}

std::string format(const char *fmt, double a, double b = 0, double c = 0)
{
    char buf[160];
    std::snprintf(buf, sizeof buf, fmt, a, b, c);
    return buf;
}

} // namespace

LatencyPercentiles measureLatency(std::size_t count, const std::function<void(std::size_t)> &call)
{
    for (std::size_t i = 0; i < std::min<std::size_t>(count, 5); ++i) // warm-up
        call(i);
    std::vector<double> ms(count);
    for (std::size_t i = 0; i < count; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        call(i);
        ms[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count();
    }
    if (ms.empty())
        return {};
    std::sort(ms.begin(), ms.end());
    auto at = [&](double q) {
        return ms[std::min(ms.size() - 1, std::size_t(q * double(ms.size())))];
    };
    return {at(0.5), at(0.95)};
}

std::vector<float> clusteredBenchmarkVectors(std::size_t n, int dim, std::size_t clusters,
                                             std::uint64_t centreSeed, std::uint64_t pointSeed)
{
    std::mt19937_64 centreRng(centreSeed), pointRng(pointSeed);
    const auto centres =
        randomUnitVectors(std::max<std::size_t>(1, clusters), std::size_t(dim), centreRng);
    return clusteredUnitVectors(n, std::size_t(dim), centres, pointRng);
}

IndexBenchmarkSystem indexBenchmarkSystem()
{
    IndexBenchmarkSystem s;
    Dl_info info = {};
    if (dladdr(reinterpret_cast<void *>(&sgemm_), &info) && info.dli_fname) {
        char resolved[PATH_MAX];
        s.blas = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
    }
    s.ompThreads = omp_get_max_threads();
    // Creating an index applies VectorIndex's setting.
    VectorIndex::createFlat(1);
    s.blasThreshold = faiss::distance_compute_blas_threshold;
    return s;
}

std::vector<IndexBenchmarkRow>
benchmarkVectorIndex(const IndexBenchmarkOptions &options,
                     const std::function<void(const IndexBenchmarkRow &)> &onRow)
{
    std::vector<IndexBenchmarkRow> rows;
    const std::size_t dim = std::size_t(options.dim);
    auto emit = [&](IndexBenchmarkRow row) {
        if (onRow)
            onRow(row);
        rows.push_back(std::move(row));
    };
    VectorIndex::createFlat(1); // applies the library's BLAS threshold
    const int savedThreshold = faiss::distance_compute_blas_threshold;
    for (std::size_t n : options.sizes) {
        std::mt19937_64 rng(options.seed + n);
        const std::vector<float> centres =
            randomUnitVectors(std::max<std::size_t>(16, n / 100), dim, rng);
        const std::vector<float> data = clusteredUnitVectors(n, dim, centres, rng);
        // Queries from the same distribution as the data, and (for IVF) random directions:
        // text queries sit somewhere between the two (the text-image "modality gap").
        const std::vector<float> queries = clusteredUnitVectors(options.queries, dim, centres, rng);
        const std::vector<float> farQueries = randomUnitVectors(options.queries, dim, rng);
        std::vector<std::int64_t> ids(n);
        std::iota(ids.begin(), ids.end(), 0);
        auto query = [&](std::size_t i) {
            return std::span<const float>(queries.data() + i * dim, dim);
        };

        // FAISS on its own, both ways.
        if (options.faissBaselines) {
            faiss::IndexFlatIP raw(options.dim);
            raw.add(faiss::Index::idx_t(n), data.data());
            std::vector<float> scores(options.k);
            std::vector<faiss::Index::idx_t> labels(options.k);
            auto rawSearch = [&](std::size_t i) {
                raw.search(1, query(i).data(), faiss::Index::idx_t(options.k), scores.data(),
                           labels.data());
            };
            faiss::distance_compute_blas_threshold = 20; // FAISS's default
            const LatencyPercentiles scalar = measureLatency(options.queries, rawSearch);
            emit({"flat, FAISS scalar scan (default)", n, options.dim, scalar.p50, scalar.p95, -1,
                  "distance_compute_blas_threshold 20: one query is a scalar loop"});
            faiss::distance_compute_blas_threshold = 1;
            const LatencyPercentiles blas = measureLatency(options.queries, rawSearch);
            emit({"flat, FAISS BLAS path (sgemm)", n, options.dim, blas.p50, blas.p95, -1,
                  format("distance_compute_blas_threshold 1: %.1fx the scalar scan",
                         scalar.p50 / std::max(blas.p50, 1e-9))});
            faiss::distance_compute_blas_threshold = savedThreshold;
        }
        auto flat = VectorIndex::createFlat(options.dim);
        flat->add(ids, data);
        const LatencyPercentiles ours = measureLatency(
            options.queries, [&](std::size_t i) { flat->search(query(i), options.k); });
        emit({"flat, VectorIndex (sgemv)", n, options.dim, ours.p50, ours.p95, -1,
              "what search() runs: one matrix-vector product + top-k heap"});

        if (!options.ivf)
            continue;
        IndexBuildOptions build;
        build.approximateThreshold = 0; // force IVF
        IndexBuildReport report;
        const auto ivf = VectorIndex::build(
            options.dim, n,
            [&](const VectorSink &sink) {
                for (std::size_t at = 0; at < n; at += 8192) {
                    const std::size_t m = std::min<std::size_t>(8192, n - at);
                    sink(std::span(ids).subspan(at, m), std::span(data).subspan(at * dim, m * dim));
                }
            },
            build, &report);
        auto recallOf = [&](const std::vector<float> &qs) {
            std::vector<std::vector<SearchHit>> exact, approx;
            for (std::size_t i = 0; i < options.queries; ++i) {
                const std::span<const float> q(qs.data() + i * dim, dim);
                exact.push_back(flat->search(q, options.k));
                approx.push_back(ivf->search(q, options.k));
            }
            return recallAtK(exact, approx, options.k);
        };
        const std::string built =
            format("nlist %.0f, nprobe %.0f, built and tuned in %.1f s", double(report.nlist),
                   double(report.nprobe), report.seconds);
        const LatencyPercentiles lat = measureLatency(
            options.queries, [&](std::size_t i) { ivf->search(query(i), options.k); });
        emit({"ivf, nprobe tuned", n, options.dim, lat.p50, lat.p95, recallOf(queries), built});
        const LatencyPercentiles farLat = measureLatency(options.queries, [&](std::size_t i) {
            ivf->search(std::span<const float>(farQueries.data() + i * dim, dim), options.k);
        });
        emit({"ivf, random-direction queries", n, options.dim, farLat.p50, farLat.p95,
              recallOf(farQueries), "queries unlike every stored vector: the worst case"});
    }
    return rows;
}

} // namespace imago
