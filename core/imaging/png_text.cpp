#include "png_text.h"

#include <QBuffer>
#include <QColorSpace>
#include <QImage>
#include <QImageWriter>

#include <zlib.h>

#include <cstring>

namespace imago {

namespace {

constexpr char kSignature[] = "\x89PNG\r\n\x1a\n";
constexpr qsizetype kSignatureSize = 8;
constexpr qsizetype kIhdrEnd = kSignatureSize + 4 + 4 + 13 + 4; // length, type, data, CRC

bool isPrintableLatin1(unsigned char c)
{
    return (c >= 32 && c <= 126) || c >= 161;
}

// PNG 1.2 section 11.3.4.3: the keyword's rules.
QString keyProblem(const QByteArray &key)
{
    if (key.isEmpty() || key.size() > 79)
        return QStringLiteral("must be 1 to 79 characters long");
    for (const char c : key)
        if (!isPrintableLatin1(static_cast<unsigned char>(c)))
            return QStringLiteral("holds a character that is not printable Latin-1");
    if (key.startsWith(' ') || key.endsWith(' ') || key.contains("  "))
        return QStringLiteral("has a leading, trailing or double space");
    return {};
}

void appendBigEndian32(QByteArray &out, quint32 v)
{
    const char bytes[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    out.append(bytes, 4);
}

void appendChunk(QByteArray &out, const char type[4], const QByteArray &data)
{
    appendBigEndian32(out, quint32(data.size()));
    const qsizetype start = out.size();
    out.append(type, 4);
    out.append(data);
    // The CRC covers the type and the data, not the length.
    const uLong crc =
        crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef *>(out.constData() + start),
              uInt(out.size() - start));
    appendBigEndian32(out, quint32(crc));
}

} // namespace

QByteArray insertPngTextChunks(const QByteArray &png, const PngTextEntries &text, QString *error)
{
    auto fail = [error](const QString &why) {
        if (error)
            *error = why;
        return QByteArray();
    };
    if (png.size() < kIhdrEnd || std::memcmp(png.constData(), kSignature, kSignatureSize) != 0 ||
        std::memcmp(png.constData() + kSignatureSize, "\0\0\0\x0dIHDR", 8) != 0)
        return fail(QStringLiteral("not a PNG file starting with its IHDR chunk"));

    QByteArray chunks;
    for (const auto &[key, value] : text) {
        if (const QString why = keyProblem(key); !why.isEmpty())
            return fail(QStringLiteral("PNG text key '%1' %2").arg(QString::fromLatin1(key), why));
        if (value.contains('\0'))
            return fail(QStringLiteral("PNG text value of '%1' holds a NUL byte")
                            .arg(QString::fromLatin1(key)));
        appendChunk(chunks, "tEXt", key + '\0' + value);
    }
    QByteArray out;
    out.reserve(png.size() + chunks.size());
    out.append(png.constData(), kIhdrEnd);
    out.append(chunks);
    out.append(png.constData() + kIhdrEnd, png.size() - kIhdrEnd);
    return out;
}

QByteArray encodePngWithText(const QImage &image, const PngTextEntries &text, QString *error)
{
    QByteArray png;
    {
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        QImageWriter writer(&buffer, "png");
        // QImageWriter would add the image's text() entries its own way (zTXt when long).
        QImage plain(image.constBits(), image.width(), image.height(), image.bytesPerLine(),
                     image.format());
        plain.setColorTable(image.colorTable());
        plain.setColorSpace(image.colorSpace());
        if (!writer.write(plain)) {
            if (error)
                *error = QStringLiteral("could not encode the PNG: %1").arg(writer.errorString());
            return {};
        }
    }
    return insertPngTextChunks(png, text, error);
}

} // namespace imago
