// Decoding: every rule of image_decoder.h checked against Pillow's own results (the oracles are
// expected_rgb.json and expected_tiff_rgb.json, written by tests/data/imaging/make_*.py with
// Pillow 9.4), the limits, and hostile, broken or mutated inputs that must give a clean error
// naming the reason - no crash, no hang, no huge allocation. The robustness corpus row by row
// is tst_decodecorpus.

#include "decoders.h"
#include "exif_orientation.h"
#include "image_decoder.h"
#include "imaging_test_data.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <climits>
#include <optional>
#include <random>
#include <thread>
#include <utility>

using namespace imago;
using namespace imago::testdata;

namespace {

// A copy of a real JPEG whose frame header claims another size.
QByteArray jpegDeclaring(int width, int height)
{
    QByteArray jpeg = readAll(kPreprocess + QStringLiteral("gray.jpg"));
    for (qsizetype i = 2; i + 9 < jpeg.size(); ++i) {
        const auto m = quint8(jpeg[i + 1]);
        if (quint8(jpeg[i]) == 0xFF && m >= 0xC0 && m <= 0xC2) {
            jpeg[i + 5] = char(height >> 8);
            jpeg[i + 6] = char(height & 0xFF);
            jpeg[i + 7] = char(width >> 8);
            jpeg[i + 8] = char(width & 0xFF);
            return jpeg;
        }
    }
    return {};
}

// A PNG signature and IHDR declaring the given size (nothing after it).
QByteArray pngHeaderDeclaring(quint32 width, quint32 height)
{
    QByteArray png("\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR", 16);
    for (quint32 v : {width, height})
        for (int shift = 24; shift >= 0; shift -= 8)
            png.append(char((v >> shift) & 0xFF));
    png.append("\x08\x02\0\0\0\0\0\0\0", 9); // 8-bit RGB, then a (wrong) CRC
    return png;
}

// FNV-1a: a hash of our own for seeding, identical on every CPU (unlike qHash).
std::uint32_t fnv1a32(const QByteArray &bytes)
{
    std::uint32_t h = 2166136261u;
    for (char c : bytes) {
        h ^= std::uint8_t(c);
        h *= 16777619u;
    }
    return h;
}

// The width and height the file's header declares, where the header says it (JPEG, PNG, GIF,
// BMP, WebP); nullopt for the formats whose size only their decoder reads.
std::optional<std::pair<int, int>> declaredSize(const QByteArray &bytes)
{
    const detail::Bytes view(reinterpret_cast<const std::uint8_t *>(bytes.constData()),
                             std::size_t(bytes.size()));
    const detail::FileKind kind = detail::sniffFormat(view).kind;
    if (kind == detail::FileKind::Jpeg) {
        const detail::JpegMarkers m = detail::scanJpegMarkers(view);
        if (m.hasFrame)
            return std::pair{m.width, m.height};
        return std::nullopt;
    }
    const detail::HeaderInfo header = detail::inspectHeader(kind, view);
    if (!header.size)
        return std::nullopt;
    return std::pair{int(std::min<std::uint64_t>(header.size->width, INT_MAX)),
                     int(std::min<std::uint64_t>(header.size->height, INT_MAX))};
}

} // namespace

class tst_ImageDecoder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rejections_data();
    void rejections();
    void limitsAreHonoured();
    void pillowFixtures_data();
    void pillowFixtures();
    void tiffLayoutsAgainstPillow_data();
    void tiffLayoutsAgainstPillow();
    void libjpegPathAtDraftScales_data();
    void libjpegPathAtDraftScales();
    void motionJpegAfterAnOptimisedJpeg();
    void mutatedInputsAreRefusedCleanly_data();
    void mutatedInputsAreRefusedCleanly();
    void formatFromContentNotName_data();
    void formatFromContentNotName();
    void orientationTransforms_data();
    void orientationTransforms();
    void draftScaleRule_data();
    void draftScaleRule();
    void scaledJpegDecode_data();
    void scaledJpegDecode();
    void concurrentDecodesAgree();
};

