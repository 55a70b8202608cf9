// tst_library: the catalog and the index kept consistent - reopen, damaged/missing/stale index
// files rebuilt with the same results and saved by the first open that may write the folder
// (a read-only one too, never racing a writer), moves and renames keep vectors, offline roots
// keep their photos as missing, a model change marks vectors stale, forget, verify, the writer
// lock, filtered search, the committed version-1 library, IVF above the threshold.
#include "library.h"
#include "library_error.h"
#include "library_test_util.h"
#include "writer_lock.h"

#include <QFile>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace imago;
using namespace imago::test;

namespace {

constexpr std::size_t kDim = 32;
const QString kModelA = QStringLiteral("model-a");
const QString kModelB = QStringLiteral("model-b");

LibraryOptions withModel(const QString &model)
{
    LibraryOptions o;
    o.modelIdentity = model;
    return o;
}

std::vector<std::int64_t> idsOf(const std::vector<SearchHit> &hits)
{
    std::vector<std::int64_t> out;
    for (const auto &h : hits)
        out.push_back(h.id);
    return out;
}

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

QByteArray readBytes(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Which file is at `path`, down to the inode and the nanosecond mtime: unchanged when nobody
// wrote or replaced it.
struct FileId
{
    dev_t dev = 0;
    ino_t ino = 0;
    std::int64_t mtimeNs = 0;
    off_t size = -1;
    friend bool operator==(const FileId &, const FileId &) = default;
};

FileId fileId(const QString &path)
{
    struct stat st = {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {};
    return {st.st_dev, st.st_ino,
            std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec, st.st_size};
}

// Temporary files a save left in a library folder.
QStringList leftoverTemps(const QString &dir)
{
    return QDir(dir).entryList({QStringLiteral("*.tmp")}, QDir::Files | QDir::Hidden);
}

// Collects the "imago.library" messages logged while it lives.
class LibraryLog
{
public:
    LibraryLog()
    {
        std::lock_guard lock(s_mutex);
        s_current = this;
        m_previous = qInstallMessageHandler(&LibraryLog::handle);
    }
    ~LibraryLog()
    {
        qInstallMessageHandler(m_previous);
        std::lock_guard lock(s_mutex);
        s_current = nullptr;
    }
    int count(const QString &needle) const
    {
        std::lock_guard lock(s_mutex);
        return int(m_lines.filter(needle).size());
    }
    QString all() const
    {
        std::lock_guard lock(s_mutex);
        return m_lines.join(QLatin1Char('\n'));
    }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &msg)
    {
        QtMessageHandler previous = nullptr;
        {
            std::lock_guard lock(s_mutex);
            if (!s_current)
                return;
            previous = s_current->m_previous;
            if (context.category && qstrcmp(context.category, "imago.library") == 0)
                s_current->m_lines << msg;
        }
        if (previous)
            previous(type, context, msg);
    }
    static inline std::mutex s_mutex;
    static inline LibraryLog *s_current = nullptr;
    QtMessageHandler m_previous = nullptr;
    QStringList m_lines;
};

const char *const kRebuilding = "rebuilding it from the catalog";

} // namespace

class tst_Library : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    int m_n = 0;
    QString freshDir() { return m_tmp.filePath(QStringLiteral("lib%1").arg(++m_n)); }

    // A library with `n` photos under <dir>/photos (real files), embedded by model A.
    struct Fixture
    {
        QString dir, photos;
        std::vector<float> vectors;
        std::vector<std::int64_t> ids;
        QStringList paths;
    };
    Fixture makeLibrary(std::size_t n, std::uint64_t seed = 1)
    {
        Fixture f;
        f.dir = freshDir();
        f.photos = f.dir + QStringLiteral("-photos");
        f.vectors = randomUnitVectors(n, kDim, seed);
        Library lib(f.dir, withModel(kModelA));
        lib.addRoot(f.photos);
        LibraryBatch batch;
        for (std::size_t i = 0; i < n; ++i) {
            const QString path = writePhotoFile(
                f.photos + QStringLiteral("/%1/img%2.jpg").arg(i % 3).arg(i),
                QByteArray("photo ") + QByteArray::number(qulonglong(i)) + QByteArray(100, 'x'));
            PhotoFacts facts = factsOf(path);
            facts.capturedAt = QDateTime(QDate(2020, int(i % 12) + 1, 1), QTime(10, 0));
            batch.indexed.push_back({facts, row(f.vectors, i, kDim)});
            f.paths << path;
        }
        f.ids = lib.apply(batch);
        return f;
    }

