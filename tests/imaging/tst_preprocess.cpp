// The whole image path against the reference: decode + EXIF + RGB + Pillow resize + HF
// normalisation must reproduce shared/flava-reference/preprocess/expected.safetensors (full
// decode: bit for bit; DCT-scaled "draft" decode: the draft goldens bit for bit and the full
// goldens within the README's mean-abs / PSNR bounds), and the 64x64 images of the flava-toy
// evaluation set. Also the model-folder preprocessing config.

#include "image_decoder.h"
#include "mapped_file.h"
#include "preprocess.h"
#include "resize.h"
#include "safetensors_reader.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>

using namespace imago;

namespace {

const QString kShared = QStringLiteral(IMAGO_SHARED_DIR);
const QString kReference = kShared + QStringLiteral("/flava-reference/");
const QString kPreprocess = kReference + QStringLiteral("preprocess/");
const QString kToy = kShared + QStringLiteral("/flava-toy/");

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    // Python's json writes an infinite PSNR as the bare word Infinity, which is not JSON.
    QByteArray text = f.readAll();
    text.replace(": Infinity", ": null");
    return QJsonDocument::fromJson(text).object();
}

// A safetensors file kept mapped for the whole test run, tensors by name.
class Tensors
{
public:
    explicit Tensors(const QString &path)
        : m_file(std::make_unique<flava::MappedFile>(path.toStdString()))
    {
        for (auto &t : flava::parseSafetensors(m_file->bytes(), m_file->path()).tensors)
            m_byName.emplace(t.name, t);
    }
    const flava::TensorView *find(const QString &name) const
    {
        const auto it = m_byName.find(name.toStdString());
        return it == m_byName.end() ? nullptr : &it->second;
    }
    QStringList names() const
    {
        QStringList out;
        for (const auto &[name, t] : m_byName)
            out.append(QString::fromStdString(name));
        return out;
    }

private:
    std::unique_ptr<flava::MappedFile> m_file;
    std::map<std::string, flava::TensorView> m_byName;
};

const Tensors &goldens()
{
    static const Tensors t(kPreprocess + QStringLiteral("expected.safetensors"));
    return t;
}

const Tensors &toyPixels()
{
    static const Tensors t(kToy + QStringLiteral("eval/pixels64.safetensors"));
    return t;
}

QString sha256(const RgbImage &img)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(QByteArrayView(reinterpret_cast<const char *>(img.pixels.data()),
                                                qsizetype(img.pixels.size())),
                                 QCryptographicHash::Sha256)
            .toHex());
}

std::vector<float> normalized(const RgbImage &img, const PreprocessConfig &cfg = {})
{
    std::vector<float> out(std::size_t(3) * std::size_t(img.width) * std::size_t(img.height));
    normalizeToChw(img, cfg, out.data());
    return out;
}

const float *f32(const flava::TensorView &t)
{
    return reinterpret_cast<const float *>(t.data);
}

// The 8-bit image a normalised CHW tensor came from: round((x * std + mean) * 255).
std::vector<int> recoverU8Hwc(const float *chw, int size, const PreprocessConfig &cfg)
{
    std::vector<int> out(std::size_t(size) * size * 3);
    const std::size_t plane = std::size_t(size) * size;
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t i = 0; i < plane; ++i)
            out[i * 3 + c] =
                int(std::lround((double(chw[c * plane + i]) * cfg.std[c] + cfg.mean[c]) * 255.0));
    return out;
}

struct Closeness
{
    double meanAbs = 0; // normalised units
    double psnrU8 = 0;  // dB, on the recovered 8-bit images
    double maxAbs = 0;
};

