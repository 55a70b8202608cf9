// folder_watcher.h - notices new, changed and deleted photos in the library's folders.
//
// Local folders are watched with QFileSystemWatcher (inotify on Linux), one watch per folder,
// up to a budget (default 2048 folders across all roots) so a huge tree cannot exhaust the
// user's inotify watches or memory; past the budget, and on network file systems (NFS, SMB/CIFS,
// sshfs and other FUSE mounts, where change notification does not work), a periodic rescan
// stands in. Changes are debounced and reported per root: the caller runs an incremental
// IndexingRun over it, which only touches what really changed.
//
// Threading: a QObject living on the thread that created it (the GUI thread); signals are
// emitted there.
#pragma once

#include <QObject>
#include <QSet>
#include <QStringList>

class QFileSystemWatcher;
class QTimer;

namespace imago {

class FolderWatcher : public QObject
{
    Q_OBJECT
public:
    explicit FolderWatcher(QObject *parent = nullptr);
    ~FolderWatcher() override;

    void setWatchBudget(int folders) { m_budget = folders; }
    void setRescanInterval(int msecs); // periodic rescan of roots not fully watched (default 10 min)
    void setDebounce(int msecs) { m_debounceMs = msecs; }

    // Replaces the watched roots.
    void watch(const QStringList &roots);
    QStringList roots() const { return m_roots; }
    int watchedFolders() const;
    // True when `root` relies on the periodic rescan (over budget or a network file system).
    bool rescansPeriodically(const QString &root) const { return m_periodic.contains(root); }

    static bool isNetworkFileSystem(const QByteArray &type);

Q_SIGNALS:
    // These roots may hold new, changed or deleted photos.
    void changed(const QStringList &roots);

private:
    void addTree(const QString &root, const QString &dir);
    void onDirectoryChanged(const QString &dir);
    void flush();
    QString rootOf(const QString &dir) const;

    QFileSystemWatcher *m_watcher;
    QTimer *m_debounce, *m_rescan;
    QStringList m_roots;
    QSet<QString> m_periodic, m_pending;
    int m_budget = 2048;
    int m_debounceMs = 2000;
};

} // namespace imago