    std::vector<std::vector<std::int64_t>> searchAll(Library &lib,
                                                     const std::vector<float> &queries)
    {
        std::vector<std::vector<std::int64_t>> out;
        for (std::size_t q = 0; q < queries.size() / kDim; ++q)
            out.push_back(idsOf(lib.search(row(queries, q, kDim), 10)));
        return out;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void defaultDirectory()
    {
        qunsetenv("IMAGO_LIBRARY");
        QVERIFY(Library::defaultDirectory().endsWith(QLatin1String("/library")));
        qputenv("IMAGO_LIBRARY", "/tmp/from-env");
        QCOMPARE(Library::defaultDirectory(), QStringLiteral("/tmp/from-env"));
        QCOMPARE(Library::defaultDirectory(QStringLiteral("/tmp/from-flag")),
                 QStringLiteral("/tmp/from-flag"));
        qunsetenv("IMAGO_LIBRARY");
    }

    void createsSearchesAndReopens()
    {
        Fixture f = makeLibrary(200);
        QVERIFY(QFile::exists(f.dir + QStringLiteral("/catalog.sqlite3")));
        QVERIFY(QFile::exists(f.dir + QStringLiteral("/index.faiss")));
        const auto queries = randomUnitVectors(10, kDim, 99);
        std::vector<std::vector<std::int64_t>> before;
        {
            Library lib(f.dir, withModel(kModelA));
            QCOMPARE(lib.status().index.state, QStringLiteral("loaded"));
            QCOMPARE(lib.status().index.size, std::size_t(200));
            QCOMPARE(lib.status().counts.indexed, 200);
            // Each photo finds itself.
            const auto self = lib.search(row(f.vectors, 17, kDim), 1);
            QCOMPARE(self[0].id, f.ids[17]);
            before = searchAll(lib, queries);
            QVERIFY(lib.verify().isEmpty());
        }
        Library again(f.dir, withModel(kModelA));
        QCOMPARE(searchAll(again, queries), before);
    }

    void rebuildsDamagedIndex_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("expected"); // in the status detail
        QTest::newRow("garbage bytes") << "garbage"
                                       << "magic";
        QTest::newRow("truncated") << "truncated"
                                   << "truncated";
        QTest::newRow("missing") << "missing"
                                 << "missing";
        QTest::newRow("stale generation") << "generation"
                                          << "generation";
        QTest::newRow("zero-length") << "empty"
                                     << "truncated";
    }

    void rebuildsDamagedIndex()
    {
        QFETCH(QString, damage);
        QFETCH(QString, expected);
        Fixture f = makeLibrary(150, 7);
        const auto queries = randomUnitVectors(10, kDim, 8);
        std::vector<std::vector<std::int64_t>> before;
        {
            Library lib(f.dir, withModel(kModelA));
            before = searchAll(lib, queries);
        }
        const QString indexFile = f.dir + QStringLiteral("/index.faiss");
        if (damage == QLatin1String("garbage")) {
            writeBytes(indexFile, QByteArray(4096, '\x33'));
        } else if (damage == QLatin1String("truncated")) {
            QFile file(indexFile);
            QVERIFY(file.resize(file.size() / 3));
        } else if (damage == QLatin1String("missing")) {
            QVERIFY(QFile::remove(indexFile));
        } else if (damage == QLatin1String("empty")) {
            writeBytes(indexFile, QByteArray());
        } else if (damage == QLatin1String("generation")) {
            // The catalog moved on without the index file (a crash before the save).
            rawExec(f.dir + QStringLiteral("/catalog.sqlite3"),
                    "UPDATE meta SET value = value + 1 WHERE key = 'index_generation'");
        }
        // The first open - a read-only one, as a search or `imago-cli verify` opens the
        // library - rebuilds the index and, as it may write the folder and no writer holds the
        // lock, saves it.
        const LibraryLog log;
        LibraryOptions ro;
        ro.readOnly = true;
        std::int64_t generation = 0;
        {
            Library reader(f.dir, ro);
            const LibraryStatus s = reader.status();
            QCOMPARE(s.index.state, QStringLiteral("rebuilt"));
            QVERIFY2(s.index.detail.contains(expected), qPrintable(s.index.detail));
            QVERIFY2(s.index.unsavedReason.isEmpty(), qPrintable(s.index.unsavedReason));
            QCOMPARE(s.index.size, std::size_t(150));
            QCOMPARE(searchAll(reader, queries), before);
            QVERIFY2(reader.verify().isEmpty(), qPrintable(reader.verify().join('\n')));
            generation = s.generation;
        }
        QCOMPARE(log.count(QLatin1String(kRebuilding)), 1);
        QVERIFY2(log.count(QStringLiteral("saved the rebuilt index")) == 1, qPrintable(log.all()));
        QCOMPARE(leftoverTemps(f.dir), QStringList());
        const auto loaded = VectorIndex::load(std::filesystem::path(indexFile.toStdString()));
        QVERIFY2(loaded.ok(), loaded.error.c_str());
        QCOMPARE(loaded.stamp.generation, generation);
        QCOMPARE(loaded.stamp.modelIdentity, kModelA.toStdString());
        const FileId saved = fileId(indexFile);
        QVERIFY(saved.size > 0);

        // Every later open, read-only or not, loads that file and leaves it as it is.
        {
            Library reader(f.dir, ro);
            QCOMPARE(reader.status().index.state, QStringLiteral("loaded"));
            QCOMPARE(searchAll(reader, queries), before);
            QVERIFY(reader.verify().isEmpty());
        }
        {
            Library lib(f.dir, withModel(kModelA));
            QCOMPARE(lib.status().index.state, QStringLiteral("loaded"));
            QCOMPARE(searchAll(lib, queries), before);
            QVERIFY(lib.verify().isEmpty());
        }
        QCOMPARE(log.count(QLatin1String(kRebuilding)), 1);
        QVERIFY(fileId(indexFile) == saved);
    }

    // A read-write open rebuilds and saves as well (its lock is its own).
    void writerRebuildsAndSavesDamagedIndex()
    {
        Fixture f = makeLibrary(60, 3);
        const QString indexFile = f.dir + QStringLiteral("/index.faiss");
        writeBytes(indexFile, QByteArray(2048, '\x5a'));
        {
            Library lib(f.dir, withModel(kModelA));
            QCOMPARE(lib.status().index.state, QStringLiteral("rebuilt"));
            QVERIFY(lib.verify().isEmpty());
        }
        const FileId saved = fileId(indexFile);
        LibraryOptions ro;
        ro.readOnly = true;
        Library reader(f.dir, ro);
        QCOMPARE(reader.status().index.state, QStringLiteral("loaded"));
        QCOMPARE(reader.search(row(f.vectors, 5, kDim), 1)[0].id, f.ids[5]);
        QVERIFY(fileId(indexFile) == saved);
    }

