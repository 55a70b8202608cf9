#include "imaging_benchmark.h"

#include "image_decoder.h"
#include "resize.h"

#include <libheif/heif.h>
#include <tiffio.h>
#include <turbojpeg.h>

#if __has_include(<jconfig.h>)
#include <jconfig.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <vector>

namespace imago {

namespace {

// xorshift32: fast, deterministic, good enough for texture.
struct Random
{
    std::uint32_t state;
    std::uint32_t next()
    {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        return state;
    }
    int uniform(int lo, int hi) { return lo + int(next() % std::uint32_t(hi - lo + 1)); }
};

std::uint8_t clampByte(int v)
{
    return std::uint8_t(std::clamp(v, 0, 255));
}

std::vector<std::uint8_t> syntheticPhoto(int w, int h, std::uint32_t seed)
{
    std::vector<std::uint8_t> px(std::size_t(w) * std::size_t(h) * 3);
    Random rnd{seed ? seed : 1};
    // A sky-to-ground gradient with a slow ripple, like light falling across a scene.
    for (int y = 0; y < h; ++y) {
        const double fy = double(y) / h;
        for (int x = 0; x < w; ++x) {
            const double fx = double(x) / w;
            const double ripple = 18.0 * std::sin(fx * 23.0 + fy * 7.0) * std::cos(fy * 17.0);
            std::uint8_t *p = px.data() + (std::size_t(y) * std::size_t(w) + std::size_t(x)) * 3;
            p[0] = clampByte(int(70 + 120 * fy + ripple));
            p[1] = clampByte(int(110 + 70 * fx - 30 * fy + ripple));
            p[2] = clampByte(int(200 - 140 * fy + 0.5 * ripple));
        }
    }
    // Objects: soft-edged discs (out-of-focus things) and hard-edged boxes (buildings, text).
    const int shapes = 60;
    const int scale = std::max(1, std::min(w, h) / 8);
    for (int i = 0; i < shapes; ++i) {
        const int cx = rnd.uniform(0, w - 1), cy = rnd.uniform(0, h - 1);
        const int r = rnd.uniform(scale / 8 + 1, scale);
        const int colour[3] = {rnd.uniform(0, 255), rnd.uniform(0, 255), rnd.uniform(0, 255)};
        const bool disc = i % 2 == 0;
        const int x0 = std::max(0, cx - r), x1 = std::min(w - 1, cx + r);
        const int y0 = std::max(0, cy - r), y1 = std::min(h - 1, cy + r);
        for (int y = y0; y <= y1; ++y) {
            for (int x = x0; x <= x1; ++x) {
                double alpha = 1.0;
                if (disc) {
                    const double d = std::hypot(double(x - cx), double(y - cy)) / r;
                    alpha = std::clamp((1.0 - d) * 4.0, 0.0, 1.0); // soft rim
                }
                if (alpha <= 0)
                    continue;
                std::uint8_t *p =
                    px.data() + (std::size_t(y) * std::size_t(w) + std::size_t(x)) * 3;
                for (int c = 0; c < 3; ++c)
                    p[c] = clampByte(int(p[c] * (1 - alpha) + colour[c] * alpha));
            }
        }
    }
    // Sensor noise, stronger in the dark as on a real photo.
    for (std::size_t i = 0; i < px.size(); ++i) {
        const int amplitude = px[i] < 80 ? 10 : 6;
        px[i] =
            clampByte(int(px[i]) + int(rnd.next() % std::uint32_t(2 * amplitude + 1)) - amplitude);
    }
    return px;
}

struct TjDeleter
{
    void operator()(void *h) const { tjDestroy(h); }
};

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double millisecondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
        .count();
}

// Times `iterations` decode + resize runs after one warm-up; error text on failure.
QString timePath(const QByteArray &jpeg, int minSide, const ImagingBenchmarkOptions &o,
                 ImagingBenchmarkPath &out)
{
    DecodeRequest req;
    req.minSide = minSide;
    std::vector<double> decode, resize, total;
    for (int i = 0; i <= o.iterations; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        DecodeResult r = decodeImageData(jpeg, req);
        const double decodeMs = millisecondsSince(t0);
        if (!r.ok())
            return r.error;
        const auto t1 = std::chrono::steady_clock::now();
        const RgbImage small = resizeBicubic(r.decoded->image, o.side, o.side);
        const double resizeMs = millisecondsSince(t1);
        if (small.width != o.side)
            return QStringLiteral("resize produced %1 pixels wide").arg(small.width);
        out.decodedWidth = r.decoded->image.width;
        out.decodedHeight = r.decoded->image.height;
        if (i == 0)
            continue; // warm-up: page faults, the per-thread decompressor, the resize taps
        decode.push_back(decodeMs);
        resize.push_back(resizeMs);
        total.push_back(decodeMs + resizeMs);
    }
    out.decodeMs = median(decode);
    out.resizeMs = median(resize);
    out.totalMs = median(total);
    return {};
}

QString subsamplingName(int tjSamp)
{
    switch (tjSamp) {
    case TJSAMP_444:
        return QStringLiteral("4:4:4");
    case TJSAMP_422:
        return QStringLiteral("4:2:2");
    case TJSAMP_420:
        return QStringLiteral("4:2:0");
    case TJSAMP_GRAY:
        return QStringLiteral("gray");
    case TJSAMP_440:
        return QStringLiteral("4:4:0");
    case TJSAMP_411:
        return QStringLiteral("4:1:1");
    default:
        return QStringLiteral("unknown");
    }
}

} // namespace

