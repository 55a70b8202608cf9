#include "format_sniffer.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <string_view>

namespace imago::detail {

namespace {

// ISO base media files (MP4, QuickTime, HEIF, AVIF, CR3) carry "ftyp", a major brand, a minor
// version and compatible brands. The major brand decides; a generic major brand ("mif1",
// "isom"...) is refined by the compatible brands.
SniffResult sniffIsoBmff(Bytes b)
{
    const auto brand = [&](std::size_t offset) -> std::string_view {
        if (!hasBytes(b, offset, 4))
            return {};
        return {reinterpret_cast<const char *>(b.data() + offset), 4};
    };
    const auto isAny = [](std::string_view br, std::initializer_list<std::string_view> list) {
        return std::find(list.begin(), list.end(), br) != list.end();
    };
    const auto isHevcBrand = [&](std::string_view br) {
        return isAny(br, {"heic", "heix", "hevc", "hevx", "heim", "heis"});
    };
    const auto isAvifBrand = [&](std::string_view br) { return isAny(br, {"avif", "avis"}); };
    const auto isGenericHeifBrand = [&](std::string_view br) {
        return isAny(br, {"mif1", "msf1", "mif2", "miaf"});
    };

    const std::string_view major = brand(8);
    bool hevc = isHevcBrand(major), avif = isAvifBrand(major), generic = isGenericHeifBrand(major);
    bool cr3 = major == "crx ";
    // Compatible brands run from offset 16 to the end of the ftyp box; a hostile box size
    // cannot make this walk long.
    const auto boxSize = readU32(b, 0, true).value_or(0);
    const std::size_t end = std::min<std::size_t>(boxSize, 256);
    bool compatibleHevc = false, compatibleAvif = false;
    for (std::size_t offset = 16; offset + 4 <= end; offset += 4) {
        const std::string_view br = brand(offset);
        cr3 = cr3 || br == "crx ";
        compatibleHevc = compatibleHevc || isHevcBrand(br);
        compatibleAvif = compatibleAvif || isAvifBrand(br);
        generic = generic || isGenericHeifBrand(br);
    }
    if (cr3)
        return {FileKind::CameraRaw,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "Canon CR3"))};
    // The major brand names the codec when it is specific; a generic one ("mif1") is refined
    // by the compatible brands, AVIF first (AVIF files list "mif1"/"miaf" next to "avif").
    if (!hevc && !avif) {
        avif = compatibleAvif;
        hevc = !avif && (compatibleHevc || generic);
    }
    if (avif)
        return {FileKind::Avif, {}};
    if (hevc)
        return {FileKind::Heif, {}};
    return {FileKind::NotImage, QStringLiteral(QT_TRANSLATE_NOOP(
                                    "imago::FileKind", "video or audio (QuickTime/MP4 family)"))};
}

bool looksLikeText(Bytes b)
{
    const std::size_t n = std::min<std::size_t>(b.size(), 1024);
    if (startsWith(b, 0, "\xFF\xFE") || startsWith(b, 0, "\xFE\xFF"))
        return true; // UTF-16 byte order mark
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint8_t c = b[i];
        const bool control =
            c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1B;
        if (control || c == 0x7F)
            return false;
    }
    return n > 0;
}

bool containsText(Bytes b, std::string_view needle, std::size_t within)
{
    const auto *begin = reinterpret_cast<const char *>(b.data());
    const std::string_view hay(begin, std::min(b.size(), within));
    return hay.find(needle) != std::string_view::npos;
}