    // An open that may not write the folder keeps today's in-memory rebuild: the damaged file
    // stays as it is, searches are right, verify says why the file is still bad.
    void readOnlyOpenThatMayNotWriteKeepsTheFile_data()
    {
        QTest::addColumn<QString>("how");
        QTest::addColumn<QString>("reason"); // in status().index.unsavedReason
        QTest::newRow("opened not to write") << "option"
                                             << "opened not to write";
        QTest::newRow("folder mode 0555") << "chmod"
                                          << "not writable";
    }

    void readOnlyOpenThatMayNotWriteKeepsTheFile()
    {
        QFETCH(QString, how);
        QFETCH(QString, reason);
        if (how == QLatin1String("chmod") && ::geteuid() == 0)
            QSKIP("root may write a 0555 folder (tst_faults covers a read-only mount and another "
                  "user's library through imago-cli)");
        Fixture f = makeLibrary(80, 11);
        const auto queries = randomUnitVectors(8, kDim, 12);
        std::vector<std::vector<std::int64_t>> before;
        {
            Library lib(f.dir, withModel(kModelA));
            before = searchAll(lib, queries);
        }
        // The writer's lock file stays (the lock itself ended with it); the readers below must
        // not make one.
        QVERIFY(QFile::remove(f.dir + QStringLiteral("/writer.lock")));
        const QString indexFile = f.dir + QStringLiteral("/index.faiss");
        const QByteArray garbage(3000, '\x77');
        writeBytes(indexFile, garbage);
        const FileId damaged = fileId(indexFile);
        LibraryOptions ro;
        ro.readOnly = true;
        if (how == QLatin1String("option"))
            ro.saveRebuiltIndex = false;
        const auto writable =
            QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner;
        if (how == QLatin1String("chmod"))
            QVERIFY(QFile::setPermissions(
                f.dir, QFileDevice::ReadOwner | QFileDevice::ExeOwner | QFileDevice::ReadGroup |
                           QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::ExeOther));
        const auto restore = qScopeGuard([&] { QFile::setPermissions(f.dir, writable); });
        for (int open = 0; open < 2; ++open) { // and again: nothing was saved
            Library reader(f.dir, ro);
            const LibraryStatus s = reader.status();
            QCOMPARE(s.index.state, QStringLiteral("rebuilt"));
            QVERIFY2(s.index.unsavedReason.contains(reason), qPrintable(s.index.unsavedReason));
            QCOMPARE(searchAll(reader, queries), before);
            const QString problems = reader.verify().join(QLatin1Char('\n'));
            QVERIFY2(problems.contains(QLatin1String("index file")) && problems.contains(reason),
                     qPrintable(problems));
        }
        QCOMPARE(readBytes(indexFile), garbage);
        QVERIFY(fileId(indexFile) == damaged);
        QCOMPARE(leftoverTemps(f.dir), QStringList());
        QVERIFY(!QFile::exists(f.dir + QStringLiteral("/writer.lock")));
    }

    // The writer lock is the kernel's: it ends with its holder however the holder ends, and a
    // file naming a live-looking holder (a pid reused in a restarted container, another host
    // after a requeue) blocks nothing.
    void writerLockEndsWithItsHolder()
    {
        const QString dir = freshDir();
        QVERIFY(QDir().mkpath(dir));
        int ready[2];
        QVERIFY(::pipe(ready) == 0);
        const pid_t child = ::fork();
        if (child == 0) {
            WriterLock held(dir);
            const char ok = held.tryLock() ? '1' : '0';
            if (::write(ready[1], &ok, 1) != 1)
                ::_exit(2);
            ::pause(); // until killed
            ::_exit(0);
        }
        QVERIFY(child > 0);
        char ok = 0;
        QCOMPARE(::read(ready[0], &ok, 1), ssize_t(1));
        QCOMPARE(ok, '1');
        WriterLock mine(dir);
        QVERIFY(!mine.tryLock());
        QVERIFY2(mine.holder().contains(QStringLiteral("pid %1 ").arg(child)),
                 qPrintable(mine.holder()));
        QVERIFY_THROWS_EXCEPTION(LibraryError, Library busy(dir, withModel(kModelA)));
        ::kill(child, SIGKILL);
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        ::close(ready[0]);
        ::close(ready[1]);
        QVERIFY(mine.tryLock()); // at once: nothing to judge stale
        // Two locks in one process exclude each other too.
        WriterLock second(dir);
        QVERIFY(!second.tryLock());
        mine.unlock();
        QVERIFY(second.tryLock());
        second.unlock();
        // A file that names pid 1 on another host, as a killed run on another node leaves it.
        writeBytes(dir + QLatin1Char('/') + WriterLock::fileName(), "1\nimago-cli\nnode-17\n");
        Library lib(dir, withModel(kModelA));
        QVERIFY(!lib.isReadOnly());
    }

