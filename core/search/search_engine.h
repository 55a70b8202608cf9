// search_engine.h - from typed words (or a photo) to the right photos.
//
//   query ─► (Chinese: translated, chinese_query.h) ─► tokenizer ─► text encoder ─► vector
//   index top K ─┐
//                ├─► fused (reciprocal rank) ─► ITM rerank of the top R (image states
//   words ─► photo_text (names, folders, keywords; FTS5) ─┘   recomputed, cached) ─► fused
//   again ─► confident matches first ─► results
//
// Query syntax: plain words are embedded and also looked up in the photos' own text (file
// name, folders below the root, camera, keywords, title, description), so a photo whose name
// or keywords hold the words ranks near the top even when the model knows nothing of them:
// with n such photos, each appears within the first max(10, 2n) results (a photo at place t
// of the text ranking has at most t-1 photos of either ranking before it). "A quoted term"
// is a hard filter on that text; -word and -"two words" drop what the ITM head finds matching
// them.
//
// Confidence: a reranked result is confident when its calibrated match probability
// (match_calibration.h) is at least one half, or when the query's words name it; confident
// results come first and are counted (SearchResponse::confidentCount).
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

#include "match_calibration.h"

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
    bool confidentOnly = false;     // keep only the confident results (needs rerank > 0)
    bool textSearch = true;         // also look the words up in the photos' text
};

struct SearchResult
{
    std::int64_t photoId = 0;
    QString path;
    float score = 0;                       // cosine similarity to the query
    std::optional<float> matchProbability; // ITM, once reranked
    std::optional<float> matchMargin;      // its logit margin (match - no match), likewise
    int rankBeforeRerank = 0;              // 1-based position in vector order
    int width = 0, height = 0;
    QString format;
    QDateTime capturedAt;
    bool textMatch = false; // its name, folders, camera or words hold the query's words
    bool confident = false; // see the header comment
};

struct SearchResponse
{
    QString query;
    QString translatedQuery; // the English searched, when the query was translated; else empty
    QStringList warnings;
    std::vector<SearchResult> results;
    int confidentCount = 0; // the first confidentCount results are confident
    bool reranked = false;
    bool cancelled = false;
};

// A query taken apart (SearchEngine::parseQuery).
struct ParsedQuery
{
    QString text;          // the words to embed
    QStringList negatives; // -word, -"two words"
    QStringList phrases;   // "quoted terms": hard filters on the photos' text
};

struct SearchEngineOptions
{
    std::size_t cacheBytes = 256u << 20; // ITM image-state cache (memory)
    bool fastDecode = true;
    // How match probabilities become "confident"; unset: the model folder's calibration file,
    // else FLAVA's own decision (probability >= 0.5). See match_calibration.h.
    std::optional<MatchCalibration> calibration;
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

    // Splits 'beach "paris 2019" -people -"red car"' into the words to embed, the quoted
    // terms and the negative terms. An unclosed quote runs to the end of the query.
    static ParsedQuery parseQuery(const QString &query);

    // What decides "confident" (the options', else the model folder's, else the default).
    const MatchCalibration &calibration() const;

    std::size_t cachedStates() const;
    // Query vectors held for repeated queries (the last 64 distinct token sequences).
    std::size_t cachedQueries() const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace imago