SniffResult sniffText(Bytes b)
{
    if (containsText(b, "<svg", 4096))
        return {FileKind::UnsupportedImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "SVG vector image"))};
    if (containsText(b, "x:xmpmeta", 4096) || containsText(b, "<x:xapmeta", 4096))
        return {FileKind::NotImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "XMP metadata (XML)"))};
    if (containsText(b, "<plist", 4096))
        return {FileKind::NotImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "property list (XML)"))};
    if (startsWith(b, 0, "<?xml") || startsWith(b, 0, "\xEF\xBB\xBF<?xml"))
        return {FileKind::NotImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "XML document"))};
    if (startsWith(b, 0, "{\\rtf"))
        return {FileKind::NotImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "RTF document"))};
    if (containsText(b, "<html", 1024) || containsText(b, "<HTML", 1024) ||
        containsText(b, "<!DOCTYPE html", 1024))
        return {FileKind::NotImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "HTML document"))};
    return {FileKind::NotImage, QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "text file"))};
}

bool isPnm(Bytes b)
{
    if (b.size() < 3 || b[0] != 'P' || b[1] < '1' || b[1] > '6')
        return false;
    const std::uint8_t c = b[2];
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#';
}

bool isIco(Bytes b)
{
    // ICONDIR: reserved 0, type 1 (icon), count >= 1; first entry: reserved byte 0, planes 0/1.
    const auto count = readU16(b, 4, false);
    return startsWith(b, 0, std::string_view("\0\0\1\0", 4)) && count && *count >= 1 &&
           hasBytes(b, 6, 16) && b[9] == 0 && b[11] <= 1;
}

} // namespace

