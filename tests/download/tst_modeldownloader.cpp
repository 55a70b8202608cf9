// Getting the model: ModelDownloader against an in-process fake Hub on 127.0.0.1 (no real
// network), the pytorch_model.bin -> model.safetensors conversion, and ModelStore's import.
#include "checkpoint.h"
#include "fake_hub.h"
#include "model_downloader.h"
#include "model_session.h"
#include "model_store.h"
#include "safetensors_writer.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace imago;

namespace {
const QString kToy = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");
const QString kReference = QStringLiteral(IMAGO_SHARED_DIR "/flava-reference");
const QString kRepo = QStringLiteral("facebook/flava-full");

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void copyFolder(const QString &from, const QString &to, const QStringList &names)
{
    QDir().mkpath(to);
    for (const QString &n : names)
        QVERIFY(QFile::copy(from + QLatin1Char('/') + n, to + QLatin1Char('/') + n));
}

const QStringList kToyFiles = {QStringLiteral("config.json"),
                               QStringLiteral("model.safetensors"),
                               QStringLiteral("vocab.txt"),
                               QStringLiteral("preprocessor_config.json"),
                               QStringLiteral("tokenizer_config.json"),
                               QStringLiteral("special_tokens_map.json")};

std::filesystem::path fsPath(const QString &p)
{
    return QFile::encodeName(p).toStdString();
}
} // namespace

class tst_ModelDownloader : public QObject
{
    Q_OBJECT

    std::unique_ptr<FakeHub> hub;
    std::unique_ptr<QTemporaryDir> tmp;

    DownloadOptions options(const QString &repo = kRepo)
    {
        DownloadOptions o;
        o.targetDir = tmp->filePath(QStringLiteral("model"));
        o.repo = repo;
        o.endpoint = hub->endpoint();
        o.retryDelayMs = 10;
        o.maxRetries = 2;
        o.transferTimeoutMs = 5000;
        return o;
    }

