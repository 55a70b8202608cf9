#include "folder_watcher.h"

#include "scanner.h"

#include <QDir>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QStorageInfo>
#include <QTimer>

namespace imago {

FolderWatcher::FolderWatcher(QObject *parent)
    : QObject(parent), m_watcher(new QFileSystemWatcher(this)), m_debounce(new QTimer(this)),
      m_rescan(new QTimer(this))
{
    m_debounce->setSingleShot(true);
    connect(m_debounce, &QTimer::timeout, this, &FolderWatcher::flush);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this,
            &FolderWatcher::onDirectoryChanged);
    m_rescan->setInterval(10 * 60 * 1000);
    connect(m_rescan, &QTimer::timeout, this, [this] {
        if (!m_periodic.isEmpty())
            Q_EMIT changed(QStringList(m_periodic.begin(), m_periodic.end()));
    });
}

FolderWatcher::~FolderWatcher() = default;

void FolderWatcher::setRescanInterval(int msecs)
{
    m_rescan->setInterval(msecs);
}

bool FolderWatcher::isNetworkFileSystem(const QByteArray &type)
{
    static const QByteArrayList network = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs",
                                           "9p", "afs", "ceph", "glusterfs", "davfs",
                                           "fuse.rclone"};
    return network.contains(type) || type.startsWith("fuse.");
}

int FolderWatcher::watchedFolders() const
{
    return int(m_watcher->directories().size());
}

void FolderWatcher::watch(const QStringList &roots)
{
    if (!m_watcher->directories().isEmpty())
        m_watcher->removePaths(m_watcher->directories());
    m_roots.clear();
    m_periodic.clear();
    for (const QString &r : roots)
        m_roots << QDir::cleanPath(QFileInfo(r).absoluteFilePath());
    for (const QString &root : std::as_const(m_roots)) {
        if (!QFileInfo(root).isDir())
            continue; // offline: nothing to watch; the periodic rescan notices its return
        if (isNetworkFileSystem(QStorageInfo(root).fileSystemType())) {
            m_periodic.insert(root);
            continue;
        }
        addTree(root, root);
    }
    // Offline roots are rescanned too, so a reconnected drive is picked up.
    for (const QString &root : std::as_const(m_roots))
        if (!QFileInfo(root).isDir())
            m_periodic.insert(root);
    if (m_periodic.isEmpty())
        m_rescan->stop();
    else
        m_rescan->start();
}

void FolderWatcher::addTree(const QString &root, const QString &dir)
{
    // Breadth-first, so a budget cut keeps the top of the tree (where new albums appear).
    QStringList queue{dir};
    while (!queue.isEmpty()) {
        const QString d = queue.takeFirst();
        if (watchedFolders() >= m_budget) {
            m_periodic.insert(root);
            return;
        }
        m_watcher->addPath(d);
        const auto subdirs = QDir(d).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks,
                                                   QDir::Name);
        for (const QFileInfo &fi : subdirs)
            if (!Scanner::isSkippedFolder(fi.fileName()))
                queue << QDir::cleanPath(fi.absoluteFilePath());
    }
}

QString FolderWatcher::rootOf(const QString &dir) const
{
    QString best;
    for (const QString &r : m_roots)
        if ((dir == r || dir.startsWith(r + QLatin1Char('/'))) && r.size() > best.size())
            best = r;
    return best;
}

void FolderWatcher::onDirectoryChanged(const QString &dir)
{
    const QString root = rootOf(dir);
    if (root.isEmpty())
        return;
    // New subfolders need watches of their own.
    if (QFileInfo(dir).isDir() && !m_periodic.contains(root)) {
        const QStringList watched = m_watcher->directories();
        const auto subdirs = QDir(dir).entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks);
        for (const QFileInfo &fi : subdirs) {
            const QString path = QDir::cleanPath(fi.absoluteFilePath());
            if (!watched.contains(path) && !Scanner::isSkippedFolder(fi.fileName()))
                addTree(root, path);
        }
    }
    m_pending.insert(root);
    m_debounce->start(m_debounceMs);
}

void FolderWatcher::flush()
{
    if (m_pending.isEmpty())
        return;
    const QStringList roots(m_pending.begin(), m_pending.end());
    m_pending.clear();
    Q_EMIT changed(roots);
}

} // namespace imago
