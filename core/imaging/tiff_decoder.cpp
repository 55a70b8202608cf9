// TIFF through libtiff directly rather than QImageReader: Qt 6.4's TIFF handler fails on
// common 16-bit RGB files, reports libtiff's errors on stderr through the process-wide
// handler, and offers no allocation cap. Here every decode gets its own error handlers and a
// libtiff single-allocation limit (TIFFOpenOptions, libtiff >= 4.5), the declared size is
// checked against the pixel budget before a pixel buffer exists, and the samples are turned
// into RGB the way Pillow does for the layouts Pillow reads itself:
//   gray 1/2/4/8/16-bit (min-is-black or min-is-white; 16-bit clipped to 255), palette
//   1/2/4/8-bit (colour map high bytes), RGB 8/16-bit (16-bit: high byte), CMYK 8/16-bit
//   (Pillow's cmyk2rgb), YCbCr JPEG (libjpeg's RGB conversion), any extra samples (alpha)
//   dropped without compositing - after un-premultiplying RGB with associated alpha
//   (ExtraSamples 1), as Pillow's "RGBa" unpackers do; contiguous samples, strips or tiles,
//   any codec libtiff has.
// Everything else libtiff can read (planar-separate samples, old-style JPEG, YCbCr without
// JPEG, LogLuv, CIELab...) goes through libtiff's RGBA reader, which may differ from Pillow by
// a level or premultiply alpha; what neither handles is refused with libtiff's reason.
// Only the first directory (page) is read; orientation is the Orientation tag, applied once.

#include "decoders.h"
#include "exif_orientation.h"
#include "imaging_log.h"
#include "metadata_sources.h"

#include <tiffio.h>

#include <QByteArray>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

