#include "app_settings.h"

#include <QSettings>

namespace imago {

namespace {

QString deviceName(AppSettings::Device d)
{
    switch (d) {
    case AppSettings::Device::Cpu:
        return QStringLiteral("cpu");
    case AppSettings::Device::Gpu:
        return QStringLiteral("gpu");
    case AppSettings::Device::Auto:
        break;
    }
    return QStringLiteral("auto");
}

} // namespace

AppSettings AppSettings::load()
{
    QSettings s;
    AppSettings a;
    a.libraryDir = s.value(QStringLiteral("library/dir")).toString();
    a.modelDir = s.value(QStringLiteral("model/dir")).toString();
    const QString dev = s.value(QStringLiteral("model/device"), QStringLiteral("auto")).toString();
    a.device = dev == QLatin1String("cpu")   ? Device::Cpu
               : dev == QLatin1String("gpu") ? Device::Gpu
                                             : Device::Auto;
    a.threads = qBound(0, s.value(QStringLiteral("model/threads"), 0).toInt(), 256);
    a.rerankDepth = qBound(0, s.value(QStringLiteral("search/rerank"), 20).toInt(), 200);
    a.minConfidence = qBound(0.0, s.value(QStringLiteral("search/minConfidence"), 0.0).toDouble(), 1.0);
    a.thumbnailSize = qBound(64, s.value(QStringLiteral("view/thumbnailSize"), 160).toInt(), 512);
    a.showConfidence = s.value(QStringLiteral("view/showConfidence"), true).toBool();
    a.language = s.value(QStringLiteral("view/language")).toString();
    a.history = s.value(QStringLiteral("search/history")).toStringList();
    a.excludedFolders = s.value(QStringLiteral("library/excluded")).toStringList();
    return a;
}

void AppSettings::save() const
{
    QSettings s;
    s.setValue(QStringLiteral("library/dir"), libraryDir);
    s.setValue(QStringLiteral("model/dir"), modelDir);
    s.setValue(QStringLiteral("model/device"), deviceName(device));
    s.setValue(QStringLiteral("model/threads"), threads);
    s.setValue(QStringLiteral("search/rerank"), rerankDepth);
    s.setValue(QStringLiteral("search/minConfidence"), minConfidence);
    s.setValue(QStringLiteral("view/thumbnailSize"), thumbnailSize);
    s.setValue(QStringLiteral("view/showConfidence"), showConfidence);
    s.setValue(QStringLiteral("view/language"), language);
    s.setValue(QStringLiteral("search/history"), history);
    s.setValue(QStringLiteral("library/excluded"), excludedFolders);
}

void AppSettings::remember(const QString &query)
{
    const QString q = query.simplified();
    if (q.isEmpty())
        return;
    history.removeAll(q);
    history.prepend(q);
    while (history.size() > kMaxHistory)
        history.removeLast();
}

} // namespace imago
