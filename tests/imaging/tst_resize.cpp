// Pillow-exact bicubic resize: against Pillow's own output on small cases that exercise one
// path each (upscale, downscale, one pass only, 1-pixel sources and targets, extreme aspect
// ratios, ringing clamped at 0/255), against an independent transcription of the README spec,
// and on structural properties of the taps.

#include "mapped_file.h"
#include "resize.h"
#include "safetensors_reader.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTest>

#include <cmath>
#include <map>

using namespace imago;

namespace {

const QString kDataDir = QStringLiteral(IMAGO_TEST_DATA_DIR "/imaging");

RgbImage imageFromTensor(const flava::TensorView &t)
{
    RgbImage img;
    if (t.dtype != flava::DType::U8 || t.shape.size() != 3 || t.shape[2] != 3)
        return img;
    img.height = int(t.shape[0]);
    img.width = int(t.shape[1]);
    img.pixels.assign(t.data, t.data + img.byteCount());
    return img;
}

RgbImage noiseImage(int w, int h, quint32 seed)
{
    QRandomGenerator rng(seed);
    RgbImage img;
    img.width = w;
    img.height = h;
    img.pixels.resize(img.byteCount());
    for (auto &p : img.pixels)
        p = std::uint8_t(rng.bounded(256));
    return img;
}

// The README's "Spec: Pillow bicubic resize" written out naively, sharing no code with the
// library: per output sample, recompute the taps, accumulate, round.
std::vector<std::uint8_t> specPass(const std::vector<std::uint8_t> &in, int inSize, int lines,
                                   int outSize, bool horizontal, int channels)
{
    const double scale = double(inSize) / outSize;
    const double fs = std::max(scale, 1.0);
    const double sup = 2.0 * fs;
    auto kernel = [](double x) {
        const double a = -0.5, t = std::abs(x);
        if (t < 1)
            return ((a + 2) * t - (a + 3)) * t * t + 1;
        if (t < 2)
            return (((t - 5) * t + 8) * t - 4) * a;
        return 0.0;
    };
    std::vector<std::uint8_t> out(std::size_t(outSize) * lines * channels);
    for (int i = 0; i < outSize; ++i) {
        const double center = (i + 0.5) * scale;
        const int lo = std::max(0, int(center - sup + 0.5));
        const int hi = std::min(inSize, int(center + sup + 0.5));
        std::vector<double> w;
        double sum = 0;
        for (int j = 0; j < hi - lo; ++j) {
            w.push_back(kernel((j + lo - center + 0.5) / fs));
            sum += w.back();
        }
        std::vector<long long> k;
        for (double v : w) {
            v = sum != 0 ? v / sum : v;
            k.push_back(v >= 0 ? (long long)(v * 4194304.0 + 0.5)
                               : (long long)(v * 4194304.0 - 0.5));
        }
        for (int line = 0; line < lines; ++line) {
            for (int c = 0; c < channels; ++c) {
                long long acc = 1 << 21;
                for (int j = 0; j < hi - lo; ++j) {
                    const int src = lo + j;
                    const std::size_t idx = horizontal
                                                ? (std::size_t(line) * inSize + src) * channels + c
                                                : (std::size_t(src) * lines + line) * channels + c;
                    acc += in[idx] * k[std::size_t(j)];
                }
                const long long v = std::clamp(acc >> 22, 0LL, 255LL);
                const std::size_t o = horizontal ? (std::size_t(line) * outSize + i) * channels + c
                                                 : (std::size_t(i) * lines + line) * channels + c;
                out[o] = std::uint8_t(v);
            }
        }
    }
    return out;
}

RgbImage specResize(const RgbImage &src, int outW, int outH)
{
    RgbImage img = src;
    if (outW != img.width) {
        img.pixels = specPass(img.pixels, img.width, img.height, outW, true, 3);
        img.width = outW;
    }
    if (outH != img.height) {
        img.pixels = specPass(img.pixels, img.height, img.width, outH, false, 3);
        img.height = outH;
    }
    return img;
}

int maxAbsDiff(const RgbImage &a, const RgbImage &b)
{
    int m = 0;
    for (std::size_t i = 0; i < a.pixels.size() && i < b.pixels.size(); ++i)
        m = std::max(m, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
    return m;
}

} // namespace

class tst_Resize : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pillowCases_data();
    void pillowCases();
    void matchesSpecTranscription_data();
    void matchesSpecTranscription();
    void identitySizeIsACopy();
    void onePixelSourceIsFlat_data();
    void onePixelSourceIsFlat();
    void tapsAreNormalised_data();
    void tapsAreNormalised();
    void emptyInputs();
    void photoSizedDownscaleTime();
};

void tst_Resize::pillowCases_data()
{
    QTest::addColumn<QString>("name");
    const QString path = kDataDir + QStringLiteral("/resize_cases.safetensors");
    flava::MappedFile file(path.toStdString());
    const auto contents = flava::parseSafetensors(file.bytes(), file.path());
    for (const auto &t : contents.tensors) {
        const QString name = QString::fromStdString(t.name);
        if (name.endsWith(QLatin1String(".in")))
            QTest::newRow(qPrintable(name.chopped(3))) << name.chopped(3);
    }
}

