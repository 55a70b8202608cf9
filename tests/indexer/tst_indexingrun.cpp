// The indexing pipeline on real files with the trained toy model and a real library:
// the corpus manifest, incremental runs, moves, deletions, and a run killed with SIGKILL.
#include "catalog.h"
#include "indexing_run.h"
#include "library.h"
#include "model_session.h"
#include "photo_fixtures.h"
#include "toy_model.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace imago;

namespace {
const QString kShared = QStringLiteral(IMAGO_SHARED_DIR);
const QString kToy = kShared + "/flava-toy";

struct CatalogRow
{
    QString status;
    int width = 0, height = 0;
    QString hash;
    std::vector<float> vector;
};

std::map<QString, CatalogRow> snapshot(Library &library, const QString &stripPrefix = {})
{
    std::map<QString, CatalogRow> out;
    library.catalog().forEachPhoto({}, [&](const PhotoRecord &r) {
        CatalogRow row{
            photoStatusName(r.status), r.facts.width, r.facts.height, r.facts.contentHash, {}};
        if (auto v = library.catalog().embedding(r.id))
            row.vector = *v;
        out[r.facts.path.mid(stripPrefix.size())] = row;
    });
    return out;
}
} // namespace

class tst_IndexingRun : public QObject
{
    Q_OBJECT

    std::shared_ptr<const ModelSession> session;

    std::unique_ptr<Library> openLibrary(const QString &dir)
    {
        LibraryOptions o;
        o.modelIdentity = session->identity();
        return std::make_unique<Library>(dir, o);
    }

private Q_SLOTS:
    void initTestCase() { session = test::openToyModel(); }

