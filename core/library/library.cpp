#include "library.h"

#include "library_error.h"
#include "library_log.h"
#include "library_paths.h"
#include "writer_lock.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QScopeGuard>
#include <QStandardPaths>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace imago {

namespace {

constexpr std::size_t kRebuildBatch = 4096;
constexpr int kProblemExamples = 5;

std::filesystem::path toFsPath(const QString &path)
{
    return std::filesystem::path(QFile::encodeName(path).toStdString());
}

QString examples(const std::vector<std::int64_t> &ids)
{
    QStringList parts;
    for (std::size_t i = 0; i < ids.size() && i < std::size_t(kProblemExamples); ++i)
        parts << QString::number(ids[i]);
    if (ids.size() > std::size_t(kProblemExamples))
        parts << QStringLiteral("...");
    return parts.join(QStringLiteral(", "));
}

// After a rename into the folder: the new directory entry survives a crash (best effort, as
// VectorIndex::save does; some file systems refuse fsync on a directory).
void fsyncFolder(const QString &dir)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// Names the temporary files of read-only saves apart: several readers, in this process or
// others, may save at once.
std::atomic<int> g_readerSaves{0};

} // namespace

QString Library::defaultDirectory(const QString &override)
{
    if (!override.isEmpty())
        return absoluteClean(override);
    const QString env = qEnvironmentVariable("IMAGO_LIBRARY");
    if (!env.isEmpty())
        return absoluteClean(env);
    QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (base.isEmpty()) // no application name set (a library user other than our apps)
        base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
               QStringLiteral("/imago");
    return base + QStringLiteral("/library");
}

bool Library::exists(const QString &dir)
{
    return QFileInfo(QDir(dir).filePath(catalogFileName())).isFile();
}

Library::Library(const QString &dir, const LibraryOptions &options)
    : m_dir(absoluteClean(dir)), m_options(options)
{
    if (m_options.readOnly) {
        if (!exists(m_dir))
            throw LibraryError(m_dir,
                               QStringLiteral("no library here (no %1)").arg(catalogFileName()));
    } else {
        if (!QDir().mkpath(m_dir))
            throw LibraryError(m_dir, QStringLiteral("cannot create the library folder"));
        lockOrThrow();
        // A save interrupted by a crash leaves its temporary file (ours: index.faiss.tmp; a
        // read-only open's: index.faiss.<pid>-<n>.tmp); it was never the index. A reader still
        // writing one then fails its rename and keeps its index in memory.
        for (const QString &tmp : QDir(m_dir).entryList({indexFileName() + QStringLiteral("*.tmp")},
                                                        QDir::Files | QDir::Hidden))
            QFile::remove(QDir(m_dir).filePath(tmp));
    }
    m_catalog = std::make_unique<Catalog>(
        catalogFile(), m_options.readOnly ? Catalog::Mode::ReadOnly : Catalog::Mode::ReadWrite);
    adoptModelIdentity();
    if (m_options.loadIndex) {
        openIndex();
    } else {
        m_indexState = QStringLiteral("not loaded");
    }
}

Library::~Library()
{
    if (m_options.readOnly || !m_catalog)
        return;
    try {
        save();
    } catch (const std::exception &e) {
        qCWarning(lcLibrary,
                  "%s: saving the index at close failed (%s); it will be rebuilt at "
                  "the next open",
                  qUtf8Printable(indexFile()), e.what());
    }
}

QString Library::catalogFile() const
{
    return QDir(m_dir).filePath(catalogFileName());
}

QString Library::indexFile() const
{
    return QDir(m_dir).filePath(indexFileName());
}

void Library::lockOrThrow()
{
    // A folder we cannot write (a read-only mount, another user's folder) would otherwise show
    // up as a lock we cannot take or a stale lock we cannot clear.
    if (const QString why = WriterLock::whyNotWritable(m_dir); !why.isEmpty())
        throw LibraryError(m_dir, why + QStringLiteral(": it can be searched, not changed"));
    m_lock = std::make_unique<WriterLock>(m_dir);
    if (m_lock->tryLock())
        return;
    throw LibraryError(m_dir, QStringLiteral("the library is open for writing by another "
                                             "process (%1)")
                                  .arg(m_lock->holder()));
}

