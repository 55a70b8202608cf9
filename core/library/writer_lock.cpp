#include "writer_lock.h"

#include <QDir>
#include <QFile>
#include <QLockFile>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace imago {

WriterLock::WriterLock(const QString &libraryDir)
    : m_file(std::make_unique<QLockFile>(QDir(libraryDir).filePath(fileName())))
{
    // Only a dead owner makes a lock stale: a long indexing run must keep it.
    m_file->setStaleLockTime(0);
}

WriterLock::~WriterLock() = default; // QLockFile unlocks on destruction

QString WriterLock::whyNotWritable(const QString &dir)
{
    if (::access(QFile::encodeName(dir).constData(), W_OK) == 0)
        return {};
    const int err = errno;
    if (err == EROFS)
        return QStringLiteral("the library folder is on a read-only file system");
    return QStringLiteral("the library folder is not writable (%1)")
        .arg(QString::fromLocal8Bit(std::strerror(err)));
}

bool WriterLock::tryLock()
{
    return m_file->tryLock(0);
}

void WriterLock::unlock()
{
    m_file->unlock();
}

QString WriterLock::holder() const
{
    qint64 pid = 0;
    QString host, app;
    m_file->getLockInfo(&pid, &host, &app);
    return QStringLiteral("%1, pid %2 on %3")
        .arg(app.isEmpty() ? QStringLiteral("?") : app)
        .arg(pid)
        .arg(host);
}

} // namespace imago
