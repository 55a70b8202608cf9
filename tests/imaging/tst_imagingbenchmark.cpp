// The decode benchmark (imaging_benchmark.h) runs and reports coherent numbers on a small
// image. No timing is asserted: the machine running the tests is not a benchmark machine.

#include "image_decoder.h"
#include "imaging_benchmark.h"

#include <QTest>

using namespace imago;

class tst_ImagingBenchmark : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void syntheticJpegIsAPhotoLikeJpeg();
    void smokeRun();
    void badOptionsAreReported();
    void libraryVersionsAreNamed();
};

void tst_ImagingBenchmark::syntheticJpegIsAPhotoLikeJpeg()
{
    const QByteArray jpeg = makeSyntheticJpeg(640, 480, 90, 7);
    QVERIFY(jpeg.startsWith("\xFF\xD8\xFF"));
    QCOMPARE(makeSyntheticJpeg(640, 480, 90, 7), jpeg); // deterministic per seed
    QVERIFY(makeSyntheticJpeg(640, 480, 90, 8) != jpeg);
    // Noise and edges make it cost like a photo: well above a flat image's few KB.
    QVERIFY2(jpeg.size() > 640 * 480 / 10, qPrintable(QString::number(jpeg.size())));
    const DecodeResult r = decodeImageData(jpeg);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.decoded->image.width, 640);
    QCOMPARE(r.decoded->image.height, 480);
    QVERIFY(makeSyntheticJpeg(0, 10, 90).isEmpty());
    QVERIFY(makeSyntheticJpeg(10, 10, 101).isEmpty());
}

void tst_ImagingBenchmark::smokeRun()
{
    ImagingBenchmarkOptions o;
    o.width = 1920;
    o.height = 1440;
    o.iterations = 1;
    const ImagingBenchmarkResult r = runImagingBenchmark(o);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.width, 1920);
    QCOMPARE(r.height, 1440);
    QCOMPARE(r.subsampling, QStringLiteral("4:2:0"));
    QCOMPARE(r.quality, 90);
    QVERIFY(r.jpegBytes > 0);
    QCOMPARE(r.full.decodedWidth, 1920);
    QCOMPARE(r.full.decodedHeight, 1440);
    // 1440 / 448 = 3: the largest draft scale not above it is 1/2.
    QCOMPARE(r.fast.decodedWidth, 960);
    QCOMPARE(r.fast.decodedHeight, 720);
    for (const ImagingBenchmarkPath *p : {&r.full, &r.fast}) {
        QVERIFY(p->decodeMs > 0);
        QVERIFY(p->resizeMs > 0);
        QVERIFY(p->totalMs >= p->decodeMs);
    }
    QVERIFY(r.speedup > 0);
}

void tst_ImagingBenchmark::badOptionsAreReported()
{
    ImagingBenchmarkOptions o;
    o.iterations = 0;
    QVERIFY(!runImagingBenchmark(o).ok());
    o.iterations = 1;
    o.width = 0;
    const ImagingBenchmarkResult r = runImagingBenchmark(o);
    QVERIFY(!r.ok());
    QVERIFY(r.error.contains(QLatin1String("test JPEG")));
}

void tst_ImagingBenchmark::libraryVersionsAreNamed()
{
    const QString v = imagingLibraryVersions();
    for (const char *name : {"libjpeg-turbo", "libtiff 4.", "libheif 1.", "HEVC", "Qt 6."})
        QVERIFY2(v.contains(QLatin1String(name)), qPrintable(v));
}

QTEST_GUILESS_MAIN(tst_ImagingBenchmark)
#include "tst_imagingbenchmark.moc"