void Library::adoptModelIdentity()
{
    const QString stored = m_catalog->modelIdentity();
    const QString wanted = m_options.modelIdentity;
    if (wanted.isEmpty() || wanted == stored) {
        m_model = stored;
        return;
    }
    m_model = wanted;
    if (stored.isEmpty()) {
        if (!m_options.readOnly)
            m_catalog->setModelIdentity(wanted);
        return;
    }
    m_previousModel = stored;
    const StatusCounts counts = m_catalog->counts(wanted);
    qCWarning(lcLibrary).noquote()
        << QStringLiteral("%1: the model changed from %2 to %3: the vectors of %4 indexed photos "
                          "are stale; their records are kept, and search finds them again once "
                          "they are re-embedded")
               .arg(m_dir, stored, wanted)
               .arg(counts.stale);
    if (!m_options.readOnly) {
        m_catalog->writeBatch([&] {
            m_catalog->setMetadata(QStringLiteral("previous_model_identity"), stored);
            m_catalog->setModelIdentity(wanted);
        });
    }
}

std::shared_ptr<VectorIndex> Library::index() const
{
    std::lock_guard lock(m_indexMutex);
    return m_index;
}

void Library::setIndex(std::shared_ptr<VectorIndex> index)
{
    std::lock_guard lock(m_indexMutex);
    m_index = std::move(index);
}

void Library::openIndex()
{
    const std::int64_t expected = m_catalog->searchableCount(m_model);
    const int expectedDim = expected > 0 ? m_catalog->searchableDim(m_model) : 0;
    const std::int64_t generation = m_catalog->indexGeneration();
    IndexLoadResult loaded = VectorIndex::load(toFsPath(indexFile()));
    QString problem;
    if (!loaded.ok()) {
        if (!loaded.missing || expected > 0)
            problem = QString::fromStdString(loaded.error);
    } else if (loaded.stamp.generation != generation) {
        problem = QStringLiteral("stale (generation %1, the catalog is at %2)")
                      .arg(loaded.stamp.generation)
                      .arg(generation);
    } else if (QString::fromStdString(loaded.stamp.modelIdentity) != m_model) {
        problem = QStringLiteral("stale (built for model %1)")
                      .arg(QString::fromStdString(loaded.stamp.modelIdentity));
    } else if (std::int64_t(loaded.index->size()) != expected) {
        problem = QStringLiteral("stale (%1 vectors, the catalog has %2)")
                      .arg(loaded.index->size())
                      .arg(expected);
    } else if (expected > 0 && loaded.index->dim() != expectedDim) {
        problem = QStringLiteral("stale (dimension %1, the catalog's vectors have %2)")
                      .arg(loaded.index->dim())
                      .arg(expectedDim);
    }
    if (problem.isEmpty()) {
        if (loaded.ok()) {
            setIndex(std::move(loaded.index));
            m_indexState = QStringLiteral("loaded");
        } else {
            m_indexState = QStringLiteral("empty");
        }
        return;
    }
    qCWarning(lcLibrary).noquote()
        << QStringLiteral("%1: %2; rebuilding it from the catalog").arg(indexFile(), problem);
    rebuildLocked(problem);
}

