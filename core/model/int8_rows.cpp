#include "int8_rows.h"
#include "runtime.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define IMAGO_INT8_ROWS_X86 1
#endif

// This file is built with -ffp-contract=off (CMakeLists.txt): the scaling of the integer sums
// must round the same way in every kernel, so no multiply-add may be fused in one of them.

namespace imago::flava {

namespace {

constexpr std::int64_t kBlock = Int8Rows::kColumnsPerBlock; // one AVX-512 register of int32
constexpr int kTileRows = 8;               // rows whose sums are kept in registers at once
constexpr std::int64_t kBlocksPerPass = 8; // ~100 KB of weights at 768 inputs: stays in L2

// std::nearbyint(v) in the default rounding mode (to nearest, ties to even) for |v| < 2^22,
// without a libm call per element: adding and removing 1.5 * 2^23 leaves no fraction bits.
// (-ffp-contract=off and no -ffast-math keep the compiler from folding it away.)
inline float roundEven(float v)
{
    return (v + 12582912.0f) - 12582912.0f;
}

// Rows of x as int16 pairs packed in int32 (the kernels broadcast one pair at a time).
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
                dst[i] =
                    static_cast<std::int16_t>(std::clamp(roundEven(src[i] * inv), -levels, levels));
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

// A block's weights: for each input pair p, 16 columns x 2 int8 (w[c][2p], w[c][2p + 1]).
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

using BlockKernel = void (*)(const std::int8_t *, const std::int32_t *, std::int64_t,
                             std::int32_t (*)[kBlock]);

#ifdef IMAGO_INT8_ROWS_X86
// The weights stream from memory once per query (85 MB for FLAVA's text encoder): asking for
// them 2 KB ahead took a 12-layer 8-row pass from 9.9 to 7.1 ms on a Zen 5 core.
constexpr std::int64_t kPrefetchAhead = 2048;
inline void prefetch(const std::int8_t *p)
{
    _mm_prefetch(reinterpret_cast<const char *>(p), _MM_HINT_T0);
}

// AVX2: the block as two halves of 8 columns, each an int32 register per row.
template<int Rows>
__attribute__((target("avx2"))) void avx2Block(const std::int8_t *w, const std::int32_t *x,
                                               std::int64_t pairCount, std::int32_t (*sums)[kBlock])
{
    for (int half = 0; half < 2; ++half) {
        __m256i acc[Rows];
#pragma GCC unroll 8
        for (int r = 0; r < Rows; ++r)
            acc[r] = _mm256_setzero_si256();
        const std::int8_t *wh = w + half * kBlock;
        for (std::int64_t p = 0; p < pairCount; ++p) {
            if (half == 0 && p % 2 == 0)
                prefetch(wh + p * 2 * kBlock + kPrefetchAhead);
            // 8 columns x 2 inputs of int8 -> int16; madd: per column w0*x0 + w1*x1 into int32.
            const __m256i wv = _mm256_cvtepi8_epi16(
                _mm_loadu_si128(reinterpret_cast<const __m128i *>(wh + p * 2 * kBlock)));
#pragma GCC unroll 8
            for (int r = 0; r < Rows; ++r)
                acc[r] = _mm256_add_epi32(
                    acc[r], _mm256_madd_epi16(wv, _mm256_set1_epi32(x[r * pairCount + p])));
        }
#pragma GCC unroll 8
        for (int r = 0; r < Rows; ++r)
            _mm256_storeu_si256(reinterpret_cast<__m256i *>(sums[r] + half * 8), acc[r]);
    }
}

// AVX512-VNNI: 16 columns a register, vpdpwssd multiplies and adds the pair in one step. Few
// rows get two chains each (even and odd pairs) so the adds' latency does not bound them.
template<int Rows>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
vnniBlock(const std::int8_t *w, const std::int32_t *x, std::int64_t pairCount,
          std::int32_t (*sums)[kBlock])
{
    constexpr int kChains = Rows <= 4 ? 2 : 1;
    __m512i acc[kChains][Rows];
#pragma GCC unroll 2
    for (int k = 0; k < kChains; ++k)
#pragma GCC unroll 8
        for (int r = 0; r < Rows; ++r)
            acc[k][r] = _mm512_setzero_si512();
    std::int64_t p = 0;
    for (; p + kChains <= pairCount; p += kChains)
#pragma GCC unroll 2
        for (int k = 0; k < kChains; ++k) {
            if ((p + k) % 2 == 0) // one 64-byte line holds two pairs
                prefetch(w + (p + k) * 2 * kBlock + kPrefetchAhead);
            const __m512i wv = _mm512_cvtepi8_epi16(
                _mm256_loadu_si256(reinterpret_cast<const __m256i *>(w + (p + k) * 2 * kBlock)));
#pragma GCC unroll 8
            for (int r = 0; r < Rows; ++r)
                acc[k][r] =
                    _mm512_dpwssd_epi32(acc[k][r], wv, _mm512_set1_epi32(x[r * pairCount + p + k]));
        }
    for (; p < pairCount; ++p) {
        const __m512i wv = _mm512_cvtepi8_epi16(
            _mm256_loadu_si256(reinterpret_cast<const __m256i *>(w + p * 2 * kBlock)));
#pragma GCC unroll 8
        for (int r = 0; r < Rows; ++r)
            acc[0][r] = _mm512_dpwssd_epi32(acc[0][r], wv, _mm512_set1_epi32(x[r * pairCount + p]));
    }
    for (int r = 0; r < Rows; ++r) {
        __m512i s = acc[0][r];
#pragma GCC unroll 2
        for (int k = 1; k < kChains; ++k)
            s = _mm512_add_epi32(s, acc[k][r]);
        _mm512_storeu_si512(sums[r], s);
    }
}

constexpr BlockKernel kAvx2Blocks[kTileRows + 1] = {
    nullptr,      avx2Block<1>, avx2Block<2>, avx2Block<3>, avx2Block<4>,
    avx2Block<5>, avx2Block<6>, avx2Block<7>, avx2Block<8>,
};
constexpr BlockKernel kVnniBlocks[kTileRows + 1] = {
    nullptr,      vnniBlock<1>, vnniBlock<2>, vnniBlock<3>, vnniBlock<4>,
    vnniBlock<5>, vnniBlock<6>, vnniBlock<7>, vnniBlock<8>,
};
#endif

// The kernels for tiles of 1..kTileRows rows, or null for the portable one.
const BlockKernel *blockKernels(Int8Rows::Kernel kernel)
{
#ifdef IMAGO_INT8_ROWS_X86
    const CpuFeatures &cpu = cpuFeatures();
    const bool vnni = cpu.avx512Vnni && cpu.avx512bw;
    switch (kernel) {
    case Int8Rows::Kernel::Best:
        return vnni ? kVnniBlocks : cpu.avx2 ? kAvx2Blocks : nullptr;
    case Int8Rows::Kernel::Avx2:
        return cpu.avx2 ? kAvx2Blocks : nullptr;
    case Int8Rows::Kernel::Portable:
        break;
    }
#endif
    (void)kernel;
    return nullptr;
}

} // namespace

bool Int8Rows::hasKernel(Kernel kernel)
{
    return kernel == Kernel::Portable || blockKernels(kernel) != nullptr;
}

Int8Rows::Int8Rows(const float *weight, std::int64_t out, std::int64_t in, const float *bias)
    : Int8Rows(
          out, in, [weight, in](std::int64_t row, float *) { return weight + row * in; }, bias)
{
}

Int8Rows::Int8Rows(std::int64_t out, std::int64_t in, const RowSource &weightRow, const float *bias)
    : m_out(out), m_in(in), m_pairs((in + 1) / 2),
      m_levels(
          int(std::min<std::int64_t>(32767, 2147483647 / (127 * std::max<std::int64_t>(in, 1)))))
{
    const std::int64_t blocks = (out + kBlock - 1) / kBlock;
    const std::int64_t padded = blocks * kBlock;
    const std::int64_t blockBytes = m_pairs * 2 * kBlock;
    // Not zero-filled (85 MB for the text encoder, written right after): only the padding is.
    std::shared_ptr<std::int8_t[]> packedStore(new std::int8_t[std::size_t(blocks * blockBytes)]);
    std::shared_ptr<float[]> scaleStore(new float[std::size_t(padded)]());
    std::shared_ptr<float[]> biasStore(new float[std::size_t(padded)]());
    std::int8_t *packed = packedStore.get();
    float *scales = scaleStore.get(), *biases = biasStore.get();
    m_packed = packedStore;
    m_scale = scaleStore;
    m_bias = biasStore;
    if (out < padded) // the last block's missing columns
        std::fill_n(packed + (blocks - 1) * blockBytes, blockBytes, std::int8_t(0));
    std::vector<float> scratch(static_cast<std::size_t>(in));
    for (std::int64_t o = 0; o < out; ++o) {
        const float *src = weightRow(o, scratch.data());
        float amax = 0;
        for (std::int64_t i = 0; i < in; ++i)
            amax = std::max(amax, std::abs(src[i]));
        const float scale = amax > 0 ? amax / 127.0f : 0.0f;
        const float inv = amax > 0 ? 127.0f / amax : 0.0f;
        scales[o] = scale;
        biases[o] = bias ? bias[o] : 0.0f;
        std::int8_t *blockBase = packed + (o / kBlock) * blockBytes + (o % kBlock) * 2;
        for (std::int64_t i = 0; i < in; ++i)
            blockBase[(i / 2) * 2 * kBlock + (i % 2)] =
                static_cast<std::int8_t>(std::clamp(roundEven(src[i] * inv), -127.0f, 127.0f));
        if (in % 2) // an odd input count: the last pair's second weight
            blockBase[(m_pairs - 1) * 2 * kBlock + 1] = 0;
    }
}

namespace {

// The serialized form: a 64-byte header, then scale[padded], bias[padded] and the packed
// weights, each starting at a multiple of 64 bytes.
constexpr char kSerialMagic[8] = {'I', 'N', 'T', '8', 'R', 'O', 'W', '1'};
struct SerialHeader
{
    char magic[8];
    std::int64_t out, in, columnsPerBlock;
    std::int32_t levels, reserved;
    char padding[24];
};
static_assert(sizeof(SerialHeader) == 64);

constexpr std::size_t roundUp64(std::size_t n)
{
    return (n + 63) / 64 * 64;
}

} // namespace

std::size_t Int8Rows::serializedSize() const
{
    const std::size_t padded = std::size_t(blockCount() * kBlock);
    return sizeof(SerialHeader) + 2 * roundUp64(padded * sizeof(float)) +
           roundUp64(padded * std::size_t(m_pairs) * 2);
}

void Int8Rows::serialize(std::uint8_t *out) const
{
    std::memset(out, 0, serializedSize());
    SerialHeader h{};
    std::memcpy(h.magic, kSerialMagic, sizeof h.magic);
    h.out = m_out;
    h.in = m_in;
    h.columnsPerBlock = kBlock;
    h.levels = m_levels;
    std::memcpy(out, &h, sizeof h);
    const std::size_t padded = std::size_t(blockCount() * kBlock);
    std::uint8_t *at = out + sizeof h;
    std::memcpy(at, m_scale.get(), padded * sizeof(float));
    at += roundUp64(padded * sizeof(float));
    std::memcpy(at, m_bias.get(), padded * sizeof(float));
    at += roundUp64(padded * sizeof(float));
    std::memcpy(at, m_packed.get(), padded * std::size_t(m_pairs) * 2);
}

Int8Rows Int8Rows::fromSerialized(const std::uint8_t *bytes, std::size_t size,
                                  std::shared_ptr<const void> owner)
{
    SerialHeader h{};
    if (size < sizeof h)
        throw std::runtime_error("an int8 map's header is cut short");
    std::memcpy(&h, bytes, sizeof h);
    if (std::memcmp(h.magic, kSerialMagic, sizeof h.magic) != 0 || h.columnsPerBlock != kBlock ||
        h.out < 0 || h.in < 0 || h.out > (std::int64_t(1) << 24) || h.in > (std::int64_t(1) << 24))
        throw std::runtime_error("not an int8 map of this version");
    Int8Rows r;
    r.m_out = h.out;
    r.m_in = h.in;
    r.m_pairs = (h.in + 1) / 2;
    r.m_levels =
        int(std::min<std::int64_t>(32767, 2147483647 / (127 * std::max<std::int64_t>(h.in, 1))));
    if (h.levels != r.m_levels)
        throw std::runtime_error("an int8 map with other activation levels");
    if (reinterpret_cast<std::uintptr_t>(bytes) % 64 != 0 || r.serializedSize() != size)
        throw std::runtime_error("an int8 map of the wrong size or alignment");
    const std::size_t padded = std::size_t(r.blockCount() * kBlock);
    const std::uint8_t *at = bytes + sizeof h;
    r.m_scale = std::shared_ptr<const float[]>(owner, reinterpret_cast<const float *>(at));
    at += roundUp64(padded * sizeof(float));
    r.m_bias = std::shared_ptr<const float[]>(owner, reinterpret_cast<const float *>(at));
    at += roundUp64(padded * sizeof(float));
    r.m_packed =
        std::shared_ptr<const std::int8_t[]>(owner, reinterpret_cast<const std::int8_t *>(at));
    return r;
}

std::int8_t Int8Rows::weight(std::int64_t o, std::int64_t i) const
{
    return m_packed[std::size_t((o / kBlock) * m_pairs * 2 * kBlock + (i / 2) * 2 * kBlock +
                                (o % kBlock) * 2 + (i % 2))];
}

std::int64_t Int8Rows::blockCount() const
{
    return (m_out + kBlock - 1) / kBlock;
}

void Int8Rows::apply(const float *x, std::int64_t rows, float *y, const ParallelFor &parallel,
                     Kernel kernel) const
{
    if (rows <= 0 || m_out == 0)
        return;
    const QuantizedRows q = quantizeRows(x, rows, m_in, m_pairs, float(m_levels));
    const BlockKernel *kernels = blockKernels(kernel);

    auto run = [&](std::int64_t blockBegin, std::int64_t blockEnd) {
        std::int32_t sums[kTileRows][kBlock];
        for (std::int64_t pass = blockBegin; pass < blockEnd; pass += kBlocksPerPass) {
            const std::int64_t passEnd = std::min(blockEnd, pass + kBlocksPerPass);
            for (std::int64_t r0 = 0; r0 < rows; r0 += kTileRows) {
                const int tile = int(std::min<std::int64_t>(kTileRows, rows - r0));
                const std::int32_t *xt = q.pairs.data() + r0 * m_pairs;
                for (std::int64_t b = pass; b < passEnd; ++b) {
                    const std::int8_t *w = m_packed.get() + b * m_pairs * 2 * kBlock;
                    if (kernels)
                        kernels[tile](w, xt, m_pairs, sums);
                    else
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
        parallel(blockCount(), run);
    else
        run(0, blockCount());
}

} // namespace imago::flava