Closeness compare(const std::vector<float> &got, const float *want, int size)
{
    const PreprocessConfig cfg;
    Closeness c;
    double sum = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double d = std::abs(double(got[i]) - double(want[i]));
        sum += d;
        c.maxAbs = std::max(c.maxAbs, d);
    }
    c.meanAbs = sum / double(got.size());
    const std::vector<int> a = recoverU8Hwc(got.data(), size, cfg),
                           b = recoverU8Hwc(want, size, cfg);
    double se = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        se += double(a[i] - b[i]) * double(a[i] - b[i]);
    const double mse = se / double(a.size());
    c.psnrU8 = mse == 0 ? INFINITY : 10.0 * std::log10(255.0 * 255.0 / mse);
    return c;
}

QJsonObject fastPathStats(const QJsonObject &image, int target)
{
    for (const QJsonValue &v : image.value(QLatin1String("fast_path_draft_vs_full")).toArray()) {
        if (v.toObject().value(QLatin1String("draft_target")).toInt() == target)
            return v.toObject();
    }
    return {};
}

} // namespace

class tst_Preprocess : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void referenceGoldens_data();
    void referenceGoldens();
    void draftFastPath_data();
    void draftFastPath();
    void toyPixels64_data();
    void toyPixels64();
    void toyOrientedSizes_data();
    void toyOrientedSizes();
    void configFromModelFolder_data();
    void configFromModelFolder();
    void configRejected_data();
    void configRejected();
    void failureLeavesOutputUntouched();
};

void tst_Preprocess::referenceGoldens_data()
{
    QTest::addColumn<QString>("file");
    const QJsonObject images = readJson(kPreprocess + QStringLiteral("manifest.json"))
                                   .value(QLatin1String("images"))
                                   .toObject();
    QCOMPARE(images.size(), 6);
    for (const QString &file : images.keys())
        QTest::newRow(qPrintable(file)) << file;
}

void tst_Preprocess::referenceGoldens()
{
    QFETCH(QString, file);
    const QJsonObject m = readJson(kPreprocess + QStringLiteral("manifest.json"))
                              .value(QLatin1String("images"))
                              .toObject()
                              .value(file)
                              .toObject();
    const QString stem = file.section(QLatin1Char('.'), 0, 0);
    const QJsonArray displayed = m.value(QLatin1String("displayed_size_wh")).toArray();

    const DecodeResult r = decodeImageFile(kPreprocess + file);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const DecodedImage &d = *r.decoded;
    QCOMPARE(d.format, m.value(QLatin1String("format")).toString());
    QCOMPARE(d.exifOrientation, m.value(QLatin1String("exif_orientation")).toInt());
    QCOMPARE(d.orientedWidth, displayed[0].toInt());
    QCOMPARE(d.orientedHeight, displayed[1].toInt());
    QCOMPARE(d.image.width, displayed[0].toInt());
    QCOMPARE(d.image.height, displayed[1].toInt());
    QCOMPARE(sha256(d.image), m.value(QLatin1String("decoded_rgb_sha256")).toString());

    const flava::TensorView *want = goldens().find(stem + QStringLiteral(".pixel_values"));
    QVERIFY(want);
    QCOMPARE(want->shape, (std::vector<std::int64_t>{3, 224, 224}));
    const std::vector<float> got = normalized(resizeBicubic(d.image, 224, 224));
    QCOMPARE(got.size(), std::size_t(want->numel()));
    int outside = 0, differing = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const float b = f32(*want)[i];
        if (std::abs(got[i] - b) > 1e-4f + 1e-4f * std::abs(b))
            ++outside;
        if (std::memcmp(&got[i], &b, sizeof(float)) != 0)
            ++differing;
    }
    QCOMPARE(outside, 0);
    QCOMPARE(differing, 0); // the 8-bit images match exactly, so the floats are bit-identical

    // The one-call path the indexer uses gives the same bits.
    std::vector<float> viaFile(got.size());
    const PreprocessOutcome outcome =
        preprocessImageFile(kPreprocess + file, PreprocessConfig{}, false, viaFile.data());
    QVERIFY2(outcome.ok(), qPrintable(outcome.error));
    QCOMPARE(outcome.orientedWidth, displayed[0].toInt());
    QCOMPARE(outcome.orientedHeight, displayed[1].toInt());
    QVERIFY(std::memcmp(viaFile.data(), got.data(), got.size() * sizeof(float)) == 0);
}