void Library::rebuildLocked(const QString &why)
{
    QElapsedTimer timer;
    timer.start();
    // Read before the vectors: a writer committing while they are read bumps it past this
    // value, so an index stamped with it can only ever be found stale, never wrongly current.
    const std::int64_t generation = m_catalog->indexGeneration();
    const std::int64_t count = m_catalog->searchableCount(m_model);
    const int dim = count > 0 ? m_catalog->searchableDim(m_model) : 0;
    IndexBuildReport report;
    std::shared_ptr<VectorIndex> fresh;
    std::int64_t skipped = 0;
    if (count > 0) {
        const VectorSource source = [&](const VectorSink &sink) {
            m_catalog->forEachSearchableVector(
                m_model, dim, kRebuildBatch,
                [&](std::span<const std::int64_t> ids, std::span<const float> vectors) {
                    sink(ids, vectors);
                    return true;
                },
                &skipped);
        };
        fresh = VectorIndex::build(dim, std::size_t(count), source, m_options.index, &report);
    }
    // The old index served searches until this line.
    setIndex(fresh);
    m_indexState = why.isEmpty() ? QStringLiteral("loaded") : QStringLiteral("rebuilt");
    m_indexDetail = why;
    if (skipped > 0)
        qCWarning(lcLibrary).noquote()
            << QStringLiteral("%1: %2 embeddings have the wrong size and were left out")
                   .arg(catalogFile())
                   .arg(skipped);
    qCInfo(lcLibrary).noquote()
        << QStringLiteral("%1: rebuilt from the catalog: %2 vectors, %3%4 in %5 ms")
               .arg(indexFile())
               .arg(fresh ? fresh->size() : 0)
               .arg(QLatin1String(indexKindName(report.kind)))
               .arg(report.kind == IndexKind::Ivf
                        ? QStringLiteral(" (nlist %1, nprobe %2, recall@10 %3)")
                              .arg(report.nlist)
                              .arg(report.nprobe)
                              .arg(report.recall, 0, 'f', 3)
                        : QString())
               .arg(timer.elapsed());
    if (m_options.readOnly) {
        m_indexUnsavedReason = saveRebuiltIndex(generation);
        m_indexFileStale = !m_indexUnsavedReason.isEmpty();
        if (m_indexFileStale)
            qCInfo(lcLibrary).noquote()
                << QStringLiteral("%1: the rebuilt index stays in memory, the file is left as it "
                                  "is: %2")
                       .arg(indexFile(), m_indexUnsavedReason);
        return;
    }
    m_unsaved = 1; // force the save
    saveNow();
}

QString Library::saveRebuiltIndex(std::int64_t generation)
{
    // A read-only open: it holds no lock, and must never make a writer wait or fail for long.
    // So the (possibly large) file is written without the lock, under a name of its own, and the
    // lock is taken - without waiting - only to check the catalog and rename it into place.
    if (!m_options.saveRebuiltIndex)
        return QStringLiteral("the library was opened not to write");
    if (QString why = WriterLock::whyNotWritable(m_dir); !why.isEmpty())
        return why;
    // Opened with another model than the catalog's: a writer would find this index stale.
    if (m_catalog->modelIdentity() != m_model)
        return QStringLiteral("opened for model %1, the catalog is for %2")
            .arg(m_model, m_catalog->modelIdentity());
    WriterLock lock(m_dir);
    const QString writer = QStringLiteral("the library is open for writing by another process "
                                          "(%1), which keeps the file");
    if (!lock.tryLock())
        return writer.arg(lock.holder());
    lock.unlock(); // an indexer starting while the file is written below must not fail

    const auto idx = index();
    const bool empty = !idx || idx->size() == 0; // then no file is the consistent state
    const QString tmp =
        indexFile() + QStringLiteral(".%1-%2.tmp").arg(::getpid()).arg(g_readerSaves.fetch_add(1));
    const auto removeTmp = qScopeGuard([&] { QFile::remove(tmp); });
    if (!empty) {
        try {
            idx->save(toFsPath(tmp), IndexStamp{generation, m_model.toStdString()});
        } catch (const IndexFileError &e) {
            qCWarning(lcLibrary, "%s: saving the rebuilt index failed: %s",
                      qUtf8Printable(indexFile()), e.what());
            return QStringLiteral("saving it failed (%1)").arg(QString::fromUtf8(e.what()));
        }
    }
    if (!lock.tryLock())
        return writer.arg(lock.holder());
    // No writer can commit while we hold the lock: what the catalog says now stays true until
    // the file is in place.
    if (m_catalog->indexGeneration() != generation)
        return QStringLiteral("the catalog changed while the index was rebuilt");
    if (empty) {
        if (QFile::exists(indexFile()) && !QFile::remove(indexFile()))
            return QStringLiteral("cannot remove it");
    } else if (::rename(QFile::encodeName(tmp).constData(),
                        QFile::encodeName(indexFile()).constData()) != 0) {
        const QString why = QString::fromLocal8Bit(std::strerror(errno));
        qCWarning(lcLibrary).noquote()
            << QStringLiteral("%1: renaming %2 into place failed: %3").arg(indexFile(), tmp, why);
        return QStringLiteral("renaming the saved file into place failed (%1)").arg(why);
    }
    fsyncFolder(m_dir);
    qCInfo(lcLibrary).noquote() << QStringLiteral("%1: saved the rebuilt index (generation %2)")
                                       .arg(indexFile())
                                       .arg(generation);
    return {};
}

