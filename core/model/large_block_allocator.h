// large_block_allocator.h - LibTorch's CPU allocator inside the plugin: large tensors in huge
// pages, kept for reuse.
//
// Why: a FLAVA forward pass allocates and frees blocks of megabytes per layer (a rerank of 20
// photos: 50 MB for each MLP intermediate), and loading a part writes hundreds of MB of new
// weights. With glibc's malloc each such block is fresh anonymous memory that faults in 4 KB at
// a time; on a virtual machine a fault costs microseconds, and a cold `search --rerank 20`
// took 321,000 of them (about 1.6 s of CPU). Here blocks of 1 MB and more come from 2 MB-aligned
// mappings the kernel may back with transparent huge pages (MADV_HUGEPAGE: one fault per 2 MB),
// and freed ones are kept, by size, for the next layer (up to a cap, then unmapped). Smaller
// blocks go to malloc as LibTorch's own allocator does. (It replaces raising glibc's mmap
// threshold, which kept activations in the heap but still faulted every new page in.)
//
// Thread-safe. Internal to the plugin (imago_flava_torch) and its tests.
#pragma once

#include <cstddef>

namespace imago::flava {

struct LargeBlockStats
{
    std::size_t mapped = 0;   // bytes of large blocks mapped (in use or kept)
    std::size_t kept = 0;     // of which free, kept for reuse
    std::size_t reuses = 0;   // large allocations served from kept blocks
    std::size_t mappings = 0; // large allocations that mapped new memory
};

// Makes the allocator LibTorch's CPU allocator (once; later calls do nothing). Tensors
// allocated before keep their own deleter and are freed as before.
void installLargeBlockAllocator();

// Blocks of `bytes` or more are large (rounded up to whole 2 MB pages).
inline constexpr std::size_t kLargeBlockBytes = std::size_t(1) << 20;
// Free large blocks kept for reuse, at most.
inline constexpr std::size_t kKeptBlockBytes = std::size_t(512) << 20;

// Unmaps the kept blocks: after a step whose freed blocks will not be asked for again (the
// fp32 weights a part is converted from).
void releaseKeptLargeBlocks();

LargeBlockStats largeBlockStats();

} // namespace imago::flava
