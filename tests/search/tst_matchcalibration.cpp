// tst_matchcalibration: Platt scaling of the ITM margin (match_calibration.h) - the fit
// recovers known parameters, degenerate samples fall back to the default, files round-trip and
// bad ones are refused with the file named; and on the toy model's evaluation set
// (calibration_set.h) a cut-off fitted on half the queries holds on the other half.
#include "calibration_set.h"
#include "indexing_run.h"
#include "library.h"
#include "match_calibration.h"
#include "model_session.h"
#include "search_engine.h"
#include "toy_model.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <random>

using namespace imago;

class tst_MatchCalibration : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fitRecoversKnownParameters_data()
    {
        QTest::addColumn<double>("scale");
        QTest::addColumn<double>("bias");
        QTest::newRow("shifted") << 0.8 << -1.2;
        QTest::newRow("steep") << 2.5 << 0.5;
        QTest::newRow("flat") << 0.3 << 0.0;
    }
    void fitRecoversKnownParameters()
    {
        QFETCH(double, scale);
        QFETCH(double, bias);
        std::mt19937 rng(12345); // fixed: the same samples on every machine
        std::uniform_real_distribution<double> margin(-6, 6), coin(0, 1);
        std::vector<double> m;
        std::vector<bool> y;
        for (int i = 0; i < 20000; ++i) {
            m.push_back(margin(rng));
            y.push_back(coin(rng) < 1 / (1 + std::exp(-(scale * m.back() + bias))));
        }
        const auto c = MatchCalibration::fit(m, y);
        qInfo("fitted %.3f %.3f (true %.3f %.3f)", c.scale, c.bias, scale, bias);
        QVERIFY(std::abs(c.scale - scale) < 0.1 * scale + 0.03);
        QVERIFY(std::abs(c.bias - bias) < 0.1);
        QVERIFY(c.confident(-c.bias / c.scale + 0.01));
        QVERIFY(!c.confident(-c.bias / c.scale - 0.01));
        QVERIFY(std::abs(c.probability(-c.bias / c.scale) - 0.5) < 1e-9);
    }

    void degenerateSamplesKeepTheDefault()
    {
        const std::vector<double> m{1, 2, 3};
        const std::vector<bool> all{true, true, true};
        const auto c = MatchCalibration::fit(m, all);
        QCOMPARE(c.scale, 1.0);
        QCOMPARE(c.bias, 0.0);
        QCOMPARE(c.source, QStringLiteral("default"));
        QCOMPARE(MatchCalibration::fit({}, {}).scale, 1.0);
        // Separable samples: a finite fit (Platt's targets), with the classes apart.
        const std::vector<double> sm{-3, -2, -1, 1, 2, 3};
        const std::vector<bool> sy{false, false, false, true, true, true};
        const auto s = MatchCalibration::fit(sm, sy);
        QVERIFY(std::isfinite(s.scale) && std::isfinite(s.bias) && s.scale > 0);
        QVERIFY(s.confident(1) && !s.confident(-1));
    }

    void filesRoundTripAndBadOnesAreRefused()
    {
        QTemporaryDir dir;
        MatchCalibration c;
        c.scale = 0.75;
        c.bias = -0.25;
        const QString file = dir.filePath(MatchCalibration::fileName());
        QVERIFY(c.save(file, QStringLiteral("a test")));
        const auto back = MatchCalibration::load(file);
        QVERIFY(back);
        QCOMPARE(back->scale, 0.75);
        QCOMPARE(back->bias, -0.25);
        QCOMPARE(MatchCalibration::forModelFolder(dir.path()).scale, 0.75);
        QCOMPARE(MatchCalibration::forModelFolder(dir.path()).source, file);
        QCOMPARE(MatchCalibration::forModelFolder(dir.filePath("none")).source,
                 QStringLiteral("default"));
        for (const QByteArray &bad : {QByteArray("not json"), QByteArray("{\"kind\": \"other\"}"),
                                      QByteArray("{\"kind\": \"platt\", \"scale\": \"x\"}")}) {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(bad);
            f.close();
            QString error;
            QVERIFY(!MatchCalibration::load(file, &error));
            QVERIFY(error.startsWith(file));
            QCOMPARE(MatchCalibration::forModelFolder(dir.path()).source,
                     QStringLiteral("default"));
        }
        QString error;
        QVERIFY(!c.save(dir.filePath("no/such/folder/x.json"), QString(), &error));
        QVERIFY(error.contains(QStringLiteral("no/such/folder")));
    }

    void evaluationQueriesAreRead()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath("q.jsonl");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"text\": \"a red circle\", \"relevant\": [\"a.jpg\"]}\n\n"
                "{\"text\": \"x\", \"relevant\": []}\n");
        f.close();
        QCOMPARE(readEvaluationQueries(file).size(), std::size_t(2));
        QVERIFY(f.open(QIODevice::Append));
        f.write("{\"text\": \"no list\"}\n");
        f.close();
        try {
            readEvaluationQueries(file);
            QFAIL("no error");
        } catch (const std::runtime_error &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(file + ":4"), e.what());
        }
    }

    // The toy model: fit on the even queries, judge on the odd ones.
    void heldOutQueriesKeepTheCutOff()
    {
        const QString toy = test::toyModelDir();
        const auto session = test::openToyModel();
        QTemporaryDir dir;
        LibraryOptions lo;
        lo.modelIdentity = session->identity();
        Library lib(dir.path(), lo);
        QCOMPARE(IndexingRun(lib, session, IndexingOptions()).run({toy + "/eval/images"}).indexed,
                 200);
        const auto queries = readEvaluationQueries(toy + "/eval/queries.jsonl");
        std::vector<EvaluationQuery> even, odd;
        for (std::size_t i = 0; i < queries.size(); ++i)
            (i % 2 ? odd : even).push_back(queries[i]);
        SearchEngineOptions eo;
        eo.calibration = MatchCalibration();
        const SearchEngine engine(session, lib, eo);
        const auto train = collectSamples(engine, even, 20);
        const auto test = collectSamples(engine, odd, 20);
        const auto fitted = MatchCalibration::fit(train.margins, train.relevant);
        const auto ours = cutoffQuality(test, fitted);
        const auto raw = cutoffQuality(test, MatchCalibration());
        qInfo("%zu queries; fitted sigmoid(%.3f m + %.3f): held-out precision %.3f recall %.3f "
              "F1 %.3f (%d confident); p >= 0.5: precision %.3f recall %.3f F1 %.3f (%d)",
              queries.size(), fitted.scale, fitted.bias, ours.precision, ours.recall, ours.f1,
              ours.confident, raw.precision, raw.recall, raw.f1, raw.confident);
        // Calibrated: its probabilities are closer to what happens (Brier score) than the
        // head's own, and what it calls confident is right at least 9 times in 10.
        const auto brier = [&](const MatchCalibration &c) {
            double sum = 0;
            for (std::size_t i = 0; i < test.margins.size(); ++i)
                sum += std::pow(c.probability(test.margins[i]) - (test.relevant[i] ? 1 : 0), 2);
            return sum / double(test.margins.size());
        };
        qInfo("held-out Brier score: fitted %.4f, the head's own %.4f", brier(fitted),
              brier(MatchCalibration()));
        QCOMPARE(fitted.source, QStringLiteral("fitted"));
        QVERIFY(brier(fitted) < brier(MatchCalibration()));
        QVERIFY(ours.precision >= 0.9);
        QVERIFY(ours.precision >= raw.precision);
        QVERIFY(ours.confident > 0);
    }
};

QTEST_GUILESS_MAIN(tst_MatchCalibration)
#include "tst_matchcalibration.moc"
