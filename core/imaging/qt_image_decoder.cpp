// PNG, GIF, BMP, ICO and PNM go through QImageReader (JPEG, TIFF, WebP and HEIF have their
// own decoders), with three things Qt does not do the way the reference does: the pixel budget is
// checked on the declared size before read(); the orientation comes from our own EXIF lookup
// (auto-transform off, so it is applied once, by applyOrientation, for every format alike);
// and the conversion to RGB reads the raw samples of whatever QImage format the handler
// produced, because QImage's own conversions composite or premultiply alpha and round 16-bit
// samples where Pillow truncates or clips them.

#include "decoders.h"
#include "exif_orientation.h"
#include "imaging_log.h"
#include "metadata_sources.h"

#include <QBuffer>
#include <QImage>
#include <QImageReader>

#include <cmath>
#include <limits>

namespace imago::detail {

namespace {

std::uint8_t clipTo8(std::uint16_t v)
{
    return static_cast<std::uint8_t>(v > 255 ? 255 : v);
}

// Pillow's convert("RGB") of the image Qt decoded. `clipGray16`: the samples are 16-bit
// gray, which Pillow holds as 32-bit integers ("I") and clips to 255 instead of scaling.
RgbImage toRgb(QImage image, bool clipGray16)
{
    switch (image.format()) {
    case QImage::Format_Mono:
    case QImage::Format_MonoLSB:
        image = image.convertToFormat(QImage::Format_Indexed8); // exact: indices and table kept
        break;
    case QImage::Format_Indexed8:
    case QImage::Format_Grayscale8:
    case QImage::Format_Grayscale16:
    case QImage::Format_RGB32:
    case QImage::Format_ARGB32:
    case QImage::Format_RGB888:
    case QImage::Format_RGBX8888:
    case QImage::Format_RGBA8888:
    case QImage::Format_RGBX64:
    case QImage::Format_RGBA64:
        break;
    default:
        // Formats no reader we use produces for 8/16-bit files (premultiplied, 5/6-bit, float):
        // the nearest unpremultiplied 8-bit format keeps what information is left.
        qCDebug(lcImaging) << "converting unusual decoder output" << image.format();
        image = image.convertToFormat(image.hasAlphaChannel() ? QImage::Format_ARGB32
                                                              : QImage::Format_RGB32);
        break;
    }

    RgbImage out;
    out.width = image.width();
    out.height = image.height();
    out.pixels.resize(out.byteCount());
    const int w = out.width;
    const QList<QRgb> table = image.colorTable();

    for (int y = 0; y < out.height; ++y) {
        const uchar *line = image.constScanLine(y);
        std::uint8_t *d = out.pixels.data() + std::size_t(y) * out.rowBytes();
        switch (image.format()) {
        case QImage::Format_Indexed8:
            for (int x = 0; x < w; ++x, d += 3) {
                const QRgb c = line[x] < table.size() ? table[line[x]] : qRgb(0, 0, 0);
                d[0] = std::uint8_t(qRed(c));
                d[1] = std::uint8_t(qGreen(c));
                d[2] = std::uint8_t(qBlue(c));
            }
            break;
        case QImage::Format_Grayscale8:
            for (int x = 0; x < w; ++x, d += 3)
                d[0] = d[1] = d[2] = line[x];
            break;
        case QImage::Format_Grayscale16: {
            const auto *g = reinterpret_cast<const quint16 *>(line);
            for (int x = 0; x < w; ++x, d += 3)
                d[0] = d[1] = d[2] = clipTo8(g[x]);
            break;
        }
        case QImage::Format_RGB32:
        case QImage::Format_ARGB32: { // not premultiplied: the stored colour under any alpha
            const auto *p = reinterpret_cast<const QRgb *>(line);
            for (int x = 0; x < w; ++x, d += 3) {
                d[0] = std::uint8_t(qRed(p[x]));
                d[1] = std::uint8_t(qGreen(p[x]));
                d[2] = std::uint8_t(qBlue(p[x]));
            }
            break;
        }
        case QImage::Format_RGB888:
            std::copy(line, line + 3 * w, d);
            break;
        case QImage::Format_RGBX8888:
        case QImage::Format_RGBA8888:
            for (int x = 0; x < w; ++x, d += 3) {
                d[0] = line[4 * x];
                d[1] = line[4 * x + 1];
                d[2] = line[4 * x + 2];
            }
            break;
        case QImage::Format_RGBX64:
        case QImage::Format_RGBA64: { // native-endian 16-bit R, G, B, A
            const auto *p = reinterpret_cast<const quint16 *>(line);
            for (int x = 0; x < w; ++x, d += 3) {
                for (int c = 0; c < 3; ++c) {
                    const quint16 v = p[4 * x + c];
                    // Pillow unpacks 16-bit colour with its high byte ("RGB;16B").
                    d[c] = clipGray16 ? clipTo8(v) : std::uint8_t(v >> 8);
                }
            }
            break;
        }
        default:
            Q_UNREACHABLE();
        }
    }
    return out;
}

int qtAllocationLimitMiB(const DecodeLimits &limits)
{
    // Enough for the budget at 8 bytes per pixel (RGBA64), the widest format readers produce.
    const double mib = std::ceil(double(limits.maxPixels) * 8.0 / double(1 << 20)) + 1.0;
    return mib >= double(std::numeric_limits<int>::max()) ? 0 /* no limit */ : int(mib);
}

} // namespace

DecodeResult decodeWithQt(Bytes bytes, FileKind kind, const DecodeRequest &req)
{
    const QString format = formatName(kind);
    const HeaderInfo header = inspectHeader(kind, bytes);
    // The budget first: a bomb is reported as a bomb even when its data is also cut short.
    if (header.size) {
        if (Reason err = checkPixelBudget(header.size->width, header.size->height, req.limits);
            !err.isEmpty())
            return refuse(err);
    }
    if (!header.problem.isEmpty())
        return refuse(header.problem);

    // The bytes are only read during this call, so Qt may borrow them without a copy.
    QByteArray raw = QByteArray::fromRawData(reinterpret_cast<const char *>(bytes.data()),
                                             static_cast<qsizetype>(bytes.size()));
    QBuffer buffer(&raw);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer, qtFormatKey(kind));
    reader.setAutoTransform(false);
    reader.setAllocationLimit(qtAllocationLimitMiB(req.limits));

