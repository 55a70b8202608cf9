#include "perceptual_hash.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>

namespace imago {

namespace {

constexpr int kGrid = 32;   // the area-averaged block is kGrid x kGrid
constexpr int kLowFreq = 8; // the hash uses the kLowFreq x kLowFreq lowest DCT frequencies
constexpr int kCells = 4;   // the colour layout is kCells x kCells
constexpr int kFixedOne = 1000;

// A crop window in thousandths of the side cut off the left, top, right, bottom.
struct Window
{
    int left, top, right, bottom;
};
constexpr Window kWindows[kPerceptualHashWindows] = {
    {0, 0, 0, 0}, {50, 0, 0, 0}, {0, 50, 0, 0}, {0, 0, 50, 0}, {0, 0, 0, 50}, {25, 25, 25, 25},
};

// cos(k * pi / 64) for k = 0..32, as literals so that no libm (whose last bit may depend on the
// CPU's code path) enters the result.
constexpr double kCos[33] = {
    1.0,
    0.9987954562051724,
    0.9951847266721969,
    0.989176509964781,
    0.9807852804032304,
    0.970031253194544,
    0.9569403357322088,
    0.9415440651830208,
    0.9238795325112867,
    0.9039892931234433,
    0.881921264348355,
    0.8577286100002721,
    0.8314696123025452,
    0.8032075314806449,
    0.773010453362737,
    0.7409511253549591,
    0.7071067811865476,
    0.6715589548470183,
    0.6343932841636455,
    0.5956993044924335,
    0.5555702330196023,
    0.5141027441932217,
    0.4713967368259978,
    0.4275550934302822,
    0.38268343236508984,
    0.33688985339222005,
    0.29028467725446233,
    0.24298017990326398,
    0.19509032201612833,
    0.14673047445536175,
    0.09801714032956077,
    0.049067674327418126,
    0.0,
};

// cos(k * pi / 64) for any k >= 0.
double cosPi64(int k)
{
    k %= 128;
    if (k > 64)
        k = 128 - k;
    return k > 32 ? -kCos[64 - k] : kCos[k];
}

// The orthonormal DCT-II basis: sqrt(1/32) for u == 0, else sqrt(2/32) cos(pi (2x+1) u / 64).
double basis(int u, int x)
{
    constexpr double kDcScale = 0.17677669529663687; // sqrt(1/32)
    return u == 0 ? kDcScale : 0.25 * cosPi64((2 * x + 1) * u);
}

// Exact area average of a window onto kGrid x kGrid cells, in integers: input pixel j covers
// [j * kGrid, (j + 1) * kGrid) and output cell i covers [i * W, (i + 1) * W) in the same units,
// so every overlap weight is an integer and the sums are exact, whatever the order.
// Y, Cb, Cr are BT.601 full-range, times kFixedOne; planes are row-major [kGrid * kGrid].
struct Planes
{
    std::array<double, kGrid * kGrid> y{}, cb{}, cr{};
};

Planes areaAverage(const RgbImage &image, int x0, int y0, int w, int h, bool withChroma)
{
    std::array<std::int64_t, kGrid * kGrid> accY{}, accCb{}, accCr{};
    std::array<std::int64_t, kGrid> rowY{}, rowCb{}, rowCr{};
    for (int y = 0; y < h; ++y) {
        const std::uint8_t *row = image.pixels.data() + std::size_t(y0 + y) * image.rowBytes() +
                                  std::size_t(x0) * RgbImage::kChannels;
        rowY.fill(0);
        rowCb.fill(0);
        rowCr.fill(0);
        for (int i = 0; i < kGrid; ++i) {
            const std::int64_t lo = std::int64_t(i) * w, hi = std::int64_t(i + 1) * w;
            for (std::int64_t j = lo / kGrid; j * kGrid < hi; ++j) {
                const std::int64_t weight = std::min((j + 1) * kGrid, hi) - std::max(j * kGrid, lo);
                const std::uint8_t *p = row + j * RgbImage::kChannels;
                const int r = p[0], g = p[1], b = p[2];
                rowY[std::size_t(i)] += weight * (299 * r + 587 * g + 114 * b);
                if (withChroma) {
                    rowCb[std::size_t(i)] += weight * (-169 * r - 331 * g + 500 * b);
                    rowCr[std::size_t(i)] += weight * (500 * r - 419 * g - 81 * b);
                }
            }
        }
        const std::int64_t lo = std::int64_t(y) * kGrid, hi = std::int64_t(y + 1) * kGrid;
        for (std::int64_t r = lo / h; r * h < hi; ++r) {
            const std::int64_t weight = std::min((r + 1) * h, hi) - std::max(r * h, lo);
            for (int i = 0; i < kGrid; ++i) {
                const std::size_t k = std::size_t(r * kGrid + i);
                accY[k] += weight * rowY[std::size_t(i)];
                if (withChroma) {
                    accCb[k] += weight * rowCb[std::size_t(i)];
                    accCr[k] += weight * rowCr[std::size_t(i)];
                }
            }
        }
    }
    Planes planes;
    const double scale = 1.0 / (double(w) * double(h) * kFixedOne);
    for (std::size_t k = 0; k < accY.size(); ++k) {
        planes.y[k] = double(accY[k]) * scale;
        planes.cb[k] = double(accCb[k]) * scale;
        planes.cr[k] = double(accCr[k]) * scale;
    }
    return planes;
}

// The kLowFreq x kLowFreq lowest 2-D DCT-II coefficients of a plane, [u * kLowFreq + v] with u
// the vertical frequency. Sums run in a fixed order.
std::array<double, kLowFreq * kLowFreq> lowFrequencies(const std::array<double, kGrid * kGrid> &p)
{
    std::array<double, kLowFreq * kGrid> columns{}; // [u][x] = sum_y basis(u, y) p[y][x]
    for (int u = 0; u < kLowFreq; ++u)
        for (int x = 0; x < kGrid; ++x) {
            double s = 0;
            for (int y = 0; y < kGrid; ++y)
                s += basis(u, y) * p[std::size_t(y * kGrid + x)];
            columns[std::size_t(u * kGrid + x)] = s;
        }
    std::array<double, kLowFreq * kLowFreq> out{};
    for (int u = 0; u < kLowFreq; ++u)
        for (int v = 0; v < kLowFreq; ++v) {
            double s = 0;
            for (int x = 0; x < kGrid; ++x)
                s += basis(v, x) * columns[std::size_t(u * kGrid + x)];
            out[std::size_t(u * kLowFreq + v)] = s;
        }
    return out;
}

// Bit k (k = 0..62) is set when AC coefficient k + 1 (row-major, DC skipped) is above the
// median of the 63; bit 63 stays clear. Also returns the largest |AC|, the flatness test.
std::uint64_t medianBits(const std::array<double, kLowFreq * kLowFreq> &c, double *largestAc)
{
    std::array<double, kLowFreq * kLowFreq - 1> ac{};
    std::copy(c.begin() + 1, c.end(), ac.begin());
    std::array<double, ac.size()> sorted = ac;
    std::sort(sorted.begin(), sorted.end());
    const double median = sorted[sorted.size() / 2];
    std::uint64_t bits = 0;
    double largest = 0;
    for (std::size_t k = 0; k < ac.size(); ++k) {
        if (ac[k] > median)
            bits |= std::uint64_t(1) << k;
        largest = std::max(largest, std::abs(ac[k]));
    }
    if (largestAc)
        *largestAc = largest;
    return bits;
}

std::uint8_t clampByte(double v)
{
    return std::uint8_t(std::clamp(std::lround(v), 0L, 255L));
}

} // namespace

PerceptualHash perceptualHash(const RgbImage &image)
{
    PerceptualHash hash;
    if (image.width < kPerceptualHashMinSide || image.height < kPerceptualHashMinSide ||
        image.pixels.size() < image.byteCount())
        return hash;
    hash.width = image.width;
    hash.height = image.height;
    for (int k = 0; k < kPerceptualHashWindows; ++k) {
        const Window &win = kWindows[k];
        const auto cut = [](int side, int thousandths) {
            return (side * thousandths + 500) / 1000;
        };
        const int x0 = cut(image.width, win.left), x1 = image.width - cut(image.width, win.right);
        const int y0 = cut(image.height, win.top),
                  y1 = image.height - cut(image.height, win.bottom);
        const Planes planes = areaAverage(image, x0, y0, x1 - x0, y1 - y0, k == 0);
        double largestAc = 0;
        hash.bits[std::size_t(k)] = medianBits(lowFrequencies(planes.y), &largestAc);
        if (k != 0)
            continue;
        if (largestAc < kPerceptualHashFlatAc)
            return PerceptualHash{};
        constexpr int kSpan = kGrid / kCells;
        for (int cy = 0; cy < kCells; ++cy)
            for (int cx = 0; cx < kCells; ++cx) {
                double y = 0, cb = 0, cr = 0;
                for (int dy = 0; dy < kSpan; ++dy)
                    for (int dx = 0; dx < kSpan; ++dx) {
                        const std::size_t i =
                            std::size_t((cy * kSpan + dy) * kGrid + cx * kSpan + dx);
                        y += planes.y[i];
                        cb += planes.cb[i];
                        cr += planes.cr[i];
                    }
                const std::size_t cell = std::size_t(cy * kCells + cx);
                constexpr double kInv = 1.0 / (kSpan * kSpan);
                hash.colour[cell] = clampByte(y * kInv);
                hash.colour[kCells * kCells + cell] = clampByte(cb * kInv + 128.0);
                hash.colour[2 * kCells * kCells + cell] = clampByte(cr * kInv + 128.0);
            }
    }
    hash.valid = true;
    return hash;
}

int hashDistance(const PerceptualHash &a, const PerceptualHash &b)
{
    if (!a.valid || !b.valid)
        return kPerceptualHashBits + 1;
    int best = std::popcount(a.bits[0] ^ b.bits[0]);
    for (std::size_t k = 1; k < a.bits.size(); ++k)
        best = std::min(
            {best, std::popcount(a.bits[k] ^ b.bits[0]), std::popcount(a.bits[0] ^ b.bits[k])});
    return best;
}

int colourDistance(const PerceptualHash &a, const PerceptualHash &b)
{
    if (!a.valid || !b.valid)
        return 256;
    int largest = 0;
    for (std::size_t k = 0; k < a.colour.size(); ++k)
        largest = std::max(largest, std::abs(int(a.colour[k]) - int(b.colour[k])));
    return largest;
}

double aspectDistance(const PerceptualHash &a, const PerceptualHash &b)
{
    if (!a.valid || !b.valid)
        return INFINITY;
    return std::abs(std::log((double(a.width) * b.height) / (double(a.height) * b.width)));
}

bool isNearDuplicate(const PerceptualHash &a, const PerceptualHash &b)
{
    return a.valid && b.valid && hashDistance(a, b) <= kNearDuplicateDistance &&
           colourDistance(a, b) <= kNearDuplicateColourDistance &&
           aspectDistance(a, b) <= kNearDuplicateAspectDistance;
}

std::array<std::uint8_t, kPerceptualHashBytes> perceptualHashToBytes(const PerceptualHash &hash)
{
    std::array<std::uint8_t, kPerceptualHashBytes> out{};
    std::size_t n = 0;
    out[n++] = hash.valid ? kPerceptualHashVersion : 0;
    const auto put = [&](std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i)
            out[n++] = std::uint8_t(v >> (8 * i));
    };
    for (std::uint64_t word : hash.bits)
        put(word, 8);
    for (std::uint8_t c : hash.colour)
        out[n++] = c;
    put(std::uint32_t(hash.width), 4);
    put(std::uint32_t(hash.height), 4);
    return out;
}

PerceptualHash perceptualHashFromBytes(const std::uint8_t *bytes, std::size_t size)
{
    PerceptualHash hash;
    if (size != kPerceptualHashBytes || bytes[0] != kPerceptualHashVersion)
        return hash;
    std::size_t n = 1;
    const auto get = [&](int count) {
        std::uint64_t v = 0;
        for (int i = 0; i < count; ++i)
            v |= std::uint64_t(bytes[n++]) << (8 * i);
        return v;
    };
    for (std::uint64_t &word : hash.bits)
        word = get(8);
    for (std::uint8_t &c : hash.colour)
        c = bytes[n++];
    hash.width = int(get(4));
    hash.height = int(get(4));
    hash.valid = hash.width >= kPerceptualHashMinSide && hash.height >= kPerceptualHashMinSide;
    return hash;
}

} // namespace imago
