// Hybrid search end to end with the trained toy FLAVA and the real indexer: photos found by
// their file names, folders and embedded keywords (XMP) as well as by what is in them; quoted
// terms as hard filters; the confident cut-off; Chinese queries; words of an old record read
// by the next index run; "Why this photo?" heat maps on drawn scenes.
#include "indexing_run.h"
#include "library.h"
#include "match_calibration.h"
#include "match_explainer.h"
#include "model_session.h"
#include "search_engine.h"
#include "toy_model.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QPainter>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <algorithm>
#include <set>

using namespace imago;

namespace {
const QString kToy = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");

// A JPEG with an XMP packet (APP1 "http://ns.adobe.com/xap/1.0/") right after its SOI.
QByteArray withXmpKeywords(const QByteArray &jpeg, const QStringList &keywords)
{
    QByteArray items;
    for (const QString &k : keywords)
        items += "<rdf:li>" + k.toHtmlEscaped().toUtf8() + "</rdf:li>";
    const QByteArray packet =
        "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF "
        "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description "
        "rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:subject><rdf:Bag>" +
        items + "</rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>";
    const QByteArray payload = QByteArray("http://ns.adobe.com/xap/1.0/", 29) + packet;
    const int length = int(payload.size()) + 2;
    QByteArray segment("\xFF\xE1", 2);
    segment += char(length >> 8);
    segment += char(length & 0xFF);
    segment += payload;
    return jpeg.left(2) + segment + jpeg.mid(2);
}

bool copyWithKeywords(const QString &from, const QString &to, const QStringList &keywords)
{
    QFile in(from), out(to);
    if (!in.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly))
        return false;
    return out.write(withXmpKeywords(in.readAll(), keywords)) > 0;
}

QStringList names(const SearchResponse &r, std::size_t n = 1000)
{
    QStringList out;
    for (std::size_t i = 0; i < std::min(n, r.results.size()); ++i)
        out << QFileInfo(r.results[i].path).fileName();
    return out;
}

int placeOf(const SearchResponse &r, const QString &fileName)
{
    for (std::size_t i = 0; i < r.results.size(); ++i)
        if (QFileInfo(r.results[i].path).fileName() == fileName)
            return int(i) + 1;
    return 0;
}

// A scene like the toy model's training pictures: one outlined shape on a light background,
// its centre in quadrant q (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right).
QImage drawnScene(int quadrant, int variant)
{
    QImage img(192, 192, QImage::Format_RGB32);
    img.fill(variant % 2 ? QColor(235, 235, 235) : QColor(250, 245, 235));
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(QColor(40, 40, 40), 3));
    p.setBrush(QColor(220, 30, 30));
    const int r = 30 + 6 * (variant % 3);
    const int cx = (quadrant % 2 ? 144 : 48) + (variant % 2 ? 6 : -6);
    const int cy = (quadrant / 2 ? 144 : 48) + (variant % 3 - 1) * 6;
    p.drawEllipse(QPoint(cx, cy), r, r);
    return img;
}

} // namespace

class tst_HybridSearch : public QObject
{
    Q_OBJECT

    std::shared_ptr<const ModelSession> session;
    QTemporaryDir tmp;
    QString photos;
    std::unique_ptr<Library> library;

