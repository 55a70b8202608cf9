// Library operations for libraries that travel and for sharded runs: re-pointing a root,
// recording a run's shard, and merging libraries (see library.h and shard.h).
#include "library.h"

#include "library_error.h"
#include "library_log.h"
#include "library_paths.h"
#include "writer_lock.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

namespace imago {

namespace {

const QString kShardKey = QStringLiteral("shard");
const QString kMergedCountKey = QStringLiteral("merged_shard_count");

bool sameRecord(const PhotoRecord &a, const PhotoRecord &b)
{
    const PhotoFacts &x = a.facts, &y = b.facts;
    return x.path == y.path && x.size == y.size && x.mtime == y.mtime &&
           x.contentHash == y.contentHash && x.width == y.width && x.height == y.height &&
           x.format == y.format && x.capturedAt == y.capturedAt && x.camera == y.camera &&
           x.keywords == y.keywords && x.title == y.title && x.description == y.description &&
           x.textRead == y.textRead && a.status == b.status && a.reason.code == b.reason.code &&
           a.reason.text == b.reason.text && a.reason.args == b.reason.args &&
           a.embeddingModel == b.embeddingModel;
}

bool sameVector(const std::optional<std::vector<float>> &a,
                const std::optional<std::vector<float>> &b)
{
    if (a.has_value() != b.has_value())
        return false;
    if (!a)
        return true;
    return a->size() == b->size() &&
           std::memcmp(a->data(), b->data(), a->size() * sizeof(float)) == 0;
}

} // namespace

int Library::moveRoot(const QString &oldPathIn, const QString &newPathIn)
{
    requireWritable("moveRoot");
    const QString oldPath = QDir::cleanPath(oldPathIn);
    auto root = m_catalog->rootByPath(oldPath);
    if (!root)
        root = m_catalog->rootByPath(absoluteClean(oldPathIn));
    if (!root) {
        QStringList known;
        for (const RootRecord &r : m_catalog->roots())
            known << r.path;
        throw LibraryError(m_dir,
                           QStringLiteral("%1 is not a folder of this library (its folders: "
                                          "%2)")
                               .arg(oldPathIn, known.isEmpty() ? QStringLiteral("none")
                                                               : known.join(QStringLiteral(", "))));
    }
    const QString newPath = absoluteClean(newPathIn);
    if (!QFileInfo(newPath).isDir())
        throw LibraryError(m_dir, QStringLiteral("cannot move library folder %1 to %2: %2 is not a "
                                                 "folder")
                                      .arg(root->path, newPath));
    const int moved = m_catalog->moveRoot(root->id, newPath);
    qCInfo(lcLibrary).noquote() << QStringLiteral("%1: library folder %2 is now %3 (%4 photos)")
                                       .arg(m_dir, root->path, newPath)
                                       .arg(moved);
    // Photos marked missing while the folder was out of reach are back where their files are.
    refreshRoots();
    return moved;
}

std::optional<ShardSpec> Library::shard()
{
    return shardFromText(m_catalog->metadata(kShardKey));
}

int Library::mergedShardCount()
{
    return m_catalog->metadata(kMergedCountKey).toInt();
}

void Library::claimShard(const std::optional<ShardSpec> &spec)
{
    requireWritable("claimShard");
    const auto held = shard();
    if (held == spec)
        return;
    if (held && spec)
        throw LibraryError(m_dir, QStringLiteral("this library holds shard %1 of a sharded run; "
                                                 "it cannot take shard %2 (use one library "
                                                 "folder per shard)")
                                      .arg(held->toString(), spec->toString()));
    if (held)
        throw LibraryError(m_dir, QStringLiteral("this library holds shard %1 of a sharded run: "
                                                 "index it with --shard %1, or merge it into "
                                                 "another library (imago-cli merge)")
                                      .arg(held->toString()));
    if (mergedShardCount() > 0 || m_catalog->counts(m_model).total() > 0)
        throw LibraryError(m_dir, QStringLiteral("this library holds photos indexed without "
                                                 "--shard; give shard %1 a library folder of "
                                                 "its own")
                                      .arg(spec->toString()));
    m_catalog->setMetadata(kShardKey, spec->toString());
}

MergeReport Library::merge(const QStringList &libraryDirs)
{
    requireWritable("merge");
    QElapsedTimer timer;
    timer.start();
    if (const auto own = shard())
        throw LibraryError(m_dir, QStringLiteral("this library holds shard %1 of a sharded run: "
                                                 "merge the shards into another folder")
                                      .arg(own->toString()));
    struct Source
    {
        QString dir;
        std::unique_ptr<Catalog> catalog;
        std::optional<ShardSpec> shard;
        QString model;
    };
    std::vector<Source> sources;
    std::set<QString> seenDirs;
    for (const QString &arg : libraryDirs) {
        Source s;
        s.dir = absoluteClean(arg);
        if (s.dir == m_dir)
            throw LibraryError(s.dir, QStringLiteral("cannot merge a library into itself"));
        if (!seenDirs.insert(s.dir).second)
            throw LibraryError(s.dir, QStringLiteral("named twice"));
        if (!exists(s.dir))
            throw LibraryError(s.dir,
                               QStringLiteral("not a library (no %1)").arg(catalogFileName()));
        WriterLock lock(s.dir);
        if (WriterLock::whyNotWritable(s.dir).isEmpty() && !lock.tryLock())
            throw LibraryError(s.dir,
                               QStringLiteral("is being written (%1 holds %2): merge it once "
                                              "that run has finished")
                                   .arg(lock.holder(), WriterLock::fileName()));
        s.catalog = std::make_unique<Catalog>(s.dir + QLatin1Char('/') + catalogFileName(),
                                              Catalog::Mode::ReadOnly);
        s.shard = shardFromText(s.catalog->metadata(kShardKey));
        s.model = s.catalog->modelIdentity();
        sources.push_back(std::move(s));
    }

    // Everything is checked before anything is written.
    QString model = m_model;
    QString modelFrom = m_dir;
    for (const Source &s : sources) {
        if (s.model.isEmpty())
            continue; // nothing embedded there yet: no vectors to disagree
        if (model.isEmpty()) {
            model = s.model;
            modelFrom = s.dir;
        } else if (s.model != model) {
            throw LibraryError(s.dir, QStringLiteral("made with model %1, but %2 has model %3: "
                                                     "libraries of different models cannot be "
                                                     "merged (index the shard again with the "
                                                     "same model)")
                                          .arg(s.model, modelFrom, model));
        }
    }
    int shardCount = mergedShardCount();
    QString countFrom = shardCount > 0 ? m_dir : QString();
    std::map<int, QString> shardOwner;
    for (const Source &s : sources) {
        if (!s.shard)
            continue;
        if (shardCount == 0) {
            shardCount = s.shard->count;
            countFrom = s.dir;
        } else if (s.shard->count != shardCount) {
            const QString other =
                countFrom == m_dir
                    ? QStringLiteral("this library holds merged shards of %1").arg(shardCount)
                    : QStringLiteral("%1 holds a shard of %2").arg(countFrom).arg(shardCount);
            throw LibraryError(s.dir, QStringLiteral("holds shard %1, but %2: shards of different "
                                                     "splits overlap and cannot be merged")
                                          .arg(s.shard->toString(), other));
        }
        const auto [it, fresh] = shardOwner.emplace(s.shard->index, s.dir);
        if (!fresh)
            throw LibraryError(s.dir,
                               QStringLiteral("holds shard %1, as %2 does: merge one of them")
                                   .arg(s.shard->toString(), it->second));
    }

    MergeReport report;
    m_catalog->writeBatch([&] {
        if (model != m_model) {
            m_catalog->setModelIdentity(model);
            m_model = model;
        }
        if (shardCount > 0)
            m_catalog->setMetadata(kMergedCountKey, QString::number(shardCount));
        for (Source &s : sources) {
            MergeReport::Source out{s.dir, s.shard, 0};
            for (const RootRecord &r : s.catalog->roots()) {
                if (!m_catalog->rootByPath(r.path)) {
                    m_catalog->addRoot(r.path);
                    ++report.rootsAdded;
                }
            }
            s.catalog->forEachPhoto({}, [&](const PhotoRecord &p) {
                ++out.photos;
                QString vectorModel;
                const auto vector = s.catalog->embedding(p.id, &vectorModel);
                const auto existing = m_catalog->photoByPath(p.facts.path);
                if (existing && sameRecord(*existing, p) &&
                    sameVector(m_catalog->embedding(existing->id), vector)) {
                    ++report.unchanged;
                    return;
                }
                ++(existing ? report.updated : report.added);
                const std::int64_t id = m_catalog->upsertPhoto(p.facts, p.status, p.reason);
                if (vector)
                    m_catalog->setEmbedding(id, *vector, vectorModel);
                else if (existing)
                    m_catalog->clearEmbedding(id);
            });
            report.sources.push_back(std::move(out));
        }
    });
    // The vector index is derived: built from the merged catalog (an IVF one trains on a
    // random sample of all of it). Killed before this point, the next open rebuilds it.
    // Opened without its index (loadIndex = false: a merge need not read a large index it
    // will replace), an unchanged library keeps the file it has.
    if (report.added + report.updated > 0 || (m_options.loadIndex && !index())) {
        m_options.loadIndex = true;
        rebuildLocked(QString());
        m_indexState = QStringLiteral("rebuilt");
        m_indexDetail = QStringLiteral("after a merge");
    }
    report.index = indexReport();
    report.seconds = double(timer.elapsed()) / 1000.0;
    qCInfo(lcLibrary).noquote()
        << QStringLiteral("%1: merged %2 libraries: %3 photos added, %4 updated, %5 unchanged")
               .arg(m_dir)
               .arg(sources.size())
               .arg(report.added)
               .arg(report.updated)
               .arg(report.unchanged);
    return report;
}

} // namespace imago
