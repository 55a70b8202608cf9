// tst_vectorindex: the FAISS wrapper - exact search against brute force, add/replace/remove,
// filtered search, IVF recall against exact search, the file format (round trip, damage
// detection, atomic save, the committed version-1 fixture), concurrent searches.
#include "library_test_util.h"
#include "vector_index.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <numeric>
#include <thread>

using namespace imago;
using namespace imago::test;

namespace {

std::vector<SearchHit> bruteForce(const std::vector<float> &x, const std::vector<std::int64_t> &ids,
                                  std::span<const float> q, std::size_t k)
{
    const std::size_t dim = q.size();
    std::vector<SearchHit> all;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        float s = 0;
        for (std::size_t j = 0; j < dim; ++j)
            s += x[i * dim + j] * q[j];
        all.push_back({ids[i], s});
    }
    std::sort(all.begin(), all.end(),
              [](const SearchHit &a, const SearchHit &b) { return a.score > b.score; });
    all.resize(std::min(k, all.size()));
    return all;
}

std::vector<std::int64_t> idsOf(const std::vector<SearchHit> &hits)
{
    std::vector<std::int64_t> out;
    for (const auto &h : hits)
        out.push_back(h.id);
    return out;
}

std::vector<std::int64_t> sequence(std::size_t n, std::int64_t first)
{
    std::vector<std::int64_t> ids(n);
    std::iota(ids.begin(), ids.end(), first);
    return ids;
}

QByteArray readAllBytes(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

void writeAllBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(bytes), bytes.size());
}

std::filesystem::path fs(const QString &p)
{
    return std::filesystem::path(p.toStdString());
}

} // namespace