void tst_ImageDecoder::rejections_data()
{
    QTest::addColumn<QString>("path");     // decoded from the file when set
    QTest::addColumn<QByteArray>("bytes"); // else from these bytes
    QTest::addColumn<QString>("reason");   // a substring the error must contain
    QTest::addColumn<QString>("code");     // and its reason code (reason.h)

    const QByteArray photo = readAll(kPreprocess + QStringLiteral("photo_4000x3000.jpg"));
    QTest::newRow("zero-byte file") << QStringLiteral("<empty>") << QByteArray()
                                    << QStringLiteral("empty file") << QStringLiteral("empty_file");
    QTest::newRow("zero bytes in memory")
        << QString() << QByteArray() << QStringLiteral("empty") << QStringLiteral("empty_file");
    QTest::newRow("missing file") << kCorpus + QStringLiteral("no/such/file.jpg") << QByteArray()
                                  << QStringLiteral("cannot open") << QStringLiteral("unreadable");
    QTest::newRow("JPEG cut in half")
        << QString() << photo.left(photo.size() / 2) << QStringLiteral("truncated JPEG")
        << QStringLiteral("truncated");
    QTest::newRow("JPEG without its last 2 bytes (EOI)")
        << QString() << photo.chopped(2) << QStringLiteral("truncated JPEG")
        << QStringLiteral("truncated");
    QTest::newRow("JPEG cut inside the headers")
        << QString() << photo.left(400) << QStringLiteral("JPEG") << QStringLiteral("corrupt");
    QTest::newRow("text file") << QString()
                               << QByteArray("Holiday 2023: remember to back up the photos.\n")
                               << QStringLiteral("not an image: text file")
                               << QStringLiteral("not_an_image");
    QTest::newRow("PDF header") << QString()
                                << QByteArray(
                                       "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< >>\nendobj\n")
                                << QStringLiteral("not an image: PDF document")
                                << QStringLiteral("not_an_image");
    QTest::newRow("GIF bomb, 44 bytes declaring 65535x66601")
        << kCorpus + QStringLiteral("adversarial/decompression_bomb.gif") << QByteArray()
        << QStringLiteral("declares 65535x66601 pixels, over the 179 MP limit")
        << QStringLiteral("too_many_pixels");
    QTest::newRow("JPEG header declaring 60000x60000")
        << QString() << jpegDeclaring(60000, 60000)
        << QStringLiteral("declares 60000x60000 pixels, over the 179 MP limit")
        << QStringLiteral("too_many_pixels");
    QTest::newRow("JPEG header declaring 65535x65535 (corpus)")
        << kCorpus + QStringLiteral("adversarial/max_size.jpg") << QByteArray()
        << QStringLiteral("declares 65535x65535 pixels") << QStringLiteral("too_many_pixels");
    QTest::newRow("PNG header declaring 20000x20000")
        << QString() << pngHeaderDeclaring(20000, 20000)
        << QStringLiteral("declares 20000x20000 pixels, over the 179 MP limit")
        << QStringLiteral("too_many_pixels");
    QTest::newRow("PNG header declaring 2000000x1 (within the pixel budget)")
        << QString() << pngHeaderDeclaring(2000000, 1)
        << QStringLiteral("a side over the 1048576-pixel limit") << QStringLiteral("side_too_long");
    QTest::newRow("BMP declaring 6e12 pixels (corpus)")
        << kCorpus + QStringLiteral("adversarial/Bad_reallybig.bmp") << QByteArray()
        << QStringLiteral("over the 179 MP limit") << QStringLiteral("too_many_pixels");
    QTest::newRow("BMP shorter than its pixel array (corpus)")
        << kCorpus + QStringLiteral("broken/Bad_shortfile.bmp") << QByteArray()
        << QStringLiteral("truncated BMP") << QStringLiteral("truncated");
    QTest::newRow("GIF cut inside the first frame (corpus)")
        << kCorpus + QStringLiteral("broken/truncated.gif") << QByteArray()
        << QStringLiteral("truncated GIF") << QStringLiteral("truncated");
    QTest::newRow("GIF with zero width (corpus)")
        << kCorpus + QStringLiteral("broken/zero_width.gif") << QByteArray()
        << QStringLiteral("empty 0x") << QStringLiteral("empty_image");
    QTest::newRow("PNG cut inside IDAT (corpus)")
        << kCorpus + QStringLiteral("broken/truncated_image.png") << QByteArray()
        << QStringLiteral("PNG decode failed") << QStringLiteral("corrupt");
    QTest::newRow("JPEG with a fatal error after a warning (corpus oss-fuzz)")
        << kCorpus + QStringLiteral("adversarial/oss-fuzz-36829.jpeg") << QByteArray()
        << QStringLiteral("broken JPEG") << QStringLiteral("corrupt");
    QTest::newRow("12-bit JPEG (corpus)")
        << kCorpus + QStringLiteral("jpeg/monkey12.jpg") << QByteArray()
        << QStringLiteral("unsupported JPEG: 12-bit samples")
        << QStringLiteral("unsupported_feature");
    QTest::newRow("ZIP archive (corpus)")
        << kCorpus + QStringLiteral("non-image/ZIP.zip") << QByteArray()
        << QStringLiteral("not an image: ZIP") << QStringLiteral("not_an_image");
    QTest::newRow("AppleDouble ._ file named .JPG (corpus)")
        << kCorpus + QStringLiteral("non-image/._IMG_0001.JPG") << QByteArray()
        << QStringLiteral("not an image: AppleDouble") << QStringLiteral("not_an_image");
    QTest::newRow("QuickTime movie (corpus)")
        << kCorpus + QStringLiteral("non-image/QuickTime.mov") << QByteArray()
        << QStringLiteral("not an image: QuickTime video") << QStringLiteral("not_an_image");
    QTest::newRow("XMP sidecar (corpus)")
        << kCorpus + QStringLiteral("non-image/XMP.xmp") << QByteArray()
        << QStringLiteral("not an image: XMP") << QStringLiteral("not_an_image");
    QTest::newRow("AVIF declaring 17000x17000 (corpus)")
        << kCorpus + QStringLiteral("adversarial/17000x17000.avif") << QByteArray()
        << QStringLiteral("declares 17000x17000 pixels, over the 179 MP limit")
        << QStringLiteral("too_many_pixels");
    QTest::newRow("HEIC fuzzer input (corpus)")
        << kCorpus + QStringLiteral("adversarial/clusterfuzz-5752063708495872.heic") << QByteArray()
        << QStringLiteral("HEIF") << QStringLiteral("corrupt");
    QTest::newRow("HEIC with a corrupted box structure (corpus)")
        << kCorpus + QStringLiteral("broken/corrupted.heic") << QByteArray()
        << QStringLiteral("HEIF file") << QStringLiteral("corrupt");
    QTest::newRow("HEIC cut short (corpus)")
        << kCorpus + QStringLiteral("broken/truncated.heic") << QByteArray()
        << QStringLiteral("HEIF file") << QStringLiteral("truncated");
    QTest::newRow("HEIC without image data (corpus)")
        << kCorpus + QStringLiteral("broken/exiftool_QuickTime.heic") << QByteArray()
        << QStringLiteral("HEIF") << QStringLiteral("corrupt");
    const QByteArray heic = readAll(kCorpus + QStringLiteral("formats/heic/example.heic"));
    QTest::newRow("HEIC cut in half") << QString() << heic.left(heic.size() / 2)
                                      << QStringLiteral("HEIF") << QStringLiteral("truncated");
    QTest::newRow("HEIC ftyp only")
        << QString() << heic.left(32) << QStringLiteral("HEIF") << QStringLiteral("corrupt");
    QTest::newRow("TIFF that made libtiff allocate huge memory (corpus)")
        << kCorpus + QStringLiteral("adversarial/oom-225817ca0f8c663be7ab4b9e717b02c661e66834.tif")
        << QByteArray() << QStringLiteral("TIFF") << QStringLiteral("corrupt");
    const QByteArray tiff = readAll(kCorpus + QStringLiteral("formats/tiff/hopper_lzw.tif"));
    QTest::newRow("TIFF cut in half")
        << QString() << tiff.left(tiff.size() / 2) << QStringLiteral("TIFF decode failed")
        << QStringLiteral("corrupt");
    QTest::newRow("TIFF header only")
        << QString() << tiff.left(8) << QStringLiteral("TIFF") << QStringLiteral("corrupt");
    QTest::newRow("Canon CR2 camera RAW (corpus)")
        << kCorpus + QStringLiteral("non-image/CanonRaw.cr2") << QByteArray()
        << QStringLiteral("camera RAW files are not supported (Canon CR2)")
        << QStringLiteral("camera_raw");
    QTest::newRow("Canon CR3 camera RAW (ftyp crx)")
        << QString()
        << QByteArray("\0\0\0\x18"
                      "ftypcrx \0\0\0\x01"
                      "crx isom",
                      24)
        << QStringLiteral("camera RAW files are not supported (Canon CR3)")
        << QStringLiteral("camera_raw");
    const QByteArray cmyk = readAll(kDataDir + QStringLiteral("/jpeg_cmyk_2x2_1x1_1x1_1x1.jpg"));
    QTest::newRow("CMYK JPEG with 2x2 C, 1x1 K cut short (libjpeg-API path)")
        << QString() << cmyk.left(cmyk.size() * 2 / 3) << QStringLiteral("truncated JPEG")
        << QStringLiteral("truncated");
    QTest::newRow("CMYK JPEG with 2x2 C, 1x1 K cut inside the headers (libjpeg-API path)")
        << QString() << cmyk.left(300) << QStringLiteral("JPEG") << QStringLiteral("corrupt");
    const QByteArray anim =
        readAll(kDataDir + QStringLiteral("/webp_anim_first_frame_blended.webp"));
    QTest::newRow("animated WebP cut short")
        << QString() << anim.left(anim.size() - 20) << QStringLiteral("WEBP decode failed")
        << QStringLiteral("corrupt");
    QTest::newRow("lossless JPEG (corpus)")
        << kCorpus + QStringLiteral("jpeg/jpeg_lossless_sel1.jpg") << QByteArray()
        << QStringLiteral("unsupported JPEG: lossless JPEG")
        << QStringLiteral("unsupported_feature");
    QTest::newRow("binary noise") << QString() << QByteArray("\x13\x37\xC0\xDE\x00\x01\x02", 7)
                                  << QStringLiteral("not an image: unrecognised content")
                                  << QStringLiteral("not_an_image");
}

