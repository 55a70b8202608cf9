// EXIF capture time and camera (photo_metadata.h): the corpus files that carry the tags, with
// the values Pillow's getexif() and ImageMagick's identify -verbose report for them (not the
// code under test); every container (JPEG APP1, TIFF IFDs, PNG eXIf and raw-profile zTXt,
// WebP EXIF, HEIF Exif item); the date, offset and camera rules; and broken EXIF -
// truncated, mutated, looping or lying - which must never crash or fail a decode.

#include "exif_metadata.h"
#include "image_decoder.h"
#include "imaging_test_data.h"
#include "photo_metadata.h"

#include <QBuffer>
#include <QImage>
#include <QTest>

#include <climits>
#include <random>

using namespace imago;
using namespace imago::testdata;

namespace {

detail::Bytes asBytes(const QByteArray &a)
{
    return detail::Bytes(reinterpret_cast<const std::uint8_t *>(a.constData()),
                         std::size_t(a.size()));
}

QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")) : QString();
}

// A TIFF/EXIF structure: IFD0, optionally an Exif IFD, with ASCII values.
struct AsciiTag
{
    quint16 tag;
    QByteArray value; // NUL added
};

class ExifBuilder
{
public:
    explicit ExifBuilder(bool bigEndian) : m_big(bigEndian) {}

    QByteArray build(const QList<AsciiTag> &ifd0, const QList<AsciiTag> &exifIfd,
                     bool exifHeader = false) const
    {
        // Layout: header, IFD0, Exif IFD, then the values longer than 4 bytes.
        const quint32 ifd0At = 8;
        const quint32 ifd0Size = 2 + 12 * quint32(ifd0.size() + (exifIfd.isEmpty() ? 0 : 1)) + 4;
        const quint32 exifAt = ifd0At + ifd0Size;
        const quint32 exifSize = exifIfd.isEmpty() ? 0 : 2 + 12 * quint32(exifIfd.size()) + 4;
        quint32 valuesAt = exifAt + exifSize;
        QByteArray values;
        QByteArray out = m_big ? QByteArray("MM\0*", 4) : QByteArray("II*\0", 4);
        u32(out, ifd0At);
        const auto writeIfd = [&](const QList<AsciiTag> &tags, bool withPointer) {
            u16(out, quint16(tags.size() + (withPointer ? 1 : 0)));
            for (const AsciiTag &t : tags) {
                const QByteArray v = t.value + '\0';
                u16(out, t.tag);
                u16(out, 2);
                u32(out, quint32(v.size()));
                if (v.size() <= 4) {
                    out.append(v.leftJustified(4, '\0'));
                } else {
                    u32(out, valuesAt + quint32(values.size()));
                    values.append(v);
                }
            }
            if (withPointer) {
                u16(out, 0x8769);
                u16(out, 4);
                u32(out, 1);
                u32(out, exifAt);
            }
            u32(out, 0);
        };
        writeIfd(ifd0, !exifIfd.isEmpty());
        if (!exifIfd.isEmpty())
            writeIfd(exifIfd, false);
        Q_ASSERT(quint32(out.size()) == valuesAt);
        out.append(values);
        return exifHeader ? QByteArray("Exif\0\0", 6) + out : out;
    }

private:
    void u16(QByteArray &out, quint16 v) const
    {
        const char b[2] = {char(m_big ? v >> 8 : v & 0xFF), char(m_big ? v & 0xFF : v >> 8)};
        out.append(b, 2);
    }
    void u32(QByteArray &out, quint32 v) const
    {
        for (int i = 0; i < 4; ++i)
            out.append(char((v >> (m_big ? 24 - 8 * i : 8 * i)) & 0xFF));
    }
    bool m_big;
};