    void corpusOutcomesMatchTheManifest()
    {
        QTemporaryDir libDir;
        auto library = openLibrary(libDir.path());
        IndexingRun run(*library, session);
        const auto summary = run.run({kShared + "/corpus"});
        QVERIFY(!summary.cancelled);

        QFile manifest(kShared + "/corpus/MANIFEST.tsv");
        QVERIFY(manifest.open(QIODevice::ReadOnly));
        const QStringList header = QString::fromUtf8(manifest.readLine()).trimmed().split(u'\t');
        const int cPath = header.indexOf("path"), cExpected = header.indexOf("expected"),
                  cSize = header.indexOf("oriented_wxh");
        int rows = 0, indexed = 0;
        QStringList problems;
        while (!manifest.atEnd()) {
            const QStringList f = QString::fromUtf8(manifest.readLine()).chopped(1).split(u'\t');
            if (f.size() <= cSize)
                continue;
            ++rows;
            const QString path = QDir::cleanPath(kShared + "/corpus/" + f[cPath]);
            const auto rec = library->photo(path);
            const QString expected = f[cExpected];
            const bool isIndexed = rec && rec->status == PhotoStatus::Indexed;
            if (isIndexed) {
                ++indexed;
                const QString size =
                    QStringLiteral("%1x%2").arg(rec->facts.width).arg(rec->facts.height);
                if (size != f[cSize])
                    problems << f[cPath] + ": indexed as " + size + ", manifest says " + f[cSize];
                if (expected == QLatin1String("reject"))
                    problems << f[cPath] + ": indexed but must be rejected";
            } else if (expected == QLatin1String("index")) {
                problems << f[cPath] + ": not indexed (" +
                                (rec ? rec->reason.text : QStringLiteral("no record")) + ")";
            } else if (rec && rec->status == PhotoStatus::Rejected &&
                       (rec->reason.text.isEmpty() || rec->reason.code.isEmpty())) {
                problems << f[cPath] + ": rejected without a reason and its code";
            }
        }
        QCOMPARE(rows, 113);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u'\n')));
        QVERIFY(indexed >= 77);
        QCOMPARE(summary.indexed + summary.unchanged, qint64(indexed));
        QVERIFY(library->verify().isEmpty());
    }

    void incrementalMovesAndDeletes()
    {
        QTemporaryDir photos, libDir;
        const QString root = photos.path();
        QDir().mkpath(root + "/trip");
        for (int i = 0; i < 10; ++i)
            QVERIFY(test::writePhoto(QStringLiteral("%1/%2/p%3.%4")
                                         .arg(root, i < 5 ? "trip" : ".")
                                         .arg(i)
                                         .arg(i % 3 ? "jpg" : "png"),
                                     quint32(i)));
        auto library = openLibrary(libDir.path());
        auto index = [&] { return IndexingRun(*library, session).run({root}); };

        auto s = index();
        QCOMPARE(s.indexed, 10);
        QCOMPARE(s.rejected, 0);
        const auto first = snapshot(*library);

        s = index(); // nothing changed: nothing read again
        QCOMPARE(s.indexed, 0);
        QCOMPARE(s.unchanged, 10);

        // New content in one file: exactly that file is re-embedded.
        QVERIFY(test::writePhoto(root + "/p7.jpg", 777));
        s = index();
        QCOMPARE(s.indexed, 1);
        QCOMPARE(s.unchanged, 9);
        QVERIFY(snapshot(*library)[root + "/p7.jpg"].vector != first.at(root + "/p7.jpg").vector);

        // Same bytes, new timestamp: not re-embedded.
        QFile f(root + "/p8.jpg");
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.setFileTime(QDateTime::currentDateTimeUtc().addDays(-3),
                              QFileDevice::FileModificationTime));
        f.close();
        s = index();
        QCOMPARE(s.indexed, 0);

        // Moving a folder keeps the photos' records and vectors.
        const auto beforeMove = snapshot(*library);
        const qint64 idBefore = library->photo(root + "/trip/p1.jpg")->id;
        QVERIFY(QDir().rename(root + "/trip", root + "/holiday"));
        s = index();
        QCOMPARE(s.indexed, 0);
        QCOMPARE(s.moved, 5);
        const auto afterMove = snapshot(*library);
        QVERIFY(!afterMove.count(root + "/trip/p1.jpg"));
        QCOMPARE(library->photo(root + "/holiday/p1.jpg")->id, idBefore);
        QCOMPARE(afterMove.at(root + "/holiday/p1.jpg").vector,
                 beforeMove.at(root + "/trip/p1.jpg").vector);

        // Deleting a file marks it missing; it is kept.
        QVERIFY(QFile::remove(root + "/p9.png"));
        s = index();
        QCOMPARE(s.missing, 1);
        QCOMPARE(library->photo(root + "/p9.png")->status, PhotoStatus::Missing);
        // A copy reuses its twin's vector without the model.
        QVERIFY(QFile::copy(root + "/p5.jpg", root + "/p5-copy.jpg"));
        s = index();
        QCOMPARE(s.indexed, 1);
        QCOMPARE(snapshot(*library).at(root + "/p5-copy.jpg").vector,
                 snapshot(*library).at(root + "/p5.jpg").vector);
        QVERIFY(library->verify().isEmpty());
    }

    void killedRunResumesToTheSameCatalog()
    {
        QTemporaryDir photos, libA, libB;
        const int n = 400;
        for (int i = 0; i < 8; ++i)
            QDir().mkpath(QStringLiteral("%1/d%2").arg(photos.path()).arg(i));
        for (int i = 0; i < n; ++i)
            QVERIFY(test::writePhoto(
                QStringLiteral("%1/d%2/p%3.jpg").arg(photos.path()).arg(i / 50).arg(i),
                quint32(1000 + i), 640, 480));
        auto cli = [&](const QString &lib) {
            auto *p = new QProcess(this);
            p->setProgram(QStringLiteral(IMAGO_CLI));
            p->setArguments({"index", "--library", lib, "--model", kToy, "--threads", "1",
                             "--batch", "4", "--json", photos.path()});
            return p;
        };
        // Uninterrupted reference run.
        QProcess *ref = cli(libB.path());
        ref->start();
        QVERIFY(ref->waitForFinished(120000));
        QCOMPARE(ref->exitCode(), 0);

        // Killed run: SIGKILL once some batches are committed, then run again to completion.
        QProcess *killed = cli(libA.path());
        killed->start();
        QVERIFY(killed->waitForStarted());
        qint64 atKill = 0;
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            QTest::qWait(20);
            if (!QFile::exists(libA.path() + "/catalog.sqlite3"))
                continue;
            try {
                Catalog c(libA.path() + "/catalog.sqlite3", Catalog::Mode::ReadOnly);
                atKill = c.counts(session->identity()).indexed;
            } catch (const std::exception &) {
                continue; // the indexer is still creating the catalog
            }
            if (atKill >= 40)
                break;
        }
        ::kill(pid_t(killed->processId()), SIGKILL);
        killed->waitForFinished();
        QVERIFY2(atKill >= 40 && atKill < n, qPrintable(QString::number(atKill)));
        QProcess *resumed = cli(libA.path());
        resumed->start();
        QVERIFY(resumed->waitForFinished(120000));
        QCOMPARE(resumed->exitCode(), 0);
        const QByteArray out = resumed->readAllStandardOutput();
        QVERIFY2(out.contains("\"indexed\":"), out.constData());

        LibraryOptions o;
        o.modelIdentity = session->identity();
        Library a(libA.path(), o), b(libB.path(), o);
        const auto sa = snapshot(a), sb = snapshot(b);
        QCOMPARE(sa.size(), std::size_t(n));
        QCOMPARE(sb.size(), std::size_t(n));
        for (const auto &[path, row] : sb) {
            const auto it = sa.find(path);
            QVERIFY2(it != sa.end(), qPrintable(path));
            QCOMPARE(it->second.status, row.status);
            QCOMPARE(it->second.hash, row.hash);
            QCOMPARE(it->second.vector.size(), row.vector.size());
            for (std::size_t k = 0; k < row.vector.size(); ++k)
                QVERIFY(std::abs(it->second.vector[k] - row.vector[k]) < 1e-5f);
        }
        QVERIFY(a.verify().isEmpty());
    }
};

QTEST_MAIN(tst_IndexingRun)
#include "tst_indexingrun.moc"
