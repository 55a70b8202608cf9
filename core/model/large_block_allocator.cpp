#include "large_block_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <list>
#include <mutex>
#include <new>
#include <unordered_map>
#include <utility>

namespace imago::flava {

namespace {

constexpr std::size_t kHugePage = std::size_t(2) << 20;
constexpr std::size_t kSmallAlignment = 64; // as LibTorch's own CPU allocator

// A 2 MB-aligned anonymous mapping of `bytes` (a multiple of kHugePage), or nullptr.
void *mapAligned(std::size_t bytes)
{
    const std::size_t span = bytes + kHugePage;
    void *raw = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return nullptr;
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const auto aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
    if (aligned > start)
        ::munmap(raw, aligned - start);
    if (const std::size_t tail = start + span - (aligned + bytes); tail > 0)
        ::munmap(reinterpret_cast<void *>(aligned + bytes), tail);
    void *p = reinterpret_cast<void *>(aligned);
    ::madvise(p, bytes, MADV_HUGEPAGE); // a hint: without THP it stays 4 KB pages
    return p;
}

class Pool
{
public:
    void *take(std::size_t bytes)
    {
        {
            const std::lock_guard lock(m_mutex);
            for (auto it = m_kept.begin(); it != m_kept.end(); ++it) {
                if (it->second != bytes)
                    continue;
                void *p = it->first;
                m_kept.erase(it);
                m_stats.kept -= bytes;
                ++m_stats.reuses;
                m_live.emplace(p, bytes);
                return p;
            }
        }
        void *p = mapAligned(bytes);
        if (!p)
            return nullptr;
        const std::lock_guard lock(m_mutex);
        m_live.emplace(p, bytes);
        m_stats.mapped += bytes;
        ++m_stats.mappings;
        return p;
    }

    // False when `p` is not a large block (it came from malloc).
    bool give(void *p)
    {
        std::list<std::pair<void *, std::size_t>> evicted;
        {
            const std::lock_guard lock(m_mutex);
            const auto it = m_live.find(p);
            if (it == m_live.end())
                return false;
            const std::size_t bytes = it->second;
            m_live.erase(it);
            m_kept.emplace_front(p, bytes); // newest first; evicted from the back
            m_stats.kept += bytes;
            while (m_stats.kept > kKeptBlockBytes) {
                evicted.splice(evicted.end(), m_kept, std::prev(m_kept.end()));
                m_stats.kept -= evicted.back().second;
                m_stats.mapped -= evicted.back().second;
            }
        }
        for (const auto &[q, bytes] : evicted)
            ::munmap(q, bytes);
        return true;
    }

    void release()
    {
        std::list<std::pair<void *, std::size_t>> evicted;
        {
            const std::lock_guard lock(m_mutex);
            evicted.swap(m_kept);
            m_stats.mapped -= m_stats.kept;
            m_stats.kept = 0;
        }
        for (const auto &[q, bytes] : evicted)
            ::munmap(q, bytes);
    }

    LargeBlockStats stats()
    {
        const std::lock_guard lock(m_mutex);
        return m_stats;
    }

private:
    std::mutex m_mutex;
    std::unordered_map<void *, std::size_t> m_live;
    std::list<std::pair<void *, std::size_t>> m_kept;
    LargeBlockStats m_stats;
};

Pool &pool()
{
    static auto *p = new Pool; // never destroyed: tensors may outlive static destruction
    return *p;
}

void release(void *p)
{
    if (p && !pool().give(p))
        std::free(p);
}

class LargeBlockAllocator final : public c10::Allocator
{
public:
    c10::DataPtr allocate(std::size_t n) const override
    {
        void *p = nullptr;
        if (n >= kLargeBlockBytes) {
            p = pool().take((n + kHugePage - 1) & ~(kHugePage - 1));
        } else if (posix_memalign(&p, kSmallAlignment, n > 0 ? n : 1) != 0) {
            p = nullptr;
        }
        if (!p)
            throw std::bad_alloc();
        return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
    }

    c10::DeleterFnPtr raw_deleter() const override { return &release; }
};

} // namespace

void installLargeBlockAllocator()
{
    static std::once_flag once;
    std::call_once(once, [] {
        static LargeBlockAllocator allocator;
        c10::SetCPUAllocator(&allocator, /*priority=*/1);
    });
}

void releaseKeptLargeBlocks()
{
    pool().release();
}

LargeBlockStats largeBlockStats()
{
    return pool().stats();
}

} // namespace imago::flava
