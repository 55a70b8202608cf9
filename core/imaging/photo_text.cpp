#include "photo_text.h"

#include <QStringDecoder>

namespace imago::detail {

QString boundedText(const QString &text)
{
    const QString trimmed = text.trimmed();
    // Cheap exit: a UTF-16 code unit is at most 3 bytes of UTF-8.
    if (trimmed.size() * 3 <= kMaxTextBytes)
        return trimmed;
    QByteArray utf8 = trimmed.toUtf8();
    if (utf8.size() <= kMaxTextBytes)
        return trimmed;
    qsizetype cut = kMaxTextBytes;
    while (cut > 0 && (quint8(utf8[cut]) & 0xC0) == 0x80)
        --cut; // never split a multi-byte sequence
    utf8.truncate(cut);
    return QString::fromUtf8(utf8).trimmed();
}

void addKeyword(QStringList &keywords, const QString &keyword)
{
    if (keywords.size() >= kMaxKeywords)
        return;
    const QString k = boundedText(keyword);
    if (!k.isEmpty() && !keywords.contains(k, Qt::CaseInsensitive))
        keywords.append(k);
}

void mergeText(PhotoMetadata &into, const PhotoMetadata &lowerPriority)
{
    for (const QString &k : lowerPriority.keywords)
        addKeyword(into.keywords, k);
    if (into.title.isEmpty())
        into.title = lowerPriority.title;
    if (into.description.isEmpty())
        into.description = lowerPriority.description;
}

QString utf8OrLatin1(QByteArrayView bytes)
{
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8(bytes);
    return utf8.hasError() ? QString::fromLatin1(bytes) : text;
}

} // namespace imago::detail
