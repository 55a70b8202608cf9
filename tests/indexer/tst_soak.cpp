// tst_soak: search while indexing while the folder watcher fires, for a bounded time.
//
// One thread changes the photo folder all the time (new photos, copies, deletions, rewrites,
// moves into subfolders); the FolderWatcher on the main thread notices and an indexing thread
// (the library's single writer) runs IndexingRun after IndexingRun; two search threads query
// the same Library through SearchEngine (vector order and ITM rerank, text and similar-photo)
// and check every response for consistency. At the end the folder stands still, one last run
// catches up, and the catalog must describe the folder exactly. No crash, no deadlock (every
// thread must finish within a deadline), no inconsistent result.
//
// IMAGO_SOAK_SECONDS sets the duration (default 15; ctest's slow-labelled tst_soak_long: 180).
#include "folder_watcher.h"
#include "indexing_run.h"
#include "library.h"
#include "model_session.h"
#include "photo_fixtures.h"
#include "search_engine.h"
#include "toy_model.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace imago;

namespace {

QSet<QString> photosOnDisk(const QString &root)
{
    QSet<QString> out;
    QDirIterator it(root, {QStringLiteral("*.jpg")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        out.insert(QDir::cleanPath(it.next()));
    return out;
}

} // namespace

class tst_Soak : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void searchWhileIndexingWhileWatching()
    {
        const int seconds = qEnvironmentVariableIsSet("IMAGO_SOAK_SECONDS")
                                ? qEnvironmentVariableIntValue("IMAGO_SOAK_SECONDS")
                                : 15;
        const auto session = test::openToyModel();

        QTemporaryDir tmp;
        const QString root = QDir::cleanPath(tmp.filePath(QStringLiteral("photos")));
        const QString libraryDir = tmp.filePath(QStringLiteral("library"));
        QVERIFY(QDir().mkpath(root + "/sub"));
        for (int i = 0; i < 20; ++i)
            QVERIFY(test::writePhoto(QStringLiteral("%1/seed%2.jpg").arg(root).arg(i), quint32(i),
                                     160, 120));

        // --- the writer: the library lives on this thread, runs follow change notices --------
        std::mutex m;
        std::condition_variable wake;
        bool pending = true, stopWriter = false;
        std::atomic<int> runs{0}, runErrors{0};
        std::atomic<const Library *> shared{nullptr};
        std::atomic<bool> writerDone{false};
        std::thread writer([&] {
            LibraryOptions lo;
            lo.modelIdentity = session->identity();
            Library library(libraryDir, lo);
            shared = &library;
            while (true) {
                {
                    std::unique_lock lock(m);
                    wake.wait(lock, [&] { return pending || stopWriter; });
                    if (!pending && stopWriter)
                        break;
                    pending = false;
                }
                try {
                    IndexingOptions io;
                    io.batchSize = 4;
                    IndexingRun(library, session, io).run({root});
                    ++runs;
                } catch (const std::exception &e) {
                    qWarning("indexing run failed: %s", e.what());
                    ++runErrors;
                }
            }
            // Searchers are stopped before the writer: the library may go.
            writerDone = true;
            shared = nullptr;
        });
        QTRY_VERIFY_WITH_TIMEOUT(shared.load() != nullptr, 30000);
        const Library &library = *shared.load();

        FolderWatcher watcher;
        watcher.setDebounce(150);
        watcher.watch({root});
        connect(&watcher, &FolderWatcher::changed, this, [&] {
            std::lock_guard lock(m);
            pending = true;
            wake.notify_one();
        });

        // --- the folder keeps changing ------------------------------------------------------
        std::atomic<bool> stop{false};
        std::atomic<int> changes{0};
        std::thread mutator([&] {
            QRandomGenerator rng(7);
            quint32 seed = 1000;
            while (!stop) {
                const QStringList files = photosOnDisk(root).values();
                const int action = int(rng.bounded(6));
                if (action <= 1 || files.size() < 8) {
                    test::writePhoto(QStringLiteral("%1/new%2.jpg").arg(root).arg(seed), seed, 160,
                                     120);
                    ++seed;
                } else if (action == 2) {
                    const QString from = files[int(rng.bounded(int(files.size())))];
                    QFile::copy(from, QStringLiteral("%1/copy%2.jpg").arg(root).arg(seed++));
                } else if (action == 3) {
                    QFile::remove(files[int(rng.bounded(int(files.size())))]);
                } else if (action == 4) {
                    const QString f = files[int(rng.bounded(int(files.size())))];
                    test::writePhoto(f, seed++, 160, 120); // same path, new content
                } else {
                    const QString f = files[int(rng.bounded(int(files.size())))];
                    QFile::rename(f, QStringLiteral("%1/sub/moved%2.jpg").arg(root).arg(seed++));
                }
                ++changes;
                std::this_thread::sleep_for(std::chrono::milliseconds(40 + rng.bounded(80)));
            }
        });

        // --- searchers -----------------------------------------------------------------------
        std::atomic<int> searches{0}, inconsistent{0}, vanished{0};
        std::mutex problemMutex;
        QStringList problems;
        auto report = [&](const QString &what) {
            ++inconsistent;
            std::lock_guard lock(problemMutex);
            if (problems.size() < 10)
                problems << what;
        };
        auto check = [&](const SearchResponse &r, const SearchOptions &o) {
            QSet<qint64> ids;
            QSet<QString> paths;
            for (std::size_t i = 0; i < r.results.size(); ++i) {
                const SearchResult &x = r.results[i];
                if (ids.contains(x.photoId) || paths.contains(x.path))
                    report(QStringLiteral("duplicate result %1 for '%2'").arg(x.path, r.query));
                ids.insert(x.photoId);
                paths.insert(x.path);
                if (!x.path.startsWith(root + "/"))
                    report(QStringLiteral("result outside the root: %1").arg(x.path));
                if (x.rankBeforeRerank < 1 || x.rankBeforeRerank > o.top)
                    report(QStringLiteral("rank %1 out of range").arg(x.rankBeforeRerank));
                if (!r.reranked && i > 0 && x.score > r.results[i - 1].score + 1e-6f)
                    report(QStringLiteral("vector order not by score for '%1'").arg(r.query));
                if (x.matchProbability && (*x.matchProbability < 0 || *x.matchProbability > 1))
                    report(QStringLiteral("probability %1").arg(*x.matchProbability));
            }
            if (int(r.results.size()) > o.top)
                report(QStringLiteral("%1 results for top %2").arg(r.results.size()).arg(o.top));
        };
        std::atomic<int> searchersDone{0};
        std::vector<std::thread> searchers;
        for (int t = 0; t < 2; ++t)
            searchers.emplace_back([&, t] {
                const SearchEngine engine(session, library);
                const QStringList queries{QStringLiteral("a red circle"),
                                          QStringLiteral("a blue square"),
                                          QStringLiteral("a green triangle -red")};
                int i = 0;
                while (!stop) {
                    SearchOptions o;
                    o.top = 10;
                    o.rerank = (i + t) % 3 == 0 ? 5 : 0;
                    try {
                        if (i % 4 == 3) {
                            const auto hits = engine.search(queries[0], o);
                            if (!hits.results.empty()) {
                                try {
                                    check(engine.similar(hits.results.front().path, QString(), o),
                                          o);
                                } catch (const std::exception &e) {
                                    // Moved or deleted (and indexed so) between the two calls:
                                    // similar() says so; anything else is a problem.
                                    if (!QString::fromUtf8(e.what()).endsWith(
                                            QLatin1String("not in the library")))
                                        throw;
                                    ++vanished;
                                }
                            }
                        } else {
                            check(engine.search(queries[i % queries.size()], o), o);
                        }
                        ++searches;
                    } catch (const std::exception &e) {
                        report(QStringLiteral("search threw: %1").arg(QString::fromUtf8(e.what())));
                    }
                    ++i;
                }
                ++searchersDone;
            });

        // --- run, then stop everything and catch up ------------------------------------------
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < seconds * 1000)
            QTest::qWait(100);
        stop = true;
        mutator.join();
        QTRY_COMPARE_WITH_TIMEOUT(searchersDone.load(), 2, 60000); // no searcher is stuck
        for (auto &s : searchers)
            s.join();
        QTest::qWait(500); // the watcher's last notices
        {
            std::lock_guard lock(m);
            pending = true; // one last run over the settled folder
            stopWriter = true;
            wake.notify_one();
        }
        QTRY_VERIFY_WITH_TIMEOUT(writerDone.load(), 120000); // no writer deadlock
        writer.join();

        qInfo("%d s: %d folder changes, %d indexing runs, %d searches (%d similar() on a photo "
              "gone meanwhile)",
              seconds, changes.load(), runs.load(), searches.load(), vanished.load());
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        QCOMPARE(inconsistent.load(), 0);
        QCOMPARE(runErrors.load(), 0);
        QVERIFY(runs.load() >= 2);
        QVERIFY(searches.load() > 10);

        // The catalog describes the folder exactly: every file indexed once, every vanished
        // photo missing, the index in agreement.
        LibraryOptions lo;
        lo.modelIdentity = session->identity();
        Library library2(libraryDir, lo);
        QVERIFY(library2.verify().isEmpty());
        const QSet<QString> onDisk = photosOnDisk(root);
        QSet<QString> indexed;
        library2.catalog().forEachPhoto({}, [&](const PhotoRecord &r) {
            if (r.status == PhotoStatus::Indexed)
                indexed.insert(r.facts.path);
            else if (onDisk.contains(r.facts.path))
                qWarning("%s is on disk but %s", qPrintable(r.facts.path),
                         qPrintable(photoStatusName(r.status)));
        });
        QCOMPARE(indexed, onDisk);
    }
};

QTEST_GUILESS_MAIN(tst_Soak)
#include "tst_soak.moc"