    SearchResponse search(const QString &q, int rerank = 10, int top = 30,
                          std::optional<MatchCalibration> calibration = {}, bool text = true)
    {
        SearchEngineOptions eo;
        eo.calibration = calibration;
        const SearchEngine engine(session, *library, eo);
        SearchOptions o;
        o.top = top;
        o.rerank = rerank;
        o.textSearch = text;
        return engine.search(q, o);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(tmp.isValid());
        session = test::openToyModel();
        // 40 evaluation images under their own names, 3 in a "Paris 2019" folder, one renamed
        // IMG_2041.jpg, two scans carrying keywords the model cannot know.
        photos = tmp.filePath(QStringLiteral("photos"));
        QVERIFY(QDir().mkpath(photos + "/Paris 2019"));
        const QString eval = kToy + "/eval/images/";
        for (int i = 0; i < 40; ++i) {
            const QString name = QStringLiteral("toy_%1").arg(i, 3, 10, QLatin1Char('0'));
            const QString src = QFileInfo::exists(eval + name + ".jpg") ? eval + name + ".jpg"
                                                                        : eval + name + ".png";
            QVERIFY(QFile::copy(src, photos + "/" + QFileInfo(src).fileName()));
        }
        QVERIFY(QFile::copy(eval + "toy_040.jpg", photos + "/Paris 2019/toy_040.jpg") ||
                QFile::copy(eval + "toy_040.png", photos + "/Paris 2019/toy_040.png"));
        for (const char *n : {"toy_041", "toy_042"}) {
            const QString name = QString::fromLatin1(n);
            QVERIFY(QFile::copy(eval + name + ".jpg", photos + "/Paris 2019/" + name + ".jpg") ||
                    QFile::copy(eval + name + ".png", photos + "/Paris 2019/" + name + ".png"));
        }
        QVERIFY(QFile::copy(eval + "toy_043.jpg", photos + "/IMG_2041.jpg"));
        QVERIFY(copyWithKeywords(eval + "toy_044.jpg", photos + "/scan_0001.jpg",
                                 {QStringLiteral("Grandma"), QStringLiteral("Zürich")}));
        QVERIFY(copyWithKeywords(eval + "toy_047.jpg", photos + "/scan_0002.jpg",
                                 {QStringLiteral("海滩")}));
        LibraryOptions lo;
        lo.modelIdentity = session->identity();
        library = std::make_unique<Library>(tmp.filePath(QStringLiteral("lib")), lo);
        const auto s = IndexingRun(*library, session, IndexingOptions()).run({photos});
        QCOMPARE(s.indexed, 46);
    }

    // A keyword the model knows nothing about still finds its photo, first; marked.
    void keywordsFindPhotos()
    {
        const auto r = search(QStringLiteral("grandma"));
        QCOMPARE(placeOf(r, QStringLiteral("scan_0001.jpg")), 1);
        QVERIFY(r.results[0].textMatch);
        QCOMPARE(std::count_if(r.results.begin(), r.results.end(),
                               [](const SearchResult &s) { return s.textMatch; }),
                 1);
        QCOMPARE(placeOf(search(QStringLiteral("zurich")), QStringLiteral("scan_0001.jpg")), 1);
        QCOMPARE(placeOf(search(QStringLiteral("海滩")), QStringLiteral("scan_0002.jpg")), 1);
        // Within a Chinese sentence: the segmented words are looked up, not the whole run.
        const auto sentence = search(QStringLiteral("海滩上的狗"));
        QCOMPARE(sentence.translatedQuery, QStringLiteral("dog on beach"));
        QCOMPARE(placeOf(sentence, QStringLiteral("scan_0002.jpg")), 1);
    }

    void fileNamesAndPrefixes()
    {
        QCOMPARE(placeOf(search(QStringLiteral("IMG_2041")), QStringLiteral("IMG_2041.jpg")), 1);
        QCOMPARE(placeOf(search(QStringLiteral("IMG_20")), QStringLiteral("IMG_2041.jpg")), 1);
        // Mixed with words the model reads: the name still within the first max(10, 2n).
        const int place = placeOf(search(QStringLiteral("a blue square IMG_2041")),
                                  QStringLiteral("IMG_2041.jpg"));
        QVERIFY2(place >= 1 && place <= 10, qPrintable(QString::number(place)));
    }

