// search_session.h - the search on screen: what was asked, where, what came back, and how much
// of it the grid shows.
//
// Holds the state the main window used to keep in a dozen members: the request (words or a
// photo), its description ("“a red circle”"), the scope ("in this folder"), the ticket whose
// results are shown, warnings, failure, whether the rerank is still running, the translation
// of a Chinese query, and the confident cut-off: after the rerank the grid shows the
// confident matches ("12 good matches") and keeps the rest behind "Show 188 more"
// (showAll()). It runs the queries through a SearchController, so a new query cancels the last
// and nothing stale is shown.
//
// Signals: resultsChanged(results, replaces) whenever the rows to show change (replaces: a new
// query's first rows, else the same query's rows reordered or expanded); stateChanged() for
// everything the header and placeholder show.
//
// GUI thread only.
#pragma once

#include "search_controller.h"

#include <QObject>

namespace imago {

class LibraryService;

struct SearchSessionSettings
{
    int top = 200;
    int rerank = 20;
    double minConfidence = 0;
};

class SearchSession : public QObject
{
    Q_OBJECT
public:
    explicit SearchSession(LibraryService *service, QObject *parent = nullptr);
    ~SearchSession() override;

    void setSettings(const SearchSessionSettings &settings) { m_settings = settings; }
    const SearchSessionSettings &settings() const { return m_settings; }

    // Start a query (returns false when the library is not open: failed() says so).
    bool search(const QString &text);
    bool searchSimilar(const QString &photo, const QString &text);
    // The same request again (new photos were indexed, the scope changed).
    bool rerun();
    void clear();

    void setScope(const QString &folder) { m_scope = folder; }
    const QString &scope() const { return m_scope; }

    bool isActive() const { return !m_description.isEmpty(); }
    bool hasResults() const { return m_shownTicket != 0; } // the first rows came
    bool isReranking() const { return m_reranking; }
    bool hasFailed() const { return m_failed; }
    const QString &error() const { return m_error; }
    const QString &description() const { return m_description; }
    const QStringList &warnings() const { return m_warnings; }
    const QString &translatedQuery() const { return m_response.translatedQuery; }
    const SearchRequest &request() const { return m_request; }

    // The cut-off. confidentCount: results the calibrated ITM head (or the words) vouch for,
    // once reranked; hiddenCount: the rest, while they are behind "Show N more".
    int confidentCount() const { return m_final ? m_response.confidentCount : 0; }
    int totalCount() const { return int(m_response.results.size()); }
    int hiddenCount() const { return totalCount() - int(visibleResults().size()); }
    bool isCutOff() const { return hiddenCount() > 0; }
    void setShowAll(bool all);
    bool showAll() const { return m_showAll; }
    std::vector<SearchResult> visibleResults() const;

    // The line above the grid: "12 good matches for “a red circle” · 188 more", warnings...
    QString headerText() const;

    SearchController *controller() const { return m_controller; }

Q_SIGNALS:
    void resultsChanged(const std::vector<imago::SearchResult> &results, bool replaces);
    void stateChanged();

private:
    bool start(const SearchRequest &request, const QString &description);
    void onVectorResults(quint64 ticket, const SearchResponse &r);
    void onFinalResults(quint64 ticket, const SearchResponse &r);

    SearchController *m_controller;
    SearchSessionSettings m_settings;
    SearchRequest m_request;
    QString m_description, m_scope, m_error;
    QStringList m_warnings;
    SearchResponse m_response; // what the shown ticket answered last
    quint64 m_shownTicket = 0;
    bool m_reranking = false, m_failed = false, m_final = false, m_showAll = false;
};

} // namespace imago
