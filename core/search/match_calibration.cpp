#include "match_calibration.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSaveFile>

#include <cmath>

namespace imago {

namespace {
Q_LOGGING_CATEGORY(lcCalibration, "imago.search.calibration")
}

double MatchCalibration::probability(double margin) const
{
    return 1.0 / (1.0 + std::exp(-(scale * margin + bias)));
}

MatchCalibration MatchCalibration::fit(std::span<const double> margins,
                                       const std::vector<bool> &labels)
{
    MatchCalibration c;
    const std::size_t n = std::min(margins.size(), labels.size());
    double positives = 0;
    for (std::size_t i = 0; i < n; ++i)
        positives += labels[i] ? 1 : 0;
    const double negatives = double(n) - positives;
    if (positives == 0 || negatives == 0)
        return c;
    // Platt's targets keep the fit finite on separable data.
    const double hi = (positives + 1) / (positives + 2), lo = 1 / (negatives + 2);
    double a = 0, b = std::log((negatives + 1) / (positives + 1)) * -1.0;
    const auto loss = [&](double sa, double sb) {
        double l = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const double t = labels[i] ? hi : lo, z = sa * margins[i] + sb;
            // log(1 + exp(z)) - t z, computed stably
            l += (z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z))) - t * z;
        }
        return l;
    };
    double current = loss(a, b);
    for (int iter = 0; iter < 100; ++iter) {
        double ga = 0, gb = 0, haa = 1e-12, hab = 0, hbb = 1e-12;
        for (std::size_t i = 0; i < n; ++i) {
            const double t = labels[i] ? hi : lo, m = margins[i];
            const double p = 1.0 / (1.0 + std::exp(-(a * m + b)));
            const double w = p * (1 - p);
            ga += (p - t) * m;
            gb += p - t;
            haa += w * m * m;
            hab += w * m;
            hbb += w;
        }
        const double det = haa * hbb - hab * hab;
        if (std::abs(ga) < 1e-9 && std::abs(gb) < 1e-9)
            break;
        double da = -(hbb * ga - hab * gb) / det, db = -(haa * gb - hab * ga) / det;
        // Backtracking: never accept a step that makes the loss worse.
        double step = 1;
        while (step > 1e-8 && loss(a + step * da, b + step * db) > current)
            step /= 2;
        if (step <= 1e-8)
            break;
        a += step * da;
        b += step * db;
        const double next = loss(a, b);
        if (current - next < 1e-12) {
            current = next;
            break;
        }
        current = next;
    }
    c.scale = a;
    c.bias = b;
    c.source = QStringLiteral("fitted");
    return c;
}

std::optional<MatchCalibration> MatchCalibration::load(const QString &file, QString *error)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("%1: cannot read: %2").arg(file, f.errorString());
        return std::nullopt;
    }
    QJsonParseError pe;
    const QJsonObject o = QJsonDocument::fromJson(f.readAll(), &pe).object();
    const double scale = o.value(QStringLiteral("scale")).toDouble(NAN);
    const double bias = o.value(QStringLiteral("bias")).toDouble(NAN);
    if (pe.error != QJsonParseError::NoError ||
        o.value(QStringLiteral("kind")).toString() != QStringLiteral("platt") ||
        !std::isfinite(scale) || !std::isfinite(bias)) {
        if (error)
            *error = QStringLiteral("%1: not a match calibration (expected JSON with \"kind\": "
                                    "\"platt\" and finite \"scale\" and \"bias\")")
                         .arg(file);
        return std::nullopt;
    }
    MatchCalibration c;
    c.scale = scale;
    c.bias = bias;
    c.source = file;
    return c;
}

MatchCalibration MatchCalibration::forModelFolder(const QString &modelDir)
{
    if (modelDir.isEmpty())
        return {};
    const QString file = QDir(modelDir).filePath(fileName());
    if (!QFileInfo::exists(file))
        return {};
    QString error;
    if (auto c = load(file, &error))
        return *c;
    qCWarning(lcCalibration).noquote() << error << "- using the model's own decision (p >= 0.5)";
    return {};
}

bool MatchCalibration::save(const QString &file, const QString &details, QString *error) const
{
    QJsonObject o;
    o.insert(QStringLiteral("kind"), QStringLiteral("platt"));
    o.insert(QStringLiteral("scale"), scale);
    o.insert(QStringLiteral("bias"), bias);
    o.insert(QStringLiteral("fitted_on"), details);
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly) ||
        f.write(QJsonDocument(o).toJson(QJsonDocument::Indented)) < 0 || !f.commit()) {
        if (error)
            *error = QStringLiteral("%1: cannot write: %2").arg(file, f.errorString());
        return false;
    }
    return true;
}

} // namespace imago
