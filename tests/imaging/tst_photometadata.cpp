// PhotoMetadata (photo_metadata.h). EXIF capture time and camera: the corpus files that carry
// the tags, with the values Pillow's getexif() and ImageMagick's identify -verbose report for
// them (not the code under test); every container (JPEG APP1, TIFF IFDs, PNG eXIf and
// raw-profile zTXt, WebP EXIF, HEIF Exif item); the date, offset and camera rules; and broken
// EXIF - truncated, mutated, looping or lying - which must never crash or fail a decode.
// Keywords, title and description: the XMP, IPTC IIM and EXIF readers on their own, files
// built here with each container's blocks spliced in (JPEG APP1/APP13, PNG iTXt, TIFF tags,
// WebP chunk), ExifTool-written fixtures as an independent oracle, the merge rule, the limits,
// and hostile blocks (truncated APP13, lying 8BIM and IIM lengths, XML entity bombs).

#include "exif_metadata.h"
#include "image_decoder.h"
#include "imaging_test_data.h"
#include "iptc_metadata.h"
#include "photo_metadata.h"
#include "xmp_metadata.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QImage>
#include <QTest>

#include <algorithm>
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

// A TIFF/EXIF structure: IFD0, optionally an Exif IFD, with ASCII (or BYTE) values.
struct AsciiTag
{
    quint16 tag;
    QByteArray value; // NUL added for ASCII
    quint16 type = 2; // 2 ASCII, 1 BYTE (the value as given)
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
                const QByteArray v = t.type == 2 ? t.value + '\0' : t.value;
                u16(out, t.tag);
                u16(out, t.type);
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

// Windows' XP* tag bytes: UTF-16LE and a NUL character.
QByteArray xpValue(const QString &text)
{
    QByteArray out;
    for (const QChar c : text) {
        out.append(char(c.unicode() & 0xFF));
        out.append(char(c.unicode() >> 8));
    }
    return out + QByteArray(2, '\0');
}

// An XMP packet with one top-level rdf:Description holding `body` (and `attributes`).
QByteArray makeXmp(const QByteArray &body, const QByteArray &attributes = {})
{
    return "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
           "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
           "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
           "<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
           "xmlns:lr=\"http://ns.adobe.com/lightroom/1.0/\" "
           "xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\"" +
           (attributes.isEmpty() ? QByteArray() : ' ' + attributes) + ">" + body +
           "</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end=\"w\"?>";
}

QByteArray xmpBag(const QByteArray &property, const QList<QByteArray> &items,
                  const QByteArray &container = "rdf:Bag")
{
    QByteArray out = '<' + property + "><" + container + '>';
    for (const QByteArray &item : items)
        out += "<rdf:li>" + item + "</rdf:li>";
    return out + "</" + container + "></" + property + '>';
}

// A language alternative: (xml:lang, text) pairs in file order.
QByteArray xmpAlt(const QByteArray &property, const QList<std::pair<QByteArray, QByteArray>> &items)
{
    QByteArray out = '<' + property + "><rdf:Alt>";
    for (const auto &[lang, text] : items)
        out += "<rdf:li xml:lang=\"" + lang + "\">" + text + "</rdf:li>";
    return out + "</rdf:Alt></" + property + '>';
}

// One IPTC IIM dataset (extended length for values over 32767 bytes).
QByteArray iimDataset(int record, int number, const QByteArray &value)
{
    QByteArray out;
    out.append(char(0x1C)).append(char(record)).append(char(number));
    if (value.size() < 0x8000) {
        out.append(char(value.size() >> 8)).append(char(value.size() & 0xFF));
    } else {
        out.append(char(0x80)).append(char(4));
        for (int s = 24; s >= 0; s -= 8)
            out.append(char((quint32(value.size()) >> s) & 0xFF));
    }
    return out + value;
}

const QByteArray kIimUtf8 = iimDataset(1, 90, "\x1B%G");

// A Photoshop image resource: "8BIM", id, even-padded Pascal name, size, even-padded data.
QByteArray irbResource(quint16 id, const QByteArray &data, const QByteArray &name = {})
{
    QByteArray out = "8BIM";
    out.append(char(id >> 8)).append(char(id & 0xFF));
    out.append(char(name.size())).append(name);
    if ((1 + name.size()) % 2)
        out.append('\0');
    for (int s = 24; s >= 0; s -= 8)
        out.append(char((quint32(data.size()) >> s) & 0xFF));
    out.append(data);
    if (data.size() % 2)
        out.append('\0');
    return out;
}

QByteArray jpegSegment(quint8 marker, const QByteArray &payload)
{
    const int length = int(payload.size()) + 2;
    Q_ASSERT(length <= 0xFFFF);
    QByteArray out;
    out.append(char(0xFF))
        .append(char(marker))
        .append(char(length >> 8))
        .append(char(length & 0xFF));
    return out + payload;
}

QByteArray app1Xmp(const QByteArray &packet)
{
    return jpegSegment(0xE1, QByteArray("http://ns.adobe.com/xap/1.0/\0", 29) + packet);
}

QByteArray app13(const QByteArray &resources)
{
    return jpegSegment(0xED, QByteArray("Photoshop 3.0\0", 14) + resources);
}

QByteArray app1Exif(const QByteArray &exif)
{
    return jpegSegment(0xE1, QByteArray("Exif\0\0", 6) + exif);
}

QByteArray savedImage(const char *format, int width = 6, int height = 4)
{
    QImage img(width, height, QImage::Format_RGB888);
    img.fill(Qt::darkCyan);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    img.save(&buffer, format);
    return bytes;
}

// A small real JPEG with `segments` right after SOI.
QByteArray jpegWith(const QByteArray &segments)
{
    const QByteArray jpeg = savedImage("JPEG");
    return jpeg.left(2) + segments + jpeg.mid(2);
}

struct RawTag
{
    quint16 tag;
    quint16 type; // 1 BYTE, 7 UNDEFINED, 4 LONG
    QByteArray bytes;
};

// A little-endian TIFF with `extra` added to IFD0: a new IFD0 (old entries and these, sorted)
// is appended with its values and the header pointed at it.
QByteArray tiffWithTags(const QByteArray &tiff, const QList<RawTag> &extra)
{
    Q_ASSERT(tiff.startsWith(QByteArray("II*\0", 4)));
    const auto u16At = [&](qsizetype at) {
        return quint16(quint8(tiff[at]) | quint8(tiff[at + 1]) << 8);
    };
    const auto u32At = [&](qsizetype at) {
        return quint32(u16At(at)) | quint32(u16At(at + 2)) << 16;
    };
    const auto put16 = [](QByteArray &o, quint32 v) {
        o.append(char(v & 0xFF)).append(char((v >> 8) & 0xFF));
    };
    const auto put32 = [&](QByteArray &o, quint32 v) {
        put16(o, v & 0xFFFF);
        put16(o, v >> 16);
    };
    const quint32 ifd0 = u32At(4);
    const quint16 count = u16At(ifd0);
    struct Entry
    {
        quint16 tag;
        QByteArray raw;
    };
    QList<Entry> entries;
    for (quint16 i = 0; i < count; ++i)
        entries.append({u16At(ifd0 + 2 + 12 * i), tiff.mid(ifd0 + 2 + 12 * i, 12)});
    QByteArray out = tiff;
    if (out.size() % 2)
        out.append('\0');
    const quint32 newIfd = quint32(out.size());
    const qsizetype total = entries.size() + extra.size();
    quint32 valuesAt = newIfd + 2 + 12 * quint32(total) + 4;
    QByteArray values;
    for (const RawTag &t : extra) {
        const quint32 unit = t.type == 4 ? 4 : 1;
        QByteArray e;
        put16(e, t.tag);
        put16(e, t.type);
        put32(e, quint32(t.bytes.size()) / unit);
        if (t.bytes.size() <= 4) {
            e.append(t.bytes.leftJustified(4, '\0'));
        } else {
            put32(e, valuesAt + quint32(values.size()));
            values.append(t.bytes);
            if (values.size() % 2)
                values.append('\0');
        }
        entries.append({t.tag, e});
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry &a, const Entry &b) { return a.tag < b.tag; });
    put16(out, quint16(total));
    for (const Entry &e : entries)
        out.append(e.raw);
    put32(out, 0);
    out.append(values);
    QByteArray header;
    put32(header, newIfd);
    return out.replace(4, 4, header);
}

