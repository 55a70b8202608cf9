// The first-run page's Download button: the model comes from a local fake Hub (no real
// network), lands in the default model folder, becomes the active model and the library opens.
#include "../download/fake_hub.h"
#include "first_run_page.h"
#include "library_service.h"
#include "main_window.h"
#include "model_store.h"
#include "ui_language.h"

#include <QApplication>
#include <QFileInfo>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace imago;

class tst_FirstRunDownload : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void downloadThenOpen()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("imago-test"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_firstrundownload"));
        applyLanguage(QStringLiteral("en"));
        QTemporaryDir dir;
        // Hermetic: no settings or remembered model from an earlier run or from the user.
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.filePath("config"));
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.filePath("config"));
        const QString toy = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");
        FakeHub hub;
        for (const char *f : {"config.json", "model.safetensors", "vocab.txt",
                              "preprocessor_config.json", "tokenizer_config.json",
                              "special_tokens_map.json"})
            hub.addFile(QStringLiteral("facebook/flava-full"), QLatin1String(f),
                        toy + QLatin1Char('/') + QLatin1String(f),
                        QLatin1String(f) == QLatin1String("model.safetensors"));
        qputenv("HF_ENDPOINT", hub.endpoint().toUtf8());
        qputenv("IMAGO_MODEL_DIR", dir.filePath(QStringLiteral("model")).toUtf8());
        qunsetenv("IMAGO_MODEL");

        MainWindowOptions o;
        o.libraryDir = dir.filePath(QStringLiteral("library"));
        MainWindow w(o);
        w.show();
        QVERIFY(w.isShowingFirstRun());
        Q_EMIT w.firstRunPage()->downloadRequested();
        QTRY_VERIFY_WITH_TIMEOUT(w.service()->isOpen(), 60000);
        QVERIFY(!w.isShowingFirstRun());
        QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("model/model.safetensors"))));
        QCOMPARE(ModelStore::activeModelDir(), dir.filePath(QStringLiteral("model")));
    }
};

QTEST_MAIN(tst_FirstRunDownload)
#include "tst_firstrundownload.moc"