void tst_Preprocess::draftFastPath_data()
{
    QTest::addColumn<QString>("file");
    const QJsonObject images = readJson(kPreprocess + QStringLiteral("manifest.json"))
                                   .value(QLatin1String("images"))
                                   .toObject();
    for (const QString &file : images.keys()) {
        if (images.value(file).toObject().value(QLatin1String("format")).toString() ==
            QLatin1String("JPEG"))
            QTest::newRow(qPrintable(file)) << file;
    }
}

void tst_Preprocess::draftFastPath()
{
    QFETCH(QString, file);
    const QJsonObject m = readJson(kPreprocess + QStringLiteral("manifest.json"))
                              .value(QLatin1String("images"))
                              .toObject()
                              .value(file)
                              .toObject();
    const QString stem = file.section(QLatin1Char('.'), 0, 0);
    const flava::TensorView *draft = goldens().find(stem + QStringLiteral(".draft224_rgb224"));
    const flava::TensorView *full = goldens().find(stem + QStringLiteral(".pixel_values"));
    QVERIFY(draft && full);

    // The README's fast path: Pillow's draft((224, 224)) scale, then the same resize.
    DecodeRequest req;
    req.minSide = 224;
    const DecodeResult r = decodeImageFile(kPreprocess + file, req);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const QJsonObject stats224 = fastPathStats(m, 224);
    const QJsonArray decodedSize = stats224.value(QLatin1String("decoded_size_wh")).toArray();
    QCOMPARE(r.decoded->image.width, decodedSize[0].toInt());
    QCOMPARE(r.decoded->image.height, decodedSize[1].toInt());

    const RgbImage small = resizeBicubic(r.decoded->image, 224, 224);
    QCOMPARE(std::size_t(draft->numel()), small.pixels.size());
    QVERIFY(std::memcmp(draft->data, small.pixels.data(), small.pixels.size()) == 0);

    const Closeness c224 = compare(normalized(small), f32(*full), 224);
    QVERIFY2(c224.meanAbs <= 0.01, qPrintable(QString::number(c224.meanAbs)));
    QVERIFY2(c224.psnrU8 >= 40.0, qPrintable(QString::number(c224.psnrU8)));
    // Identical pixels must give the statistics the reference measured.
    QVERIFY(std::abs(c224.meanAbs -
                     stats224.value(QLatin1String("mean_abs_diff_normalised")).toDouble()) < 1e-4);
    QVERIFY(std::abs(c224.maxAbs -
                     stats224.value(QLatin1String("max_abs_diff_normalised")).toDouble()) < 1e-4);

    // What preprocessImageFile(fast = true) does: a scale that keeps both sides >= 2 * 224.
    std::vector<float> fast(std::size_t(3) * 224 * 224);
    const PreprocessOutcome outcome =
        preprocessImageFile(kPreprocess + file, PreprocessConfig{}, true, fast.data());
    QVERIFY2(outcome.ok(), qPrintable(outcome.error));
    QCOMPARE(outcome.orientedWidth,
             m.value(QLatin1String("displayed_size_wh")).toArray()[0].toInt());
    const Closeness c448 = compare(fast, f32(*full), 224);
    const QJsonObject stats448 = fastPathStats(m, 448);
    QVERIFY2(c448.meanAbs <= 0.01, qPrintable(QString::number(c448.meanAbs)));
    QVERIFY2(c448.psnrU8 >= 40.0, qPrintable(QString::number(c448.psnrU8)));
    QVERIFY(std::abs(c448.meanAbs -
                     stats448.value(QLatin1String("mean_abs_diff_normalised")).toDouble()) < 1e-4);
    QVERIFY(std::abs(c448.maxAbs -
                     stats448.value(QLatin1String("max_abs_diff_normalised")).toDouble()) < 1e-4);
}

