// tst_librarycli: the library verbs of the built imago-cli (status, list, forget, rebuild,
// verify) run as a user would, on a library made through the Library API: JSON field names,
// exit codes, and verify failing on a deliberately broken library.
#include "cli_run.h"
#include "library.h"
#include "library_test_util.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

using namespace imago;
using namespace imago::test;

namespace {

constexpr std::size_t kDim = 16;

using Run = CliRun;

QString cliBinary()
{
    const QString env = qEnvironmentVariable("IMAGO_CLI_BINARY");
    return env.isEmpty() ? QStringLiteral(IMAGO_CLI) : env;
}

Run runCli(const QStringList &args,
           const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    return runProgram(cliBinary(), args, env, {}, 60000);
}

} // namespace

class tst_LibraryCli : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    QString m_lib, m_photos;
    QStringList m_paths;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QVERIFY2(QFileInfo(cliBinary()).isExecutable(), qPrintable(cliBinary()));
        // The CLI must at least start (it once crashed at startup on a library clash).
        const Run version = runCli({QStringLiteral("--version")});
        QVERIFY2(version.exitCode == 0, qPrintable(describe(version)));

        m_lib = m_tmp.filePath(QStringLiteral("library"));
        m_photos = m_tmp.filePath(QStringLiteral("photos"));
        const auto vectors = randomUnitVectors(4, kDim, 5);
        LibraryOptions o;
        o.modelIdentity = QStringLiteral("cli-test-model");
        Library lib(m_lib, o);
        lib.addRoot(m_photos);
        LibraryBatch batch;
        for (int i = 0; i < 4; ++i) {
            const QString path = writePhotoFile(m_photos + QStringLiteral("/p%1.jpg").arg(i),
                                                QByteArray("cli photo ") + QByteArray::number(i));
            m_paths << path;
            batch.indexed.push_back(
                {factsOf(path, 800 + i, 600), row(vectors, std::size_t(i), kDim)});
        }
        batch.rejected.push_back(
            {factsOf(writePhotoFile(m_photos + QStringLiteral("/bad.jpg"), "not a jpeg"), 0, 0),
             makeReason(reason::kNotAnImage, QStringLiteral("not an image: text file"),
                        {QStringLiteral("text file")})});
        lib.apply(batch);
        LibraryBatch gone;
        gone.missing << m_paths[3];
        lib.apply(gone);
    }

    void statusJson()
    {
        const Run r = runCli({QStringLiteral("status"), QStringLiteral("--library"), m_lib,
                              QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("library")).toString(), m_lib);
        const QJsonObject counts = o.value(QStringLiteral("counts")).toObject();
        QCOMPARE(counts.value(QStringLiteral("indexed")).toInt(), 3);
        QCOMPARE(counts.value(QStringLiteral("rejected")).toInt(), 1);
        QCOMPARE(counts.value(QStringLiteral("missing")).toInt(), 1);
        QCOMPARE(counts.value(QStringLiteral("stale")).toInt(), 0);
        QCOMPARE(counts.value(QStringLiteral("total")).toInt(), 5);
        const QJsonArray roots = o.value(QStringLiteral("roots")).toArray();
        QCOMPARE(roots.size(), 1);
        QCOMPARE(roots[0].toObject().value(QStringLiteral("path")).toString(), m_photos);
        QCOMPARE(roots[0].toObject().value(QStringLiteral("online")).toBool(), true);
        QCOMPARE(o.value(QStringLiteral("model_identity")).toString(),
                 QStringLiteral("cli-test-model"));
        QVERIFY(o.value(QStringLiteral("generation")).toInteger() > 0);
        const QJsonObject index = o.value(QStringLiteral("index")).toObject();
        QCOMPARE(index.value(QStringLiteral("kind")).toString(), QStringLiteral("flat"));
        QCOMPARE(index.value(QStringLiteral("size")).toInt(), 3);
        QCOMPARE(index.value(QStringLiteral("state")).toString(), QStringLiteral("loaded"));

        // IMAGO_LIBRARY works in place of --library; text output is for people.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("IMAGO_LIBRARY"), m_lib);
        const Run text = runCli({QStringLiteral("status")}, env);
        QVERIFY2(text.exitCode == 0, qPrintable(describe(text)));
        QVERIFY(text.out.contains("3 indexed, 1 rejected, 1 missing"));
    }

    void listJson()
    {
        const Run r = runCli(
            {QStringLiteral("list"), QStringLiteral("--library"), m_lib, QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QJsonParseError error;
        const QJsonArray photos = QJsonDocument::fromJson(r.out, &error).array();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QCOMPARE(photos.size(), 5);
        for (const auto &v : photos) {
            const QJsonObject o = v.toObject();
            QCOMPARE(o.keys(), (QStringList{QStringLiteral("height"), QStringLiteral("path"),
                                            QStringLiteral("reason"), QStringLiteral("reason_code"),
                                            QStringLiteral("status"), QStringLiteral("width")}));
        }
        const QJsonObject bad = photos[0].toObject(); // path order: bad.jpg first
        QCOMPARE(bad.value(QStringLiteral("path")).toString(),
                 m_photos + QStringLiteral("/bad.jpg"));
        QCOMPARE(bad.value(QStringLiteral("status")).toString(), QStringLiteral("rejected"));
        QCOMPARE(bad.value(QStringLiteral("reason")).toString(),
                 QStringLiteral("not an image: text file"));
        QCOMPARE(bad.value(QStringLiteral("reason_code")).toString(),
                 QStringLiteral("not_an_image"));
        const QJsonObject p1 = photos[2].toObject();
        QCOMPARE(p1.value(QStringLiteral("path")).toString(), m_paths[1]);
        QCOMPARE(p1.value(QStringLiteral("status")).toString(), QStringLiteral("indexed"));
        QCOMPARE(p1.value(QStringLiteral("width")).toInt(), 801);
        QCOMPARE(p1.value(QStringLiteral("height")).toInt(), 600);
        QCOMPARE(photos[4].toObject().value(QStringLiteral("status")).toString(),
                 QStringLiteral("missing"));
        QCOMPARE(photos[4].toObject().value(QStringLiteral("reason_code")).toString(),
                 QStringLiteral("file_not_found"));
        QCOMPARE(p1.value(QStringLiteral("reason_code")).toString(), QString());

        const Run onlyMissing = runCli({QStringLiteral("list"), QStringLiteral("--library"), m_lib,
                                        QStringLiteral("--json"), QStringLiteral("--status"),
                                        QStringLiteral("missing")});
        QCOMPARE(QJsonDocument::fromJson(onlyMissing.out).array().size(), 1);
        const Run wrong = runCli({QStringLiteral("list"), QStringLiteral("--library"), m_lib,
                                  QStringLiteral("--status"), QStringLiteral("gone")});
        QCOMPARE(wrong.exitCode, 2);
    }

    void verifyRebuildForget()
    {
        Run r = runCli({QStringLiteral("verify"), QStringLiteral("--library"), m_lib});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        r = runCli({QStringLiteral("rebuild"), QStringLiteral("--library"), m_lib,
                    QStringLiteral("--json")});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const QJsonObject rebuilt = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(rebuilt.value(QStringLiteral("vectors")).toInt(), 3);
        QCOMPARE(rebuilt.value(QStringLiteral("kind")).toString(), QStringLiteral("flat"));

        r = runCli({QStringLiteral("forget"), QStringLiteral("--library"), m_lib, m_paths[0]});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QVERIFY(r.out.contains("forgot 1 photos"));
        r = runCli({QStringLiteral("forget"), QStringLiteral("--library"), m_lib,
                    m_tmp.filePath(QStringLiteral("elsewhere.jpg"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("not in the library"));
        r = runCli({QStringLiteral("forget"), QStringLiteral("--library"), m_lib});
        QCOMPARE(r.exitCode, 2);
        r = runCli({QStringLiteral("status"), QStringLiteral("--library"), m_lib,
                    QStringLiteral("--json")});
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(
            o.value(QStringLiteral("counts")).toObject().value(QStringLiteral("total")).toInt(), 4);
        QCOMPARE(o.value(QStringLiteral("index")).toObject().value(QStringLiteral("size")).toInt(),
                 2);
        r = runCli({QStringLiteral("verify"), QStringLiteral("--library"), m_lib});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
    }

    void verifyFailsOnBrokenLibrary()
    {
        // Delete an indexed photo's embedding behind the library's back.
        sqlite3 *db = nullptr;
        QCOMPARE(
            sqlite3_open(QFile::encodeName(m_lib + QStringLiteral("/catalog.sqlite3")).constData(),
                         &db),
            SQLITE_OK);
        QCOMPARE(sqlite3_exec(db,
                              "DELETE FROM embeddings WHERE photo_id = (SELECT id FROM photos "
                              "WHERE status = 'indexed' ORDER BY id LIMIT 1)",
                              nullptr, nullptr, nullptr),
                 SQLITE_OK);
        QCOMPARE(sqlite3_changes(db), 1);
        sqlite3_close(db);
        Run r = runCli({QStringLiteral("verify"), QStringLiteral("--library"), m_lib});
        QVERIFY2(r.exitCode == 1, qPrintable(describe(r)));
        QVERIFY(r.out.contains("problem: "));
        // The index file no longer matched the catalog: verify rebuilt it, saved it, said so.
        QVERIFY2(r.err.contains("rebuilt from the catalog and saved"), qPrintable(describe(r)));
        r = runCli({QStringLiteral("verify"), QStringLiteral("--library"), m_lib,
                    QStringLiteral("--json")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(!r.err.contains("rebuilding it"), qPrintable(describe(r)));
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(QStringLiteral("ok")).toBool(), false);
        const QJsonArray problems = o.value(QStringLiteral("problems")).toArray();
        QCOMPARE(problems.size(), 1); // the catalog's; the index file is good again
        QVERIFY2(problems[0].toString().contains(QLatin1String("no embedding")),
                 qPrintable(problems[0].toString()));
    }

    void missingLibraryIsAnError()
    {
        const Run r = runCli({QStringLiteral("status"), QStringLiteral("--library"),
                              m_tmp.filePath(QStringLiteral("nothing-here"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("no library"));
        QVERIFY(!QFileInfo::exists(m_tmp.filePath(QStringLiteral("nothing-here"))));
    }
};

QTEST_GUILESS_MAIN(tst_LibraryCli)
#include "tst_librarycli.moc"