void Library::requireWritable(const char *what) const
{
    if (m_options.readOnly)
        throw LibraryError(
            m_dir, QStringLiteral("%1: the library is open read-only").arg(QLatin1String(what)));
}

void Library::indexAdd(std::span<const std::int64_t> ids, std::span<const float> vectors)
{
    if (ids.empty() || !m_options.loadIndex)
        return;
    auto idx = index();
    if (!idx) {
        idx = VectorIndex::createFlat(int(vectors.size() / ids.size()));
        setIndex(idx);
    }
    idx->add(ids, vectors);
}

void Library::indexRemove(std::span<const std::int64_t> ids)
{
    if (ids.empty() || !m_options.loadIndex)
        return;
    if (auto idx = index())
        idx->remove(ids);
}

void Library::noteChanges(std::size_t n)
{
    if (n == 0)
        return;
    m_unsaved += n;
    const auto idx = index();
    const std::size_t size = idx ? idx->size() : 0;
    if (m_unsaved >= std::max(m_options.saveEvery, size / 10))
        saveNow();
}

std::vector<std::int64_t> Library::apply(const LibraryBatch &batch)
{
    requireWritable("apply");
    if (!batch.indexed.empty() && m_model.isEmpty())
        throw LibraryError(m_dir, QStringLiteral("no model identity: open the library with the "
                                                 "model's identity before adding embeddings"));
    const auto idx = index();
    std::size_t dim = idx ? std::size_t(idx->dim()) : 0;
    for (const IndexedPhoto &p : batch.indexed) {
        if (dim == 0)
            dim = p.embedding.size();
        if (p.embedding.empty() || p.embedding.size() != dim)
            throw std::invalid_argument("Library::apply: " + p.facts.path.toStdString() +
                                        ": embedding has " + std::to_string(p.embedding.size()) +
                                        " values, the library's vectors " + std::to_string(dim));
        for (float v : p.embedding)
            if (!std::isfinite(v))
                throw std::invalid_argument("Library::apply: " + p.facts.path.toStdString() +
                                            ": embedding has non-finite values");
    }

    std::vector<std::int64_t> ids, removed;
    std::vector<float> vectors;
    vectors.reserve(batch.indexed.size() * dim);
    m_catalog->writeBatch([&] {
        for (const IndexedPhoto &p : batch.indexed) {
            const std::int64_t id = m_catalog->upsertPhoto(p.facts, PhotoStatus::Indexed);
            m_catalog->setEmbedding(id, p.embedding, m_model);
            ids.push_back(id);
            vectors.insert(vectors.end(), p.embedding.begin(), p.embedding.end());
        }
        for (const RejectedPhoto &p : batch.rejected) {
            const std::int64_t id =
                m_catalog->upsertPhoto(p.facts, PhotoStatus::Rejected, p.reason);
            // Its old vector (if the file used to decode) no longer describes it.
            m_catalog->clearEmbedding(id);
            removed.push_back(id);
        }
        const Reason reason =
            batch.missingReason.isEmpty() ? fileNotFoundReason() : batch.missingReason;
        for (const QString &path : batch.missing) {
            const auto rec = m_catalog->photoByPath(path);
            if (!rec || rec->status == PhotoStatus::Rejected)
                continue;
            m_catalog->setStatus(rec->id, PhotoStatus::Missing, reason);
            removed.push_back(rec->id);
        }
        for (const PhotoFacts &text : batch.texts)
            m_catalog->setPhotoText(text.path, text);
    });
    indexRemove(removed);
    indexAdd(ids, vectors);
    noteChanges(ids.size() + removed.size());
    return ids;
}

std::optional<PhotoRecord> Library::photo(const QString &path)
{
    return m_catalog->photoByPath(path);
}