// A VP8X WebP (the extended format, which may carry metadata chunks) with an "XMP " chunk.
QByteArray webpWithXmp(const QByteArray &packet)
{
    const QByteArray simple = savedImage("WEBP");
    Q_ASSERT(simple.startsWith("RIFF") && simple.mid(8, 4) == "WEBP");
    const auto chunk = [](const QByteArray &fourcc, const QByteArray &data) {
        QByteArray c = fourcc;
        for (int s = 0; s < 32; s += 8)
            c.append(char((quint32(data.size()) >> s) & 0xFF));
        c += data;
        if (data.size() % 2)
            c.append('\0');
        return c;
    };
    QByteArray vp8x(10, '\0');
    vp8x[0] = char(0x04);  // XMP present
    vp8x[4] = char(6 - 1); // canvas width - 1, 24 bits
    vp8x[7] = char(4 - 1);
    const QByteArray body = "WEBP" + chunk("VP8X", vp8x) + simple.mid(12) + chunk("XMP ", packet);
    QByteArray out = "RIFF";
    for (int s = 0; s < 32; s += 8)
        out.append(char((quint32(body.size()) >> s) & 0xFF));
    return out + body;
}

// Compares all three text fields with one call.
QString textOf(const PhotoMetadata &m)
{
    return m.keywords.join(QLatin1Char(',')) + QLatin1Char('|') + m.title + QLatin1Char('|') +
           m.description;
}

} // namespace

Q_DECLARE_METATYPE(AsciiTag)

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

    // Keywords, title and description.
    void corpusText_data();
    void corpusText();
    void xmpPacket_data();
    void xmpPacket();
    void xmpEntityBombIsRejected();
    void iptcDatasets_data();
    void iptcDatasets();
    void photoshopResources_data();
    void photoshopResources();
    void exifText_data();
    void exifText();
    void textLimits();
    void jpegSegments();
    void pngXmpChunk();
    void tiffTags();
    void webpXmpChunk();
    void exiftoolFixtures_data();
    void exiftoolFixtures();
    void hostileTextBlocks_data();
    void hostileTextBlocks();
    void mutatedTextBlocksNeverCrash();
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
    QCOMPARE(textOf(r.decoded->metadata), textOf(m));
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
    QCOMPARE(textOf(r.decoded->metadata), textOf(m));
}