quint32 crc32(const QByteArray &data)
{
    quint32 crc = 0xFFFFFFFFu;
    for (const char ch : data) {
        crc ^= quint8(ch);
        for (int k = 0; k < 8; ++k)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

QByteArray pngChunk(const QByteArray &type, const QByteArray &data)
{
    QByteArray out;
    for (int s = 24; s >= 0; s -= 8)
        out.append(char((quint32(data.size()) >> s) & 0xFF));
    out.append(type + data);
    const quint32 crc = crc32(type + data);
    for (int s = 24; s >= 0; s -= 8)
        out.append(char((crc >> s) & 0xFF));
    return out;
}

// A small real PNG with `chunk` inserted right after IHDR.
QByteArray pngWith(const QByteArray &chunk)
{
    QImage img(6, 4, QImage::Format_RGB888);
    img.fill(Qt::darkCyan);
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    img.save(&buffer, "PNG");
    const qsizetype afterIhdr = 8 + 4 + 4 + 13 + 4;
    return png.left(afterIhdr) + chunk + png.mid(afterIhdr);
}

// ImageMagick's "Raw profile type exif" text for a blob.
QByteArray rawProfileText(const QByteArray &blob)
{
    QByteArray text = "\nexif\n" + QByteArray::number(blob.size()).rightJustified(8, ' ') + '\n';
    const QByteArray hex = blob.toHex();
    for (qsizetype i = 0; i < hex.size(); i += 72)
        text += hex.mid(i, 72) + '\n';
    return text;
}

QByteArray zTxt(const QByteArray &keyword, const QByteArray &text)
{
    // qCompress prefixes the zlib stream with a 4-byte length; PNG wants the bare stream.
    return pngChunk("zTXt", keyword + '\0' + '\0' + qCompress(text).mid(4));
}

const QByteArray kRealExif = ExifBuilder(false).build(
    {{0x010F, "Canon"}, {0x0110, "Canon EOS 40D"}, {0x0132, "2008:07:31 10:38:11"}},
    {{0x9003, "2008:05:30 15:56:01"}, {0x9291, "25"}, {0x9011, "+02:00"}});

} // namespace

class tst_PhotoMetadata : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void corpusFiles_data();
    void corpusFiles();
    void dateTimeParsing_data();
    void dateTimeParsing();
    void utcOffsetParsing_data();
    void utcOffsetParsing();
    void cameraNameRule_data();
    void cameraNameRule();
    void tagPreference();
    void bothByteOrders();
    void pngExifChunk();
    void pngRawProfile();
    void pngRawProfileBombIsCapped();
    void malformedStructures_data();
    void malformedStructures();
    void mutatedExifNeverCrashes();
    void brokenMetadataStillDecodes_data();
    void brokenMetadataStillDecodes();
};

