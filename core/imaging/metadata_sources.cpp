#include "metadata_sources.h"

#include "decoders.h"
#include "exif_metadata.h"
#include "exif_orientation.h"
#include "iptc_metadata.h"
#include "photo_text.h"
#include "xmp_metadata.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace imago::detail {

namespace {

// "Raw profile type exif" text is inflated up to this, so a zlib bomb costs nothing.
constexpr std::size_t kMaxRawProfileBytes = 1u << 20;

Bytes asBytes(const QByteArray &a)
{
    return Bytes(reinterpret_cast<const std::uint8_t *>(a.constData()), std::size_t(a.size()));
}

// Inflates a zlib stream, giving up (empty result) beyond `limit` bytes of output.
QByteArray inflateCapped(QByteArrayView compressed, std::size_t limit)
{
    z_stream z{};
    if (inflateInit(&z) != Z_OK)
        return {};
    QByteArray out;
    std::array<char, 16384> chunk{};
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(compressed.data()));
    z.avail_in = uInt(std::min<qsizetype>(compressed.size(), 0x7FFFFFFF));
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef *>(chunk.data());
        z.avail_out = uInt(chunk.size());
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        out.append(chunk.data(), qsizetype(chunk.size() - z.avail_out));
        if (std::size_t(out.size()) > limit) {
            rc = Z_MEM_ERROR;
            break;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)
            break; // input ended before the stream did: keep what there is
    }
    inflateEnd(&z);
    return rc == Z_MEM_ERROR || rc == Z_DATA_ERROR ? QByteArray() : out;
}

// The text of an iTXt chunk payload whose keyword is `keyword` (NUL included), inflated when
// compressed; nullopt for another keyword or a malformed chunk.
std::optional<QByteArray> iTxtText(Bytes chunk, std::string_view keyword, std::size_t limit)
{
    if (!startsWith(chunk, 0, keyword))
        return std::nullopt;
    const auto *data = reinterpret_cast<const char *>(chunk.data());
    const QByteArrayView rest(data + keyword.size(), qsizetype(chunk.size() - keyword.size()));
    // Compression flag, method, language tag\0, translated keyword\0, text.
    if (rest.size() < 2)
        return std::nullopt;
    const bool compressed = rest[0] != 0;
    qsizetype pos = 2;
    for (int field = 0; field < 2; ++field) {
        const qsizetype nul = rest.indexOf('\0', pos);
        if (nul < 0)
            return std::nullopt;
        pos = nul + 1;
    }
    const QByteArrayView text = rest.sliced(pos);
    return compressed ? inflateCapped(text, limit) : QByteArray(text.data(), text.size());
}

// ImageMagick's raw profile from a tEXt, zTXt or iTXt chunk payload whose keyword matches.
QByteArray rawProfileFromTextChunk(Bytes chunk, std::string_view type)
{
    static constexpr std::string_view kKeyword("Raw profile type exif\0", 22);
    if (type == "iTXt") {
        const auto text = iTxtText(chunk, kKeyword, kMaxRawProfileBytes);
        return text ? bytesFromRawProfile(*text) : QByteArray();
    }
    if (!startsWith(chunk, 0, kKeyword))
        return {};
    const auto *data = reinterpret_cast<const char *>(chunk.data());
    const QByteArrayView rest(data + kKeyword.size(), qsizetype(chunk.size() - kKeyword.size()));
    if (type == "tEXt")
        return bytesFromRawProfile(rest);
    if (rest.isEmpty() || rest[0] != 0) // zTXt compression method 0: zlib
        return {};
    return bytesFromRawProfile(inflateCapped(rest.sliced(1), kMaxRawProfileBytes));
}

struct PngText
{
    QByteArray rawExifProfile; // decoded to bytes
    QByteArray xmp;
};

