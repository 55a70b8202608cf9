#include "int8_rows.h"
#include "runtime.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define IMAGO_INT8_ROWS_AVX2 1
#endif

// This file is built with -ffp-contract=off (CMakeLists.txt): the scaling of the integer sums
// must round the same way in both kernels, so no multiply-add may be fused in one of them.

namespace imago::flava {

namespace {

constexpr std::int64_t kBlock = 8;          // output columns per block (one AVX2 register of int32)
constexpr int kTileRows = 8;                // rows whose sums are kept in registers at once
constexpr std::int64_t kBlocksPerPass = 16; // ~100 KB of weights at 768 inputs: stays in L2

// Rows of x as int16 pairs packed in int32 (the AVX2 kernel broadcasts one pair at a time).
struct QuantizedRows
{
    std::vector<std::int32_t> pairs; // [rows][pairCount]
    std::vector<float> scale;        // [rows]
};

QuantizedRows quantizeRows(const float *x, std::int64_t rows, std::int64_t in,
                           std::int64_t pairCount, float levels)
{
    QuantizedRows q;
    q.pairs.assign(std::size_t(rows * pairCount), 0);
    q.scale.assign(std::size_t(rows), 0.0f);
    for (std::int64_t r = 0; r < rows; ++r) {
        const float *src = x + r * in;
        auto *dst = reinterpret_cast<std::int16_t *>(q.pairs.data() + r * pairCount);
        float amax = 0;
        bool finite = true;
        for (std::int64_t i = 0; i < in; ++i) {
            finite = finite && std::isfinite(src[i]);
            amax = std::max(amax, std::abs(src[i]));
        }
        if (!finite) {
            // NaN or inf in: NaN out (0 * NaN), as the float product would give.
            q.scale[std::size_t(r)] = std::numeric_limits<float>::quiet_NaN();
        } else if (amax > 0) {
            const float inv = levels / amax;
            for (std::int64_t i = 0; i < in; ++i)
                dst[i] = static_cast<std::int16_t>(
                    std::clamp(std::nearbyint(src[i] * inv), -levels, levels));
            q.scale[std::size_t(r)] = amax / levels;
        }
    }
    return q;
}

// Writes one block's sums for `count` rows: y = float(sum) * (sx * sw) + b.
void storeBlock(const std::int32_t (*sums)[kBlock], int count, const float *rowScale,
                const float *colScale, const float *bias, float *y, std::int64_t yStride,
                std::int64_t columns)
{
    for (int r = 0; r < count; ++r) {
        for (std::int64_t c = 0; c < columns; ++c) {
            const float s = rowScale[r] * colScale[c];
            const float v = float(sums[r][c]) * s;
            y[r * yStride + c] = v + bias[c];
        }
    }
}

void portableBlock(const std::int8_t *w, const std::int32_t *x, std::int64_t pairCount, int rows,
                   std::int32_t (*sums)[kBlock])
{
    for (int r = 0; r < rows; ++r) {
        const auto *xr = reinterpret_cast<const std::int16_t *>(x + r * pairCount);
        for (std::int64_t c = 0; c < kBlock; ++c) {
            std::int32_t s = 0;
            for (std::int64_t p = 0; p < pairCount; ++p) {
                const std::int8_t *wp = w + p * 2 * kBlock + c * 2;
                s += std::int32_t(wp[0]) * xr[2 * p] + std::int32_t(wp[1]) * xr[2 * p + 1];
            }
            sums[r][c] = s;
        }
    }
}

#ifdef IMAGO_INT8_ROWS_AVX2
template<int Rows>
__attribute__((target("avx2"))) void avx2Block(const std::int8_t *w, const std::int32_t *x,
                                               std::int64_t pairCount, std::int32_t (*sums)[kBlock])
{
    __m256i acc[Rows];
    for (int r = 0; r < Rows; ++r)
        acc[r] = _mm256_setzero_si256();
    for (std::int64_t p = 0; p < pairCount; ++p) {
        // 8 columns x 2 inputs of int8 -> int16; madd: per column w0*x0 + w1*x1 into int32.
        const __m256i wv = _mm256_cvtepi8_epi16(
            _mm_loadu_si128(reinterpret_cast<const __m128i *>(w + p * 2 * kBlock)));
        for (int r = 0; r < Rows; ++r)
            acc[r] = _mm256_add_epi32(
                acc[r], _mm256_madd_epi16(wv, _mm256_set1_epi32(x[r * pairCount + p])));
    }
    for (int r = 0; r < Rows; ++r)
        _mm256_storeu_si256(reinterpret_cast<__m256i *>(sums[r]), acc[r]);
}

using Avx2Block = void (*)(const std::int8_t *, const std::int32_t *, std::int64_t,
                           std::int32_t (*)[kBlock]);
constexpr Avx2Block kAvx2Blocks[kTileRows + 1] = {
    nullptr,      avx2Block<1>, avx2Block<2>, avx2Block<3>, avx2Block<4>,
    avx2Block<5>, avx2Block<6>, avx2Block<7>, avx2Block<8>,
};
#endif

} // namespace

Int8Rows::Int8Rows(const float *weight, std::int64_t out, std::int64_t in, const float *bias)
    : m_out(out), m_in(in), m_pairs((in + 1) / 2),
      m_levels(
          int(std::min<std::int64_t>(32767, 2147483647 / (127 * std::max<std::int64_t>(in, 1)))))
{
    const std::int64_t blocks = (out + kBlock - 1) / kBlock;
    const std::int64_t padded = blocks * kBlock;
    m_packed.reset(new std::int8_t[std::size_t(blocks * m_pairs * 2 * kBlock)]());
    m_scale.reset(new float[std::size_t(padded)]());
    m_bias.reset(new float[std::size_t(padded)]());
    std::int8_t *packed = m_packed.get();
    for (std::int64_t o = 0; o < out; ++o) {
        const float *src = weight + o * in;
        float amax = 0;
        for (std::int64_t i = 0; i < in; ++i)
            amax = std::max(amax, std::abs(src[i]));
        const float scale = amax > 0 ? amax / 127.0f : 0.0f;
        const float inv = amax > 0 ? 127.0f / amax : 0.0f;
        m_scale[std::size_t(o)] = scale;
        m_bias[std::size_t(o)] = bias ? bias[o] : 0.0f;
        std::int8_t *blockBase = packed + (o / kBlock) * m_pairs * 2 * kBlock + (o % kBlock) * 2;
        for (std::int64_t i = 0; i < in; ++i)
            blockBase[(i / 2) * 2 * kBlock + (i % 2)] =
                static_cast<std::int8_t>(std::clamp(std::nearbyint(src[i] * inv), -127.0f, 127.0f));
    }
}

std::int8_t Int8Rows::weight(std::int64_t o, std::int64_t i) const
{
    return m_packed[std::size_t((o / kBlock) * m_pairs * 2 * kBlock + (i / 2) * 2 * kBlock +
                                (o % kBlock) * 2 + (i % 2))];
}

void Int8Rows::apply(const float *x, std::int64_t rows, float *y, const ParallelFor &parallel,
                     Kernel kernel) const
{
    if (rows <= 0 || m_out == 0)
        return;
    const QuantizedRows q = quantizeRows(x, rows, m_in, m_pairs, float(m_levels));
    const std::int64_t blocks = (m_out + kBlock - 1) / kBlock;
    [[maybe_unused]] const bool avx2 = kernel == Kernel::Best && cpuFeatures().avx2;

    auto run = [&](std::int64_t blockBegin, std::int64_t blockEnd) {
        std::int32_t sums[kTileRows][kBlock];
        for (std::int64_t pass = blockBegin; pass < blockEnd; pass += kBlocksPerPass) {
            const std::int64_t passEnd = std::min(blockEnd, pass + kBlocksPerPass);
            for (std::int64_t r0 = 0; r0 < rows; r0 += kTileRows) {
                const int tile = int(std::min<std::int64_t>(kTileRows, rows - r0));
                const std::int32_t *xt = q.pairs.data() + r0 * m_pairs;
                for (std::int64_t b = pass; b < passEnd; ++b) {
                    const std::int8_t *w = m_packed.get() + b * m_pairs * 2 * kBlock;
#ifdef IMAGO_INT8_ROWS_AVX2
                    if (avx2)
                        kAvx2Blocks[tile](w, xt, m_pairs, sums);
                    else
#endif
                        portableBlock(w, xt, m_pairs, tile, sums);
                    const std::int64_t col = b * kBlock;
                    storeBlock(sums, tile, q.scale.data() + r0, m_scale.get() + col,
                               m_bias.get() + col, y + r0 * m_out + col, m_out,
                               std::min(kBlock, m_out - col));
                }
            }
        }
    };
    if (parallel)
        parallel(blocks, run);
    else
        run(0, blocks);
}

} // namespace imago::flava
