// tst_catalog: the SQLite catalog - schema and migrations (from empty and from the committed
// version-1 fixture), photos, roots, embeddings, index generation, transactions, WAL readers.
#include "catalog.h"
#include "content_hash.h"
#include "library_error.h"
#include "library_test_util.h"
#include "photo_text_query.h"

#include <QCryptographicHash>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <atomic>
#include <thread>

using namespace imago;
using namespace imago::test;

namespace {

// Raw SQL for checks the Catalog API deliberately does not offer.
std::int64_t rawInt(const QString &file, const char *sql)
{
    sqlite3 *db = nullptr;
    sqlite3_open_v2(QFile::encodeName(file).constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt *stmt = nullptr;
    std::int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

} // namespace

class tst_Catalog : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    int m_n = 0;
    QString freshFile() { return m_tmp.filePath(QStringLiteral("c%1.sqlite3").arg(++m_n)); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void createsLatestSchemaFromEmpty()
    {
        const QString file = freshFile();
        {
            Catalog c(file);
            QCOMPARE(c.schemaVersion(), Catalog::latestSchemaVersion());
            QCOMPARE(c.metadata(QStringLiteral("schema_version")),
                     QString::number(Catalog::latestSchemaVersion()));
            QCOMPARE(c.modelIdentity(), QString());
            QCOMPARE(c.indexGeneration(), 0);
            QVERIFY(c.integrityProblems().isEmpty());
        }
        QCOMPARE(rawInt(file, "PRAGMA user_version"), Catalog::latestSchemaVersion());
        QCOMPARE(rawInt(file, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name "
                              "IN ('roots', 'photos', 'embeddings', 'meta')"),
                 4);
        // Reopening is a no-op.
        Catalog again(file);
        QCOMPARE(again.schemaVersion(), Catalog::latestSchemaVersion());
    }

    // The committed version-1 catalog must open with every later schema (and keep its rows).
    void migratesVersion1Fixture()
    {
        const QString file = freshFile();
        QVERIFY(QFile::copy(QStringLiteral(IMAGO_LIBRARY_DATA_DIR "/catalog-v1.sqlite3"), file));
        QFile::setPermissions(file, QFile::ReadOwner | QFile::WriteOwner);
        QCOMPARE(rawInt(file, "PRAGMA user_version"), 1);
        Catalog c(file);
        QCOMPARE(c.schemaVersion(), Catalog::latestSchemaVersion());
        QCOMPARE(c.modelIdentity(), QStringLiteral("fixture-model-v1"));
        QVERIFY(c.integrityProblems().isEmpty());
        const auto all = c.photos();
        QCOMPARE(all.size(), std::size_t(3));
        const auto sunset = c.photoByPath(QStringLiteral("/photos/2021/sunset.jpg"));
        QVERIFY(sunset);
        QCOMPARE(sunset->status, PhotoStatus::Indexed);
        QCOMPARE(sunset->facts.width, 4032);
        QCOMPARE(sunset->facts.height, 3024);
        QCOMPARE(sunset->facts.camera, QStringLiteral("Canon EOS 5D"));
        QCOMPARE(sunset->facts.capturedAt, QDateTime(QDate(2021, 7, 4), QTime(18, 30, 0)));
        QString model;
        const auto v = c.embedding(sunset->id, &model);
        QVERIFY(v);
        QCOMPARE(model, QStringLiteral("fixture-model-v1"));
        QCOMPARE(v->size(), std::size_t(8));
        QCOMPARE((*v)[0], 1.0f); // the fixture's first vector is e0
        const auto broken = c.photoByPath(QStringLiteral("/photos/2021/broken.jpg"));
        QVERIFY(broken);
        QCOMPARE(broken->status, PhotoStatus::Rejected);
        QCOMPARE(broken->reason.text, QStringLiteral("truncated JPEG"));
        // Version 1 stored the sentence only; the migration to 2 gave it its code.
        QCOMPARE(broken->reason.code, QStringLiteral("truncated"));
        QVERIFY(broken->reason.args.isEmpty());
        QCOMPARE(c.schemaVersion(), Catalog::latestSchemaVersion());
        QCOMPARE(c.roots().size(), std::size_t(1));
        QCOMPARE(c.searchableCount(QStringLiteral("fixture-model-v1")), 2);
        // Schema 4: names and folders searchable at once; the words are read by the next run.
        QCOMPARE(c.textMatches(anyWordsQuery(QStringLiteral("sunset")), 10),
                 std::vector<std::int64_t>{sunset->id});
        QVERIFY(!sunset->facts.textRead);
        QVERIFY(sunset->facts.keywords.isEmpty());
    }

    // The committed version-2 catalog opens, and its photos gain their paths relative to
    // their roots (schema 3).
    void migratesVersion2Fixture()
    {
        const QString file = freshFile();
        QVERIFY(QFile::copy(QStringLiteral(IMAGO_LIBRARY_DATA_DIR "/catalog-v2.sqlite3"), file));
        QFile::setPermissions(file, QFile::ReadOwner | QFile::WriteOwner);
        QCOMPARE(rawInt(file, "PRAGMA user_version"), 2);
        Catalog c(file);
        QCOMPARE(c.schemaVersion(), Catalog::latestSchemaVersion());
        QVERIFY(c.integrityProblems().isEmpty());
        QCOMPARE(c.photos().size(), std::size_t(3));
        const auto sunset = c.photoByPath(QStringLiteral("/photos/2021/sunset.jpg"));
        QVERIFY(sunset);
        QCOMPARE(sunset->relativePath, QStringLiteral("2021/sunset.jpg"));
        QCOMPARE(sunset->facts.camera, QStringLiteral("Canon EOS 5D"));
        QCOMPARE(*c.embedding(sunset->id), (std::vector<float>{1, 0, 0, 0, 0, 0, 0, 0}));
        const auto broken = c.photoByPath(QStringLiteral("/photos/2021/broken.jpg"));
        QCOMPARE(broken->reason.code, QStringLiteral("truncated"));
        QCOMPARE(broken->reason.args, QStringList{QStringLiteral("JPEG")});
        QCOMPARE(broken->relativePath, QStringLiteral("2021/broken.jpg"));
        QCOMPARE(c.searchableCount(QStringLiteral("fixture-model-v1")), 2);
    }

    void refusesNewerSchema()
    {
        const QString file = freshFile();
        {
            Catalog c(file);
        }
        rawExec(file, "PRAGMA user_version = 999");
        QVERIFY_THROWS_EXCEPTION(LibraryError, Catalog c(file));
        QVERIFY_THROWS_EXCEPTION(LibraryError, Catalog c(file, Catalog::Mode::ReadOnly));
    }

    void readOnlyModeRules()
    {
        QVERIFY_THROWS_EXCEPTION(
            LibraryError,
            Catalog c(m_tmp.filePath(QStringLiteral("absent.sqlite3")), Catalog::Mode::ReadOnly));
        const QString file = freshFile();
        {
            Catalog c(file);
        }
        Catalog ro(file, Catalog::Mode::ReadOnly);
        QCOMPARE(ro.schemaVersion(), Catalog::latestSchemaVersion());
        QVERIFY_THROWS_EXCEPTION(LibraryError, ro.upsertPhoto(fakeFacts(QStringLiteral("/a.jpg")),
                                                              PhotoStatus::Indexed));
        QVERIFY_THROWS_EXCEPTION(LibraryError, Catalog::Transaction tx(ro));
    }

    void photoFactsRoundTrip()
    {
        Catalog c(freshFile());
        PhotoFacts f = fakeFacts(QStringLiteral("/p/one.jpg"), 12345);
        f.mtime = QDateTime::fromMSecsSinceEpoch(1'650'000'000'123, Qt::UTC);
        f.capturedAt = QDateTime(QDate(2019, 12, 31), QTime(23, 59, 58));
        f.camera = QStringLiteral("FUJIFILM X-T3");
        f.width = 3000;
        f.height = 2000;
        f.format = QStringLiteral("jpeg");
        const std::int64_t id = c.upsertPhoto(f, PhotoStatus::Indexed);
        const auto r = c.photo(id);
        QVERIFY(r);
        QCOMPARE(r->facts.path, f.path);
        QCOMPARE(r->facts.size, f.size);
        QCOMPARE(r->facts.mtime, f.mtime);
        QCOMPARE(r->facts.contentHash, f.contentHash);
        QCOMPARE(r->facts.width, 3000);
        QCOMPARE(r->facts.height, 2000);
        QCOMPARE(r->facts.format, QStringLiteral("jpeg"));
        QCOMPARE(r->facts.capturedAt, f.capturedAt);
        QCOMPARE(r->facts.camera, f.camera);
        QCOMPARE(r->status, PhotoStatus::Indexed);
        QVERIFY(r->addedAt.isValid());
        QCOMPARE(r->embeddingModel, QString());
        // Upsert by path keeps the id and updates the facts.
        f.size = 999;
        const Reason cut = makeReason(reason::kTruncated, QStringLiteral("truncated JPEG"),
                                      {QStringLiteral("JPEG"), QStringLiteral("a \"quoted\" ½")});
        QCOMPARE(c.upsertPhoto(f, PhotoStatus::Rejected, cut), id);
        QCOMPARE(c.photo(id)->facts.size, 999);
        // The reason comes back whole: code, sentence and arguments (JSON-escaped in storage).
        QCOMPARE(c.photo(id)->reason.code, QStringLiteral("truncated"));
        QCOMPARE(c.photo(id)->reason.text, cut.text);
        QCOMPARE(c.photo(id)->reason.args, cut.args);
        c.setStatus(id, PhotoStatus::Missing, fileNotFoundReason());
        QCOMPARE(c.photo(id)->reason.code, QStringLiteral("file_not_found"));
        QVERIFY(c.photo(id)->reason.args.isEmpty());
        c.setStatus(id, PhotoStatus::Indexed);
        QVERIFY(c.photo(id)->reason.isEmpty());
        // Paths are cleaned.
        QCOMPARE(c.photoByPath(QStringLiteral("/p/./x/../one.jpg"))->id, id);
    }

    void queriesAndCounts()
    {
        Catalog c(freshFile());
        const QString model = QStringLiteral("m1");
        auto add = [&](const char *path, PhotoStatus s, bool embed) {
            const std::int64_t id = c.upsertPhoto(fakeFacts(QString::fromLatin1(path)), s);
            if (embed)
                c.setEmbedding(id, std::vector<float>{1, 0, 0}, model);
            return id;
        };
        add("/a/b/1.jpg", PhotoStatus::Indexed, true);
        add("/a/b/2.jpg", PhotoStatus::Indexed, true);
        add("/a/bc/3.jpg", PhotoStatus::Indexed, true); // not under /a/b
        add("/a/b/sub/4.jpg", PhotoStatus::Rejected, false);
        const std::int64_t stale = add("/a/5.jpg", PhotoStatus::Indexed, false);
        add("/z/6.jpg", PhotoStatus::Missing, true);

        PhotoQuery under;
        under.under = QStringLiteral("/a/b");
        QCOMPARE(c.photos(under).size(), std::size_t(3));
        under.under = QStringLiteral("/a/b/");
        QCOMPARE(c.photos(under).size(), std::size_t(3));
        PhotoQuery rejected;
        rejected.status = PhotoStatus::Rejected;
        QCOMPARE(c.photos(rejected).size(), std::size_t(1));
        PhotoQuery limited;
        limited.limit = 2;
        limited.offset = 1;
        const auto page = c.photos(limited);
        QCOMPARE(page.size(), std::size_t(2));
        QCOMPARE(page[0].facts.path, QStringLiteral("/a/b/1.jpg")); // path order: /a/5 first

        const StatusCounts counts = c.counts(model);
        QCOMPARE(counts.indexed, 4);
        QCOMPARE(counts.rejected, 1);
        QCOMPARE(counts.missing, 1);
        QCOMPARE(counts.stale, 1); // /a/5.jpg has no embedding
        QCOMPARE(counts.total(), 6);
        QCOMPARE(c.stalePaths(model), QStringList{QStringLiteral("/a/5.jpg")});
        QCOMPARE(c.searchableCount(model), 3); // the missing one is not searchable
        // Another model makes every indexed photo stale.
        QCOMPARE(c.counts(QStringLiteral("m2")).stale, 4);
        QCOMPARE(c.searchableCount(QStringLiteral("m2")), 0);
        Q_UNUSED(stale);
    }

    void capturedDateFilter()
    {
        Catalog c(freshFile());
        for (int month = 1; month <= 12; ++month) {
            PhotoFacts f = fakeFacts(QStringLiteral("/d/%1.jpg").arg(month));
            f.capturedAt = QDateTime(QDate(2020, month, 15), QTime(12, 0));
            c.upsertPhoto(f, PhotoStatus::Indexed);
        }
        c.upsertPhoto(fakeFacts(QStringLiteral("/d/undated.jpg")), PhotoStatus::Indexed);
        PhotoQuery q;
        q.capturedFrom = QDateTime(QDate(2020, 3, 1), QTime(0, 0));
        q.capturedTo = QDateTime(QDate(2020, 5, 31), QTime(23, 59, 59));
        QCOMPARE(c.photos(q).size(), std::size_t(3));
    }

    void rootsAttachNestAndRemove()
    {
        Catalog c(freshFile());
        const std::int64_t p1 =
            c.upsertPhoto(fakeFacts(QStringLiteral("/r/a.jpg")), PhotoStatus::Indexed);
        const std::int64_t p2 =
            c.upsertPhoto(fakeFacts(QStringLiteral("/r/in/b.jpg")), PhotoStatus::Indexed);
        const std::int64_t p3 =
            c.upsertPhoto(fakeFacts(QStringLiteral("/rx/c.jpg")), PhotoStatus::Indexed);
        QVERIFY(!c.photo(p1)->rootId);
        const std::int64_t outer = c.addRoot(QStringLiteral("/r"));
        QCOMPARE(c.addRoot(QStringLiteral("/r/")), outer); // idempotent, cleaned
        QCOMPARE(c.photo(p1)->rootId, outer);
        QCOMPARE(c.photo(p2)->rootId, outer);
        QVERIFY(!c.photo(p3)->rootId); // "/rx" is not under "/r"
        const std::int64_t inner = c.addRoot(QStringLiteral("/r/in"));
        QCOMPARE(c.photo(p2)->rootId, inner); // the deepest root wins
        QCOMPARE(c.photo(p1)->rootId, outer);
        // New photos find their root at insert.
        const std::int64_t p4 =
            c.upsertPhoto(fakeFacts(QStringLiteral("/r/in/d.jpg")), PhotoStatus::Indexed);
        QCOMPARE(c.photo(p4)->rootId, inner);
        QCOMPARE(c.photoCountInRoot(inner), 2);
        // Removing the inner root hands its photos to the outer one.
        QVERIFY(c.removeRoot(inner).empty());
        QCOMPARE(c.photo(p2)->rootId, outer);
        // Removing the outer root forgets its photos.
        const auto gone = c.removeRoot(outer);
        QCOMPARE(gone.size(), std::size_t(3));
        QVERIFY(!c.photo(p1));
        QVERIFY(c.photo(p3));
        QVERIFY(c.roots().empty());
    }

    // rel_path follows every change of a photo's path or root; moveRoot re-points a root and
    // the roots inside it, and refuses what would mix two places.
    void relativePathsAndMovedRoots()
    {
        Catalog c(freshFile());
        const std::int64_t loose =
            c.upsertPhoto(fakeFacts(QStringLiteral("/loose.jpg")), PhotoStatus::Indexed);
        QCOMPARE(c.photo(loose)->relativePath, QString());
        const std::int64_t outer = c.addRoot(QStringLiteral("/mnt/archive"));
        const std::int64_t a = c.upsertPhoto(fakeFacts(QStringLiteral("/mnt/archive/2019/é a.jpg")),
                                             PhotoStatus::Indexed);
        QCOMPARE(c.photo(a)->relativePath, QStringLiteral("2019/é a.jpg"));
        const std::int64_t inner = c.addRoot(QStringLiteral("/mnt/archive/2019"));
        QCOMPARE(c.photo(a)->relativePath, QStringLiteral("é a.jpg")); // its root changed
        const std::int64_t b =
            c.upsertPhoto(fakeFacts(QStringLiteral("/mnt/archive/b.jpg")), PhotoStatus::Rejected);
        c.relocatePhoto(b, fakeFacts(QStringLiteral("/mnt/archive/x/b.jpg")));
        QCOMPARE(c.photo(b)->relativePath, QStringLiteral("x/b.jpg"));
        const std::int64_t generation = c.indexGeneration();

        QCOMPARE(c.moveRoot(outer, QStringLiteral("/home/me/Archive")), 2);
        QCOMPARE(c.photo(a)->facts.path, QStringLiteral("/home/me/Archive/2019/é a.jpg"));
        QCOMPARE(c.photo(a)->relativePath, QStringLiteral("é a.jpg"));
        QCOMPARE(c.photo(a)->rootId, inner);
        QCOMPARE(c.photo(b)->facts.path, QStringLiteral("/home/me/Archive/x/b.jpg"));
        QCOMPARE(c.photo(loose)->facts.path, QStringLiteral("/loose.jpg"));
        QVERIFY(c.rootByPath(QStringLiteral("/home/me/Archive/2019"))); // the inner root came along
        QVERIFY(!c.rootByPath(QStringLiteral("/mnt/archive")));
        PhotoQuery under;
        under.under = QStringLiteral("/home/me/Archive/2019");
        QCOMPARE(c.photos(under).size(), std::size_t(1));
        QCOMPARE(c.indexGeneration(), generation); // no vector changed
        QVERIFY(c.integrityProblems().isEmpty());
        // Refused: into itself, onto a root, onto photos it has.
        QVERIFY_THROWS_EXCEPTION(LibraryError,
                                 c.moveRoot(outer, QStringLiteral("/home/me/Archive/y")));
        QVERIFY_THROWS_EXCEPTION(LibraryError, c.moveRoot(outer, QStringLiteral("/home")));
        const std::int64_t other = c.addRoot(QStringLiteral("/other"));
        QVERIFY_THROWS_EXCEPTION(LibraryError,
                                 c.moveRoot(other, QStringLiteral("/home/me/Archive/2019")));
        QVERIFY_THROWS_EXCEPTION(LibraryError, c.moveRoot(other, QStringLiteral("/")));
        c.upsertPhoto(fakeFacts(QStringLiteral("/taken/p.jpg")), PhotoStatus::Indexed);
        QVERIFY_THROWS_EXCEPTION(LibraryError, c.moveRoot(other, QStringLiteral("/taken")));
        QCOMPARE(c.moveRoot(other, QStringLiteral("/elsewhere")), 0);
    }

    // photo_text: file names, folders below the root, camera and the words a file carries,
    // case- and accent-insensitive, prefixes, phrases; kept right by the triggers whatever
    // changes a photo (new root, moved root, relocation, removal, words read later).
    void photoTextIsSearchable()
    {
        Catalog c(freshFile());
        c.addRoot(QStringLiteral("/r"));
        PhotoFacts paris = fakeFacts(QStringLiteral("/r/2019/Paris trip/IMG_2041.jpg"));
        paris.camera = QStringLiteral("Canon EOS 5D");
        const std::int64_t a = c.upsertPhoto(paris, PhotoStatus::Indexed);
        PhotoFacts beach = fakeFacts(QStringLiteral("/r/holiday/DSC_0001.jpg"));
        beach.keywords = {QStringLiteral("Zürich"), QStringLiteral("海滩"), QStringLiteral("Sand")};
        beach.title = QStringLiteral("Evening swim");
        beach.description = QStringLiteral("Two kids building a sandcastle");
        beach.textRead = true;
        const std::int64_t b = c.upsertPhoto(beach, PhotoStatus::Indexed);
        const std::int64_t other =
            c.upsertPhoto(fakeFacts(QStringLiteral("/r/IMG_2042.jpg")), PhotoStatus::Indexed);
        const std::int64_t rejected =
            c.upsertPhoto(fakeFacts(QStringLiteral("/r/IMG_2041 copy.jpg")), PhotoStatus::Rejected);
        const auto match = [&](const QString &fts) { return c.textMatches(fts, 100); };
        using Ids = std::vector<std::int64_t>;
        QCOMPARE(match(phraseQuery(QStringLiteral("IMG_2041"))), Ids{a}); // not the rejected one
        QCOMPARE(match(phraseQuery(QStringLiteral("img 2041"))), Ids{a});
        const auto sorted = [](Ids ids) {
            std::sort(ids.begin(), ids.end());
            return ids;
        };
        QCOMPARE(sorted(match(anyWordsQuery(QStringLiteral("IMG_20")))), (Ids{a, other}));
        QCOMPARE(match(anyWordsQuery(QStringLiteral("paris"))), Ids{a});         // a folder
        QCOMPARE(match(anyWordsQuery(QStringLiteral("canon"))), Ids{a});         // the camera
        QCOMPARE(match(anyWordsQuery(QStringLiteral("zurich"))), Ids{b});        // accents
        QCOMPARE(match(anyWordsQuery(QStringLiteral("ZÜRICH"))), Ids{b});        // case
        QCOMPARE(match(anyWordsQuery(QStringLiteral("海滩"))), Ids{b});          // Chinese keyword
        QCOMPARE(match(anyWordsQuery(QStringLiteral("sandcastle"))), Ids{b});    // description
        QCOMPARE(match(anyWordsQuery(QStringLiteral("a photo of the"))), Ids{}); // stop words
        QCOMPARE(match(phraseQuery(QStringLiteral("kids building"))), Ids{b});
        QCOMPARE(match(phraseQuery(QStringLiteral("building kids"))), Ids{});
        QCOMPARE(match(QStringLiteral("\"unclosed")), Ids{}); // bad syntax: nothing, no throw
        // The file name weighs more than a keyword or a folder.
        PhotoFacts named = fakeFacts(QStringLiteral("/r/misc/sand.jpg"));
        const std::int64_t s = c.upsertPhoto(named, PhotoStatus::Indexed);
        QCOMPARE(match(anyWordsQuery(QStringLiteral("sand"))).front(), s);
        // Restricted to allowed ids.
        const Ids allowed{b};
        QCOMPARE(c.textMatches(anyWordsQuery(QStringLiteral("sand")), 100, &allowed), Ids{b});
        // A root added inside: the folders are now counted from it.
        c.addRoot(QStringLiteral("/r/2019"));
        QCOMPARE(match(anyWordsQuery(QStringLiteral("paris"))), Ids{a});
        c.addRoot(QStringLiteral("/r/2019/Paris trip"));
        QCOMPARE(match(anyWordsQuery(QStringLiteral("paris"))), Ids{}); // the root's own name
        QCOMPARE(match(anyWordsQuery(QStringLiteral("2041"))), Ids{a});
        // Moved root: words stay; relocation without words read keeps the old ones.
        QCOMPARE(c.moveRoot(c.rootByPath(QStringLiteral("/r"))->id, QStringLiteral("/m")), 5);
        QCOMPARE(match(anyWordsQuery(QStringLiteral("sandcastle"))), Ids{b});
        c.relocatePhoto(b, fakeFacts(QStringLiteral("/m/holiday/renamed.jpg")));
        QCOMPARE(c.photo(b)->facts.keywords, beach.keywords);
        QCOMPARE(match(anyWordsQuery(QStringLiteral("renamed"))), Ids{b});
        QCOMPARE(match(anyWordsQuery(QStringLiteral("DSC_0001"))), Ids{});
        // Words read later (an old record): setPhotoText changes them and nothing else.
        QVERIFY(!c.photo(other)->facts.textRead);
        PhotoFacts words;
        words.keywords = {QStringLiteral("birthday")};
        QVERIFY(c.setPhotoText(c.photo(other)->facts.path, words));
        QVERIFY(c.photo(other)->facts.textRead);
        QCOMPARE(match(anyWordsQuery(QStringLiteral("birthday"))), Ids{other});
        QVERIFY(!c.setPhotoText(QStringLiteral("/nowhere.jpg"), words));
        // Removal takes the text with it.
        const Ids gone{other};
        c.removePhotos(gone);
        QCOMPARE(match(anyWordsQuery(QStringLiteral("birthday"))), Ids{});
        QCOMPARE(rawInt(c.file(), "SELECT count(*) FROM photo_text"),
                 rawInt(c.file(), "SELECT count(*) FROM photos"));
        Q_UNUSED(rejected);
    }

    // A word common to more photos than are worth ranking: listed unranked, for the caller to
    // intersect with the model's candidates.
    void commonWordsAreNotRanked()
    {
        Catalog c(freshFile());
        c.addRoot(QStringLiteral("/r"));
        const std::size_t n = Catalog::kRankedTextMatches + 50;
        c.writeBatch([&] {
            for (std::size_t i = 0; i < n; ++i)
                c.upsertPhoto(fakeFacts(QStringLiteral("/r/Beach/%1.jpg").arg(i)),
                              PhotoStatus::Indexed);
            c.upsertPhoto(fakeFacts(QStringLiteral("/r/Home/beach ball.jpg")),
                          PhotoStatus::Indexed);
        });
        std::vector<std::int64_t> unranked;
        QVERIFY(
            c.textMatches(anyWordsQuery(QStringLiteral("beach")), 100, nullptr, &unranked).empty());
        QCOMPARE(unranked.size(), n + 1);
        QVERIFY(std::is_sorted(unranked.begin(), unranked.end()));
        // Without the choice: ranked, the file name first.
        const auto ranked = c.textMatches(anyWordsQuery(QStringLiteral("beach")), 100);
        QCOMPARE(ranked.size(), std::size_t(100));
        QCOMPARE(c.photo(ranked.front())->facts.path, QStringLiteral("/r/Home/beach ball.jpg"));
        // A rare word is ranked as before.
        QCOMPARE(
            c.textMatches(anyWordsQuery(QStringLiteral("ball")), 100, nullptr, &unranked).size(),
            std::size_t(1));
        QVERIFY(unranked.empty());
    }

    void rootOnlineFromFilesystem()
    {
        Catalog c(freshFile());
        const QString dir = m_tmp.filePath(QStringLiteral("rootdir"));
        QVERIFY(QDir().mkpath(dir));
        c.addRoot(dir);
        c.addRoot(m_tmp.filePath(QStringLiteral("not-there")));
        const auto roots = c.roots();
        QCOMPARE(roots.size(), std::size_t(2));
        QVERIFY(roots[1].path.endsWith(QLatin1String("rootdir")));
        QVERIFY(roots[1].online);
        QVERIFY(!roots[0].online);
        // A folder that now lies on another volume is an unmounted drive's mount point.
        QVERIFY(isRootOnline(dir, volumeRootOf(dir)));
        QVERIFY(!isRootOnline(dir, QStringLiteral("/no/such/volume")));
    }

    void embeddingsAndSearchableStream()
    {
        Catalog c(freshFile());
        const QString m = QStringLiteral("model-a");
        const std::size_t dim = 16;
        const auto x = randomUnitVectors(10, dim, 1);
        std::vector<std::int64_t> ids;
        for (int i = 0; i < 10; ++i) {
            const std::int64_t id =
                c.upsertPhoto(fakeFacts(QStringLiteral("/e/%1.jpg").arg(i)), PhotoStatus::Indexed);
            c.setEmbedding(id, row(x, std::size_t(i), dim), i == 7 ? QStringLiteral("old") : m);
            ids.push_back(id);
        }
        c.setStatus(ids[3], PhotoStatus::Missing, fileNotFoundReason());
        QCOMPARE(c.searchableCount(m), 8);
        QCOMPARE(c.searchableDim(m), int(dim));
        std::vector<std::int64_t> seen;
        int batches = 0;
        c.forEachSearchableVector(
            m, int(dim), 3, [&](std::span<const std::int64_t> bid, std::span<const float> v) {
                ++batches;
                for (std::size_t i = 0; i < bid.size(); ++i) {
                    seen.push_back(bid[i]);
                    const std::size_t k = std::size_t(bid[i] - ids[0]);
                    if (!std::equal(v.begin() + std::ptrdiff_t(i * dim),
                                    v.begin() + std::ptrdiff_t((i + 1) * dim),
                                    x.begin() + std::ptrdiff_t(k * dim)))
                        qFatal("vector of id %lld differs", qlonglong(bid[i]));
                }
                return true;
            });
        QCOMPARE(seen.size(), std::size_t(8));
        QCOMPARE(batches, 3);
        QVERIFY(std::is_sorted(seen.begin(), seen.end()));
        QVERIFY(std::find(seen.begin(), seen.end(), ids[3]) == seen.end());
        QVERIFY(std::find(seen.begin(), seen.end(), ids[7]) == seen.end());
        // Blob format: float32 little-endian, 4 bytes per value.
        QCOMPARE(rawInt(c.file(), "SELECT length(vector) FROM embeddings LIMIT 1"), 4 * 16);
        std::vector<std::int64_t> outIds;
        std::vector<float> out;
        const std::int64_t want[] = {ids[1], ids[3], ids[7], ids[9]};
        c.searchableVectors(m, int(dim), want, outIds, out);
        QCOMPARE(outIds, (std::vector<std::int64_t>{ids[1], ids[9]}));
        QCOMPARE(out.size(), 2 * dim);
        c.clearEmbedding(ids[1]);
        QVERIFY(!c.embedding(ids[1]));
        // Deleting a photo deletes its embedding (foreign key cascade).
        c.removePhotos(std::vector<std::int64_t>{ids[2]});
        QCOMPARE(rawInt(c.file(), "SELECT count(*) FROM embeddings"), 8);
    }

    void generationBumpsOnlyForSearchableChanges()
    {
        Catalog c(freshFile());
        const std::int64_t g0 = c.indexGeneration();
        const std::int64_t rejected =
            c.upsertPhoto(fakeFacts(QStringLiteral("/g/r.jpg")), PhotoStatus::Rejected,
                          makeReason(reason::kCorrupt, QStringLiteral("bad")));
        QCOMPARE(c.indexGeneration(), g0); // not searchable: no bump
        Q_UNUSED(rejected);
        c.writeBatch([&] {
            for (int i = 0; i < 5; ++i) {
                const std::int64_t id = c.upsertPhoto(fakeFacts(QStringLiteral("/g/%1.jpg").arg(i)),
                                                      PhotoStatus::Indexed);
                c.setEmbedding(id, std::vector<float>{0, 1}, QStringLiteral("m"));
            }
        });
        QCOMPARE(c.indexGeneration(), g0 + 1); // one transaction, one bump
        const std::int64_t id = c.photoByPath(QStringLiteral("/g/0.jpg"))->id;
        c.setStatus(id, PhotoStatus::Missing);
        QCOMPARE(c.indexGeneration(), g0 + 2);
        c.setModelIdentity(QStringLiteral("m"));
        QCOMPARE(c.indexGeneration(), g0 + 3);
        c.setModelIdentity(QStringLiteral("m")); // unchanged
        QCOMPARE(c.indexGeneration(), g0 + 3);
    }

    void transactionRollsBackOnException()
    {
        Catalog c(freshFile());
        const std::int64_t g0 = c.indexGeneration();
        bool threw = false;
        try {
            c.writeBatch([&] {
                const std::int64_t id =
                    c.upsertPhoto(fakeFacts(QStringLiteral("/t/1.jpg")), PhotoStatus::Indexed);
                c.setEmbedding(id, std::vector<float>{1}, QStringLiteral("m"));
                throw std::runtime_error("disk on fire");
            });
        } catch (const std::runtime_error &) {
            threw = true;
        }
        QVERIFY(threw);
        QVERIFY(!c.inTransaction());
        QVERIFY(!c.photoByPath(QStringLiteral("/t/1.jpg")));
        QCOMPARE(c.indexGeneration(), g0);
        {
            Catalog::Transaction tx(c);
            c.upsertPhoto(fakeFacts(QStringLiteral("/t/2.jpg")), PhotoStatus::Indexed);
            // destroyed without commit
        }
        QVERIFY(!c.photoByPath(QStringLiteral("/t/2.jpg")));
    }

    // WAL: a reader on its own connection (and thread) neither blocks on nor sees a writer's
    // open transaction, and sees it once committed.
    void concurrentReaderDuringWrite()
    {
        const QString file = freshFile();
        Catalog writer(file);
        writer.upsertPhoto(fakeFacts(QStringLiteral("/w/0.jpg")), PhotoStatus::Indexed);
        Catalog::Transaction tx(writer);
        for (int i = 1; i <= 100; ++i)
            writer.upsertPhoto(fakeFacts(QStringLiteral("/w/%1.jpg").arg(i)), PhotoStatus::Indexed);

        // No clock: a reader blocked by the writer could only wait out its busy timeout and
        // fail (an exception, caught here), since the writer's transaction stays open until
        // the reader has finished.
        std::atomic<std::int64_t> seenDuring{-1};
        QString readerError;
        std::thread reader([&] {
            try {
                Catalog ro(file, Catalog::Mode::ReadOnly);
                seenDuring = ro.counts(QString()).total();
            } catch (const std::exception &e) {
                readerError = QString::fromUtf8(e.what());
            }
        });
        reader.join();
        QVERIFY2(readerError.isEmpty(), qPrintable(readerError));
        QCOMPARE(seenDuring.load(), 1);
        tx.commit();
        Catalog ro(file, Catalog::Mode::ReadOnly);
        QCOMPARE(ro.counts(QString()).total(), 101);
    }

    void integrityProblemsFound()
    {
        const QString file = freshFile();
        {
            Catalog c(file);
            QVERIFY(c.integrityProblems().isEmpty());
        }
        // An embedding whose photo is gone, written with foreign keys off.
        rawExec(file, "PRAGMA foreign_keys = OFF; INSERT INTO embeddings(photo_id, model, dim, "
                      "vector) VALUES (424242, 'm', 1, x'0000803f')");
        Catalog c(file);
        const QStringList problems = c.integrityProblems();
        QCOMPARE(problems.size(), 1);
        QVERIFY2(problems[0].contains(QLatin1String("embeddings")), qPrintable(problems[0]));
    }

    void contentHashOfFile()
    {
        const QByteArray bytes = QByteArray(3 << 20, 'x') + "tail"; // spans several blocks
        const QString path = writePhotoFile(m_tmp.filePath(QStringLiteral("h/a.bin")), bytes);
        const auto hash = photoContentHash(path);
        QVERIFY(hash);
        QCOMPARE(*hash,
                 QString::fromLatin1(
                     QCryptographicHash::hash(bytes, QCryptographicHash::Blake2b_256).toHex()));
        QString error;
        QVERIFY(!photoContentHash(m_tmp.filePath(QStringLiteral("h/none")), &error));
        QVERIFY(!error.isEmpty());
    }
};

QTEST_GUILESS_MAIN(tst_Catalog)
#include "tst_catalog.moc"
