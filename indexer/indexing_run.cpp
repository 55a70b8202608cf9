#include "indexing_run.h"

#include "bounded_queue.h"
#include "catalog.h"
#include "content_hash.h"
#include "library.h"
#include "model_session.h"
#include "photo_metadata.h"
#include "preprocess.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QLoggingCategory>
#include <QSet>

#include <algorithm>
#include <exception>
#include <optional>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>

Q_LOGGING_CATEGORY(lcIndexer, "imago.indexer", QtInfoMsg)

namespace imago {

namespace {

// A file the scanner decided needs reading.
struct WorkItem
{
    ScanEntry entry;
    std::optional<PhotoRecord> existing; // its catalog record, when the path is known
    QString root;                        // the root folder it was found under
    // Unchanged and embedded, but recorded before its words were read (PhotoFacts::textRead):
    // read them from the file, decode nothing.
    bool textOnly = false;
};

// Decoded and ready for the model.
struct DecodedItem
{
    PhotoFacts facts;
    std::vector<float> pixels; // CHW
};

// What the writer records.
struct ResultItem
{
    enum class Kind
    {
        Embedded,
        Reuse,
        Touched,
        Rejected,
        Missing,
        Unchanged,
        RootOffline,
        TextRead
    };
    Kind kind = Kind::Unchanged;
    std::vector<PhotoFacts> facts; // Embedded: the batch; else one
    std::vector<float> embeddings; // Embedded: batch x E
    Reason reason;                 // Rejected, Missing
    QString root;                  // RootOffline: the root
};

PhotoFacts factsOf(const ScanEntry &e)
{
    PhotoFacts f;
    f.path = e.path;
    f.size = e.size;
    f.mtime = e.mtime;
    return f;
}

bool sameFile(const PhotoRecord &r, const ScanEntry &e)
{
    return r.facts.size == e.size && r.facts.mtime == e.mtime;
}

// Whether a root folder is still there as the catalog knows it (see isRootOnline): a file
// that vanished from an online root is gone; from a root that went away (a drive unmounted, a
// share dropped, the folder renamed) it is only out of reach, and must not be marked missing.
class RootWatch
{
public:
    explicit RootWatch(Catalog &catalog)
    {
        for (const RootRecord &r : catalog.roots())
            m_volume.insert(r.path, r.volumeRoot);
    }
    bool online(const QString &root) const
    {
        const auto it = m_volume.constFind(root);
        // A single-file root is not a folder that can go away as a whole.
        return it == m_volume.cend() || isRootOnline(root, *it);
    }

private:
    QHash<QString, QString> m_volume;
};

} // namespace

struct IndexingRun::Private
{
    Library &library;
    std::shared_ptr<const ModelSession> model;
    IndexingOptions options;

    std::atomic<bool> cancelled{false};
    std::atomic<bool> paused{false};
    mutable std::mutex pauseMutex;
    std::condition_variable pauseChanged;

    std::mutex errorMutex;
    std::exception_ptr fatal;

    std::atomic<qint64> total{0};
    std::atomic<bool> scanFinished{false};

    Private(Library &l, std::shared_ptr<const ModelSession> m, IndexingOptions o)
        : library(l), model(std::move(m)), options(std::move(o))
    {
    }

    // Blocks while paused; false when cancelled.
    bool waitWhilePaused()
    {
        std::unique_lock lock(pauseMutex);
        pauseChanged.wait(lock, [&] { return !paused.load() || cancelled.load(); });
        return !cancelled.load();
    }

    void fail(std::exception_ptr e)
    {
        std::lock_guard lock(errorMutex);
        if (!fatal)
            fatal = e;
        cancelled = true;
        pauseChanged.notify_all();
    }

