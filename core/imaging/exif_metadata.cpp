#include "exif_metadata.h"

#include "photo_text.h"

#include <QStringDecoder>

#include <algorithm>
#include <array>

namespace imago::detail {

namespace {

constexpr std::size_t kMaxIfdEntries = 512;
constexpr std::size_t kMaxStringBytes = 256;
// A tag whose value claims more than this is malformed for the string tags read here.
constexpr std::uint32_t kMaxDeclaredStringBytes = 4096;

enum Tag : std::uint16_t
{
    kImageDescription = 0x010E,
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
    // Windows Explorer's tags (IFD0, BYTE, UTF-16LE whatever the byte order).
    kXpTitle = 0x9C9B,
    kXpComment = 0x9C9C,
    kXpKeywords = 0x9C9E,
    kXpSubject = 0x9C9F,
    // Other metadata a TIFF file keeps in IFD0.
    kXmlPacket = 700,
    kIptcNaa = 33723,
    kPhotoshopResources = 34377,
};

// The raw strings of the tags PhotoMetadata is made of.
struct ExifStrings
{
    QByteArray make, model;
    std::array<QByteArray, 3> dateTime;  // Original, Digitized, DateTime (preference order)
    std::array<QByteArray, 3> subSec;    // same order
    std::array<QByteArray, 3> utcOffset; // same order
    QByteArray imageDescription;         // at most kMaxRawTextLength bytes
    QString xpTitle, xpComment, xpKeywords, xpSubject;
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

// The value of an entry, of any type; empty when it lies outside the data (or is empty).
Bytes readValue(const TiffView &t, std::size_t entry)
{
    const auto type = readU16(t.b, entry + 2, t.bigEndian);
    const auto count = readU32(t.b, entry + 4, t.bigEndian);
    if (!type || !count || typeSize(*type) == 0)
        return {};
    const std::uint64_t bytes = std::uint64_t(*count) * typeSize(*type);
    std::size_t pos = entry + 8; // values of up to 4 bytes sit in the entry itself
    if (bytes > 4) {
        const auto offset = readU32(t.b, entry + 8, t.bigEndian);
        if (!offset)
            return {};
        pos = *offset;
    }
    if (bytes > t.b.size() || !hasBytes(t.b, pos, std::size_t(bytes)))
        return {};
    return t.b.subspan(pos, std::size_t(bytes));
}

// A string-like value (ASCII, BYTE or UNDEFINED) up to its first NUL and at most `limit`
// bytes; empty for other types.
QByteArray readBytesUpToNul(const TiffView &t, std::size_t entry, std::size_t limit)
{
    const auto type = readU16(t.b, entry + 2, t.bigEndian);
    if (!type || typeSize(*type) != 1)
        return {};
    const Bytes value = readValue(t, entry);
    const auto *begin = reinterpret_cast<const char *>(value.data());
    const std::size_t n = std::min(value.size(), limit);
    const auto *nul = std::find(begin, begin + n, '\0');
    return QByteArray(begin, qsizetype(nul - begin));
}

// A string-like tag's bytes (ASCII, BYTE or UNDEFINED), up to the first NUL, at most
// kMaxStringBytes. Empty when the value lies outside the data or claims to be huge.
QByteArray readString(const TiffView &t, std::size_t entry)
{
    const auto count = readU32(t.b, entry + 4, t.bigEndian);
    if (!count || *count > kMaxDeclaredStringBytes)
        return {};
    return readBytesUpToNul(t, entry, kMaxStringBytes);
}

// An XP* tag: UTF-16LE (always, whatever the TIFF byte order) up to a NUL character.
QString readXpString(const TiffView &t, std::size_t entry)
{
    const auto type = readU16(t.b, entry + 2, t.bigEndian);
    if (!type || typeSize(*type) != 1)
        return {};
    const Bytes value = readValue(t, entry);
    QString text;
    const std::size_t units = std::min<std::size_t>(value.size() / 2, kMaxRawTextLength);
    text.reserve(qsizetype(units));
    for (std::size_t i = 0; i < units; ++i) {
        const char16_t unit = char16_t(value[2 * i] | value[2 * i + 1] << 8);
        if (unit == 0)
            break;
        text.append(QChar(unit));
    }
    return text;
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
        case kImageDescription:
            s.imageDescription = readBytesUpToNul(t, entry, kMaxRawTextLength);
            break;
        case kXpTitle:
            s.xpTitle = readXpString(t, entry);
            break;
        case kXpComment:
            s.xpComment = readXpString(t, entry);
            break;
        case kXpKeywords:
            s.xpKeywords = readXpString(t, entry);
            break;
        case kXpSubject:
            s.xpSubject = readXpString(t, entry);
            break;
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

// What cameras write into ImageDescription when nobody described the photo.
bool isPlaceholderDescription(const QString &description, const QString &make, const QString &model,
                              const QString &camera)
{
    static constexpr std::array<QStringView, 14> kPlaceholders{
        u"OLYMPUS DIGITAL CAMERA",
        u"SONY DSC",
        u"KONICA MINOLTA DIGITAL CAMERA",
        u"MINOLTA DIGITAL CAMERA",
        u"SAMSUNG DIGITAL CAMERA",
        u"DIGITAL CAMERA",
        u"KODAK Digital Still Camera",
        u"EASYSHARE",
        u"Exif_JPEG_PICTURE",
        u"Digital image",
        u"default",
        u"Image",
        u"LEAD Technologies Inc. V1.01",
        u"Created with GIMP",
    };
    const QString d = description.simplified();
    if (d.isEmpty() || d.startsWith(QLatin1String("File written by Adobe Photoshop")))
        return true;
    for (const QStringView p : kPlaceholders)
        if (d.compare(p, Qt::CaseInsensitive) == 0)
            return true;
    for (const QString *name : {&make, &model, &camera})
        if (!name->isEmpty() && d.compare(*name, Qt::CaseInsensitive) == 0)
            return true;
    return false;
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
    const QString make = decodeText(s.make), model = decodeText(s.model);
    m.camera = cameraName(make, model);
    for (std::size_t i = 0; i < s.dateTime.size(); ++i) {
        const QDateTime t = parseExifDateTime(s.dateTime[i], s.subSec[i]);
        if (t.isValid()) {
            m.capturedAt = t;
            m.utcOffsetSeconds = parseExifUtcOffset(s.utcOffset[i]);
            break;
        }
    }

    for (const QString &k : s.xpKeywords.split(QLatin1Char(';')))
        addKeyword(m.keywords, k);
    m.title = boundedText(s.xpTitle);
    const QString description = utf8OrLatin1(s.imageDescription);
    if (!isPlaceholderDescription(description, make, model, m.camera))
        m.description = boundedText(description);
    if (m.description.isEmpty())
        m.description = boundedText(s.xpComment);
    if (m.description.isEmpty())
        m.description = boundedText(s.xpSubject);
    return m;
}

TiffMetadataBlocks tiffMetadataBlocks(Bytes tiff)
{
    TiffMetadataBlocks blocks;
    TiffView t{tiff, startsWith(tiff, 0, {"MM\0*", 4})};
    if (!t.bigEndian && !startsWith(tiff, 0, {"II*\0", 4}))
        return blocks;
    const auto ifd0 = readU32(tiff, 4, t.bigEndian);
    if (!ifd0)
        return blocks;
    walkIfd(t, *ifd0, [&](std::uint16_t tag, std::size_t entry) {
        switch (tag) {
        case kXmlPacket:
            blocks.xmp = readValue(t, entry);
            break;
        case kIptcNaa:
            blocks.iptc = readValue(t, entry);
            break;
        case kPhotoshopResources:
            blocks.photoshopResources = readValue(t, entry);
            break;
        default:
            break;
        }
    });
    return blocks;
}

} // namespace imago::detail