void tst_ImageDecoder::rejections()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, reason);
    QFETCH(QString, code);
    QTemporaryDir tmp;
    if (path == QLatin1String("<empty>")) {
        path = tmp.filePath(QStringLiteral("empty.jpg"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
    } else if (path.isEmpty()) {
        QVERIFY(!reason.isEmpty());
    }
    const DecodeResult r = path.isEmpty() ? decodeImageData(bytes) : decodeImageFile(path);
    QVERIFY2(!r.ok(), "decoded an input that must be refused");
    QVERIFY2(
        r.error.contains(reason),
        qPrintable(QStringLiteral("error \"%1\" does not mention \"%2\"").arg(r.error, reason)));
    QCOMPARE(r.code, code);
}

void tst_ImageDecoder::limitsAreHonoured()
{
    DecodeRequest small;
    small.limits.maxPixels = 640 * 480 - 1;
    const DecodeResult overPixels =
        decodeImageFile(kPreprocess + QStringLiteral("gray.jpg"), small);
    QVERIFY(!overPixels.ok());
    QVERIFY2(overPixels.error.contains(QLatin1String("declares 640x480 pixels, over the 0.307 MP")),
             qPrintable(overPixels.error));

    small.limits.maxPixels = 640 * 480;
    QVERIFY(decodeImageFile(kPreprocess + QStringLiteral("gray.jpg"), small).ok());

    DecodeRequest tinyFiles;
    tinyFiles.limits.maxFileBytes = 1000;
    const DecodeResult overBytes =
        decodeImageFile(kPreprocess + QStringLiteral("gray.jpg"), tinyFiles);
    QVERIFY(!overBytes.ok());
    QVERIFY2(overBytes.error.contains(QLatin1String("over the")), qPrintable(overBytes.error));

    // The same budget holds for the formats Qt decodes (checked on the PNG header).
    DecodeRequest pngBudget;
    pngBudget.limits.maxPixels = 319 * 240;
    const DecodeResult png = decodeImageFile(kPreprocess + QStringLiteral("alpha.png"), pngBudget);
    QVERIFY(!png.ok());
    QVERIFY2(png.error.contains(QLatin1String("declares 320x240")), qPrintable(png.error));

    // TIFF: the first directory's size, before libtiff reads a strip.
    DecodeRequest tiffBudget;
    tiffBudget.limits.maxPixels = 128 * 128 - 1;
    const DecodeResult tif =
        decodeImageFile(kCorpus + QStringLiteral("formats/tiff/hopper_lzw.tif"), tiffBudget);
    QVERIFY(!tif.ok());
    QVERIFY2(tif.error.contains(QLatin1String("declares 128x128")), qPrintable(tif.error));

    // HEIF: the primary image's ispe, before libheif decodes anything.
    DecodeRequest heifBudget;
    heifBudget.limits.maxPixels = 1280 * 854 - 1;
    const DecodeResult heif =
        decodeImageFile(kCorpus + QStringLiteral("formats/heic/example.heic"), heifBudget);
    QVERIFY(!heif.ok());
    QVERIFY2(heif.error.contains(QLatin1String("declares 1280x854")), qPrintable(heif.error));
    heifBudget.limits.maxPixels = 1280 * 854;
    QVERIFY(
        decodeImageFile(kCorpus + QStringLiteral("formats/heic/example.heic"), heifBudget).ok());

    // The file-size limit holds for bytes already in memory too.
    DecodeRequest tinyData;
    tinyData.limits.maxFileBytes = 100;
    const DecodeResult data =
        decodeImageData(readAll(kCorpus + QStringLiteral("formats/heic/example.heic")), tinyData);
    QVERIFY(!data.ok());
    QVERIFY2(data.error.contains(QLatin1String("over the")), qPrintable(data.error));
}

void tst_ImageDecoder::pillowFixtures_data()
{
    QTest::addColumn<QString>("file");
    const QJsonObject fixtures = expectedRgb().value(QLatin1String("fixtures")).toObject();
    QVERIFY(!fixtures.isEmpty());
    for (const QString &name : fixtures.keys())
        QTest::newRow(qPrintable(name)) << name;
}

void tst_ImageDecoder::pillowFixtures()
{
    QFETCH(QString, file);
    const QJsonObject want =
        expectedRgb().value(QLatin1String("fixtures")).toObject().value(file).toObject();
    const DecodeResult r = decodeImageFile(kDataDir + QLatin1Char('/') + file);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const QJsonArray size = want.value(QLatin1String("size_wh")).toArray();
    QCOMPARE(r.decoded->image.width, size[0].toInt());
    QCOMPARE(r.decoded->image.height, size[1].toInt());
    QCOMPARE(r.decoded->orientedWidth, size[0].toInt());
    QCOMPARE(r.decoded->orientedHeight, size[1].toInt());
    QCOMPARE(sha256(r.decoded->image), want.value(QLatin1String("sha256")).toString());
}

void tst_ImageDecoder::tiffLayoutsAgainstPillow_data()
{
    QTest::addColumn<QString>("file");
    const QJsonObject fixtures = expectedTiffRgb();
    QVERIFY(fixtures.size() >= 12);
    for (const QString &name : fixtures.keys())
        QTest::newRow(qPrintable(name)) << name;
}

void tst_ImageDecoder::tiffLayoutsAgainstPillow()
{
    // Every sample layout of the libtiff decoder, bit for bit against Pillow - including the
    // planar-separate file, which goes through libtiff's RGBA reader.
    QFETCH(QString, file);
    const QJsonObject want = expectedTiffRgb().value(file).toObject();
    const DecodeResult r = decodeImageFile(kDataDir + QLatin1Char('/') + file);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.decoded->format, QStringLiteral("TIFF"));
    const QJsonArray size = want.value(QLatin1String("size_wh")).toArray();
    QCOMPARE(r.decoded->image.width, size[0].toInt());
    QCOMPARE(r.decoded->image.height, size[1].toInt());
    QCOMPARE(sha256(r.decoded->image), want.value(QLatin1String("sha256")).toString());
}