std::optional<std::int64_t> Library::adoptMovedPhoto(const PhotoFacts &facts)
{
    requireWritable("adoptMovedPhoto");
    if (facts.contentHash.isEmpty())
        return std::nullopt;
    const QString newPath = QDir::cleanPath(facts.path);
    for (const PhotoRecord &candidate : m_catalog->photosByContentHash(facts.contentHash)) {
        if (candidate.facts.path == newPath)
            return std::nullopt; // already recorded here: not a move
        if (candidate.embeddingModel.isEmpty())
            continue;
        const bool gone =
            candidate.status == PhotoStatus::Missing || !QFileInfo::exists(candidate.facts.path);
        if (!gone)
            continue; // the original is still there: a copy, not a move
        std::vector<std::int64_t> replaced;
        m_catalog->writeBatch([&] {
            // Whatever was recorded at the new path before is superseded by the moved photo.
            if (const auto there = m_catalog->photoByPath(newPath)) {
                replaced.push_back(there->id);
                m_catalog->removePhotos(replaced);
            }
            m_catalog->relocatePhoto(candidate.id, facts);
        });
        indexRemove(replaced);
        if (candidate.embeddingModel == m_model && !(index() && index()->contains(candidate.id))) {
            std::vector<std::int64_t> outIds;
            std::vector<float> outVectors;
            const std::int64_t one[] = {candidate.id};
            const auto idx = index();
            const int dim = idx ? idx->dim() : m_catalog->searchableDim(m_model);
            if (dim > 0) {
                m_catalog->searchableVectors(m_model, dim, one, outIds, outVectors);
                indexAdd(outIds, outVectors);
            }
        }
        noteChanges(1 + replaced.size());
        qCInfo(lcLibrary).noquote() << QStringLiteral("moved: %1 -> %2 (kept its vector)")
                                           .arg(candidate.facts.path, newPath);
        return candidate.id;
    }
    return std::nullopt;
}

std::optional<std::vector<float>> Library::embeddingForContent(const QString &contentHash)
{
    for (const PhotoRecord &r : m_catalog->photosByContentHash(contentHash)) {
        if (r.embeddingModel != m_model || m_model.isEmpty())
            continue;
        if (auto v = m_catalog->embedding(r.id))
            return v;
    }
    return std::nullopt;
}

QStringList Library::stalePaths(std::int64_t limit)
{
    return m_catalog->stalePaths(m_model, limit);
}

std::int64_t Library::addRoot(const QString &path)
{
    requireWritable("addRoot");
    return m_catalog->addRoot(absoluteClean(path));
}

std::vector<RootRecord> Library::roots()
{
    return m_catalog->roots();
}

RootsRefresh Library::refreshRoots()
{
    requireWritable("refreshRoots");
    RootsRefresh result;
    // Look at the filesystem first and write after: no stat() of a slow share is made while
    // the write lock is held.
    struct Change
    {
        std::int64_t id;
        PhotoStatus status;
        Reason reason;
    };
    std::vector<Change> changes;
    std::vector<std::int64_t> gone, back;
    for (const RootRecord &root : m_catalog->roots()) {
        PhotoQuery q;
        q.rootId = root.id;
        if (!root.online) {
            result.offline << root.path;
            q.status = PhotoStatus::Indexed;
            const Reason reason =
                makeReason(reason::kFolderOffline,
                           QStringLiteral("folder offline: %1").arg(root.path), {root.path});
            for (std::int64_t id : m_catalog->photoIds(q)) {
                changes.push_back({id, PhotoStatus::Missing, reason});
                gone.push_back(id);
            }
            continue;
        }
        q.status = PhotoStatus::Missing;
        for (const PhotoRecord &p : m_catalog->photos(q)) {
            if (QFileInfo::exists(p.facts.path) && !p.embeddingModel.isEmpty()) {
                changes.push_back({p.id, PhotoStatus::Indexed, Reason()});
                back.push_back(p.id);
            } else if (p.reason.code == QLatin1String(reason::kFolderOffline)) {
                changes.push_back({p.id, PhotoStatus::Missing, fileNotFoundReason()});
            }
        }
    }
    if (!changes.empty()) {
        m_catalog->writeBatch([&] {
            for (const Change &c : changes)
                m_catalog->setStatus(c.id, c.status, c.reason);
        });
    }
    indexRemove(gone);
    if (!back.empty()) {
        const auto idx = index();
        const int dim = idx ? idx->dim() : m_catalog->searchableDim(m_model);
        std::vector<std::int64_t> ids;
        std::vector<float> vectors;
        if (dim > 0)
            m_catalog->searchableVectors(m_model, dim, back, ids, vectors);
        indexAdd(ids, vectors);
    }
    result.photosMarkedMissing = int(gone.size());
    result.photosRestored = int(back.size());
    if (!gone.empty() || !back.empty())
        qCInfo(lcLibrary).noquote()
            << QStringLiteral("%1: %2 photos under offline folders marked missing, %3 restored")
                   .arg(m_dir)
                   .arg(gone.size())
                   .arg(back.size());
    noteChanges(gone.size() + back.size());
    return result;
}

