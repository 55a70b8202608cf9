// The plugin's CPU allocator for LibTorch (core/model/large_block_allocator.h): large tensors
// come from 2 MB-aligned mappings and their blocks are reused; small ones and tensors made
// before it was installed are freed as before; the kept blocks stay under their cap.
#include "large_block_allocator.h"

#include <ATen/ATen.h>
#include <c10/core/CPUAllocator.h>

#include <QtTest>

#include <cstdint>
#include <vector>

using namespace imago::flava;

namespace {

bool hugeAligned(const at::Tensor &t)
{
    return reinterpret_cast<std::uintptr_t>(t.data_ptr()) % (std::uintptr_t(2) << 20) == 0;
}

} // namespace

class TestLargeBlockAllocator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        m_before = at::arange(1 << 20, at::kFloat); // 4 MB, from LibTorch's own allocator
        installLargeBlockAllocator();
        installLargeBlockAllocator(); // once is enough; a second call changes nothing
    }

    void largeBlocksAreAlignedAndReused()
    {
        releaseKeptLargeBlocks();
        const LargeBlockStats start = largeBlockStats();
        void *first = nullptr;
        {
            auto t = at::empty({3 << 18}, at::kFloat); // 3 MB -> one 4 MB block
            QVERIFY(hugeAligned(t));
            t.fill_(2.5f);
            QCOMPARE(t.sum().item<double>(), 2.5 * (3 << 18));
            first = t.data_ptr();
            const LargeBlockStats s = largeBlockStats();
            QCOMPARE(s.mappings, start.mappings + 1);
            QCOMPARE(s.mapped, start.mapped + (std::size_t(4) << 20));
        }
        QCOMPARE(largeBlockStats().kept, std::size_t(4) << 20);
        {
            auto again = at::empty({(3 << 18) + 100}, at::kFloat); // same 4 MB block size
            QCOMPARE(again.data_ptr(), first);
            QCOMPARE(largeBlockStats().reuses, start.reuses + 1);
            QCOMPARE(largeBlockStats().kept, std::size_t(0));
            auto other = at::empty({1 << 20}, at::kFloat); // 4 MB too, but the one kept is taken
            QVERIFY(other.data_ptr() != first);
            QVERIFY(hugeAligned(other));
        }
        releaseKeptLargeBlocks();
        QCOMPARE(largeBlockStats().kept, std::size_t(0));
        QCOMPARE(largeBlockStats().mapped, start.mapped);
    }

    void smallTensorsStayOutOfThePool()
    {
        const LargeBlockStats start = largeBlockStats();
        for (int i = 0; i < 100; ++i) {
            auto t = at::ones({1000}, at::kFloat);
            QCOMPARE(reinterpret_cast<std::uintptr_t>(t.data_ptr()) % 64, std::uintptr_t(0));
            QCOMPARE(t.sum().item<float>(), 1000.0f);
        }
        const LargeBlockStats end = largeBlockStats();
        QCOMPARE(end.mappings, start.mappings);
        QCOMPARE(end.mapped, start.mapped);
    }

    void rawInterfaceRoundTrips()
    {
        c10::Allocator *a = c10::GetCPUAllocator();
        QVERIFY(a->raw_deleter() != nullptr);
        for (std::size_t bytes : {std::size_t(100), std::size_t(5) << 20}) {
            void *p = a->raw_allocate(bytes);
            QVERIFY(p);
            static_cast<char *>(p)[bytes - 1] = 1;
            a->raw_deallocate(p);
        }
    }

    void keptBlocksStayUnderTheCap()
    {
        releaseKeptLargeBlocks();
        {
            std::vector<at::Tensor> many;
            for (int i = 0; i < 40; ++i) // 40 x 16 MB = 640 MB, above the 512 MB cap
                many.push_back(at::empty({4 << 20}, at::kFloat));
        }
        const LargeBlockStats s = largeBlockStats();
        QVERIFY(s.kept <= kKeptBlockBytes);
        QVERIFY(s.kept >= kKeptBlockBytes - (std::size_t(16) << 20));
        releaseKeptLargeBlocks();
    }

    void tensorsFromBeforeAreFreedAsBefore()
    {
        QCOMPARE(m_before[12345].item<float>(), 12345.0f);
        m_before = at::Tensor(); // LibTorch's own deleter, not the pool's
        QCOMPARE(largeBlockStats().kept, std::size_t(0));
    }

    void computesAsBefore()
    {
        // A product large enough for its operands and result to be large blocks.
        at::manual_seed(7);
        const auto a = at::randn({1024, 768}, at::TensorOptions().dtype(at::kFloat));
        const auto b = at::randn({768, 768}, at::TensorOptions().dtype(at::kFloat));
        const auto c = at::matmul(a, b);
        QVERIFY(hugeAligned(c));
        const auto ref = at::matmul(a.to(at::kDouble), b.to(at::kDouble));
        QVERIFY((c.to(at::kDouble) - ref).abs().max().item<double>() < 1e-3);
    }

private:
    at::Tensor m_before;
};

QTEST_GUILESS_MAIN(TestLargeBlockAllocator)
#include "tst_largeblockallocator.moc"
