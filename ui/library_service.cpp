#include "library_service.h"

#include "catalog.h"
#include "duplicate_finder.h"
#include "library.h"
#include "library_error.h"
#include "match_explainer.h"
#include "model_store.h"
#include "runtime.h"
#include "search_engine.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QPointer>
#include <QUnhandledException>
#include <QtConcurrent>

#include <algorithm>
#include <thread>

Q_LOGGING_CATEGORY(lcUi, "imago.ui")

namespace imago {

namespace {

struct OpenedLibrary
{
    bool readOnly = false;
    QString catalogFile;
    const SearchEngine *engine = nullptr;
    const Library *library = nullptr;
    QString warning;
};

} // namespace

QString exceptionMessage(const std::exception &e)
{
    if (const auto *u = dynamic_cast<const QUnhandledException *>(&e); u && u->exception()) {
        try {
            std::rethrow_exception(u->exception());
        } catch (const std::exception &inner) {
            return QString::fromUtf8(inner.what());
        } catch (...) {
        }
    }
    return QString::fromUtf8(e.what());
}

LibraryService::LibraryService(QObject *parent) : QObject(parent)
{
    m_thread.setObjectName(QStringLiteral("imago-library"));
    m_context = new QObject;
    m_context->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_context, &QObject::deleteLater);
    m_thread.start();
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    m_searchPool.setMaxThreadCount(std::clamp(cores / 2, 1, 4));
    m_ioPool.setMaxThreadCount(2);
}

LibraryService::~LibraryService()
{
    ++m_generation;
    m_engine = nullptr;
    m_searchLibrary = nullptr;
    QPromise<void> done;
    QFuture<void> f = done.future();
    done.start();
    postRaw([this, &done] {
        closeOnThread();
        done.finish();
    });
    f.waitForFinished();
    m_thread.quit();
    m_thread.wait();
    m_ioPool.waitForDone();
}

void LibraryService::postRaw(std::function<void()> fn)
{
    QMetaObject::invokeMethod(m_context, std::move(fn), Qt::QueuedConnection);
}

QString LibraryService::catalogFile() const
{
    return m_catalogFile;
}

QString LibraryService::deviceName() const
{
    return m_model && m_model->model() ? QString::fromStdString(m_model->model()->deviceName())
                                       : QString();
}