namespace imago::detail {

namespace {

// The file in memory as libtiff's client I/O sees it.
struct MemoryStream
{
    Bytes bytes;
    std::uint64_t pos = 0;
};

tmsize_t readProc(thandle_t h, void *buf, tmsize_t size)
{
    auto *s = static_cast<MemoryStream *>(h);
    if (size <= 0 || s->pos >= s->bytes.size())
        return 0;
    const std::uint64_t n = std::min<std::uint64_t>(std::uint64_t(size), s->bytes.size() - s->pos);
    std::memcpy(buf, s->bytes.data() + s->pos, std::size_t(n));
    s->pos += n;
    return tmsize_t(n);
}

tmsize_t writeProc(thandle_t, void *, tmsize_t)
{
    return -1; // opened read-only
}

toff_t seekProc(thandle_t h, toff_t offset, int whence)
{
    auto *s = static_cast<MemoryStream *>(h);
    std::uint64_t base = 0;
    if (whence == SEEK_CUR)
        base = s->pos;
    else if (whence == SEEK_END)
        base = s->bytes.size();
    else if (whence != SEEK_SET)
        return toff_t(-1);
    if (offset > std::numeric_limits<std::uint64_t>::max() - base)
        return toff_t(-1);
    s->pos = base + offset; // past the end is allowed; reads there return nothing
    return s->pos;
}

int closeProc(thandle_t)
{
    return 0;
}

toff_t sizeProc(thandle_t h)
{
    return static_cast<MemoryStream *>(h)->bytes.size();
}

int mapProc(thandle_t h, void **base, toff_t *size)
{
    auto *s = static_cast<MemoryStream *>(h);
    *base = const_cast<std::uint8_t *>(s->bytes.data());
    *size = s->bytes.size();
    return 1;
}

void unmapProc(thandle_t, void *, toff_t) {}

// libtiff's messages for one decode: the first error is the reason given to the user.
struct Messages
{
    QString firstError;
};

QString formatMessage(const char *module, const char *fmt, va_list ap)
{
    char buffer[512];
    std::vsnprintf(buffer, sizeof buffer, fmt, ap);
    const QString text = QString::fromLocal8Bit(buffer).trimmed();
    return module && *module ? QString::fromLocal8Bit(module) + QStringLiteral(": ") + text : text;
}

int onError(TIFF *, void *user, const char *module, const char *fmt, va_list ap)
{
    auto *m = static_cast<Messages *>(user);
    if (m->firstError.isEmpty())
        m->firstError = formatMessage(module, fmt, ap);
    return 1; // handled: libtiff's global handler (stderr) is not called
}

int onWarning(TIFF *, void *, const char *module, const char *fmt, va_list ap)
{
    qCDebug(lcImaging) << "libtiff warning:" << formatMessage(module, fmt, ap);
    return 1;
}

struct TiffCloser
{
    void operator()(TIFF *t) const { TIFFClose(t); }
};

struct OptionsDeleter
{
    void operator()(TIFFOpenOptions *o) const { TIFFOpenOptionsFree(o); }
};

std::uint8_t clip8(std::uint32_t v)
{
    return std::uint8_t(v > 255 ? 255 : v);
}

// Pillow's Convert.c cmyk2rgb: out = nk - MULDIV255(c, nk), nk = 255 - k.
void cmykToRgb(int c, int m, int y, int k, std::uint8_t *d)
{
    const int nk = 255 - k;
    const int in[3] = {c, m, y};
    for (int ch = 0; ch < 3; ++ch) {
        const int t = in[ch] * nk + 128;
        const int v = nk - ((t + (t >> 8)) >> 8);
        d[ch] = std::uint8_t(std::clamp(v, 0, 255));
    }
}

// Pillow's Unpack.c "RGBa" / "RGBa;16L/B" on the 8-bit (high byte) samples: the stored
// colour divided by alpha, black where alpha is 0. The alpha itself is then dropped, so an
// associated-alpha file gives the colours an unassociated one with the same picture gives.
void unpremultiply(std::uint8_t *rgb, std::uint8_t alpha)
{
    if (alpha == 255)
        return;
    for (int c = 0; c < 3; ++c)
        rgb[c] = alpha == 0 ? 0 : clip8(std::uint32_t(rgb[c]) * 255u / alpha);
}

// How the samples of one decoded row become RGB.
struct Layout
{
    enum class Kind
    {
        Gray,
        Palette,
        Rgb,
        Cmyk
    } kind = Kind::Gray;
    int bits = 8;                                // per sample
    int samples = 1;                             // per pixel, extra samples included
    bool inverted = false;                       // min-is-white gray
    bool associatedAlpha = false;                // RGB whose first extra sample is alpha
                                                 // the colours are premultiplied with
    std::vector<std::uint16_t> red, green, blue; // the colour map, 2^bits entries each
};

// Sub-byte samples, most significant bits first (libtiff has already undone FillOrder 2).
std::uint32_t subByteSample(const std::uint8_t *row, std::size_t index, int bits)
{
    const std::size_t bit = index * std::size_t(bits);
    const int shift = 8 - bits - int(bit % 8);
    return (row[bit / 8] >> shift) & ((1u << bits) - 1);
}

// Sample i of a row of 16-bit samples, which libtiff has put in host byte order.
std::uint16_t sample16(const std::uint8_t *row, std::size_t i)
{
    std::uint16_t v;
    std::memcpy(&v, row + 2 * i, sizeof v);
    return v;
}

void convertRow(const Layout &l, const std::uint8_t *row, int width, std::uint8_t *d)
{
    const std::size_t spp = std::size_t(l.samples);
    switch (l.kind) {
    case Layout::Kind::Gray:
        for (int x = 0; x < width; ++x, d += 3) {
            std::uint8_t v = 0;
            const std::size_t i = std::size_t(x) * spp;
            if (l.bits == 8) {
                v = l.inverted ? std::uint8_t(255 - row[i]) : row[i];
            } else if (l.bits == 16) {
                // Pillow holds 16-bit gray as integers and clips at 255 when converting.
                const std::uint16_t raw = sample16(row, i);
                const std::uint16_t s = l.inverted ? std::uint16_t(65535 - raw) : raw;
                v = clip8(s);
            } else {
                const std::uint32_t s = subByteSample(row, i, l.bits);
                const std::uint32_t scaled = s * 255u / ((1u << l.bits) - 1); // 1:255 2:85 4:17
                v = std::uint8_t(l.inverted ? 255 - scaled : scaled);
            }
            d[0] = d[1] = d[2] = v;
        }
        return;
    case Layout::Kind::Palette:
        for (int x = 0; x < width; ++x, d += 3) {
            const std::size_t i = std::size_t(x) * spp;
            const std::uint32_t index = l.bits == 8 ? row[i] : subByteSample(row, i, l.bits);
            // Pillow keeps the high byte of each 16-bit colour map entry.
            d[0] = std::uint8_t(l.red[index] >> 8);
            d[1] = std::uint8_t(l.green[index] >> 8);
            d[2] = std::uint8_t(l.blue[index] >> 8);
        }
        return;
    case Layout::Kind::Rgb:
        for (int x = 0; x < width; ++x, d += 3) {
            const std::size_t i = std::size_t(x) * spp;
            for (int c = 0; c < 3; ++c)
                d[c] = l.bits == 8 ? row[i + c] : std::uint8_t(sample16(row, i + c) >> 8);
            if (l.associatedAlpha)
                unpremultiply(d,
                              l.bits == 8 ? row[i + 3] : std::uint8_t(sample16(row, i + 3) >> 8));
        }
        return;
    case Layout::Kind::Cmyk:
        for (int x = 0; x < width; ++x, d += 3) {
            const std::size_t i = std::size_t(x) * spp;
            if (l.bits == 8)
                cmykToRgb(row[i], row[i + 1], row[i + 2], row[i + 3], d);
            else
                cmykToRgb(sample16(row, i) >> 8, sample16(row, i + 1) >> 8,
                          sample16(row, i + 2) >> 8, sample16(row, i + 3) >> 8, d);
        }
        return;
    }
}

// The ExtraSamples type of the first extra sample; EXTRASAMPLE_UNSPECIFIED when absent.
std::uint16_t firstExtraSample(TIFF *tif)
{
    std::uint16_t count = 0;
    const std::uint16_t *types = nullptr;
    if (TIFFGetField(tif, TIFFTAG_EXTRASAMPLES, &count, &types) && count > 0 && types)
        return types[0];
    return EXTRASAMPLE_UNSPECIFIED;
}

// The Pillow-like layouts read here sample by sample; nullopt sends the file to the RGBA
// reader. May switch a YCbCr JPEG TIFF to RGB output (JPEGCOLORMODE).
std::optional<Layout> directLayout(TIFF *tif)
{
    std::uint16_t bits = 1, samples = 1, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
    std::uint16_t compression = COMPRESSION_NONE, photometric = 0, inkset = INKSET_CMYK;
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &samples);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    TIFFGetFieldDefaulted(tif, TIFFTAG_INKSET, &inkset);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric))
        return std::nullopt;
    if ((format != SAMPLEFORMAT_UINT && format != SAMPLEFORMAT_VOID) || samples < 1 ||
        samples > 16 || (planar != PLANARCONFIG_CONTIG && samples > 1) ||
        compression == COMPRESSION_OJPEG)
        return std::nullopt;

    Layout l;
    l.bits = bits;
    l.samples = samples;
    switch (photometric) {
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_MINISWHITE:
        if (bits != 1 && bits != 2 && bits != 4 && bits != 8 && bits != 16)
            return std::nullopt;
        l.kind = Layout::Kind::Gray;
        l.inverted = photometric == PHOTOMETRIC_MINISWHITE;
        return l;
    case PHOTOMETRIC_PALETTE: {
        std::uint16_t *r = nullptr, *g = nullptr, *b = nullptr;
        if ((bits != 1 && bits != 2 && bits != 4 && bits != 8) ||
            !TIFFGetField(tif, TIFFTAG_COLORMAP, &r, &g, &b) || !r || !g || !b)
            return std::nullopt;
        const std::size_t n = std::size_t(1) << bits; // libtiff allocates exactly this many
        l.kind = Layout::Kind::Palette;
        l.red.assign(r, r + n);
        l.green.assign(g, g + n);
        l.blue.assign(b, b + n);
        return l;
    }
    case PHOTOMETRIC_RGB:
        if ((bits != 8 && bits != 16) || samples < 3)
            return std::nullopt;
        l.kind = Layout::Kind::Rgb;
        l.associatedAlpha = samples >= 4 && firstExtraSample(tif) == EXTRASAMPLE_ASSOCALPHA;
        return l;
    case PHOTOMETRIC_SEPARATED:
        if ((bits != 8 && bits != 16) || samples < 4 || inkset != INKSET_CMYK)
            return std::nullopt;
        l.kind = Layout::Kind::Cmyk;
        return l;
    case PHOTOMETRIC_YCBCR:
        // Pillow asks libjpeg for RGB here too; without JPEG, the RGBA reader converts.
        if (compression != COMPRESSION_JPEG || bits != 8 || samples != 3 ||
            !TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
            return std::nullopt;
        l.kind = Layout::Kind::Rgb;
        return l;
    default:
        return std::nullopt;
    }
}

