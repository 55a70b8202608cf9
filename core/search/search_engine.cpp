#include "search_engine.h"

#include "catalog.h"
#include "chinese_query.h"
#include "library.h"
#include "model_session.h"
#include "photo_text_query.h"

#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <future>
#include <limits>
#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace imago {

namespace {

// Image hidden states for ITM, least recently used evicted first, bounded in bytes.
class StateCache
{
public:
    explicit StateCache(std::size_t capacityBytes) : m_capacity(capacityBytes) {}

    std::shared_ptr<const flava::ImageStates> find(const QString &key)
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_map.find(key);
        if (it == m_map.end())
            return nullptr;
        m_lru.splice(m_lru.begin(), m_lru, it->second);
        return it->second->states;
    }

    void insert(const QString &key, std::shared_ptr<const flava::ImageStates> states,
                std::size_t bytes)
    {
        std::lock_guard lock(m_mutex);
        if (bytes > m_capacity || m_map.count(key))
            return;
        m_lru.push_front({key, std::move(states), bytes});
        m_map[key] = m_lru.begin();
        m_used += bytes;
        while (m_used > m_capacity) {
            m_used -= m_lru.back().bytes;
            m_map.erase(m_lru.back().key);
            m_lru.pop_back();
        }
    }

    std::size_t size() const
    {
        std::lock_guard lock(m_mutex);
        return m_map.size();
    }

private:
    struct Entry
    {
        QString key;
        std::shared_ptr<const flava::ImageStates> states;
        std::size_t bytes;
    };
    const std::size_t m_capacity;
    mutable std::mutex m_mutex;
    std::list<Entry> m_lru;
    std::unordered_map<QString, std::list<Entry>::iterator> m_map;
    std::size_t m_used = 0;
};

bool cancelled(const std::atomic<bool> *cancel)
{
    return cancel && cancel->load();
}

} // namespace

// The last few query vectors by token ids: a repeated query (typing, paging, a refreshed
// filter) skips the text encoder. The text encoder is deterministic, so a hit is exact.
class QueryCache
{
public:
    static constexpr std::size_t kCapacity = 64;

    std::vector<float> get(const std::vector<std::int64_t> &ids,
                           const std::function<std::vector<float>()> &compute)
    {
        {
            std::lock_guard lock(m_mutex);
            for (auto it = m_entries.begin(); it != m_entries.end(); ++it)
                if (it->first == ids) {
                    m_entries.splice(m_entries.begin(), m_entries, it);
                    return it->second;
                }
        }
        auto vector = compute(); // outside the lock: searches on other threads go on
        std::lock_guard lock(m_mutex);
        m_entries.emplace_front(ids, vector);
        if (m_entries.size() > kCapacity)
            m_entries.pop_back();
        return vector;
    }

    std::size_t size() const
    {
        std::lock_guard lock(m_mutex);
        return m_entries.size();
    }

private:
    mutable std::mutex m_mutex;
    std::list<std::pair<std::vector<std::int64_t>, std::vector<float>>> m_entries;
};

struct SearchEngine::Private
{
    std::shared_ptr<const ModelSession> model;
    const Library &library;
    SearchEngineOptions options;
    mutable StateCache cache;
    mutable QueryCache queries;
    mutable std::mutex catalogMutex;
    mutable std::unique_ptr<Catalog> catalog; // read-only, for result details
    MatchCalibration calibration;

    Private(std::shared_ptr<const ModelSession> m, const Library &l, SearchEngineOptions o)
        : model(std::move(m)), library(l), options(o), cache(o.cacheBytes),
          calibration(o.calibration ? *o.calibration
                                    : MatchCalibration::forModelFolder(model->directory()))
    {
    }

    std::size_t stateBytes() const
    {
        const auto &im = model->config().image;
        return std::size_t(1 + im.numPatches()) * im.hiddenSize * sizeof(float);
    }

    std::vector<float> embedQuery(const std::vector<std::int64_t> &ids) const
    {
        return queries.get(ids, [&] { return model->model()->embedTexts({ids}); });
    }

    Catalog &catalogLocked() const
    {
        if (!catalog)
            catalog = std::make_unique<Catalog>(library.catalogFile(), Catalog::Mode::ReadOnly);
        return *catalog;
    }