std::vector<SearchHit> Library::search(std::span<const float> query, std::size_t k,
                                       const SearchFilter &filter) const
{
    const auto idx = index();
    if (!idx || k == 0)
        return {};
    if (filter.isEmpty())
        return idx->search(query, k);
    const std::vector<std::int64_t> allowed = allowedIds(filter);
    return idx->search(query, k, &allowed);
}

std::vector<std::vector<SearchHit>> Library::searchBatch(std::span<const float> queries,
                                                         std::size_t k) const
{
    const auto idx = index();
    if (!idx || k == 0 || queries.empty())
        return std::vector<std::vector<SearchHit>>(
            idx && idx->dim() > 0 ? queries.size() / std::size_t(idx->dim()) : 0);
    return idx->searchBatch(queries, k);
}

SearchFilter Library::resolved(const SearchFilter &filter) const
{
    if (!filter.needsLookup())
        return filter;
    SearchFilter out;
    out.onlyIds = allowedIds(filter);
    return out;
}

std::vector<std::int64_t> Library::allowedIds(const SearchFilter &filter) const
{
    std::vector<std::int64_t> allowed;
    if (!filter.needsLookup()) {
        allowed = filter.onlyIds.value_or(std::vector<std::int64_t>());
    } else {
        {
            std::lock_guard lock(m_searchCatalogMutex);
            PhotoQuery q;
            q.status = PhotoStatus::Indexed;
            q.under = filter.under;
            q.capturedFrom = filter.capturedFrom;
            q.capturedTo = filter.capturedTo;
            allowed = searchCatalogLocked().photoIds(q);
        }
        std::sort(allowed.begin(), allowed.end());
        if (filter.onlyIds)
            std::erase_if(allowed, [&](std::int64_t id) {
                return !std::binary_search(filter.onlyIds->begin(), filter.onlyIds->end(), id);
            });
    }
    return allowed;
}

Catalog &Library::searchCatalogLocked() const
{
    if (!m_searchCatalog)
        m_searchCatalog = std::make_unique<Catalog>(catalogFile(), Catalog::Mode::ReadOnly);
    return *m_searchCatalog;
}

std::vector<std::int64_t> Library::textMatches(const QString &ftsQuery, std::size_t limit,
                                               const SearchFilter &filter,
                                               std::vector<std::int64_t> *unranked) const
{
    const bool filtered = !filter.isEmpty();
    const std::vector<std::int64_t> allowed =
        filtered ? allowedIds(filter) : std::vector<std::int64_t>();
    std::lock_guard lock(m_searchCatalogMutex);
    return searchCatalogLocked().textMatches(ftsQuery, limit, filtered ? &allowed : nullptr,
                                             unranked);
}

