#include "resize.h"

#include <QtGlobal>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>

#if defined(__SSE2__) && !defined(IMAGO_RESIZE_NO_SIMD)
#include <emmintrin.h>
#endif

namespace imago {

namespace {

constexpr std::int32_t kHalf = 1 << (BicubicTaps::kPrecisionBits - 1);

// Pillow's bicubic_filter with a = -0.5; the operation order is kept as written there so the
// double results, and therefore the rounded taps, are identical.
double bicubicKernel(double x)
{
    constexpr double a = -0.5;
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

inline std::uint8_t clip8(std::int32_t acc)
{
    const std::int32_t v = acc >> BicubicTaps::kPrecisionBits; // arithmetic shift (C++20)
    return static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// The last few tap sets of this thread. Shared ownership so that fetching the vertical taps
// cannot free the horizontal ones still in use.
std::shared_ptr<const BicubicTaps> cachedTaps(int inSize, int outSize)
{
    constexpr std::size_t kEntries = 8;
    thread_local std::array<std::shared_ptr<const BicubicTaps>, kEntries> cache;
    thread_local std::size_t next = 0;
    for (const auto &entry : cache) {
        if (entry && entry->inSize() == inSize && entry->outSize() == outSize)
            return entry;
    }
    auto taps = std::make_shared<const BicubicTaps>(inSize, outSize);
    cache[next] = taps;
    next = (next + 1) % kEntries;
    return taps;
}

#if defined(__SSE2__) && !defined(IMAGO_RESIZE_NO_SIMD)

// Width pass, SSE2 (every x86-64 CPU). A 22-bit tap does not fit the 16-bit multiplier, so
// each is split exactly as k = hi * 2^11 + lo with lo in [0, 2^11): _mm_madd_epi16 then
// multiplies and adds two taps of all three channels at once, twice (hi and lo), and
// (hi_sum << 11) + lo_sum is the scalar sum. Integer arithmetic, so the result is the same
// bits as the plain loop below; lane wrap-around in the partial sums cancels because the
// final sum fits in 32 bits, which Pillow's own int32 accumulator requires too.
// About twice as fast as the scalar loop on a 12 MP photo (60 -> 30 ms for 4000x3000 -> 224).
void horizontalPass(const std::uint8_t *src, int srcWidth, int rows, std::uint8_t *dst,
                    const BicubicTaps &taps)
{
    const int outWidth = taps.outSize();
    // Per output: its taps two by two, packed (k[j] | k[j+1] << 16) as hi and as lo halves.
    std::vector<std::int32_t> hiPairs, loPairs;
    std::vector<int> pairBegin(std::size_t(outWidth) + 1);
    const auto pack = [](std::int32_t a, std::int32_t b) {
        return std::int32_t(std::uint32_t(std::uint16_t(a)) | std::uint32_t(std::uint16_t(b))
                                                                  << 16);
    };
    for (int xx = 0; xx < outWidth; ++xx) {
        pairBegin[std::size_t(xx)] = int(hiPairs.size());
        const std::int32_t *k = taps.weights(xx);
        const int n = taps.count(xx);
        for (int j = 0; j < n; j += 2) {
            const std::int32_t k0 = k[j], k1 = j + 1 < n ? k[j + 1] : 0;
            hiPairs.push_back(pack(k0 >> 11, k1 >> 11));
            loPairs.push_back(pack(k0 & 0x7FF, k1 & 0x7FF));
        }
    }
    pairBegin[std::size_t(outWidth)] = int(hiPairs.size());

    // Each row is copied to 4 bytes per pixel so two pixels load as one 8-byte word. The 4th
    // byte is whatever follows (it only meets the taps in the unused 4th lane); one pixel of
    // zero padding covers the zero tap added to an odd tap count.
    std::vector<std::uint8_t> row4(std::size_t(srcWidth + 1) * 4, 0);
    const std::size_t srcRow = std::size_t(srcWidth) * 3, dstRow = std::size_t(outWidth) * 3;
    const __m128i zero = _mm_setzero_si128();
    const __m128i half = _mm_set1_epi32(kHalf);
    for (int y = 0; y < rows; ++y) {
        const std::uint8_t *s = src + std::size_t(y) * srcRow;
        std::uint8_t *w = row4.data();
        for (int x = 0; x + 1 < srcWidth; ++x)
            std::memcpy(w + 4 * x, s + 3 * x, 4);
        std::memcpy(w + 4 * (srcWidth - 1), s + 3 * (srcWidth - 1), 3);

        std::uint8_t *d = dst + std::size_t(y) * dstRow;
        for (int xx = 0; xx < outWidth; ++xx, d += 3) {
            const std::uint8_t *p = row4.data() + std::size_t(taps.first(xx)) * 4;
            __m128i accHi = zero, accLo = zero;
            const int end = pairBegin[std::size_t(xx) + 1];
            for (int pr = pairBegin[std::size_t(xx)]; pr < end; ++pr, p += 8) {
                // r0 g0 b0 x0 r1 g1 b1 x1 -> r0 r1 g0 g1 b0 b1 x0 x1 (16-bit lanes)
                const __m128i v =
                    _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(p)), zero);
                const __m128i pairs = _mm_unpacklo_epi16(v, _mm_unpackhi_epi64(v, v));
                accHi = _mm_add_epi32(
                    accHi, _mm_madd_epi16(pairs, _mm_set1_epi32(hiPairs[std::size_t(pr)])));
                accLo = _mm_add_epi32(
                    accLo, _mm_madd_epi16(pairs, _mm_set1_epi32(loPairs[std::size_t(pr)])));
            }
            const __m128i sum =
                _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(accHi, 11), accLo), half);
            alignas(16) std::int32_t lanes[4];
            _mm_store_si128(reinterpret_cast<__m128i *>(lanes), sum);
            d[0] = clip8(lanes[0]);
            d[1] = clip8(lanes[1]);
            d[2] = clip8(lanes[2]);
        }
    }
}