    // Tokenizes, and warns honestly about what the model cannot read.
    std::vector<std::int64_t> tokenize(const QString &text, QStringList &warnings) const
    {
        const TokenizedText t = model->tokenizer().encode(text.toStdString());
        if (!t.unknownWords.empty()) {
            QStringList words;
            for (const auto &w : t.unknownWords)
                words << QString::fromStdString(w);
            warnings << QStringLiteral("The model cannot read: %1 (its vocabulary is English; "
                                       "those words were ignored)")
                            .arg(words.join(QStringLiteral(", ")));
        }
        if (int(t.ids.size()) >= model->tokenizer().maxLength())
            warnings << QStringLiteral("The query is long: only its first %1 tokens were used")
                            .arg(model->tokenizer().maxLength() - 2);
        return t.ids;
    }

    static SearchFilter filterOf(const SearchOptions &o)
    {
        SearchFilter filter;
        filter.under = o.under;
        filter.capturedFrom = o.capturedFrom;
        filter.capturedTo = o.capturedTo;
        return filter;
    }

    static SearchResult resultOf(const PhotoRecord &rec, float score)
    {
        SearchResult s;
        s.photoId = rec.id;
        s.path = rec.facts.path;
        s.score = score;
        s.width = rec.facts.width;
        s.height = rec.facts.height;
        s.format = rec.facts.format;
        s.capturedAt = rec.facts.capturedAt;
        return s;
    }

    static bool formatAllowed(const SearchOptions &o, const QString &format)
    {
        if (o.formats.isEmpty())
            return true;
        for (const QString &f : o.formats)
            if (f.compare(format, Qt::CaseInsensitive) == 0)
                return true;
        return false;
    }

    SearchResponse vectorSearch(const QString &query, std::span<const float> vector,
                                const SearchOptions &o, std::int64_t excludeId,
                                const SearchFilter &filter) const
    {
        SearchResponse r;
        r.query = query;
        const int top = std::max(1, o.top);
        // Ask for more when a filter applied afterwards (format, self-exclusion) may thin out.
        const std::size_t k =
            std::size_t(top) * (o.formats.isEmpty() ? 1 : 4) + (excludeId ? 1 : 0);
        const auto hits = library.search(vector, k, filter);
        std::lock_guard lock(catalogMutex);
        Catalog &c = catalogLocked();
        for (const auto &h : hits) {
            if (h.id == excludeId)
                continue;
            const auto rec = c.photo(h.id);
            if (!rec || rec->status != PhotoStatus::Indexed || !formatAllowed(o, rec->facts.format))
                continue;
            SearchResult s = resultOf(*rec, h.score);
            s.rankBeforeRerank = int(r.results.size()) + 1;
            r.results.push_back(std::move(s));
            if (int(r.results.size()) >= top)
                break;
        }
        return r;
    }

    // Reciprocal rank fusion (Cormack et al. 2009) of the semantic order (r.results as they
    // stand) with the text matches (best first): each photo scores the sum of 1 / (60 + rank)
    // over the rankings it is in. Text matches the semantic list lacks are added (their score
    // is their cosine with `vector`, from the stored embedding) unless `addMissing` is false.
    // Keeps at most `top`; marks textMatch. Ties keep the semantic order.
    void fuse(SearchResponse &r, const std::vector<std::int64_t> &textIds,
              std::span<const float> vector, const SearchOptions &o, bool addMissing) const
    {
        constexpr double kRrf = 60;
        if (textIds.empty())
            return;
        std::unordered_map<std::int64_t, std::size_t> textRank;
        for (std::size_t j = 0; j < textIds.size(); ++j)
            textRank.emplace(textIds[j], j + 1);
        std::vector<std::pair<double, SearchResult>> scored;
        std::unordered_set<std::int64_t> present;
        for (std::size_t i = 0; i < r.results.size(); ++i) {
            SearchResult s = r.results[i];
            double f = 1.0 / (kRrf + double(i + 1));
            if (const auto it = textRank.find(s.photoId); it != textRank.end()) {
                f += 1.0 / (kRrf + double(it->second));
                s.textMatch = true;
            }
            present.insert(s.photoId);
            scored.emplace_back(f, std::move(s));
        }
        if (addMissing) {
            std::lock_guard lock(catalogMutex);
            Catalog &c = catalogLocked();
            for (std::size_t j = 0; j < textIds.size(); ++j) {
                if (present.count(textIds[j]))
                    continue;
                const auto rec = c.photo(textIds[j]);
                if (!rec || rec->status != PhotoStatus::Indexed ||
                    !formatAllowed(o, rec->facts.format))
                    continue;
                float score = 0;
                if (const auto v = c.embedding(rec->id); v && v->size() == vector.size()) {
                    double dot = 0;
                    for (std::size_t x = 0; x < vector.size(); ++x)
                        dot += double((*v)[x]) * vector[x];
                    score = float(dot);
                }
                SearchResult s = resultOf(*rec, score);
                s.textMatch = true;
                scored.emplace_back(1.0 / (kRrf + double(j + 1)), std::move(s));
            }
        }
        std::stable_sort(scored.begin(), scored.end(),
                         [](const auto &a, const auto &b) { return a.first > b.first; });
        r.results.clear();
        for (auto &[f, s] : scored) {
            if (int(r.results.size()) >= std::max(1, o.top))
                break;
            r.results.push_back(std::move(s));
        }
    }

