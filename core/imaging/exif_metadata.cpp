#include "exif_metadata.h"

#include "decoders.h"
#include "exif_orientation.h"

#include <QStringDecoder>

#include <zlib.h>

#include <algorithm>
#include <array>

namespace imago::detail {

namespace {

constexpr std::size_t kMaxIfdEntries = 512;
constexpr std::size_t kMaxStringBytes = 256;
// A tag whose value claims more than this is malformed for the string tags read here.
constexpr std::uint32_t kMaxDeclaredStringBytes = 4096;
// "Raw profile type exif" text is inflated up to this, so a zlib bomb costs nothing.
constexpr std::size_t kMaxRawProfileBytes = 1u << 20;

enum Tag : std::uint16_t
{
    kMake = 0x010F,
    kModel = 0x0110,
    kDateTime = 0x0132,
    kExifIfdPointer = 0x8769,
    kDateTimeOriginal = 0x9003,
    kDateTimeDigitized = 0x9004,
    kOffsetTime = 0x9010,
    kOffsetTimeOriginal = 0x9011,
    kOffsetTimeDigitized = 0x9012,
    kSubSecTime = 0x9290,
    kSubSecTimeOriginal = 0x9291,
    kSubSecTimeDigitized = 0x9292,
};

// The raw strings of the tags PhotoMetadata is made of.
struct ExifStrings
{
    QByteArray make, model;
    std::array<QByteArray, 3> dateTime;  // Original, Digitized, DateTime (preference order)
    std::array<QByteArray, 3> subSec;    // same order
    std::array<QByteArray, 3> utcOffset; // same order
};

struct TiffView
{
    Bytes b;
    bool bigEndian = false;
};

std::size_t typeSize(std::uint32_t type)
{
    switch (type) {
    case 1: // BYTE
    case 2: // ASCII
    case 6: // SBYTE
    case 7: // UNDEFINED
        return 1;
    case 3: // SHORT
    case 8: // SSHORT
        return 2;
    case 4:  // LONG
    case 9:  // SLONG
    case 11: // FLOAT
    case 13: // IFD
        return 4;
    case 5:  // RATIONAL
    case 10: // SRATIONAL
    case 12: // DOUBLE
        return 8;
    default:
        return 0;
    }
}

// A string-like tag's bytes (ASCII, BYTE or UNDEFINED), up to the first NUL, at most
// kMaxStringBytes. Empty when the value lies outside the data.
QByteArray readString(const TiffView &t, std::size_t entry)
{
    const auto type = readU16(t.b, entry + 2, t.bigEndian);
    const auto count = readU32(t.b, entry + 4, t.bigEndian);
    if (!type || !count || typeSize(*type) != 1 || *count == 0 || *count > kMaxDeclaredStringBytes)
        return {};
    std::size_t pos = entry + 8; // values of up to 4 bytes sit in the entry itself
    if (*count > 4) {
        const auto offset = readU32(t.b, entry + 8, t.bigEndian);
        if (!offset)
            return {};
        pos = *offset;
    }
    if (!hasBytes(t.b, pos, *count))
        return {};
    const auto *begin = reinterpret_cast<const char *>(t.b.data() + pos);
    const std::size_t n = std::min<std::size_t>(*count, kMaxStringBytes);
    const auto *nul = std::find(begin, begin + n, '\0');
    return QByteArray(begin, qsizetype(nul - begin));
}

std::optional<std::uint32_t> readIfdPointer(const TiffView &t, std::size_t entry)
{
    const auto type = readU16(t.b, entry + 2, t.bigEndian);
    const auto count = readU32(t.b, entry + 4, t.bigEndian);
    if (!type || !count || *count != 1 || (*type != 4 && *type != 13))
        return std::nullopt;
    return readU32(t.b, entry + 8, t.bigEndian);
}

// Calls visit(tag, entryOffset) for each entry of the IFD at `offset` that lies in the data.
template<typename Visit> void walkIfd(const TiffView &t, std::size_t offset, Visit visit)
{
    const auto count = readU16(t.b, offset, t.bigEndian);
    if (!count)
        return;
    const std::size_t n = std::min<std::size_t>(*count, kMaxIfdEntries);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t entry = offset + 2 + 12 * i;
        const auto tag = readU16(t.b, entry, t.bigEndian);
        if (!tag || !hasBytes(t.b, entry, 12))
            return;
        visit(std::uint16_t(*tag), entry);
    }
}

ExifStrings readExifStrings(Bytes exif)
{
    ExifStrings s;
    if (startsWith(exif, 0, {"Exif\0\0", 6}))
        exif = exif.subspan(6);
    TiffView t{exif, startsWith(exif, 0, {"MM\0*", 4})};
    if (!t.bigEndian && !startsWith(exif, 0, {"II*\0", 4}))
        return s;
    const auto ifd0 = readU32(exif, 4, t.bigEndian);
    if (!ifd0)
        return s;
    std::optional<std::uint32_t> exifIfd;
    walkIfd(t, *ifd0, [&](std::uint16_t tag, std::size_t entry) {
        switch (tag) {
        case kMake:
            s.make = readString(t, entry);
            break;
        case kModel:
            s.model = readString(t, entry);
            break;
        case kDateTime:
            s.dateTime[2] = readString(t, entry);
            break;
        case kOffsetTime:
            s.utcOffset[2] = readString(t, entry);
            break;
        case kSubSecTime:
            s.subSec[2] = readString(t, entry);
            break;
        case kExifIfdPointer:
            exifIfd = readIfdPointer(t, entry);
            break;
        default:
            break;
        }
    });
    // A pointer back at IFD0 would only read the same entries again; no other loop is possible
    // since nothing below follows a pointer.
    if (exifIfd && *exifIfd != *ifd0) {
        walkIfd(t, *exifIfd, [&](std::uint16_t tag, std::size_t entry) {
            switch (tag) {
            case kDateTimeOriginal:
                s.dateTime[0] = readString(t, entry);
                break;
            case kDateTimeDigitized:
                s.dateTime[1] = readString(t, entry);
                break;
            case kOffsetTimeOriginal:
                s.utcOffset[0] = readString(t, entry);
                break;
            case kOffsetTimeDigitized:
                s.utcOffset[1] = readString(t, entry);
                break;
            case kSubSecTimeOriginal:
                s.subSec[0] = readString(t, entry);
                break;
            case kSubSecTimeDigitized:
                s.subSec[1] = readString(t, entry);
                break;
            default:
                break;
            }
        });
    }
    return s;
}

// EXIF says ASCII; phones and editors write UTF-8; old software Latin-1.
QString decodeText(const QByteArray &bytes)
{
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8(bytes);
    if (utf8.hasError())
        text = QString::fromLatin1(bytes);
    return text.simplified();
}

// Reads `digits` decimal digits at `pos`, advancing it.
std::optional<int> readNumber(QByteArrayView text, qsizetype &pos, int digits)
{
    int value = 0;
    for (int i = 0; i < digits; ++i, ++pos) {
        if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
            return std::nullopt;
        value = value * 10 + (text[pos] - '0');
    }
    return value;
}

bool skipSeparator(QByteArrayView text, qsizetype &pos, QByteArrayView allowed)
{
    if (pos < text.size() && allowed.contains(text[pos])) {
        ++pos;
        return true;
    }
    return false;
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

// ImageMagick's raw profile from a tEXt, zTXt or iTXt chunk payload whose keyword matches.
QByteArray rawProfileFromTextChunk(Bytes chunk, std::string_view type)
{
    static constexpr std::string_view kKeyword("Raw profile type exif\0", 22);
    if (!startsWith(chunk, 0, kKeyword))
        return {};
    const auto *data = reinterpret_cast<const char *>(chunk.data());
    const QByteArrayView rest(data + kKeyword.size(), qsizetype(chunk.size() - kKeyword.size()));
    if (type == "tEXt")
        return bytesFromRawProfile(rest);
    if (type == "zTXt") {
        if (rest.isEmpty() || rest[0] != 0) // compression method 0: zlib
            return {};
        return bytesFromRawProfile(inflateCapped(rest.sliced(1), kMaxRawProfileBytes));
    }
    // iTXt: compression flag, method, language tag\0, translated keyword\0, text.
    if (rest.size() < 2)
        return {};
    const bool compressed = rest[0] != 0;
    qsizetype pos = 2;
    for (int field = 0; field < 2; ++field) {
        const qsizetype nul = rest.indexOf('\0', pos);
        if (nul < 0)
            return {};
        pos = nul + 1;
    }
    const QByteArrayView text = rest.sliced(pos);
    return bytesFromRawProfile(compressed ? inflateCapped(text, kMaxRawProfileBytes)
                                          : QByteArray(text.data(), text.size()));
}

QByteArray pngRawProfile(Bytes png)
{
    std::size_t pos = 8;
    while (true) {
        const auto length = readU32(png, pos, true);
        if (!length || !hasBytes(png, pos + 4, 4))
            return {};
        const std::size_t dataPos = pos + 8;
        const std::string_view type(reinterpret_cast<const char *>(png.data() + pos + 4), 4);
        if (type == "IEND" || type == "IDAT" || !hasBytes(png, dataPos, *length))
            return {}; // Pillow only reads text chunks before the image data for this
        if (type == "tEXt" || type == "zTXt" || type == "iTXt") {
            QByteArray blob = rawProfileFromTextChunk(png.subspan(dataPos, *length), type);
            if (!blob.isEmpty())
                return blob;
        }
        pos = dataPos + std::size_t(*length) + 4;
    }
}

Bytes asBytes(const QByteArray &a)
{
    return Bytes(reinterpret_cast<const std::uint8_t *>(a.constData()), std::size_t(a.size()));
}

} // namespace

QDateTime parseExifDateTime(QByteArrayView text, QByteArrayView subSec)
{
    qsizetype pos = 0;
    while (pos < text.size() && text[pos] == ' ')
        ++pos;
    const QByteArrayView dateSeparators(":-/.");
    const auto year = readNumber(text, pos, 4);
    if (!year || !skipSeparator(text, pos, dateSeparators))
        return {};
    const auto month = readNumber(text, pos, 2);
    if (!month || !skipSeparator(text, pos, dateSeparators))
        return {};
    const auto day = readNumber(text, pos, 2);
    if (!day || *year < 1800)
        return {};
    const QDate date(*year, *month, *day);
    if (!date.isValid())
        return {};

    QTime time(0, 0);
    if (skipSeparator(text, pos, " T")) {
        const auto hour = readNumber(text, pos, 2);
        const auto minute = skipSeparator(text, pos, ":") ? readNumber(text, pos, 2) : std::nullopt;
        if (!hour || !minute)
            return {};
        int second = 0;
        if (skipSeparator(text, pos, ":")) {
            const auto s = readNumber(text, pos, 2);
            if (!s)
                return {};
            second = *s;
        }
        int ms = 0;
        qsizetype sp = 0;
        while (sp < subSec.size() && subSec[sp] == ' ')
            ++sp;
        for (int digits = 0; digits < 3; ++digits, ++sp) {
            const bool digit = sp < subSec.size() && subSec[sp] >= '0' && subSec[sp] <= '9';
            ms = ms * 10 + (digit ? subSec[sp] - '0' : 0);
            if (!digit)
                sp = subSec.size(); // pad the rest with zeros
        }
        time = QTime(*hour, *minute, second, ms);
        if (!time.isValid())
            return {};
    }
    return QDateTime(date, time, Qt::UTC);
}

std::optional<int> parseExifUtcOffset(QByteArrayView text)
{
    qsizetype pos = 0;
    while (pos < text.size() && text[pos] == ' ')
        ++pos;
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-'))
        return std::nullopt;
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    const auto hours = readNumber(text, pos, 2);
    skipSeparator(text, pos, ":");
    const auto minutes = readNumber(text, pos, 2);
    if (!hours || !minutes || *hours > 14 || *minutes > 59)
        return std::nullopt;
    return sign * (*hours * 3600 + *minutes * 60);
}

QString cameraName(const QString &rawMake, const QString &rawModel)
{
    const QString make = rawMake.simplified(), model = rawModel.simplified();
    if (make.isEmpty() || model.isEmpty())
        return model.isEmpty() ? make : model;
    if (model.startsWith(make, Qt::CaseInsensitive))
        return model;
    const QString firstWord = make.section(QLatin1Char(' '), 0, 0);
    if (firstWord.size() >= 2 &&
        (model.compare(firstWord, Qt::CaseInsensitive) == 0 ||
         model.startsWith(firstWord + QLatin1Char(' '), Qt::CaseInsensitive)))
        return model;
    return make + QLatin1Char(' ') + model;
}

QByteArray bytesFromRawProfile(QByteArrayView text)
{
    // "\nexif\n<decimal length>\n<hex, 72 characters a line>": the first three lines are the
    // header (Pillow splits on "\n" and drops them).
    qsizetype pos = 0;
    for (int line = 0; line < 3; ++line) {
        const qsizetype nl = text.indexOf('\n', pos);
        if (nl < 0)
            return {};
        pos = nl + 1;
    }
    QByteArray hex;
    hex.reserve(text.size() - pos);
    for (; pos < text.size(); ++pos) {
        const char c = text[pos];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
            hex.append(c);
    }
    return QByteArray::fromHex(hex);
}

PhotoMetadata photoMetadataFromExif(Bytes exif)
{
    const ExifStrings s = readExifStrings(exif);
    PhotoMetadata m;
    m.camera = cameraName(decodeText(s.make), decodeText(s.model));
    for (std::size_t i = 0; i < s.dateTime.size(); ++i) {
        const QDateTime t = parseExifDateTime(s.dateTime[i], s.subSec[i]);
        if (t.isValid()) {
            m.capturedAt = t;
            m.utcOffsetSeconds = parseExifUtcOffset(s.utcOffset[i]);
            break;
        }
    }
    return m;
}

PhotoMetadata photoMetadataFor(FileKind kind, Bytes file)
{
    switch (kind) {
    case FileKind::Jpeg:
        return photoMetadataFromExif(scanJpegMarkers(file).exif);
    case FileKind::Png:
        if (const auto chunk = findPngExifChunk(file))
            return photoMetadataFromExif(*chunk);
        return photoMetadataFromExif(asBytes(pngRawProfile(file)));
    case FileKind::Webp:
        if (const auto chunk = findWebpExifChunk(file))
            return photoMetadataFromExif(*chunk);
        return {};
    case FileKind::Tiff:
    case FileKind::CameraRaw: // the TIFF-based ones; others have no TIFF header and give {}
        return photoMetadataFromExif(file);
    case FileKind::Heif:
    case FileKind::Avif:
        return photoMetadataFromExif(asBytes(heifExifBlock(file)));
    default:
        return {};
    }
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
