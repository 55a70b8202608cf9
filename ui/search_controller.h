// search_controller.h - runs searches for the GUI without ever blocking it.
//
// search() and similar() start the query on the library service's search pool
// (QtConcurrent) and return at once. The vector-order results arrive first
// (vectorResultsReady), the ITM-reranked ones when the rerank is done (resultsReady). A new
// query cancels the one before (its std::atomic<bool> flag, checked by the engine between
// stages) and nothing from a superseded query is ever emitted: each emission carries the
// ticket of the query it answers, and stale tickets are dropped on the GUI thread.
#pragma once

#include "search_engine.h"

#include <QFuture>
#include <QObject>

#include <atomic>
#include <memory>

namespace imago {

class LibraryService;

struct SearchRequest
{
    QString text;       // the words (may be empty for a pure photo search)
    QString photo;      // non-empty: photos like this one (steered by `text`)
    SearchOptions options;
};

class SearchController : public QObject
{
    Q_OBJECT
public:
    explicit SearchController(LibraryService *service, QObject *parent = nullptr);
    // Cancels the running query and waits for it to stop (it checks between stages).
    ~SearchController() override;

    // Returns the ticket of the new query, or 0 when the library is not open.
    quint64 start(const SearchRequest &request);
    void cancel();
    bool isBusy() const { return m_busy; }
    const SearchRequest &currentRequest() const { return m_request; }

Q_SIGNALS:
    void vectorResultsReady(quint64 ticket, const imago::SearchResponse &response);
    void resultsReady(quint64 ticket, const imago::SearchResponse &response);
    void failed(quint64 ticket, const QString &message);
    void busyChanged(bool busy);

private:
    void setBusy(bool busy);

    LibraryService *m_service;
    SearchRequest m_request;
    quint64 m_ticket = 0;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    QFuture<SearchResponse> m_work; // the pool task (never a GUI-thread continuation)
    bool m_busy = false;
};

} // namespace imago