void LibraryService::setState(State s)
{
    if (m_state == s)
        return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void LibraryService::closeOnThread()
{
    // Searches hold a raw engine pointer: let them finish before the engine goes.
    m_closing = true;
    m_searchPool.waitForDone();
    m_closing = false;
    m_ownedEngine.reset();
    m_library.reset();
}

void LibraryService::open(const QString &libraryDir, const ModelChoice &choice)
{
    if (m_state == State::Open || m_state == State::Opening)
        Q_EMIT aboutToClose();
    const quint64 generation = ++m_generation;
    m_engine = nullptr;
    m_searchLibrary = nullptr;
    m_model.reset();
    m_error.clear();
    m_readOnly = false;
    m_libraryDir = Library::defaultDirectory(libraryDir);
    m_catalogFile.clear();
    setState(State::Opening);
    postRaw([this] { closeOnThread(); });

    ModelSessionOptions options;
    options.model.threads = choice.threads;
    // Queries through the int8 text encoder: ~3x faster on a CPU, and the toy evaluation's
    // retrieval figures before and after rerank stay within 0.02 of fp32 (tst_searchengine).
    options.model.textPrecision = flava::Precision::Int8;
    // Photos at the precision this CPU runs fastest within the quality gates (bf16 on AMX or
    // AVX512_BF16: cosine 0.9999 of fp32, tst_flavatoy), as `imago-cli index` does.
    options.model.precision = flava::bestCpuPrecision();
    options.model.device = choice.device == ModelChoice::Device::Cpu   ? flava::Device::Cpu
                           : choice.device == ModelChoice::Device::Gpu ? flava::Device::Cuda
                                                                       : flava::Device::Auto;
    options.model.cacheDir = QFile::encodeName(ModelStore::defaultCacheDir()).toStdString();
    const QString modelDir = choice.modelDir;
    const QString dir = m_libraryDir;

    auto fail = [this, generation](const QString &message) {
        if (generation != m_generation)
            return;
        m_error = message;
        qCWarning(lcUi) << "open failed:" << message;
        setState(State::Failed);
        Q_EMIT openFailed(message);
    };

    QtConcurrent::run(&m_ioPool,
                      [modelDir, options] {
                          if (modelDir.isEmpty())
                              throw std::runtime_error("no model folder chosen");
                          return ModelSession::open(modelDir, options);
                      })
        .then(this,
              [this, generation, dir, fail](std::shared_ptr<const ModelSession> model) {
                  if (generation != m_generation)
                      return;
                  m_model = model;
                  auto promise = std::make_shared<QPromise<OpenedLibrary>>();
                  promise->start();
                  postRaw([this, promise, model, dir] {
                      try {
                          closeOnThread();
                          OpenedLibrary out;
                          LibraryOptions lo;
                          lo.modelIdentity = model->identity();
                          QDir().mkpath(dir);
                          try {
                              m_library = std::make_unique<Library>(dir, lo);
                          } catch (const LibraryError &e) {
                              // Most likely another process is indexing it: search read-only.
                              if (!Library::exists(dir))
                                  throw;
                              lo.readOnly = true;
                              m_library = std::make_unique<Library>(dir, lo);
                              out.readOnly = true;
                              out.warning = QString::fromUtf8(e.what());
                          }
                          m_ownedEngine = std::make_unique<SearchEngine>(model, *m_library);
                          out.catalogFile = m_library->catalogFile();
                          out.engine = m_ownedEngine.get();
                          out.library = m_library.get();
                          promise->addResult(out);
                      } catch (...) {
                          m_ownedEngine.reset();
                          m_library.reset();
                          promise->setException(std::current_exception());
                      }
                      promise->finish();
                  });
                  promise->future()
                      .then(this,
                            [this, generation](const OpenedLibrary &o) {
                                if (generation != m_generation)
                                    return;
                                m_readOnly = o.readOnly;
                                m_catalogFile = o.catalogFile;
                                m_engine = o.engine;
                                m_searchLibrary = o.library;
                                if (!o.warning.isEmpty())
                                    qCWarning(lcUi) << "library opened read-only:" << o.warning;
                                setState(State::Open);
                                Q_EMIT opened();
                            })
                      .onFailed(this,
                                [fail](const std::exception &e) { fail(exceptionMessage(e)); });
              })
        .onFailed(this, [fail](const std::exception &e) { fail(exceptionMessage(e)); });
}

QFuture<LibraryOverview> LibraryService::overview()
{
    const QString file = m_catalogFile;
    const QString identity = m_model ? m_model->identity() : QString();
    return QtConcurrent::run(&m_ioPool, [file, identity] {
        LibraryOverview o;
        if (file.isEmpty())
            return o;
        Catalog catalog(file, Catalog::Mode::ReadOnly);
        for (const RootRecord &r : catalog.roots())
            o.roots.push_back({r.path, r.online, catalog.photoCountInRoot(r.id)});
        const StatusCounts c = catalog.counts(identity);
        o.indexed = c.indexed;
        o.rejected = c.rejected;
        o.missing = c.missing;
        o.offline = c.offline;
        o.stale = c.stale;
        PhotoQuery q;
        q.status = PhotoStatus::Rejected;
        q.limit = LibraryOverview::kMaxRejectedListed;
        catalog.forEachPhoto(q, [&](const PhotoRecord &p) {
            o.rejectedFiles.push_back({p.facts.path, p.reason});
        });
        return o;
    });
}

std::function<void(int, int)> progressOnGui(QObject *receiver, std::function<void(int, int)> update)
{
    return [guard = QPointer<QObject>(receiver), update = std::move(update)](int done, int total) {
        QMetaObject::invokeMethod(
            qApp,
            [guard, update, done, total] {
                if (guard)
                    update(done, total);
            },
            Qt::QueuedConnection);
    };
}

QFuture<DuplicateReport> LibraryService::findDuplicates(std::function<void(int, int)> progress,
                                                        std::shared_ptr<std::atomic<bool>> cancel)
{
    const Library *library = isOpen() ? m_searchLibrary : nullptr;
    if (!cancel)
        cancel = std::make_shared<std::atomic<bool>>(false);
    // Stopped by the caller or by closing the library, whichever comes first.
    return QtConcurrent::run(&m_searchPool, [library, progress, cancel, closing = &m_closing] {
        if (!library)
            throw std::runtime_error("the library is not open");
        std::atomic<bool> stop{false};
        const auto report = imago::findDuplicates(
            *library, {},
            [&](int done, int total) {
                if (cancel->load() || closing->load())
                    stop = true;
                if (progress)
                    progress(done, total);
            },
            &stop);
        return report;
    });
}

QFuture<MatchExplanation> LibraryService::explain(const QString &photo, const QString &text,
                                                  int grid, std::function<void(int, int)> progress,
                                                  std::shared_ptr<std::atomic<bool>> cancel)
{
    const auto model = isOpen() ? m_model : nullptr;
    return QtConcurrent::run(&m_searchPool, [=] {
        if (!model)
            throw std::runtime_error("the library is not open");
        return explainMatch(*model, photo, text, grid, grid, progress, cancel.get());
    });
}

} // namespace imago
