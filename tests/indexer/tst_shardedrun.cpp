// Sharded indexing with the trained toy model and real libraries: three shards of the toy
// evaluation images, indexed where "the cluster" mounts the archive, merged, re-pointed with
// moveRoot to where "the desktop" has it, must equal one plain run there - the same photos, the
// same vectors bit for bit, the same search results and scores - and a following run finds
// every photo unchanged.
#include "catalog.h"
#include "indexing_run.h"
#include "library.h"
#include "library_error.h"
#include "model_session.h"
#include "toy_model.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

using namespace imago;

namespace {
const QString kToy = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");
constexpr int kPhotos = 48;
constexpr int kShards = 3;

struct Row
{
    QString status;
    QString hash;
    std::vector<float> vector;
};

// Photos by path relative to `root`.
std::map<QString, Row> snapshot(Library &library, const QString &root)
{
    std::map<QString, Row> out;
    library.catalog().forEachPhoto({}, [&](const PhotoRecord &r) {
        Row row{photoStatusName(r.status), r.facts.contentHash, {}};
        if (auto v = library.catalog().embedding(r.id))
            row.vector = *v;
        out[QDir(root).relativeFilePath(r.facts.path)] = row;
    });
    return out;
}

bool bitEqual(const std::vector<float> &a, const std::vector<float> &b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Equal up to float rounding: an fp32 GEMM need not give the same bits for an image in a batch
// of another size (OpenBLAS on an AVX2-only Zen 1 EPYC does not), and shards batch differently.
bool nearlyEqual(const std::vector<float> &a, const std::vector<float> &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::abs(a[i] - b[i]) > 1e-5f)
            return false;
    return true;
}
} // namespace

class tst_ShardedRun : public QObject
{
    Q_OBJECT

    std::shared_ptr<const ModelSession> session;
    QTemporaryDir tmp;
    QString cluster, desktop; // the same archive, mounted at two places

    LibraryOptions options() const
    {
        LibraryOptions o;
        o.modelIdentity = session->identity();
        return o;
    }

    IndexingSummary index(Library &library, const QString &root, std::optional<ShardSpec> shard)
    {
        IndexingOptions o;
        o.shard = shard;
        IndexingRun run(library, session, o);
        return run.run({root});
    }

private Q_SLOTS:
    void initTestCase()
    {
        session = test::openToyModel();
        cluster = tmp.filePath(QStringLiteral("cluster/archive"));
        desktop = tmp.filePath(QStringLiteral("home/me/Photos"));
        // Nested folders, so relative paths have several parts.
        const QStringList images =
            QDir(kToy + QStringLiteral("/eval/images")).entryList({QStringLiteral("*.jpg")});
        QVERIFY(images.size() >= kPhotos);
        for (const QString &mount : {cluster, desktop})
            for (int i = 0; i < kPhotos; ++i) {
                const QString sub =
                    QStringLiteral("%1/%2/trip %3").arg(mount).arg(2020 + i % 3).arg(i % 4);
                QVERIFY(QDir().mkpath(sub));
                QVERIFY(QFile::copy(kToy + QStringLiteral("/eval/images/") + images[i],
                                    sub + QLatin1Char('/') + images[i]));
            }
    }

