// The robustness corpus (../shared/corpus, MANIFEST.tsv) is the acceptance of the decoder:
// one row per file, named by its path, NO skips and NO expected failures. "index" rows must
// decode to their oriented size, "reject" rows must be refused with a reason, "either" rows
// must do one of the two cleanly. Where Pillow 9.4 decodes a file the pixels must be Pillow's
// (expected_rgb.json); HEIF/AVIF, which Pillow cannot open, are checked against ImageMagick +
// libheif (expected_heif_cells.json). Separate from tst_imagedecoder so both stay a few
// seconds long and run in parallel.

#include "decoders.h"
#include "exif_orientation.h"
#include "image_decoder.h"
#include "imaging_test_data.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QTest>

#include <cmath>

using namespace imago;
using namespace imago::testdata;

class tst_DecodeCorpus : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void manifestIsComplete();
    void corpusExpectations_data();
    void corpusExpectations();
    void corpusAgainstPillow_data();
    void corpusAgainstPillow();
    void heifAgainstImageMagick_data();
    void heifAgainstImageMagick();
    void heifOrientationAppliedOnce();
};

void tst_DecodeCorpus::manifestIsComplete()
{
    // The counts the corpus README states; a missing or extra row would silently shrink the
    // acceptance.
    QMap<QString, int> counts;
    for (const CorpusRow &row : corpusRows()) {
        ++counts[row.expected];
        QVERIFY2(QFile::exists(kCorpus + row.path), qPrintable(row.path));
    }
    QCOMPARE(counts.value(QStringLiteral("index")), 77);
    QCOMPARE(counts.value(QStringLiteral("reject")), 27);
    QCOMPARE(counts.value(QStringLiteral("either")), 9);
    QCOMPARE(counts.size(), 3);
}

void tst_DecodeCorpus::corpusExpectations_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<QString>("orientedWxh");
    const QList<CorpusRow> rows = corpusRows();
    QCOMPARE(rows.size(), 113);
    for (const CorpusRow &row : rows)
        QTest::newRow(qPrintable(row.path)) << row.path << row.expected << row.orientedWxh;
}

void tst_DecodeCorpus::corpusExpectations()
{
    // The corpus is the acceptance: every "index" row decodes to its oriented size, every
    // "reject" row is refused with a reason, every "either" row does one of the two cleanly.
    QFETCH(QString, path);
    QFETCH(QString, expected);
    QFETCH(QString, orientedWxh);
    const DecodeResult r = decodeImageFile(kCorpus + path);
    if (expected == QLatin1String("reject")) {
        QVERIFY2(!r.ok(), "a file the corpus says must be refused was decoded");
        QVERIFY(!r.error.isEmpty());
        QVERIFY2(reason::isKnownCode(r.code), qPrintable(r.code + QLatin1String(": ") + r.error));
        return;
    }
    if (expected == QLatin1String("index"))
        QVERIFY2(r.ok(), qPrintable(r.error));
    else
        QCOMPARE(expected, QStringLiteral("either"));
    if (!r.ok()) {
        QVERIFY(!r.error.isEmpty()); // "either", refused with a reason
        QVERIFY2(reason::isKnownCode(r.code), qPrintable(r.code + QLatin1String(": ") + r.error));
        return;
    }
    QVERIFY(!orientedWxh.isEmpty() || path.endsWith(QLatin1String(".cr2")));
    if (!orientedWxh.isEmpty())
        QCOMPARE(
            QStringLiteral("%1x%2").arg(r.decoded->orientedWidth).arg(r.decoded->orientedHeight),
            orientedWxh);
    QCOMPARE(r.decoded->image.width, r.decoded->orientedWidth);
    QCOMPARE(r.decoded->image.height, r.decoded->orientedHeight);
    QCOMPARE(r.decoded->image.pixels.size(), r.decoded->image.byteCount());
}

void tst_DecodeCorpus::corpusAgainstPillow_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected"); // the corpus's index / either / reject
    const QJsonObject corpus = expectedRgb().value(QLatin1String("corpus")).toObject();
    QVERIFY(corpus.size() > 50);
    QMap<QString, QString> expectation;
    for (const CorpusRow &row : corpusRows())
        expectation.insert(row.path, row.expected);
    for (const QString &path : corpus.keys())
        QTest::newRow(qPrintable(path)) << path << expectation.value(path);
}