    // n photos match by their folder: each within the first max(10, 2n), whatever the model
    // thinks of the other words, reranked or not.
    void textMatchesStayNearTheTop_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<int>("rerank");
        QTest::newRow("folder word") << QStringLiteral("paris") << 10;
        QTest::newRow("folder word, no rerank") << QStringLiteral("paris") << 0;
        QTest::newRow("folder word with a scene") << QStringLiteral("a green star in paris") << 20;
        QTest::newRow("year") << QStringLiteral("yellow circle 2019") << 20;
    }
    void textMatchesStayNearTheTop()
    {
        QFETCH(QString, query);
        QFETCH(int, rerank);
        const auto r = search(query, rerank);
        for (const char *n : {"toy_040", "toy_041", "toy_042"}) {
            const auto it = std::find_if(r.results.begin(), r.results.end(), [&](const auto &s) {
                return QFileInfo(s.path).completeBaseName() == QLatin1String(n);
            });
            QVERIFY2(it != r.results.end(), n);
            QVERIFY2(it - r.results.begin() < 10, n);
            QVERIFY(it->textMatch);
        }
    }

    void quotedTermsFilter()
    {
        const auto r = search(QStringLiteral("a red circle \"Paris 2019\""));
        QCOMPARE(r.results.size(), std::size_t(3));
        for (const auto &s : r.results)
            QVERIFY(s.path.contains(QStringLiteral("/Paris 2019/")));
        const auto only = search(QStringLiteral("\"IMG_2041\""));
        QCOMPARE(names(only), QStringList{QStringLiteral("IMG_2041.jpg")});
        // With a folder filter too: the filter holds for the words and the quoted terms.
        {
            const SearchEngine engine(session, *library);
            SearchOptions o;
            o.top = 30;
            o.rerank = 0;
            o.under = photos + "/Paris 2019";
            const auto within = engine.search(QStringLiteral("IMG_2041 circle"), o);
            QCOMPARE(within.results.size(), std::size_t(3));
            for (const auto &s : within.results)
                QVERIFY(s.path.contains(QStringLiteral("/Paris 2019/")) && !s.textMatch);
            QCOMPARE(engine.search(QStringLiteral("circle \"IMG_2041\""), o).results.size(),
                     std::size_t(0));
        }
        const auto none = search(QStringLiteral("a red circle \"no such words\""));
        QVERIFY(none.results.empty());
        QVERIFY(none.warnings.join(' ').contains(QStringLiteral("no such words")));
    }

    // Queries whose words name no photo rank exactly as the model alone ranks them.
    void modelOnlyQueriesUnchanged()
    {
        for (const char *q : {"a red circle", "a green triangle next to a purple circle"}) {
            const auto with = search(QString::fromLatin1(q), 10);
            const auto without = search(QString::fromLatin1(q), 10, 30, {}, false);
            QCOMPARE(names(with), names(without));
            for (const auto &s : with.results)
                QVERIFY(!s.textMatch);
        }
    }

    // The confident results come first and are counted; the cut-off follows the calibration.
    void confidentCutOff()
    {
        const auto r = search(QStringLiteral("a red circle"), 20);
        QVERIFY(r.reranked);
        for (std::size_t i = 0; i < r.results.size(); ++i) {
            QCOMPARE(r.results[i].confident, int(i) < r.confidentCount);
            if (r.results[i].confident)
                QVERIFY(*r.results[i].matchProbability >= 0.5f); // the default: FLAVA's own
        }
        MatchCalibration all, none;
        all.bias = 1000;
        none.bias = -1000;
        QCOMPARE(search(QStringLiteral("a red circle"), 20, 30, all).confidentCount, 20);
        QCOMPARE(search(QStringLiteral("a red circle"), 20, 30, none).confidentCount, 0);
        // Photos the words name are confident whatever the head says.
        const auto named = search(QStringLiteral("grandma"), 20, 30, none);
        QCOMPARE(named.confidentCount, 1);
        QCOMPARE(placeOf(named, QStringLiteral("scan_0001.jpg")), 1);
        // --confident: only those.
        SearchEngineOptions eo;
        const SearchEngine engine(session, *library, eo);
        SearchOptions o;
        o.top = 30;
        o.rerank = 20;
        o.confidentOnly = true;
        const auto only = engine.search(QStringLiteral("a red circle"), o);
        QCOMPARE(int(only.results.size()), r.confidentCount);
        QCOMPARE(only.confidentCount, r.confidentCount);
        o.sort = SearchOptions::Sort::DateNewestFirst;
        QCOMPARE(int(engine.search(QStringLiteral("a red circle"), o).results.size()),
                 r.confidentCount);
    }

    // A Chinese colour-and-shape query ranks like its English twin.
    void chineseQueries_data()
    {
        QTest::addColumn<QString>("chinese");
        QTest::addColumn<QString>("english");
        QTest::newRow("red circle") << QStringLiteral("红色的圆形") << QStringLiteral("red circle");
        QTest::newRow("blue square")
            << QStringLiteral("蓝色的正方形") << QStringLiteral("blue square");
        QTest::newRow("green triangle")
            << QStringLiteral("一个绿色的三角形") << QStringLiteral("green triangle");
        QTest::newRow("yellow star") << QStringLiteral("黄色星星") << QStringLiteral("yellow star");
    }
    void chineseQueries()
    {
        QFETCH(QString, chinese);
        QFETCH(QString, english);
        const auto zh = search(chinese, 0, 10);
        const auto en = search(english, 0, 10);
        QVERIFY2(zh.translatedQuery.contains(english.split(' ').last().left(4)),
                 qPrintable(zh.translatedQuery));
        const auto a = names(zh), b = names(en);
        const std::set<QString> sa(a.begin(), a.end());
        const int common = int(
            std::count_if(b.begin(), b.end(), [&](const QString &n) { return sa.count(n) > 0; }));
        QVERIFY2(common >= 8,
                 qPrintable(QStringLiteral("%1 of 10 (%2)").arg(common).arg(zh.translatedQuery)));
    }

    void similarWithChineseWords()
    {
        const SearchEngine engine(session, *library);
        SearchOptions o;
        o.top = 10;
        o.rerank = 5;
        const auto r = engine.similar(photos + "/toy_000.jpg", QStringLiteral("红色"), o);
        QCOMPARE(r.translatedQuery, QStringLiteral("red"));
        QVERIFY(!r.warnings.join(' ').contains(QStringLiteral("cannot read")));
        QVERIFY(r.reranked);
    }

    void negativeChineseTerms()
    {
        const auto r = search(QStringLiteral("圆形 -红色"), 20);
        QCOMPARE(r.translatedQuery, QStringLiteral("circle -red"));
    }

    // A record from before words were read (schema < 4): the next run reads them and embeds
    // nothing.
    void oldRecordsGetTheirWords()
    {
        const QString file = library->catalogFile();
        library.reset();
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(file).constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "UPDATE photos SET keywords = '', text_read = 0", nullptr,
                              nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(db);
        LibraryOptions lo;
        lo.modelIdentity = session->identity();
        library = std::make_unique<Library>(tmp.filePath(QStringLiteral("lib")), lo);
        QCOMPARE(placeOf(search(QStringLiteral("grandma"), 0), QStringLiteral("scan_0001.jpg")) ==
                     1,
                 false);
        const auto s = IndexingRun(*library, session, IndexingOptions()).run({photos});
        QCOMPARE(s.indexed, 0);
        QCOMPARE(s.unchanged, 46);
        QCOMPARE(placeOf(search(QStringLiteral("grandma"), 0), QStringLiteral("scan_0001.jpg")), 1);
        const auto again = IndexingRun(*library, session, IndexingOptions()).run({photos});
        QCOMPARE(again.unchanged, 46);
    }

    // "Why this photo?": on drawn scenes, the hottest cell lies where the object is.
    void heatMapFindsTheObject()
    {
        int right = 0, total = 0;
        for (int quadrant = 0; quadrant < 4; ++quadrant)
            for (int variant = 0; variant < 3; ++variant) {
                const QString file =
                    tmp.filePath(QStringLiteral("scene_%1_%2.png").arg(quadrant).arg(variant));
                QVERIFY(drawnScene(quadrant, variant).save(file));
                const auto e = explainMatch(*session, file, QStringLiteral("a red circle"), 4, 4);
                QCOMPARE(e.rows, 4);
                QCOMPARE(e.grid.size(), std::size_t(16));
                QVERIFY(e.matchProbability >= 0 && e.matchProbability <= 1);
                const auto hottest = std::max_element(e.grid.begin(), e.grid.end());
                const int cell = int(hottest - e.grid.begin());
                const int q = (cell / 4 >= 2 ? 2 : 0) + (cell % 4 >= 2 ? 1 : 0);
                right += q == quadrant;
                ++total;
                qInfo("quadrant %d variant %d: p %.3f, hottest cell %d (%.3f)", quadrant, variant,
                      e.matchProbability, cell, *hottest);
            }
        QVERIFY2(right * 4 >= total * 3,
                 qPrintable(QStringLiteral("%1 of %2").arg(right).arg(total)));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                                 explainMatch(*session, tmp.filePath(QStringLiteral("none.png")),
                                              QStringLiteral("a red circle")));
    }
};

QTEST_GUILESS_MAIN(tst_HybridSearch)
#include "tst_hybridsearch.moc"