SniffResult sniffFormat(Bytes b)
{
    using namespace std::string_view_literals;
    if (b.empty())
        return {FileKind::NotImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "empty file"))};

    if (startsWith(b, 0, "\xFF\xD8\xFF"))
        return {FileKind::Jpeg, {}};
    if (startsWith(b, 0, "\x89PNG\r\n\x1A\n"))
        return {FileKind::Png, {}};
    if (startsWith(b, 0, "GIF87a") || startsWith(b, 0, "GIF89a"))
        return {FileKind::Gif, {}};
    if (startsWith(b, 0, "RIFF") && startsWith(b, 8, "WEBP"))
        return {FileKind::Webp, {}};
    if (startsWith(b, 0, "BM") && hasBytes(b, 0, 26))
        return {FileKind::Bmp, {}};
    if (startsWith(b, 0, "II*\0"sv) || startsWith(b, 0, "MM\0*"sv) || startsWith(b, 0, "II+\0"sv) ||
        startsWith(b, 0, "MM\0+"sv)) {
        if (startsWith(b, 0, "II*\0"sv) && startsWith(b, 8, "CR\x02"))
            return {FileKind::CameraRaw,
                    QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "Canon CR2"))};
        if (auto raw = tiffCameraRawKind(b))
            return {FileKind::CameraRaw, std::move(*raw)};
        return {FileKind::Tiff, {}};
    }
    if (startsWith(b, 0, "IIRO") || startsWith(b, 0, "IIRS") || startsWith(b, 0, "MMOR"))
        return {FileKind::CameraRaw,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "Olympus ORF"))};
    if (startsWith(b, 0, "IIU\0"sv))
        return {FileKind::CameraRaw,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "Panasonic RW2"))};
    if (startsWith(b, 0, "FUJIFILMCCD-RAW"))
        return {FileKind::CameraRaw,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "Fujifilm RAF"))};
    if (isIco(b))
        return {FileKind::Ico, {}};
    if (isPnm(b))
        return {FileKind::Pnm, {}};
    if (startsWith(b, 4, "ftyp"))
        return sniffIsoBmff(b);

    // Recognisable images we do not decode.
    if (startsWith(b, 0, "8BPS"))
        return {FileKind::UnsupportedImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "Photoshop document"))};
    if (startsWith(b, 0, "\0\0\0\x0CjP  \r\n\x87\n"sv) || startsWith(b, 0, "\xFF\x4F\xFF\x51"))
        return {FileKind::UnsupportedImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "JPEG 2000 image"))};
    if (startsWith(b, 0, "\xFF\x0A") || startsWith(b, 0, "\0\0\0\x0CJXL \r\n\x87\n"sv))
        return {FileKind::UnsupportedImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "JPEG XL image"))};
    if (startsWith(b, 0, "\x76\x2F\x31\x01"))
        return {FileKind::UnsupportedImage,
                QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "OpenEXR image"))};

    // Things that are not images at all.
    struct Magic
    {
        std::size_t offset;
        std::string_view bytes;
        const char *what;
    };
    static constexpr std::array magics{
        Magic{0, "%PDF", QT_TRANSLATE_NOOP("imago::FileKind", "PDF document")},
        Magic{0, "PK\x03\x04",
              QT_TRANSLATE_NOOP("imago::FileKind", "ZIP archive (or an Office/ePub document)")},
        Magic{0, "PK\x05\x06", QT_TRANSLATE_NOOP("imago::FileKind", "ZIP archive (empty)")},
        Magic{0, "\x00\x05\x16\x07"sv, "AppleDouble metadata (a macOS \"._\" file)"},
        Magic{0,
              "\x00\x00\x00\x01"
              "Bud1"sv,
              QT_TRANSLATE_NOOP("imago::FileKind", "macOS .DS_Store file")},
        Magic{0, "bplist", QT_TRANSLATE_NOOP("imago::FileKind", "binary property list")},
        Magic{0, "\x1F\x8B", QT_TRANSLATE_NOOP("imago::FileKind", "gzip archive")},
        Magic{0, "7z\xBC\xAF\x27\x1C", QT_TRANSLATE_NOOP("imago::FileKind", "7-Zip archive")},
        Magic{0, "Rar!", QT_TRANSLATE_NOOP("imago::FileKind", "RAR archive")},
        Magic{0,
              "\x7F"
              "ELF",
              QT_TRANSLATE_NOOP("imago::FileKind", "executable program")},
        Magic{0, "MZ", QT_TRANSLATE_NOOP("imago::FileKind", "Windows executable")},
        Magic{0, "\xD0\xCF\x11\xE0",
              QT_TRANSLATE_NOOP("imago::FileKind", "Microsoft Office (OLE) document")},
        Magic{0, "SQLite format 3", QT_TRANSLATE_NOOP("imago::FileKind", "SQLite database")},
        Magic{0, "OggS", QT_TRANSLATE_NOOP("imago::FileKind", "Ogg audio/video")},
        Magic{0, "fLaC", QT_TRANSLATE_NOOP("imago::FileKind", "FLAC audio")},
        Magic{0, "ID3", QT_TRANSLATE_NOOP("imago::FileKind", "MP3 audio")},
        Magic{0, "\x1A\x45\xDF\xA3", QT_TRANSLATE_NOOP("imago::FileKind", "Matroska/WebM video")},
        Magic{4, "moov", QT_TRANSLATE_NOOP("imago::FileKind", "QuickTime video")},
        Magic{4, "mdat", QT_TRANSLATE_NOOP("imago::FileKind", "QuickTime video")},
        Magic{4, "wide", QT_TRANSLATE_NOOP("imago::FileKind", "QuickTime video")},
        Magic{4, "free", QT_TRANSLATE_NOOP("imago::FileKind", "QuickTime video")},
    };
    for (const Magic &m : magics) {
        if (startsWith(b, m.offset, m.bytes))
            return {FileKind::NotImage, QString::fromLatin1(m.what)};
    }
    if (startsWith(b, 0, "RIFF")) {
        if (startsWith(b, 8, "WAVE"))
            return {FileKind::NotImage,
                    QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "WAV audio"))};
        if (startsWith(b, 8, "AVI "))
            return {FileKind::NotImage,
                    QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "AVI video"))};
    }
    if (looksLikeText(b))
        return sniffText(b);

    const auto head = QByteArray(reinterpret_cast<const char *>(b.data()),
                                 static_cast<qsizetype>(std::min<std::size_t>(b.size(), 4)));
    return {FileKind::Unknown, QStringLiteral("unrecognised content (starts with %1)")
                                   .arg(QString::fromLatin1(head.toHex(' ')))};
}