    // A writer at work (an indexing run holds the lock for hours): a read-only open neither
    // waits for the lock (in one thread, waiting would never end) nor writes the file.
    void writerAtWorkIsNotWaitedForNorWrittenUnder()
    {
        Fixture f = makeLibrary(70, 21);
        const QString indexFile = f.dir + QStringLiteral("/index.faiss");
        const auto queries = randomUnitVectors(8, kDim, 22);
        const QByteArray garbage(5000, '\x11');
        std::vector<std::vector<std::int64_t>> before;
        LibraryOptions ro;
        ro.readOnly = true;
        {
            auto writer = std::make_unique<Library>(f.dir, withModel(kModelA));
            before = searchAll(*writer, queries);
            writeBytes(indexFile, garbage); // damaged behind the writer's back
            const FileId damaged = fileId(indexFile);
            {
                Library reader(f.dir, ro);
                const LibraryStatus s = reader.status();
                QCOMPARE(s.index.state, QStringLiteral("rebuilt"));
                QVERIFY2(s.index.unsavedReason.contains(QLatin1String("open for writing")),
                         qPrintable(s.index.unsavedReason));
                QCOMPARE(searchAll(reader, queries), before);
                QVERIFY(!reader.verify().isEmpty());
            }
            QCOMPARE(readBytes(indexFile), garbage);
            QVERIFY(fileId(indexFile) == damaged);
            QCOMPARE(leftoverTemps(f.dir), QStringList());
            // The reader's try did not take or break the writer's lock.
            QVERIFY_THROWS_EXCEPTION(LibraryError, Library second(f.dir, withModel(kModelA)));
            QCOMPARE(searchAll(*writer, queries), before);
        } // the writer closes with nothing unsaved: the damaged file stays
        QCOMPARE(readBytes(indexFile), garbage);
        // With the writer gone, the next read-only open saves it.
        {
            Library reader(f.dir, ro);
            QCOMPARE(reader.status().index.state, QStringLiteral("rebuilt"));
            QVERIFY2(reader.status().index.unsavedReason.isEmpty(),
                     qPrintable(reader.status().index.unsavedReason));
            QVERIFY(reader.verify().isEmpty());
        }
        Library reader(f.dir, ro);
        QCOMPARE(reader.status().index.state, QStringLiteral("loaded"));
        QCOMPARE(searchAll(reader, queries), before);
    }

    // A read-only open for another model than the catalog's must not save an index a writer
    // would find stale; when the catalog has no searchable vectors the consistent state is no
    // file at all.
    void readOnlyRebuildSavesOnlyWhatAWriterWouldLoad()
    {
        Fixture f = makeLibrary(20, 31);
        const QString indexFile = f.dir + QStringLiteral("/index.faiss");
        const QByteArray garbage(700, '\x42');
        writeBytes(indexFile, garbage);
        LibraryOptions other;
        other.readOnly = true;
        other.modelIdentity = kModelB;
        {
            Library reader(f.dir, other);
            QVERIFY2(reader.status().index.unsavedReason.contains(kModelB),
                     qPrintable(reader.status().index.unsavedReason));
        }
        QCOMPARE(readBytes(indexFile), garbage);

        // Nothing searchable (every photo forgotten behind the library's back): the file goes.
        rawExec(f.dir + QStringLiteral("/catalog.sqlite3"),
                "DELETE FROM embeddings; UPDATE meta SET value = value + 1 WHERE key = "
                "'index_generation'");
        LibraryOptions ro;
        ro.readOnly = true;
        {
            Library reader(f.dir, ro);
            QCOMPARE(reader.status().index.state, QStringLiteral("rebuilt"));
            QVERIFY2(reader.status().index.unsavedReason.isEmpty(),
                     qPrintable(reader.status().index.unsavedReason));
        }
        QVERIFY(!QFile::exists(indexFile));
        Library reader(f.dir, ro);
        QCOMPARE(reader.status().index.state, QStringLiteral("empty"));
    }