Reason readFailure(const Messages &messages, const char *what)
{
    const QString detail =
        messages.firstError.isEmpty() ? QString::fromLatin1(what) : messages.firstError;
    return makeReason(reason::kCorrupt, QStringLiteral("TIFF decode failed: %1").arg(detail),
                      {QStringLiteral("TIFF"), detail});
}

Reason unsupportedTiff(const char *why)
{
    const QString detail = QString::fromLocal8Bit(why);
    return makeReason(reason::kUnsupportedFeature,
                      QStringLiteral("unsupported TIFF: %1").arg(detail),
                      {QStringLiteral("TIFF"), detail});
}

// Decodes band by band (a strip, or a row of tiles) into `out`, so the raw samples never
// need more memory than one band.
std::optional<Reason> readDirect(TIFF *tif, const Layout &layout, RgbImage &out,
                                 const Messages &messages)
{
    const int width = out.width, height = out.height;
    const tmsize_t scanline = TIFFScanlineSize(tif);
    const std::size_t bitsPerPixel = std::size_t(layout.bits) * std::size_t(layout.samples);
    if (scanline <= 0 || std::size_t(scanline) < (std::size_t(width) * bitsPerPixel + 7) / 8)
        return readFailure(messages, "bad scanline size");

    if (!TIFFIsTiled(tif)) {
        std::uint32_t rowsPerStrip = 0;
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rowsPerStrip);
        rowsPerStrip = std::clamp<std::uint32_t>(rowsPerStrip, 1, std::uint32_t(height));
        std::vector<std::uint8_t> band(std::size_t(scanline) * rowsPerStrip);
        for (std::uint32_t y0 = 0; y0 < std::uint32_t(height); y0 += rowsPerStrip) {
            const std::uint32_t rows = std::min<std::uint32_t>(rowsPerStrip, height - y0);
            const tmsize_t want = scanline * tmsize_t(rows);
            if (TIFFReadEncodedStrip(tif, TIFFComputeStrip(tif, y0, 0), band.data(), want) < want)
                return readFailure(messages, "strip data missing or corrupt");
            for (std::uint32_t r = 0; r < rows; ++r)
                convertRow(layout, band.data() + std::size_t(r) * std::size_t(scanline), width,
                           out.pixels.data() + std::size_t(y0 + r) * out.rowBytes());
        }
        return std::nullopt;
    }

    std::uint32_t tileWidth = 0, tileHeight = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tileWidth);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &tileHeight);
    const tmsize_t tileSize = TIFFTileSize(tif), tileRow = TIFFTileRowSize(tif);
    // Tile widths are multiples of 16, so every tile starts on a byte even for 1-bit samples.
    if (tileWidth == 0 || tileHeight == 0 || tileWidth % 16 != 0 || tileSize <= 0 || tileRow <= 0 ||
        std::uint64_t(tileHeight) * std::uint64_t(scanline) > (1ull << 31))
        return readFailure(messages, "bad tile layout");
    std::vector<std::uint8_t> tile(static_cast<std::size_t>(tileSize));
    std::vector<std::uint8_t> band(std::size_t(scanline) * tileHeight);
    for (std::uint32_t y0 = 0; y0 < std::uint32_t(height); y0 += tileHeight) {
        const std::uint32_t rows = std::min<std::uint32_t>(tileHeight, height - y0);
        for (std::uint32_t x0 = 0; x0 < std::uint32_t(width); x0 += tileWidth) {
            if (TIFFReadEncodedTile(tif, TIFFComputeTile(tif, x0, y0, 0, 0), tile.data(),
                                    tileSize) < tileSize)
                return readFailure(messages, "tile data missing or corrupt");
            const std::size_t xByte = std::size_t(x0) * bitsPerPixel / 8;
            const std::size_t n =
                std::min<std::size_t>(std::size_t(tileRow), std::size_t(scanline) - xByte);
            for (std::uint32_t r = 0; r < rows; ++r)
                std::memcpy(band.data() + std::size_t(r) * std::size_t(scanline) + xByte,
                            tile.data() + std::size_t(r) * std::size_t(tileRow), n);
        }
        for (std::uint32_t r = 0; r < rows; ++r)
            convertRow(layout, band.data() + std::size_t(r) * std::size_t(scanline), width,
                       out.pixels.data() + std::size_t(y0 + r) * out.rowBytes());
    }
    return std::nullopt;
}