    // Image states of the candidates, from the cache or recomputed (decode + image encoder).
    // A candidate whose file can no longer be read gets a null entry.
    std::vector<std::shared_ptr<const flava::ImageStates>>
    statesFor(const std::vector<SearchResult> &candidates, const std::atomic<bool> *cancel) const
    {
        std::vector<std::shared_ptr<const flava::ImageStates>> states(candidates.size());
        std::vector<std::size_t> todo;
        std::unordered_map<std::size_t, QString> keys;
        {
            std::lock_guard lock(catalogMutex);
            for (std::size_t i = 0; i < candidates.size(); ++i) {
                const auto rec = catalogLocked().photo(candidates[i].photoId);
                keys[i] = QString::number(candidates[i].photoId) + QLatin1Char(':') +
                          (rec ? rec->facts.contentHash : QString());
            }
        }
        for (std::size_t i = 0; i < candidates.size(); ++i)
            if (!(states[i] = cache.find(keys[i])))
                todo.push_back(i);
        if (todo.empty())
            return states;
        // A cold rerank loads LibTorch and two encoders (over a second) on another thread
        // while this one decodes the photos (tens of ms for each 12 MP JPEG).
        const flava::FlavaModel &flava = *model->model();
        std::future<void> loading;
        if (!flava.imageEncoderLoaded() || !flava.multimodalEncoderLoaded())
            loading = std::async(std::launch::async, [&flava] { flava.prepareRerank(); });
        const PreprocessConfig &pre = model->preprocess();
        const std::size_t floats = std::size_t(3) * pre.size * pre.size;
        std::vector<float> pixels; // decoded, not yet encoded: ok.size() photos
        std::vector<std::size_t> ok;
        std::size_t next = 0; // in todo
        const auto decodeUpTo = [&](std::size_t count) {
            while (ok.size() < count && next < todo.size() && !cancelled(cancel)) {
                const std::size_t j = todo[next++];
                pixels.resize((ok.size() + 1) * floats);
                if (preprocessImageFile(candidates[j].path, pre, options.fastDecode,
                                        pixels.data() + ok.size() * floats)
                        .ok())
                    ok.push_back(j);
            }
        };
        // While the model loads, decode ahead (at most kAhead photos, 600 KB each); then a
        // batch at a time.
        constexpr std::size_t kBatch = 8, kAhead = 64;
        decodeUpTo(loading.valid() ? kAhead : kBatch);
        if (cancelled(cancel))
            return states; // (a load under way finishes first: the future waits for it)
        if (loading.valid())
            loading.get(); // its errors are this call's
        while (!ok.empty() && !cancelled(cancel)) {
            const std::size_t count = std::min(kBatch, ok.size());
            const auto enc = flava.encodeImages(
                std::span<const float>(pixels).first(count * floats), int(count));
            for (std::size_t j = 0; j < count; ++j) {
                states[ok[j]] = enc[j].states;
                cache.insert(keys[ok[j]], enc[j].states, stateBytes());
            }
            ok.erase(ok.begin(), ok.begin() + std::ptrdiff_t(count));
            pixels.erase(pixels.begin(), pixels.begin() + std::ptrdiff_t(count * floats));
            decodeUpTo(kBatch);
        }
        return states;
    }

