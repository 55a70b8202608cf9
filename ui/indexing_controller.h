// indexing_controller.h - indexing as a long job with a QObject face, for the desktop app.
//
// start(paths) runs an IndexingRun over them on the library thread (LibraryService::post: the
// run is the library's single writer and blocks that thread until it ends). Paths given while
// a run is going are queued and indexed by the next run, started as soon as this one ends.
// pause(), resume() and cancel() are forwarded to the run from the GUI thread (IndexingRun
// allows that); cancel() finishes the batch in flight and commits it.
//
// Signals are emitted on the GUI thread: progress at most every ~100 ms (from the run's
// callback, queued), then finished() or failed(). A reopen or close of the library
// (LibraryService::aboutToClose) cancels the run and drops the queue.
#pragma once

#include "indexing_run.h"

#include <QFuture>
#include <QObject>
#include <QStringList>

#include <memory>
#include <mutex>

namespace imago {

class LibraryService;

class IndexingController : public QObject
{
    Q_OBJECT
public:
    explicit IndexingController(LibraryService *service, QObject *parent = nullptr);
    // Cancels the run and waits for it to commit its batch in flight.
    ~IndexingController() override;

    void setOptions(const IndexingOptions &options) { m_options = options; }
    // Folders or single files; absolute paths. Returns false (and emits failed) when the
    // library is not open for writing.
    bool start(const QStringList &paths);
    bool isRunning() const { return m_running; }
    bool isPaused() const { return m_paused; }
    const IndexingProgress &lastProgress() const { return m_last; }
    QStringList currentPaths() const { return m_current; }

public Q_SLOTS:
    void pause();
    void resume();
    void cancel();

Q_SIGNALS:
    void started(const QStringList &paths);
    void progressChanged(const imago::IndexingProgress &progress);
    void pausedChanged(bool paused);
    void finished(const imago::IndexingSummary &summary);
    void failed(const QString &message);

private:
    void launch();
    void cancelAndWait();

    struct Shared
    {
        std::mutex mutex;
        IndexingRun *run = nullptr; // set on the library thread while run() is going
        bool pauseRequested = false;
        bool cancelRequested = false;
    };

    LibraryService *m_service;
    IndexingOptions m_options;
    std::shared_ptr<Shared> m_shared;
    QFuture<IndexingSummary> m_future;
    QStringList m_queue, m_current;
    IndexingProgress m_last;
    bool m_running = false;
    bool m_paused = false;
};

} // namespace imago
