#include "search_controller.h"

#include "library_service.h"

#include <QPointer>
#include <QtConcurrent>

namespace imago {

SearchController::SearchController(LibraryService *service, QObject *parent)
    : QObject(parent), m_service(service)
{
    connect(service, &LibraryService::aboutToClose, this, &SearchController::cancel);
}

SearchController::~SearchController()
{
    cancel();
    m_work.waitForFinished();
}

void SearchController::setBusy(bool busy)
{
    if (m_busy == busy)
        return;
    m_busy = busy;
    Q_EMIT busyChanged(busy);
}

void SearchController::cancel()
{
    if (m_cancel)
        m_cancel->store(true);
    m_cancel.reset();
    ++m_ticket;
    setBusy(false);
}

quint64 SearchController::start(const SearchRequest &request)
{
    cancel();
    const SearchEngine *engine = m_service->engine();
    if (!engine || !m_service->isOpen())
        return 0;
    m_request = request;
    const quint64 ticket = ++m_ticket;
    auto flag = std::make_shared<std::atomic<bool>>(false);
    m_cancel = flag;
    setBusy(true);
    QPointer<SearchController> self(this);

    auto onVector = [self, ticket](const SearchResponse &r) {
        QMetaObject::invokeMethod(
            self.data(),
            [self, ticket, r] {
                if (self && self->m_ticket == ticket)
                    Q_EMIT self->vectorResultsReady(ticket, r);
            },
            Qt::QueuedConnection);
    };
    QFuture<SearchResponse> f = QtConcurrent::run(
        m_service->searchPool(), [engine, request, onVector, flag]() -> SearchResponse {
            if (request.photo.isEmpty())
                return engine->search(request.text, request.options, onVector, flag.get());
            return engine->similar(request.photo, request.text, request.options, onVector,
                                   flag.get());
        });
    m_work = f;
    f.then(this,
           [this, ticket](const SearchResponse &r) {
               if (ticket != m_ticket || r.cancelled)
                   return;
               setBusy(false);
               Q_EMIT resultsReady(ticket, r);
           })
        .onFailed(this, [this, ticket](const std::exception &e) {
            if (ticket != m_ticket)
                return;
            setBusy(false);
            Q_EMIT failed(ticket, exceptionMessage(e));
        });
    return ticket;
}

} // namespace imago