void tst_PhotoMetadata::corpusFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("capturedAt"); // "" = no usable date
    QTest::addColumn<int>("utcOffset");      // -1 = none
    QTest::addColumn<QString>("camera");
    // Values as Pillow 9.4 getexif() (JPEG, WebP, TIFF) and ImageMagick identify -verbose
    // (HEIC) report them: DateTimeOriginal + SubSecTimeOriginal, Make + Model.
    QTest::newRow("camera/Canon_40D.jpg") << "camera/Canon_40D.jpg"
                                          << "2008-05-30 15:56:01.000" << -1 << "Canon EOS 40D";
    QTest::newRow("camera/Nikon_D70.jpg") << "camera/Nikon_D70.jpg"
                                          << "2008-03-15 09:52:01.000" << -1 << "NIKON D70";
    QTest::newRow("camera/Fujifilm_FinePix_E500.jpg")
        << "camera/Fujifilm_FinePix_E500.jpg"
        << "2006-08-17 09:24:48.000" << -1 << "FUJIFILM FinePix E500";
    QTest::newRow("camera/Konica_Minolta_DiMAGE_Z3.jpg")
        << "camera/Konica_Minolta_DiMAGE_Z3.jpg"
        << "2005-03-10 15:10:48.000" << -1 << "KONICA MINOLTA DiMAGE Z3";
    QTest::newRow("camera/Panasonic_DMC-FZ30.jpg")
        << "camera/Panasonic_DMC-FZ30.jpg"
        << "2008-07-16 11:33:20.000" << -1 << "Panasonic DMC-FZ30";
    QTest::newRow("camera/canon_hdr_NO.jpg")
        << "camera/canon_hdr_NO.jpg"
        << "2015-02-09 22:47:44.000" << -1 << "Canon PowerShot SX60 HS";
    QTest::newRow("camera/exiftool_Canon.jpg")
        << "camera/exiftool_Canon.jpg"
        << "2003-12-04 06:46:52.000" << -1 << "Canon EOS DIGITAL REBEL";
    QTest::newRow("camera/iphone_hdr_YES.jpg")
        << "camera/iphone_hdr_YES.jpg"
        << "2015-04-10 20:12:23.550" << -1 << "Apple iPhone 6";
    QTest::newRow("camera/sugarshack.mpo") << "camera/sugarshack.mpo"
                                           << "2014-03-02 14:17:39.000" << -1 << "Nintendo 3DS";
    QTest::newRow("camera/Reconyx_HC500_Hyperfire.jpg (no tags)")
        << "camera/Reconyx_HC500_Hyperfire.jpg"
        << "" << -1 << "";
    QTest::newRow("broken-metadata/broken_exif_dpi.jpg")
        << "broken-metadata/broken_exif_dpi.jpg"
        << "2013-09-11 16:45:13.900" << -1 << "NIKON D800";
    QTest::newRow("broken/corrupted.jpg (padded Make and Model)")
        << "broken/corrupted.jpg"
        << "2015-09-08 11:02:17.000" << -1 << "OLYMPUS IMAGING CORP. u1020,S1020";
    QTest::newRow("jpeg/pil_sample_cmyk.jpg (DateTime only)")
        << "jpeg/pil_sample_cmyk.jpg"
        << "2009-03-06 22:15:00.000" << -1 << "";
    QTest::newRow("jpeg/progressive_cat.jpg (DateTime only)")
        << "jpeg/progressive_cat.jpg"
        << "2013-10-09 11:13:48.000" << -1 << "";
    QTest::newRow("jpeg/ycck.jpg") << "jpeg/ycck.jpg"
                                   << "2004-03-20 14:54:55.000" << -1 << "Canon EOS 300D DIGITAL";
    QTest::newRow("misnamed/flower_is_webp.jpg (WebP EXIF chunk)")
        << "misnamed/flower_is_webp.jpg"
        << "2003-12-14 12:01:44.000" << -1 << "Canon PowerShot S40";
    QTest::newRow("formats/tiff/tiff_16bit_RGB.tiff (DateTime 15:08:70 is invalid)")
        << "formats/tiff/tiff_16bit_RGB.tiff"
        << "" << -1 << "";
    QTest::newRow("formats/heic/IMG_5195.HEIC (offset -05:00)")
        << "formats/heic/IMG_5195.HEIC"
        << "2021-04-11 15:47:53.054" << -5 * 3600 << "Apple iPhone 11 Pro Max";
    QTest::newRow("formats/heic/arrow.heic")
        << "formats/heic/arrow.heic"
        << "2018-07-31 14:52:07.557" << -1 << "Apple iPhone 8 Plus";
    QTest::newRow("formats/heic/example.heic (no Exif item)") << "formats/heic/example.heic"
                                                              << "" << -1 << "";
    QTest::newRow("non-image/CanonRaw.cr2 (refused, metadata still readable)")
        << "non-image/CanonRaw.cr2"
        << "2005-08-03 18:59:18.000" << -1 << "Canon EOS 350D DIGITAL";
}

void tst_PhotoMetadata::corpusFiles()
{
    QFETCH(QString, path);
    QFETCH(QString, capturedAt);
    QFETCH(int, utcOffset);
    QFETCH(QString, camera);
    const QByteArray bytes = readAll(kCorpus + path);
    QVERIFY(!bytes.isEmpty());
    const PhotoMetadata m = readPhotoMetadata(bytes);
    QCOMPARE(iso(m.capturedAt), capturedAt);
    if (m.capturedAt.isValid())
        QCOMPARE(m.capturedAt.timeSpec(), Qt::UTC); // floating: never shifted by Qt
    QCOMPARE(m.utcOffsetSeconds.value_or(-1), utcOffset);
    QCOMPARE(m.camera, camera);

    // The decoders fill the same metadata (the CR2 is refused, so only for the others).
    const DecodeResult r = decodeImageData(bytes);
    if (path.endsWith(QLatin1String(".cr2"))) {
        QVERIFY(!r.ok());
        return;
    }
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.decoded->metadata.capturedAt, m.capturedAt);
    QCOMPARE(r.decoded->metadata.utcOffsetSeconds, m.utcOffsetSeconds);
    QCOMPARE(r.decoded->metadata.camera, m.camera);
}