void tst_PhotoMetadata::corpusText_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("text"); // textOf(): "keywords|title|description"
    // What ExifTool reports in these files is only an ImageDescription each, all of them
    // what software writes when nobody described the photo.
    QTest::newRow("Konica Minolta placeholder description") << "camera/Konica_Minolta_DiMAGE_Z3.jpg"
                                                            << "||";
    QTest::newRow("Olympus placeholder description") << "broken/corrupted.jpg"
                                                     << "||";
    QTest::newRow("Photoshop 4 placeholder description (TIFF)") << "formats/tiff/hopper.tif"
                                                                << "||";
    QTest::newRow("blank description") << "camera/canon_hdr_NO.jpg"
                                       << "||";
    QTest::newRow("no text at all") << "camera/Canon_40D.jpg"
                                    << "||";
}

void tst_PhotoMetadata::corpusText()
{
    QFETCH(QString, path);
    QFETCH(QString, text);
    const QByteArray bytes = readAll(kCorpus + path);
    QVERIFY(!bytes.isEmpty());
    const PhotoMetadata m = readPhotoMetadata(bytes);
    QCOMPARE(textOf(m), text);
    const DecodeResult r = decodeImageData(bytes);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(textOf(r.decoded->metadata), text);
}

void tst_PhotoMetadata::xmpPacket_data()
{
    QTest::addColumn<QByteArray>("packet");
    QTest::addColumn<QString>("text");
    QTest::newRow("element forms; x-default wins, else the first")
        << makeXmp(xmpBag("dc:subject", {"Zürich", "海滩"}) +
                   xmpAlt("dc:title", {{"de", "Titel"}, {"x-default", "Title"}}) +
                   xmpAlt("dc:description", {{"en", "First"}, {"fr", "Second"}}))
        << u"Zürich,海滩|Title|First"_qs;
    QTest::newRow("attribute shorthand")
        << makeXmp({}, "dc:title=\"Kurz\" dc:description=\"Beschreibung &amp; mehr\" "
                       "photoshop:Headline=\"H\"")
        << "|Kurz|Beschreibung & mehr";
    QTest::newRow("plain-text values") << makeXmp("<dc:title> Plain </dc:title>"
                                                  "<dc:subject>one</dc:subject>")
                                       << "one|Plain|";
    QTest::newRow("rdf:Seq") << makeXmp(xmpBag("dc:subject", {"b", "a"}, "rdf:Seq")) << "b,a||";
    QTest::newRow("other prefixes for the same namespaces")
        << QByteArray("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
                      "<R:RDF xmlns:R=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
                      "<R:Description xmlns:d=\"http://purl.org/dc/elements/1.1/\" d:title=\"T\">"
                      "<d:subject><R:Bag><R:li>k</R:li></R:Bag></d:subject>"
                      "</R:Description></R:RDF></x:xmpmeta>")
        << "k|T|";
    QTest::newRow("dc prefix bound to another namespace")
        << QByteArray("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
                      "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
                      "<rdf:Description xmlns:dc=\"http://example.com/not-dc/\" dc:title=\"T\">"
                      "<dc:subject><rdf:Bag><rdf:li>k</rdf:li></rdf:Bag></dc:subject>"
                      "</rdf:Description></rdf:RDF></x:xmpmeta>")
        << "||";
    QTest::newRow("hierarchical leaves after dc:subject, repeats dropped")
        << makeXmp(xmpBag("lr:hierarchicalSubject", {"Places|Europe|Zürich", "Nature|sunset"}) +
                   xmpBag("dc:subject", {"Sunset", " beach "}))
        << u"Sunset,beach,Zürich||"_qs;
    QTest::newRow("Headline when there is no title")
        << makeXmp("<photoshop:Headline>Schlagzeile</photoshop:Headline>") << "|Schlagzeile|";
    QTest::newRow("title beats Headline") << makeXmp("<photoshop:Headline>H</photoshop:Headline>" +
                                                     xmpAlt("dc:title", {{"x-default", "T"}}))
                                          << "|T|";
    QTest::newRow("a struct's dc:title is not the photo's")
        << makeXmp("<photoshop:TextLayers><rdf:Bag><rdf:li rdf:parseType=\"Resource\">"
                   "<dc:title>Layer 1</dc:title></rdf:li></rdf:Bag></photoshop:TextLayers>")
        << "||";
    QTest::newRow("several top-level descriptions")
        << QByteArray("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
                      "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
                      "xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
                      "<rdf:Description><dc:subject><rdf:Bag><rdf:li>k</rdf:li></rdf:Bag>"
                      "</dc:subject></rdf:Description>"
                      "<rdf:Description dc:description=\"D\"/></rdf:RDF></x:xmpmeta>")
        << "k||D";
    QTest::newRow("bare rdf:RDF")
        << QByteArray("<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
                      "<rdf:Description xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
                      "dc:title=\"T\"/></rdf:RDF>")
        << "|T|";
    QTest::newRow("NUL padding after the packet")
        << makeXmp(xmpBag("dc:subject", {"k"})) + QByteArray(64, '\0') << "k||";
    QTest::newRow("references and CDATA")
        << makeXmp(xmpBag("dc:subject", {"Caf&#xE9;", "<![CDATA[a<b]]>", "R&amp;D"}))
        << u"Café,a<b,R&D||"_qs;
    QTest::newRow("blank items skipped")
        << makeXmp(xmpBag("dc:subject", {"  ", ""}) + xmpAlt("dc:title", {{"x-default", " "}}))
        << "||";
    QTest::newRow("truncated") << makeXmp(xmpBag("dc:subject", {"k"})).left(300) << "||";
    QTest::newRow("mismatched tags")
        << makeXmp("<dc:subject><rdf:Bag><rdf:li>k</rdf:Bag></dc:subject>") << "||";
    QTest::newRow("undeclared entity") << makeXmp(xmpBag("dc:subject", {"&bogus;"})) << "||";
    QTest::newRow("empty") << QByteArray() << "||";
    QTest::newRow("not XML") << QByteArray("\x01\x02 hello \xFF", 10) << "||";
}