// libtiff's RGBA reader, told to leave the rows in stored order (orientation is ours).
std::optional<Reason> readRgba(TIFF *tif, RgbImage &out, const Messages &messages)
{
    char reason[1024] = {};
    if (!TIFFRGBAImageOK(tif, reason))
        return unsupportedTiff(reason);
    TIFFRGBAImage img;
    if (!TIFFRGBAImageBegin(&img, tif, 1 /* stop on error */, reason))
        return unsupportedTiff(reason);
    img.req_orientation = ORIENTATION_TOPLEFT;
    img.orientation = ORIENTATION_TOPLEFT;
    std::vector<std::uint32_t> raster(std::size_t(out.width) * std::size_t(out.height));
    const int ok =
        TIFFRGBAImageGet(&img, raster.data(), std::uint32_t(out.width), std::uint32_t(out.height));
    TIFFRGBAImageEnd(&img);
    if (!ok)
        return readFailure(messages, "libtiff's RGBA reader failed");
    std::uint8_t *d = out.pixels.data();
    for (const std::uint32_t p : raster) {
        *d++ = std::uint8_t(TIFFGetR(p));
        *d++ = std::uint8_t(TIFFGetG(p));
        *d++ = std::uint8_t(TIFFGetB(p));
    }
    return std::nullopt;
}

} // namespace

