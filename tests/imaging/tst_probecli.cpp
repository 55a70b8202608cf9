// `imago-cli probe`: run as a user runs it, over the whole robustness corpus. Its verdicts
// must be the corpus's (index -> "ok" at the oriented size, reject -> "rejected" with a known
// reason code) and the indexer's own decode (preprocessImageFile, fast path) for the rows
// where either is allowed; missing files, folders and extensionless photos are named; the
// exit code says whether anything was rejected.

#include "cli_run.h"
#include "imaging_test_data.h"
#include "preprocess.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <vector>

using namespace imago;
using namespace imago::testdata;

namespace {

using imago::test::CliRun;

CliRun probe(const QStringList &args)
{
    return imago::test::runProgram(QStringLiteral(IMAGO_CLI),
                                   QStringList{QStringLiteral("probe")} + args);
}

QJsonArray parseArray(const CliRun &r)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray())
        qWarning("not a JSON array (%s): %s", qPrintable(error.errorString()), r.out.constData());
    return doc.array();
}

} // namespace

class tst_ProbeCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void corpusVerdicts();
    void namesWhatIsNotAPhoto();
    void textOutputAndExitCodes();
    void readmeListsEveryReasonCode();
};

void tst_ProbeCli::corpusVerdicts()
{
    const QList<CorpusRow> rows = corpusRows();
    QVERIFY(rows.size() > 100);
    QStringList paths;
    for (const CorpusRow &row : rows)
        paths << kCorpus + row.path;
    const CliRun r = probe(QStringList{QStringLiteral("--json")} + paths);
    QCOMPARE(r.exitCode, 1); // the corpus holds files that must be refused
    const QJsonArray results = parseArray(r);
    QCOMPARE(results.size(), rows.size());

    const PreprocessConfig pre;
    std::vector<float> chw(std::size_t(3) * pre.size * pre.size);
    int ok = 0, rejected = 0;
    for (qsizetype i = 0; i < rows.size(); ++i) {
        const CorpusRow &row = rows[i];
        const QJsonObject o = results[i].toObject();
        const QByteArray what =
            (row.path + QLatin1Char(' ') + QJsonDocument(o).toJson(QJsonDocument::Compact))
                .toUtf8();
        QCOMPARE(o.value(QStringLiteral("path")).toString(), paths[i]);
        const QString status = o.value(QStringLiteral("status")).toString();
        const PreprocessOutcome own = preprocessImageFile(paths[i], pre, /*fast=*/true, chw.data());
        QVERIFY2(status == (own.ok() ? QLatin1String("ok") : QLatin1String("rejected")),
                 what.constData());
        if (status == QLatin1String("ok")) {
            ++ok;
            QVERIFY2(row.expected != QLatin1String("reject"), what.constData());
            const QString wxh = QStringLiteral("%1x%2")
                                    .arg(o.value(QStringLiteral("width")).toInt())
                                    .arg(o.value(QStringLiteral("height")).toInt());
            if (!row.orientedWxh.isEmpty())
                QVERIFY2(wxh == row.orientedWxh, what.constData());
            QCOMPARE(o.value(QStringLiteral("format")).toString(), own.format.toLower());
            QVERIFY2(!o.value(QStringLiteral("format")).toString().isEmpty(), what.constData());
            QVERIFY2(o.value(QStringLiteral("reason_code")).toString().isEmpty(), what.constData());
        } else {
            ++rejected;
            QVERIFY2(row.expected != QLatin1String("index"), what.constData());
            const QString code = o.value(QStringLiteral("reason_code")).toString();
            QVERIFY2(reason::isKnownCode(code), what.constData());
            QCOMPARE(code, own.code);
            QCOMPARE(o.value(QStringLiteral("reason")).toString(), own.error);
            QStringList args;
            for (const QJsonValue &a : o.value(QStringLiteral("reason_args")).toArray())
                args << a.toString();
            QCOMPARE(args, own.args);
        }
    }
    QVERIFY(ok >= 77);       // every "index" row
    QVERIFY(rejected >= 27); // every "reject" row
}