void tst_PhotoMetadata::xmpPacket()
{
    QFETCH(QByteArray, packet);
    QFETCH(QString, text);
    QCOMPARE(textOf(detail::photoTextFromXmp(asBytes(packet))), text);
}

void tst_PhotoMetadata::xmpEntityBombIsRejected()
{
    // Billion laughs: 10 levels of 10 references expand to 10^9 "lol"s. XMP has no DTD, so a
    // packet with one is rejected before any entity is expanded; likewise an external entity.
    QByteArray dtd = "<!DOCTYPE x:xmpmeta [<!ENTITY lol0 \"lol\">";
    for (int i = 1; i <= 9; ++i) {
        dtd += "<!ENTITY lol" + QByteArray::number(i) + " \"";
        for (int j = 0; j < 10; ++j)
            dtd += "&lol" + QByteArray::number(i - 1) + ';';
        dtd += "\">";
    }
    dtd += "]>";
    const QByteArray bomb = dtd + makeXmp(xmpBag("dc:subject", {"&lol9;", "k"}));
    QCOMPARE(textOf(detail::photoTextFromXmp(asBytes(bomb))), QStringLiteral("||"));
    const QByteArray external = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" +
                                makeXmp(xmpBag("dc:subject", {"&e;"}));
    QCOMPARE(textOf(detail::photoTextFromXmp(asBytes(external))), QStringLiteral("||"));
    // The same through a JPEG: no text, and the pixels still decode.
    const QByteArray jpeg = jpegWith(app1Xmp(bomb));
    QCOMPARE(textOf(readPhotoMetadata(jpeg)), QStringLiteral("||"));
    QVERIFY(decodeImageData(jpeg).ok());
}

void tst_PhotoMetadata::iptcDatasets_data()
{
    QTest::addColumn<QByteArray>("iim");
    QTest::addColumn<QString>("text");
    const QByteArray records = iimDataset(2, 25, "Zürich") + iimDataset(2, 25, "海滩") +
                               iimDataset(2, 5, "Titel") + iimDataset(2, 120, "Unterschrift");
    QTest::newRow("UTF-8 declared (1:90 ESC % G)")
        << kIimUtf8 + iimDataset(1, 0, "\0\4") + records << u"Zürich,海滩|Titel|Unterschrift"_qs;
    QTest::newRow("UTF-8 undeclared but valid") << records << u"Zürich,海滩|Titel|Unterschrift"_qs;
    QTest::newRow("Latin-1") << iimDataset(2, 25, "Z\xFCrich") + iimDataset(2, 120, "caf\xE9")
                             << u"Zürich||café"_qs;
    QTest::newRow("repeats and blanks")
        << iimDataset(2, 25, "Sunset") + iimDataset(2, 25, "sunset") + iimDataset(2, 25, "  ") +
               iimDataset(2, 25, " beach ")
        << "Sunset,beach||";
    QTest::newRow("first Object Name wins")
        << iimDataset(2, 5, "one") + iimDataset(2, 5, "two") << "|one|";
    QTest::newRow("NUL-padded value") << iimDataset(2, 5, QByteArray("T\0\0", 3)) << "|T|";
    QTest::newRow("extended-length caption, cut to 2000 bytes")
        << iimDataset(2, 120, QByteArray(40000, 'a')) << "||" + QString(2000, QLatin1Char('a'));
    QTest::newRow("length past the end keeps what came before")
        << iimDataset(2, 25, "ok") + QByteArray("\x1C\x02\x19\x00\x64"
                                                "abc",
                                                8)
        << "ok||";
    QTest::newRow("extended length of 0 bytes")
        << iimDataset(2, 25, "ok") + QByteArray("\x1C\x02\x19\x80\x00", 5) << "ok||";
    QTest::newRow("extended length of 5 bytes")
        << iimDataset(2, 25, "ok") + QByteArray("\x1C\x02\x19\x80\x05\0\0\0\0\1x", 11) << "ok||";
    QTest::newRow("extended length 4 GB")
        << iimDataset(2, 25, "ok") + QByteArray("\x1C\x02\x19\x80\x04\xFF\xFF\xFF\xFFx", 10)
        << "ok||";
    QTest::newRow("other datasets ignored")
        << iimDataset(1, 5, "dest") + iimDataset(2, 10, "5") + iimDataset(2, 105, "headline")
        << "||";
    QTest::newRow("not IIM") << QByteArray("garbage") << "||";
    QTest::newRow("empty") << QByteArray() << "||";
}

void tst_PhotoMetadata::iptcDatasets()
{
    QFETCH(QByteArray, iim);
    QFETCH(QString, text);
    QCOMPARE(textOf(detail::photoTextFromIptc(asBytes(iim))), text);
}