    void leftoverTempFileIsIgnored_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("a writer's save") << "index.faiss.tmp";
        QTest::newRow("a read-only open's save") << "index.faiss.4242-0.tmp";
    }

    void leftoverTempFileIsIgnored()
    {
        QFETCH(QString, name);
        Fixture f = makeLibrary(30);
        const QString tmp = f.dir + QLatin1Char('/') + name;
        writeBytes(tmp, QByteArray(777, '\x01')); // a save that died half-way
        Library lib(f.dir, withModel(kModelA));
        QCOMPARE(lib.status().index.state, QStringLiteral("loaded"));
        QVERIFY(!QFile::exists(tmp));
        QCOMPARE(lib.search(row(f.vectors, 3, kDim), 1)[0].id, f.ids[3]);
    }

    void unsavedChangesSurviveACrash()
    {
        Fixture f = makeLibrary(40);
        const auto extra = randomUnitVectors(5, kDim, 1234);
        const QString indexFile = f.dir + QStringLiteral("/index.faiss");
        QFile saved(indexFile);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        const QByteArray beforeCrash = saved.readAll();
        saved.close();
        {
            LibraryOptions o = withModel(kModelA);
            o.saveEvery = 1000000; // nothing saved before the "crash"
            Library lib(f.dir, o);
            LibraryBatch batch;
            for (std::size_t i = 0; i < 5; ++i)
                batch.indexed.push_back(
                    {fakeFacts(QStringLiteral("/elsewhere/%1.jpg").arg(i)), row(extra, i, kDim)});
            lib.apply(batch);
            QVERIFY(lib.status().index.unsavedChanges);
        }
        // A crash before the save leaves the catalog committed and the old index file: put
        // the old file back over the one the clean close wrote.
        writeBytes(indexFile, beforeCrash);
        Library lib(f.dir, withModel(kModelA));
        QCOMPARE(lib.status().index.state, QStringLiteral("rebuilt"));
        QCOMPARE(lib.status().index.size, std::size_t(45));
        QCOMPARE(lib.search(row(extra, 2, kDim), 1)[0].id,
                 lib.photo(QStringLiteral("/elsewhere/2.jpg"))->id);
    }

    void moveAndRenameKeepTheVector()
    {
        Fixture f = makeLibrary(12);
        const QString newPath = f.photos + QStringLiteral("/renamed/holiday.jpg");
        {
            Library lib(f.dir, withModel(kModelA));
            // Rename on disk, then the scanner finds the "new" file.
            const QString oldPath = f.paths[4];
            QDir().mkpath(QFileInfo(newPath).absolutePath());
            QVERIFY(QFile::rename(oldPath, newPath));
            const auto moved = lib.adoptMovedPhoto(factsOf(newPath));
            QVERIFY(moved);
            QCOMPARE(*moved, f.ids[4]);
            QVERIFY(!lib.photo(oldPath));
            const auto rec = lib.photo(newPath);
            QVERIFY(rec);
            QCOMPARE(rec->id, f.ids[4]);
            QCOMPARE(rec->status, PhotoStatus::Indexed);
            QCOMPARE(rec->embeddingModel, kModelA);
            QCOMPARE(*lib.catalog().embedding(rec->id), row(f.vectors, 4, kDim));
            QCOMPARE(lib.search(row(f.vectors, 4, kDim), 1)[0].id, f.ids[4]);

            // A move noticed after the old path was marked missing: the vector comes back.
            const QString old2 = f.paths[5];
            const QString new2 = f.photos + QStringLiteral("/moved-later.jpg");
            QVERIFY(QFile::rename(old2, new2));
            LibraryBatch gone;
            gone.missing << old2;
            lib.apply(gone);
            QCOMPARE(lib.photo(old2)->status, PhotoStatus::Missing);
            QVERIFY(lib.search(row(f.vectors, 5, kDim), 1)[0].id != f.ids[5]);
            const auto moved2 = lib.adoptMovedPhoto(factsOf(new2));
            QVERIFY(moved2);
            QCOMPARE(*moved2, f.ids[5]);
            QCOMPARE(lib.search(row(f.vectors, 5, kDim), 1)[0].id, f.ids[5]);

            // A copy (the original still exists) is not a move, but needs no re-embedding.
            const QString copy = f.photos + QStringLiteral("/copy.jpg");
            QVERIFY(QFile::copy(f.paths[6], copy));
            QVERIFY(!lib.adoptMovedPhoto(factsOf(copy)));
            const auto reused = lib.embeddingForContent(factsOf(copy).contentHash);
            QVERIFY(reused);
            QCOMPARE(*reused, row(f.vectors, 6, kDim));
            QVERIFY(lib.verify().isEmpty());
        }
        // And it all survives a reopen.
        Library again(f.dir, withModel(kModelA));
        QCOMPARE(again.status().index.state, QStringLiteral("loaded"));
        QCOMPARE(again.photo(newPath)->id, f.ids[4]);
    }

    void offlineRootKeepsPhotosAsMissing()
    {
        Fixture f = makeLibrary(20);
        Library lib(f.dir, withModel(kModelA));
        QCOMPARE(lib.roots().size(), std::size_t(1));
        QVERIFY(lib.roots()[0].online);
        // "Unplug the drive".
        const QString away = f.photos + QStringLiteral("-unplugged");
        QVERIFY(QDir().rename(f.photos, away));
        RootsRefresh r = lib.refreshRoots();
        QCOMPARE(r.offline, QStringList{f.photos});
        QCOMPARE(r.photosMarkedMissing, 20);
        LibraryStatus s = lib.status();
        QCOMPARE(s.counts.offline, 20); // offline, not missing
        QCOMPARE(s.counts.missing, 0);
        QCOMPARE(s.counts.total(), 20); // nothing deleted
        QCOMPARE(s.roots.size(), std::size_t(1));
        QVERIFY(!s.roots[0].online);
        QCOMPARE(s.index.size, std::size_t(0)); // not searchable while offline
        QVERIFY(lib.search(row(f.vectors, 0, kDim), 5).empty());
        const auto rec = lib.photo(f.paths[0]);
        QCOMPARE(rec->status, PhotoStatus::Missing);
        QCOMPARE(rec->reason.code, QStringLiteral("folder_offline"));
        QCOMPARE(rec->reason.args, QStringList{f.photos});
        QVERIFY(lib.catalog().embedding(rec->id)); // the vector is kept
        QVERIFY(lib.verify().isEmpty());

        // Reopening while offline changes nothing.
        lib.save();
        {
            LibraryOptions ro;
            ro.readOnly = true;
            Library reader(f.dir, ro);
            QCOMPARE(reader.status().counts.offline, 20);
        }

        // "Plug it back in".
        QVERIFY(QDir().rename(away, f.photos));
        r = lib.refreshRoots();
        QVERIFY(r.offline.isEmpty());
        QCOMPARE(r.photosRestored, 20);
        s = lib.status();
        QCOMPARE(s.counts.indexed, 20);
        QCOMPARE(s.counts.missing, 0);
        QCOMPARE(s.counts.offline, 0);
        QCOMPARE(s.index.size, std::size_t(20));
        QCOMPARE(lib.search(row(f.vectors, 9, kDim), 1)[0].id, f.ids[9]);
        QVERIFY(lib.verify().isEmpty());
    }

    // A library folder copied to another machine, where the photos are mounted elsewhere:
    // it opens, its root is offline (photos kept), and moveRoot re-points it without
    // re-embedding anything.
    void copiedLibraryMovesItsRoot()
    {
        Fixture f = makeLibrary(20);
        const QString copy = freshDir();
        QVERIFY(QDir().mkpath(copy));
        for (const QString &name : {Library::catalogFileName(), Library::indexFileName()})
            QVERIFY(QFile::copy(f.dir + QLatin1Char('/') + name, copy + QLatin1Char('/') + name));
        const QString mounted = f.photos + QStringLiteral("-elsewhere");
        QVERIFY(QDir().rename(f.photos, mounted));

        Library lib(copy, withModel(kModelA));
        QVERIFY(!lib.roots()[0].online);
        QCOMPARE(lib.refreshRoots().photosMarkedMissing, 20); // offline: kept, not searchable
        QCOMPARE(lib.catalog().photo(f.ids[3])->relativePath,
                 QDir(f.photos).relativeFilePath(f.paths[3]));
        const std::int64_t generation = lib.status().generation;

        QCOMPARE(lib.moveRoot(f.photos, mounted), 20);
        const LibraryStatus s = lib.status();
        QCOMPARE(s.roots.size(), std::size_t(1));
        QCOMPARE(s.roots[0].path, mounted);
        QVERIFY(s.roots[0].online);
        QCOMPARE(s.counts.indexed, 20); // back, with their vectors
        QCOMPARE(s.counts.missing, 0);
        QVERIFY(s.generation > generation); // they became searchable again
        for (std::size_t i = 0; i < f.ids.size(); ++i) {
            const auto rec = lib.catalog().photo(f.ids[i]);
            QCOMPARE(rec->facts.path, mounted + f.paths[int(i)].mid(f.photos.size()));
            QCOMPARE(rec->relativePath, QDir(f.photos).relativeFilePath(f.paths[int(i)]));
            QCOMPARE(*lib.catalog().embedding(f.ids[i]), row(f.vectors, i, kDim));
        }
        const auto hit = lib.search(row(f.vectors, 7, kDim), 1);
        QCOMPARE(hit.size(), std::size_t(1));
        QCOMPARE(hit[0].id, f.ids[7]);
        QVERIFY2(lib.verify().isEmpty(), qPrintable(lib.verify().join('\n')));
        // The original library still names the original place: nothing was shared.
        LibraryOptions ro;
        ro.readOnly = true;
        Library original(f.dir, ro);
        QCOMPARE(original.roots()[0].path, f.photos);
    }

    void moveRootRefusals()
    {
        Fixture f = makeLibrary(6);
        Library lib(f.dir, withModel(kModelA));
        const QString other = freshDir();
        QVERIFY(QDir().mkpath(other));
        // Not a folder of the library; the target not a folder; inside the root; a target
        // where the library has photos already.
        QVERIFY_THROWS_EXCEPTION(LibraryError, lib.moveRoot(other, f.photos));
        QVERIFY_THROWS_EXCEPTION(LibraryError, lib.moveRoot(f.photos, other + "/absent"));
        QVERIFY_THROWS_EXCEPTION(LibraryError, lib.moveRoot(f.photos, f.photos + "/0"));
        LibraryBatch batch;
        batch.indexed.push_back({factsOf(writePhotoFile(other + "/loose.jpg", "loose photo")),
                                 row(f.vectors, 0, kDim)});
        lib.apply(batch);
        QVERIFY_THROWS_EXCEPTION(LibraryError, lib.moveRoot(f.photos, other));
        // Nothing changed on the way.
        QCOMPARE(lib.roots()[0].path, f.photos);
        QCOMPARE(lib.photo(f.paths[2])->id, f.ids[2]);
        QCOMPARE(lib.moveRoot(f.photos, f.photos), 0);
    }

    // Every reason merge() refuses for is found before anything is written.
    void mergeRefusesAndNamesTheLibrary()
    {
        auto shardLibrary = [&](int k, int n, const QString &model) {
            const QString dir = freshDir();
            Library lib(dir, withModel(model));
            lib.claimShard(ShardSpec{k, n});
            LibraryBatch batch;
            batch.indexed.push_back(
                {fakeFacts(QStringLiteral("/archive/%1-%2.jpg").arg(k).arg(n)),
                 row(randomUnitVectors(1, kDim, std::uint64_t(k + 10 * n)), 0, kDim)});
            lib.apply(batch);
            return dir;
        };
        const QString s0 = shardLibrary(0, 3, kModelA), s1 = shardLibrary(1, 3, kModelA);
        const QString otherModel = shardLibrary(2, 3, kModelB);
        const QString otherSplit = shardLibrary(1, 4, kModelA);
        const QString s1again = shardLibrary(1, 3, kModelA);
        const QString dest = freshDir();
        Library lib(dest, withModel(kModelA));
        const auto refused = [&](const QStringList &dirs, const QString &named,
                                 const char *because) {
            try {
                lib.merge(dirs);
            } catch (const LibraryError &e) {
                const QString what = QString::fromUtf8(e.what());
                return what.contains(named) && what.contains(QLatin1String(because));
            }
            return false;
        };
        QVERIFY(refused({s0, otherModel}, otherModel, "model"));
        QVERIFY(refused({s0, s1, otherSplit}, otherSplit, "different splits"));
        QVERIFY(refused({s0, s1, s1again}, s1again, "as "));
        QVERIFY(refused({s0, dest}, dest, "itself"));
        QVERIFY(refused({s0, freshDir()}, m_tmp.path(), "not a library"));
        {
            Library busy(s1, withModel(kModelA)); // an indexing run still at work on it
            QVERIFY(refused({s0, s1}, s1, "being written"));
        }
        QCOMPARE(lib.status().counts.total(), 0); // nothing was written
        // Merged once, the library remembers the split it took.
        QCOMPARE(lib.merge({s0, s1}).added, 2);
        QVERIFY(refused({otherSplit}, otherSplit, "merged shards"));
        // A shard's own library takes no merge; a merged library takes no shard.
        Library shard(s0, withModel(kModelA));
        QVERIFY_THROWS_EXCEPTION(LibraryError, shard.merge({s1}));
        QVERIFY_THROWS_EXCEPTION(LibraryError, lib.claimShard(ShardSpec{0, 3}));
    }

    void modelChangeMarksVectorsStale()
    {
        Fixture f = makeLibrary(25);
        {
            Library lib(f.dir, withModel(kModelB));
            const LibraryStatus s = lib.status();
            QCOMPARE(s.modelIdentity, kModelB);
            QCOMPARE(s.previousModelIdentity, kModelA);
            QCOMPARE(s.counts.indexed, 25); // records kept
            QCOMPARE(s.counts.stale, 25);
            QCOMPARE(s.index.size, std::size_t(0));
            QVERIFY(lib.search(row(f.vectors, 0, kDim), 5).empty());
            QCOMPARE(lib.stalePaths().size(), 25);
            QVERIFY(lib.catalog().embedding(f.ids[0])); // old vectors kept until replaced
            QVERIFY(!lib.verify().isEmpty());           // stale is reported
            // Re-embedding (here: new vectors) makes them searchable again.
            const auto fresh = randomUnitVectors(25, kDim, 555);
            LibraryBatch batch;
            for (std::size_t i = 0; i < 25; ++i)
                batch.indexed.push_back({factsOf(f.paths[int(i)]), row(fresh, i, kDim)});
            const auto ids = lib.apply(batch);
            QCOMPARE(ids, f.ids); // same records
            QCOMPARE(lib.status().counts.stale, 0);
            QCOMPARE(lib.search(row(fresh, 3, kDim), 1)[0].id, f.ids[3]);
            QVERIFY(lib.verify().isEmpty());
        }
        Library again(f.dir, withModel(kModelB));
        QCOMPARE(again.status().index.state, QStringLiteral("loaded"));
        QVERIFY(again.status().previousModelIdentity.isEmpty());
    }

    void forgetPathsAndFolders()
    {
        Fixture f = makeLibrary(30);
        Library lib(f.dir, withModel(kModelA));
        ForgetResult r = lib.forget(
            {f.paths[0], f.photos + QStringLiteral("/1"), QStringLiteral("/not/in/library.jpg")});
        QCOMPARE(r.photos, 1 + 10);
        QCOMPARE(r.roots, 0);
        QCOMPARE(r.unmatched, QStringList{QStringLiteral("/not/in/library.jpg")});
        QCOMPARE(lib.status().counts.total(), 19);
        QCOMPARE(lib.status().index.size, std::size_t(19));
        QVERIFY(lib.search(row(f.vectors, 0, kDim), 1)[0].id != f.ids[0]);
        QVERIFY(lib.verify().isEmpty());
        // Forgetting the root folder removes it as a library folder too.
        r = lib.forget({f.photos});
        QCOMPARE(r.photos, 19);
        QCOMPARE(r.roots, 1);
        QVERIFY(lib.roots().empty());
        QCOMPARE(lib.status().index.size, std::size_t(0));
        QVERIFY(lib.verify().isEmpty());
    }

    void verifyFindsBrokenLibrary()
    {
        Fixture f = makeLibrary(10);
        // An embedding row deleted behind the library's back.
        rawExec(f.dir + QStringLiteral("/catalog.sqlite3"),
                "DELETE FROM embeddings WHERE photo_id = (SELECT min(photo_id) FROM embeddings)");
        LibraryOptions ro;
        ro.readOnly = true;
        ro.saveRebuiltIndex = false; // the index file, now stale, stays as it is
        {
            Library lib(f.dir, ro);
            const QString problems = lib.verify().join(QLatin1Char('\n'));
            QVERIFY2(lib.verify().size() >= 2, qPrintable(problems));
            QVERIFY2(problems.contains(QLatin1String("no embedding")), qPrintable(problems));
            QVERIFY2(problems.contains(QLatin1String("index file")), qPrintable(problems));
        }
        // An open that may write saves the rebuilt index: only the catalog's problem is left.
        ro.saveRebuiltIndex = true;
        Library lib(f.dir, ro);
        const QString problems = lib.verify().join(QLatin1Char('\n'));
        QVERIFY2(problems.contains(QLatin1String("no embedding")), qPrintable(problems));
        QVERIFY2(!problems.contains(QLatin1String("index file")), qPrintable(problems));
        Library again(f.dir, ro);
        QCOMPARE(again.status().index.state, QStringLiteral("loaded"));
    }

    void oneWriterManyReaders()
    {
        Fixture f = makeLibrary(5);
        Library writer(f.dir, withModel(kModelA));
        QVERIFY_THROWS_EXCEPTION(LibraryError, Library second(f.dir, withModel(kModelA)));
        LibraryOptions ro;
        ro.readOnly = true;
        Library reader(f.dir, ro);
        QCOMPARE(reader.status().counts.indexed, 5);
        QVERIFY_THROWS_EXCEPTION(LibraryError, reader.forget({f.paths[0]}));
        QVERIFY_THROWS_EXCEPTION(LibraryError,
                                 Library absent(m_tmp.filePath(QStringLiteral("nope")), ro));
    }

    void filteredSearch()
    {
        Fixture f = makeLibrary(60);
        Library lib(f.dir, withModel(kModelA));
        SearchFilter under;
        under.under = f.photos + QStringLiteral("/2");
        const auto q = row(f.vectors, 0, kDim); // photo 0 lives in folder 0
        const auto hits = lib.search(q, 100, under);
        QCOMPARE(hits.size(), std::size_t(20));
        for (const auto &h : hits)
            QVERIFY(
                lib.catalog().photo(h.id)->facts.path.startsWith(under.under + QLatin1Char('/')));
        SearchFilter dates;
        dates.capturedFrom = QDateTime(QDate(2020, 3, 1), QTime(0, 0));
        dates.capturedTo = QDateTime(QDate(2020, 3, 31), QTime(0, 0));
        QCOMPARE(lib.search(q, 100, dates).size(), std::size_t(5)); // i % 12 == 2
    }

    void searchWhileWriting()
    {
        Fixture f = makeLibrary(100);
        Library lib(f.dir, withModel(kModelA));
        std::atomic<bool> stop{false};
        std::atomic<int> bad{0}, done{0};
        std::thread reader([&] {
            while (!stop) {
                const auto hits = lib.search(row(f.vectors, 1, kDim), 3);
                if (hits.empty() || hits[0].id != f.ids[1])
                    ++bad;
                ++done;
            }
        });
        const auto extra = randomUnitVectors(200, kDim, 77);
        for (int b = 0; b < 10; ++b) {
            LibraryBatch batch;
            for (std::size_t i = 0; i < 20; ++i)
                batch.indexed.push_back({fakeFacts(QStringLiteral("/w/%1-%2.jpg").arg(b).arg(i)),
                                         row(extra, std::size_t(b) * 20 + i, kDim)});
            lib.apply(batch);
        }
        lib.rebuild(); // swaps the index under the reader
        stop = true;
        reader.join();
        QCOMPARE(bad.load(), 0);
        QVERIFY(done.load() > 0);
        QCOMPARE(lib.status().index.size, std::size_t(300));
    }

    void rejectedAndMissingBookkeeping()
    {
        Fixture f = makeLibrary(6);
        Library lib(f.dir, withModel(kModelA));
        LibraryBatch batch;
        batch.rejected.push_back(
            {factsOf(f.paths[0]),
             makeReason(reason::kTruncated, QStringLiteral("truncated JPEG"), {"JPEG"})});
        batch.rejected.push_back({fakeFacts(QStringLiteral("/x/notes.txt")),
                                  makeReason(reason::kNotAnImage, QStringLiteral("not an image"))});
        batch.missing << f.paths[1] << QStringLiteral("/never/seen.jpg");
        lib.apply(batch);
        const LibraryStatus s = lib.status();
        QCOMPARE(s.counts.indexed, 4);
        QCOMPARE(s.counts.rejected, 2);
        QCOMPARE(s.counts.missing, 1);
        QCOMPARE(s.index.size, std::size_t(4));
        QCOMPARE(lib.photo(f.paths[0])->reason.text, QStringLiteral("truncated JPEG"));
        QCOMPARE(lib.photo(f.paths[0])->reason.code, QStringLiteral("truncated"));
        QVERIFY(!lib.catalog().embedding(f.ids[0])); // its old vector no longer describes it
        QCOMPARE(lib.photo(f.paths[1])->reason.code, QStringLiteral("file_not_found"));
        QVERIFY(lib.verify().isEmpty());
        LibraryBatch wrongSize;
        wrongSize.indexed.push_back(
            {fakeFacts(QStringLiteral("/bad.jpg")), std::vector<float>(kDim + 1, 0.1f)});
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, lib.apply(wrongSize));
        QVERIFY(!lib.photo(QStringLiteral("/bad.jpg")));
    }

    // The committed version-1 library (catalog + index) opens with the index trusted as is.
    void version1FixtureOpens()
    {
        const QString dir = freshDir();
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(QFile::copy(QStringLiteral(IMAGO_LIBRARY_DATA_DIR "/catalog-v1.sqlite3"),
                            dir + QStringLiteral("/catalog.sqlite3")));
        QVERIFY(QFile::copy(QStringLiteral(IMAGO_LIBRARY_DATA_DIR "/index-v1.faiss"),
                            dir + QStringLiteral("/index.faiss")));
        for (const QString &name :
             {QStringLiteral("catalog.sqlite3"), QStringLiteral("index.faiss")})
            QFile::setPermissions(dir + QLatin1Char('/') + name,
                                  QFile::ReadOwner | QFile::WriteOwner);
        Library lib(dir, withModel(QStringLiteral("fixture-model-v1")));
        const LibraryStatus s = lib.status();
        QCOMPARE(s.index.state, QStringLiteral("loaded"));
        QCOMPARE(s.schemaVersion, Catalog::latestSchemaVersion());
        QCOMPARE(s.counts.indexed, 2);
        QCOMPARE(s.counts.rejected, 1);
        std::vector<float> e0(8, 0.f);
        e0[0] = 1.f;
        const auto hits = lib.search(e0, 1);
        QCOMPARE(hits.size(), std::size_t(1));
        QCOMPARE(lib.catalog().photo(hits[0].id)->facts.path,
                 QStringLiteral("/photos/2021/sunset.jpg"));
        QVERIFY2(lib.verify().isEmpty(), qPrintable(lib.verify().join(QLatin1Char('\n'))));
    }

    // Past the threshold the library builds an IVF index, saves it and loads it again.
    void approximateIndexAboveThreshold()
    {
        const QString dir = freshDir();
        const std::size_t n = 3000;
        const auto x = clusteredUnitVectors(n, kDim, 40, 3, 4);
        LibraryOptions o = withModel(kModelA);
        o.index.approximateThreshold = 2000;
        std::vector<std::int64_t> ids;
        {
            Library lib(dir, o);
            for (std::size_t b = 0; b < n; b += 500) {
                LibraryBatch batch;
                for (std::size_t i = b; i < b + 500; ++i)
                    batch.indexed.push_back(
                        {fakeFacts(QStringLiteral("/ivf/%1.jpg").arg(i)), row(x, i, kDim)});
                const auto got = lib.apply(batch);
                ids.insert(ids.end(), got.begin(), got.end());
            }
            lib.save();
            QCOMPARE(lib.status().index.kind, QStringLiteral("ivf"));
            QVERIFY(lib.status().index.recall >= 0.95);
        }
        Library lib(dir, o);
        const LibraryStatus s = lib.status();
        QCOMPARE(s.index.state, QStringLiteral("loaded"));
        QCOMPARE(s.index.kind, QStringLiteral("ivf"));
        QCOMPARE(s.index.size, n);
        QCOMPARE(lib.search(row(x, 123, kDim), 1)[0].id, ids[123]);
        QVERIFY(lib.verify().isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_Library)
#include "tst_library.moc"