    void rerank(SearchResponse &r, const std::vector<std::int64_t> &textIds,
                const QStringList &negatives, const SearchOptions &o,
                const std::atomic<bool> *cancel) const
    {
        const std::size_t n =
            std::min<std::size_t>(r.results.size(), std::size_t(std::max(0, o.rerank)));
        if (n == 0 || textIds.empty())
            return;
        std::vector<SearchResult> head(r.results.begin(), r.results.begin() + n);
        std::vector<SearchResult> tail(r.results.begin() + n, r.results.end());
        const auto states = statesFor(head, cancel);
        if (cancelled(cancel))
            return;
        std::vector<std::shared_ptr<const flava::ImageStates>> present;
        std::vector<std::size_t> where;
        for (std::size_t i = 0; i < n; ++i)
            if (states[i]) {
                present.push_back(states[i]);
                where.push_back(i);
            }
        const auto scores = model->model()->match(present, textIds);
        std::vector<float> margin(n, -INFINITY);
        for (std::size_t j = 0; j < where.size(); ++j) {
            head[where[j]].matchProbability = scores[j].probability;
            margin[where[j]] = scores[j].logitMatch - scores[j].logitNoMatch;
            head[where[j]].matchMargin = margin[where[j]];
            head[where[j]].confident = calibration.confident(margin[where[j]]);
        }
        // Negative terms: drop what the ITM head finds matching them.
        std::vector<bool> drop(n, false);
        for (const QString &neg : negatives) {
            QStringList ignored;
            const auto ids = tokenize(neg, ignored);
            const auto negScores = model->model()->match(present, ids);
            for (std::size_t j = 0; j < where.size(); ++j)
                if (negScores[j].probability > o.negativeThreshold)
                    drop[where[j]] = true;
        }
        // Order by the logit margin: the same order as the probability, without fp32 saturation
        // ties; unscorable candidates (file gone) keep their place after the scored ones.
        std::vector<std::size_t> order(n);
        for (std::size_t i = 0; i < n; ++i)
            order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return margin[a] > margin[b]; });
        std::vector<SearchResult> out;
        for (std::size_t i : order)
            if (!drop[i])
                out.push_back(head[i]);
        // With negative terms only checked candidates can be vouched for.
        if (negatives.isEmpty())
            out.insert(out.end(), tail.begin(), tail.end());
        r.results = std::move(out);
        r.reranked = true;
    }

    // Filters, the confident results first (and counted), then the order asked for within
    // each of the two groups.
    void finish(SearchResponse &r, const SearchOptions &o) const
    {
        if (o.minProbability > 0) {
            std::erase_if(r.results, [&](const SearchResult &s) {
                return !s.matchProbability || *s.matchProbability < o.minProbability;
            });
        }
        for (SearchResult &s : r.results)
            s.confident = s.confident || s.textMatch;
        if (o.confidentOnly)
            std::erase_if(r.results, [](const SearchResult &s) { return !s.confident; });
        const auto split = std::stable_partition(r.results.begin(), r.results.end(),
                                                 [](const SearchResult &s) { return s.confident; });
        r.confidentCount = int(split - r.results.begin());
        if (o.sort == SearchOptions::Sort::DateNewestFirst) {
            const auto newestFirst = [](const SearchResult &a, const SearchResult &b) {
                if (a.capturedAt.isValid() != b.capturedAt.isValid())
                    return a.capturedAt.isValid();
                return a.capturedAt > b.capturedAt;
            };
            std::stable_sort(r.results.begin(), split, newestFirst);
            std::stable_sort(split, r.results.end(), newestFirst);
        }
    }
};

SearchEngine::SearchEngine(std::shared_ptr<const ModelSession> model, const Library &library,
                           SearchEngineOptions options)
    : d(std::make_unique<Private>(std::move(model), library, options))
{
    if (!d->model || !d->model->model())
        throw std::invalid_argument("SearchEngine needs a model session with weights");
}

SearchEngine::~SearchEngine() = default;

const MatchCalibration &SearchEngine::calibration() const
{
    return d->calibration;
}

std::size_t SearchEngine::cachedStates() const
{
    return d->cache.size();
}

std::size_t SearchEngine::cachedQueries() const
{
    return d->queries.size();
}

