// png_text: PNG files with plain tEXt chunks. libpng (through QImage) is the oracle: it drops
// an ancillary chunk whose CRC is wrong, so a text entry read back proves the chunk is sound.
#include "png_text.h"

#include <QBuffer>
#include <QImage>
#include <QImageReader>
#include <QTest>

using namespace imago;

namespace {

QImage sample()
{
    QImage img(7, 5, QImage::Format_RGB888);
    img.fill(Qt::darkMagenta);
    return img;
}

QImage decode(const QByteArray &png)
{
    QBuffer buffer;
    buffer.setData(png);
    QImageReader reader(&buffer, "png");
    return reader.read();
}

} // namespace

class tst_PngText : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void writesTextChunksBeforeTheImageData();
    void aBrokenCrcIsNoticed();
    void rejectsWhatTheFormatCannotHold_data();
    void rejectsWhatTheFormatCannotHold();
};

void tst_PngText::writesTextChunksBeforeTheImageData()
{
    const QByteArray longUri =
        "file:///home/someone/Pictures/2026/a%20rather%20long%20folder%20name/photo.jpg";
    QImage img = sample();
    img.setText(QStringLiteral("Ignored"), QStringLiteral("the image's own text is not written"));
    QString error;
    const QByteArray png = encodePngWithText(
        img, {{"Thumb::URI", longUri}, {"Thumb::MTime", "1796240327"}, {"Software", "Imago"}},
        &error);
    QVERIFY2(!png.isEmpty(), qPrintable(error));
    const QByteArray chunk = QByteArray("tEXt") + "Thumb::URI" + '\0' + longUri;
    const qsizetype at = png.indexOf(chunk);
    QCOMPARE(at, qsizetype(8 + 25 + 4)); // right after the signature and IHDR, past the length
    QVERIFY(at < png.indexOf("IDAT"));
    QVERIFY(!png.contains("zTXt"));
    QVERIFY(!png.contains("Ignored"));

    const QImage back = decode(png);
    QCOMPARE(back.size(), img.size());
    QCOMPARE(back.pixel(3, 2), img.pixel(3, 2));
    QCOMPARE(back.text(QStringLiteral("Thumb::URI")), QString::fromLatin1(longUri));
    QCOMPARE(back.text(QStringLiteral("Thumb::MTime")), QStringLiteral("1796240327"));
    QCOMPARE(back.text(QStringLiteral("Software")), QStringLiteral("Imago"));
    QCOMPARE(back.text(QStringLiteral("Ignored")), QString());
}

void tst_PngText::aBrokenCrcIsNoticed()
{
    QByteArray png = encodePngWithText(sample(), {{"Software", "Imago"}});
    QVERIFY(!png.isEmpty());
    QCOMPARE(decode(png).text(QStringLiteral("Software")), QStringLiteral("Imago"));
    const qsizetype crc = png.indexOf("Imago") + 5;
    png[crc] = char(png[crc] ^ 0x01);
    QCOMPARE(decode(png).text(QStringLiteral("Software")), QString()); // libpng dropped it
}

void tst_PngText::rejectsWhatTheFormatCannotHold_data()
{
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QString>("reason");
    QTest::newRow("empty key") << QByteArray() << QByteArray("v") << "1 to 79";
    QTest::newRow("80-character key") << QByteArray(80, 'k') << QByteArray("v") << "1 to 79";
    QTest::newRow("leading space") << QByteArray(" Title") << QByteArray("v") << "space";
    QTest::newRow("double space") << QByteArray("A  B") << QByteArray("v") << "space";
    QTest::newRow("control character") << QByteArray("Ti\ttle") << QByteArray("v") << "printable";
    QTest::newRow("NUL in value") << QByteArray("Title") << QByteArray("a\0b", 3) << "NUL";
}

void tst_PngText::rejectsWhatTheFormatCannotHold()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, value);
    QFETCH(QString, reason);
    QString error;
    QVERIFY(encodePngWithText(sample(), {{key, value}}, &error).isEmpty());
    QVERIFY2(error.contains(reason), qPrintable(error));

    QVERIFY(insertPngTextChunks("GIF89a, not a PNG file", {{"Title", "v"}}, &error).isEmpty());
    QVERIFY2(error.contains(QLatin1String("not a PNG")), qPrintable(error));
}

QTEST_GUILESS_MAIN(tst_PngText)
#include "tst_pngtext.moc"