    const QSize declared = reader.size();
    if (declared.isValid()) {
        if (Reason err = checkPixelBudget(std::uint64_t(declared.width()),
                                          std::uint64_t(declared.height()), req.limits);
            !err.isEmpty())
            return refuse(err);
    }

    QImage image;
    if (!reader.read(&image) || image.isNull())
        return decodeFailure(
            reason::kCorrupt,
            QStringLiteral("%1 decode failed: %2").arg(format, reader.errorString()),
            {format, reader.errorString()});
    if (Reason err = checkPixelBudget(std::uint64_t(image.width()), std::uint64_t(image.height()),
                                      req.limits);
        !err.isEmpty())
        return refuse(err);

    std::optional<int> orientation;
    switch (kind) {
    case FileKind::Png:
        // Pillow: the eXIf chunk; else ImageMagick's raw profile; and if the EXIF found has no
        // Orientation, the XMP packet.
        if (const auto chunk = orientationFromPngExifChunk(bytes))
            orientation = *chunk;
        else
            orientation =
                orientationFromRawProfileText(image.text(QStringLiteral("Raw profile type exif")));
        if (!orientation)
            orientation = orientationFromXmp(image.text(QStringLiteral("XML:com.adobe.xmp")));
        break;
    default:
        break;
    }

    DecodedImage out;
    out.format = format;
    out.exifOrientation = normalizedOrientation(orientation);
    RgbImage rgb = toRgb(std::move(image), header.pngGray16);
    const bool swap = orientationSwapsAxes(out.exifOrientation);
    out.orientedWidth = swap ? rgb.height : rgb.width;
    out.orientedHeight = swap ? rgb.width : rgb.height;
    out.image = applyOrientation(std::move(rgb), out.exifOrientation);
    out.metadata = photoMetadataFor(kind, bytes);
    return DecodeResult{std::move(out), {}, {}, {}};
}

} // namespace imago::detail
