// The result, roots and rejected-files models under QAbstractItemModelTester, and the
// rerank reorder keeping the selection on its photo.
#include "rejected_model.h"
#include "result_model.h"
#include "roots_model.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QMimeData>
#include <QPersistentModelIndex>
#include <QSignalSpy>
#include <QTest>

using namespace imago;

namespace {

SearchResult result(std::int64_t id, float score, std::optional<float> prob = {})
{
    SearchResult r;
    r.photoId = id;
    r.path = QStringLiteral("/photos/p%1.jpg").arg(id);
    r.score = score;
    r.matchProbability = prob;
    r.rankBeforeRerank = int(id);
    return r;
}

std::vector<SearchResult> vectorOrder(int n)
{
    std::vector<SearchResult> v;
    for (int i = 1; i <= n; ++i)
        v.push_back(result(i, 1.0f - float(i) * 0.01f));
    return v;
}

QList<qint64> ids(const ResultModel &m)
{
    QList<qint64> out;
    for (int r = 0; r < m.rowCount(); ++r)
        out << m.index(r).data(ResultModel::PhotoIdRole).toLongLong();
    return out;
}

} // namespace

class tst_ResultModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void setResultsAndRoles();
    void rerankReorders_data();
    void rerankReorders();
    void rootsModel();
    void rejectedModel();
};

void tst_ResultModel::setResultsAndRoles()
{
    ResultModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setResults(vectorOrder(5));
    QCOMPARE(m.rowCount(), 5);
    const QModelIndex first = m.index(0);
    QCOMPARE(first.data(Qt::DisplayRole).toString(), QStringLiteral("p1.jpg"));
    QCOMPARE(first.data(ResultModel::PathRole).toString(), QStringLiteral("/photos/p1.jpg"));
    QVERIFY(!first.data(ResultModel::ProbabilityRole).isValid());
    QVERIFY(first.data(Qt::ToolTipRole).toString().contains(QStringLiteral("/photos/p1.jpg")));
    QCOMPARE(m.rowOfPath(QStringLiteral("/photos/p3.jpg")), 2);
    std::unique_ptr<QMimeData> mime(m.mimeData({m.index(1)}));
    QCOMPARE(mime->urls().value(0).toLocalFile(), QStringLiteral("/photos/p2.jpg"));
    m.clear();
    QCOMPARE(m.rowCount(), 0);
}

void tst_ResultModel::rerankReorders_data()
{
    QTest::addColumn<QList<qint64>>("reranked");
    QTest::newRow("same set, new order") << QList<qint64>{3, 1, 2, 5, 4};
    QTest::newRow("unchanged order") << QList<qint64>{1, 2, 3, 4, 5};
    QTest::newRow("cut-off drops some") << QList<qint64>{4, 2};
    QTest::newRow("all dropped") << QList<qint64>{};
    QTest::newRow("newcomer appended") << QList<qint64>{2, 1, 6, 3, 4, 5};
}

void tst_ResultModel::rerankReorders()
{
    QFETCH(QList<qint64>, reranked);
    ResultModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setResults(vectorOrder(5));
    const QPersistentModelIndex selected(m.index(1)); // photo 2
    std::vector<SearchResult> next;
    for (qint64 id : reranked)
        next.push_back(result(id, 0.5f, 0.9f - float(next.size()) * 0.1f));
    QSignalSpy reset(&m, &QAbstractItemModel::modelReset);
    m.updateResults(next);
    QCOMPARE(reset.count(), 0); // never a reset: the view keeps its place
    QCOMPARE(ids(m), reranked);
    if (reranked.contains(2)) {
        QVERIFY(selected.isValid());
        QCOMPARE(selected.data(ResultModel::PhotoIdRole).toLongLong(), 2);
        QVERIFY(selected.data(ResultModel::ProbabilityRole).isValid());
    } else {
        QVERIFY(!selected.isValid());
    }
    for (int r = 0; r < m.rowCount(); ++r)
        QCOMPARE(m.rowOfPath(m.index(r).data(ResultModel::PathRole).toString()), r);
}

void tst_ResultModel::rootsModel()
{
    RootsModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setRoots(
        {{QStringLiteral("/a/Holidays"), true, 12}, {QStringLiteral("/media/usb/Old"), false, 3}});
    QCOMPARE(m.rowCount(), 2);
    QVERIFY(m.index(0).data().toString().startsWith(QStringLiteral("Holidays")));
    QVERIFY(m.index(1).data().toString().contains(QStringLiteral("offline")));
    QCOMPARE(m.index(1).data(RootsModel::OnlineRole).toBool(), false);
    QCOMPARE(m.index(0).data(RootsModel::PhotosRole).toLongLong(), 12);
    QSignalSpy reset(&m, &QAbstractItemModel::modelReset);
    m.setRoots(
        {{QStringLiteral("/a/Holidays"), true, 13}, {QStringLiteral("/media/usb/Old"), true, 3}});
    QCOMPARE(reset.count(), 0); // same folders: updated in place
    m.setBusyPaths({QStringLiteral("/a/Holidays")});
    QVERIFY(m.index(0).data().toString().contains(QStringLiteral("indexing")));
    m.setRoots({});
    QCOMPARE(m.rowCount(), 0);
}

void tst_ResultModel::rejectedModel()
{
    RejectedModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setRejected({{QStringLiteral("/p/broken.jpg"),
                    makeReason(reason::kTruncated, QStringLiteral("truncated JPEG"), {"JPEG"})},
                   {QStringLiteral("/p/doc.pdf.jpg"),
                    makeReason(reason::kNotAnImage, QStringLiteral("not an image: PDF document"),
                               {QStringLiteral("PDF document")})},
                   {QStringLiteral("/p/future.jpg"),
                    makeReason("a_code_from_a_newer_imago", QStringLiteral("a newer reason"))}});
    QCOMPARE(m.rowCount(), 3);
    QCOMPARE(m.columnCount(), 2);
    QCOMPARE(m.index(0, 0).data().toString(), QStringLiteral("broken.jpg"));
    // The sentence is made from the code and its arguments (here in English, the source
    // language); a code this version does not know shows the stored sentence.
    QCOMPARE(m.index(0, 1).data().toString(),
             QStringLiteral("The JPEG file is incomplete (cut short)."));
    QCOMPARE(m.index(1, 1).data().toString(), QStringLiteral("Not a picture: PDF document"));
    QCOMPARE(m.index(2, 1).data().toString(), QStringLiteral("a newer reason"));
    QCOMPARE(m.headerData(1, Qt::Horizontal).toString(), QStringLiteral("Reason"));
}

QTEST_MAIN(tst_ResultModel)
#include "tst_resultmodel.moc"
