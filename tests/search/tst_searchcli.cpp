// tst_searchcli: the search verbs as scripts use them, with the toy model: search --json's
// text_match, confident, confident_count and translated_query, --confident, quoted terms;
// calibrate (writes the file search then uses); explain --json; bad input refused with the
// reason and exit code 2.
#include "cli_run.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace imago::test;

namespace {
const QString kToy = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");

CliRun cli(const QStringList &args)
{
    return runProgram(QStringLiteral(IMAGO_CLI), args, QProcessEnvironment::systemEnvironment(),
                      {}, 120000);
}

QJsonObject json(const CliRun &r)
{
    return QJsonDocument::fromJson(r.out).object();
}
} // namespace

class tst_SearchCli : public QObject
{
    Q_OBJECT

    QTemporaryDir tmp;
    QString lib, photos;

    QStringList common() const
    {
        return {QStringLiteral("--library"), lib, QStringLiteral("--model"), kToy};
    }

private Q_SLOTS:
    void initTestCase()
    {
        lib = tmp.filePath(QStringLiteral("lib"));
        photos = tmp.filePath(QStringLiteral("photos"));
        QVERIFY(QDir().mkpath(photos + "/Paris 2019"));
        const QString eval = kToy + "/eval/images/";
        const QStringList names = QDir(eval).entryList(QDir::Files, QDir::Name);
        for (int i = 0; i < 60; ++i)
            QVERIFY(QFile::copy(eval + names[i], photos + (i < 3 ? "/Paris 2019/" : "/") + names[i]));
        QVERIFY(QFile::copy(eval + names[60], photos + "/IMG_2041" + names[60].right(4)));
        const CliRun r = cli(QStringList{"index"} + common() + QStringList{photos});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
    }