// One walk over a PNG's chunks: the raw EXIF profile only before the image data (Pillow reads
// it only there), the XMP iTXt anywhere before IEND.
PngText pngText(Bytes png)
{
    static constexpr std::string_view kXmpKeyword("XML:com.adobe.xmp\0", 18);
    PngText found;
    bool imageDataSeen = false;
    std::size_t pos = 8;
    while (true) {
        const auto length = readU32(png, pos, true);
        if (!length || !hasBytes(png, pos + 4, 4))
            break;
        const std::size_t dataPos = pos + 8;
        const std::string_view type(reinterpret_cast<const char *>(png.data() + pos + 4), 4);
        if (type == "IEND" || !hasBytes(png, dataPos, *length))
            break;
        imageDataSeen = imageDataSeen || type == "IDAT";
        const Bytes chunk = png.subspan(dataPos, *length);
        if (!imageDataSeen && found.rawExifProfile.isEmpty() &&
            (type == "tEXt" || type == "zTXt" || type == "iTXt"))
            found.rawExifProfile = rawProfileFromTextChunk(chunk, type);
        if (type == "iTXt" && found.xmp.isEmpty()) {
            if (auto xmp = iTxtText(chunk, kXmpKeyword, kMaxXmpPacketBytes))
                found.xmp = std::move(*xmp);
        }
        pos = dataPos + std::size_t(*length) + 4;
    }
    return found;
}

// The payload of a WebP's first chunk with this FourCC; empty when absent or cut short.
Bytes riffChunk(Bytes webp, std::string_view fourcc)
{
    std::size_t pos = 12; // "RIFF" size "WEBP"
    while (true) {
        const auto length = readU32(webp, pos + 4, false);
        if (!length)
            return {};
        const std::size_t dataPos = pos + 8;
        if (startsWith(webp, pos, fourcc))
            return hasBytes(webp, dataPos, *length) ? webp.subspan(dataPos, *length) : Bytes();
        pos = dataPos + std::size_t(*length) + (*length & 1u); // chunks are padded to even
    }
}

} // namespace

void MetadataBlocks::setExif(QByteArray owned)
{
    exifStorage = std::move(owned);
    exif = asBytes(exifStorage);
}

void MetadataBlocks::setXmp(QByteArray owned)
{
    xmpStorage = std::move(owned);
    xmp = asBytes(xmpStorage);
}

MetadataBlocks jpegMetadataBlocks(const JpegMarkers &markers)
{
    MetadataBlocks blocks;
    blocks.exif = markers.exif;
    blocks.xmp = markers.xmp;
    blocks.iptc = iptcFromPhotoshopResources(markers.photoshopResources);
    return blocks;
}

MetadataBlocks metadataBlocksFor(FileKind kind, Bytes file)
{
    MetadataBlocks blocks;
    switch (kind) {
    case FileKind::Jpeg:
        return jpegMetadataBlocks(scanJpegMarkers(file));
    case FileKind::Png: {
        PngText text = pngText(file);
        if (const auto chunk = findPngExifChunk(file))
            blocks.exif = *chunk;
        else
            blocks.setExif(std::move(text.rawExifProfile));
        blocks.setXmp(std::move(text.xmp));
        return blocks;
    }
    case FileKind::Webp:
        if (const auto chunk = findWebpExifChunk(file))
            blocks.exif = *chunk;
        blocks.xmp = riffChunk(file, "XMP ");
        return blocks;
    case FileKind::Tiff:
    case FileKind::CameraRaw: { // the TIFF-based ones; others have no TIFF header and give {}
        const TiffMetadataBlocks tiff = tiffMetadataBlocks(file);
        blocks.exif = file;
        blocks.xmp = tiff.xmp;
        blocks.iptc =
            tiff.iptc.empty() ? iptcFromPhotoshopResources(tiff.photoshopResources) : tiff.iptc;
        return blocks;
    }
    case FileKind::Heif:
    case FileKind::Avif:
        return heifMetadataBlocks(file);
    default:
        return blocks;
    }
}

PhotoMetadata photoMetadataFrom(const MetadataBlocks &blocks)
{
    PhotoMetadata m = photoMetadataFromExif(blocks.exif);
    PhotoMetadata text = photoTextFromXmp(blocks.xmp);
    mergeText(text, photoTextFromIptc(blocks.iptc));
    mergeText(text, m);
    m.keywords = std::move(text.keywords);
    m.title = std::move(text.title);
    m.description = std::move(text.description);
    return m;
}

PhotoMetadata photoMetadataFor(FileKind kind, Bytes file)
{
    return photoMetadataFrom(metadataBlocksFor(kind, file));
}

} // namespace imago::detail

namespace imago {

PhotoMetadata readPhotoMetadata(QByteArrayView fileBytes)
{
    const detail::Bytes b(reinterpret_cast<const std::uint8_t *>(fileBytes.data()),
                          static_cast<std::size_t>(fileBytes.size()));
    return detail::photoMetadataFor(detail::sniffFormat(b).kind, b);
}

} // namespace imago