#else

// Width pass: every row of src (srcWidth pixels) into dst (taps.outSize() pixels).
void horizontalPass(const std::uint8_t *src, int srcWidth, int rows, std::uint8_t *dst,
                    const BicubicTaps &taps)
{
    const int outWidth = taps.outSize();
    const std::size_t srcRow = std::size_t(srcWidth) * 3, dstRow = std::size_t(outWidth) * 3;
    for (int y = 0; y < rows; ++y) {
        const std::uint8_t *s = src + std::size_t(y) * srcRow;
        std::uint8_t *d = dst + std::size_t(y) * dstRow;
        for (int xx = 0; xx < outWidth; ++xx, d += 3) {
            const std::int32_t *k = taps.weights(xx);
            const std::uint8_t *p = s + std::size_t(taps.first(xx)) * 3;
            const int n = taps.count(xx);
            std::int32_t r = kHalf, g = kHalf, b = kHalf;
            for (int j = 0; j < n; ++j, p += 3) {
                r += std::int32_t(p[0]) * k[j];
                g += std::int32_t(p[1]) * k[j];
                b += std::int32_t(p[2]) * k[j];
            }
            d[0] = clip8(r);
            d[1] = clip8(g);
            d[2] = clip8(b);
        }
    }
}

#endif

// Height pass: src has taps.inSize() rows of rowBytes bytes; dst gets taps.outSize() rows.
// Rows are combined whole, so the inner loop runs over contiguous bytes and vectorises.
void verticalPass(const std::uint8_t *src, std::size_t rowBytes, std::uint8_t *dst,
                  const BicubicTaps &taps)
{
    std::vector<std::int32_t> acc(rowBytes);
    for (int yy = 0; yy < taps.outSize(); ++yy) {
        std::fill(acc.begin(), acc.end(), kHalf);
        const std::int32_t *k = taps.weights(yy);
        const int n = taps.count(yy);
        for (int j = 0; j < n; ++j) {
            const std::uint8_t *s = src + std::size_t(taps.first(yy) + j) * rowBytes;
            const std::int32_t kj = k[j];
            std::int32_t *a = acc.data();
            for (std::size_t i = 0; i < rowBytes; ++i)
                a[i] += std::int32_t(s[i]) * kj;
        }
        std::uint8_t *d = dst + std::size_t(yy) * rowBytes;
        for (std::size_t i = 0; i < rowBytes; ++i)
            d[i] = clip8(acc[i]);
    }
}

} // namespace

BicubicTaps::BicubicTaps(int inSize, int outSize) : m_inSize(inSize), m_outSize(outSize)
{
    Q_ASSERT(inSize > 0 && outSize > 0);
    // Pillow's precompute_coeffs + normalize_coeffs_8bpc, in the same double arithmetic.
    const double scale = double(inSize) / outSize;
    const double filterScale = std::max(scale, 1.0);
    const double support = 2.0 * filterScale;
    const double invFilterScale = 1.0 / filterScale; // Pillow multiplies by 1/fs, not / fs
    m_stride = std::size_t(std::ceil(support)) * 2 + 1;
    m_first.resize(std::size_t(outSize));
    m_count.resize(std::size_t(outSize));
    m_weights.assign(std::size_t(outSize) * m_stride, 0);

    std::vector<double> w(m_stride);
    for (int xx = 0; xx < outSize; ++xx) {
        const double center = (xx + 0.5) * scale;
        const int xmin = std::max(0, int(center - support + 0.5)); // C truncation, as Pillow
        const int xmax = std::min(inSize, int(center + support + 0.5));
        const int n = std::max(0, std::min(xmax - xmin, int(m_stride)));
        double total = 0.0;
        for (int x = 0; x < n; ++x) {
            w[std::size_t(x)] = bicubicKernel((x + xmin - center + 0.5) * invFilterScale);
            total += w[std::size_t(x)];
        }
        std::int32_t *k = m_weights.data() + std::size_t(xx) * m_stride;
        for (int x = 0; x < n; ++x) {
            double v = w[std::size_t(x)];
            if (total != 0.0)
                v /= total;
            const double scaled = v * double(1 << kPrecisionBits);
            k[x] = std::int32_t(v < 0 ? -0.5 + scaled : 0.5 + scaled);
        }
        m_first[std::size_t(xx)] = xmin;
        m_count[std::size_t(xx)] = n;
    }
}

RgbImage resizeBicubic(const RgbImage &src, int outWidth, int outHeight)
{
    Q_ASSERT(src.pixels.size() == src.byteCount());
    if (src.isEmpty() || outWidth <= 0 || outHeight <= 0)
        return {};
    if (outWidth == src.width && outHeight == src.height)
        return src;

    RgbImage horizontal;
    const RgbImage *stage = &src;
    if (outWidth != src.width) {
        horizontal.width = outWidth;
        horizontal.height = src.height;
        horizontal.pixels.resize(horizontal.byteCount());
        horizontalPass(src.pixels.data(), src.width, src.height, horizontal.pixels.data(),
                       *cachedTaps(src.width, outWidth));
        stage = &horizontal;
    }
    if (outHeight == stage->height)
        return horizontal; // only reached when the width pass ran

    RgbImage out;
    out.width = outWidth;
    out.height = outHeight;
    out.pixels.resize(out.byteCount());
    verticalPass(stage->pixels.data(), stage->rowBytes(), out.pixels.data(),
                 *cachedTaps(stage->height, outHeight));
    return out;
}

} // namespace imago