    void searchJsonFields()
    {
        const CliRun r = cli(QStringList{"search"} + common() +
                             QStringList{"--json", "--rerank", "10", "a red circle"});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const QJsonObject o = json(r);
        QVERIFY(!o.contains(QStringLiteral("translated_query")));
        const QJsonArray results = o.value(QStringLiteral("results")).toArray();
        QCOMPARE(results.size(), 20);
        const int confident = o.value(QStringLiteral("confident_count")).toInt(-1);
        QVERIFY(confident >= 0 && confident <= 10);
        for (int i = 0; i < results.size(); ++i) {
            const QJsonObject x = results[i].toObject();
            QVERIFY(x.value(QStringLiteral("text_match")).isBool());
            QCOMPARE(x.value(QStringLiteral("confident")).toBool(), i < confident);
            QVERIFY(!x.value(QStringLiteral("text_match")).toBool());
        }
        // --confident: only those.
        const CliRun only = cli(QStringList{"search"} + common() +
                                QStringList{"--json", "--rerank", "10", "--confident",
                                            "a red circle"});
        QCOMPARE(json(only).value(QStringLiteral("results")).toArray().size(), confident);
        // A file name, a folder as a quoted term.
        const QJsonObject named = json(cli(QStringList{"search"} + common() +
                                           QStringList{"--json", "IMG_2041"}));
        const QJsonObject first = named.value(QStringLiteral("results")).toArray()[0].toObject();
        QVERIFY(first.value(QStringLiteral("path")).toString().contains(QStringLiteral("IMG_2041")));
        QVERIFY(first.value(QStringLiteral("text_match")).toBool());
        QVERIFY(first.value(QStringLiteral("confident")).toBool());
        const QJsonArray paris = json(cli(QStringList{"search"} + common() +
                                          QStringList{"--json", "a circle \"Paris 2019\""}))
                                     .value(QStringLiteral("results"))
                                     .toArray();
        QCOMPARE(paris.size(), 3);
        for (const auto &x : paris)
            QVERIFY(x.toObject().value(QStringLiteral("path")).toString().contains("/Paris 2019/"));
        // Chinese: translated, and said so.
        const QJsonObject zh = json(cli(QStringList{"search"} + common() +
                                        QStringList{"--json", "--rerank", "0", "红色的圆形"}));
        QCOMPARE(zh.value(QStringLiteral("translated_query")).toString(),
                 QStringLiteral("red circle"));
        QCOMPARE(zh.value(QStringLiteral("query")).toString(), QStringLiteral("红色的圆形"));
        // Refused: --confident without the rerank.
        const CliRun bad = cli(QStringList{"search"} + common() +
                               QStringList{"--rerank", "0", "--confident", "x"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.contains("--confident"));
    }

    void calibrateWritesWhatSearchUses()
    {
        const QString file = tmp.filePath(QStringLiteral("cal.json"));
        const CliRun r = cli(QStringList{"calibrate"} + common() +
                             QStringList{"--json", "--output", file,
                                         kToy + "/eval/queries.jsonl"});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const QJsonObject o = json(r);
        QVERIFY(o.value(QStringLiteral("samples")).toInt() > 0);
        QVERIFY(std::isfinite(o.value(QStringLiteral("scale")).toDouble()));
        QCOMPARE(o.value(QStringLiteral("file")).toString(), file);
        QVERIFY(o.value(QStringLiteral("fitted")).toObject().contains(QStringLiteral("precision")));
        QVERIFY(QFile::exists(file));
        // Into a copy of the model folder: search there uses it.
        const QString model = tmp.filePath(QStringLiteral("model"));
        QVERIFY(QDir().mkpath(model));
        for (const QString &f : QDir(kToy).entryList(QDir::Files))
            QVERIFY(QFile::link(kToy + "/" + f, model + "/" + f));
        QFile cal(model + "/imago-match-calibration.json");
        QVERIFY(cal.open(QIODevice::WriteOnly));
        cal.write("{\"kind\": \"platt\", \"scale\": 1, \"bias\": 1000}"); // everything confident
        cal.close();
        const QJsonObject all =
            json(cli({"search", "--library", lib, "--model", model, "--json", "--rerank", "7",
                      "a red circle"}));
        QCOMPARE(all.value(QStringLiteral("confident_count")).toInt(), 7);
        // The --dry-run writes nothing; a file of no queries is refused, naming it.
        const CliRun dry = cli(QStringList{"calibrate"} + common() +
                               QStringList{"--dry-run", kToy + "/eval/queries.jsonl"});
        QVERIFY2(dry.exitCode == 0, qPrintable(describe(dry)));
        QVERIFY(!QFile::exists(kToy + "/imago-match-calibration.json"));
        const QString empty = tmp.filePath(QStringLiteral("empty.jsonl"));
        QFile e(empty);
        QVERIFY(e.open(QIODevice::WriteOnly));
        e.close();
        const CliRun none = cli(QStringList{"calibrate"} + common() + QStringList{empty});
        QCOMPARE(none.exitCode, 1);
        QVERIFY(none.err.contains(empty.toUtf8()));
    }

    void explainJson()
    {
        const QString photo = photos + "/" + QDir(photos).entryList(QDir::Files, QDir::Name)[0];
        const CliRun r = cli({"explain", "--model", kToy, "--json", "--grid", "3", photo,
                              "a red circle"});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        const QJsonObject o = json(r);
        QCOMPARE(o.value(QStringLiteral("rows")).toInt(), 3);
        QCOMPARE(o.value(QStringLiteral("cols")).toInt(), 3);
        const QJsonArray grid = o.value(QStringLiteral("grid")).toArray();
        QCOMPARE(grid.size(), 3);
        for (const auto &row : grid)
            QCOMPARE(row.toArray().size(), 3);
        const double p = o.value(QStringLiteral("match_probability")).toDouble(-1);
        QVERIFY(p >= 0 && p <= 1);
        const CliRun missing = cli({"explain", "--model", kToy, tmp.filePath("none.jpg"), "x"});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(missing.err.contains("none.jpg"));
        const CliRun usage = cli({"explain", "--model", kToy, photo});
        QCOMPARE(usage.exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(tst_SearchCli)
#include "tst_searchcli.moc"
