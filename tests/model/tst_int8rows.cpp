// Int8Rows (core/model/int8_rows.h): the int8 linear map of short text queries. Its integer
// sums are checked against sums computed here from the stored weights, its two kernels
// against each other bit for bit, and its result against the fp32 product.
#include "int8_rows.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

using imago::flava::Int8Rows;

namespace {

std::vector<float> randomValues(std::size_t n, std::uint32_t seed, float scale = 1.0f)
{
    std::mt19937 gen(seed);
    std::normal_distribution<float> dist(0.0f, scale);
    std::vector<float> v(n);
    for (auto &x : v)
        x = dist(gen);
    return v;
}

// Row r of x quantized the way the class documents: symmetric, max|x| / levels.
std::vector<int> quantizedRow(const float *x, std::int64_t in, int levelCount, float *scale)
{
    const float levels = float(levelCount);
    float amax = 0;
    for (std::int64_t i = 0; i < in; ++i)
        amax = std::max(amax, std::abs(x[i]));
    *scale = amax / levels;
    std::vector<int> q(std::size_t(in), 0);
    if (amax > 0)
        for (std::int64_t i = 0; i < in; ++i)
            q[std::size_t(i)] = int(std::nearbyint(x[i] * (levels / amax)));
    return q;
}

} // namespace

class TestInt8Rows : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchesIntegerSums_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("out");
        QTest::addColumn<int>("in");
        QTest::newRow("one row, round sizes") << 1 << 64 << 96;
        QTest::newRow("a query's 8 tokens") << 8 << 48 << 80;
        QTest::newRow("two tiles and one row, odd sizes") << 17 << 13 << 7;
        QTest::newRow("more columns than a pass") << 3 << 16 * 20 + 5 << 33;
        QTest::newRow("one block, few rows, odd pairs") << 2 << 16 << 31;
        QTest::newRow("query shapes") << 9 << 96 << 768;
        QTest::newRow("one input") << 5 << 9 << 1;
    }
    void matchesIntegerSums()
    {
        QFETCH(int, rows);
        QFETCH(int, out);
        QFETCH(int, in);
        const auto w = randomValues(std::size_t(out * in), 11, 0.05f);
        const auto b = randomValues(std::size_t(out), 12);
        const auto x = randomValues(std::size_t(rows * in), 13, 3.0f);
        const Int8Rows op(w.data(), out, in, b.data());
        QCOMPARE(op.outFeatures(), out);
        QCOMPARE(op.inFeatures(), in);

        std::vector<float> best(std::size_t(rows * out), -1.0f), portable = best, avx2 = best;
        op.apply(x.data(), rows, best.data());
        op.apply(x.data(), rows, portable.data(), {}, Int8Rows::Kernel::Portable);
        QVERIFY(best == portable); // same bits whichever kernel ran
        if (Int8Rows::hasKernel(Int8Rows::Kernel::Avx2)) {
            op.apply(x.data(), rows, avx2.data(), {}, Int8Rows::Kernel::Avx2);
            QVERIFY(avx2 == portable);
        }

        double maxErrorVsFloat = 0, maxAbs = 0;
        for (int r = 0; r < rows; ++r) {
            float sx = 0;
            const auto qx = quantizedRow(x.data() + r * in, in, op.activationLevels(), &sx);
            for (int o = 0; o < out; ++o) {
                // The stored weight is within half a step of w / scale.
                std::int64_t sum = 0;
                double exact = b[std::size_t(o)];
                for (int i = 0; i < in; ++i) {
                    const int qw = op.weight(o, i);
                    const float wv = w[std::size_t(o * in + i)];
                    QVERIFY(std::abs(qw) <= 127);
                    QVERIFY(std::abs(wv - qw * op.weightScale(o)) <=
                            0.5f * op.weightScale(o) + 1e-7f);
                    sum += std::int64_t(qw) * qx[std::size_t(i)];
                    exact += double(wv) * x[std::size_t(r * in + i)];
                }
                const float expected = float(sum) * (sx * op.weightScale(o)) + b[std::size_t(o)];
                const float got = best[std::size_t(r * out + o)];
                QVERIFY2(std::abs(got - expected) <= 1e-6f * (1.0f + std::abs(expected)),
                         qPrintable(QStringLiteral("row %1 column %2: %3, integer sums give %4")
                                        .arg(r)
                                        .arg(o)
                                        .arg(got)
                                        .arg(expected)));
                maxErrorVsFloat = std::max(maxErrorVsFloat, std::abs(got - exact));
                maxAbs = std::max(maxAbs, std::abs(exact));
            }
        }
        // The levels keep the largest possible sum inside int32.
        QVERIFY(std::int64_t(op.activationLevels()) * 127 * in <= 2147483647);
        QVERIFY(op.activationLevels() >= 127);
        // int8 weights: within a few per cent of the largest output.
        QVERIFY2(maxErrorVsFloat <= 0.05 * maxAbs,
                 qPrintable(QStringLiteral("%1 vs %2").arg(maxErrorVsFloat).arg(maxAbs)));
    }

    // A row's result does not depend on the rows beside it (per-row scales), nor on how the
    // columns are split over threads.
    void rowsAreIndependent()
    {
        const int out = 200, in = 150, rows = 11;
        const auto w = randomValues(std::size_t(out * in), 21, 0.1f);
        const auto x = randomValues(std::size_t(rows * in), 22);
        auto loud = x;
        for (int i = 0; i < in; ++i)
            loud[std::size_t(5 * in + i)] *= 1000.0f; // one row far larger than the others
        const Int8Rows op(w.data(), out, in, nullptr);
        std::vector<float> batch(std::size_t(rows * out));
        op.apply(loud.data(), rows, batch.data());
        std::vector<float> alone(static_cast<std::size_t>(out));
        for (int r : {0, 4, 6, 10}) {
            op.apply(loud.data() + r * in, 1, alone.data());
            QVERIFY(std::equal(alone.begin(), alone.end(), batch.begin() + r * out));
        }
        const Int8Rows::ParallelFor threads =
            [](std::int64_t blocks, const std::function<void(std::int64_t, std::int64_t)> &f) {
                std::thread other([&] { f(0, blocks / 3); });
                f(blocks / 3, blocks);
                other.join();
            };
        std::vector<float> split(batch.size());
        op.apply(loud.data(), rows, split.data(), threads);
        QVERIFY(split == batch);
    }

    void zeroRowGivesBias()
    {
        const int out = 10, in = 6;
        const auto w = randomValues(std::size_t(out * in), 31);
        const auto b = randomValues(std::size_t(out), 32);
        const Int8Rows op(w.data(), out, in, b.data());
        const std::vector<float> zeros(std::size_t(in), 0.0f);
        std::vector<float> y(static_cast<std::size_t>(out));
        op.apply(zeros.data(), 1, y.data());
        for (int o = 0; o < out; ++o)
            QCOMPARE(y[std::size_t(o)], b[std::size_t(o)]);
    }

    void nanInputGivesNan()
    {
        const int out = 8, in = 4;
        const auto w = randomValues(std::size_t(out * in), 41);
        const Int8Rows op(w.data(), out, in, nullptr);
        const std::vector<float> x = {1.0f, std::nanf(""), 2.0f, 3.0f};
        std::vector<float> y(static_cast<std::size_t>(out));
        op.apply(x.data(), 1, y.data());
        QVERIFY(std::all_of(y.begin(), y.end(), [](float v) { return std::isnan(v); }));
    }
};

QTEST_APPLESS_MAIN(TestInt8Rows)
#include "tst_int8rows.moc"