void tst_ImageDecoder::libjpegPathAtDraftScales_data()
{
    // The jpeg_* fixtures at the DCT scales Pillow's draft picks (1/4 for 8, 1/2 for 16),
    // against Pillow's own draft decodes: the sampling layouts TurboJPEG refuses go through
    // the libjpeg API, which must scale exactly as Pillow's libjpeg does.
    QTest::addColumn<QString>("key");
    const QJsonObject drafts = expectedRgb().value(QLatin1String("fixtures_draft")).toObject();
    QVERIFY(drafts.size() >= 10);
    for (const QString &key : drafts.keys())
        QTest::newRow(qPrintable(key)) << key;
}

void tst_ImageDecoder::libjpegPathAtDraftScales()
{
    QFETCH(QString, key);
    const QJsonObject want =
        expectedRgb().value(QLatin1String("fixtures_draft")).toObject().value(key).toObject();
    DecodeRequest req;
    req.minSide = want.value(QLatin1String("min_side")).toInt();
    const DecodeResult r =
        decodeImageFile(kDataDir + QLatin1Char('/') + key.section('@', 0, 0), req);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const QJsonArray size = want.value(QLatin1String("size_wh")).toArray();
    QCOMPARE(r.decoded->image.width, size[0].toInt());
    QCOMPARE(r.decoded->image.height, size[1].toInt());
    QCOMPARE(r.decoded->orientedWidth, 45);
    QCOMPARE(r.decoded->orientedHeight, 37);
    QCOMPARE(sha256(r.decoded->image), want.value(QLatin1String("sha256")).toString());
}

