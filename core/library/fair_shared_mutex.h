// fair_shared_mutex.h - PRIVATE to core/library: the vector index's readers-writer lock.
#pragma once

#include <mutex>
#include <shared_mutex>

namespace imago {

// A readers-writer lock that does not starve writers: glibc's rwlock (behind std::shared_mutex)
// prefers readers, so a steady stream of searches kept add() waiting forever. A writer holds
// the turnstile while it waits, so readers arriving after it queue behind it.
class FairSharedMutex
{
public:
    void lock()
    {
        m_turnstile.lock();
        m_rw.lock();
    }
    void unlock()
    {
        m_rw.unlock();
        m_turnstile.unlock();
    }
    void lock_shared()
    {
        std::lock_guard gate(m_turnstile);
        m_rw.lock_shared();
    }
    void unlock_shared() { m_rw.unlock_shared(); }

private:
    std::mutex m_turnstile;
    std::shared_mutex m_rw;
};

} // namespace imago