void tst_PhotoMetadata::photoshopResources_data()
{
    QTest::addColumn<QByteArray>("resources");
    QTest::addColumn<QString>("text");
    const QByteArray iim = kIimUtf8 + iimDataset(2, 25, "ok") + iimDataset(2, 5, "T");
    QTest::newRow("0x0404 alone") << irbResource(0x0404, iim) << "ok|T|";
    QTest::newRow("after resources with odd name and data")
        << irbResource(0x03ED, "abc", "n") + irbResource(0x040C, "12345", "ab") +
               irbResource(0x0404, iim)
        << "ok|T|";
    QTest::newRow("named 0x0404") << irbResource(0x0404, iim, "IPTC") << "ok|T|";
    QByteArray pastEnd = irbResource(0x0404, iim);
    pastEnd.replace(8, 4, QByteArray("\x7F\xFF\xFF\xF0", 4));
    QTest::newRow("0x0404 size past the end: what is there") << pastEnd << "ok|T|";
    QByteArray earlierPastEnd = irbResource(0x03ED, "abcd") + irbResource(0x0404, iim);
    earlierPastEnd.replace(8, 4, QByteArray("\xFF\xFF\xFF\xFF", 4));
    QTest::newRow("an earlier resource's size past the end") << earlierPastEnd << "||";
    QTest::newRow("name past the end") << QByteArray("8BIM\x04\x04\xFF", 7) << "||";
    QTest::newRow("header cut short") << QByteArray("8BIM\x04", 5) << "||";
    QTest::newRow("not 8BIM") << "XXXX" + irbResource(0x0404, iim).mid(4) << "||";
    QTest::newRow("empty") << QByteArray() << "||";
}

void tst_PhotoMetadata::photoshopResources()
{
    QFETCH(QByteArray, resources);
    QFETCH(QString, text);
    const detail::Bytes iim = detail::iptcFromPhotoshopResources(asBytes(resources));
    QCOMPARE(textOf(detail::photoTextFromIptc(iim)), text);
}

void tst_PhotoMetadata::exifText_data()
{
    QTest::addColumn<bool>("bigEndian");
    QTest::addColumn<QList<AsciiTag>>("ifd0");
    QTest::addColumn<QString>("text");
    const auto xp = [](quint16 tag, const QString &text) {
        return AsciiTag{tag, xpValue(text), 1};
    };
    QTest::newRow("ImageDescription")
        << false << QList<AsciiTag>{{0x010E, " A lake \n"}} << "||A lake";
    QTest::newRow("UTF-8 ImageDescription")
        << false << QList<AsciiTag>{{0x010E, "Zürich bei Nacht"}} << u"||Zürich bei Nacht"_qs;
    QTest::newRow("Latin-1 ImageDescription")
        << false << QList<AsciiTag>{{0x010E, "caf\xE9"}} << u"||café"_qs;
    for (const char *placeholder :
         {"OLYMPUS DIGITAL CAMERA", "SONY DSC   ", "          ", "KONICA MINOLTA DIGITAL CAMERA",
          "File written by Adobe Photoshop\xA8 4.0"})
        QTest::newRow(qPrintable(
            QStringLiteral("placeholder \"%1\"").arg(QString::fromLatin1(placeholder).trimmed())))
            << false << QList<AsciiTag>{{0x010E, placeholder}} << "||";
    QTest::newRow("description that repeats Make")
        << false << QList<AsciiTag>{{0x010E, "Canon"}, {0x010F, "Canon"}} << "||";
    QTest::newRow("XP tags") << false
                             << QList<AsciiTag>{xp(0x9C9E, u"海滩; Zürich ;;sunset;Sunset"_qs),
                                                xp(0x9C9B, u"Titel"_qs),
                                                xp(0x9C9C, u"Kommentar"_qs),
                                                xp(0x9C9F, u"Betreff"_qs)}
                             << u"海滩,Zürich,sunset|Titel|Kommentar"_qs;
    QTest::newRow("XP tags are little-endian in a big-endian file")
        << true << QList<AsciiTag>{xp(0x9C9E, u"海滩"_qs), xp(0x9C9B, u"Titel"_qs)}
        << u"海滩|Titel|"_qs;
    QTest::newRow("XPSubject when there is no comment")
        << false << QList<AsciiTag>{xp(0x9C9F, u"Betreff"_qs)} << "||Betreff";
    QTest::newRow("ImageDescription before XPComment")
        << false << QList<AsciiTag>{{0x010E, "Desc"}, xp(0x9C9C, u"Kommentar"_qs)} << "||Desc";
    QTest::newRow("placeholder falls through to XPComment")
        << false << QList<AsciiTag>{{0x010E, "SONY DSC"}, xp(0x9C9C, u"Kommentar"_qs)}
        << "||Kommentar";
    QTest::newRow("odd-length XP value")
        << false << QList<AsciiTag>{{0x9C9B, QByteArray("T\0i\0t", 5), 1}} << "|Ti|";
}

void tst_PhotoMetadata::exifText()
{
    QFETCH(bool, bigEndian);
    QFETCH(QList<AsciiTag>, ifd0);
    QFETCH(QString, text);
    QList<AsciiTag> sorted = ifd0;
    std::sort(sorted.begin(), sorted.end(),
              [](const AsciiTag &a, const AsciiTag &b) { return a.tag < b.tag; });
    const QByteArray exif = ExifBuilder(bigEndian).build(sorted, {});
    QCOMPARE(textOf(detail::photoMetadataFromExif(asBytes(exif))), text);
}