void tst_ImageDecoder::motionJpegAfterAnOptimisedJpeg()
{
    // A Motion JPEG frame has no DHT: libjpeg must fill in the Annex K.3 tables. A decoder
    // reused from file to file kept the previous file's optimised tables instead (noise, no
    // error), so decode one with its own tables first, on this same thread, several times.
    const QJsonObject fixtures = expectedRgb().value(QLatin1String("fixtures")).toObject();
    const QString frame = QStringLiteral("jpeg_mjpeg_frame_no_dht.jpg");
    const QString optimised = QStringLiteral("jpeg_optimized_progressive.jpg");
    for (int round = 0; round < 3; ++round) {
        for (const QString &file : {optimised, frame}) {
            const DecodeResult r = decodeImageFile(kDataDir + QLatin1Char('/') + file);
            QVERIFY2(r.ok(), qPrintable(r.error));
            QCOMPARE(sha256(r.decoded->image),
                     fixtures.value(file).toObject().value(QLatin1String("sha256")).toString());
        }
    }
}

void tst_ImageDecoder::mutatedInputsAreRefusedCleanly_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("path"); // relative to the folder: the seed is its hash
    for (const char *f :
         {"formats/heic/RGB_10__128x128.heif", "misnamed/hopper_is_heif.jpg",
          "formats/tiff/hopper_lzw.tif", "formats/tiff/tiff_16bit_RGB.tiff",
          "formats/tiff/tiff_strip_cmyk_jpeg.tif", "formats/tiff/multipage.tiff",
          "camera/exiftool_Canon.jpg", "jpeg/testimgari.jpg", "formats/webp/hopper.webp",
          "formats/png/basn3p08.png", "formats/gif/hopper.gif", "formats/bmp/pal8rle.bmp"})
        QTest::newRow(f) << kCorpus << QString::fromLatin1(f);
    // the libjpeg-API path and the libwebp decoder
    for (const char *f : {"jpeg_cmyk_2x2_1x1_1x1_1x1.jpg", "jpeg_ycc_2x1_1x2_1x2.jpg",
                          "webp_anim_first_frame_blended.webp"})
        QTest::newRow(f) << kDataDir + QLatin1Char('/') << QString::fromLatin1(f);
}