QByteArray makeSyntheticJpeg(int width, int height, int quality, std::uint32_t seed)
{
    if (width < 1 || height < 1 || quality < 1 || quality > 100)
        return {};
    const std::vector<std::uint8_t> rgb = syntheticPhoto(width, height, seed);
    std::unique_ptr<void, TjDeleter> tj(tjInitCompress());
    if (!tj)
        return {};
    unsigned char *buffer = nullptr;
    unsigned long size = 0;
    const int rc = tjCompress2(tj.get(), rgb.data(), width, 0, height, TJPF_RGB, &buffer, &size,
                               TJSAMP_420, quality, TJFLAG_ACCURATEDCT);
    QByteArray jpeg;
    if (rc == 0 && buffer)
        jpeg = QByteArray(reinterpret_cast<const char *>(buffer), qsizetype(size));
    tjFree(buffer);
    return jpeg;
}

ImagingBenchmarkResult runImagingBenchmark(const ImagingBenchmarkOptions &o)
{
    ImagingBenchmarkResult r;
    if (o.iterations < 1 || o.side < 1) {
        r.error = QStringLiteral("iterations and side must be at least 1");
        return r;
    }
    const QByteArray jpeg = makeSyntheticJpeg(o.width, o.height, o.quality, o.seed);
    if (jpeg.isEmpty()) {
        r.error = QStringLiteral("could not make the %1x%2 test JPEG").arg(o.width).arg(o.height);
        return r;
    }
    std::unique_ptr<void, TjDeleter> tj(tjInitDecompress());
    int w = 0, h = 0, samp = -1, colorspace = -1;
    if (!tj || tjDecompressHeader3(tj.get(), reinterpret_cast<const unsigned char *>(jpeg.data()),
                                   static_cast<unsigned long>(jpeg.size()), &w, &h, &samp,
                                   &colorspace) != 0) {
        r.error = QStringLiteral("the generated JPEG does not read back");
        return r;
    }
    r.width = w;
    r.height = h;
    r.jpegBytes = jpeg.size();
    r.subsampling = subsamplingName(samp);
    r.quality = o.quality;
    r.iterations = o.iterations;
    if (QString e = timePath(jpeg, 0, o, r.full); !e.isEmpty()) {
        r.error = QStringLiteral("full decode: %1").arg(e);
        return r;
    }
    if (QString e = timePath(jpeg, 2 * o.side, o, r.fast); !e.isEmpty()) {
        r.error = QStringLiteral("fast decode: %1").arg(e);
        return r;
    }
    r.speedup = r.fast.totalMs > 0 ? r.full.totalMs / r.fast.totalMs : 0;
    return r;
}

QString imagingLibraryVersions()
{
#ifdef LIBJPEG_TURBO_VERSION
#define IMAGO_STRINGIFY2(x) #x
#define IMAGO_STRINGIFY(x) IMAGO_STRINGIFY2(x)
    const QString jpeg = QStringLiteral("libjpeg-turbo " IMAGO_STRINGIFY(LIBJPEG_TURBO_VERSION));
#undef IMAGO_STRINGIFY
#undef IMAGO_STRINGIFY2
#else
    const QString jpeg = QStringLiteral("libjpeg-turbo");
#endif
    // TIFFGetVersion(): "LIBTIFF, Version 4.5.0\nCopyright ..."
    QString tiff = QString::fromLatin1(TIFFGetVersion()).section(QLatin1Char('\n'), 0, 0);
    tiff = QStringLiteral("libtiff ") + tiff.section(QLatin1Char(' '), -1);
    QStringList heifCodecs;
    if (heif_have_decoder_for_format(heif_compression_HEVC))
        heifCodecs << QStringLiteral("HEVC");
    if (heif_have_decoder_for_format(heif_compression_AV1))
        heifCodecs << QStringLiteral("AV1");
    const QString heif = QStringLiteral("libheif %1 (%2)")
                             .arg(QString::fromLatin1(heif_get_version()),
                                  heifCodecs.isEmpty() ? QStringLiteral("no decoders")
                                                       : heifCodecs.join(QStringLiteral(", ")));
    return QStringList{jpeg, tiff, heif, QStringLiteral("Qt ") + QString::fromLatin1(qVersion())}
        .join(QStringLiteral(", "));
}

} // namespace imago