void tst_PhotoMetadata::textLimits()
{
    QList<QByteArray> many;
    for (int i = 0; i < 300; ++i)
        many.append("keyword" + QByteArray::number(i));
    PhotoMetadata m = detail::photoTextFromXmp(asBytes(makeXmp(xmpBag("dc:subject", many))));
    QCOMPARE(m.keywords.size(), 200);
    QCOMPARE(m.keywords.last(), QStringLiteral("keyword199"));

    // 2,000 bytes of UTF-8, never half a character: 666 three-byte characters (1,998 bytes).
    const QString sea = QString(1000, QChar(0x6D77));
    m = detail::photoTextFromXmp(
        asBytes(makeXmp(xmpAlt("dc:title", {{"x-default", QByteArray(5000, 't')}}) +
                        xmpAlt("dc:description", {{"x-default", sea.toUtf8()}}))));
    QCOMPARE(m.title, QString(2000, QLatin1Char('t')));
    QCOMPARE(m.description, QString(666, QChar(0x6D77)));

    // Merged sources stay within 200 keywords too.
    QByteArray iim;
    for (int i = 0; i < 300; ++i)
        iim += iimDataset(2, 25, "iptc" + QByteArray::number(i));
    QCOMPARE(detail::photoTextFromIptc(asBytes(iim)).keywords.size(), 200);
    const QByteArray jpeg = jpegWith(
        app1Xmp(makeXmp(xmpBag("dc:subject", many.mid(0, 150)))) +
        app13(irbResource(0x0404,
                          iim.left(iim.indexOf(QByteArray("\x1C\x02\x19\x00\x07iptc150", 12))))));
    m = readPhotoMetadata(jpeg);
    QCOMPARE(m.keywords.size(), 200);
    QCOMPARE(m.keywords[149], QStringLiteral("keyword149"));
    QCOMPARE(m.keywords[150], QStringLiteral("iptc0"));
    QCOMPARE(m.keywords.last(), QStringLiteral("iptc49"));
}

void tst_PhotoMetadata::jpegSegments()
{
    // One of each source, all disagreeing: keywords are the union (XMP, IPTC, EXIF order),
    // title and description come from the first source that has them.
    const QByteArray exif = ExifBuilder(false).build({{0x010E, "EXIF description"},
                                                      {0x010F, "Canon"},
                                                      {0x0110, "Canon EOS 40D"},
                                                      {0x9C9B, xpValue(u"XP title"_qs), 1},
                                                      {0x9C9E, xpValue(u"海滩;Sommer"_qs), 1}},
                                                     {{0x9003, "2008:05:30 15:56:01"}});
    const QByteArray xmp = makeXmp(xmpBag("dc:subject", {"Zürich", "海滩"}) +
                                   xmpAlt("dc:title", {{"x-default", "XMP title"}}));
    const QByteArray iim = kIimUtf8 + iimDataset(2, 25, "zürich") + iimDataset(2, 25, "See") +
                           iimDataset(2, 5, "IPTC title") + iimDataset(2, 120, "IPTC caption");
    const struct
    {
        const char *name;
        QByteArray segments;
        QString text;
    } cases[] = {
        {"all three", app1Exif(exif) + app1Xmp(xmp) + app13(irbResource(0x0404, iim)),
         u"Zürich,海滩,See,Sommer|XMP title|IPTC caption"_qs},
        {"XMP after APP13, EXIF last",
         app13(irbResource(0x0404, iim)) + app1Xmp(xmp) + app1Exif(exif),
         u"Zürich,海滩,See,Sommer|XMP title|IPTC caption"_qs},
        {"IPTC and EXIF", app1Exif(exif) + app13(irbResource(0x0404, iim)),
         u"zürich,See,海滩,Sommer|IPTC title|IPTC caption"_qs},
        {"EXIF only", app1Exif(exif), u"海滩,Sommer|XP title|EXIF description"_qs},
        {"none", QByteArray(), u"||"_qs},
    };
    for (const auto &c : cases) {
        const QByteArray jpeg = jpegWith(c.segments);
        const PhotoMetadata m = readPhotoMetadata(jpeg);
        QVERIFY2(textOf(m) == c.text,
                 qPrintable(QStringLiteral("%1: %2").arg(QString::fromLatin1(c.name), textOf(m))));
        if (!c.segments.isEmpty() && c.segments.contains("Exif")) {
            QCOMPARE(m.camera, QStringLiteral("Canon EOS 40D"));
            QCOMPARE(iso(m.capturedAt), QStringLiteral("2008-05-30 15:56:01.000"));
        }
        const DecodeResult r = decodeImageData(jpeg);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(textOf(r.decoded->metadata), c.text);
        QCOMPARE(r.decoded->metadata.camera, m.camera);
    }
}

void tst_PhotoMetadata::pngXmpChunk()
{
    const QByteArray xmp = makeXmp(xmpBag("dc:subject", {"Zürich", "海滩"}) +
                                   xmpAlt("dc:description", {{"x-default", "Ufer"}}));
    const QByteArray keyword("XML:com.adobe.xmp\0", 18);
    const QByteArray plain = pngChunk("iTXt", keyword + '\0' + '\0' + '\0' + '\0' + xmp);
    const QByteArray compressed =
        pngChunk("iTXt", keyword + '\1' + '\0' + "en" + '\0' + '\0' + qCompress(xmp).mid(4));
    const QString expected = u"Zürich,海滩||Ufer"_qs;
    for (const QByteArray &png : {pngWith(plain), pngWith(compressed)}) {
        QCOMPARE(textOf(readPhotoMetadata(png)), expected);
        const DecodeResult r = decodeImageData(png);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(textOf(r.decoded->metadata), expected);
    }
    // After the image data (some writers put it there), next to an eXIf chunk.
    QByteArray late = pngWith(
        pngChunk("eXIf", ExifBuilder(false).build({{0x9C9B, xpValue(u"XP title"_qs), 1}}, {})));
    late.insert(late.size() - 12, plain); // before IEND
    QCOMPARE(textOf(readPhotoMetadata(late)), u"Zürich,海滩|XP title|Ufer"_qs);
    // Another keyword is not XMP.
    QCOMPARE(textOf(readPhotoMetadata(pngWith(pngChunk(
                 "iTXt", QByteArray("XML:other\0", 10) + '\0' + '\0' + '\0' + '\0' + xmp)))),
             QStringLiteral("||"));
}

