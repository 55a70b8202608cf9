// imago: the desktop app. Thin: settings, language, command line, the main window.
#include "imago_version.h"
#include "main_window.h"
#include "model_store.h"
#include "runtime.h"
#include "ui_language.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>
#include <csignal>

int main(int argc, char **argv)
{
    imago::flava::ensurePassiveOpenMp(argc, argv);
    // A file-size limit (ulimit -f) must surface as a write error the library reports, with
    // everything committed before it kept - not as SIGXFSZ killing the process mid-write.
    std::signal(SIGXFSZ, SIG_IGN);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("imago"));
    QApplication::setOrganizationName(QStringLiteral("imago"));
    QApplication::setApplicationDisplayName(QStringLiteral("Imago"));
    QApplication::setApplicationVersion(QStringLiteral(IMAGO_VERSION));
    // The app id: installer/io.github.imago.Imago.desktop (Wayland matches windows to it).
    QApplication::setDesktopFileName(QStringLiteral("io.github.imago.Imago"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/imago.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Imago finds your own photos by what is in them, offline."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption library(QStringLiteral("library"),
                                     QStringLiteral("Library folder (default: $IMAGO_LIBRARY, "
                                                    "else the settings)."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption model(QStringLiteral("model"),
                                   QStringLiteral("Model folder (default: $IMAGO_MODEL, else the "
                                                  "settings)."),
                                   QStringLiteral("DIR"));
    const QCommandLineOption lang(QStringLiteral("lang"),
                                  QStringLiteral("UI language for this run: en or zh_CN."),
                                  QStringLiteral("CODE"));
    const QCommandLineOption query(QStringLiteral("search"),
                                   QStringLiteral("Search for TEXT once the library is open."),
                                   QStringLiteral("TEXT"));
    parser.addPositionalArgument(
        QStringLiteral("paths"),
        QStringLiteral("Folders or photos to add to the library and index."),
        QStringLiteral("[PATH...]"));
    parser.addOption(query);
    parser.addOption(library);
    parser.addOption(model);
    parser.addOption(lang);
    const QCommandLineOption theme(QStringLiteral("theme"),
                                   QStringLiteral("system (default), light or dark."),
                                   QStringLiteral("THEME"));
    parser.addOption(theme);
    parser.process(app);
    // The window draws with palette roles only, so it follows a dark desktop theme as is;
    // --theme forces one where the desktop gives none (e.g. a bare X session).
    if (const QString t = parser.value(theme);
        t == QLatin1String("dark") || t == QLatin1String("light")) {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QPalette p = QApplication::style()->standardPalette();
        if (t == QLatin1String("dark")) {
            const QColor window(0x2b, 0x2b, 0x2e), base(0x1e, 0x1e, 0x20), text(0xe8, 0xe8, 0xea);
            p.setColor(QPalette::Window, window);
            p.setColor(QPalette::WindowText, text);
            p.setColor(QPalette::Base, base);
            p.setColor(QPalette::AlternateBase, window.lighter(115));
            p.setColor(QPalette::Text, text);
            p.setColor(QPalette::Button, window.lighter(110));
            p.setColor(QPalette::ButtonText, text);
            p.setColor(QPalette::ToolTipBase, base);
            p.setColor(QPalette::ToolTipText, text);
            p.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9a, 0xa0));
            p.setColor(QPalette::Highlight, QColor(0x3d, 0x7a, 0xd6));
            p.setColor(QPalette::HighlightedText, Qt::white);
            p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x70, 0x70, 0x75));
            p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x70, 0x70, 0x75));
        }
        QApplication::setPalette(p);
    }

    auto absolute = [](const QString &dir) {
        return dir.isEmpty() ? dir : QDir::cleanPath(QFileInfo(dir).absoluteFilePath());
    };
    imago::MainWindowOptions options;
    options.libraryDir = absolute(parser.isSet(library) ? parser.value(library)
                                                        : qEnvironmentVariable("IMAGO_LIBRARY"));
    options.modelDir =
        absolute(parser.isSet(model) ? parser.value(model) : qEnvironmentVariable("IMAGO_MODEL"));

    for (const QString &p : parser.positionalArguments())
        options.addPaths << absolute(p);
    options.query = parser.value(query);
    if (options.modelDir.isEmpty() && imago::AppSettings::load().modelDir.isEmpty())
        options.modelDir =
            imago::ModelStore::activeModelDir(); // e.g. from `imago-cli model download`

    imago::applyLanguage(parser.isSet(lang) ? parser.value(lang)
                                            : imago::AppSettings::load().language);
    imago::MainWindow window(options);
    window.show();
    return app.exec();
}