void tst_DecodeCorpus::corpusAgainstPillow()
{
    // Every corpus file Pillow decodes: we must decode it to the same pixels, unless the
    // corpus allows refusing it ("either": Pillow is lenient where libpng is strict).
    QFETCH(QString, path);
    QFETCH(QString, expected);
    const QJsonObject want =
        expectedRgb().value(QLatin1String("corpus")).toObject().value(path).toObject();
    const DecodeResult r = decodeImageFile(kCorpus + path);
    if (!r.ok() && expected == QLatin1String("either")) {
        // Refused, which the corpus allows (libpng is strict where Pillow is lenient).
        QVERIFY(!r.error.isEmpty());
        return;
    }
    QVERIFY2(r.ok(), qPrintable(r.error));
    const QJsonArray size = want.value(QLatin1String("size_wh")).toArray();
    QCOMPARE(r.decoded->image.width, size[0].toInt());
    QCOMPARE(r.decoded->image.height, size[1].toInt());
    QCOMPARE(sha256(r.decoded->image), want.value(QLatin1String("sha256")).toString());
}

void tst_DecodeCorpus::heifAgainstImageMagick_data()
{
    QTest::addColumn<QString>("path");
    const QJsonObject corpus = expectedHeifCells().value(QLatin1String("corpus")).toObject();
    QCOMPARE(corpus.size(), 8); // 6 HEIC, the misnamed one, the AVIF
    for (const QString &path : corpus.keys())
        QTest::newRow(qPrintable(path)) << path;
}

void tst_DecodeCorpus::heifAgainstImageMagick()
{
    // Pillow cannot open HEIF; ImageMagick (same libheif) is the oracle. Cell means of an 8x8
    // grid within 2 levels: its YCbCr->RGB rounding differs slightly, an orientation, crop or
    // colour mistake does not stay within 2.
    QFETCH(QString, path);
    const QJsonObject want =
        expectedHeifCells().value(QLatin1String("corpus")).toObject().value(path).toObject();
    const DecodeResult r = decodeImageFile(kCorpus + path);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const RgbImage &img = r.decoded->image;
    const QJsonArray size = want.value(QLatin1String("size_wh")).toArray();
    QCOMPARE(img.width, size[0].toInt());
    QCOMPARE(img.height, size[1].toInt());
    const int grid = expectedHeifCells().value(QLatin1String("grid")).toInt();
    const QJsonArray cells = want.value(QLatin1String("cells")).toArray();
    QCOMPARE(cells.size(), grid * grid);
    double worst = 0;
    for (int gy = 0; gy < grid; ++gy) {
        for (int gx = 0; gx < grid; ++gx) {
            const int x0 = gx * img.width / grid, x1 = (gx + 1) * img.width / grid;
            const int y0 = gy * img.height / grid, y1 = (gy + 1) * img.height / grid;
            double sum[3] = {0, 0, 0};
            for (int y = y0; y < y1; ++y)
                for (int x = x0; x < x1; ++x)
                    for (int c = 0; c < 3; ++c)
                        sum[c] +=
                            img.pixels[(std::size_t(y) * std::size_t(img.width) + std::size_t(x)) *
                                           3 +
                                       std::size_t(c)];
            const double n = double(x1 - x0) * double(y1 - y0);
            const QJsonArray ref = cells[gy * grid + gx].toArray();
            for (int c = 0; c < 3; ++c)
                worst = std::max(worst, std::abs(sum[c] / n - ref[c].toDouble()));
        }
    }
    QVERIFY2(worst <= 2.0, qPrintable(QStringLiteral("a cell mean is %1 levels off").arg(worst)));
}

void tst_DecodeCorpus::heifOrientationAppliedOnce()
{
    // The iPhone trap: irot 270 in the container AND EXIF Orientation 6. libheif applies irot;
    // applying the EXIF tag as well would turn the 3024x4032 portrait back to landscape.
    const QByteArray file = readAll(kCorpus + QStringLiteral("formats/heic/arrow.heic"));
    const QByteArray exif = detail::heifExifBlock(detail::Bytes(
        reinterpret_cast<const std::uint8_t *>(file.constData()), std::size_t(file.size())));
    QCOMPARE(
        detail::orientationFromExifBlock(detail::Bytes(
            reinterpret_cast<const std::uint8_t *>(exif.constData()), std::size_t(exif.size()))),
        std::optional<int>(6));
    const DecodeResult r = decodeImageData(file);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.decoded->format, QStringLiteral("HEIF"));
    QCOMPARE(r.decoded->exifOrientation, 1);
    QCOMPARE(r.decoded->image.width, 3024);
    QCOMPARE(r.decoded->image.height, 4032);
}

QTEST_GUILESS_MAIN(tst_DecodeCorpus)
#include "tst_decodecorpus.moc"