DecodeResult decodeTiff(Bytes bytes, const DecodeRequest &req)
{
    MemoryStream stream{bytes, 0};
    Messages messages;
    std::unique_ptr<TIFFOpenOptions, OptionsDeleter> options(TIFFOpenOptionsAlloc());
    if (!options)
        return decodeFailure(reason::kDecoderError,
                             QStringLiteral("cannot initialise the TIFF decoder"),
                             {QStringLiteral("TIFF")});
    // No single libtiff allocation may exceed what the pixel budget allows at 16-bit RGBA
    // (8 bytes a pixel): directory arrays and strip buffers of hostile files stay bounded.
    const std::uint64_t cap =
        std::min<std::uint64_t>(req.limits.maxPixels * 8 + (16u << 20), std::uint64_t(1) << 40);
    TIFFOpenOptionsSetMaxSingleMemAlloc(options.get(), tmsize_t(cap));
    TIFFOpenOptionsSetErrorHandlerExtR(options.get(), onError, &messages);
    TIFFOpenOptionsSetWarningHandlerExtR(options.get(), onWarning, &messages);

    std::unique_ptr<TIFF, TiffCloser> tif(
        TIFFClientOpenExt("TIFF", "r", &stream, readProc, writeProc, seekProc, closeProc, sizeProc,
                          mapProc, unmapProc, options.get()));
    if (!tif)
        return refuse(readFailure(messages, "not a readable TIFF"));

    std::uint32_t width = 0, height = 0;
    if (!TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &width) ||
        !TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &height))
        return refuse(readFailure(messages, "no image size in the first directory"));
    if (Reason err = checkPixelBudget(width, height, req.limits); !err.isEmpty())
        return refuse(err);

    std::uint16_t orientationTag = ORIENTATION_TOPLEFT;
    TIFFGetFieldDefaulted(tif.get(), TIFFTAG_ORIENTATION, &orientationTag);

    RgbImage rgb;
    rgb.width = int(width);
    rgb.height = int(height);
    rgb.pixels.resize(rgb.byteCount());
    const std::optional<Layout> layout = directLayout(tif.get());
    const std::optional<Reason> error =
        layout ? readDirect(tif.get(), *layout, rgb, messages) : readRgba(tif.get(), rgb, messages);
    if (error)
        return refuse(*error);
    if (!messages.firstError.isEmpty())
        qCDebug(lcImaging) << "TIFF decoded despite a libtiff error:" << messages.firstError;

    DecodedImage out;
    out.format = formatName(FileKind::Tiff);
    out.exifOrientation = normalizedOrientation(int(orientationTag));
    const bool swap = orientationSwapsAxes(out.exifOrientation);
    out.orientedWidth = swap ? rgb.height : rgb.width;
    out.orientedHeight = swap ? rgb.width : rgb.height;
    out.image = applyOrientation(std::move(rgb), out.exifOrientation);
    out.metadata = photoMetadataFor(FileKind::Tiff, bytes);
    return DecodeResult{std::move(out), {}, {}, {}};
}

} // namespace imago::detail