    void splitIsStableAndParsed()
    {
        // FNV-1a 64 test vectors: the split must not depend on the machine or the CPU.
        QCOMPARE(stablePathHash(QString()), 0xcbf29ce484222325ull);
        QCOMPARE(stablePathHash(QStringLiteral("a")), 0xaf63dc4c8601ec8cull);
        QCOMPARE(stablePathHash(QStringLiteral("foobar")), 0x85944171f73967e8ull);
        QCOMPARE(shardOfPath(QStringLiteral("anything"), 1), 0);
        QCOMPARE(parseShardSpec(QStringLiteral("2/5")), (ShardSpec{2, 5}));
        const auto env = [](const char *name) {
            return QByteArray(name) == "JOB_COMPLETION_INDEX" ? QStringLiteral("3") : QString();
        };
        QCOMPARE(parseShardSpec(QStringLiteral("auto/4"), env), (ShardSpec{3, 4}));
        const auto slurm = [](const char *name) {
            return QByteArray(name) == "SLURM_ARRAY_TASK_ID" ? QStringLiteral("1")
                                                             : QStringLiteral("3");
        };
        QCOMPARE(parseShardSpec(QStringLiteral("auto/4"), slurm), (ShardSpec{1, 4}));
        const auto none = [](const char *) { return QString(); };
        for (const char *bad : {"3", "3/3", "-1/3", "1/0", "x/2", "1/2/3", "auto/", " 1/2"})
            QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                     parseShardSpec(QString::fromLatin1(bad), none));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseShardSpec("auto/4", none));
        // The task id must fit the split given.
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, parseShardSpec("auto/3", env));
        QCOMPARE(shardFromText(QStringLiteral("1/3")), (std::optional<ShardSpec>(ShardSpec{1, 3})));
        QVERIFY(!shardFromText(QStringLiteral("3/3")));
    }

    void mergedShardsEqualOnePlainRun()
    {
        // The plain run, on the desktop.
        const QString plainDir = tmp.filePath(QStringLiteral("plain"));
        Library plain(plainDir, options());
        const IndexingSummary whole = index(plain, desktop, std::nullopt);
        QCOMPARE(whole.indexed, kPhotos);
        QVERIFY(!plain.shard());

        // Three shards on the cluster, each in its own library.
        QStringList shardDirs;
        std::set<QString> seen;
        qint64 total = 0;
        for (int k = 0; k < kShards; ++k) {
            const QString dir = tmp.filePath(QStringLiteral("shard-%1").arg(k));
            shardDirs << dir;
            Library shard(dir, options());
            const IndexingSummary s = index(shard, cluster, ShardSpec{k, kShards});
            QCOMPARE(s.rejected, 0);
            QVERIFY2(s.indexed > 0, "every shard of 48 photos gets some");
            total += s.indexed;
            QCOMPARE(shard.shard(), (std::optional<ShardSpec>(ShardSpec{k, kShards})));
            for (const auto &[rel, row] : snapshot(shard, cluster))
                QVERIFY2(seen.insert(rel).second, qPrintable(rel + " in two shards"));
            // A re-run of the shard (a requeued job) resumes: nothing new, nothing missing.
            const IndexingSummary again = index(shard, cluster, ShardSpec{k, kShards});
            QCOMPARE(again.indexed, 0);
            QCOMPARE(again.missing, 0);
            QCOMPARE(again.unchanged, s.indexed);
            // A shard's library takes no other shard and no plain run.
            QVERIFY_THROWS_EXCEPTION(LibraryError,
                                     index(shard, cluster, ShardSpec{(k + 1) % kShards, kShards}));
            QVERIFY_THROWS_EXCEPTION(LibraryError, index(shard, cluster, std::nullopt));
        }
        QCOMPARE(total, qint64(kPhotos));
        // Nor does a plain library take a shard.
        QVERIFY_THROWS_EXCEPTION(LibraryError, index(plain, desktop, ShardSpec{0, kShards}));

        // Merge, then re-point the archive's root to where the desktop has it.
        const QString mergedDir = tmp.filePath(QStringLiteral("merged"));
        {
            Library merged(mergedDir, options());
            const MergeReport r = merged.merge(shardDirs);
            QCOMPARE(r.added, qint64(kPhotos));
            QCOMPARE(r.updated, 0);
            QCOMPARE(r.index.count, std::size_t(kPhotos));
            QCOMPARE(merged.status().mergedShardCount, kShards);
            QCOMPARE(merged.moveRoot(cluster, desktop), kPhotos);
        }
        Library merged(mergedDir, options());
        const auto a = snapshot(merged, desktop), b = snapshot(plain, desktop);
        QCOMPARE(a.size(), std::size_t(kPhotos));
        QCOMPARE(b.size(), std::size_t(kPhotos));
        for (const auto &[rel, row] : b) {
            const auto it = a.find(rel);
            QVERIFY2(it != a.end(), qPrintable(rel));
            QCOMPARE(it->second.status, row.status);
            QCOMPARE(it->second.hash, row.hash);
            QVERIFY2(nearlyEqual(it->second.vector, row.vector), qPrintable(rel));
        }
        // The same results with the same scores, for queries that are photos of the set.
        int queries = 0;
        for (const auto &[rel, row] : b) {
            if (queries++ % 8)
                continue;
            const auto ha = merged.search(row.vector, 10), hb = plain.search(row.vector, 10);
            QCOMPARE(ha.size(), hb.size());
            for (std::size_t i = 0; i < ha.size(); ++i) {
                QCOMPARE(merged.catalog().photo(ha[i].id)->facts.path,
                         plain.catalog().photo(hb[i].id)->facts.path);
                QVERIFY(std::abs(ha[i].score - hb[i].score) <= 1e-5f);
            }
        }
        QVERIFY2(merged.verify().isEmpty(), qPrintable(merged.verify().join('\n')));

        // Indexing the desktop folder now finds every photo unchanged.
        const IndexingSummary after = index(merged, desktop, std::nullopt);
        QCOMPARE(after.indexed, 0);
        QCOMPARE(after.unchanged, kPhotos);
        QCOMPARE(after.missing, 0);
        QCOMPARE(after.rejected, 0);
        for (const auto &[rel, row] : snapshot(merged, desktop))
            QVERIFY(bitEqual(row.vector, a.at(rel).vector));
    }

    void mergingTwiceChangesNothing()
    {
        QStringList shardDirs;
        for (int k = 0; k < kShards; ++k)
            shardDirs << tmp.filePath(QStringLiteral("shard-%1").arg(k));
        const QString dir = tmp.filePath(QStringLiteral("merged-twice"));
        Library merged(dir, options());
        const MergeReport first = merged.merge(shardDirs);
        QCOMPARE(first.added, qint64(kPhotos));
        const std::int64_t generation = merged.status().generation;
        const auto before = snapshot(merged, cluster);
        const MergeReport second = merged.merge(shardDirs);
        QCOMPARE(second.added, 0);
        QCOMPARE(second.updated, 0);
        QCOMPARE(second.unchanged, qint64(kPhotos));
        QCOMPARE(merged.status().generation, generation);
        const auto after = snapshot(merged, cluster);
        QCOMPARE(after.size(), before.size());
        for (const auto &[rel, row] : before)
            QVERIFY(bitEqual(after.at(rel).vector, row.vector));
        // One shard merged alone, then the rest: the same library in the end.
        const QString stepwise = tmp.filePath(QStringLiteral("merged-stepwise"));
        Library step(stepwise, options());
        const MergeReport one = step.merge({shardDirs[1]});
        QVERIFY(one.added > 0);
        const MergeReport all = step.merge(shardDirs);
        QCOMPARE(all.added, qint64(kPhotos) - one.added);
        QCOMPARE(all.unchanged, one.added);
        const auto stepped = snapshot(step, cluster);
        QCOMPARE(stepped.size(), before.size());
        for (const auto &[rel, row] : before)
            QVERIFY(bitEqual(stepped.at(rel).vector, row.vector));
    }
};

QTEST_MAIN(tst_ShardedRun)
#include "tst_shardedrun.moc"
