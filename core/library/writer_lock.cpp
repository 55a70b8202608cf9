#include "writer_lock.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSysInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace imago {

namespace {

// F_OFD_SETLK on the whole file; flock() where OFD locks are not supported. Both belong to the
// open file description: two WriterLocks in one process exclude each other too.
bool lockFd(int fd)
{
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_OFD_SETLK, &fl) == 0)
        return true;
    if (errno == EINVAL)
        return ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    return false;
}

} // namespace

WriterLock::WriterLock(const QString &libraryDir) : m_path(QDir(libraryDir).filePath(fileName())) {}

WriterLock::~WriterLock()
{
    unlock();
}

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
    if (m_locked)
        return true;
    m_fd = ::open(QFile::encodeName(m_path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0)
        return false;
    if (!lockFd(m_fd)) {
        ::close(m_fd);
        m_fd = -1;
        return false;
    }
    m_locked = true;
    const QString program = QFileInfo(QCoreApplication::applicationFilePath()).fileName();
    const QString app = program.isEmpty() ? QStringLiteral("?") : program;
    const QByteArray who = QStringLiteral("%1\n%2\n%3\n")
                               .arg(::getpid())
                               .arg(app, QSysInfo::machineHostName())
                               .toUtf8();
    // Best effort: the lock holds whether or not its holder could be written down.
    if (::ftruncate(m_fd, 0) == 0 &&
        ::pwrite(m_fd, who.constData(), std::size_t(who.size()), 0) < 0)
        errno = 0;
    return true;
}

void WriterLock::unlock()
{
    if (m_fd < 0)
        return;
    if (m_locked && ::ftruncate(m_fd, 0) != 0)
        errno = 0; // nothing to do about it: the lock ends with the close below
    ::close(m_fd); // releases an OFD lock and a flock() alike
    m_fd = -1;
    m_locked = false;
}

QString WriterLock::holder() const
{
    QFile f(m_path);
    QStringList lines;
    if (f.open(QIODevice::ReadOnly))
        lines = QString::fromUtf8(f.read(4096)).split(QLatin1Char('\n'));
    const QString pid = lines.value(0).trimmed(), app = lines.value(1).trimmed(),
                  host = lines.value(2).trimmed();
    if (pid.isEmpty())
        return QStringLiteral("a process that did not say who it is");
    return QStringLiteral("%1, pid %2 on %3")
        .arg(app.isEmpty() ? QStringLiteral("?") : app, pid,
             host.isEmpty() ? QStringLiteral("?") : host);
}

} // namespace imago