void tst_PhotoMetadata::dateTimeParsing_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("subSec");
    QTest::addColumn<QString>("expected");
    QTest::newRow("EXIF form") << QByteArray("2008:05:30 15:56:01") << QByteArray()
                               << "2008-05-30 15:56:01.000";
    QTest::newRow("sub-seconds 90 = 900 ms")
        << QByteArray("2013:09:11 16:45:13") << QByteArray("90") << "2013-09-11 16:45:13.900";
    QTest::newRow("sub-seconds 054")
        << QByteArray("2021:04:11 15:47:53") << QByteArray("054") << "2021-04-11 15:47:53.054";
    QTest::newRow("sub-seconds 123456 truncated")
        << QByteArray("2021:04:11 15:47:53") << QByteArray("123456") << "2021-04-11 15:47:53.123";
    QTest::newRow("sub-seconds garbage ignored")
        << QByteArray("2021:04:11 15:47:53") << QByteArray("ab") << "2021-04-11 15:47:53.000";
    QTest::newRow("dashes and T") << QByteArray("2019-12-31T23:59:58") << QByteArray()
                                  << "2019-12-31 23:59:58.000";
    QTest::newRow("slashes") << QByteArray("2019/01/02 03:04:05") << QByteArray()
                             << "2019-01-02 03:04:05.000";
    QTest::newRow("no seconds") << QByteArray("2019:01:02 03:04") << QByteArray()
                                << "2019-01-02 03:04:00.000";
    QTest::newRow("date only") << QByteArray("2019:01:02") << QByteArray()
                               << "2019-01-02 00:00:00.000";
    QTest::newRow("leading space")
        << QByteArray(" 2019:01:02 03:04:05") << QByteArray() << "2019-01-02 03:04:05.000";
    QTest::newRow("trailing junk ignored")
        << QByteArray("2019:01:02 03:04:05 +0100") << QByteArray() << "2019-01-02 03:04:05.000";
    QTest::newRow("zeros (no date set in camera)")
        << QByteArray("0000:00:00 00:00:00") << QByteArray() << "";
    QTest::newRow("blank (spaces and colons)")
        << QByteArray("    :  :     :  :  ") << QByteArray() << "";
    QTest::newRow("empty") << QByteArray() << QByteArray() << "";
    QTest::newRow("seconds 70") << QByteArray("2017:08:21 15:08:70") << QByteArray() << "";
    QTest::newRow("month 13") << QByteArray("2017:13:21 15:08:00") << QByteArray() << "";
    QTest::newRow("30 February") << QByteArray("2017:02:30 15:08:00") << QByteArray() << "";
    QTest::newRow("hour 24") << QByteArray("2017:02:03 24:00:00") << QByteArray() << "";
    QTest::newRow("year 1700") << QByteArray("1700:01:01 00:00:00") << QByteArray() << "";
    QTest::newRow("two-digit year") << QByteArray("17:08:21 15:08:00") << QByteArray() << "";
    QTest::newRow("in a DST gap somewhere, kept as written")
        << QByteArray("2021:03:28 02:30:00") << QByteArray() << "2021-03-28 02:30:00.000";
}

void tst_PhotoMetadata::dateTimeParsing()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, subSec);
    QFETCH(QString, expected);
    QCOMPARE(iso(detail::parseExifDateTime(text, subSec)), expected);
}