QString formatName(FileKind kind)
{
    switch (kind) {
    case FileKind::Jpeg:
        return QStringLiteral("JPEG");
    case FileKind::Png:
        return QStringLiteral("PNG");
    case FileKind::Gif:
        return QStringLiteral("GIF");
    case FileKind::Bmp:
        return QStringLiteral("BMP");
    case FileKind::Webp:
        return QStringLiteral("WEBP");
    case FileKind::Tiff:
        return QStringLiteral("TIFF");
    case FileKind::Ico:
        return QStringLiteral("ICO");
    case FileKind::Pnm:
        return QStringLiteral("PNM");
    case FileKind::Heif:
        return QStringLiteral("HEIF");
    case FileKind::Avif:
        return QStringLiteral("AVIF");
    case FileKind::CameraRaw:
    case FileKind::UnsupportedImage:
    case FileKind::NotImage:
    case FileKind::Unknown:
        break;
    }
    return {};
}

QByteArray qtFormatKey(FileKind kind)
{
    switch (kind) {
    case FileKind::Png:
        return QByteArrayLiteral("png");
    case FileKind::Gif:
        return QByteArrayLiteral("gif");
    case FileKind::Bmp:
        return QByteArrayLiteral("bmp");
    case FileKind::Webp:
        return QByteArrayLiteral("webp");
    case FileKind::Ico:
        return QByteArrayLiteral("ico");
    case FileKind::Pnm:
        return QByteArrayLiteral("ppm"); // Qt's PPM handler reads every P1-P6 variant
    default:
        return {};
    }
}