void tst_PhotoMetadata::tiffTags()
{
    const QByteArray tiff = savedImage("TIFF");
    QVERIFY(tiff.startsWith(QByteArray("II*\0", 4)));
    const QByteArray xmp = makeXmp(xmpBag("dc:subject", {"Zürich"}) +
                                   xmpAlt("dc:title", {{"x-default", "XMP title"}}));
    QByteArray iim = kIimUtf8 + iimDataset(2, 25, "海滩") + iimDataset(2, 120, "IPTC caption");
    while (iim.size() % 4)
        iim.append('\0'); // LONG-typed, as Photoshop writes it: padded to whole LONGs
    const struct
    {
        const char *name;
        QList<RawTag> tags;
        QString text;
    } cases[] = {
        {"XMLPacket and IPTC-NAA",
         {{700, 1, xmp}, {33723, 4, iim}},
         u"Zürich,海滩|XMP title|IPTC caption"_qs},
        {"Photoshop resources", {{34377, 7, irbResource(0x0404, iim)}}, u"海滩||IPTC caption"_qs},
        {"XMLPacket with a NUL at the end", {{700, 7, xmp + '\0'}}, u"Zürich|XMP title|"_qs},
    };
    for (const auto &c : cases) {
        const QByteArray file = tiffWithTags(tiff, c.tags);
        const PhotoMetadata m = readPhotoMetadata(file);
        QVERIFY2(textOf(m) == c.text,
                 qPrintable(QStringLiteral("%1: %2").arg(QString::fromLatin1(c.name), textOf(m))));
        const DecodeResult r = decodeImageData(file);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(textOf(r.decoded->metadata), c.text);
    }
}

void tst_PhotoMetadata::webpXmpChunk()
{
    const QByteArray webp = webpWithXmp(makeXmp(xmpBag("dc:subject", {"Zürich", "海滩"})));
    QCOMPARE(textOf(readPhotoMetadata(webp)), u"Zürich,海滩||"_qs);
    const DecodeResult r = decodeImageData(webp);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.decoded->image.width, 6);
    QCOMPARE(textOf(r.decoded->metadata), u"Zürich,海滩||"_qs);
}

void tst_PhotoMetadata::exiftoolFixtures_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("text");
    // What make_text_fixtures.sh told ExifTool to write, merged by the PhotoMetadata rule.
    QTest::newRow("JPEG: XMP, IPTC and EXIF")
        << "text_jpeg_xmp_iptc_exif.jpg"
        << u"Zürich,海滩,sunset,Schweiz,Sommer|Abend am See|Der Zürichsee im Juli"_qs;
    QTest::newRow("PNG: XMP iTXt, Headline and hierarchical keywords")
        << "text_png_xmp.png" << u"Ålesund,Fjord|Überschrift|Fjord bei Ålesund"_qs;
    QTest::newRow("TIFF: XMP and IPTC tags")
        << "text_tiff_iptc_xmp.tif" << u"Night,neon,東京|Shibuya|Kreuzung bei Nacht"_qs;
}

void tst_PhotoMetadata::exiftoolFixtures()
{
    QFETCH(QString, file);
    QFETCH(QString, text);
    const QByteArray bytes = readAll(kDataDir + QLatin1Char('/') + file);
    QVERIFY(!bytes.isEmpty());
    QCOMPARE(textOf(readPhotoMetadata(bytes)), text);
    const DecodeResult r = decodeImageData(bytes);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(textOf(r.decoded->metadata), text);
}

