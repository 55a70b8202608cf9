// indexing_run.h - one pass of the indexing pipeline over some folders.
//
//   Scanner thread ──► decode workers ──► model worker ──► writer (the thread calling run())
//   (walk, compare     (read, hash,       (batches of N    (Library::apply in one transaction
//    with catalog)      decode, resize)    images)          per batch, progress)
//
// Every stage is joined by a bounded queue, so memory stays flat however many photos there are.
// What is already indexed is recognised without reading it (path, size, mtime); a changed
// file whose bytes are the same (content hash) is not re-embedded; a moved or renamed file
// keeps its record and vector; a copy reuses its twin's vector; files gone from a reachable
// folder become "missing" (kept, not deleted). Each model batch is committed on its own, so a
// run killed at any moment loses at most the batch in flight, and the next run resumes.
//
// Threading: run() blocks the calling thread (it is the single writer). pause(), resume()
// and cancel() may be called from any thread while it runs; cancel() finishes the batch in
// flight, commits it and returns.
#pragma once

#include "image_decoder.h"
#include "scanner.h"
#include "shard.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace imago {

class Library;
class ModelSession;

struct IndexingOptions
{
    int batchSize = 8;
    // 0: one per core, at most 8. They run at low priority (nice 10), so they take what the
    // model leaves - and every core while the model waits for its next batch.
    int decodeThreads = 0;
    bool fastDecode = true; // JPEG DCT-domain downscale (see preprocess.h)
    ScanOptions scan;
    DecodeLimits limits;
    // Index only this shard's photos (shard.h: by their paths relative to their roots). The
    // library must hold this shard, or be new (Library::claimShard); run() throws otherwise.
    std::optional<ShardSpec> shard;
    // Called on the scanner thread once every root has been walked, before the decoders see
    // the end of the work. A seam for tests that change files between scan and decode.
    std::function<void()> onScanFinished;
};

struct IndexingFailure
{
    QString path;
    Reason reason; // code, English sentence, arguments (reason.h)
};

struct IndexingProgress
{
    qint64 done = 0;  // files dealt with (indexed, unchanged, rejected)
    qint64 total = 0; // candidate files found so far
    bool scanFinished = false;
    qint64 indexed = 0, unchanged = 0, rejected = 0, missing = 0;
    double imagesPerSecond = 0; // model throughput, recent
    double etaSeconds = -1;     // -1 while unknown
    bool paused = false;
};

struct IndexingSummary
{
    qint64 indexed = 0;   // embedded by the model, or given a twin's vector
    qint64 unchanged = 0; // already indexed and untouched (moved files count here too)
    qint64 rejected = 0;
    qint64 missing = 0;
    qint64 moved = 0;
    double seconds = 0;
    double imagesPerSecond = 0; // images through the model per second of the run
    std::vector<IndexingFailure> failures;
    // Roots that could not be read, or went away during the run (unmounted, disconnected,
    // renamed): their photos are kept as they were, none is marked missing for it.
    QStringList offlineRoots;
    bool cancelled = false;
};

class IndexingRun
{
public:
    IndexingRun(Library &library, std::shared_ptr<const ModelSession> model,
                IndexingOptions options = {});
    ~IndexingRun();

    // Indexes `roots` (folders or single files; folders are added to the library's roots).
    // `onProgress` is called on the calling thread, at most every ~100 ms and at the end.
    // Throws on a fatal error (library unwritable, disk full): nothing committed is lost.
    IndexingSummary run(const QStringList &roots,
                        const std::function<void(const IndexingProgress &)> &onProgress = {});

    void pause();
    void resume();
    void cancel();
    bool isPaused() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace imago
