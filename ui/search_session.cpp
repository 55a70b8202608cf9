#include "search_session.h"

#include <QDir>
#include <QFileInfo>

namespace imago {

SearchSession::SearchSession(LibraryService *service, QObject *parent)
    : QObject(parent), m_controller(new SearchController(service, this))
{
    connect(m_controller, &SearchController::vectorResultsReady, this,
            &SearchSession::onVectorResults);
    connect(m_controller, &SearchController::resultsReady, this, &SearchSession::onFinalResults);
    connect(m_controller, &SearchController::failed, this,
            [this](quint64 ticket, const QString &message) {
                if (ticket != 0 && m_controller->isBusy())
                    return; // a superseded query's failure
                m_failed = true;
                m_error = message;
                m_reranking = false;
                m_response = {};
                Q_EMIT resultsChanged({}, true);
                Q_EMIT stateChanged();
            });
}

SearchSession::~SearchSession()
{
    delete m_controller; // cancels and waits before the members go
    m_controller = nullptr;
}

bool SearchSession::search(const QString &text)
{
    SearchRequest req;
    req.text = text.trimmed();
    return start(req, tr("“%1”").arg(req.text));
}

bool SearchSession::searchSimilar(const QString &photo, const QString &text)
{
    SearchRequest req;
    req.photo = photo;
    req.text = text.trimmed();
    const QString name = QFileInfo(photo).fileName();
    return start(req, req.text.isEmpty() ? tr("photos like %1").arg(name)
                                         : tr("photos like %1 + “%2”").arg(name, req.text));
}

bool SearchSession::rerun()
{
    // The same search with what was just indexed: what the person expanded stays expanded.
    const bool all = m_showAll;
    const bool started = isActive() && start(m_request, m_description);
    m_showAll = started && all;
    return started;
}

bool SearchSession::start(const SearchRequest &base, const QString &description)
{
    m_request = base;
    SearchRequest req = base;
    req.options.top = m_settings.top;
    req.options.rerank = m_settings.rerank;
    req.options.minProbability = m_settings.minConfidence;
    req.options.under = m_scope;
    m_description = description;
    m_warnings.clear();
    m_failed = false;
    m_showAll = false;
    const quint64 ticket = m_controller->start(req);
    if (ticket == 0) {
        m_failed = true;
        m_error = tr("The library is not open yet.");
    }
    m_reranking = ticket != 0;
    Q_EMIT stateChanged();
    return ticket != 0;
}

void SearchSession::clear()
{
    m_controller->cancel();
    m_shownTicket = 0;
    m_description.clear();
    m_warnings.clear();
    m_failed = false;
    m_reranking = false;
    m_final = false;
    m_showAll = false;
    m_scope.clear();
    m_response = {};
    Q_EMIT resultsChanged({}, true);
    Q_EMIT stateChanged();
}

void SearchSession::setShowAll(bool all)
{
    if (all == m_showAll)
        return;
    m_showAll = all;
    Q_EMIT resultsChanged(visibleResults(), false);
    Q_EMIT stateChanged();
}

std::vector<SearchResult> SearchSession::visibleResults() const
{
    const auto &all = m_response.results;
    // Behind the cut-off only once reranked, and only when something is confident: with no
    // confident match the person sees everything rather than nothing.
    if (m_showAll || !m_final || m_response.confidentCount <= 0 ||
        m_response.confidentCount >= int(all.size()))
        return all;
    return {all.begin(), all.begin() + m_response.confidentCount};
}

void SearchSession::onVectorResults(quint64 ticket, const SearchResponse &r)
{
    m_shownTicket = ticket;
    m_final = false;
    m_response = r;
    m_warnings = r.warnings;
    Q_EMIT resultsChanged(visibleResults(), true);
    Q_EMIT stateChanged();
}

void SearchSession::onFinalResults(quint64 ticket, const SearchResponse &r)
{
    const bool same = m_shownTicket == ticket;
    m_shownTicket = ticket;
    m_reranking = false;
    m_final = true;
    m_response = r;
    m_warnings = r.warnings;
    Q_EMIT resultsChanged(visibleResults(), !same);
    Q_EMIT stateChanged();
}

QString SearchSession::headerText() const
{
    QString text;
    if (m_failed) {
        text = tr("Search failed: %1").arg(m_error);
    } else if (isActive()) {
        const int n = totalCount();
        if (m_shownTicket == 0)
            text = tr("Searching for %1…").arg(m_description);
        else if (m_final && confidentCount() > 0)
            text = tr("%n good match(es) for %1", nullptr, confidentCount()).arg(m_description);
        else
            text = tr("%n photo(s) for %1", nullptr, n).arg(m_description);
        if (m_reranking && m_shownTicket != 0 && m_settings.rerank > 0)
            text += QStringLiteral(" · ") + tr("refining the order…");
        if (!translatedQuery().isEmpty())
            text += QStringLiteral(" · ") + tr("searched for “%1”").arg(translatedQuery());
    }
    if (!m_scope.isEmpty())
        text += (text.isEmpty() ? QString() : QStringLiteral(" · ")) +
                tr("in %1").arg(QDir::toNativeSeparators(m_scope));
    for (const QString &w : m_warnings)
        text += QStringLiteral(" · ") + w;
    return text;
}

} // namespace imago