void tst_Preprocess::toyPixels64_data()
{
    QTest::addColumn<QString>("file");
    const QStringList names = toyPixels().names();
    QVERIFY(names.size() >= 10);
    for (const QString &name : names)
        QTest::newRow(qPrintable(name)) << name;
}

void tst_Preprocess::toyPixels64()
{
    QFETCH(QString, file);
    const flava::TensorView *want = toyPixels().find(file);
    QVERIFY(want);
    QCOMPARE(want->shape, (std::vector<std::int64_t>{64, 64, 3}));
    const DecodeResult r = decodeImageFile(kToy + QStringLiteral("eval/images/") + file);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const RgbImage small = resizeBicubic(r.decoded->image, 64, 64);
    int maxDiff = 0;
    for (std::size_t i = 0; i < small.pixels.size(); ++i)
        maxDiff = std::max(maxDiff, std::abs(int(small.pixels[i]) - int(want->data[i])));
    QCOMPARE(maxDiff, 0);
}

void tst_Preprocess::toyOrientedSizes_data()
{
    QTest::addColumn<QString>("file");
    const QJsonObject images = readJson(kToy + QStringLiteral("eval/manifest.json"))
                                   .value(QLatin1String("images"))
                                   .toObject();
    QCOMPARE(images.size(), 200);
    for (const QString &file : images.keys())
        QTest::newRow(qPrintable(file)) << file;
}

void tst_Preprocess::toyOrientedSizes()
{
    QFETCH(QString, file);
    const QJsonObject m = readJson(kToy + QStringLiteral("eval/manifest.json"))
                              .value(QLatin1String("images"))
                              .toObject()
                              .value(file)
                              .toObject();
    const QJsonArray displayed = m.value(QLatin1String("displayed_size_wh")).toArray();
    const DecodeResult r = decodeImageFile(kToy + QStringLiteral("eval/images/") + file);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.decoded->format, m.value(QLatin1String("format")).toString());
    QCOMPARE(r.decoded->exifOrientation, m.value(QLatin1String("exif_orientation")).toInt(1));
    QCOMPARE(r.decoded->orientedWidth, displayed[0].toInt());
    QCOMPARE(r.decoded->orientedHeight, displayed[1].toInt());
    QCOMPARE(r.decoded->image.width, displayed[0].toInt());
    QCOMPARE(r.decoded->image.height, displayed[1].toInt());
}

void tst_Preprocess::configFromModelFolder_data()
{
    QTest::addColumn<QString>("dir");     // a real folder, or empty for `json`
    QTest::addColumn<QByteArray>("json"); // written to a temporary folder
    QTest::addColumn<int>("modelImageSize");
    QTest::addColumn<int>("size");
    QTest::addColumn<float>("mean0");
    QTest::addColumn<float>("std2");
    const float clipMean0 = 0.48145466f, clipStd2 = 0.27577711f;
    QTest::newRow("flava-toy: size 64 from preprocessor_config.json")
        << kToy << QByteArray() << 999 << 64 << clipMean0 << clipStd2;
    QTest::newRow("flava-reference: no file, image_size 32 from config.json")
        << kReference << QByteArray() << 32 << 32 << clipMean0 << clipStd2;
    QTest::newRow("size as {height, width}")
        << QString()
        << QByteArray(
               R"({"size": {"height": 96, "width": 96}, "crop_size": {"height": 96, "width": 96}})")
        << 224 << 96 << clipMean0 << clipStd2;
    QTest::newRow("size as {shortest_edge}")
        << QString() << QByteArray(R"({"size": {"shortest_edge": 128}})") << 224 << 128 << clipMean0
        << clipStd2;
    QTest::newRow("only crop_size")
        << QString() << QByteArray(R"({"crop_size": 48})") << 224 << 48 << clipMean0 << clipStd2;
    QTest::newRow("crop differs but cropping is off")
        << QString() << QByteArray(R"({"size": 80, "crop_size": 64, "do_center_crop": false})")
        << 224 << 80 << clipMean0 << clipStd2;
    QTest::newRow("no size key: the model's")
        << QString() << QByteArray(R"({"do_resize": true})") << 112 << 112 << clipMean0 << clipStd2;
    QTest::newRow("own mean and std")
        << QString()
        << QByteArray(
               R"({"size": 224, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.125]})")
        << 224 << 224 << 0.5f << 0.125f;
}

