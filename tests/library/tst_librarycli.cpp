// tst_librarycli: the library verbs of the built imago-cli (status, list, forget, rebuild,
// verify) run as a user would, on a library made through the Library API: JSON field names,
// exit codes, and verify failing on a deliberately broken library.
#include "cli_run.h"
#include "library.h"
#include "library_test_util.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <sqlite3.h>

#include <csignal>

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
        QCOMPARE(counts.value(QStringLiteral("offline")).toInt(), 0);
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
        QVERIFY(o.value(QStringLiteral("shard")).isNull()); // a whole library

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

    void rootsListAndMove()
    {
        // A copy of the library, its photos "mounted" elsewhere.
        const QString lib = m_tmp.filePath(QStringLiteral("roots-lib"));
        const QString photos = m_tmp.filePath(QStringLiteral("roots-photos"));
        QVERIFY(QDir().mkpath(lib));
        {
            LibraryOptions o;
            o.modelIdentity = QStringLiteral("cli-test-model");
            Library source(lib, o);
            source.addRoot(photos);
            LibraryBatch batch;
            const auto vectors = randomUnitVectors(3, kDim, 8);
            for (int i = 0; i < 3; ++i)
                batch.indexed.push_back(
                    {factsOf(writePhotoFile(photos + QStringLiteral("/sub/r%1.jpg").arg(i),
                                            QByteArray("roots photo ") + QByteArray::number(i))),
                     row(vectors, std::size_t(i), kDim)});
            source.apply(batch);
        }
        const QString mounted = m_tmp.filePath(QStringLiteral("mnt/archive"));
        QVERIFY(QDir().mkpath(m_tmp.filePath(QStringLiteral("mnt"))));
        QVERIFY(QDir().rename(photos, mounted));

        Run r = runCli({"roots", "--library", lib, "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QJsonArray roots = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(roots.size(), 1);
        QJsonObject root = roots[0].toObject();
        QCOMPARE(root.value("path").toString(), photos);
        QCOMPARE(root.value("online").toBool(true), false);
        QCOMPARE(root.value("photos").toInt(), 3);
        QVERIFY(root.value("id").toInteger() > 0);

        r = runCli({"roots", "move", "--library", lib, "--json", photos, mounted});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const QJsonObject moved = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(moved.value("old").toString(), photos);
        QCOMPARE(moved.value("new").toString(), mounted);
        QCOMPARE(moved.value("photos").toInt(), 3);
        roots = QJsonDocument::fromJson(runCli({"roots", "--library", lib, "--json"}).out).array();
        root = roots[0].toObject();
        QCOMPARE(root.value("path").toString(), mounted);
        QCOMPARE(root.value("online").toBool(), true);
        r = runCli({"list", "--library", lib, "--json"});
        const QJsonArray photosNow = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(photosNow.size(), 3);
        for (const QJsonValue &v : photosNow) {
            QVERIFY(v.toObject().value("path").toString().startsWith(mounted + "/sub/"));
            QCOMPARE(v.toObject().value("status").toString(), QStringLiteral("indexed"));
        }
        // Wrong uses: exit 2 for the command line, 1 (naming the folder) for the library.
        QCOMPARE(runCli({"roots", "move", "--library", lib, mounted}).exitCode, 2);
        QCOMPARE(runCli({"roots", "shuffle", "--library", lib}).exitCode, 2);
        r = runCli({"roots", "move", "--library", lib, photos, mounted});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(photos.toUtf8()) && r.err.contains("not a folder of this library"),
                 r.err.constData());
    }

    // Two libraries with `perLibrary` synthetic photos each, as shards 0/2 and 1/2.
    QStringList makeShards(const QString &name, int perLibrary)
    {
        QStringList dirs;
        for (int k = 0; k < 2; ++k) {
            const QString dir = m_tmp.filePath(QStringLiteral("%1-shard%2").arg(name).arg(k));
            LibraryOptions o;
            o.modelIdentity = QStringLiteral("cli-test-model");
            Library lib(dir, o);
            lib.claimShard(ShardSpec{k, 2});
            lib.addRoot(QStringLiteral("/archive"));
            const auto vectors = randomUnitVectors(std::size_t(perLibrary), kDim, 40 + k);
            LibraryBatch batch;
            for (int i = 0; i < perLibrary; ++i)
                batch.indexed.push_back(
                    {fakeFacts(QStringLiteral("/archive/s%1/p%2.jpg").arg(k).arg(i)),
                     row(vectors, std::size_t(i), kDim)});
            lib.apply(batch);
            dirs << dir;
        }
        return dirs;
    }

    void mergeJsonAndTwice()
    {
        const QStringList shards = makeShards(QStringLiteral("m"), 5);
        const QString dest = m_tmp.filePath(QStringLiteral("merged"));
        Run r = runCli(QStringList{"merge", "--library", dest, "--json"} + shards);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value("library").toString(), dest);
        QCOMPARE(o.value("added").toInt(), 10);
        QCOMPARE(o.value("updated").toInt(), 0);
        QCOMPARE(o.value("unchanged").toInt(), 0);
        QCOMPARE(o.value("roots_added").toInt(), 1);
        QCOMPARE(o.value("vectors").toInt(), 10);
        QCOMPARE(o.value("index_kind").toString(), QStringLiteral("flat"));
        const QJsonArray sources = o.value("sources").toArray();
        QCOMPARE(sources.size(), 2);
        QCOMPARE(sources[1].toObject().value("shard").toObject().value("index").toInt(), 1);
        QCOMPARE(sources[1].toObject().value("shard").toObject().value("count").toInt(), 2);
        QCOMPARE(sources[1].toObject().value("photos").toInt(), 5);
        // No temporary folder is left beside it.
        QCOMPARE(
            QDir(m_tmp.path()).entryList({".merged.merging-*"}, QDir::AllEntries | QDir::Hidden),
            QStringList());
        r = runCli(QStringList{"merge", "--library", dest, "--json"} + shards);
        o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value("added").toInt(), 0);
        QCOMPARE(o.value("unchanged").toInt(), 10);
        // Each shard says what it holds; the merged library how many shards it took.
        r = runCli({"status", "--library", shards[0], "--json"});
        o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value("shard").toObject().value("index").toInt(), 0);
        QCOMPARE(o.value("shard").toObject().value("count").toInt(), 2);
        o = QJsonDocument::fromJson(runCli({"status", "--library", dest, "--json"}).out).object();
        QCOMPARE(o.value("merged_shard_count").toInt(), 2);
        QCOMPARE(o.value("counts").toObject().value("indexed").toInt(), 10);
        QCOMPARE(runCli({"verify", "--library", dest}).exitCode, 0);
        // Refusals name the library: not a library; a non-empty folder that is no library.
        r = runCli({"merge", "--library", dest, m_photos});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(m_photos.toUtf8()) && r.err.contains("not a library"),
                 r.err.constData());
        r = runCli(QStringList{"merge", "--library", m_photos} + shards);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("not empty"), r.err.constData());
        QCOMPARE(runCli({"merge", "--library", dest}).exitCode, 2);
    }

    // SIGKILL at any moment of a merge leaves the library as it was, or complete.
    void killedMergeLeavesTheLibraryWholeOrAsItWas()
    {
        const QStringList shards = makeShards(QStringLiteral("k"), 15000);
        const QString dest = m_tmp.filePath(QStringLiteral("killed-merge"));
        {
            LibraryOptions o;
            o.modelIdentity = QStringLiteral("cli-test-model");
            Library lib(dest, o);
            LibraryBatch batch;
            const auto vectors = randomUnitVectors(7, kDim, 77);
            for (int i = 0; i < 7; ++i)
                batch.indexed.push_back({fakeFacts(QStringLiteral("/before/%1.jpg").arg(i)),
                                         row(vectors, std::size_t(i), kDim)});
            lib.apply(batch);
        }
        // Killed while its transaction is being written: once the write-ahead log has grown.
        int asItWas = 0, complete = 0;
        const QString wal = dest + QStringLiteral("/catalog.sqlite3-wal");
        for (const qint64 walBytes : {64 * 1024, 1024 * 1024, 3 * 1024 * 1024}) {
            const qint64 walBefore = QFileInfo(wal).size();
            QProcess p;
            p.start(cliBinary(), QStringList{"merge", "--library", dest} + shards);
            QVERIFY(p.waitForStarted());
            QElapsedTimer t;
            t.start();
            while (p.state() == QProcess::Running && t.elapsed() < 60000 &&
                   QFileInfo(wal).size() < walBefore + walBytes)
                QThread::msleep(2);
            ::kill(pid_t(p.processId()), SIGKILL);
            p.waitForFinished();
            LibraryOptions ro;
            ro.readOnly = true;
            Library after(dest, ro);
            const qint64 total = after.status().counts.total();
            QVERIFY2(total == 7 || total == 30007, qPrintable(QString::number(total)));
            ++(total == 7 ? asItWas : complete);
            QVERIFY2(after.verify().isEmpty(), qPrintable(after.verify().join('\n')));
            if (total == 30007)
                break;
        }
        qInfo("killed merges: %d left it as it was, %d complete", asItWas, complete);
        QVERIFY(asItWas > 0); // at least one kill landed mid-merge
        const Run r = runCli(QStringList{"merge", "--library", dest, "--json"} + shards);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        LibraryOptions ro;
        ro.readOnly = true;
        Library done(dest, ro);
        QCOMPARE(done.status().counts.total(), 30007);
        QCOMPARE(done.status().index.size, std::size_t(30007));
    }

    void shardOptionUsage()
    {
        // Checked before any model is opened: exit 2 with the reason.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("SLURM_ARRAY_TASK_ID");
        env.remove("JOB_COMPLETION_INDEX");
        env.remove("IMAGO_SHARD_INDEX");
        const QString lib = m_tmp.filePath(QStringLiteral("shard-usage"));
        for (const char *bad : {"3/3", "1", "x/2"}) {
            const Run r = runCli({"index", "--library", lib, "--shard", bad, m_photos}, env);
            QCOMPARE(r.exitCode, 2);
            QVERIFY2(r.err.contains("--shard"), r.err.constData());
        }
        Run r = runCli({"index", "--library", lib, "--shard", "auto/3", m_photos}, env);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("SLURM_ARRAY_TASK_ID"), r.err.constData());
        env.insert("SLURM_ARRAY_TASK_ID", "5");
        r = runCli({"index", "--library", lib, "--shard", "auto/3", m_photos}, env);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("only 3 shards"), r.err.constData());
        r = runCli({"index", "--library", lib, "--shard", "0/3", "--watch", m_photos}, env);
        QCOMPARE(r.exitCode, 2);
        QVERIFY(!QFileInfo::exists(lib));
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