void tst_ImageDecoder::mutatedInputsAreRefusedCleanly()
{
    // Truncations and random byte damage: every decode must return, either with a reason or with
    // an image that keeps the product's promise - no more pixels than the budget allows and no
    // larger than the (damaged) file's own header declares. (Run under ASan/UBSan to catch what
    // does not crash here.) The budget is a few times the undamaged picture, so a damaged header
    // that declares a huge size must be refused, not decoded.
    QFETCH(QString, folder);
    QFETCH(QString, path);
    const QByteArray original = readAll(folder + path);
    QVERIFY(original.size() > 100);
    const DecodeResult undamaged = decodeImageData(original);
    QVERIFY2(undamaged.ok(), qPrintable(undamaged.error));
    DecodeRequest req;
    req.limits.maxPixels = std::max<std::uint64_t>(
        4 * std::uint64_t(undamaged.decoded->orientedWidth) * undamaged.decoded->orientedHeight,
        1u << 20);

    // The seed is the row's own (a hash of its name computed here): the same mutations on every
    // machine. Qt's qHash must not be used: it differs by CPU instruction set.
    const std::uint32_t seed = fnv1a32(path.toUtf8());
    std::mt19937 rng(seed);
    QString what;
    const auto check = [&](const QByteArray &bytes) {
        const QString context = QStringLiteral("%1 (seed %2)").arg(what).arg(seed);
        const DecodeResult r = decodeImageData(bytes, req);
        if (!r.ok()) {
            QVERIFY2(!r.error.isEmpty(), qPrintable(context));
            return;
        }
        const RgbImage &img = r.decoded->image;
        QVERIFY2(!img.isEmpty(), qPrintable(context));
        QCOMPARE(img.pixels.size(), img.byteCount());
        QVERIFY2(std::uint64_t(img.width) * std::uint64_t(img.height) <= req.limits.maxPixels,
                 qPrintable(QStringLiteral("%1: %2x%3 over the budget of %4 pixels")
                                .arg(context)
                                .arg(img.width)
                                .arg(img.height)
                                .arg(req.limits.maxPixels)));
        if (const auto declared = declaredSize(bytes)) {
            const auto [shortSide, longSide] = std::minmax(img.width, img.height);
            const auto [dShort, dLong] = std::minmax(declared->first, declared->second);
            QVERIFY2(shortSide <= dShort && longSide <= dLong,
                     qPrintable(QStringLiteral("%1: decoded %2x%3, the header declares %4x%5")
                                    .arg(context)
                                    .arg(img.width)
                                    .arg(img.height)
                                    .arg(declared->first)
                                    .arg(declared->second)));
        }
    };
    for (int i = 1; i <= 12; ++i) {
        what = QStringLiteral("first %1/13 of the file").arg(i);
        check(original.left(original.size() * i / 13));
        if (QTest::currentTestFailed())
            return;
    }
    for (int round = 0; round < 24; ++round) {
        what = QStringLiteral("damage round %1").arg(round);
        QByteArray damaged = original;
        const int flips = 1 + int(rng() % 8);
        for (int f = 0; f < flips; ++f)
            damaged[qsizetype(rng() % std::uint32_t(damaged.size()))] = char(rng() & 0xFF);
        check(damaged);
        if (QTest::currentTestFailed())
            return;
    }
}