void tst_PhotoMetadata::utcOffsetParsing_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<int>("seconds"); // INT_MIN = none
    QTest::newRow("+09:00") << QByteArray("+09:00") << 9 * 3600;
    QTest::newRow("-05:30") << QByteArray("-05:30") << -(5 * 3600 + 30 * 60);
    QTest::newRow("+00:00") << QByteArray("+00:00") << 0;
    QTest::newRow("-0800 without colon") << QByteArray("-0800") << -8 * 3600;
    QTest::newRow("+14:00 (Kiribati)") << QByteArray("+14:00") << 14 * 3600;
    QTest::newRow("+15:00 out of range") << QByteArray("+15:00") << INT_MIN;
    QTest::newRow("no sign") << QByteArray("09:00") << INT_MIN;
    QTest::newRow("blank") << QByteArray("   :  ") << INT_MIN;
    QTest::newRow("empty") << QByteArray() << INT_MIN;
}

void tst_PhotoMetadata::utcOffsetParsing()
{
    QFETCH(QByteArray, text);
    QFETCH(int, seconds);
    QCOMPARE(detail::parseExifUtcOffset(text).value_or(INT_MIN), seconds);
}

void tst_PhotoMetadata::cameraNameRule_data()
{
    QTest::addColumn<QString>("make");
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("camera");
    QTest::newRow("Model starts with Make") << "Canon"
                                            << "Canon EOS 40D"
                                            << "Canon EOS 40D";
    QTest::newRow("case differs") << "CANON"
                                  << "Canon EOS 40D"
                                  << "Canon EOS 40D";
    QTest::newRow("Model starts with Make's first word") << "NIKON CORPORATION"
                                                         << "NIKON D70"
                                                         << "NIKON D70";
    QTest::newRow("Model does not name the maker") << "Apple"
                                                   << "iPhone 6"
                                                   << "Apple iPhone 6";
    QTest::newRow("Model glued to Make") << "OnePlus"
                                         << "OnePlus6"
                                         << "OnePlus6";
    QTest::newRow("Make's first word needs a word boundary") << "LG Electronics"
                                                             << "LG-H850"
                                                             << "LG Electronics LG-H850";
    QTest::newRow("padding and runs of spaces") << "OLYMPUS IMAGING CORP.  "
                                                << "u1020,S1020     "
                                                << "OLYMPUS IMAGING CORP. u1020,S1020";
    QTest::newRow("Make only") << "GoPro"
                               << ""
                               << "GoPro";
    QTest::newRow("Model only") << " "
                                << "DMC-FZ30"
                                << "DMC-FZ30";
    QTest::newRow("neither") << ""
                             << ""
                             << "";
    QTest::newRow("same") << "Nintendo"
                          << "Nintendo"
                          << "Nintendo";
}

void tst_PhotoMetadata::cameraNameRule()
{
    QFETCH(QString, make);
    QFETCH(QString, model);
    QFETCH(QString, camera);
    QCOMPARE(detail::cameraName(make, model), camera);
}

void tst_PhotoMetadata::tagPreference()
{
    // DateTimeOriginal, else DateTimeDigitized, else DateTime; each with its own sub-seconds
    // and offset; an unparseable tag falls through to the next.
    const ExifBuilder le(false);
    PhotoMetadata m = detail::photoMetadataFromExif(
        asBytes(le.build({{0x0132, "2003:03:03 03:03:03"}, {0x9010, "+03:00"}, {0x9290, "3"}},
                         {{0x9003, "0000:00:00 00:00:00"},
                          {0x9004, "2002:02:02 02:02:02"},
                          {0x9292, "2"},
                          {0x9012, "-02:00"}})));
    QCOMPARE(iso(m.capturedAt), QStringLiteral("2002-02-02 02:02:02.200"));
    QCOMPARE(m.utcOffsetSeconds, std::optional<int>(-2 * 3600));

    m = detail::photoMetadataFromExif(asBytes(
        le.build({{0x0132, "2003:03:03 03:03:03"}, {0x9010, "+03:00"}, {0x9290, "3"}}, {})));
    QCOMPARE(iso(m.capturedAt), QStringLiteral("2003-03-03 03:03:03.300"));
    QCOMPARE(m.utcOffsetSeconds, std::optional<int>(3 * 3600));

    m = detail::photoMetadataFromExif(asBytes(kRealExif));
    QCOMPARE(iso(m.capturedAt), QStringLiteral("2008-05-30 15:56:01.250"));
    QCOMPARE(m.utcOffsetSeconds, std::optional<int>(2 * 3600));
    QCOMPARE(m.camera, QStringLiteral("Canon EOS 40D"));
}

