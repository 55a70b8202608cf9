// writer_lock.h - the one-writer-per-library lock: writer.lock in the library folder, taken by
// every process (and every Library object) that writes the folder.
//
// A read-write Library holds it for as long as it is open (an indexing run: hours). A read-only
// Library that rebuilt a bad index file takes it only for the moment it replaces the file, and
// never waits for it. Only a dead owner makes the lock stale (QLockFile with stale time 0), so a
// long run keeps it; a lock left by a crashed process on this host is taken over.
//
// Threading: an object belongs to one thread; several objects (in one process or several) may
// exist for one folder, and at most one of them holds the lock.
#pragma once

#include <QString>

#include <memory>

class QLockFile;

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

    // Takes the lock without waiting. false: another process or Library holds it (holder()).
    bool tryLock();
    void unlock();
    // Who holds the lock, for messages: "imago-cli, pid 1234 on host".
    QString holder() const;

private:
    std::unique_ptr<QLockFile> m_file;
};

} // namespace imago