void tst_ImageDecoder::formatFromContentNotName_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("format");
    QTest::newRow("PNG named .jpg")
        << QStringLiteral("misnamed/hopper_is_png.jpg") << QStringLiteral("PNG");
    QTest::newRow("JPEG named .png")
        << QStringLiteral("misnamed/hopper_is_jpeg.png") << QStringLiteral("JPEG");
    QTest::newRow("WebP named .jpg")
        << QStringLiteral("misnamed/flower_is_webp.jpg") << QStringLiteral("WEBP");
    QTest::newRow("PNG named jpg-size-6x6.jpg")
        << QStringLiteral("misnamed/jpg-size-6x6.jpg") << QStringLiteral("PNG");
    QTest::newRow("MPO is read as its first JPEG")
        << QStringLiteral("camera/sugarshack.mpo") << QStringLiteral("JPEG");
    QTest::newRow("HEIC named .jpg")
        << QStringLiteral("misnamed/hopper_is_heif.jpg") << QStringLiteral("HEIF");
    QTest::newRow("HEIC named .HEIC")
        << QStringLiteral("formats/heic/IMG_5195.HEIC") << QStringLiteral("HEIF");
    QTest::newRow("AVIF") << QStringLiteral("formats/avif/example.avif") << QStringLiteral("AVIF");
    QTest::newRow("TIFF") << QStringLiteral("formats/tiff/hopper.tif") << QStringLiteral("TIFF");
}

void tst_ImageDecoder::formatFromContentNotName()
{
    QFETCH(QString, path);
    QFETCH(QString, format);
    const DecodeResult r = decodeImageFile(kCorpus + path);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.decoded->format, format);
}

void tst_ImageDecoder::orientationTransforms_data()
{
    // A 3x2 image whose pixel values are 0..5 in reading order, and how each EXIF
    // orientation must display it (PIL's transposes).
    QTest::addColumn<int>("orientation");
    QTest::addColumn<int>("width");
    QTest::addColumn<QList<int>>("displayed");
    QTest::newRow("1 as stored") << 1 << 3 << QList<int>{0, 1, 2, 3, 4, 5};
    QTest::newRow("2 mirrored") << 2 << 3 << QList<int>{2, 1, 0, 5, 4, 3};
    QTest::newRow("3 rotated 180") << 3 << 3 << QList<int>{5, 4, 3, 2, 1, 0};
    QTest::newRow("4 flipped") << 4 << 3 << QList<int>{3, 4, 5, 0, 1, 2};
    QTest::newRow("5 transposed") << 5 << 2 << QList<int>{0, 3, 1, 4, 2, 5};
    QTest::newRow("6 rotated 90 clockwise") << 6 << 2 << QList<int>{3, 0, 4, 1, 5, 2};
    QTest::newRow("7 transversed") << 7 << 2 << QList<int>{5, 2, 4, 1, 3, 0};
    QTest::newRow("8 rotated 90 counter-clockwise") << 8 << 2 << QList<int>{2, 5, 1, 4, 0, 3};
    QTest::newRow("0 invalid: as stored") << 0 << 3 << QList<int>{0, 1, 2, 3, 4, 5};
    QTest::newRow("9 invalid: as stored") << 9 << 3 << QList<int>{0, 1, 2, 3, 4, 5};
}

void tst_ImageDecoder::orientationTransforms()
{
    QFETCH(int, orientation);
    QFETCH(int, width);
    QFETCH(QList<int>, displayed);
    RgbImage img;
    img.width = 3;
    img.height = 2;
    for (int v = 0; v < 6; ++v)
        img.pixels.insert(img.pixels.end(),
                          {std::uint8_t(v), std::uint8_t(10 * v), std::uint8_t(v + 100)});
    const RgbImage out = detail::applyOrientation(img, orientation);
    QCOMPARE(out.width, width);
    QCOMPARE(out.height, 6 / width);
    QList<int> got;
    for (std::size_t i = 0; i < out.pixels.size(); i += 3) {
        got.append(out.pixels[i]);
        QCOMPARE(int(out.pixels[i + 1]), 10 * out.pixels[i]); // channels travel together
        QCOMPARE(int(out.pixels[i + 2]), out.pixels[i] + 100);
    }
    QCOMPARE(got, displayed);
}

void tst_ImageDecoder::draftScaleRule_data()
{
    // Pillow's JpegImageFile.draft: scale = min(w // N, h // N), then the largest of 8, 4, 2, 1
    // not above it. Not "ceil(w / s) >= N": 447 wide keeps 1/1 even though ceil(447/2) = 224.
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("minSide");
    QTest::addColumn<int>("scale");
    QTest::newRow("4000x3000 for 224: 1/8") << 4000 << 3000 << 224 << 8;
    QTest::newRow("4000x3000 for 448: 1/4") << 4000 << 3000 << 448 << 4;
    QTest::newRow("1600x1200 for 224: 1/4") << 1600 << 1200 << 224 << 4;
    QTest::newRow("448x448 for 224: 1/2") << 448 << 448 << 224 << 2;
    QTest::newRow("447x1000 for 224: 1/1") << 447 << 1000 << 224 << 1;
    QTest::newRow("the short side decides") << 9000 << 500 << 224 << 2;
    QTest::newRow("1/8 is the floor") << 20000 << 20000 << 224 << 8;
    QTest::newRow("smaller than the target") << 100 << 80 << 224 << 1;
    QTest::newRow("minSide 0: full size") << 4000 << 3000 << 0 << 1;
}