namespace {

Reason truncated(const char *format, QString text)
{
    return makeReason(reason::kTruncated, std::move(text), {QString::fromLatin1(format)});
}

// "broken FORMAT (detail)"
Reason corrupt(const char *format, const QString &detail)
{
    const QString f = QString::fromLatin1(format);
    return makeReason(reason::kCorrupt, QStringLiteral("broken %1 (%2)").arg(f, detail),
                      {f, detail});
}

HeaderInfo inspectPng(Bytes b)
{
    HeaderInfo info;
    // The signature is followed by the IHDR chunk: length 13, "IHDR", width, height, depth, type.
    if (!startsWith(b, 12, "IHDR") || !hasBytes(b, 16, 10)) {
        info.problem = corrupt("PNG", QStringLiteral("no IHDR header"));
        return info;
    }
    info.size = DeclaredSize{*readU32(b, 16, true), *readU32(b, 20, true)};
    info.pngGray16 = b[24] == 16 && b[25] == 0;
    return info;
}

// Skips GIF data sub-blocks (length byte + data, ended by a zero length) starting at `pos`.
// Returns the position after the terminator, or nullopt when the data ends first.
std::optional<std::size_t> skipGifSubBlocks(Bytes b, std::size_t pos)
{
    while (pos < b.size()) {
        const std::size_t len = b[pos];
        ++pos;
        if (len == 0)
            return pos;
        pos += len;
    }
    return std::nullopt;
}

HeaderInfo inspectGif(Bytes b)
{
    HeaderInfo info;
    const auto sw = readU16(b, 6, false), sh = readU16(b, 8, false);
    if (!sw || !sh || !hasBytes(b, 10, 3)) {
        info.problem = truncated("GIF", QStringLiteral("truncated GIF header"));
        return info;
    }
    DeclaredSize size{*sw, *sh};
    std::size_t pos = 13;
    if (b[10] & 0x80)
        pos += 3u * (2u << (b[10] & 7)); // global colour table
    // Walk to the first frame. Pillow grows the canvas to the frame's extent, so a tiny
    // logical screen with a 65535-pixel frame is a bomb and must be measured by the frame.
    while (true) {
        if (pos >= b.size()) {
            info.problem = truncated("GIF", QStringLiteral("truncated GIF (no image data)"));
            return info;
        }
        const std::uint8_t block = b[pos];
        if (block == 0x21) { // extension: label, then sub-blocks
            const auto next = skipGifSubBlocks(b, pos + 2);
            if (!next) {
                info.problem =
                    truncated("GIF", QStringLiteral("truncated GIF (inside an extension block)"));
                return info;
            }
            pos = *next;
        } else if (block == 0x2C) { // image descriptor
            const auto left = readU16(b, pos + 1, false), top = readU16(b, pos + 3, false);
            const auto w = readU16(b, pos + 5, false), h = readU16(b, pos + 7, false);
            if (!left || !top || !w || !h || !hasBytes(b, pos + 9, 1)) {
                info.problem =
                    truncated("GIF", QStringLiteral("truncated GIF (inside the image descriptor)"));
                return info;
            }
            size.width = std::max<std::uint64_t>(size.width, std::uint64_t(*left) + *w);
            size.height = std::max<std::uint64_t>(size.height, std::uint64_t(*top) + *h);
            info.size = size;
            const std::uint8_t flags = b[pos + 9];
            pos += 10;
            if (flags & 0x80)
                pos += 3u * (2u << (flags & 7)); // local colour table
            // LZW minimum code size, then the compressed frame in sub-blocks: Qt pads a frame
            // whose data is cut short, Pillow refuses it ("image file is truncated").
            if (pos >= b.size() || !skipGifSubBlocks(b, pos + 1))
                info.problem =
                    truncated("GIF", QStringLiteral("truncated GIF (first frame data ends early)"));
            return info;
        } else if (block == 0x3B) {
            info.problem = makeReason(reason::kCorrupt, QStringLiteral("GIF without any frame"),
                                      {QStringLiteral("GIF"), QStringLiteral("no frame")});
            return info;
        } else {
            info.problem = corrupt(
                "GIF", QStringLiteral("unknown block 0x%1").arg(block, 2, 16, QLatin1Char('0')));
            return info;
        }
    }
}

HeaderInfo inspectBmp(Bytes b)
{
    HeaderInfo info;
    const auto dataOffset = readU32(b, 10, false);
    const auto dibSize = readU32(b, 14, false);
    if (!dataOffset || !dibSize) {
        info.problem = truncated("BMP", QStringLiteral("truncated BMP header"));
        return info;
    }
    std::uint64_t width = 0, height = 0, bitsPerPixel = 0, compression = 0;
    if (*dibSize == 12) { // OS/2 BITMAPCOREHEADER
        const auto w = readU16(b, 18, false), h = readU16(b, 20, false);
        const auto bpp = readU16(b, 24, false);
        if (!w || !h || !bpp) {
            info.problem = truncated("BMP", QStringLiteral("truncated BMP header"));
            return info;
        }
        width = *w;
        height = *h;
        bitsPerPixel = *bpp;
    } else {
        const auto w = readU32(b, 18, false), h = readU32(b, 22, false);
        const auto bpp = readU16(b, 28, false);
        const auto comp = readU32(b, 30, false);
        if (!w || !h || !bpp || !comp) {
            info.problem = truncated("BMP", QStringLiteral("truncated BMP header"));
            return info;
        }
        const auto sw = static_cast<std::int32_t>(*w), sh = static_cast<std::int32_t>(*h);
        width = sw < 0 ? 0 : std::uint64_t(sw);
        height = std::uint64_t(sh < 0 ? -std::int64_t(sh) : std::int64_t(sh)); // < 0: top-down
        bitsPerPixel = *bpp;
        compression = *comp;
    }
    info.size = DeclaredSize{width, height};
    // Uncompressed pixel arrays have a known length; Qt fills missing rows, Pillow refuses.
    const bool uncompressed = compression == 0 || compression == 3 || compression == 6;
    if (uncompressed && bitsPerPixel > 0 && bitsPerPixel <= 64) {
        const std::uint64_t stride = (width * bitsPerPixel + 31) / 32 * 4;
        const std::uint64_t need = std::uint64_t(*dataOffset) + stride * height;
        if (width > 0 && height > 0 && stride * height / height == stride && need > b.size())
            info.problem = truncated(
                "BMP", QStringLiteral("truncated BMP (pixel data needs %1 bytes, file has %2)")
                           .arg(need)
                           .arg(b.size()));
    }
    return info;
}

HeaderInfo inspectWebp(Bytes b)
{
    HeaderInfo info;
    // RIFF header (12 bytes), then the first chunk: fourcc + size + data at offset 20.
    if (startsWith(b, 12, "VP8 ")) {
        // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height.
        const auto w = readU16(b, 26, false), h = readU16(b, 28, false);
        if (w && h && startsWith(b, 23, "\x9D\x01\x2A"))
            info.size = DeclaredSize{*w & 0x3FFFu, *h & 0x3FFFu};
    } else if (startsWith(b, 12, "VP8L")) {
        const auto bits = readU32(b, 21, false);
        if (bits && hasBytes(b, 20, 1) && b[20] == 0x2F)
            info.size = DeclaredSize{(*bits & 0x3FFFu) + 1, ((*bits >> 14) & 0x3FFFu) + 1};
    } else if (startsWith(b, 12, "VP8X")) {
        const auto w = readU24(b, 24, false), h = readU24(b, 27, false);
        if (w && h)
            info.size = DeclaredSize{std::uint64_t(*w) + 1, std::uint64_t(*h) + 1};
    }
    if (!info.size)
        info.problem = corrupt("WebP", QStringLiteral("bad header"));
    return info;
}

} // namespace

