// The search engine end to end with the trained toy FLAVA: index ../shared/flava-toy/eval/
// with the real indexer, run every evaluation query through the real engine, and compare with
// the reference pipeline's rankings and retrieval figures (expected.json).
#include "indexing_run.h"
#include "library.h"
#include "model_session.h"
#include "search_engine.h"
#include "toy_model.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace imago;

namespace {
const QString kToy = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");

struct Figures
{
    double r1 = 0, r5 = 0, mrr = 0;
};
} // namespace

class tst_SearchEngine : public QObject
{
    Q_OBJECT

    std::shared_ptr<const ModelSession> session;
    std::shared_ptr<const ModelSession> int8Text; // same weights, int8 text encoder (the default
                                                  // for queries in the CLI and the app)
    QJsonObject expected;
    QTemporaryDir exactDir, fastDir;
    std::unique_ptr<Library> exact, fast; // indexed with full decode / the indexer's fast path

    std::unique_ptr<Library> indexEval(const QString &dir, bool fastDecode)
    {
        LibraryOptions o;
        o.modelIdentity = session->identity();
        auto lib = std::make_unique<Library>(dir, o);
        IndexingOptions io;
        io.fastDecode = fastDecode;
        const auto s = IndexingRun(*lib, session, io).run({kToy + "/eval/images"});
        if (s.indexed != 200)
            qFatal("indexed %lld of 200", s.indexed);
        return lib;
    }

    Figures figures(const Library &lib, int rerank, int top = 20,
                    std::shared_ptr<const ModelSession> with = {})
    {
        const SearchEngine engine(with ? with : session, lib);
        Figures f;
        const auto queries = expected.value(QStringLiteral("queries")).toArray();
        for (const auto &qv : queries) {
            const auto q = qv.toObject();
            QSet<QString> relevant;
            for (const auto &r : q.value(QStringLiteral("relevant")).toArray())
                relevant.insert(r.toString());
            SearchOptions o;
            o.top = top;
            o.rerank = rerank;
            const auto resp = engine.search(q.value(QStringLiteral("text")).toString(), o);
            int first = 0;
            for (std::size_t i = 0; i < resp.results.size() && !first; ++i)
                if (relevant.contains(QFileInfo(resp.results[i].path).fileName()))
                    first = int(i) + 1;
            f.r1 += first == 1;
            f.r5 += first >= 1 && first <= 5;
            f.mrr += first ? 1.0 / first : 0;
        }
        const double n = queries.size();
        return {f.r1 / n, f.r5 / n, f.mrr / n};
    }

