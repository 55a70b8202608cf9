// library_service.h - the open library and model of the desktop app, and the threads they
// live on.
//
// Threads (the GUI thread never waits on the model, the disk or the index):
//   - GUI thread: owns this object; calls open(), post(), overview(); receives results
//     through QFuture continuations (.then(context, ...)) and signals.
//   - library thread (one QThread, not subclassed; a context object lives on it): creates,
//     owns and destroys the read-write Library - it is the library's single writer, as
//     library.h requires. Every job that needs the Library as a writer (IndexingRun::run,
//     forget, refreshRoots, status) is posted here with post() and runs in order; an
//     indexing run therefore occupies it until it finishes, and later jobs queue behind it.
//     The SearchEngine is created and destroyed here too (it holds a Library reference).
//   - search pool (QThreadPool, a few threads): SearchEngine::search()/similar() run here
//     concurrently with the writer (library.h: search() is safe from any thread; the engine
//     reads details through its own read-only catalog connection). Closing waits for this
//     pool to drain on the library thread before the engine and library are destroyed.
//   - I/O pool: model loading (seconds) and read-only catalog overviews (overview(): roots,
//     counts, rejected files) through a fresh read-only Catalog connection, which sees every
//     committed batch without blocking the writer - so the folders panel stays current while
//     an indexing run holds the library thread.
//
// If another process holds the library's writer lock (e.g. `imago-cli index`), the library
// is opened read-only: searching works, indexing is refused (isReadOnly()).
#pragma once

#include "duplicate_finder.h"
#include "match_explainer.h"
#include "model_session.h"
#include "reason.h"

#include <QFuture>
#include <QObject>
#include <QPromise>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QThreadPool>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

namespace imago {

class Library;
class SearchEngine;

// A progress callback for a job on a pool: each call runs `update(done, total)` on the GUI
// thread, queued, and is dropped once `receiver` is gone (checked there, so a receiver
// deleted while the job still runs is never touched).
std::function<void(int, int)> progressOnGui(QObject *receiver,
                                            std::function<void(int, int)> update);

// The message of an exception delivered through a QFuture. QtConcurrent wraps exceptions that
// are not QExceptions in QUnhandledException, whose what() says nothing: unwrap it.
QString exceptionMessage(const std::exception &e);

struct ModelChoice
{
    QString modelDir;
    enum class Device
    {
        Auto,
        Cpu,
        Gpu
    } device = Device::Auto;
    int threads = 0; // 0: automatic
};

// A snapshot of the library read through a read-only catalog connection.
struct LibraryOverview
{
    struct Root
    {
        QString path;
        bool online = false;
        std::int64_t photos = 0;
    };
    struct Rejected
    {
        QString path;
        Reason reason; // shown through localizedReason()
    };
    std::vector<Root> roots;
    std::int64_t indexed = 0, rejected = 0, missing = 0, offline = 0, stale = 0;
    std::vector<Rejected> rejectedFiles; // at most kMaxRejectedListed, by path
    static constexpr int kMaxRejectedListed = 2000;
};

class LibraryService : public QObject
{
    Q_OBJECT
public:
    enum class State
    {
        Closed,
        Opening,
        Open,
        Failed
    };

    explicit LibraryService(QObject *parent = nullptr);
    // Closes the library on its thread and waits for that (a few ms; the index file may be
    // saved). Indexing must have been cancelled before (IndexingController does it).
    ~LibraryService() override;

    // Loads the model (I/O pool), then opens `libraryDir` (library thread) with the model's
    // identity. Anything open is closed first. Ends in opened() or openFailed().
    void open(const QString &libraryDir, const ModelChoice &model);

    State state() const { return m_state; }
    bool isOpen() const { return m_state == State::Open; }
    bool isReadOnly() const { return m_readOnly; }
    QString errorString() const { return m_error; }
    QString libraryDirectory() const { return m_libraryDir; }
    QString catalogFile() const;
    // Valid while isOpen(); use the engine only on the search pool (searchPool()).
    std::shared_ptr<const ModelSession> model() const { return m_model; }
    const SearchEngine *engine() const { return m_engine; }
    QString deviceName() const;
    QThreadPool *searchPool() { return &m_searchPool; }
    QThreadPool *ioPool() { return &m_ioPool; }

    // Runs job(Library &) on the library thread after the jobs posted before it. The future
    // carries its result or its exception. Fails with std::runtime_error when not open.
    template<typename F> auto post(F job) -> QFuture<std::invoke_result_t<F, Library &>>;

    // Roots, counts and rejected files, read on the I/O pool.
    QFuture<LibraryOverview> overview();
    // Groups of copies of the same picture (duplicate_finder.h), on the search pool;
    // `progress(done, total)` is called there; `cancel` stops it between photos (closing the
    // library sets it too, so that closing never waits for a long look).
    QFuture<DuplicateReport> findDuplicates(std::function<void(int, int)> progress = {},
                                            std::shared_ptr<std::atomic<bool>> cancel = {});
    // "Why this photo?" (match_explainer.h) on the search pool; `progress` is called there.
    QFuture<MatchExplanation> explain(const QString &photo, const QString &text, int grid,
                                      std::function<void(int, int)> progress,
                                      std::shared_ptr<std::atomic<bool>> cancel);

Q_SIGNALS:
    void stateChanged(imago::LibraryService::State state);
    void opened();
    void openFailed(const QString &message);
    // Emitted before a reopen or close: long jobs on the library thread should stop.
    void aboutToClose();

private:
    void postRaw(std::function<void()> fn);
    Library *libraryOnThread() const { return m_library.get(); } // library thread only
    void closeOnThread();                                        // library thread only
    void setState(State s);

    QThread m_thread;
    QObject *m_context = nullptr; // lives on m_thread
    QThreadPool m_searchPool;
    QThreadPool m_ioPool;

    // GUI thread
    State m_state = State::Closed;
    quint64 m_generation = 0;
    QString m_libraryDir, m_catalogFile, m_error;
    bool m_readOnly = false;
    std::shared_ptr<const ModelSession> m_model;
    const SearchEngine *m_engine = nullptr;
    const Library *m_searchLibrary = nullptr; // for the search pool's read-only jobs
    // Set while closing waits for the search pool: long read-only jobs stop early.
    std::atomic<bool> m_closing{false};

    // library thread
    std::unique_ptr<Library> m_library;
    std::unique_ptr<SearchEngine> m_ownedEngine;
};

template<typename F> auto LibraryService::post(F job) -> QFuture<std::invoke_result_t<F, Library &>>
{
    using R = std::invoke_result_t<F, Library &>;
    auto promise = std::make_shared<QPromise<R>>();
    QFuture<R> future = promise->future();
    promise->start();
    postRaw([this, promise, job = std::move(job)]() mutable {
        try {
            Library *lib = libraryOnThread();
            if (!lib)
                throw std::runtime_error("the library is not open");
            if constexpr (std::is_void_v<R>)
                job(*lib);
            else
                promise->addResult(job(*lib));
        } catch (...) {
            promise->setException(std::current_exception());
        }
        promise->finish();
    });
    return future;
}

} // namespace imago