std::optional<QString> tiffCameraRawKind(Bytes b)
{
    const bool bigEndian = startsWith(b, 0, "MM");
    const auto ifd0 = readU32(b, 4, bigEndian);
    if (!ifd0 || (!bigEndian && !startsWith(b, 0, "II")))
        return std::nullopt; // BigTIFF or broken: the TIFF decoder will say which
    const auto count = readU16(b, *ifd0, bigEndian);
    if (!count)
        return std::nullopt;
    bool reducedResolution = false, subIfds = false;
    for (std::uint32_t i = 0; i < std::min<std::uint32_t>(*count, 1000); ++i) {
        const std::size_t entry = std::size_t(*ifd0) + 2 + 12 * std::size_t(i);
        const auto tag = readU16(b, entry, bigEndian);
        const auto type = readU16(b, entry + 2, bigEndian);
        if (!tag || !type)
            break;
        // SHORT values sit in the first 2 bytes of the value field, LONG in all 4.
        const auto value =
            *type == 3 ? readU16(b, entry + 8, bigEndian) : readU32(b, entry + 8, bigEndian);
        switch (*tag) {
        case 0xC612: // DNGVersion
            return QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "Adobe DNG"));
        case 0x00FE: // NewSubfileType: bit 0 = a reduced-resolution copy of another image
            reducedResolution = value && (*value & 1u);
            break;
        case 0x0106: // PhotometricInterpretation: colour filter array or linear raw sensor data
            if (value && (*value == 32803 || *value == 34892))
                return QStringLiteral(
                    QT_TRANSLATE_NOOP("imago::FileKind", "camera RAW (TIFF-based)"));
            break;
        case 0x014A: // SubIFDs
            subIfds = true;
            break;
        default:
            break;
        }
    }
    // NEF, ARW and friends: IFD0 is a small preview, the sensor data hangs off SubIFDs.
    if (reducedResolution && subIfds)
        return QStringLiteral(QT_TRANSLATE_NOOP("imago::FileKind", "camera RAW (TIFF-based)"));
    return std::nullopt;
}

HeaderInfo inspectHeader(FileKind kind, Bytes bytes)
{
    switch (kind) {
    case FileKind::Png:
        return inspectPng(bytes);
    case FileKind::Gif:
        return inspectGif(bytes);
    case FileKind::Bmp:
        return inspectBmp(bytes);
    case FileKind::Webp:
        return inspectWebp(bytes);
    default:
        return {};
    }
}

} // namespace imago::detail