    void compareFigures(const Figures &ours, const QString &method)
    {
        const auto ref =
            expected.value(QStringLiteral("metrics")).toObject().value(method).toObject();
        qInfo("%s: R@1 %.3f (ref %.3f)  R@5 %.3f (ref %.3f)  MRR %.3f (ref %.3f)",
              qPrintable(method), ours.r1, ref.value(QStringLiteral("R@1")).toDouble(), ours.r5,
              ref.value(QStringLiteral("R@5")).toDouble(), ours.mrr,
              ref.value(QStringLiteral("MRR")).toDouble());
        QVERIFY(std::abs(ours.r1 - ref.value(QStringLiteral("R@1")).toDouble()) <= 0.02);
        QVERIFY(std::abs(ours.r5 - ref.value(QStringLiteral("R@5")).toDouble()) <= 0.02);
        QVERIFY(std::abs(ours.mrr - ref.value(QStringLiteral("MRR")).toDouble()) <= 0.02);
    }

private Q_SLOTS:
    void initTestCase()
    {
        session = test::openToyModel();
        ModelSessionOptions o;
        o.model.textPrecision = flava::Precision::Int8;
        int8Text = test::openToyModel(o);
        QCOMPARE(int8Text->identity(), session->identity());
        QFile f(kToy + "/eval/expected.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        expected = QJsonDocument::fromJson(f.readAll()).object();
        exact = indexEval(exactDir.path(), false);
        fast = indexEval(fastDir.path(), true);
    }

    void contrastiveTopTenMatchesReference()
    {
        const SearchEngine engine(session, *exact);
        int compared = 0;
        for (const auto &qv : expected.value(QStringLiteral("queries")).toArray()) {
            const auto q = qv.toObject();
            SearchOptions o;
            o.top = 11;
            o.rerank = 0;
            const auto resp = engine.search(q.value(QStringLiteral("text")).toString(), o);
            QVERIFY(resp.warnings.isEmpty());
            const auto ref = q.value(QStringLiteral("contrastive_top20")).toArray();
            QCOMPARE(resp.results.size(), std::size_t(11));
            for (int i = 0; i < 10; ++i) {
                const auto r = ref[i].toObject();
                const double cosine = r.value(QStringLiteral("cosine")).toDouble();
                QVERIFY2(std::abs(resp.results[i].score - cosine) <= 2e-5,
                         qPrintable(q.value(QStringLiteral("id")).toString()));
                // Orders are compared where the reference's neighbours are not near-ties.
                const double prev =
                    i ? ref[i - 1].toObject().value(QStringLiteral("cosine")).toDouble() : 2;
                const double next =
                    ref[i + 1].toObject().value(QStringLiteral("cosine")).toDouble();
                if (prev - cosine > 1e-4 && cosine - next > 1e-4) {
                    QCOMPARE(QFileInfo(resp.results[i].path).fileName(),
                             r.value(QStringLiteral("image")).toString());
                    ++compared;
                }
                QCOMPARE(resp.results[i].rankBeforeRerank, i + 1);
                QVERIFY(!resp.results[i].matchProbability);
            }
        }
        QVERIFY(compared > 500);
    }

    void rerankedProbabilitiesMatchReference()
    {
        // The library was indexed with full decodes: rerank must decode the same way.
        SearchEngineOptions eo;
        eo.fastDecode = false;
        const SearchEngine engine(session, *exact, eo);
        for (const auto &qv : expected.value(QStringLiteral("queries")).toArray()) {
            const auto q = qv.toObject();
            SearchOptions o;
            o.top = 20;
            o.rerank = 20;
            bool sawVectorOrder = false;
            const auto resp = engine.search(
                q.value(QStringLiteral("text")).toString(), o, [&](const SearchResponse &first) {
                    sawVectorOrder = !first.reranked && first.results.size() == 20;
                });
            QVERIFY(sawVectorOrder);
            QVERIFY(resp.reranked);
            std::map<QString, double> prob;
            for (const auto &c : q.value(QStringLiteral("itm_top20")).toArray())
                prob[c.toObject().value(QStringLiteral("image")).toString()] =
                    c.toObject().value(QStringLiteral("match_probability")).toDouble();
            for (const auto &r : resp.results) {
                QVERIFY(r.matchProbability.has_value());
                const auto it = prob.find(QFileInfo(r.path).fileName());
                QVERIFY(it != prob.end());
                QVERIFY(std::abs(*r.matchProbability - it->second) <= 1e-4);
            }
        }
        QVERIFY(engine.cachedStates() > 0);
    }

    void retrievalFiguresMatchReference()
    {
        compareFigures(figures(*exact, 0), QStringLiteral("contrastive"));
        compareFigures(figures(*exact, 10), QStringLiteral("itm_rerank_top10"));
        compareFigures(figures(*exact, 20), QStringLiteral("itm_rerank_top20"));
        // The indexer's default fast decode keeps the figures.
        compareFigures(figures(*fast, 0), QStringLiteral("contrastive"));
        compareFigures(figures(*fast, 10), QStringLiteral("itm_rerank_top10"));
    }

    void int8QueriesKeepTheFigures()
    {
        // The query precision the CLI and the app default to: every figure, before and after
        // rerank, within the same 0.02 of the reference as fp32.
        compareFigures(figures(*fast, 0, 20, int8Text), QStringLiteral("contrastive"));
        compareFigures(figures(*fast, 10, 20, int8Text), QStringLiteral("itm_rerank_top10"));
        compareFigures(figures(*fast, 20, 20, int8Text), QStringLiteral("itm_rerank_top20"));
    }

    void negativeTermsAndFilters()
    {
        const SearchEngine engine(session, *exact);
        SearchOptions o;
        o.top = 20;
        o.rerank = 20;
        const auto plain = engine.search(QStringLiteral("a red shape"), o);
        QCOMPARE(plain.results.size(), std::size_t(20));
        SearchOptions dropAll = o, dropNone = o;
        dropAll.negativeThreshold = 0.0;
        dropNone.negativeThreshold = 1.0;
        QVERIFY(engine.search(QStringLiteral("a red shape -circle"), dropAll).results.empty());
        QCOMPARE(engine.search(QStringLiteral("a red shape -circle"), dropNone).results.size(),
                 std::size_t(20));
        // At the default threshold, what is kept is what the ITM head does not find matching
        // "circle": check each kept photo directly with the model.
        o.negativeThreshold = 0.2;
        const auto without = engine.search(QStringLiteral("a red shape -circle"), o);
        QVERIFY(without.results.size() < plain.results.size());
        const auto circle = session->tokenizer().encode("circle").ids;
        for (const auto &r : without.results) {
            std::vector<float> chw(3 * 64 * 64);
            QVERIFY(preprocessImageFile(r.path, session->preprocess(), true, chw.data()).ok());
            const auto enc = session->model()->encodeImages(chw, 1);
            const std::shared_ptr<const flava::ImageStates> st[] = {enc[0].states};
            QVERIFY(session->model()->match(st, circle)[0].probability <= 0.2f);
        }

        SearchOptions png = o;
        png.formats = {QStringLiteral("png")};
        for (const auto &r : engine.search(QStringLiteral("a blue star"), png).results)
            QCOMPARE(r.format, QStringLiteral("png"));

        SearchOptions strict = o;
        strict.minProbability = 0.9;
        for (const auto &r : engine.search(QStringLiteral("a green square"), strict).results)
            QVERIFY(*r.matchProbability >= 0.9f);

        const auto parsed = SearchEngine::parseQuery(QStringLiteral("beach  -people -dog  sunset"));
        QCOMPARE(parsed.text, QStringLiteral("beach sunset"));
        QCOMPARE(parsed.negatives, (QStringList{"people", "dog"}));
        QVERIFY(parsed.phrases.isEmpty());
        const auto quoted = SearchEngine::parseQuery(
            QStringLiteral("beach \"paris  2019\" -\"red car\" x-ray - \"IMG_2041"));
        QCOMPARE(quoted.text, QStringLiteral("beach x-ray -"));
        QCOMPARE(quoted.phrases, (QStringList{"paris 2019", "IMG_2041"})); // unclosed: to the end
        QCOMPARE(quoted.negatives, QStringList{"red car"});
    }

    void repeatedQueriesComeFromTheCache()
    {
        const SearchEngine engine(session, *exact);
        SearchOptions o;
        o.top = 10;
        o.rerank = 0;
        auto scores = [](const SearchResponse &r) {
            std::vector<std::pair<QString, float>> v;
            for (const auto &x : r.results)
                v.emplace_back(x.path, x.score);
            return v;
        };
        const auto first = engine.search(QStringLiteral("a red circle"), o);
        QCOMPARE(engine.cachedQueries(), std::size_t(1));
        QCOMPARE(first.results.size(), std::size_t(10));
        // The same words (other spacing, case) are the same tokens: a cache hit, same scores
        // bit for bit as a fresh engine computing them.
        const auto again = engine.search(QStringLiteral("  A red   circle"), o);
        QCOMPARE(engine.cachedQueries(), std::size_t(1));
        QVERIFY(scores(again) == scores(first));
        const SearchEngine fresh(session, *exact);
        QVERIFY(scores(fresh.search(QStringLiteral("a red circle"), o)) == scores(first));
        // Distinct queries fill the cache up to its bound; the oldest is computed anew.
        for (int i = 0; i < 70; ++i)
            engine.search(QStringLiteral("a blue square %1").arg(i), o);
        QCOMPARE(engine.cachedQueries(), std::size_t(64));
        QVERIFY(scores(engine.search(QStringLiteral("a red circle"), o)) == scores(first));
        QCOMPARE(engine.cachedQueries(), std::size_t(64));
    }

    void unreadableQueryWarns()
    {
        const SearchEngine engine(session, *exact);
        const auto r = engine.search(QStringLiteral("красный круг"), SearchOptions{});
        QVERIFY(r.warnings.size() >= 1);
        QVERIFY(r.warnings.join(u' ').contains(QStringLiteral("cannot read")));
        // Chinese is translated first (chinese_query.h), and says what it searched for.
        const auto zh = engine.search(QStringLiteral("红色的圆"), SearchOptions{});
        QCOMPARE(zh.translatedQuery, QStringLiteral("red circle"));
        QVERIFY(!zh.warnings.join(u' ').contains(QStringLiteral("cannot read")));
    }

    void similarPhotos()
    {
        const SearchEngine engine(session, *exact);
        const QString photo = kToy + "/eval/images/toy_000.jpg";
        SearchOptions o;
        o.top = 5;
        const auto r = engine.similar(QFileInfo(photo).absoluteFilePath(), {}, o);
        QCOMPARE(r.results.size(), std::size_t(5));
        for (const auto &x : r.results)
            QVERIFY(x.path != QFileInfo(photo).absoluteFilePath());
        QVERIFY(r.results[0].score >= r.results[4].score);
        const auto steered =
            engine.similar(QFileInfo(photo).absoluteFilePath(), QStringLiteral("a blue circle"), o);
        QVERIFY(steered.reranked);
        QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                                 engine.similar(QStringLiteral("/not/indexed.jpg"), {}, o));
    }
};

QTEST_GUILESS_MAIN(tst_SearchEngine)
#include "tst_searchengine.moc"