ParsedQuery SearchEngine::parseQuery(const QString &query)
{
    ParsedQuery out;
    QStringList positive;
    qsizetype i = 0;
    const qsizetype n = query.size();
    while (i < n) {
        while (i < n && query[i].isSpace())
            ++i;
        if (i >= n)
            break;
        const bool negative = query[i] == QLatin1Char('-') && i + 1 < n && !query[i + 1].isSpace();
        const qsizetype start = negative ? i + 1 : i;
        if (query[start] == QLatin1Char('"')) {
            // "a quoted term", up to the closing quote (or the end of the query)
            qsizetype close = query.indexOf(QLatin1Char('"'), start + 1);
            if (close < 0)
                close = n;
            const QString term = query.mid(start + 1, close - start - 1).simplified();
            if (!term.isEmpty())
                (negative ? out.negatives : out.phrases) << term;
            i = close + 1;
            continue;
        }
        qsizetype end = start;
        while (end < n && !query[end].isSpace())
            ++end;
        const QString word = query.mid(start, end - start);
        if (negative)
            out.negatives << word;
        else
            positive << word;
        i = end;
    }
    out.text = positive.join(QLatin1Char(' '));
    return out;
}

SearchResponse
SearchEngine::search(const QString &query, const SearchOptions &options,
                     const std::function<void(const SearchResponse &)> &onVectorResults,
                     const std::atomic<bool> *cancel) const
{
    QStringList warnings;
    // FLAVA reads English: a Chinese query is translated first (its own words still count
    // for the photos' text, which may be in Chinese).
    const QueryTranslation t = translateChineseQuery(query); // the query itself when not Chinese
    const QString translated = t.translated ? t.text : QString();
    if (!t.untranslated.isEmpty())
        warnings << QStringLiteral("Not translated (not in the dictionary): %1")
                        .arg(t.untranslated.join(QStringLiteral(", ")));
    const ParsedQuery parsed = parseQuery(t.text);
    SearchResponse r;
    r.query = query;
    r.translatedQuery = translated;
    // One filter serves the quoted terms, the vector search and the words: its folder and
    // dates are looked up once.
    SearchFilter filter = d->library.resolved(Private::filterOf(options));

    // Quoted terms: only photos whose text holds them all, best text match first.
    std::vector<std::int64_t> phraseMatches;
    if (!parsed.phrases.isEmpty()) {
        QStringList all;
        for (const QString &p : parsed.phrases)
            if (const QString q = phraseQuery(p); !q.isEmpty())
                all << q;
        // With words to embed only the set matters (unranked when large); alone, the
        // quoted terms also give the order.
        std::vector<std::int64_t> common;
        if (!all.isEmpty())
            phraseMatches = d->library.textMatches(all.join(QStringLiteral(" AND ")),
                                                   std::numeric_limits<std::size_t>::max(), filter,
                                                   parsed.text.isEmpty() ? nullptr : &common);
        if (phraseMatches.empty())
            phraseMatches = std::move(common);
        if (phraseMatches.empty()) {
            r.warnings = warnings;
            r.warnings << QStringLiteral("No photo's name, folders or keywords hold %1")
                              .arg(QLatin1Char('"') +
                                   parsed.phrases.join(QStringLiteral("\", \"")) +
                                   QLatin1Char('"'));
            return r;
        }
        std::vector<std::int64_t> sorted = phraseMatches;
        std::sort(sorted.begin(), sorted.end());
        filter.onlyIds = std::move(sorted);
    }
    if (parsed.text.isEmpty()) {
        if (phraseMatches.empty()) {
            r.warnings = warnings;
            r.warnings << QStringLiteral("Nothing to search for: the query has no words");
            return r;
        }
        // Only quoted terms: the photos that hold them, in text order.
        d->fuse(r, phraseMatches, {}, options, true);
        r.warnings = warnings;
        for (std::size_t i = 0; i < r.results.size(); ++i)
            r.results[i].rankBeforeRerank = int(i) + 1;
        if (onVectorResults)
            onVectorResults(r);
        d->finish(r, options);
        return r;
    }

    const auto ids = d->tokenize(parsed.text, warnings);
    if (ids.size() <= 2 || std::all_of(ids.begin() + 1, ids.end() - 1, [&](std::int64_t id) {
            return id == d->model->tokenizer().unkId();
        }))
        warnings << QStringLiteral("The model understood none of the query's words: results "
                                   "are not meaningful");
    const auto vector = d->embedQuery(ids);
    SearchResponse v = d->vectorSearch(query, vector, options, 0, filter);
    r.results = std::move(v.results);
    r.warnings = warnings;
    // The words, looked up in the photos' own text (and the untranslated words too).
    std::vector<std::int64_t> textIds;
    if (options.textSearch) {
        QStringList fts;
        if (const QString q = anyWordsQuery(parsed.text); !q.isEmpty())
            fts << q;
        // The Chinese words too, segmented (FTS5 keeps a run of Han characters as one token,
        // so a keyword "海滩" is found by the word, not by the whole query "海滩上的狗").
        if (!t.hanWords.isEmpty())
            if (const QString q = anyWordsQuery(t.hanWords.join(u' ')); !q.isEmpty())
                fts << q;
        std::vector<std::int64_t> common;
        if (!fts.isEmpty())
            textIds =
                d->library.textMatches(fts.join(QStringLiteral(" OR ")),
                                       std::size_t(std::max(1, options.top)), filter, &common);
        // Words common to thousands of photos are not ranked (costly, and they say little
        // about which photo is meant): the model's candidates that hold them count as text
        // matches, in the model's order.
        for (const SearchResult &res : r.results)
            if (std::binary_search(common.begin(), common.end(), res.photoId))
                textIds.push_back(res.photoId);
    }
    d->fuse(r, textIds, vector, options, true);
    for (std::size_t i = 0; i < r.results.size(); ++i)
        r.results[i].rankBeforeRerank = int(i) + 1;
    if (cancelled(cancel)) {
        r.cancelled = true;
        return r;
    }
    if (onVectorResults) {
        SearchResponse first = r;
        SearchOptions firstOptions = options;
        firstOptions.minProbability = 0; // nothing is reranked yet
        firstOptions.confidentOnly = false;
        d->finish(first, firstOptions);
        onVectorResults(first);
    }
    d->rerank(r, ids, parsed.negatives, options, cancel);
    // The reranked order fused with the text order again, so that the ITM head cannot push a
    // photo the words name out of the first places (nothing is added back).
    d->fuse(r, textIds, vector, options, false);
    r.cancelled = cancelled(cancel);
    d->finish(r, options);
    return r;
}

