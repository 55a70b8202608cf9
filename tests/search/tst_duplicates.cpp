// tst_duplicates: `duplicates` end to end with the toy model and the real indexer. Distinct
// originals (toy scenes - many alike: the hard case - and real photos from the corpus) with
// near copies made here (resized to 50-70 %, JPEG quality 60-75, 5 % cropped, combined) and
// byte-for-byte copies: at least 95 % of the near copies are grouped with their original, no
// group joins two distinct originals, same-bytes groups are "exact"; the CLI prints the same.
#include "duplicate_finder.h"
#include "indexing_run.h"
#include "library.h"
#include "model_session.h"
#include "toy_model.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <map>
#include <set>

using namespace imago;

namespace {
const QString kToy = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");
const QString kCorpus = QStringLiteral(IMAGO_SHARED_DIR "/corpus");

QImage resized(const QImage &img, double f)
{
    return img.scaled(std::max(8, int(img.width() * f)), std::max(8, int(img.height() * f)),
                      Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
}

QImage cropped(const QImage &img, double f)
{
    const int dx = int(img.width() * f / 2), dy = int(img.height() * f / 2);
    return img.copy(dx, dy, img.width() - 2 * dx, img.height() - 2 * dy);
}

// The original's name (without extension) from a copy's name "NAME~edit.jpg".
QString originOf(const QString &path)
{
    return QFileInfo(path).completeBaseName().section(QLatin1Char('~'), 0, 0);
}
} // namespace

class tst_Duplicates : public QObject
{
    Q_OBJECT

    std::shared_ptr<const ModelSession> session;
    QTemporaryDir tmp;
    QString photos;
    std::unique_ptr<Library> library;
    int nearCopies = 0;
    std::set<QString> copied; // originals with near copies

private Q_SLOTS:
    void initTestCase()
    {
        session = test::openToyModel();
        photos = tmp.filePath(QStringLiteral("photos"));
        QVERIFY(QDir().mkpath(photos));
        // Originals: 80 toy scenes, 4 real photos.
        QStringList originals;
        for (int i = 0; i < 80; ++i) {
            const QString base =
                kToy + QStringLiteral("/eval/images/toy_%1").arg(i, 3, 10, QLatin1Char('0'));
            originals << (QFileInfo::exists(base + ".jpg") ? base + ".jpg" : base + ".png");
        }
        for (const char *f : {"jpeg/progressive_cat.jpg", "camera/Canon_40D.jpg",
                              "camera/Nikon_D70.jpg", "jpeg/hopper_gray.jpg"})
            originals << kCorpus + "/" + QString::fromLatin1(f);
        for (const QString &o : originals)
            QVERIFY2(QFile::copy(o, photos + "/" + QFileInfo(o).fileName()), qPrintable(o));
        // Near copies of every third original (and all the real photos).
        const struct
        {
            const char *name;
            double scale, crop;
            int quality;
        } edits[] = {{"half", 0.5, 0, 90},
                     {"q60", 1, 0, 60},
                     {"crop5", 1, 0.05, 90},
                     {"small", 0.7, 0, 75},
                     {"mixed", 0.6, 0.05, 70}};
        for (int i = 0; i < originals.size(); ++i) {
            if (i % 3 != 0 && i < 80)
                continue;
            // As a person sees it (EXIF orientation applied), as the indexer decodes it.
            QImageReader reader(originals[i]);
            reader.setAutoTransform(true);
            QImage img = reader.read();
            QVERIFY2(!img.isNull(), qPrintable(originals[i]));
            img = img.convertToFormat(QImage::Format_RGB32);
            const QString name = QFileInfo(originals[i]).completeBaseName();
            for (const auto &e : edits) {
                QImage c = resized(img, e.scale);
                if (e.crop > 0)
                    c = cropped(c, e.crop);
                QVERIFY(c.save(
                    QStringLiteral("%1/%2~%3.jpg").arg(photos, name, QString::fromLatin1(e.name)),
                    "JPEG", e.quality));
                ++nearCopies;
            }
            copied.insert(name);
        }
        // Exact copies (same bytes) of two originals.
        QVERIFY(QDir().mkpath(photos + "/backup"));
        QVERIFY(
            QFile::copy(originals[1], photos + "/backup/" + QFileInfo(originals[1]).fileName()));
        QVERIFY(
            QFile::copy(originals[2], photos + "/backup/" + QFileInfo(originals[2]).fileName()));
        LibraryOptions lo;
        lo.modelIdentity = session->identity();
        library = std::make_unique<Library>(tmp.filePath(QStringLiteral("lib")), lo);
        const auto s = IndexingRun(*library, session, IndexingOptions()).run({photos});
        QCOMPARE(int(s.indexed), int(originals.size()) + nearCopies + 2);
    }

