#include "exif_orientation.h"

#include <libexif/exif-data.h>

#include <QByteArray>
#include <QStringList>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

namespace imago::detail {

namespace {

constexpr std::string_view kExifHeader("Exif\0\0", 6);

struct ExifDataDeleter
{
    void operator()(ExifData *d) const { exif_data_unref(d); }
};

std::optional<int> readOrientationEntry(ExifData *data)
{
    ExifEntry *entry = exif_content_get_entry(data->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    // Pillow hands a multi-valued tag over as a tuple, which names no transpose: ignore those.
    if (!entry || !entry->data || entry->components != 1)
        return std::nullopt;
    const ExifByteOrder order = exif_data_get_byte_order(data);
    switch (entry->format) {
    case EXIF_FORMAT_SHORT:
        return entry->size >= 2 ? std::optional<int>(exif_get_short(entry->data, order))
                                : std::nullopt;
    case EXIF_FORMAT_SSHORT:
        return entry->size >= 2 ? std::optional<int>(exif_get_sshort(entry->data, order))
                                : std::nullopt;
    case EXIF_FORMAT_LONG: {
        if (entry->size < 4)
            return std::nullopt;
        const ExifLong v = exif_get_long(entry->data, order);
        return static_cast<int>(std::min<ExifLong>(v, std::numeric_limits<int>::max()));
    }
    case EXIF_FORMAT_SLONG:
        return entry->size >= 4 ? std::optional<int>(exif_get_slong(entry->data, order))
                                : std::nullopt;
    case EXIF_FORMAT_BYTE:
        return entry->size >= 1 ? std::optional<int>(entry->data[0]) : std::nullopt;
    default:
        return std::nullopt;
    }
}

void copyPixel(std::uint8_t *dst, const std::uint8_t *src)
{
    dst[0] = src[0];
    dst[1] = src[1];
    dst[2] = src[2];
}

} // namespace

std::optional<int> orientationFromExifBlock(Bytes exif)
{
    // libexif accepts a block that starts with the "Exif\0\0" header (or a whole JPEG); a bare
    // TIFF structure (PNG eXIf, some WebP writers) gets the header put in front.
    QByteArray prefixed;
    Bytes block = exif;
    if (!startsWith(exif, 0, kExifHeader)) {
        if (!startsWith(exif, 0, "II") && !startsWith(exif, 0, "MM"))
            return std::nullopt;
        prefixed.reserve(static_cast<qsizetype>(exif.size() + kExifHeader.size()));
        prefixed.append(kExifHeader.data(), static_cast<qsizetype>(kExifHeader.size()));
        prefixed.append(reinterpret_cast<const char *>(exif.data()),
                        static_cast<qsizetype>(exif.size()));
        block = Bytes(reinterpret_cast<const std::uint8_t *>(prefixed.constData()),
                      static_cast<std::size_t>(prefixed.size()));
    }
    if (block.size() < 14 || block.size() > std::numeric_limits<unsigned int>::max())
        return std::nullopt;

    std::unique_ptr<ExifData, ExifDataDeleter> data(exif_data_new());
    if (!data)
        return std::nullopt;
    // Without this libexif "fixes" the data after loading (adds default tags, rewrites
    // values); we want what the file says, as Pillow reads it.
    exif_data_unset_option(data.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(data.get(), block.data(), static_cast<unsigned int>(block.size()));
    return readOrientationEntry(data.get());
}

std::optional<Bytes> findPngExifChunk(Bytes png)
{
    std::size_t pos = 8; // after the signature
    while (true) {
        const auto length = readU32(png, pos, true);
        if (!length || !hasBytes(png, pos + 4, 4))
            return std::nullopt;
        const std::size_t dataPos = pos + 8;
        if (startsWith(png, pos + 4, "eXIf")) {
            if (!hasBytes(png, dataPos, *length))
                return std::nullopt;
            return png.subspan(dataPos, *length);
        }
        if (startsWith(png, pos + 4, "IEND"))
            return std::nullopt;
        pos = dataPos + std::size_t(*length) + 4; // data + CRC: always moves forward
    }
}

std::optional<Bytes> findWebpExifChunk(Bytes webp)
{
    std::size_t pos = 12; // "RIFF" size "WEBP"
    while (true) {
        const auto length = readU32(webp, pos + 4, false);
        if (!length)
            return std::nullopt;
        const std::size_t dataPos = pos + 8;
        if (startsWith(webp, pos, "EXIF")) {
            if (!hasBytes(webp, dataPos, *length))
                return std::nullopt;
            return webp.subspan(dataPos, *length);
        }
        pos = dataPos + std::size_t(*length) + (*length & 1u); // chunks are padded to even
    }
}

std::optional<std::optional<int>> orientationFromPngExifChunk(Bytes png)
{
    const auto chunk = findPngExifChunk(png);
    if (!chunk)
        return std::nullopt;
    return orientationFromExifBlock(*chunk);
}

std::optional<int> orientationFromWebpExifChunk(Bytes webp)
{
    const auto chunk = findWebpExifChunk(webp);
    if (!chunk)
        return std::nullopt;
    return orientationFromExifBlock(*chunk);
}

std::optional<int> orientationFromRawProfileText(const QString &text)
{
    if (text.isEmpty())
        return std::nullopt;
    // Pillow: bytes.fromhex("".join(text.split("\n")[3:]))
    const QStringList lines = text.split(QLatin1Char('\n'));
    QByteArray hex;
    for (qsizetype i = 3; i < lines.size(); ++i)
        hex += lines[i].trimmed().toLatin1();
    const QByteArray blob = QByteArray::fromHex(hex);
    return orientationFromExifBlock(Bytes(reinterpret_cast<const std::uint8_t *>(blob.constData()),
                                          static_cast<std::size_t>(blob.size())));
}

std::optional<int> orientationFromXmp(const QString &xmp)
{
    static const QString key = QStringLiteral("tiff:Orientation");
    for (qsizetype at = xmp.indexOf(key); at >= 0; at = xmp.indexOf(key, at + 1)) {
        qsizetype p = at + key.size();
        if (p + 1 < xmp.size() && xmp[p] == QLatin1Char('=') && xmp[p + 1] == QLatin1Char('"'))
            p += 2;
        else if (p < xmp.size() && xmp[p] == QLatin1Char('>'))
            p += 1;
        else
            continue;
        if (p < xmp.size() && xmp[p].isDigit() && xmp[p].unicode() < 128)
            return xmp[p].unicode() - '0';
    }
    return std::nullopt;
}

int normalizedOrientation(std::optional<int> value)
{
    return value && *value >= 1 && *value <= 8 ? *value : 1;
}

RgbImage applyOrientation(RgbImage image, int orientation)
{
    if (image.isEmpty())
        return image;
    const int w = image.width, h = image.height;
    const std::ptrdiff_t row = static_cast<std::ptrdiff_t>(image.rowBytes());
    std::uint8_t *px = image.pixels.data();
    switch (orientation) {
    case 2: // mirror left-right
        for (int y = 0; y < h; ++y) {
            std::uint8_t *l = px + y * row, *r = l + (w - 1) * 3;
            for (; l < r; l += 3, r -= 3)
                std::swap_ranges(l, l + 3, r);
        }
        return image;
    case 4: // flip top-bottom
        for (int y = 0; y < h / 2; ++y)
            std::swap_ranges(px + y * row, px + (y + 1) * row, px + (h - 1 - y) * row);
        return image;
    case 3: { // rotate 180: the pixel sequence reversed
        std::uint8_t *l = px, *r = px + (image.byteCount() - 3);
        for (; l < r; l += 3, r -= 3)
            std::swap_ranges(l, l + 3, r);
        return image;
    }
    case 5:
    case 6:
    case 7:
    case 8:
        break;
    default:
        return image;
    }

    // Axis-swapping cases. Output pixel (ox, oy) reads input pixel
    //   5 transpose:        (oy, ox)          6 rotate 90 cw:  (oy, h-1-ox)
    //   7 transverse:  (w-1-oy, h-1-ox)       8 rotate 90 ccw: (w-1-oy, ox)
    // i.e. input offset = base + oy * stepPerOutRow + ox * stepPerOutCol.
    const bool mirrorX = orientation == 7 || orientation == 8; // input x runs backwards
    const bool mirrorY = orientation == 6 || orientation == 7; // input y runs backwards
    const std::ptrdiff_t base = (mirrorY ? (h - 1) * row : 0) + (mirrorX ? (w - 1) * 3 : 0);
    const std::ptrdiff_t stepPerOutRow = mirrorX ? -3 : 3;
    const std::ptrdiff_t stepPerOutCol = mirrorY ? -row : row;

    RgbImage out;
    out.width = h;
    out.height = w;
    out.pixels.resize(out.byteCount());
    const std::ptrdiff_t outRow = static_cast<std::ptrdiff_t>(out.rowBytes());
    // Tiles keep both the rows written and the columns read in cache on 12-48 MP photos.
    constexpr int kTile = 64;
    for (int oy0 = 0; oy0 < out.height; oy0 += kTile) {
        const int oy1 = std::min(out.height, oy0 + kTile);
        for (int ox0 = 0; ox0 < out.width; ox0 += kTile) {
            const int ox1 = std::min(out.width, ox0 + kTile);
            for (int oy = oy0; oy < oy1; ++oy) {
                std::uint8_t *dst = out.pixels.data() + oy * outRow + ox0 * 3;
                const std::uint8_t *src = px + base + oy * stepPerOutRow + ox0 * stepPerOutCol;
                for (int ox = ox0; ox < ox1; ++ox, dst += 3, src += stepPerOutCol)
                    copyPixel(dst, src);
            }
        }
    }
    return out;
}

} // namespace imago::detail