ForgetResult Library::forget(const QStringList &pathsOrFolders)
{
    requireWritable("forget");
    ForgetResult result;
    std::vector<std::int64_t> removed;
    m_catalog->writeBatch([&] {
        for (const QString &arg : pathsOrFolders) {
            const QString path = absoluteClean(arg);
            bool matched = false;
            if (const auto p = m_catalog->photoByPath(path)) {
                const std::int64_t one[] = {p->id};
                result.photos += m_catalog->removePhotos(one);
                removed.push_back(p->id);
                matched = true;
            }
            PhotoQuery under;
            under.under = path;
            const auto ids = m_catalog->photoIds(under);
            if (!ids.empty()) {
                result.photos += m_catalog->removePhotos(ids);
                removed.insert(removed.end(), ids.begin(), ids.end());
                matched = true;
            }
            if (const auto root = m_catalog->rootByPath(path)) {
                const auto orphans = m_catalog->removeRoot(root->id);
                result.photos += int(orphans.size());
                removed.insert(removed.end(), orphans.begin(), orphans.end());
                ++result.roots;
                matched = true;
            }
            if (!matched)
                result.unmatched << arg;
        }
    });
    indexRemove(removed);
    if (!removed.empty()) {
        m_unsaved += removed.size();
        saveNow();
    }
    return result;
}

IndexBuildReport Library::rebuild()
{
    QElapsedTimer timer;
    timer.start();
    m_options.loadIndex = true; // opened without an index: it has one from now on
    rebuildLocked(QString());
    m_indexState = QStringLiteral("rebuilt");
    m_indexDetail = QStringLiteral("on request");
    IndexBuildReport report = indexReport();
    report.seconds = double(timer.elapsed()) / 1000.0;
    return report;
}

IndexBuildReport Library::indexReport() const
{
    IndexBuildReport report;
    if (const auto idx = index()) {
        report.kind = idx->kind();
        report.count = idx->size();
        report.nlist = idx->nlist();
        report.nprobe = idx->nprobe();
        report.recall = idx->measuredRecall();
    }
    return report;
}

QStringList Library::verify()
{
    QStringList problems = m_catalog->integrityProblems();

    // Every indexed photo has a usable embedding from the current model.
    const StatusCounts counts = m_catalog->counts(m_model);
    if (counts.stale > 0) {
        const QStringList stale = m_catalog->stalePaths(m_model, kProblemExamples);
        problems << QStringLiteral("%1 indexed photos have no embedding from the current model "
                                   "(%2), e.g. %3; re-index them")
                        .arg(counts.stale)
                        .arg(m_model.isEmpty() ? QStringLiteral("none set") : m_model)
                        .arg(stale.join(QStringLiteral(", ")));
    }
    const int dim = m_catalog->searchableDim(m_model);
    std::vector<std::int64_t> catalogIds, notUnit;
    std::int64_t wrongSize = 0;
    if (dim > 0) {
        m_catalog->forEachSearchableVector(
            m_model, dim, kRebuildBatch,
            [&](std::span<const std::int64_t> ids, std::span<const float> vectors) {
                for (std::size_t i = 0; i < ids.size(); ++i) {
                    catalogIds.push_back(ids[i]);
                    double norm = 0;
                    for (std::size_t j = 0; j < std::size_t(dim); ++j) {
                        const double v = vectors[i * std::size_t(dim) + j];
                        norm += v * v;
                    }
                    if (!std::isfinite(norm) || std::abs(std::sqrt(norm) - 1.0) > 1e-2)
                        notUnit.push_back(ids[i]);
                }
                return true;
            },
            &wrongSize);
    }
    if (wrongSize > 0)
        problems << QStringLiteral("%1 embeddings of the current model do not have %2 values")
                        .arg(wrongSize)
                        .arg(dim);
    if (!notUnit.empty())
        problems << QStringLiteral("%1 embeddings are not unit length or not finite (photo ids "
                                   "%2)")
                        .arg(notUnit.size())
                        .arg(examples(notUnit));

    // The index agrees with the catalog.
    if (!m_options.loadIndex)
        return problems;
    if (m_indexState == QLatin1String("rebuilt") && m_indexFileStale)
        problems << QStringLiteral("index file %1: %2 (rebuilt in memory, not saved: %3; the "
                                   "next search or `imago-cli rebuild` saves a good one when "
                                   "the folder may be written and no writer is at work)")
                        .arg(indexFile(), m_indexDetail, m_indexUnsavedReason);
    const auto idx = index();
    std::vector<std::int64_t> indexIds = idx ? idx->ids() : std::vector<std::int64_t>{};
    if (idx && dim > 0 && idx->dim() != dim)
        problems << QStringLiteral("the index has dimension %1, the catalog's vectors %2")
                        .arg(idx->dim())
                        .arg(dim);
    if (indexIds.size() != catalogIds.size())
        problems << QStringLiteral("the index holds %1 vectors, the catalog %2 searchable ones")
                        .arg(indexIds.size())
                        .arg(catalogIds.size());
    std::vector<std::int64_t> onlyCatalog, onlyIndex;
    std::set_difference(catalogIds.begin(), catalogIds.end(), indexIds.begin(), indexIds.end(),
                        std::back_inserter(onlyCatalog));
    std::set_difference(indexIds.begin(), indexIds.end(), catalogIds.begin(), catalogIds.end(),
                        std::back_inserter(onlyIndex));
    if (!onlyCatalog.empty())
        problems << QStringLiteral("%1 searchable photos are not in the index (ids %2)")
                        .arg(onlyCatalog.size())
                        .arg(examples(onlyCatalog));
    if (!onlyIndex.empty())
        problems << QStringLiteral("%1 index entries are not searchable photos in the catalog "
                                   "(ids %2)")
                        .arg(onlyIndex.size())
                        .arg(examples(onlyIndex));
    return problems;
}