void tst_PhotoMetadata::bothByteOrders()
{
    const QList<AsciiTag> ifd0{{0x010F, "Leica"}, {0x0110, "Q2"}}; // both fit in the entry
    const QList<AsciiTag> exif{{0x9003, "2020:02:29 12:00:00"}};
    for (const bool big : {false, true}) {
        for (const bool header : {false, true}) {
            const PhotoMetadata m =
                detail::photoMetadataFromExif(asBytes(ExifBuilder(big).build(ifd0, exif, header)));
            QCOMPARE(m.camera, QStringLiteral("Leica Q2"));
            QCOMPARE(iso(m.capturedAt), QStringLiteral("2020-02-29 12:00:00.000"));
        }
    }
}

void tst_PhotoMetadata::pngExifChunk()
{
    const QByteArray png = pngWith(pngChunk("eXIf", kRealExif));
    const PhotoMetadata m = readPhotoMetadata(png);
    QCOMPARE(m.camera, QStringLiteral("Canon EOS 40D"));
    QCOMPARE(iso(m.capturedAt), QStringLiteral("2008-05-30 15:56:01.250"));
    const DecodeResult r = decodeImageData(png);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.decoded->metadata.camera, m.camera);
    QCOMPARE(r.decoded->metadata.capturedAt, m.capturedAt);
}

void tst_PhotoMetadata::pngRawProfile()
{
    // ImageMagick keeps EXIF as hex text in a zTXt (or tEXt) chunk, "Exif\0\0" included.
    const QByteArray text = rawProfileText(QByteArray("Exif\0\0", 6) + kRealExif);
    for (const QByteArray &chunk :
         {zTxt("Raw profile type exif", text),
          pngChunk("tEXt", QByteArray("Raw profile type exif") + '\0' + text),
          pngChunk("iTXt", QByteArray("Raw profile type exif") + '\0' + '\0' + '\0' + "en" + '\0' +
                               '\0' + text)}) {
        const PhotoMetadata m = readPhotoMetadata(pngWith(chunk));
        QCOMPARE(m.camera, QStringLiteral("Canon EOS 40D"));
        QCOMPARE(iso(m.capturedAt), QStringLiteral("2008-05-30 15:56:01.250"));
    }
    // Another keyword is not EXIF.
    QVERIFY(readPhotoMetadata(pngWith(zTxt("Raw profile type iptc", text))).isEmpty());
}

void tst_PhotoMetadata::pngRawProfileBombIsCapped()
{
    // 16 MiB of zeros compress to ~16 KiB; inflating stops at 1 MiB and gives nothing.
    const QByteArray bomb =
        zTxt("Raw profile type exif", "\nexif\n 16777216\n" + QByteArray(16 << 20, '0'));
    QVERIFY(bomb.size() < 100000);
    const QByteArray png = pngWith(bomb);
    QVERIFY(readPhotoMetadata(png).isEmpty());
    QVERIFY(decodeImageData(png).ok());
}

void tst_PhotoMetadata::malformedStructures_data()
{
    QTest::addColumn<QByteArray>("exif");
    const QByteArray good = kRealExif;
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("header only") << QByteArray("Exif\0\0", 6);
    QTest::newRow("not TIFF") << QByteArray("Exif\0\0XX*\0\x08\0\0\0", 14);
    QTest::newRow("IFD0 beyond the end") << QByteArray("II*\0\xFF\xFF\xFF\x7F", 8);
    QTest::newRow("65535 entries, none present") << QByteArray("II*\0\x08\0\0\0\xFF\xFF", 10);
    {
        // Exif IFD pointer at IFD0 itself: a loop, read once.
        QByteArray looping = good;
        const qsizetype at = looping.indexOf(QByteArray("\x69\x87\x04\0\x01\0\0\0", 8));
        QVERIFY(at > 0);
        looping.replace(at + 8, 4, QByteArray("\x08\0\0\0", 4));
        QTest::newRow("Exif IFD pointing back at IFD0") << looping;
        QByteArray outside = good;
        outside.replace(at + 8, 4, QByteArray("\xF0\xFF\xFF\xFF", 4));
        QTest::newRow("Exif IFD pointer outside") << outside;
    }
    {
        // A string whose offset points outside, and one claiming 4 GB.
        QByteArray badOffset = good;
        badOffset.replace(8 + 2 + 8, 4, QByteArray("\xFF\xFF\xFF\x0F", 4)); // Make's value
        QTest::newRow("string offset outside") << badOffset;
        QByteArray hugeCount = good;
        hugeCount.replace(8 + 2 + 4, 4, QByteArray("\xFF\xFF\xFF\xFF", 4)); // Make's count
        QTest::newRow("string count 4 GB") << hugeCount;
    }
    QTest::newRow("cut inside IFD0") << good.left(20);
    QTest::newRow("cut inside the values") << good.left(good.size() - 10);
    QTest::newRow("a string without NUL, 300 bytes")
        << ExifBuilder(false).build({{0x010F, QByteArray(300, 'A')}}, {});
}