void tst_Preprocess::configFromModelFolder()
{
    QFETCH(QString, dir);
    QFETCH(QByteArray, json);
    QFETCH(int, modelImageSize);
    QFETCH(int, size);
    QFETCH(float, mean0);
    QFETCH(float, std2);
    QTemporaryDir tmp;
    if (dir.isEmpty()) {
        dir = tmp.path();
        QFile f(tmp.filePath(QStringLiteral("preprocessor_config.json")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(json);
    }
    const PreprocessConfig cfg = PreprocessConfig::fromModelFolder(dir, modelImageSize);
    QCOMPARE(cfg.size, size);
    QCOMPARE(cfg.mean[0], mean0);
    QCOMPARE(cfg.std[2], std2);
}

void tst_Preprocess::configRejected_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("reason");
    QTest::newRow("malformed JSON")
        << QByteArray(R"({"size": 64,)") << QStringLiteral("malformed JSON");
    QTest::newRow("not an object") << QByteArray("[64]") << QStringLiteral("not a JSON object");
    QTest::newRow("crop differs from size")
        << QByteArray(R"({"size": 256, "crop_size": 224})")
        << QStringLiteral("crop_size 224 differs from size 256");
    QTest::newRow("non-square size")
        << QByteArray(R"({"size": {"height": 224, "width": 192}})") << QStringLiteral("square");
    QTest::newRow("size is a string")
        << QByteArray(R"({"size": "224"})") << QStringLiteral("\"size\"");
    QTest::newRow("negative size")
        << QByteArray(R"({"size": -3})") << QStringLiteral("positive integer");
    QTest::newRow("mean with two numbers")
        << QByteArray(R"({"image_mean": [0.5, 0.5]})") << QStringLiteral("\"image_mean\"");
    QTest::newRow("std of zero") << QByteArray(R"({"image_std": [0.2, 0, 0.2]})")
                                 << QStringLiteral("positive number");
}

void tst_Preprocess::configRejected()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, reason);
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("preprocessor_config.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(json);
    f.close();
    try {
        PreprocessConfig::fromModelFolder(tmp.path(), 224);
        QFAIL("no exception for a bad preprocessor_config.json");
    } catch (const std::runtime_error &e) {
        const QString what = QString::fromStdString(e.what());
        QVERIFY2(what.contains(path), qPrintable(what));
        QVERIFY2(what.contains(reason), qPrintable(what));
    }
}

void tst_Preprocess::failureLeavesOutputUntouched()
{
    std::vector<float> out(std::size_t(3) * 64 * 64, 42.0f);
    PreprocessConfig cfg;
    cfg.size = 64;
    const PreprocessOutcome outcome =
        preprocessImageData(QByteArrayView("%PDF-1.4 not a photo"), cfg, true, out.data());
    QVERIFY(!outcome.ok());
    QVERIFY2(outcome.error.contains(QLatin1String("PDF")), qPrintable(outcome.error));
    QVERIFY(std::all_of(out.begin(), out.end(), [](float v) { return v == 42.0f; }));
}

QTEST_GUILESS_MAIN(tst_Preprocess)
#include "tst_preprocess.moc"
