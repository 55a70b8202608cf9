#include "indexing_controller.h"

#include "library.h"
#include "library_service.h"

#include <QDir>
#include <QFileInfo>
#include <QPointer>

namespace imago {

IndexingController::IndexingController(LibraryService *service, QObject *parent)
    : QObject(parent), m_service(service)
{
    connect(service, &LibraryService::aboutToClose, this, [this] {
        m_queue.clear();
        cancel();
    });
}

IndexingController::~IndexingController()
{
    cancelAndWait();
}

void IndexingController::cancelAndWait()
{
    m_queue.clear();
    cancel();
    if (m_running)
        m_future.waitForFinished();
}

bool IndexingController::start(const QStringList &paths)
{
    if (!m_service->isOpen() || m_service->isReadOnly()) {
        Q_EMIT failed(m_service->isReadOnly()
                          ? tr("This library is being changed by another program; it can be "
                               "searched but not indexed until that program ends.")
                          : tr("The library is not open yet."));
        return false;
    }
    for (const QString &p : paths) {
        const QString clean = QDir::cleanPath(QFileInfo(p).absoluteFilePath());
        if (!m_queue.contains(clean) && !(m_running && m_current.contains(clean)))
            m_queue.append(clean);
    }
    if (!m_running && !m_queue.isEmpty())
        launch();
    return true;
}

void IndexingController::launch()
{
    m_current = m_queue;
    m_queue.clear();
    m_running = true;
    m_last = {};
    m_shared = std::make_shared<Shared>();
    m_shared->pauseRequested = m_paused;
    const auto shared = m_shared;
    const auto model = m_service->model();
    const IndexingOptions options = m_options;
    const QStringList paths = m_current;
    QPointer<IndexingController> self(this);

    m_future = m_service->post([shared, model, options, paths, self](Library &library) {
        IndexingRun run(library, model, options);
        {
            std::lock_guard lock(shared->mutex);
            if (shared->cancelRequested) {
                IndexingSummary none;
                none.cancelled = true;
                return none;
            }
            shared->run = &run;
            if (shared->pauseRequested)
                run.pause();
        }
        struct Unpublish
        {
            Shared *s;
            ~Unpublish()
            {
                std::lock_guard lock(s->mutex);
                s->run = nullptr;
            }
        } unpublish{shared.get()};
        // The controller outlives the run (its destructor waits), so `self` is only checked,
        // not raced: queued calls to a deleted object are dropped by Qt.
        QObject *target = self.data();
        return run.run(paths, [target](const IndexingProgress &p) {
            QMetaObject::invokeMethod(
                target,
                [target, p] {
                    auto *c = static_cast<IndexingController *>(target);
                    if (!c->m_running)
                        return;
                    c->m_last = p;
                    Q_EMIT c->progressChanged(p);
                },
                Qt::QueuedConnection);
        });
    });
    Q_EMIT started(paths);

    m_future
        .then(this,
              [this](const IndexingSummary &summary) {
                  m_running = false;
                  m_current.clear();
                  Q_EMIT finished(summary);
                  if (!m_queue.isEmpty())
                      launch();
              })
        .onFailed(this, [this](const std::exception &e) {
            m_running = false;
            m_current.clear();
            Q_EMIT failed(exceptionMessage(e));
            if (!m_queue.isEmpty())
                launch();
        });
}

void IndexingController::pause()
{
    if (m_paused)
        return;
    m_paused = true;
    if (m_shared) {
        std::lock_guard lock(m_shared->mutex);
        m_shared->pauseRequested = true;
        if (m_shared->run)
            m_shared->run->pause();
    }
    Q_EMIT pausedChanged(true);
}

void IndexingController::resume()
{
    if (!m_paused)
        return;
    m_paused = false;
    if (m_shared) {
        std::lock_guard lock(m_shared->mutex);
        m_shared->pauseRequested = false;
        if (m_shared->run)
            m_shared->run->resume();
    }
    Q_EMIT pausedChanged(false);
}

void IndexingController::cancel()
{
    if (!m_shared)
        return;
    std::lock_guard lock(m_shared->mutex);
    m_shared->cancelRequested = true;
    if (m_shared->run) {
        m_shared->run->resume(); // a paused run must wake up to see the cancel
        m_shared->run->cancel();
    }
}

} // namespace imago