    void scan(const QStringList &roots, BoundedQueue<WorkItem> &work,
              BoundedQueue<ResultItem> &results, QStringList &offline);
    void decode(BoundedQueue<WorkItem> &work, BoundedQueue<DecodedItem> &decoded,
                BoundedQueue<ResultItem> &results);
    void embed(BoundedQueue<DecodedItem> &decoded, BoundedQueue<ResultItem> &results);
};

IndexingRun::IndexingRun(Library &library, std::shared_ptr<const ModelSession> model,
                         IndexingOptions options)
    : d(std::make_unique<Private>(library, std::move(model), std::move(options)))
{
    if (!d->model || !d->model->model())
        throw std::invalid_argument("IndexingRun needs a model session with weights");
    d->options.batchSize = std::max(1, d->options.batchSize);
}

IndexingRun::~IndexingRun() = default;

void IndexingRun::pause()
{
    std::lock_guard lock(d->pauseMutex);
    d->paused = true;
    d->pauseChanged.notify_all();
}

void IndexingRun::resume()
{
    std::lock_guard lock(d->pauseMutex);
    d->paused = false;
    d->pauseChanged.notify_all();
}

void IndexingRun::cancel()
{
    std::lock_guard lock(d->pauseMutex);
    d->cancelled = true;
    d->pauseChanged.notify_all();
}

bool IndexingRun::isPaused() const
{
    return d->paused.load();
}

void IndexingRun::Private::scan(const QStringList &roots, BoundedQueue<WorkItem> &work,
                                BoundedQueue<ResultItem> &results, QStringList &offline)
{
    // Its own read connection: the writer's connection belongs to the writer thread.
    Catalog catalog(library.catalogFile(), Catalog::Mode::ReadOnly);
    const RootWatch rootWatch(catalog); // run() added the roots before the scan starts
    const QString currentModel = library.modelIdentity();
    // A shard takes the photos whose path relative to their (deepest) root hashes to it.
    std::vector<QString> rootPrefixes;
    for (const RootRecord &r : catalog.roots())
        rootPrefixes.push_back(r.path.endsWith(QLatin1Char('/')) ? r.path
                                                                 : r.path + QLatin1Char('/'));
    std::sort(rootPrefixes.begin(), rootPrefixes.end(),
              [](const QString &a, const QString &b) { return a.size() > b.size(); });
    const auto inShard = [&](const QString &path) {
        if (!options.shard)
            return true;
        QString relative = QFileInfo(path).fileName();
        for (const QString &prefix : rootPrefixes)
            if (path.startsWith(prefix)) {
                relative = path.mid(prefix.size());
                break;
            }
        return shardOfPath(relative, options.shard->count) == options.shard->index;
    };
    for (const QString &root : roots) {
        std::unordered_set<std::int64_t> seen;
        const bool readable = Scanner::walk(
            root, options.scan,
            [&](const ScanEntry &e) {
                if (!inShard(e.path))
                    return !cancelled.load();
                ++total;
                auto existing = catalog.photoByPath(e.path);
                if (existing) {
                    seen.insert(existing->id);
                    const bool current = existing->embeddingModel == currentModel;
                    const bool settled = existing->status == PhotoStatus::Rejected ||
                                         (existing->status == PhotoStatus::Indexed && current);
                    if (settled && sameFile(*existing, e)) {
                        if (existing->status == PhotoStatus::Indexed && !existing->facts.textRead)
                            return work.push({e, std::move(existing), root, true}) &&
                                   !cancelled.load();
                        results.push({ResultItem::Kind::Unchanged, {}, {}, {}, {}});
                        return !cancelled.load();
                    }
                }
                return work.push({e, std::move(existing), root}) && !cancelled.load();
            },
            &cancelled);
        if (!readable) {
            offline << root;
            continue;
        }
        if (cancelled.load())
            break;
        // Photos recorded under a folder that was walked completely but not seen are gone -
        // unless the folder itself went away during the walk.
        if (QFileInfo(root).isDir() && !rootWatch.online(root)) {
            offline << root;
        } else if (QFileInfo(root).isDir()) {
            PhotoQuery q;
            q.under = QDir::cleanPath(QFileInfo(root).absoluteFilePath());
            catalog.forEachPhoto(q, [&](const PhotoRecord &r) {
                if (r.status != PhotoStatus::Missing && !seen.count(r.id) &&
                    !QFileInfo::exists(r.facts.path))
                    results.push(
                        {ResultItem::Kind::Missing, {r.facts}, {}, fileNotFoundReason(), {}});
            });
        }
    }
}

void IndexingRun::Private::decode(BoundedQueue<WorkItem> &work, BoundedQueue<DecodedItem> &decoded,
                                  BoundedQueue<ResultItem> &results)
{
    Catalog catalog(library.catalogFile(), Catalog::Mode::ReadOnly);
    const RootWatch roots(catalog);
    QSet<QString> offlineRoots;
    const QString currentModel = library.modelIdentity();
    const PreprocessConfig &pre = model->preprocess();
    const std::size_t floats = std::size_t(3) * pre.size * pre.size;
    while (waitWhilePaused()) {
        auto item = work.pop();
        if (!item)
            return;
        PhotoFacts facts = factsOf(item->entry);
        // Its root went away during the run: leave its photos as they are.
        if (offlineRoots.contains(item->root)) {
            results.push({ResultItem::Kind::RootOffline, {facts}, {}, {}, item->root});
            continue;
        }
        auto reject = [&](Reason reason) {
            results.push({ResultItem::Kind::Rejected, {facts}, {}, std::move(reason), {}});
        };
        const auto cannotRead = [](const QFile &f) {
            return makeReason(reason::kUnreadable,
                              QStringLiteral("cannot read: %1").arg(f.errorString()),
                              {f.errorString()});
        };
        if (quint64(item->entry.size) > options.limits.maxFileBytes) {
            reject(fileTooLargeReason(quint64(item->entry.size), options.limits.maxFileBytes));
            continue;
        }
        QFile file(facts.path);
        if (!file.open(QIODevice::ReadOnly)) {
            // Deleted between scan and decode, or unreadable: not indexed, say why. A whole
            // root gone (unmounted, renamed) is not a deletion.
            if (file.exists()) {
                reject(cannotRead(file));
            } else if (!roots.online(item->root)) {
                offlineRoots.insert(item->root);
                results.push({ResultItem::Kind::RootOffline, {facts}, {}, {}, item->root});
            } else {
                results.push({ResultItem::Kind::Missing, {facts}, {}, fileNotFoundReason(), {}});
            }
            continue;
        }
        // QIODevice::read(n) allocates n bytes up front: ask for what the file holds (one byte
        // more shows a file that grew past the limit since the scan), not for the limit.
        const QByteArray bytes =
            file.read(std::min<qint64>(file.size(), qint64(options.limits.maxFileBytes)) + 1);
        if (file.error() != QFileDevice::NoError) {
            reject(cannotRead(file));
            continue;
        }
        facts.size = bytes.size(); // what was actually read (the file may have changed since)
        if (item->textOnly) {
            const PhotoMetadata meta = readPhotoMetadata(bytes);
            facts.keywords = meta.keywords;
            facts.title = meta.title;
            facts.description = meta.description;
            facts.textRead = true;
            results.push({ResultItem::Kind::TextRead, {facts}, {}, {}, {}});
            continue;
        }
        facts.contentHash = photoContentHashOf(bytes);

        // Same bytes as a vector the library already has (this file unchanged but touched, a
        // moved file, or a copy): no need for the model.
        const bool sameAsBefore = item->existing &&
                                  item->existing->facts.contentHash == facts.contentHash &&
                                  item->existing->embeddingModel == currentModel;
        bool twin = false;
        if (!sameAsBefore)
            for (const auto &r : catalog.photosByContentHash(facts.contentHash))
                if (r.embeddingModel == currentModel && r.status != PhotoStatus::Rejected) {
                    twin = true;
                    break;
                }

        DecodedItem out;
        out.pixels.resize(floats);
        const PreprocessOutcome r =
            preprocessImageData(bytes, pre, options.fastDecode, out.pixels.data(), options.limits);
        if (!r.ok()) {
            reject(r.reason());
            continue;
        }
        facts.width = r.orientedWidth;
        facts.height = r.orientedHeight;
        facts.format = r.format.toLower();
        facts.capturedAt = r.metadata.capturedAt;
        facts.camera = r.metadata.camera;
        facts.keywords = r.metadata.keywords;
        facts.title = r.metadata.title;
        facts.description = r.metadata.description;
        facts.textRead = true;
        if (sameAsBefore || twin) {
            results.push({sameAsBefore ? ResultItem::Kind::Touched : ResultItem::Kind::Reuse,
                          {facts},
                          {},
                          {},
                          {}});
            continue;
        }
        out.facts = std::move(facts);
        if (!decoded.push(std::move(out)))
            return;
    }
}

void IndexingRun::Private::embed(BoundedQueue<DecodedItem> &decoded,
                                 BoundedQueue<ResultItem> &results)
{
    const auto &m = *model->model();
    const std::size_t e = m.embeddingDim();
    std::vector<DecodedItem> batch;
    auto flush = [&] {
        if (batch.empty())
            return;
        std::vector<float> pixels;
        pixels.reserve(batch.size() * batch.front().pixels.size());
        for (const auto &b : batch)
            pixels.insert(pixels.end(), b.pixels.begin(), b.pixels.end());
        ResultItem r;
        r.kind = ResultItem::Kind::Embedded;
        r.embeddings = m.embedImages(pixels, int(batch.size()));
        Q_ASSERT(r.embeddings.size() == batch.size() * e);
        for (auto &b : batch)
            r.facts.push_back(std::move(b.facts));
        batch.clear();
        results.push(std::move(r));
    };
    while (true) {
        if (!waitWhilePaused())
            break;
        auto item = decoded.pop();
        if (!item)
            break;
        batch.push_back(std::move(*item));
        if (int(batch.size()) >= options.batchSize)
            flush();
    }
    if (!cancelled.load())
        flush();
}

IndexingSummary IndexingRun::run(const QStringList &rootsIn,
                                 const std::function<void(const IndexingProgress &)> &onProgress)
{
    QElapsedTimer clock;
    clock.start();
    IndexingSummary summary;
    d->library.claimShard(d->options.shard);
    QStringList roots;
    for (const QString &r : rootsIn) {
        const QFileInfo fi(r);
        const QString clean = QDir::cleanPath(fi.absoluteFilePath());
        roots << clean;
        if (fi.isDir())
            d->library.addRoot(clean);
    }
    // Roots that went offline keep their photos, marked missing; photos that came back return.
    const RootsRefresh refresh = d->library.refreshRoots();
    summary.offlineRoots = refresh.offline;

    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    const int decoders =
        d->options.decodeThreads > 0 ? d->options.decodeThreads : std::clamp(cores, 1, 8);
    BoundedQueue<WorkItem> work(64);
    BoundedQueue<DecodedItem> decoded(std::size_t(2 * d->options.batchSize));
    BoundedQueue<ResultItem> results(256);

    auto attempt = [this](auto &&f) {
        try {
            f();
        } catch (...) {
            d->fail(std::current_exception());
        }
    };
    // Each stage closes its output however it ends (done, cancelled, failed), so the next stage
    // and any producer blocked on a full queue always wake up.
    QStringList offline;
    std::thread scanner([&] {
        attempt([&] { d->scan(roots, work, results, offline); });
        if (d->options.onScanFinished)
            d->options.onScanFinished();
        d->scanFinished = true;
        work.close();
    });
    std::atomic<int> decodersLeft{decoders};
    std::vector<std::thread> decodePool;
    for (int i = 0; i < decoders; ++i)
        decodePool.emplace_back([&] {
            // The model is the bottleneck: let decoding use what the model's threads leave
            // (their serial stretches, waits), rather than preempting them. Linux gives each
            // thread its own nice value.
            ::setpriority(PRIO_PROCESS, pid_t(::syscall(SYS_gettid)), 10);
            attempt([&] { d->decode(work, decoded, results); });
            if (d->cancelled.load())
                work.close(); // the scanner may be waiting to push
            if (--decodersLeft == 0)
                decoded.close();
        });
    std::thread modelWorker([&] {
        attempt([&] { d->embed(decoded, results); });
        decoded.close(); // decoders may be waiting to push after a cancel
        // Nothing more can arrive once the decoders are done.
        for (auto &t : decodePool)
            t.join();
        results.close();
    });

    // The writer: this thread.
    IndexingProgress progress;
    LibraryBatch pending;
    QStringList rootsLost; // went offline during the run
    qint64 embeddedTotal = 0;
    double rate = 0;
    QElapsedTimer sinceReport, sinceRate;
    sinceReport.start();
    sinceRate.start();
    qint64 embeddedAtRate = 0;
    auto commit = [&] {
        if (pending.indexed.empty() && pending.rejected.empty() && pending.missing.isEmpty() &&
            pending.texts.empty())
            return;
        d->library.apply(pending);
        pending = LibraryBatch();
    };
    auto report = [&](bool force) {
        if (!onProgress || (!force && sinceReport.elapsed() < 100))
            return;
        sinceReport.restart();
        progress.total = d->total.load();
        progress.scanFinished = d->scanFinished.load();
        progress.paused = d->paused.load();
        progress.imagesPerSecond = rate;
        progress.etaSeconds =
            progress.scanFinished && rate > 0 ? double(progress.total - progress.done) / rate : -1;
        onProgress(progress);
    };
    try {
        while (auto item = results.pop()) {
            switch (item->kind) {
            case ResultItem::Kind::Unchanged:
                ++progress.unchanged;
                ++progress.done;
                break;
            case ResultItem::Kind::TextRead:
                pending.texts.push_back(std::move(item->facts[0]));
                ++progress.unchanged;
                ++progress.done;
                if (pending.texts.size() >= 256)
                    commit();
                break;
            case ResultItem::Kind::RootOffline:
                // Not indexed now, nothing recorded: the next run with the root back does it.
                if (!rootsLost.contains(item->root)) {
                    rootsLost << item->root;
                    qCWarning(lcIndexer).noquote()
                        << QStringLiteral("%1: the folder went away during the run (unmounted, "
                                          "disconnected or renamed?); its photos are kept as "
                                          "they were")
                               .arg(item->root);
                }
                ++progress.done;
                break;
            case ResultItem::Kind::Missing:
                pending.missing << item->facts[0].path;
                pending.missingReason = item->reason;
                ++progress.missing;
                break;
            case ResultItem::Kind::Rejected:
                pending.rejected.push_back({item->facts[0], item->reason});
                summary.failures.push_back({item->facts[0].path, item->reason});
                ++progress.rejected;
                ++progress.done;
                break;
            case ResultItem::Kind::Touched: {
                // Same bytes, new timestamp: keep the vector, record the new facts.
                const PhotoFacts &f = item->facts[0];
                if (auto v = d->library.embeddingForContent(f.contentHash))
                    pending.indexed.push_back({f, std::move(*v)});
                ++progress.unchanged;
                ++progress.done;
                break;
            }
            case ResultItem::Kind::Reuse: {
                const PhotoFacts &f = item->facts[0];
                commit(); // adoption reads what is committed
                if (d->library.adoptMovedPhoto(f)) {
                    ++summary.moved;
                    ++progress.unchanged;
                } else if (auto v = d->library.embeddingForContent(f.contentHash)) {
                    pending.indexed.push_back({f, std::move(*v)});
                    ++progress.indexed;
                } else {
                    // Its twin vanished in the meantime: the next run embeds it.
                    qCInfo(lcIndexer) << "deferred" << f.path;
                }
                ++progress.done;
                break;
            }
            case ResultItem::Kind::Embedded: {
                const std::size_t e = item->embeddings.size() / item->facts.size();
                for (std::size_t i = 0; i < item->facts.size(); ++i)
                    pending.indexed.push_back(
                        {std::move(item->facts[i]),
                         std::vector<float>(item->embeddings.begin() + i * e,
                                            item->embeddings.begin() + (i + 1) * e)});
                progress.indexed += qint64(item->facts.size());
                progress.done += qint64(item->facts.size());
                embeddedTotal += qint64(item->facts.size());
                commit(); // one transaction per model batch: a kill loses at most the next one
                if (sinceRate.elapsed() >= 1000 || rate == 0) {
                    const double now = double(embeddedTotal - embeddedAtRate) /
                                       std::max(1e-3, sinceRate.elapsed() / 1000.0);
                    rate = rate == 0 ? now : 0.7 * rate + 0.3 * now;
                    embeddedAtRate = embeddedTotal;
                    sinceRate.restart();
                }
                break;
            }
            }
            if (pending.rejected.size() + std::size_t(pending.missing.size()) >= 256)
                commit();
            report(false);
        }
        commit();
    } catch (...) {
        d->fail(std::current_exception());
        work.close();
        decoded.close();
        results.close();
    }
    scanner.join();
    modelWorker.join();
    try {
        d->library.save();
    } catch (...) {
        d->fail(std::current_exception());
    }
    if (d->fatal)
        std::rethrow_exception(d->fatal);

    summary.offlineRoots << offline;
    summary.offlineRoots << rootsLost;
    summary.offlineRoots.removeDuplicates();
    summary.indexed = progress.indexed;
    summary.unchanged = progress.unchanged;
    summary.rejected = progress.rejected;
    summary.missing = progress.missing + refresh.photosMarkedMissing;
    summary.cancelled = d->cancelled.load();
    summary.seconds = clock.elapsed() / 1000.0;
    summary.imagesPerSecond = summary.seconds > 0 ? double(embeddedTotal) / summary.seconds : 0;
    report(true);
    return summary;
}

} // namespace imago
