#include "preprocess.h"

#include "resize.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <optional>
#include <stdexcept>

namespace imago {

namespace {

[[noreturn]] void fail(const QString &file, const QString &what)
{
    throw std::runtime_error(QStringLiteral("%1: %2").arg(file, what).toStdString());
}

// A positive integer side from an int, {"height", "width"} or {"shortest_edge"}; nullopt when
// the key is absent or null.
std::optional<int> readSide(const QJsonObject &obj, const QString &key, const QString &file)
{
    const QJsonValue v = obj.value(key);
    if (v.isUndefined() || v.isNull())
        return std::nullopt;
    const auto positiveInt = [&](const QJsonValue &x, const QString &name) {
        const double d = x.toDouble(-1);
        if (!x.isDouble() || d < 1 || d > 65536 || d != std::floor(d))
            fail(file, QStringLiteral("\"%1\" must be a positive integer").arg(name));
        return int(d);
    };
    if (v.isDouble())
        return positiveInt(v, key);
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        if (o.contains(QLatin1String("height")) || o.contains(QLatin1String("width"))) {
            const int h =
                positiveInt(o.value(QLatin1String("height")), key + QLatin1String(".height"));
            const int w =
                positiveInt(o.value(QLatin1String("width")), key + QLatin1String(".width"));
            if (h != w)
                fail(file, QStringLiteral("\"%1\" is %2x%3; FLAVA needs a square input")
                               .arg(key)
                               .arg(w)
                               .arg(h));
            return h;
        }
        if (o.contains(QLatin1String("shortest_edge")))
            return positiveInt(o.value(QLatin1String("shortest_edge")),
                               key + QLatin1String(".shortest_edge"));
    }
    fail(file, QStringLiteral("\"%1\" must be an integer or an object with height/width").arg(key));
}

std::array<float, 3> readTriple(const QJsonObject &obj, const QString &key,
                                const std::array<float, 3> &fallback, const QString &file,
                                bool positive)
{
    const QJsonValue v = obj.value(key);
    if (v.isUndefined() || v.isNull())
        return fallback;
    const QJsonArray a = v.toArray();
    if (!v.isArray() || a.size() != 3)
        fail(file, QStringLiteral("\"%1\" must be an array of 3 numbers").arg(key));
    std::array<float, 3> out{};
    for (int i = 0; i < 3; ++i) {
        if (!a[i].isDouble() || (positive && a[i].toDouble() <= 0))
            fail(file, QStringLiteral("\"%1\"[%2] must be a %3number")
                           .arg(key)
                           .arg(i)
                           .arg(positive ? QStringLiteral("positive ") : QString()));
        // The JSON double rounded to float32, as HF's float32 arrays hold it.
        out[std::size_t(i)] = float(a[i].toDouble());
    }
    return out;
}

PreprocessOutcome finish(DecodeResult decoded, const PreprocessConfig &cfg, float *outChw)
{
    PreprocessOutcome outcome;
    if (!decoded.ok()) {
        outcome.error = std::move(decoded.error);
        outcome.code = std::move(decoded.code);
        outcome.args = std::move(decoded.args);
        return outcome;
    }
    const DecodedImage &d = *decoded.decoded;
    outcome.orientedWidth = d.orientedWidth;
    outcome.orientedHeight = d.orientedHeight;
    outcome.format = d.format;
    outcome.metadata = d.metadata;
    normalizeToChw(resizeBicubic(d.image, cfg.size, cfg.size), cfg, outChw);
    return outcome;
}

DecodeRequest requestFor(const PreprocessConfig &cfg, bool fast, const DecodeLimits &limits)
{
    DecodeRequest req;
    req.minSide = fast ? 2 * cfg.size : 0;
    req.limits = limits;
    return req;
}

} // namespace

PreprocessConfig PreprocessConfig::fromModelFolder(const QString &dir, int imageSizeFromModelConfig)
{
    PreprocessConfig cfg;
    cfg.size = imageSizeFromModelConfig;
    const QString path = QDir(dir).filePath(QStringLiteral("preprocessor_config.json"));
    QFile file(path);
    if (!file.exists()) {
        if (cfg.size < 1)
            fail(path, QStringLiteral("absent, and the model config gives no image size"));
        return cfg;
    }
    if (!file.open(QIODevice::ReadOnly))
        fail(path, QStringLiteral("cannot be read: %1").arg(file.errorString()));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (doc.isNull())
        fail(path, QStringLiteral("malformed JSON at offset %1: %2")
                       .arg(parseError.offset)
                       .arg(parseError.errorString()));
    if (!doc.isObject())
        fail(path, QStringLiteral("top level is not a JSON object"));
    const QJsonObject obj = doc.object();

    const std::optional<int> size = readSide(obj, QStringLiteral("size"), path);
    const std::optional<int> crop = readSide(obj, QStringLiteral("crop_size"), path);
    const bool cropping = obj.value(QLatin1String("do_center_crop")).toBool(true);
    if (size)
        cfg.size = *size;
    else if (crop)
        cfg.size = *crop;
    if (cfg.size < 1)
        fail(path, QStringLiteral("no image size here or in the model config"));
    // FlavaImageProcessor resizes to size x size and then center-crops crop_size: only a
    // crop equal to the size (a no-op) matches the squash-resize this pipeline implements.
    if (size && crop && cropping && *crop != *size)
        fail(path, QStringLiteral("crop_size %1 differs from size %2; only a square resize "
                                  "without cropping is supported")
                       .arg(*crop)
                       .arg(*size));
    cfg.mean = readTriple(obj, QStringLiteral("image_mean"), cfg.mean, path, false);
    cfg.std = readTriple(obj, QStringLiteral("image_std"), cfg.std, path, true);
    return cfg;
}

void normalizeToChw(const RgbImage &resized, const PreprocessConfig &cfg, float *outChw)
{
    Q_ASSERT(resized.pixels.size() == resized.byteCount());
    // 256 values per channel, each computed exactly as HF does: the product in double, then
    // float32 subtraction and division (no fused multiply-add: -ffp-contract=off).
    std::array<std::array<float, 256>, 3> table{};
    for (std::size_t c = 0; c < 3; ++c) {
        for (int v = 0; v < 256; ++v) {
            const float x = static_cast<float>(double(v) * (1.0 / 255.0));
            table[c][std::size_t(v)] = (x - cfg.mean[c]) / cfg.std[c];
        }
    }
    const std::size_t plane = std::size_t(resized.width) * std::size_t(resized.height);
    const std::uint8_t *p = resized.pixels.data();
    float *r = outChw, *g = outChw + plane, *b = outChw + 2 * plane;
    for (std::size_t i = 0; i < plane; ++i, p += 3) {
        r[i] = table[0][p[0]];
        g[i] = table[1][p[1]];
        b[i] = table[2][p[2]];
    }
}

PreprocessOutcome preprocessImageFile(const QString &path, const PreprocessConfig &cfg, bool fast,
                                      float *outChw, const DecodeLimits &limits)
{
    return finish(decodeImageFile(path, requestFor(cfg, fast, limits)), cfg, outChw);
}

PreprocessOutcome preprocessImageData(QByteArrayView bytes, const PreprocessConfig &cfg, bool fast,
                                      float *outChw, const DecodeLimits &limits)
{
    return finish(decodeImageData(bytes, requestFor(cfg, fast, limits)), cfg, outChw);
}

} // namespace imago