    struct Outcome
    {
        QString installed;
        std::optional<DownloadFailure> failure;
        bool canceled = false;
    };
    static Outcome run(ModelDownloader &d)
    {
        Outcome out;
        QSignalSpy done(&d, &ModelDownloader::finished);
        QSignalSpy failed(&d, &ModelDownloader::failed);
        QSignalSpy canceled(&d, &ModelDownloader::canceled);
        d.start();
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(done.size() + failed.size() + canceled.size() > 0, 15000);
        }();
        if (!done.isEmpty())
            out.installed = done[0][0].toString();
        if (!failed.isEmpty())
            out.failure = failed[0][0].value<DownloadFailure>();
        out.canceled = !canceled.isEmpty();
        return out;
    }

    qint64 toySize() const
    {
        qint64 n = 0;
        for (const QString &f : kToyFiles)
            n += QFileInfo(kToy + QLatin1Char('/') + f).size();
        return n;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        for (const char *v : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                              "ALL_PROXY", "HF_ENDPOINT", "IMAGO_MODEL_DIR"})
            qunsetenv(v);
    }

    void init()
    {
        tmp = std::make_unique<QTemporaryDir>();
        hub = std::make_unique<FakeHub>();
        for (const QString &f : kToyFiles)
            hub->addFile(kRepo, f, kToy + QLatin1Char('/') + f,
                         f == QLatin1String("model.safetensors"));
    }

    void fullDownloadLoadsAndEmbeds()
    {
        ModelDownloader d(options());
        qint64 lastDone = -1, total = -1;
        connect(&d, &ModelDownloader::progressChanged, this, [&](const DownloadProgress &p) {
            QVERIFY(p.bytesDone >= 0);
            lastDone = p.bytesDone;
            total = p.bytesTotal;
        });
        const Outcome o = run(d);
        QVERIFY2(!o.failure, o.failure ? qPrintable(o.failure->message) : "");
        QCOMPARE(o.installed, tmp->filePath(QStringLiteral("model")));
        QCOMPARE(total, toySize());
        QCOMPARE(lastDone, total);
        QVERIFY(!QFileInfo::exists(d.stagingDir()));
        for (const QString &f : kToyFiles)
            QCOMPARE(readAll(o.installed + QLatin1Char('/') + f),
                     readAll(kToy + QLatin1Char('/') + f));
        QVERIFY(QFileInfo::exists(o.installed + QStringLiteral("/imago-model.json")));
        QVERIFY(
            !QFileInfo::exists(o.installed + QStringLiteral("/tokenizer.json"))); // optional 404

        const auto session = ModelSession::open(o.installed);
        const auto v = session->model()->embedTexts({session->tokenizer().encode("a dog").ids});
        QCOMPARE(qsizetype(v.size()), qsizetype(session->model()->embeddingDim()));
        double norm = 0;
        for (float x : v)
            norm += double(x) * x;
        QVERIFY(std::abs(norm - 1.0) < 1e-4);
    }

    void droppedConnectionResumesWithRange()
    {
        const qint64 weights = QFileInfo(kToy + QStringLiteral("/model.safetensors")).size();
        hub->faults[QStringLiteral("model.safetensors")].dropAfter = weights / 2;
        ModelDownloader d(options());
        const Outcome o = run(d);
        QVERIFY2(!o.failure, o.failure ? qPrintable(o.failure->message) : "");
        QCOMPARE(readAll(o.installed + QStringLiteral("/model.safetensors")),
                 readAll(kToy + QStringLiteral("/model.safetensors")));
        bool ranged = false;
        for (const auto &r : std::as_const(hub->requests))
            if (r.method == QLatin1String("GET") &&
                r.path.endsWith(QLatin1String("model.safetensors")))
                ranged = ranged || r.range == "bytes=" + QByteArray::number(weights / 2) + '-';
        QVERIFY(ranged);
        QVERIFY(hub->bodyBytesSent < 2 * toySize());
    }

    void canceledDownloadResumesInANewRun()
    {
        const qint64 weights = QFileInfo(kToy + QStringLiteral("/model.safetensors")).size();
        hub->faults[QStringLiteral("model.safetensors")].dropAfter = weights / 3;
        DownloadOptions o1 = options();
        o1.maxRetries = 0; // the drop ends this run, as a crash or Ctrl-C would
        {
            ModelDownloader first(o1);
            const Outcome o = run(first);
            QVERIFY(o.failure);
            QCOMPARE(o.failure->kind, DownloadFailure::Kind::Network);
            QVERIFY(!QFileInfo::exists(o1.targetDir));
            QCOMPARE(
                QFileInfo(first.stagingDir() + QStringLiteral("/model.safetensors.part")).size(),
                weights / 3);
        }
        hub->requests.clear();
        ModelDownloader second(options());
        const Outcome o = run(second);
        QVERIFY2(!o.failure, o.failure ? qPrintable(o.failure->message) : "");
        QCOMPARE(readAll(o.installed + QStringLiteral("/model.safetensors")),
                 readAll(kToy + QStringLiteral("/model.safetensors")));
        int gets = 0;
        for (const auto &r : std::as_const(hub->requests)) {
            if (r.method != QLatin1String("GET"))
                continue;
            // The Range must survive the redirect hop to /cdn/.
            if (r.path.endsWith(QLatin1String("model.safetensors")))
                QCOMPARE(r.range, "bytes=" + QByteArray::number(weights / 3) + '-');
            if (r.path.contains(QLatin1String("/resolve/")))
                ++gets; // config.json was complete: only the weights and the files after them
        }
        QCOMPARE(gets, kToyFiles.size() - 1);
        QVERIFY(hub->bodyBytesSent < 2 * toySize());
    }

    void corruptedByteIsDetected()
    {
        hub->faults[QStringLiteral("model.safetensors")].corruptAt = 4096;
        ModelDownloader d(options());
        const Outcome o = run(d);
        QVERIFY(o.failure);
        QCOMPARE(o.failure->kind, DownloadFailure::Kind::Verification);
        QVERIFY2(o.failure->message.contains(QLatin1String("sha256")),
                 qPrintable(o.failure->message));
        QVERIFY(!QFileInfo::exists(options().targetDir));
        QVERIFY(!QFileInfo::exists(d.stagingDir() + QStringLiteral("/model.safetensors")));
        QVERIFY(!QFileInfo::exists(d.stagingDir() + QStringLiteral("/model.safetensors.part")));
    }

    void serverErrorIsReported()
    {
        hub->faults[QStringLiteral("config.json")].status = 500;
        ModelDownloader d(options());
        const Outcome o = run(d);
        QVERIFY(o.failure);
        QCOMPARE(o.failure->httpStatus, 500);
        QVERIFY(o.failure->url.endsWith(
            QLatin1String("/facebook/flava-full/resolve/main/config.json")));
        QVERIFY2(o.failure->message.contains(QLatin1String("HTTP 500")) &&
                     o.failure->message.contains(o.failure->url),
                 qPrintable(o.failure->message));
        QVERIFY(!QFileInfo::exists(options().targetDir));
    }

    void existingFolderIsNotOverwritten()
    {
        QDir().mkpath(options().targetDir);
        ModelDownloader d(options());
        const Outcome o = run(d);
        QVERIFY(o.failure);
        QCOMPARE(o.failure->kind, DownloadFailure::Kind::Exists);
    }

    void fallsBackToTorchBinAndConvertsBitExact()
    {
        const QString repo = QStringLiteral("test/flava-bin");
        for (const QString &f : {QStringLiteral("config.json"), QStringLiteral("vocab.txt")})
            hub->addFile(repo, f, kReference + QLatin1Char('/') + f, false);
        hub->addFile(repo, QStringLiteral("pytorch_model.bin"),
                     kReference + QStringLiteral("/pytorch_model.bin"), true);
        DownloadOptions o = options(repo);
        o.keepOriginal = true;
        ModelDownloader d(o);
        const Outcome out = run(d);
        QVERIFY2(!out.failure, out.failure ? qPrintable(out.failure->message) : "");
        bool askedSafetensors = false;
        for (const auto &r : std::as_const(hub->requests))
            askedSafetensors =
                askedSafetensors || r.path.endsWith(QLatin1String("model.safetensors"));
        QVERIFY(askedSafetensors);

        const flava::Checkpoint bin(fsPath(out.installed + QStringLiteral("/pytorch_model.bin")));
        const flava::Checkpoint converted(
            fsPath(out.installed + QStringLiteral("/model.safetensors")));
        QVERIFY(!converted.tensors().empty());
        QCOMPARE(QString::fromStdString(flava::compareCheckpoints(bin, converted)), QString());
        const flava::Checkpoint reference(
            fsPath(kReference + QStringLiteral("/model.safetensors")));
        QCOMPARE(QString::fromStdString(flava::compareCheckpoints(reference, converted)),
                 QString());
        // The header is padded to 8 bytes and carries the format metadata.
        const QByteArray head =
            readAll(out.installed + QStringLiteral("/model.safetensors")).left(4096);
        quint64 n = 0;
        for (int i = 7; i >= 0; --i)
            n = (n << 8) | quint8(head[i]);
        QCOMPARE(n % 8, 0u);
        QVERIFY(head.contains("\"__metadata__\":{\"format\":\"pt\"}"));

        // The reference checkpoint has a 1000-token vocabulary (its vocab.txt is the full one):
        // loading the converted folder is the check here; fullDownloadLoadsAndEmbeds embeds.
        const auto session = ModelSession::open(out.installed);
        QVERIFY(session->model());
    }

    void conversionDropsOriginalByDefault()
    {
        const QString repo = QStringLiteral("test/flava-bin");
        for (const QString &f : {QStringLiteral("config.json"), QStringLiteral("vocab.txt")})
            hub->addFile(repo, f, kReference + QLatin1Char('/') + f, false);
        hub->addFile(repo, QStringLiteral("pytorch_model.bin"),
                     kReference + QStringLiteral("/pytorch_model.bin"), true);
        ModelDownloader d(options(repo));
        const Outcome out = run(d);
        QVERIFY2(!out.failure, out.failure ? qPrintable(out.failure->message) : "");
        QVERIFY(QFileInfo::exists(out.installed + QStringLiteral("/model.safetensors")));
        QVERIFY(!QFileInfo::exists(out.installed + QStringLiteral("/pytorch_model.bin")));
    }

    void importValidFolder()
    {
        const QString dir = tmp->filePath(QStringLiteral("mine"));
        copyFolder(kToy, dir, kToyFiles);
        ModelStore store(tmp->filePath(QStringLiteral("models.json")));
        const ModelInfo info = store.importFolder(dir);
        QVERIFY2(info.valid, qPrintable(info.problem));
        QVERIFY(info.identity.startsWith(QLatin1String("flava-")));
        QCOMPARE(info.weightsFile, QStringLiteral("model.safetensors"));
        QVERIFY(info.sizeBytes >= toySize());
        QCOMPARE(store.activeModel(), QDir::cleanPath(dir));
        QCOMPARE(store.describe(dir, true).identity, info.identity); // from the cache
    }

    void importRejectsInvalidFolder_data()
    {
        QTest::addColumn<QString>("remove");
        QTest::addColumn<qint64>("truncateWeightsTo");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("missing vocab") << "vocab.txt" << qint64(-1) << "vocab.txt";
        QTest::newRow("missing config") << "config.json" << qint64(-1) << "config.json";
        QTest::newRow("no weights") << "model.safetensors" << qint64(-1) << "no weights";
        QTest::newRow("truncated weights") << QString() << qint64(100000) << "model.safetensors";
    }

    void importRejectsInvalidFolder()
    {
        QFETCH(QString, remove);
        QFETCH(qint64, truncateWeightsTo);
        QFETCH(QString, mentions);
        const QString dir = tmp->filePath(QStringLiteral("bad"));
        copyFolder(kToy, dir, kToyFiles);
        if (!remove.isEmpty())
            QVERIFY(QFile::remove(dir + QLatin1Char('/') + remove));
        if (truncateWeightsTo >= 0) {
            QFile w(dir + QStringLiteral("/model.safetensors"));
            QVERIFY(w.setPermissions(w.permissions() | QFile::WriteOwner));
            QVERIFY(w.resize(truncateWeightsTo));
        }
        ModelStore store(tmp->filePath(QStringLiteral("models.json")));
        QString message;
        try {
            store.importFolder(dir);
        } catch (const std::exception &e) {
            message = QString::fromUtf8(e.what());
        }
        QVERIFY2(message.contains(mentions), qPrintable(message));
        QVERIFY(store.activeModel().isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_ModelDownloader)
#include "tst_modeldownloader.moc"