void tst_PhotoMetadata::hostileTextBlocks_data()
{
    QTest::addColumn<QByteArray>("file");
    const QByteArray iim = iimDataset(2, 25, "ok") + iimDataset(2, 120, "caption");
    const QByteArray resource = irbResource(0x0404, iim);
    QTest::newRow("APP13 shorter than its header") << jpegWith(jpegSegment(0xED, "Photo"));
    QTest::newRow("APP13 cut inside the resource header")
        << jpegWith(jpegSegment(0xED, QByteArray("Photoshop 3.0\0", 14) + resource.left(9)));
    QTest::newRow("APP13 cut inside the IIM")
        << jpegWith(jpegSegment(0xED, QByteArray("Photoshop 3.0\0", 14) + resource.left(20)));
    QByteArray pastEnd = resource;
    pastEnd.replace(8, 4, QByteArray("\xFF\xFF\xFF\xFF", 4));
    QTest::newRow("8BIM length past the end") << jpegWith(app13(pastEnd));
    QTest::newRow("8BIM name length past the end")
        << jpegWith(app13(QByteArray("8BIM\x04\x04\xF0", 7)));
    QTest::newRow("IIM length past the end")
        << jpegWith(app13(irbResource(0x0404, QByteArray("\x1C\x02\x19\xFF\x00"
                                                         "abc",
                                                         8))));
    QTest::newRow("IIM extended length 4 GB") << jpegWith(app13(irbResource(
        0x0404, QByteArray("\x1C\x02\x78\x80\x04\xFF\xFF\xFF\xFF", 9) + QByteArray(50, 'x'))));
    QByteArray laughs = "<!DOCTYPE x:xmpmeta [<!ENTITY a \"aaaaaaaaaa\">";
    for (char c = 'b'; c <= 'j'; ++c) {
        laughs += QByteArray("<!ENTITY ") + c + " \"";
        for (int j = 0; j < 10; ++j)
            laughs += QByteArray("&") + char(c - 1) + ';';
        laughs += "\">";
    }
    laughs += "]>" + makeXmp(xmpBag("dc:subject", {"&j;"}));
    QTest::newRow("XMP billion laughs") << jpegWith(app1Xmp(laughs));
    QTest::newRow("XMP cut short")
        << jpegWith(app1Xmp(makeXmp(xmpBag("dc:subject", {"k"})).left(200)));
    QTest::newRow("XMP binary junk") << jpegWith(app1Xmp(QByteArray(300, '\xFE')));
    QTest::newRow("XMP header only")
        << jpegWith(jpegSegment(0xE1, QByteArray("http://ns.adobe.com/xap/1.0/\0", 29)));
    QTest::newRow("PNG iTXt XMP inflating past 8 MiB") << pngWith(
        pngChunk("iTXt", QByteArray("XML:com.adobe.xmp\0\1\0\0\0", 22) +
                             qCompress("<x>" + QByteArray(16 << 20, ' ') + "</x>").mid(4)));
    QByteArray tiff = tiffWithTags(
        savedImage("TIFF"), {{700, 1, QByteArray(100, 'x')}, {33723, 4, QByteArray(100, 'y')}});
    for (const char *entry : {"\xBC\x02\x01\x00", "\xBB\x82\x04\x00"}) {
        const qsizetype at = tiff.lastIndexOf(QByteArray(entry, 4));
        Q_ASSERT(at > 0);
        tiff.replace(at + 8, 4, QByteArray("\x00\xFF\xFF\xFF", 4)); // value offset outside
    }
    QTest::newRow("TIFF XMLPacket and IPTC-NAA offsets outside") << tiff;
    QTest::newRow("WebP XMP chunk of junk") << webpWithXmp(QByteArray(301, '\0'));
}

void tst_PhotoMetadata::hostileTextBlocks()
{
    QFETCH(QByteArray, file);
    const PhotoMetadata m = readPhotoMetadata(file);
    QVERIFY(m.keywords.size() <= 200);
    for (const QString &s : m.keywords + QStringList{m.title, m.description})
        QVERIFY(s.toUtf8().size() <= 2000);
    const DecodeResult r = decodeImageData(file);
    QVERIFY2(r.ok(), qPrintable(r.error)); // broken metadata never fails a decode
    QCOMPARE(textOf(r.decoded->metadata), textOf(m));
}

void tst_PhotoMetadata::mutatedTextBlocksNeverCrash()
{
    // Every truncation of each block, and random damage to a JPEG carrying all three: no
    // crash, no out-of-bounds read (ASan builds), bounded results, pixels still decode.
    const QByteArray exif = ExifBuilder(false).build(
        {{0x010E, "EXIF description"}, {0x9C9E, xpValue(u"海滩;Sommer"_qs), 1}}, {});
    const QByteArray xmp = makeXmp(xmpBag("dc:subject", {"Zürich", "海滩"}) +
                                   xmpAlt("dc:title", {{"x-default", "XMP title"}}));
    const QByteArray iim = kIimUtf8 + iimDataset(2, 25, "zürich") + iimDataset(2, 5, "IPTC");
    const QByteArray resources = irbResource(0x03ED, "abc", "n") + irbResource(0x0404, iim);
    for (qsizetype n = 0; n <= xmp.size(); ++n)
        QVERIFY(detail::photoTextFromXmp(asBytes(xmp.left(n))).keywords.size() <= 2);
    for (qsizetype n = 0; n <= resources.size(); ++n)
        QVERIFY(detail::photoTextFromIptc(
                    detail::iptcFromPhotoshopResources(asBytes(resources.left(n))))
                    .keywords.size() <= 1);
    for (qsizetype n = 0; n <= exif.size(); ++n)
        QVERIFY(detail::photoMetadataFromExif(asBytes(exif.left(n))).keywords.size() <= 2);

    const QList<QByteArray> segments{app1Exif(exif), app1Xmp(xmp), app13(resources)};
    const QByteArray jpeg = jpegWith(segments.join());
    // Where the payloads are: damage to a segment's marker or length would make another JPEG,
    // not another metadata block.
    QList<std::pair<qsizetype, qsizetype>> payloads; // (start, size)
    for (qsizetype at = 2; const QByteArray &segment : segments) {
        payloads.append({at + 4, segment.size() - 4});
        at += segment.size();
    }
    QCOMPARE(textOf(readPhotoMetadata(jpeg)), u"Zürich,海滩,Sommer|XMP title|EXIF description"_qs);
    std::mt19937 rng(41);
    for (int round = 0; round < 3000; ++round) {
        QByteArray damaged = jpeg;
        for (int f = 0, flips = 1 + int(rng() % 6); f < flips; ++f) {
            const auto &[start, size] = payloads[qsizetype(rng() % 3)];
            damaged[start + qsizetype(rng() % std::uint32_t(size))] = char(rng() & 0xFF);
        }
        const PhotoMetadata m = readPhotoMetadata(damaged);
        QVERIFY(m.keywords.size() <= 200);
        QVERIFY(m.title.size() <= 2000 && m.description.size() <= 2000);
        if (round % 100 == 0)
            QVERIFY(decodeImageData(damaged).ok());
    }
}

QTEST_GUILESS_MAIN(tst_PhotoMetadata)
#include "tst_photometadata.moc"