void tst_Resize::pillowCases()
{
    QFETCH(QString, name);
    const QString path = kDataDir + QStringLiteral("/resize_cases.safetensors");
    flava::MappedFile file(path.toStdString());
    const auto contents = flava::parseSafetensors(file.bytes(), file.path());
    std::map<std::string, RgbImage> images;
    for (const auto &t : contents.tensors)
        images[t.name] = imageFromTensor(t);
    const RgbImage &in = images.at((name + QStringLiteral(".in")).toStdString());
    const RgbImage &expected = images.at((name + QStringLiteral(".out")).toStdString());
    QVERIFY(!in.isEmpty() && !expected.isEmpty());

    const RgbImage out = resizeBicubic(in, expected.width, expected.height);
    QCOMPARE(out.width, expected.width);
    QCOMPARE(out.height, expected.height);
    QCOMPARE(maxAbsDiff(out, expected), 0);
    QVERIFY(out.pixels == expected.pixels);
}

void tst_Resize::matchesSpecTranscription_data()
{
    QTest::addColumn<int>("inW");
    QTest::addColumn<int>("inH");
    QTest::addColumn<int>("outW");
    QTest::addColumn<int>("outH");
    QTest::newRow("photo-like 4:3 down to 224") << 400 << 300 << 224 << 224;
    QTest::newRow("portrait down, non-integer ratio") << 301 << 517 << 224 << 224;
    QTest::newRow("upscale 50x30 to 224") << 50 << 30 << 224 << 224;
    QTest::newRow("extreme aspect 3000x2 to 64") << 3000 << 2 << 64 << 64;
    QTest::newRow("extreme aspect 1x2000 to 7x9") << 1 << 2000 << 7 << 9;
    QTest::newRow("to a single pixel") << 97 << 61 << 1 << 1;
    QTest::newRow("one side grows, one shrinks") << 120 << 20 << 33 << 150;
}

void tst_Resize::matchesSpecTranscription()
{
    QFETCH(int, inW);
    QFETCH(int, inH);
    QFETCH(int, outW);
    QFETCH(int, outH);
    const RgbImage src = noiseImage(inW, inH, quint32(inW * 7919 + inH));
    const RgbImage got = resizeBicubic(src, outW, outH);
    const RgbImage want = specResize(src, outW, outH);
    QCOMPARE(got.width, outW);
    QCOMPARE(got.height, outH);
    QCOMPARE(maxAbsDiff(got, want), 0);
}

void tst_Resize::identitySizeIsACopy()
{
    const RgbImage src = noiseImage(31, 17, 5);
    const RgbImage out = resizeBicubic(src, 31, 17);
    QCOMPARE(out.width, 31);
    QCOMPARE(out.height, 17);
    QVERIFY(out.pixels == src.pixels);
}

void tst_Resize::onePixelSourceIsFlat_data()
{
    QTest::addColumn<int>("outW");
    QTest::addColumn<int>("outH");
    QTest::newRow("1x1 to 1x1") << 1 << 1;
    QTest::newRow("1x1 to 224x224") << 224 << 224;
    QTest::newRow("1x1 to 5x1") << 5 << 1;
    QTest::newRow("1x1 to 1x300") << 1 << 300;
}

void tst_Resize::onePixelSourceIsFlat()
{
    QFETCH(int, outW);
    QFETCH(int, outH);
    RgbImage src;
    src.width = src.height = 1;
    src.pixels = {200, 3, 77};
    const RgbImage out = resizeBicubic(src, outW, outH);
    QCOMPARE(out.width, outW);
    QCOMPARE(out.height, outH);
    // A single tap normalised to 1.0 is exactly 2^22: the colour must come back unchanged.
    for (std::size_t i = 0; i < out.pixels.size(); i += 3) {
        QCOMPARE(out.pixels[i], std::uint8_t(200));
        QCOMPARE(out.pixels[i + 1], std::uint8_t(3));
        QCOMPARE(out.pixels[i + 2], std::uint8_t(77));
    }
}

void tst_Resize::tapsAreNormalised_data()
{
    QTest::addColumn<int>("in");
    QTest::addColumn<int>("out");
    QTest::newRow("4000 to 224") << 4000 << 224;
    QTest::newRow("30 to 224") << 30 << 224;
    QTest::newRow("224 to 224") << 224 << 224;
    QTest::newRow("1 to 64") << 1 << 64;
    QTest::newRow("65535 to 1") << 65535 << 1;
}

void tst_Resize::tapsAreNormalised()
{
    QFETCH(int, in);
    QFETCH(int, out);
    const BicubicTaps taps(in, out);
    for (int i = 0; i < out; ++i) {
        QVERIFY(taps.first(i) >= 0);
        QVERIFY(taps.count(i) >= 1);
        QVERIFY(taps.first(i) + taps.count(i) <= in);
        long long sum = 0;
        for (int j = 0; j < taps.count(i); ++j)
            sum += taps.weights(i)[j];
        // Each tap rounds by at most 1/2: the sum stays within count/2 of 2^22.
        QVERIFY2(std::llabs(sum - (1LL << 22)) <= taps.count(i),
                 qPrintable(QStringLiteral("output %1: taps sum to %2").arg(i).arg(sum)));
    }
}

void tst_Resize::emptyInputs()
{
    QVERIFY(resizeBicubic(RgbImage{}, 224, 224).isEmpty());
    QVERIFY(resizeBicubic(noiseImage(4, 4, 1), 0, 224).isEmpty());
}

void tst_Resize::photoSizedDownscaleTime()
{
    // Not a pass/fail benchmark: prints what a 12 MP photo costs, the indexer's common case.
    const RgbImage src = noiseImage(4000, 3000, 12);
    resizeBicubic(src, 224, 224); // taps cached, pages touched
    QElapsedTimer timer;
    timer.start();
    const RgbImage out = resizeBicubic(src, 224, 224);
    qInfo("resize 4000x3000 -> 224x224: %.1f ms", double(timer.nsecsElapsed()) / 1e6);
    QCOMPARE(out.width, 224);
}

QTEST_GUILESS_MAIN(tst_Resize)
#include "tst_resize.moc"