void tst_ProbeCli::namesWhatIsNotAPhoto()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    // A JPEG with no extension (as recovery tools and some phone exports write it): the
    // content decides, as in the scanner.
    const QString noExtension = tmp.filePath(QStringLiteral("IMG_0001"));
    QVERIFY(QFile::copy(kCorpus + QStringLiteral("camera/Canon_40D.jpg"), noExtension));
    const QString text = tmp.filePath(QStringLiteral("notes.jpg"));
    {
        QFile f(text);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("shopping list: milk, eggs\n");
    }
    const QString missing = tmp.filePath(QStringLiteral("gone.jpg"));
    const QString folder = tmp.filePath(QStringLiteral("album"));
    QVERIFY(QDir().mkpath(folder));
    const QString empty = tmp.filePath(QStringLiteral("empty.png"));
    {
        QFile f(empty);
        QVERIFY(f.open(QIODevice::WriteOnly));
    }

    const CliRun r = probe({QStringLiteral("--json"), noExtension, text, missing, folder, empty});
    QCOMPARE(r.exitCode, 1);
    const QJsonArray a = parseArray(r);
    QCOMPARE(a.size(), 5);
    QCOMPARE(a[0][QStringLiteral("status")].toString(), QStringLiteral("ok"));
    QCOMPARE(a[0][QStringLiteral("format")].toString(), QStringLiteral("jpeg"));
    QCOMPARE(a[0][QStringLiteral("width")].toInt(), 100);
    QCOMPARE(a[0][QStringLiteral("height")].toInt(), 68);
    const QStringList codes{QStringLiteral("not_an_image"), QStringLiteral("file_not_found"),
                            QStringLiteral("unreadable"), QStringLiteral("empty_file")};
    for (int i = 1; i < 5; ++i) {
        QCOMPARE(a[i][QStringLiteral("status")].toString(), QStringLiteral("rejected"));
        QCOMPARE(a[i][QStringLiteral("reason_code")].toString(), codes[i - 1]);
        QVERIFY(!a[i][QStringLiteral("reason")].toString().isEmpty());
        QCOMPARE(a[i][QStringLiteral("width")].toInt(), 0);
    }
    QVERIFY2(a[3][QStringLiteral("reason")].toString().contains(QLatin1String("folder")),
             qPrintable(a[3][QStringLiteral("reason")].toString()));
}

void tst_ProbeCli::textOutputAndExitCodes()
{
    // Orientation 6: stored 1800x1200, shown 1200x1800; probe says the shown size.
    const QString rotated = kCorpus + QStringLiteral("exif-orientation/Portrait_6.jpg");
    QVERIFY(QFile::exists(rotated));
    CliRun r = probe({rotated});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith("ok"), r.out.constData());
    QVERIFY2(r.out.contains("JPEG"), r.out.constData());
    QVERIFY2(r.out.contains(rotated.toUtf8()), r.out.constData());
    r = probe({QStringLiteral("--json"), rotated});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject o = parseArray(r).at(0).toObject();
    QCOMPARE(o[QStringLiteral("width")].toInt(), 1200);
    QCOMPARE(o[QStringLiteral("height")].toInt(), 1800);

    const QString bomb = kCorpus + QStringLiteral("adversarial/decompression_bomb.gif");
    r = probe({bomb});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.out.startsWith("rejected"), r.out.constData());
    QVERIFY2(r.out.contains("too_many_pixels"), r.out.constData());

    r = probe({});
    QCOMPARE(r.exitCode, 2); // a file must be named
    QVERIFY2(r.err.contains("probe"), r.err.constData());
}

void tst_ProbeCli::readmeListsEveryReasonCode()
{
    // The README's "Reason codes" table is the contract scripts read: the same set as the code.
    QFile readme(QStringLiteral(IMAGO_TEST_DATA_DIR "/../../README.md"));
    QVERIFY(readme.open(QIODevice::ReadOnly));
    const QString text = QString::fromUtf8(readme.readAll());
    const qsizetype start = text.indexOf(QLatin1String("### Reason codes"));
    QVERIFY(start >= 0);
    const qsizetype end = text.indexOf(QLatin1String("\n#"), start + 1);
    const QStringList lines = text.mid(start, end - start).split(QLatin1Char('\n'));
    QStringList documented;
    const QRegularExpression row(QStringLiteral("^\\| `([a-z_]+)` \\|"));
    for (const QString &line : lines) {
        const auto m = row.match(line);
        if (m.hasMatch() && m.captured(1) != QLatin1String("reason_code"))
            documented << m.captured(1);
    }
    QStringList codes;
    for (const char *c : reason::kAllCodes)
        codes << QString::fromLatin1(c);
    QCOMPARE(documented, codes); // same codes, same order
}

QTEST_GUILESS_MAIN(tst_ProbeCli)
#include "tst_probecli.moc"
