#include "iptc_metadata.h"

#include "photo_text.h"

#include <QByteArray>
#include <QByteArrayList>

namespace imago::detail {

namespace {

constexpr std::uint8_t kTagMarker = 0x1C;
constexpr std::uint32_t kPhotoshopIptcResource = 0x0404;

struct Dataset
{
    std::uint8_t record = 0, number = 0;
    Bytes value;
};

// The dataset at `pos`, advancing `pos` past it; nullopt at the end of the datasets.
std::optional<Dataset> nextDataset(Bytes iim, std::size_t &pos)
{
    if (!hasBytes(iim, pos, 5) || iim[pos] != kTagMarker)
        return std::nullopt;
    Dataset d;
    d.record = iim[pos + 1];
    d.number = iim[pos + 2];
    std::size_t length = *readU16(iim, pos + 3, true);
    std::size_t valuePos = pos + 5;
    if (length & 0x8000) {
        // Extended dataset: the low 15 bits count the bytes of the real length.
        const std::size_t n = length & 0x7FFF;
        if (n == 0 || n > 4 || !hasBytes(iim, valuePos, n))
            return std::nullopt;
        length = 0;
        for (std::size_t i = 0; i < n; ++i)
            length = length << 8 | iim[valuePos + i];
        valuePos += n;
    }
    if (!hasBytes(iim, valuePos, length))
        return std::nullopt;
    d.value = iim.subspan(valuePos, length);
    pos = valuePos + length;
    return d;
}

// At most kMaxRawTextLength bytes of a value, not ending inside a UTF-8 sequence.
QByteArrayView textBytes(Bytes value)
{
    std::size_t n = value.size();
    if (n > std::size_t(kMaxRawTextLength)) {
        n = kMaxRawTextLength;
        while (n > 0 && (value[n] & 0xC0) == 0x80)
            --n;
    }
    return QByteArrayView(reinterpret_cast<const char *>(value.data()), qsizetype(n));
}

} // namespace

PhotoMetadata photoTextFromIptc(Bytes iim)
{
    bool utf8Declared = false;
    QByteArrayList keywords;
    QByteArray title, description;
    std::size_t pos = 0;
    while (const auto d = nextDataset(iim, pos)) {
        if (d->record == 1 && d->number == 90) {
            utf8Declared = textBytes(d->value).contains("\x1B%G");
        } else if (d->record == 2) {
            switch (d->number) {
            case 25:
                // Dropping repeats happens later; this only bounds the work.
                if (keywords.size() < 4 * kMaxKeywords)
                    keywords.append(textBytes(d->value).toByteArray());
                break;
            case 5:
                if (title.isEmpty())
                    title = textBytes(d->value).toByteArray();
                break;
            case 120:
                if (description.isEmpty())
                    description = textBytes(d->value).toByteArray();
                break;
            default:
                break;
            }
        }
    }
    const auto decode = [&](const QByteArray &bytes) {
        // Values may end with NUL padding some writers add.
        const qsizetype nul = bytes.indexOf('\0');
        const QByteArrayView v = QByteArrayView(bytes).first(nul < 0 ? bytes.size() : nul);
        return boundedText(utf8Declared ? QString::fromUtf8(v) : utf8OrLatin1(v));
    };
    PhotoMetadata m;
    for (const QByteArray &k : std::as_const(keywords))
        addKeyword(m.keywords, decode(k));
    m.title = decode(title);
    m.description = decode(description);
    return m;
}

Bytes iptcFromPhotoshopResources(Bytes r)
{
    std::size_t pos = 0;
    while (startsWith(r, pos, "8BIM")) {
        const auto id = readU16(r, pos + 4, true);
        if (!id || !hasBytes(r, pos + 6, 1))
            return {};
        // Pascal name: length byte and characters, padded to an even total.
        const std::size_t nameBytes = (std::size_t(r[pos + 6]) + 2) & ~std::size_t(1);
        const auto size = readU32(r, pos + 6 + nameBytes, true);
        if (!size)
            return {};
        const std::size_t dataPos = pos + 6 + nameBytes + 4;
        const std::size_t available = r.size() - dataPos; // readU32 checked dataPos <= size
        if (*id == kPhotoshopIptcResource)
            return r.subspan(dataPos, std::min<std::size_t>(*size, available));
        if (*size > available)
            return {};
        pos = dataPos + *size + (*size & 1u);
    }
    return {};
}

} // namespace imago::detail
