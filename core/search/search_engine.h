// search_engine.h - from typed words (or a photo) to the right photos.
//
//   query ─► tokenizer ─► text encoder ─► vector index top K ─► filters ─► ITM rerank of the
//   top R (image states recomputed for each candidate, cached) ─► results
//
// Results come in two steps: the vector-order list as soon as it exists (onVectorResults),
// then the reranked list (the return value). Negative terms ("beach -people") drop candidates
// the ITM head finds matching the term. Words the model cannot read are reported in
// `warnings`, not silently turned into noise.
//
// Threading: search() and similar() may run on several threads at once and beside the indexer
// (the library's search() and the model are thread-safe; the cache locks itself). A query can
// be abandoned through `cancel`, checked between stages.
#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace imago {

class Library;
class ModelSession;

struct SearchOptions
{
    int top = 100;             // K: candidates from the vector index (and results returned)
    int rerank = 20;           // R: how many of the first are rescored by ITM (0: none)
    double minProbability = 0; // > 0: keep only reranked results at least this likely
    QString under;             // only photos below this folder
    QDateTime capturedFrom, capturedTo; // capture-date range (EXIF), inclusive
    QStringList formats;                // e.g. {"jpeg", "heic"}; empty: all
    enum class Sort
    {
        Relevance,
        DateNewestFirst
    } sort = Sort::Relevance;
    double negativeThreshold = 0.5; // a candidate matching a "-term" above this is dropped
};

struct SearchResult
{
    std::int64_t photoId = 0;
    QString path;
    float score = 0;                       // cosine similarity to the query
    std::optional<float> matchProbability; // ITM, once reranked
    int rankBeforeRerank = 0;              // 1-based position in vector order
    int width = 0, height = 0;
    QString format;
    QDateTime capturedAt;
};

struct SearchResponse
{
    QString query;
    QStringList warnings;
    std::vector<SearchResult> results;
    bool reranked = false;
    bool cancelled = false;
};

struct SearchEngineOptions
{
    std::size_t cacheBytes = 256u << 20; // ITM image-state cache (memory)
    bool fastDecode = true;
};

class SearchEngine
{
public:
    // The engine keeps both alive; `library` must outlive it.
    SearchEngine(std::shared_ptr<const ModelSession> model, const Library &library,
                 SearchEngineOptions options = {});
    ~SearchEngine();

    SearchResponse search(const QString &query, const SearchOptions &options,
                          const std::function<void(const SearchResponse &)> &onVectorResults = {},
                          const std::atomic<bool> *cancel = nullptr) const;

    // Photos like `photoPath` (its stored vector), optionally steered by `text` (the two
    // embeddings averaged; ITM rerank then scores the text). The photo itself is left out.
    SearchResponse similar(const QString &photoPath, const QString &text,
                           const SearchOptions &options,
                           const std::function<void(const SearchResponse &)> &onVectorResults = {},
                           const std::atomic<bool> *cancel = nullptr) const;

    // Splits "beach -people -dog" into the positive text and the negative terms.
    static std::pair<QString, QStringList> parseQuery(const QString &query);

    std::size_t cachedStates() const;
    // Query vectors held for repeated queries (the last 64 distinct token sequences).
    std::size_t cachedQueries() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace imago
