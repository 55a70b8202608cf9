#include "exact_scan.h"

#include <algorithm>

// Fortran BLAS, as FAISS itself declares it (LP64: 32-bit integers).
extern "C" int sgemv_(const char *trans, const int *m, const int *n, const float *alpha,
                      const float *a, const int *lda, const float *x, const int *incx,
                      const float *beta, float *y, const int *incy);

namespace imago {

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

} // namespace imago