void tst_ImageDecoder::draftScaleRule()
{
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, minSide);
    QFETCH(int, scale);
    QCOMPARE(detail::jpegDraftScale(width, height, minSide), scale);
}

void tst_ImageDecoder::scaledJpegDecode_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("minSide");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("orientedWidth");
    QTest::addColumn<int>("orientedHeight");
    QTest::newRow("4000x3000 at 1/8 for 224")
        << "photo_4000x3000.jpg" << 224 << 500 << 375 << 4000 << 3000;
    QTest::newRow("4000x3000 at 1/4 for 448")
        << "photo_4000x3000.jpg" << 448 << 1000 << 750 << 4000 << 3000;
    QTest::newRow("EXIF 6 portrait at 1/4, rotated")
        << "portrait_exif6.jpg" << 224 << 300 << 400 << 1200 << 1600;
    QTest::newRow("640x480 at 1/2 for 224") << "gray.jpg" << 224 << 320 << 240 << 640 << 480;
    QTest::newRow("640x480 kept for 448") << "gray.jpg" << 448 << 640 << 480 << 640 << 480;
    QTest::newRow("CMYK 800x600 at 1/2") << "cmyk.jpg" << 224 << 400 << 300 << 800 << 600;
    QTest::newRow("minSide 0 is a full decode") << "cmyk.jpg" << 0 << 800 << 600 << 800 << 600;
    QTest::newRow("PNG ignores minSide") << "alpha.png" << 100 << 320 << 240 << 320 << 240;
}

void tst_ImageDecoder::scaledJpegDecode()
{
    QFETCH(QString, file);
    QFETCH(int, minSide);
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(int, orientedWidth);
    QFETCH(int, orientedHeight);
    DecodeRequest req;
    req.minSide = minSide;
    const DecodeResult r = decodeImageFile(kPreprocess + file, req);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.decoded->image.width, width);
    QCOMPARE(r.decoded->image.height, height);
    QCOMPARE(r.decoded->orientedWidth, orientedWidth);
    QCOMPARE(r.decoded->orientedHeight, orientedHeight);
}

void tst_ImageDecoder::concurrentDecodesAgree()
{
    const QStringList files{kPreprocess + QStringLiteral("portrait_exif6.jpg"),
                            kPreprocess + QStringLiteral("cmyk.jpg"),
                            kPreprocess + QStringLiteral("gray.jpg"),
                            kPreprocess + QStringLiteral("alpha.png"),
                            kCorpus + QStringLiteral("broken/corrupted.jpg"),
                            kCorpus + QStringLiteral("misnamed/hopper_is_heif.jpg"),
                            kCorpus + QStringLiteral("formats/heic/rainbow-451x461.heic"),
                            kCorpus + QStringLiteral("formats/tiff/hopper_lzw.tif"),
                            kCorpus + QStringLiteral("formats/tiff/tiff_strip_cmyk_jpeg.tif"),
                            kDataDir + QStringLiteral("/jpeg_cmyk_2x2_1x1_1x1_1x1.jpg"),
                            kDataDir + QStringLiteral("/jpeg_optimized_progressive.jpg"),
                            kDataDir + QStringLiteral("/jpeg_mjpeg_frame_no_dht.jpg"),
                            kDataDir + QStringLiteral("/webp_anim_first_frame_blended.webp")};
    QStringList single;
    for (const QString &f : files) {
        const DecodeResult r = decodeImageFile(f);
        QVERIFY2(r.ok(), qPrintable(r.error));
        single.append(sha256(r.decoded->image));
    }
    constexpr int kThreads = 4;
    std::vector<QStringList> perThread(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 2; ++round) {
                for (qsizetype i = 0; i < files.size(); ++i) {
                    // Each thread starts at another file, so different formats overlap.
                    const QString &f = files[(i + t) % files.size()];
                    const DecodeResult r = decodeImageFile(f);
                    perThread[std::size_t(t)].append(f + QLatin1Char('=') +
                                                     (r.ok() ? sha256(r.decoded->image) : r.error));
                }
            }
        });
    }
    for (auto &th : threads)
        th.join();
    for (const QStringList &results : perThread) {
        QCOMPARE(results.size(), 2 * files.size());
        for (const QString &entry : results) {
            const QString file = entry.section(QLatin1Char('='), 0, 0);
            QCOMPARE(entry.section(QLatin1Char('='), 1), single[files.indexOf(file)]);
        }
    }
}

QTEST_GUILESS_MAIN(tst_ImageDecoder)
#include "tst_imagedecoder.moc"
