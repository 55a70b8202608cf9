// FolderWatcher on real folders: new files and new subfolders are noticed, the watch budget
// is respected (the rest falls back to a periodic rescan), offline roots are rescanned.
#include "folder_watcher.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace imago;

namespace {
void touch(const QString &path)
{
    QFile f(path);
    if (f.open(QIODevice::WriteOnly))
        f.write("x");
}
} // namespace

class tst_FolderWatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void noticesNewFilesAndFolders()
    {
        QTemporaryDir dir;
        FolderWatcher w;
        w.setDebounce(50);
        w.watch({dir.path()});
        QCOMPARE(w.watchedFolders(), 1);
        QVERIFY(!w.rescansPeriodically(dir.path()));
        QSignalSpy spy(&w, &FolderWatcher::changed);
        touch(dir.path() + "/a.jpg");
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 1, 5000);
        QCOMPARE(spy.at(0).at(0).toStringList(), QStringList{QDir::cleanPath(dir.path())});

        QVERIFY(QDir(dir.path()).mkdir("album"));
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 2, 5000);
        QCOMPARE(w.watchedFolders(), 2); // the new folder is watched too
        touch(dir.path() + "/album/b.jpg");
        QTRY_COMPARE_WITH_TIMEOUT(spy.count(), 3, 5000);
    }

    void budgetFallsBackToRescan()
    {
        QTemporaryDir dir;
        for (int i = 0; i < 10; ++i)
            QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("d%1/e").arg(i)));
        FolderWatcher w;
        w.setWatchBudget(4);
        w.setRescanInterval(100);
        w.watch({dir.path()});
        QCOMPARE(w.watchedFolders(), 4);
        QVERIFY(w.rescansPeriodically(QDir::cleanPath(dir.path())));
        QSignalSpy spy(&w, &FolderWatcher::changed);
        QTRY_VERIFY_WITH_TIMEOUT(spy.count() >= 1, 5000);
    }

    void offlineRootIsRescanned()
    {
        FolderWatcher w;
        w.setRescanInterval(100);
        w.watch({QStringLiteral("/nonexistent/usb-drive/photos")});
        QCOMPARE(w.watchedFolders(), 0);
        QVERIFY(w.rescansPeriodically(QStringLiteral("/nonexistent/usb-drive/photos")));
        QSignalSpy spy(&w, &FolderWatcher::changed);
        QTRY_VERIFY_WITH_TIMEOUT(spy.count() >= 1, 5000);
    }

    void networkFileSystems()
    {
        QVERIFY(FolderWatcher::isNetworkFileSystem("nfs4"));
        QVERIFY(FolderWatcher::isNetworkFileSystem("cifs"));
        QVERIFY(FolderWatcher::isNetworkFileSystem("fuse.sshfs"));
        QVERIFY(!FolderWatcher::isNetworkFileSystem("ext4"));
        QVERIFY(!FolderWatcher::isNetworkFileSystem("btrfs"));
    }
};

QTEST_GUILESS_MAIN(tst_FolderWatcher)
#include "tst_folderwatcher.moc"
