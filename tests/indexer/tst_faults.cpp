// tst_faults: the indexer when the machine misbehaves - the disk fills up while the catalog or
// index is written, the library folder is read-only, a photo is deleted or truncated between
// scan and decode, a root goes away (renamed, unmounted) in the middle of a run, the index file
// is damaged (the first search saves a rebuilt one, unless it may not write or a writer is at
// work). Each must end in a clear message and lose nothing already committed.
//
// Real imago-cli, SQLite and file systems. A file-size limit (RLIMIT_FSIZE) works for any user;
// a small tmpfs, read-only bind mounts and a real unmount need a private mount namespace, which
// main() makes before any thread starts when the test runs as root (else those cases skip and
// say why). The mounts are invisible to the rest of the machine and vanish with the process.
#include "catalog.h"
#include "cli_run.h"
#include "indexing_run.h"
#include "library.h"
#include "model_session.h"
#include "photo_fixtures.h"
#include "toy_model.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace imago;

namespace {

const QString kToy = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");
bool g_privateMounts = false; // set by main()

using test::describe;
using Run = test::CliRun;

// imago-cli with `args`; `fileSizeLimit` > 0 caps every file the child writes (ulimit -f),
// `addressSpace` > 0 its virtual memory (ulimit -v).
Run cli(const QStringList &args, qint64 fileSizeLimit = 0, qint64 addressSpace = 0)
{
    std::function<void()> limits;
    if (fileSizeLimit > 0 || addressSpace > 0)
        limits = [fileSizeLimit, addressSpace] {
            if (fileSizeLimit > 0) {
                const rlimit r{rlim_t(fileSizeLimit), rlim_t(fileSizeLimit)};
                ::setrlimit(RLIMIT_FSIZE, &r);
            }
            if (addressSpace > 0) {
                const rlimit r{rlim_t(addressSpace), rlim_t(addressSpace)};
                ::setrlimit(RLIMIT_AS, &r);
            }
        };
    return test::runProgram(QStringLiteral(IMAGO_CLI), args,
                            QProcessEnvironment::systemEnvironment(), limits);
}

QStringList indexArgs(const QString &library, const QString &folder)
{
    return {QStringLiteral("index"),
            QStringLiteral("--library"),
            library,
            QStringLiteral("--model"),
            kToy,
            QStringLiteral("--threads"),
            QStringLiteral("1"),
            QStringLiteral("--batch"),
            QStringLiteral("4"),
            QStringLiteral("--json"),
            folder};
}

QStringList searchArgs(const QString &library, int top)
{
    return {QStringLiteral("search"),
            QStringLiteral("--library"),
            library,
            QStringLiteral("--model"),
            kToy,
            QStringLiteral("--threads"),
            QStringLiteral("1"),
            QStringLiteral("--json"),
            QStringLiteral("--top"),
            QString::number(top),
            QStringLiteral("a red circle")};
}

// The paths a `search --json` run found, best first.
QStringList resultPaths(const Run &search)
{
    QStringList out;
    for (const QJsonValue &r :
         QJsonDocument::fromJson(search.out).object().value(QStringLiteral("results")).toArray())
        out << r.toObject().value(QStringLiteral("path")).toString();
    return out;
}

QByteArray readBytes(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

// The inode and nanosecond mtime of a file: unchanged when nobody wrote or replaced it.
std::pair<ino_t, std::int64_t> fileId(const QString &path)
{
    struct stat st = {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {0, 0};
    return {st.st_ino, std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

const QByteArray kGarbage(4096, '\x5c'); // what a damaged index.faiss holds here

bool writePhotos(const QString &dir, int count, quint32 seed)
{
    QDir().mkpath(dir);
    for (int i = 0; i < count; ++i)
        if (!test::writePhoto(QStringLiteral("%1/p%2.jpg").arg(dir).arg(i, 3, 10, QLatin1Char('0')),
                              seed + quint32(i)))
            return false;
    return true;
}

struct Row
{
    QString status;
    std::vector<float> vector;
    friend bool operator==(const Row &, const Row &) = default;
};

// path -> (status, embedding) of every photo in the catalog.
std::map<QString, Row> snapshot(const QString &libraryDir)
{
    std::map<QString, Row> out;
    Catalog c(libraryDir + "/catalog.sqlite3", Catalog::Mode::ReadOnly);
    c.forEachPhoto({}, [&](const PhotoRecord &r) {
        Row row{photoStatusName(r.status), {}};
        if (auto v = c.embedding(r.id))
            row.vector = *v;
        out[r.facts.path] = row;
    });
    return out;
}

qint64 folderBytes(const QString &dir)
{
    qint64 n = 0;
    QDirIterator it(dir, QDir::Files | QDir::Hidden);
    while (it.hasNext())
        n += QFileInfo(it.next()).size();
    return n;
}

bool mountTmpfs(const QString &at, qint64 bytes)
{
    const QByteArray options = "size=" + QByteArray::number(bytes);
    return ::mount("tmpfs", QFile::encodeName(at).constData(), "tmpfs", 0, options.constData()) ==
           0;
}

bool copyFolder(const QString &from, const QString &to)
{
    for (const QFileInfo &f : QDir(from).entryInfoList(QDir::Files | QDir::Hidden))
        if (!QFile::copy(f.absoluteFilePath(), to + "/" + f.fileName()))
            return false;
    return true;
}

} // namespace

class tst_Faults : public QObject
{
    Q_OBJECT

    std::shared_ptr<const ModelSession> session;

    std::unique_ptr<Library> openLibrary(const QString &dir)
    {
        LibraryOptions o;
        o.modelIdentity = session->identity();
        return std::make_unique<Library>(dir, o);
    }

    // With `first` indexed, indexing `second` under a file-size limit fails: checks the failure
    // is reported in words, that nothing committed was lost, and that a run without the limit
    // finishes the job.
    void failedWriteLosesNothing(const QString &library, const QString &first,
                                 const QString &second, qint64 fileSizeLimit)
    {
        const auto before = snapshot(library);
        const Run failed = cli(indexArgs(library, second), fileSizeLimit);
        QVERIFY2(failed.exitCode == 1, qPrintable(describe(failed)));
        // The catalog's words, or the index file's (strerror) when its save hit the limit.
        QVERIFY2(failed.err.contains("the file size limit was reached") ||
                     failed.err.contains("File too large"),
                 qPrintable(describe(failed)));
        QVERIFY2(failed.err.contains("indexed before this are kept"), qPrintable(describe(failed)));
        QVERIFY2(!failed.err.contains("rollback failed"), qPrintable(describe(failed)));

        // Everything indexed before is there, vectors unchanged; what the failed run committed
        // is consistent (verify: catalog and index agree).
        const auto after = snapshot(library);
        for (const auto &[path, row] : before) {
            QVERIFY2(after.count(path), qPrintable(path));
            QVERIFY2(after.at(path) == row, qPrintable(path));
        }
        {
            auto lib = openLibrary(library);
            QVERIFY(lib->verify().isEmpty());
        }
        const Run resumed = cli(indexArgs(library, second));
        QVERIFY2(resumed.exitCode == 0, qPrintable(describe(resumed)));
        const auto done = snapshot(library);
        const int firstCount = int(QDir(first).entryList(QDir::Files).size());
        const int secondCount = int(QDir(second).entryList(QDir::Files).size());
        QCOMPARE(int(done.size()), firstCount + secondCount);
        for (const auto &[path, row] : done) {
            QCOMPARE(row.status, QStringLiteral("indexed"));
            QVERIFY(!row.vector.empty());
        }
        auto lib = openLibrary(library);
        QVERIFY(lib->verify().isEmpty());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(QStringLiteral(IMAGO_CLI)).isExecutable(), IMAGO_CLI);
        session = test::openToyModel();
        if (!g_privateMounts)
            qInfo("no private mount namespace (not root?): the tmpfs, read-only mount and "
                  "unmount cases skip");
    }

    void fileSizeLimitWhileIndexing()
    {
        QTemporaryDir tmp;
        const QString lib = tmp.filePath("library"), a = tmp.filePath("a"), b = tmp.filePath("b");
        QVERIFY(writePhotos(a, 24, 100) && writePhotos(b, 60, 200));
        const Run first = cli(indexArgs(lib, a));
        QVERIFY2(first.exitCode == 0, qPrintable(describe(first)));
        // Room for what is there and a few batches more, not for 60 photos.
        qint64 largest = 0;
        for (const QFileInfo &f : QDir(lib).entryInfoList(QDir::Files))
            largest = std::max(largest, f.size());
        failedWriteLosesNothing(lib, a, b, largest + 12 * 1024);
    }

    void virtualMemoryLimit()
    {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        QSKIP("sanitizers reserve terabytes of address space for their shadow memory");
#endif
        // ulimit -v on a server: the indexer must not ask for more than it uses. (Each decode
        // once allocated the 1 GiB file-size limit up front and failed here with bad_alloc.)
        QTemporaryDir tmp;
        const QString lib = tmp.filePath("library"), a = tmp.filePath("a");
        QVERIFY(writePhotos(a, 16, 1200));
        const Run r = cli(indexArgs(lib, a), 0, qint64(1536) << 20);
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        QCOMPARE(QJsonDocument::fromJson(r.out).object().value(QStringLiteral("indexed")).toInt(),
                 16);
    }

    void diskFullWhileIndexing()
    {
        if (!g_privateMounts)
            QSKIP("needs a private mount namespace (root) for a small tmpfs");
        QTemporaryDir tmp;
        const QString staging = tmp.filePath("staging"), lib = tmp.filePath("library");
        const QString a = tmp.filePath("a"), b = tmp.filePath("b");
        QVERIFY(writePhotos(a, 24, 300) && writePhotos(b, 60, 400));
        const Run first = cli(indexArgs(staging, a));
        QVERIFY2(first.exitCode == 0, qPrintable(describe(first)));
        // A volume with the library, SQLite's 32 KB shared-memory file, the lock file and
        // 24 KB to spare.
        QVERIFY(QDir().mkpath(lib));
        const qint64 used = folderBytes(staging);
        QVERIFY2(mountTmpfs(lib, (used + 4095) / 4096 * 4096 + (32 + 4 + 24) * 1024),
                 strerror(errno));
        QVERIFY(copyFolder(staging, lib));
        const auto cleanup =
            qScopeGuard([&] { ::umount2(QFile::encodeName(lib).constData(), MNT_DETACH); });
        const Run failed = cli(indexArgs(lib, b));
        QVERIFY2(failed.exitCode == 1, qPrintable(describe(failed)));
        QVERIFY2(failed.err.contains("the disk is full") ||
                     failed.err.contains("No space left on device"),
                 qPrintable(describe(failed)));
        QVERIFY2(failed.err.contains("indexed before this are kept"), qPrintable(describe(failed)));
        const auto after = snapshot(lib);
        for (const auto &[path, row] : snapshot(staging)) {
            QVERIFY2(after.count(path), qPrintable(path));
            QVERIFY2(after.at(path) == row, qPrintable(path));
        }
        {
            auto library = openLibrary(lib);
            QVERIFY(library->verify().isEmpty());
        }
        // The disk grows (as if files were deleted elsewhere): the next run finishes.
        QVERIFY(::mount(nullptr, QFile::encodeName(lib).constData(), nullptr, MS_REMOUNT,
                        "size=16m") == 0);
        const Run resumed = cli(indexArgs(lib, b));
        QVERIFY2(resumed.exitCode == 0, qPrintable(describe(resumed)));
        QCOMPARE(int(snapshot(lib).size()), 84);
        auto library = openLibrary(lib);
        QVERIFY(library->verify().isEmpty());
    }

    void readOnlyLibraryFolder()
    {
        QTemporaryDir tmp;
        const QString lib = tmp.filePath("library"), a = tmp.filePath("a"), b = tmp.filePath("b");
        QVERIFY(writePhotos(a, 12, 500) && writePhotos(b, 4, 600));
        const Run first = cli(indexArgs(lib, a));
        QVERIFY2(first.exitCode == 0, qPrintable(describe(first)));
        const auto before = snapshot(lib);
        const Run good = cli(searchArgs(lib, 5));
        QVERIFY2(good.exitCode == 0, qPrintable(describe(good)));
        // A damaged index file in a folder nobody may write: rebuilt in memory, left alone.
        const QString indexFile = lib + QStringLiteral("/index.faiss");
        writeBytes(indexFile, kGarbage);
        const QByteArray where = QFile::encodeName(lib);
        QByteArray expected;
        if (g_privateMounts) {
            QVERIFY(::mount(where.constData(), where.constData(), nullptr, MS_BIND, nullptr) == 0);
            QVERIFY(::mount(nullptr, where.constData(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY,
                            nullptr) == 0);
            expected = "read-only file system";
        } else if (::geteuid() != 0) {
            QVERIFY(QFile::setPermissions(lib, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
            expected = "not writable";
        } else {
            QSKIP("root without a private mount namespace cannot make a folder read-only");
        }
        const auto restore = qScopeGuard([&] {
            if (g_privateMounts)
                ::umount2(where.constData(), MNT_DETACH);
            else
                QFile::setPermissions(lib, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                               QFileDevice::ExeOwner);
        });
        const Run index = cli(indexArgs(lib, b));
        QVERIFY2(index.exitCode == 1, qPrintable(describe(index)));
        QVERIFY2(index.err.contains(expected), qPrintable(describe(index)));
        QVERIFY2(index.err.contains(QFile::encodeName(lib)), qPrintable(describe(index)));
        // Searching a read-only library works, over an index rebuilt in memory.
        const Run search = cli(searchArgs(lib, 5));
        QVERIFY2(search.exitCode == 0, qPrintable(describe(search)));
        QCOMPARE(resultPaths(search).size(), 5);
        QCOMPARE(resultPaths(search), resultPaths(good));
        QVERIFY2(search.err.contains("rebuilding it from the catalog") &&
                     search.err.contains("stays in memory") && search.err.contains(expected),
                 qPrintable(describe(search)));
        QVERIFY(snapshot(lib) == before);
        QCOMPARE(readBytes(indexFile), kGarbage);
        // verify says the file is still bad, and why it was not replaced.
        const Run verify = cli({QStringLiteral("verify"), QStringLiteral("--library"), lib});
        QVERIFY2(verify.exitCode == 1, qPrintable(describe(verify)));
        QVERIFY2(verify.out.contains("index file") && verify.out.contains(expected),
                 qPrintable(describe(verify)));
    }

    // A damaged index file: the first search rebuilds it and saves it, `verify` is clean, and
    // later searches load it. While a writer holds the lock (an indexing run), a search does
    // not wait for it and does not write.
    void searchSavesTheRebuiltIndex()
    {
        QTemporaryDir tmp;
        const QString lib = tmp.filePath("library"), a = tmp.filePath("a");
        QVERIFY(writePhotos(a, 10, 1700));
        const Run first = cli(indexArgs(lib, a));
        QVERIFY2(first.exitCode == 0, qPrintable(describe(first)));
        const Run good = cli(searchArgs(lib, 4));
        QVERIFY2(good.exitCode == 0, qPrintable(describe(good)));
        QCOMPARE(resultPaths(good).size(), 4);
        const QString indexFile = lib + QStringLiteral("/index.faiss");

        writeBytes(indexFile, kGarbage);
        const Run repairing = cli(searchArgs(lib, 4));
        QVERIFY2(repairing.exitCode == 0, qPrintable(describe(repairing)));
        QCOMPARE(resultPaths(repairing), resultPaths(good));
        QVERIFY2(repairing.err.contains("rebuilding it from the catalog") &&
                     repairing.err.contains("saved the rebuilt index"),
                 qPrintable(describe(repairing)));
        QVERIFY(readBytes(indexFile) != kGarbage);
        const auto saved = fileId(indexFile);
        const Run verify = cli({QStringLiteral("verify"), QStringLiteral("--library"), lib});
        QVERIFY2(verify.exitCode == 0, qPrintable(describe(verify)));
        QVERIFY2(!verify.err.contains("rebuil"), qPrintable(describe(verify)));
        const Run again = cli(searchArgs(lib, 4));
        QVERIFY2(again.exitCode == 0, qPrintable(describe(again)));
        QVERIFY2(!again.err.contains("rebuil"), qPrintable(describe(again)));
        QCOMPARE(resultPaths(again), resultPaths(good));
        QVERIFY(fileId(indexFile) == saved);

        // A writer at work: this process holds writer.lock, as `imago-cli index` would.
        {
            const auto writer = openLibrary(lib);
            writeBytes(indexFile, kGarbage);
            const Run beside = cli(searchArgs(lib, 4)); // a wait would run into the timeout
            QVERIFY2(beside.exitCode == 0, qPrintable(describe(beside)));
            QCOMPARE(resultPaths(beside), resultPaths(good));
            QVERIFY2(beside.err.contains("open for writing by another process"),
                     qPrintable(describe(beside)));
            QCOMPARE(readBytes(indexFile), kGarbage);
            QVERIFY(QDir(lib).entryList({QStringLiteral("*.tmp")}, QDir::Files).isEmpty());
        }
        // The writer is gone: the next reader saves it (verify this time, and says so).
        const Run repair = cli({QStringLiteral("verify"), QStringLiteral("--library"), lib});
        QVERIFY2(repair.exitCode == 0, qPrintable(describe(repair)));
        QVERIFY2(repair.err.contains("rebuilt from the catalog and saved"),
                 qPrintable(describe(repair)));
        QVERIFY(readBytes(indexFile) != kGarbage);
        auto reader = openLibrary(lib);
        QCOMPARE(reader->status().index.state, QStringLiteral("loaded"));
    }

    void searchAnotherUsersLibrary()
    {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
        QSKIP("the sanitizer's report folder is not writable by the other user");
#endif
        if (::geteuid() != 0)
            QSKIP("needs root to run the search as another user");
        // A library folder this user may read but not write (another account's, a share):
        // SQLite cannot create the WAL's -shm file there; search must still work.
        QTemporaryDir tmp;
        const QString lib = tmp.filePath("library"), a = tmp.filePath("a");
        QVERIFY(writePhotos(a, 8, 1300));
        const Run first = cli(indexArgs(lib, a));
        QVERIFY2(first.exitCode == 0, qPrintable(describe(first)));
        const Run good = cli(searchArgs(lib, 3));
        QVERIFY2(good.exitCode == 0, qPrintable(describe(good)));
        // ... whose index file is damaged: rebuilt in memory, and the file left as it is.
        const QString indexFile = lib + QStringLiteral("/index.faiss");
        writeBytes(indexFile, kGarbage);
        const auto readable =
            QFileDevice::ReadOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther;
        const auto listable =
            readable | QFileDevice::ExeOwner | QFileDevice::ExeGroup | QFileDevice::ExeOther;
        QVERIFY(QFile::setPermissions(tmp.path(), listable));
        for (const QFileInfo &f : QDir(lib).entryInfoList(QDir::Files))
            QVERIFY(QFile::setPermissions(f.absoluteFilePath(), readable));
        QVERIFY(QFile::setPermissions(lib, listable));
        const Run search = test::runProgram(QStringLiteral(IMAGO_CLI), searchArgs(lib, 3),
                                            QProcessEnvironment::systemEnvironment(), [] {
                                                // nobody:nogroup
                                                if (::setgid(65534) != 0 || ::setuid(65534) != 0)
                                                    ::_exit(99);
                                            });
        QFile::setPermissions(tmp.path(), listable | QFileDevice::WriteOwner);
        QFile::setPermissions(lib, listable | QFileDevice::WriteOwner);
        QVERIFY2(search.exitCode == 0, qPrintable(describe(search)));
        QCOMPARE(resultPaths(search).size(), 3);
        QCOMPARE(resultPaths(search), resultPaths(good));
        QVERIFY2(search.err.contains("not writable"), qPrintable(describe(search)));
        QCOMPARE(readBytes(indexFile), kGarbage);
    }

    void photoDeletedOrTruncatedBetweenScanAndDecode()
    {
        QTemporaryDir tmp;
        const QString root = tmp.filePath("photos");
        QVERIFY(writePhotos(root, 12, 700));
        auto lib = openLibrary(tmp.filePath("library"));
        const QString gone = root + "/p003.jpg", cut = root + "/p005.jpg",
                      empty = root + "/p007.jpg";
        IndexingOptions o;
        IndexingRun *self = nullptr;
        bool changed = false;
        o.onScanFinished = [&] {
            // The scanner has listed every file; no decoder has started (paused).
            QFile f(cut), e(empty);
            // The JPEG header survives in `cut`, the image data does not.
            changed = QFile::remove(gone) && f.resize(200) && e.resize(0);
            self->resume();
        };
        IndexingRun run(*lib, session, o);
        self = &run;
        run.pause();
        const IndexingSummary s = run.run({root});
        QVERIFY(changed);
        QCOMPARE(s.indexed, 9);
        QCOMPARE(s.rejected, 2);
        QCOMPARE(s.failures.size(), std::size_t(2));
        for (const auto &f : s.failures) {
            QVERIFY2(f.path == cut || f.path == empty, qPrintable(f.path));
            QVERIFY2(!f.reason.isEmpty(), qPrintable(f.path));
        }
        QVERIFY(!lib->photo(gone) || lib->photo(gone)->status != PhotoStatus::Indexed);
        QCOMPARE(lib->photo(cut)->status, PhotoStatus::Rejected);
        QVERIFY(lib->verify().isEmpty());
    }

    void rootRenamedMidRun()
    {
        QTemporaryDir tmp;
        const QString root = tmp.filePath("photos"), away = tmp.filePath("photos-away");
        QVERIFY(writePhotos(root, 10, 800));
        auto lib = openLibrary(tmp.filePath("library"));
        QCOMPARE(IndexingRun(*lib, session).run({root}).indexed, 10);
        const auto before = snapshot(lib->directory());
        QVERIFY(writePhotos(root + "/more", 10, 900));

        IndexingOptions o;
        IndexingRun *self = nullptr;
        bool renamed = false;
        o.onScanFinished = [&] {
            renamed = QDir().rename(root, away); // as when a share is remounted elsewhere
            self->resume();
        };
        {
            IndexingRun run(*lib, session, o);
            self = &run;
            run.pause();
            const IndexingSummary s = run.run({root});
            QVERIFY(renamed);
            QCOMPARE(s.offlineRoots, QStringList{root});
            QCOMPARE(s.indexed, 0);
            QCOMPARE(s.missing, 0);
            QCOMPARE(s.rejected, 0);
        }
        QVERIFY(snapshot(lib->directory()) == before); // nothing marked missing, nothing added
        QVERIFY(QDir().rename(away, root));
        const IndexingSummary back = IndexingRun(*lib, session).run({root});
        QCOMPARE(back.indexed, 10);
        QCOMPARE(back.unchanged, 10);
        const auto after = snapshot(lib->directory());
        for (const auto &[path, row] : before)
            QVERIFY2(after.at(path) == row, qPrintable(path));
        QVERIFY(lib->verify().isEmpty());
    }

    void rootUnmountedMidRun()
    {
        if (!g_privateMounts)
            QSKIP("needs a private mount namespace (root) to mount and unmount a tmpfs");
        QTemporaryDir tmp;
        const QString root = tmp.filePath("drive");
        QVERIFY(QDir().mkpath(root));
        const QByteArray where = QFile::encodeName(root);
        QVERIFY(mountTmpfs(root, 32 << 20));
        auto unmount = qScopeGuard([&] { ::umount2(where.constData(), MNT_DETACH); });
        QVERIFY(writePhotos(root, 10, 1000));
        auto lib = openLibrary(tmp.filePath("library"));
        QCOMPARE(IndexingRun(*lib, session).run({root}).indexed, 10);
        const auto before = snapshot(lib->directory());
        QVERIFY(writePhotos(root + "/more", 10, 1100));

        IndexingOptions o;
        IndexingRun *self = nullptr;
        bool pulled = false;
        o.onScanFinished = [&] {
            pulled = ::umount2(where.constData(), MNT_DETACH) == 0; // the drive is pulled
            self->resume();
        };
        {
            IndexingRun run(*lib, session, o);
            self = &run;
            run.pause();
            const IndexingSummary s = run.run({root});
            QVERIFY(pulled);
            QCOMPARE(s.offlineRoots, QStringList{root});
            QCOMPARE(s.indexed, 0);
            QCOMPARE(s.missing, 0);
        }
        QVERIFY(snapshot(lib->directory()) == before);
        // A run while the drive is away: its photos are kept (marked missing, vectors kept).
        const IndexingSummary away = IndexingRun(*lib, session).run({root});
        QCOMPARE(away.offlineRoots, QStringList{root});
        QCOMPARE(away.indexed, 0);
        for (const auto &[path, row] : snapshot(lib->directory())) {
            QCOMPARE(row.status, QStringLiteral("missing"));
            QCOMPARE(row.vector, before.at(path).vector);
        }
        // The drive is back with the same photos: nothing is embedded again but the new ones.
        QVERIFY(mountTmpfs(root, 32 << 20));
        QVERIFY(writePhotos(root, 10, 1000) && writePhotos(root + "/more", 10, 1100));
        const IndexingSummary back = IndexingRun(*lib, session).run({root});
        QVERIFY(back.offlineRoots.isEmpty());
        QCOMPARE(back.indexed, 10);
        QCOMPARE(back.unchanged, 10);
        const auto after = snapshot(lib->directory());
        QCOMPARE(int(after.size()), 20);
        for (const auto &[path, row] : before)
            QVERIFY2(after.at(path).vector == row.vector && after.at(path).status == "indexed",
                     qPrintable(path));
        QVERIFY(lib->verify().isEmpty());
    }
};

int main(int argc, char **argv)
{
    // Before any thread exists (unshare(CLONE_NEWNS) needs a single-threaded caller): a private
    // mount namespace whose mounts nobody else sees. Needs CAP_SYS_ADMIN; without it the
    // mount-dependent cases skip.
    if (::unshare(CLONE_NEWNS) == 0 &&
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0)
        g_privateMounts = true;
    QCoreApplication app(argc, argv);
    tst_Faults test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_faults.moc"