void tst_PhotoMetadata::malformedStructures()
{
    QFETCH(QByteArray, exif);
    const PhotoMetadata m = detail::photoMetadataFromExif(asBytes(exif));
    QVERIFY(m.camera.size() <= 2 * 256 + 1);
    if (m.capturedAt.isValid())
        QVERIFY(m.capturedAt.date().year() >= 1800);
}

void tst_PhotoMetadata::mutatedExifNeverCrashes()
{
    // Every truncation of a real camera's EXIF, and random damage to it: no crash, no
    // out-of-bounds read (ASan builds), bounded strings. Also through the JPEG container.
    const QByteArray jpeg = readAll(kCorpus + QStringLiteral("camera/Canon_40D.jpg"));
    const qsizetype app1 = jpeg.indexOf(QByteArray("Exif\0\0", 6));
    QVERIFY(app1 > 0);
    const qsizetype length = (quint8(jpeg[app1 - 2]) << 8 | quint8(jpeg[app1 - 1])) - 2;
    const QByteArray exif = jpeg.mid(app1, length);
    QVERIFY(detail::photoMetadataFromExif(asBytes(exif)).camera == QLatin1String("Canon EOS 40D"));
    for (qsizetype n = 0; n <= exif.size(); n += (n < 600 ? 1 : 97))
        QVERIFY(detail::photoMetadataFromExif(asBytes(exif.left(n))).camera.size() <= 513);
    std::mt19937 rng(40);
    for (int round = 0; round < 3000; ++round) {
        QByteArray damaged = exif;
        for (int f = 0, flips = 1 + int(rng() % 6); f < flips; ++f) {
            // Mostly the header and IFDs, where offsets and counts live.
            const auto span = std::uint32_t(round % 2 ? 400 : damaged.size());
            damaged[qsizetype(rng() % span)] = char(rng() & 0xFF);
        }
        const PhotoMetadata m = detail::photoMetadataFromExif(asBytes(damaged));
        QVERIFY(m.camera.size() <= 513);
        if (round % 100 == 0) {
            QByteArray damagedJpeg = jpeg;
            damagedJpeg.replace(app1, length, damaged);
            const DecodeResult r = decodeImageData(damagedJpeg);
            QVERIFY2(r.ok(), qPrintable(r.error)); // the pixels are intact
        }
    }
}

void tst_PhotoMetadata::brokenMetadataStillDecodes_data()
{
    QTest::addColumn<QString>("path");
    for (const CorpusRow &row : corpusRows())
        if (row.path.startsWith(QLatin1String("broken-metadata/")))
            QTest::newRow(qPrintable(row.path)) << row.path;
}

void tst_PhotoMetadata::brokenMetadataStillDecodes()
{
    QFETCH(QString, path);
    const QByteArray bytes = readAll(kCorpus + path);
    const DecodeResult r = decodeImageData(bytes);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const PhotoMetadata m = readPhotoMetadata(bytes);
    QCOMPARE(r.decoded->metadata.camera, m.camera);
}

QTEST_GUILESS_MAIN(tst_PhotoMetadata)
#include "tst_photometadata.moc"
