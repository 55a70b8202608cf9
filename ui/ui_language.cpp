#include "ui_language.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QTranslator>

// The icons are compiled into this static library: register them before first use.
static void initImagoResources()
{
    Q_INIT_RESOURCE(imago);
}

namespace imago {

void initResources()
{
    static const bool done = [] {
        initImagoResources();
        return true;
    }();
    Q_UNUSED(done);
}

QList<UiLanguage> availableLanguages()
{
    return {{QStringLiteral("en"), QStringLiteral("English")},
            {QStringLiteral("zh_CN"), QStringLiteral("简体中文")}};
}

QString applyLanguage(const QString &code)
{
    initResources();
    static QTranslator *app = nullptr;
    static QTranslator *qt = nullptr;
    if (app) {
        QCoreApplication::removeTranslator(app);
        delete app;
        app = nullptr;
    }
    if (qt) {
        QCoreApplication::removeTranslator(qt);
        delete qt;
        qt = nullptr;
    }
    QString chosen = code;
    if (chosen.isEmpty()) {
        const QStringList ui = QLocale::system().uiLanguages();
        chosen = QStringLiteral("en");
        for (const QString &l : ui) {
            const QString norm = QString(l).replace(QLatin1Char('-'), QLatin1Char('_'));
            if (norm.startsWith(QLatin1String("zh"))) {
                chosen = QStringLiteral("zh_CN");
                break;
            }
            if (norm.startsWith(QLatin1String("en")))
                break;
        }
    }
    QLocale::setDefault(QLocale(chosen));
    app = new QTranslator;
    if (app->load(QStringLiteral(":/i18n/imago_%1.qm").arg(chosen)))
        QCoreApplication::installTranslator(app);
    qt = new QTranslator;
    if (qt->load(QLocale(chosen), QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    return chosen;
}

} // namespace imago