SearchResponse
SearchEngine::similar(const QString &photoPath, const QString &text, const SearchOptions &options,
                      const std::function<void(const SearchResponse &)> &onVectorResults,
                      const std::atomic<bool> *cancel) const
{
    std::optional<PhotoRecord> rec;
    std::optional<std::vector<float>> stored;
    QString model;
    {
        std::lock_guard lock(d->catalogMutex);
        rec = d->catalogLocked().photoByPath(photoPath);
        if (rec)
            stored = d->catalogLocked().embedding(rec->id, &model);
    }
    if (!rec)
        throw std::runtime_error(photoPath.toStdString() + ": not in the library");
    if (!stored || model != d->model->identity())
        throw std::runtime_error(photoPath.toStdString() +
                                 ": has no vector from the current model yet (index it first)");
    std::vector<float> q = *stored;
    QStringList warnings;
    std::vector<std::int64_t> ids;
    const QString english = translateChineseQuery(text).text; // the text itself when not Chinese
    if (!english.trimmed().isEmpty()) {
        ids = d->tokenize(english, warnings);
        const auto t = d->embedQuery(ids);
        double norm = 0;
        for (std::size_t i = 0; i < q.size(); ++i) {
            q[i] += t[i];
            norm += double(q[i]) * q[i];
        }
        const float inv = float(1.0 / std::max(1e-12, std::sqrt(norm)));
        for (auto &x : q)
            x *= inv;
    }
    SearchResponse r = d->vectorSearch(text.isEmpty() ? photoPath : photoPath + " + " + text, q,
                                       options, rec->id, Private::filterOf(options));
    r.warnings = warnings;
    if (english != text)
        r.translatedQuery = english;
    if (onVectorResults)
        onVectorResults(r);
    if (!ids.empty())
        d->rerank(r, ids, {}, options, cancel);
    r.cancelled = cancelled(cancel);
    d->finish(r, options);
    return r;
}

} // namespace imago