class tst_VectorIndex : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void flatMatchesBruteForce()
    {
        const std::size_t n = 2000, dim = 32;
        const auto x = randomUnitVectors(n, dim, 11);
        const auto ids = sequence(n, 1000);
        auto index = VectorIndex::createFlat(int(dim));
        QCOMPARE(index->kind(), IndexKind::Flat);
        QCOMPARE(index->size(), std::size_t(0));
        QVERIFY(index->search(row(x, 0, dim), 5).empty()); // empty index
        index->add(ids, x);
        QCOMPARE(index->size(), n);
        QCOMPARE(index->ids(), ids);
        const auto queries = randomUnitVectors(20, dim, 12);
        for (std::size_t q = 0; q < 20; ++q) {
            const auto query = row(queries, q, dim);
            const auto got = index->search(query, 10);
            const auto want = bruteForce(x, ids, query, 10);
            QCOMPARE(idsOf(got), idsOf(want));
            for (std::size_t i = 0; i < got.size(); ++i)
                QVERIFY(std::abs(got[i].score - want[i].score) < 1e-4f);
        }
        // A stored vector finds itself first with score 1.
        const auto self = index->search(row(x, 42, dim), 1);
        QCOMPARE(self.size(), std::size_t(1));
        QCOMPARE(self[0].id, 1042);
        QVERIFY(std::abs(self[0].score - 1.f) < 1e-5f);
        // k larger than the index returns everything, best first.
        auto small = VectorIndex::createFlat(int(dim));
        small->add(std::vector<std::int64_t>{5, 6, 7}, std::span(x).first(3 * dim));
        QCOMPARE(small->search(row(x, 0, dim), 50).size(), std::size_t(3));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, index->search(std::vector<float>(3), 1));
    }

    void addReplacesAndRemoves()
    {
        const std::size_t dim = 8;
        const auto x = randomUnitVectors(6, dim, 3);
        auto index = VectorIndex::createFlat(int(dim));
        index->add(std::vector<std::int64_t>{1, 2, 3}, std::span(x).first(3 * dim));
        // Re-adding id 2 with vector 5 replaces it: the count does not grow.
        index->add(std::vector<std::int64_t>{2}, row(x, 5, dim));
        QCOMPARE(index->size(), std::size_t(3));
        QCOMPARE(index->search(row(x, 5, dim), 1)[0].id, 2);
        QVERIFY(index->search(row(x, 1, dim), 1)[0].id != 2);
        QCOMPARE(index->remove(std::vector<std::int64_t>{1, 99}), std::size_t(1));
        QVERIFY(!index->contains(1));
        QVERIFY(index->contains(3));
        QCOMPARE(index->ids(), (std::vector<std::int64_t>{2, 3}));
        // Removal compacts the storage; the remaining ids still map to their vectors.
        QCOMPARE(index->search(row(x, 2, dim), 1)[0].id, 3);
    }

    void filteredSearchIsExactOverTheSubset()
    {
        const std::size_t n = 3000, dim = 16;
        const auto x = randomUnitVectors(n, dim, 21);
        const auto ids = sequence(n, 1);
        auto index = VectorIndex::createFlat(int(dim));
        index->add(ids, x);
        std::vector<std::int64_t> allowed;
        std::vector<float> allowedVectors;
        for (std::size_t i = 0; i < n; i += 7) {
            allowed.push_back(ids[i]);
            const auto v = row(x, i, dim);
            allowedVectors.insert(allowedVectors.end(), v.begin(), v.end());
        }
        allowed.push_back(999999); // not in the index: ignored
        const auto q = randomUnitVectors(1, dim, 22);
        const auto got = index->search(q, 10, &allowed);
        allowed.pop_back();
        QCOMPARE(idsOf(got), idsOf(bruteForce(allowedVectors, allowed, q, 10)));
        const std::vector<std::int64_t> none;
        QVERIFY(index->search(q, 10, &none).empty());
    }

    // The approximate index against exact search, on clustered data, with the size threshold
    // lowered so 20k vectors take the IVF path.
    void ivfRecallAgainstExact()
    {
        const std::size_t n = 20000, dim = 64, nq = 300, k = 10;
        // Wide clusters (a point's cosine to its centre ~0.55), so neighbourhoods straddle
        // IVF cells and nprobe matters.
        const float spread = 1.5f;
        const auto x = clusteredUnitVectors(n, dim, 200, 5, 6, spread);
        const auto queries = clusteredUnitVectors(nq, dim, 200, 5, 7, spread); // same centres
        const auto ids = sequence(n, 1);
        auto exact = VectorIndex::createFlat(int(dim));
        exact->add(ids, x);
        IndexBuildOptions options;
        options.approximateThreshold = 10000;
        IndexBuildReport report;
        auto ivf = VectorIndex::build(
            int(dim), n,
            [&](const VectorSink &sink) {
                for (std::size_t at = 0; at < n; at += 3000) {
                    const std::size_t m = std::min<std::size_t>(3000, n - at);
                    sink(std::span(ids).subspan(at, m), std::span(x).subspan(at * dim, m * dim));
                }
            },
            options, &report);
        QCOMPARE(ivf->kind(), IndexKind::Ivf);
        QCOMPARE(report.kind, IndexKind::Ivf);
        QCOMPARE(ivf->size(), n);
        // nlist ~ 4 sqrt(n), but never fewer than 39 training points per cell.
        QCOMPARE(report.nlist,
                 std::min(std::size_t(std::lround(4 * std::sqrt(double(n)))), n / 39));
        QVERIFY2(report.recall >= 0.95, qPrintable(QString::number(report.recall)));
        // It is approximate for a reason: far fewer cells probed than exist.
        QVERIFY2(
            report.nprobe < report.nlist / 2,
            qPrintable(QStringLiteral("nprobe %1 of %2").arg(report.nprobe).arg(report.nlist)));
        std::vector<std::vector<SearchHit>> want, got;
        for (std::size_t q = 0; q < nq; ++q) {
            want.push_back(exact->search(row(queries, q, dim), k));
            got.push_back(ivf->search(row(queries, q, dim), k));
        }
        const double recall = recallAtK(want, got, k);
        {
            // ... and the data is hard enough that probing one cell would not do.
            const std::size_t tuned = ivf->nprobe();
            ivf->setNprobe(1);
            std::vector<std::vector<SearchHit>> one;
            for (std::size_t q = 0; q < nq; ++q)
                one.push_back(ivf->search(row(queries, q, dim), k));
            const double recall1 = recallAtK(want, one, k);
            QVERIFY2(recall1 < 0.9, qPrintable(QString::number(recall1)));
            ivf->setNprobe(tuned);
        }
        qInfo("IVF recall@10 %.4f (nlist %zu, nprobe %zu; build-time estimate %.4f)", recall,
              report.nlist, report.nprobe, report.recall);
        QVERIFY2(recall >= 0.95, qPrintable(QString::number(recall)));
        // Batch search agrees with single queries.
        const auto batch = ivf->searchBatch(std::span(queries).first(5 * dim), k);
        for (std::size_t q = 0; q < 5; ++q)
            QCOMPARE(idsOf(batch[q]), idsOf(got[q]));

        // Add, replace and remove work on IVF too (hashtable direct map).
        const auto extra = clusteredUnitVectors(2, dim, 200, 5, 8);
        ivf->add(std::vector<std::int64_t>{7, 900000}, extra);
        QCOMPARE(ivf->size(), n + 1);
        QCOMPARE(ivf->search(row(extra, 0, dim), 1)[0].id, 7);
        QCOMPARE(ivf->remove(std::vector<std::int64_t>{7, 900000, 5}), std::size_t(3));
        QCOMPARE(ivf->size(), n - 2);
        QVERIFY(!ivf->contains(7));
        // Filtered IVF search: a small subset is searched exactly.
        std::vector<std::int64_t> allowed = {100, 200, 300, 400};
        std::vector<float> allowedVectors;
        for (auto id : allowed) {
            const auto v = row(x, std::size_t(id - 1), dim);
            allowedVectors.insert(allowedVectors.end(), v.begin(), v.end());
        }
        QCOMPARE(idsOf(ivf->search(row(queries, 0, dim), 3, &allowed)),
                 idsOf(bruteForce(allowedVectors, allowed, row(queries, 0, dim), 3)));

        // Save and load keep kind, nprobe and results.
        const QString file = m_tmp.filePath(QStringLiteral("ivf.faiss"));
        ivf->save(fs(file), {3, "m"});
        auto loaded = VectorIndex::load(fs(file));
        QVERIFY2(loaded.ok(), loaded.error.c_str());
        QCOMPARE(loaded.index->kind(), IndexKind::Ivf);
        QCOMPARE(loaded.index->nprobe(), ivf->nprobe());
        QCOMPARE(loaded.index->ids(), ivf->ids());
        for (std::size_t q = 0; q < 10; ++q)
            QCOMPARE(loaded.index->search(row(queries, q, dim), k),
                     ivf->search(row(queries, q, dim), k));
    }

    // Queries unlike the stored vectors (text against photos) need more probes than the
    // generated tuning queries suggest; supplied sample queries make the floor hold for them.
    void ivfTunesForSuppliedQueries()
    {
        const std::size_t n = 20000, dim = 64, nq = 200, k = 10;
        const auto x = clusteredUnitVectors(n, dim, 200, 5, 6, 1.5f);
        const auto tuningQueries = randomUnitVectors(nq, dim, 71);
        const auto testQueries = randomUnitVectors(nq, dim, 72); // same kind, not seen
        const auto ids = sequence(n, 1);
        auto exact = VectorIndex::createFlat(int(dim));
        exact->add(ids, x);
        IndexBuildOptions options;
        options.approximateThreshold = 1;
        options.ivf.extraTuningQueries = tuningQueries;
        IndexBuildReport report;
        auto ivf = VectorIndex::build(
            int(dim), n, [&](const VectorSink &sink) { sink(ids, x); }, options, &report);
        std::vector<std::vector<SearchHit>> want, got;
        for (std::size_t q = 0; q < nq; ++q) {
            want.push_back(exact->search(row(testQueries, q, dim), k));
            got.push_back(ivf->search(row(testQueries, q, dim), k));
        }
        const double recall = recallAtK(want, got, k);
        qInfo("random-direction queries: recall@10 %.4f at nprobe %zu of %zu (tuned to %.4f)",
              recall, report.nprobe, report.nlist, report.recall);
        QVERIFY2(recall >= 0.93, qPrintable(QStringLiteral("recall %1 at nprobe %2 of %3")
                                                .arg(recall)
                                                .arg(report.nprobe)
                                                .arg(report.nlist)));
    }

    void buildPicksFlatBelowThreshold()
    {
        const std::size_t n = 500, dim = 8;
        const auto x = randomUnitVectors(n, dim, 9);
        const auto ids = sequence(n, 1);
        IndexBuildReport report;
        auto index = VectorIndex::build(
            int(dim), n, [&](const VectorSink &sink) { sink(ids, x); }, {}, &report);
        QCOMPARE(index->kind(), IndexKind::Flat);
        QCOMPARE(report.recall, -1.0);
        QCOMPARE(index->size(), n);
    }

    void saveLoadRoundTrip()
    {
        const std::size_t n = 300, dim = 24;
        const auto x = randomUnitVectors(n, dim, 31);
        auto index = VectorIndex::createFlat(int(dim));
        index->add(sequence(n, 10), x);
        const QString file = m_tmp.filePath(QStringLiteral("flat.faiss"));
        index->save(fs(file), {17, "model-xyz"});
        QVERIFY(!QFile::exists(file + QStringLiteral(".tmp")));
        const auto loaded = VectorIndex::load(fs(file));
        QVERIFY2(loaded.ok(), loaded.error.c_str());
        QCOMPARE(loaded.stamp.generation, 17);
        QCOMPARE(loaded.stamp.modelIdentity, std::string("model-xyz"));
        QCOMPARE(loaded.index->dim(), int(dim));
        QCOMPARE(loaded.index->ids(), index->ids());
        const auto q = randomUnitVectors(1, dim, 32);
        QCOMPARE(loaded.index->search(q, 10), index->search(q, 10));
        // The loaded index is fully usable.
        loaded.index->remove(std::vector<std::int64_t>{10});
        QCOMPARE(loaded.index->size(), n - 1);
    }

    void loadDetectsDamage_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("expected"); // a word the error must contain
        QTest::newRow("missing file") << "missing"
                                      << "missing";
        QTest::newRow("empty file") << "empty"
                                    << "truncated";
        QTest::newRow("garbage bytes") << "garbage"
                                       << "magic";
        QTest::newRow("truncated by one byte") << "truncate1"
                                               << "truncated";
        QTest::newRow("truncated to half") << "truncatehalf"
                                           << "truncated";
        QTest::newRow("cut inside the header") << "truncateheader"
                                               << "truncated";
        QTest::newRow("flipped payload byte") << "flippayload"
                                              << "checksum";
        QTest::newRow("flipped header byte (generation)") << "flipheader"
                                                          << "checksum";
        QTest::newRow("appended bytes") << "append"
                                        << "header says";
        QTest::newRow("newer format version") << "version"
                                              << "format version";
    }

    void loadDetectsDamage()
    {
        QFETCH(QString, damage);
        QFETCH(QString, expected);
        const std::size_t dim = 16;
        auto index = VectorIndex::createFlat(int(dim));
        index->add(sequence(50, 1), randomUnitVectors(50, dim, 41));
        const QString file = m_tmp.filePath(QStringLiteral("damaged-%1.faiss").arg(damage));
        index->save(fs(file), {5, "m"});
        QByteArray bytes = readAllBytes(file);
        QVERIFY(bytes.size() > 200);
        if (damage == QLatin1String("missing")) {
            QVERIFY(QFile::remove(file));
        } else {
            if (damage == QLatin1String("empty"))
                bytes.clear();
            else if (damage == QLatin1String("garbage"))
                bytes = QByteArray(bytes.size(), '\x5a');
            else if (damage == QLatin1String("truncate1"))
                bytes.chop(1);
            else if (damage == QLatin1String("truncatehalf"))
                bytes.truncate(bytes.size() / 2);
            else if (damage == QLatin1String("truncateheader"))
                bytes.truncate(40);
            else if (damage == QLatin1String("flippayload"))
                bytes[bytes.size() - 100] = char(bytes[bytes.size() - 100] ^ 0x10);
            else if (damage == QLatin1String("flipheader"))
                bytes[16] = char(bytes[16] ^ 0x01);
            else if (damage == QLatin1String("append"))
                bytes.append("extra");
            else if (damage == QLatin1String("version"))
                bytes[8] = 2;
            writeAllBytes(file, bytes);
        }
        const auto loaded = VectorIndex::load(fs(file));
        QVERIFY(!loaded.ok());
        QCOMPARE(loaded.missing, damage == QLatin1String("missing"));
        QVERIFY2(QString::fromStdString(loaded.error).contains(expected), loaded.error.c_str());
    }

    // A crash during save leaves a temporary file beside the index: the index itself is
    // untouched and the next save replaces the leftover.
    void atomicSaveSurvivesLeftoverTemp()
    {
        const std::size_t dim = 8;
        const auto x = randomUnitVectors(20, dim, 51);
        auto index = VectorIndex::createFlat(int(dim));
        index->add(sequence(20, 1), x);
        const QString file = m_tmp.filePath(QStringLiteral("atomic.faiss"));
        index->save(fs(file), {1, "m"});
        // The "crash": a half-written temp file (garbage) next to the good one.
        writeAllBytes(file + QStringLiteral(".tmp"), QByteArray(1000, '\x01'));
        auto loaded = VectorIndex::load(fs(file));
        QVERIFY2(loaded.ok(), loaded.error.c_str());
        QCOMPARE(loaded.stamp.generation, 1);
        // Saving again goes through the temp name and replaces the target in one rename.
        index->add(std::vector<std::int64_t>{100}, row(x, 0, dim));
        index->save(fs(file), {2, "m"});
        QVERIFY(!QFile::exists(file + QStringLiteral(".tmp")));
        loaded = VectorIndex::load(fs(file));
        QVERIFY(loaded.ok());
        QCOMPARE(loaded.stamp.generation, 2);
        QCOMPARE(loaded.index->size(), std::size_t(21));
    }

    // A save that cannot complete throws and leaves the old file in place.
    void failedSaveKeepsOldFile()
    {
        const std::size_t dim = 8;
        auto index = VectorIndex::createFlat(int(dim));
        index->add(sequence(20, 1), randomUnitVectors(20, dim, 52));
        // The target's folder is a file: the temporary file cannot even be created.
        const QString notDir = m_tmp.filePath(QStringLiteral("plainfile"));
        writeAllBytes(notDir, "x");
        QVERIFY_THROWS_EXCEPTION(
            IndexFileError, index->save(fs(notDir + QStringLiteral("/index.faiss")), {1, "m"}));
        // The rename cannot replace a folder: the temporary file is cleaned up.
        const QString dirTarget = m_tmp.filePath(QStringLiteral("target-is-a-folder"));
        QVERIFY(QDir().mkpath(dirTarget + QStringLiteral("/inside")));
        QVERIFY_THROWS_EXCEPTION(IndexFileError, index->save(fs(dirTarget), {1, "m"}));
        QVERIFY(!QFile::exists(dirTarget + QStringLiteral(".tmp")));
        QVERIFY(QFileInfo(dirTarget + QStringLiteral("/inside")).isDir());
        // An unwritable folder (not testable as root, who may write anywhere).
        const QByteArray good = "previous index";
        const QString ro = m_tmp.filePath(QStringLiteral("ro"));
        QVERIFY(QDir().mkpath(ro));
        const QString roFile = ro + QStringLiteral("/index.faiss");
        writeAllBytes(roFile, good);
        QFile::setPermissions(ro, QFile::ReadOwner | QFile::ExeOwner);
        if (QFileInfo(ro).isWritable()) {
            QFile::setPermissions(ro, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
            QSKIP("running as root: cannot make a folder unwritable");
        }
        QVERIFY_THROWS_EXCEPTION(IndexFileError, index->save(fs(roFile), {3, "m"}));
        QVERIFY(!QFile::exists(roFile + QStringLiteral(".tmp")));
        QFile::setPermissions(ro, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        QCOMPARE(readAllBytes(roFile), good);
    }

    // The committed version-1 file must keep loading (tests/data/library/README.md).
    void loadsVersion1Fixture()
    {
        const auto loaded =
            VectorIndex::load(fs(QStringLiteral(IMAGO_LIBRARY_DATA_DIR "/index-v1.faiss")));
        QVERIFY2(loaded.ok(), loaded.error.c_str());
        QCOMPARE(loaded.stamp.modelIdentity, std::string("fixture-model-v1"));
        QCOMPARE(loaded.index->kind(), IndexKind::Flat);
        QCOMPARE(loaded.index->dim(), 8);
        QCOMPARE(loaded.index->size(), std::size_t(2));
        std::vector<float> e0(8, 0.f);
        e0[0] = 1.f;
        const auto hits = loaded.index->search(e0, 2);
        QCOMPARE(hits.size(), std::size_t(2));
        QCOMPARE(hits[0].score, 1.f);
        QVERIFY(hits[1].score < 0.8f);
    }

    // Searches run concurrently with each other and with writers.
    void concurrentSearchesAndWrites()
    {
        const std::size_t n = 5000, dim = 32;
        const auto x = randomUnitVectors(n + 2000, dim, 61);
        auto index = VectorIndex::createFlat(int(dim));
        index->add(sequence(n, 1), std::span(x).first(n * dim));
        std::atomic<bool> stop{false};
        std::atomic<int> searches{0}, bad{0};
        std::vector<std::thread> readers;
        for (int t = 0; t < 3; ++t) {
            readers.emplace_back([&, t] {
                std::size_t i = std::size_t(t);
                while (!stop) {
                    const auto hits = index->search(row(x, i % n, dim), 5);
                    if (hits.size() != 5 || hits[0].score < hits[4].score)
                        ++bad;
                    ++searches;
                    i += 3;
                }
            });
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        for (std::size_t b = 0; b < 20; ++b) {
            // Interleave for certain: on a busy machine the readers might not have run at all
            // before the writes were done.
            while (searches.load() < int(3 * (b + 1)) &&
                   std::chrono::steady_clock::now() < deadline)
                std::this_thread::yield();
            const std::size_t at = n + b * 100;
            index->add(sequence(100, std::int64_t(at) + 1),
                       std::span(x).subspan(at * dim, 100 * dim));
            index->remove(sequence(50, std::int64_t(b * 50) + 1));
        }
        stop = true;
        for (auto &t : readers)
            t.join();
        QCOMPARE(bad.load(), 0);
        QVERIFY(searches.load() >= 60);
        QCOMPARE(index->size(), n + 2000 - 1000);
    }
};

QTEST_GUILESS_MAIN(tst_VectorIndex)
#include "tst_vectorindex.moc"