    void nearCopiesGroupedWithTheirOriginal()
    {
        const DuplicateReport r = findDuplicates(*library);
        QVERIFY(!r.cancelled);
        qInfo("%zu groups, %d candidate pairs, %d confirmed", r.groups.size(), r.candidatePairs,
              r.confirmedPairs);
        int grouped = 0, exact = 0;
        for (const DuplicateGroup &g : r.groups) {
            std::set<QString> origins;
            for (const QString &p : g.paths)
                origins.insert(originOf(p));
            QVERIFY2(
                origins.size() == 1,
                qPrintable(QStringList(g.paths.begin(), g.paths.end()).join(QStringLiteral(", "))));
            if (g.kind == DuplicateGroup::Kind::Exact) {
                ++exact;
                QCOMPARE(g.paths.size(), std::size_t(2));
                QVERIFY(g.paths[0].contains(QStringLiteral("/backup/")) ||
                        g.paths[1].contains(QStringLiteral("/backup/")));
                continue;
            }
            // The original itself must be in the group for its copies to count.
            const bool hasOriginal =
                std::any_of(g.paths.begin(), g.paths.end(), [](const QString &p) {
                    return !QFileInfo(p).fileName().contains(QLatin1Char('~'));
                });
            if (hasOriginal)
                for (const QString &p : g.paths)
                    grouped += QFileInfo(p).fileName().contains(QLatin1Char('~')) ? 1 : 0;
        }
        qInfo("near copies grouped with their original: %d of %d", grouped, nearCopies);
        QCOMPARE(exact, 2);
        QVERIFY(grouped * 100 >= nearCopies * 95);
        QVERIFY(r.unreadable.isEmpty());
    }

    void cliPrintsTheGroups()
    {
        QProcess p;
        p.start(QStringLiteral(IMAGO_CLI),
                {QStringLiteral("duplicates"), QStringLiteral("--library"),
                 tmp.filePath(QStringLiteral("lib")), QStringLiteral("--json")});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const QJsonObject o = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        const DuplicateReport r = findDuplicates(*library);
        const QJsonArray groups = o.value(QStringLiteral("groups")).toArray();
        QCOMPARE(groups.size(), qsizetype(r.groups.size()));
        for (qsizetype i = 0; i < groups.size(); ++i) {
            const QJsonObject g = groups[i].toObject();
            QCOMPARE(g.value(QStringLiteral("kind")).toString(),
                     r.groups[std::size_t(i)].kind == DuplicateGroup::Kind::Exact
                         ? QStringLiteral("exact")
                         : QStringLiteral("near"));
            const QJsonArray paths = g.value(QStringLiteral("photos")).toArray();
            QCOMPARE(paths.size(), qsizetype(r.groups[std::size_t(i)].paths.size()));
            QCOMPARE(paths[0].toString(), r.groups[std::size_t(i)].paths[0]);
        }
        // Bad use: a clear error, exit 2.
        QProcess bad;
        bad.start(QStringLiteral(IMAGO_CLI), {QStringLiteral("duplicates"),
                                              QStringLiteral("--min-cosine"), QStringLiteral("2")});
        QVERIFY(bad.waitForFinished(60000));
        QCOMPARE(bad.exitCode(), 2);
        QVERIFY(bad.readAllStandardError().contains("--min-cosine"));
    }
};

QTEST_GUILESS_MAIN(tst_Duplicates)
#include "tst_duplicates.moc"
