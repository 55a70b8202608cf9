// writer_lock.h - the one-writer-per-library lock: writer.lock in the library folder, taken by
// every process (and every Library object) that writes the folder.
//
// A read-write Library holds it for as long as it is open (an indexing run: hours). A read-only
// Library that rebuilt a bad index file takes it only for the moment it replaces the file, and
// never waits for it.
//
// The lock is the kernel's (an open-file-description lock on writer.lock, F_OFD_SETLK; flock()
// where the file system has no OFD locks), so it ends with its holder however the holder ends:
// a crash, SIGKILL, an OOM kill, a Slurm job requeued onto another node, a container restarted
// with the same pid. Nothing is ever judged stale by pid or host name, so a live run is never
// broken into and a dead one never blocks the next. On NFS the server releases a dead client's
// locks when its lease expires (about 90 s). The file stays (removing a lock file races with
// the next process opening it) and holds who has it - "pid\napp\nhost\n", as QLockFile wrote it,
// so holder() also reads files left by older versions - for messages.
//
// Threading: an object belongs to one thread; several objects (in one process or several) may
// exist for one folder, and at most one of them holds the lock.
#pragma once

#include <QString>

namespace imago {

class WriterLock
{
public:
    explicit WriterLock(const QString &libraryDir);
    ~WriterLock(); // releases the lock when held
    WriterLock(const WriterLock &) = delete;
    WriterLock &operator=(const WriterLock &) = delete;

    static QString fileName() { return QStringLiteral("writer.lock"); }

    // Why this process may not write in `dir` (a read-only file system, no write permission:
    // another user's folder), in words; empty when it may.
    static QString whyNotWritable(const QString &dir);

    // Takes the lock without waiting. false: another process or WriterLock holds it (holder()),
    // or the lock file cannot be opened.
    bool tryLock();
    void unlock();
    bool isLocked() const { return m_locked; }
    // Who holds the lock, for messages: "imago-cli, pid 1234 on host".
    QString holder() const;

private:
    QString m_path;
    int m_fd = -1;
    bool m_locked = false;
};

} // namespace imago