LibraryStatus Library::status()
{
    LibraryStatus s;
    s.directory = m_dir;
    s.schemaVersion = m_catalog->schemaVersion();
    s.shard = shard();
    s.mergedShardCount = mergedShardCount();
    s.counts = m_catalog->counts(m_model);
    for (const RootRecord &r : m_catalog->roots())
        s.roots.push_back({r.id, r.path, r.online, m_catalog->photoCountInRoot(r.id)});
    s.modelIdentity = m_model;
    s.previousModelIdentity = m_previousModel;
    s.generation = m_catalog->indexGeneration();
    IndexStatus &i = s.index;
    i.loaded = m_options.loadIndex;
    i.state = m_indexState;
    i.detail = m_indexDetail;
    if (m_indexFileStale)
        i.unsavedReason = m_indexUnsavedReason;
    i.unsavedChanges = m_unsaved > 0;
    if (const auto idx = index()) {
        i.kind = QString::fromLatin1(indexKindName(idx->kind()));
        i.size = idx->size();
        i.dim = idx->dim();
        i.nlist = idx->nlist();
        i.nprobe = idx->nprobe();
        i.recall = idx->measuredRecall();
    } else {
        i.kind = QStringLiteral("none");
    }
    return s;
}

void Library::save()
{
    if (m_options.readOnly || m_unsaved == 0)
        return;
    saveNow();
}

void Library::saveNow()
{
    if (m_options.readOnly || !m_options.loadIndex)
        return;
    // Grown past the threshold (or shrunk well below it): switch kinds before saving.
    const auto idx = index();
    const std::size_t threshold = m_options.index.approximateThreshold;
    // (The same rule as VectorIndex::build, so a rebuild never asks for another.)
    if (idx && ((idx->kind() == IndexKind::Flat && idx->size() >= threshold && idx->size() >= 2) ||
                (idx->kind() == IndexKind::Ivf && idx->size() < threshold / 2))) {
        qCInfo(lcLibrary).noquote()
            << QStringLiteral("%1: the library has %2 vectors; rebuilding the index as %3")
                   .arg(indexFile())
                   .arg(idx->size())
                   .arg(QLatin1String(idx->kind() == IndexKind::Flat ? "ivf" : "flat"));
        rebuildLocked(QString()); // saves
        return;
    }
    const IndexStamp stamp{m_catalog->indexGeneration(), m_model.toStdString()};
    const auto current = index();
    if (!current || current->size() == 0) {
        // No searchable vectors: no file is the consistent state (a missing file with an
        // empty catalog is not a problem at open).
        QFile::remove(indexFile());
    } else {
        try {
            current->save(toFsPath(indexFile()), stamp);
        } catch (const IndexFileError &e) {
            throw LibraryError(indexFile(), QString::fromUtf8(e.what()));
        }
    }
    m_unsaved = 0;
    m_indexFileStale = false;
}

} // namespace imago
