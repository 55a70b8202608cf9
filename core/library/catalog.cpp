#include "catalog.h"

#include "catalog_schema.h"
#include "library_error.h"
#include "library_log.h"
#include "sqlite_connection.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStorageInfo>

#include <algorithm>
#include <bit>
#include <cstring>
#include <unordered_map>

namespace imago {

namespace {

// The columns readPhoto() reads, in its order, from photos p joined with its embedding e.
#define SELECT_PHOTOS_FROM                                                                         \
    "SELECT p.id, p.root_id, p.path, p.size, p.mtime_ms, p.content_hash, p.width, p.height, "      \
    "p.format, p.captured_at, p.camera, p.status, p.reason, p.added_ms, p.updated_ms, e.model, "   \
    "p.reason_code, p.reason_args, p.rel_path, p.keywords, p.title, p.description, p.text_read "   \
    "FROM photos p "

QString argsText(const QStringList &args)
{
    if (args.isEmpty())
        return QStringLiteral("[]");
    return QString::fromUtf8(
        QJsonDocument(QJsonArray::fromStringList(args)).toJson(QJsonDocument::Compact));
}

// Keywords are stored one per line (a keyword never holds a line break: photo_metadata.h).
QString keywordsText(const QStringList &keywords)
{
    QStringList clean;
    for (const QString &k : keywords)
        if (const QString t = QString(k).replace(QLatin1Char('\n'), QLatin1Char(' ')).trimmed();
            !t.isEmpty())
            clean << t;
    return clean.join(QLatin1Char('\n'));
}

QStringList keywordsFromText(const QString &text)
{
    return text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

QStringList argsFromText(const QString &text)
{
    QStringList out;
    for (const QJsonValue &v : QJsonDocument::fromJson(text.toUtf8()).array())
        out << v.toString();
    return out;
}

constexpr std::int64_t kBusyTimeoutMs = 5000;

QString cleanPath(const QString &path)
{
    return QDir::cleanPath(path);
}

// The folder as a prefix of the paths under it: one trailing '/'.
QString folderPrefix(const QString &folder)
{
    const QString clean = cleanPath(folder);
    return clean.endsWith(QLatin1Char('/')) ? clean : clean + QLatin1Char('/');
}

// The smallest string greater than every string that starts with `prefix` (which ends in '/'):
// '/' + 1 is '0', so [prefix, upper) is "under the folder" as a range on the path index.
QString prefixUpperBound(const QString &prefix)
{
    Q_ASSERT(prefix.endsWith(QLatin1Char('/')));
    return prefix.chopped(1) + QLatin1Char('0');
}

std::int64_t nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QDateTime fromMs(std::int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
}

// EXIF capture times have no zone: store the wall time as written.
QString capturedText(const QDateTime &t)
{
    if (!t.isValid())
        return QString();
    return t.date().toString(Qt::ISODate) + QLatin1Char('T') +
           t.time().toString(QStringLiteral("HH:mm:ss"));
}

QDateTime capturedFromText(const QString &s)
{
    if (s.isEmpty())
        return QDateTime();
    const qsizetype t = s.indexOf(QLatin1Char('T'));
    if (t < 0)
        return QDateTime();
    return QDateTime(QDate::fromString(s.left(t), Qt::ISODate),
                     QTime::fromString(s.mid(t + 1), QStringLiteral("HH:mm:ss")));
}

const char *statusText(PhotoStatus s)
{
    switch (s) {
    case PhotoStatus::Indexed:
        return "indexed";
    case PhotoStatus::Rejected:
        return "rejected";
    case PhotoStatus::Missing:
        return "missing";
    }
    return "indexed";
}

PhotoStatus statusFromText(const QString &s)
{
    if (auto st = photoStatusFromName(s))
        return *st;
    // The CHECK constraint makes this unreachable short of a hand-edited database.
    return PhotoStatus::Missing;
}

std::vector<std::uint8_t> vectorToBlob(std::span<const float> v)
{
    std::vector<std::uint8_t> bytes(v.size() * sizeof(float));
    std::memcpy(bytes.data(), v.data(), bytes.size());
    if constexpr (std::endian::native == std::endian::big) {
        for (std::size_t i = 0; i < bytes.size(); i += 4) {
            std::swap(bytes[i], bytes[i + 3]);
            std::swap(bytes[i + 1], bytes[i + 2]);
        }
    }
    return bytes;
}

void blobToVector(std::span<const std::uint8_t> blob, float *out)
{
    std::memcpy(out, blob.data(), blob.size());
    if constexpr (std::endian::native == std::endian::big) {
        auto *bytes = reinterpret_cast<std::uint8_t *>(out);
        for (std::size_t i = 0; i < blob.size(); i += 4) {
            std::swap(bytes[i], bytes[i + 3]);
            std::swap(bytes[i + 1], bytes[i + 2]);
        }
    }
}

// A write transaction of its own unless the caller already holds one.
class AutoTransaction
{
public:
    explicit AutoTransaction(Catalog &catalog)
    {
        if (!catalog.inTransaction())
            m_tx.emplace(catalog);
    }
    void commit()
    {
        if (m_tx)
            m_tx->commit();
    }

private:
    std::optional<Catalog::Transaction> m_tx;
};

} // namespace

QString photoStatusName(PhotoStatus status)
{
    return QString::fromLatin1(statusText(status));
}

std::optional<PhotoStatus> photoStatusFromName(const QString &name)
{
    if (name == QLatin1String("indexed"))
        return PhotoStatus::Indexed;
    if (name == QLatin1String("rejected"))
        return PhotoStatus::Rejected;
    if (name == QLatin1String("missing"))
        return PhotoStatus::Missing;
    return std::nullopt;
}

QString volumeRootOf(const QString &path)
{
    const QStorageInfo info(path);
    return info.isValid() ? info.rootPath() : QString();
}

bool isRootOnline(const QString &path, const QString &volumeRoot)
{
    const QFileInfo fi(path);
    if (!fi.isDir() || !fi.isReadable())
        return false;
    if (!QDir(path).isReadable())
        return false;
    // Same volume as when added: an unmounted drive's mount point lies on the parent volume.
    if (!volumeRoot.isEmpty() && volumeRootOf(path) != volumeRoot)
        return false;
    return true;
}

// --- Catalog --------------------------------------------------------------------------------

int Catalog::latestSchemaVersion()
{
    return catalogMigrations().back().version;
}

Catalog::Catalog(const QString &file, Mode mode) : m_mode(mode)
{
    if (mode == Mode::ReadOnly && !QFileInfo::exists(file))
        throw LibraryError(file, QStringLiteral("no catalog here"));
    m_db = std::make_unique<SqliteConnection>(file, mode == Mode::ReadOnly
                                                        ? SqliteConnection::Mode::ReadOnly
                                                        : SqliteConnection::Mode::ReadWrite);
    sqlite3_busy_timeout(m_db->handle(), int(kBusyTimeoutMs));
    if (mode == Mode::ReadWrite) {
        // WAL: readers never block the writer nor see a half-written transaction.
        // synchronous=NORMAL is durable against application crashes and keeps the database
        // consistent on power loss; at worst the last transactions before a power cut are
        // lost, which the indexer redoes (and a newer index file is then detected as stale).
        m_db->exec("PRAGMA journal_mode = WAL");
        m_db->exec("PRAGMA synchronous = NORMAL");
        m_db->exec("PRAGMA foreign_keys = ON");
    }
    migrate();
}

Catalog::~Catalog()
{
    if (m_inTransaction) {
        try {
            rollback();
        } catch (const std::exception &e) {
            qCWarning(lcLibrary, "%s: rollback at close failed: %s", qUtf8Printable(file()),
                      e.what());
        }
    }
}

const QString &Catalog::file() const
{
    return m_db->file();
}

int Catalog::schemaVersion()
{
    auto q = m_db->query("PRAGMA user_version");
    return q.next() ? int(q.int64(0)) : 0;
}

void Catalog::migrate()
{
    const int latest = latestSchemaVersion();
    int version = schemaVersion();
    if (version > latest)
        throw LibraryError(file(), QStringLiteral("the catalog has schema version %1, newer than "
                                                  "this Imago understands (%2); update Imago")
                                       .arg(version)
                                       .arg(latest));
    if (version == latest)
        return;
    if (m_mode == Mode::ReadOnly)
        throw LibraryError(file(), QStringLiteral("the catalog has schema version %1 and needs "
                                                  "migrating to %2; open it read-write once")
                                       .arg(version)
                                       .arg(latest));
    const bool fresh = version == 0;
    for (const CatalogMigration &m : catalogMigrations()) {
        if (m.version <= version)
            continue;
        // IMMEDIATE takes the write lock first, so two processes cannot both migrate.
        m_db->exec("BEGIN IMMEDIATE");
        try {
            if (schemaVersion() >= m.version) { // another process got there first
                m_db->exec("COMMIT");
                continue;
            }
            m_db->exec(m.sql);
            if (m.run)
                m.run(*m_db);
            // Pragmas take no bound parameters; the value is our own constant.
            const QByteArray setVersion = "PRAGMA user_version = " + QByteArray::number(m.version);
            m_db->exec(setVersion.constData());
            m_db->query("INSERT INTO meta(key, value) VALUES ('schema_version', ?1) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
                .bind(1, QString::number(m.version))
                .run();
            m_db->exec("COMMIT");
        } catch (...) {
            sqlite3_exec(m_db->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
        if (!fresh)
            qCInfo(lcLibrary).noquote() << QStringLiteral("%1: catalog migrated to schema %2 (%3)")
                                               .arg(file())
                                               .arg(m.version)
                                               .arg(QLatin1String(m.description));
        version = m.version;
    }
    if (fresh)
        qCInfo(lcLibrary).noquote()
            << QStringLiteral("%1: new catalog (schema %2)").arg(file()).arg(version);
}

// --- transactions ---------------------------------------------------------------------------

Catalog::Transaction::Transaction(Catalog &catalog) : m_catalog(catalog)
{
    m_catalog.begin();
}

Catalog::Transaction::~Transaction()
{
    if (!m_done) {
        try {
            m_catalog.rollback();
        } catch (const std::exception &e) {
            qCWarning(lcLibrary, "%s: rollback failed: %s", qUtf8Printable(m_catalog.file()),
                      e.what());
        }
    }
}

void Catalog::Transaction::commit()
{
    Q_ASSERT(!m_done);
    m_catalog.commit();
    m_done = true;
}

void Catalog::begin()
{
    if (m_mode == Mode::ReadOnly)
        throw LibraryError(file(), QStringLiteral("the catalog is open read-only"));
    Q_ASSERT_X(!m_inTransaction, "Catalog::Transaction", "transactions do not nest");
    m_db->exec("BEGIN IMMEDIATE");
    m_inTransaction = true;
    m_generationDirty = false;
}

void Catalog::commit()
{
    if (m_generationDirty) {
        m_db->query("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                    "WHERE key = 'index_generation'")
            .run();
        m_generationDirty = false;
    }
    m_db->exec("COMMIT");
    m_inTransaction = false;
}

void Catalog::rollback()
{
    m_inTransaction = false;
    m_generationDirty = false;
    // A failed COMMIT (disk full, I/O error) may already have rolled the transaction back.
    if (!sqlite3_get_autocommit(m_db->handle()))
        m_db->exec("ROLLBACK");
}

void Catalog::writeBatch(const std::function<void()> &work)
{
    Transaction tx(*this);
    work();
    tx.commit();
}

// --- metadata -------------------------------------------------------------------------------

QString Catalog::metadata(const QString &key)
{
    auto q = m_db->query("SELECT value FROM meta WHERE key = ?1");
    q.bind(1, key);
    return q.next() ? q.text(0) : QString();
}

void Catalog::setMetadata(const QString &key, const QString &value)
{
    AutoTransaction tx(*this);
    m_db->query("INSERT INTO meta(key, value) VALUES (?1, ?2) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(1, key)
        .bind(2, value)
        .run();
    tx.commit();
}

QString Catalog::modelIdentity()
{
    return metadata(QStringLiteral("model_identity"));
}

void Catalog::setModelIdentity(const QString &identity)
{
    AutoTransaction tx(*this);
    if (modelIdentity() != identity) {
        setMetadata(QStringLiteral("model_identity"), identity);
        noteSearchableChange();
    }
    tx.commit();
}

std::int64_t Catalog::indexGeneration()
{
    return metadata(QStringLiteral("index_generation")).toLongLong();
}

std::int64_t Catalog::bumpIndexGeneration()
{
    AutoTransaction tx(*this);
    noteSearchableChange();
    tx.commit();
    // Inside an open transaction the bump lands at its commit.
    return indexGeneration() + (m_inTransaction ? 1 : 0);
}

// --- roots ----------------------------------------------------------------------------------

std::int64_t Catalog::addRoot(const QString &pathIn)
{
    const QString path = cleanPath(pathIn);
    if (auto existing = rootByPath(path))
        return existing->id;
    AutoTransaction tx(*this);
    const QString prefix = folderPrefix(path);
    m_db->query("INSERT INTO roots(path, prefix, volume_root, added_ms) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, path)
        .bind(2, prefix)
        .bind(3, volumeRootOf(path))
        .bind(4, nowMs())
        .run();
    const std::int64_t id = m_db->lastInsertId();
    // Photos under it join it unless they already belong to a deeper root.
    m_db->query("UPDATE photos SET root_id = ?1 WHERE path >= ?2 AND path < ?3 AND "
                "(root_id IS NULL OR (SELECT length(r.prefix) FROM roots r "
                "WHERE r.id = photos.root_id) < length(?2))")
        .bind(1, id)
        .bind(2, prefix)
        .bind(3, prefixUpperBound(prefix))
        .run();
    tx.commit();
    return id;
}

std::vector<std::int64_t> Catalog::removeRoot(std::int64_t rootId)
{
    AutoTransaction tx(*this);
    std::vector<std::int64_t> orphans;
    {
        auto q = m_db->query("SELECT p.id FROM photos p WHERE p.root_id = ?1 AND NOT EXISTS "
                             "(SELECT 1 FROM roots r WHERE r.id <> ?1 AND "
                             "substr(p.path, 1, length(r.prefix)) = r.prefix)");
        q.bind(1, rootId);
        while (q.next())
            orphans.push_back(q.int64(0));
    }
    removePhotos(orphans);
    m_db->query("UPDATE photos SET root_id = (SELECT r.id FROM roots r WHERE r.id <> ?1 AND "
                "substr(photos.path, 1, length(r.prefix)) = r.prefix "
                "ORDER BY length(r.prefix) DESC LIMIT 1) WHERE root_id = ?1")
        .bind(1, rootId)
        .run();
    m_db->query("DELETE FROM roots WHERE id = ?1").bind(1, rootId).run();
    tx.commit();
    return orphans;
}

int Catalog::moveRoot(std::int64_t rootId, const QString &newPathIn)
{
    const QString newPath = cleanPath(newPathIn);
    AutoTransaction tx(*this);
    QString oldPath;
    {
        auto q = m_db->query("SELECT path FROM roots WHERE id = ?1");
        q.bind(1, rootId);
        if (!q.next())
            throw LibraryError(file(), QStringLiteral("no library folder with id %1").arg(rootId));
        oldPath = q.text(0);
    }
    if (oldPath == newPath) {
        tx.commit();
        return 0;
    }
    const QString oldPrefix = folderPrefix(oldPath), newPrefix = folderPrefix(newPath);
    if (newPrefix.startsWith(oldPrefix) || oldPrefix.startsWith(newPrefix))
        throw LibraryError(file(), QStringLiteral("cannot move library folder %1 to %2: one lies "
                                                  "inside the other")
                                       .arg(oldPath, newPath));
    // Nothing may already live where the folder goes: neither a library folder nor photos.
    const auto countUnder = [&](const char *sql, const QString &prefix) {
        auto q = m_db->query(sql);
        q.bind(1, prefix).bind(2, prefixUpperBound(prefix));
        q.next();
        return q.int64(0);
    };
    if (countUnder("SELECT count(*) FROM roots WHERE prefix >= ?1 AND prefix < ?2", newPrefix) > 0)
        throw LibraryError(file(), QStringLiteral("cannot move library folder %1 to %2: %2 (or a "
                                                  "folder in it) is a library folder already")
                                       .arg(oldPath, newPath));
    if (countUnder("SELECT count(*) FROM photos WHERE path >= ?1 AND path < ?2", newPrefix) > 0)
        throw LibraryError(file(), QStringLiteral("cannot move library folder %1 to %2: the "
                                                  "library has photos under %2 already")
                                       .arg(oldPath, newPath));
    // The root, every root inside it, then their photos: rel_path stays as it is (the
    // triggers recompute it from the new path and prefix, and get the same text).
    const auto rewrite = [&](const char *sql) {
        return m_db->query(sql)
            .bind(1, newPrefix)
            .bind(2, oldPrefix)
            .bind(3, prefixUpperBound(oldPrefix))
            .run();
    };
    const QString volume = volumeRootOf(newPath);
    m_db->query("UPDATE roots SET path = ?1, prefix = ?2, volume_root = ?3 WHERE id = ?4")
        .bind(1, newPath)
        .bind(2, newPrefix)
        .bind(3, volume)
        .bind(4, rootId)
        .run();
    rewrite("UPDATE roots SET path = ?1 || substr(path, length(?2) + 1), "
            "prefix = ?1 || substr(prefix, length(?2) + 1) WHERE prefix > ?2 AND prefix < ?3");
    if (!volume.isEmpty())
        m_db->query("UPDATE roots SET volume_root = ?1 WHERE prefix > ?2 AND prefix < ?3")
            .bind(1, volume)
            .bind(2, newPrefix)
            .bind(3, prefixUpperBound(newPrefix))
            .run();
    const int moved = rewrite("UPDATE photos SET path = ?1 || substr(path, length(?2) + 1) "
                              "WHERE path >= ?2 AND path < ?3");
    tx.commit();
    return moved;
}

std::vector<RootRecord> Catalog::roots()
{
    std::vector<RootRecord> out;
    auto q = m_db->query("SELECT id, path, volume_root, added_ms FROM roots ORDER BY path");
    while (q.next()) {
        RootRecord r;
        r.id = q.int64(0);
        r.path = q.text(1);
        r.volumeRoot = q.text(2);
        r.addedAt = fromMs(q.int64(3));
        out.push_back(std::move(r));
    }
    for (RootRecord &r : out)
        r.online = isRootOnline(r.path, r.volumeRoot);
    return out;
}

std::optional<RootRecord> Catalog::rootByPath(const QString &path)
{
    auto q = m_db->query("SELECT id, path, volume_root, added_ms FROM roots WHERE path = ?1");
    q.bind(1, cleanPath(path));
    if (!q.next())
        return std::nullopt;
    RootRecord r;
    r.id = q.int64(0);
    r.path = q.text(1);
    r.volumeRoot = q.text(2);
    r.addedAt = fromMs(q.int64(3));
    r.online = isRootOnline(r.path, r.volumeRoot);
    return r;
}

// --- photos ---------------------------------------------------------------------------------

PhotoRecord Catalog::readPhoto(const SqlQuery &q)
{
    PhotoRecord r;
    r.id = q.int64(0);
    if (!q.isNull(1))
        r.rootId = q.int64(1);
    r.facts.path = q.text(2);
    r.facts.size = q.int64(3);
    r.facts.mtime = fromMs(q.int64(4));
    r.facts.contentHash = q.text(5);
    r.facts.width = int(q.int64(6));
    r.facts.height = int(q.int64(7));
    r.facts.format = q.text(8);
    r.facts.capturedAt = capturedFromText(q.text(9));
    r.facts.camera = q.text(10);
    r.status = statusFromText(q.text(11));
    r.reason = Reason{q.text(16), q.text(12), argsFromText(q.text(17))};
    r.addedAt = fromMs(q.int64(13));
    r.updatedAt = fromMs(q.int64(14));
    r.embeddingModel = q.text(15);
    r.relativePath = q.text(18);
    r.facts.keywords = keywordsFromText(q.text(19));
    r.facts.title = q.text(20);
    r.facts.description = q.text(21);
    r.facts.textRead = q.int64(22) != 0;
    return r;
}

std::int64_t Catalog::upsertPhoto(const PhotoFacts &facts, PhotoStatus status, const Reason &reason)
{
    const QString path = cleanPath(facts.path);
    AutoTransaction tx(*this);
    std::optional<std::int64_t> id;
    std::optional<PhotoStatus> oldStatus;
    {
        auto q = m_db->query("SELECT id, status FROM photos WHERE path = ?1");
        q.bind(1, path);
        if (q.next()) {
            id = q.int64(0);
            oldStatus = statusFromText(q.text(1));
        }
    }
    const std::int64_t now = nowMs();
    // The same eighteen parameters in both statements.
    auto bindFacts = [&](SqlQuery &q) -> SqlQuery & {
        return q.bind(1, path)
            .bind(2, facts.size)
            .bind(3, facts.mtime.toMSecsSinceEpoch())
            .bind(4, facts.contentHash)
            .bind(5, facts.width)
            .bind(6, facts.height)
            .bind(7, facts.format)
            .bindTextOrNull(8, capturedText(facts.capturedAt))
            .bind(9, facts.camera)
            .bind(10, statusText(status))
            .bind(11, reason.text)
            .bind(12, now)
            .bind(13, reason.code)
            .bind(14, argsText(reason.args))
            .bind(15, keywordsText(facts.keywords))
            .bind(16, facts.title)
            .bind(17, facts.description)
            .bind(18, facts.textRead ? 1 : 0);
    };
    if (id) {
        auto q =
            m_db->query("UPDATE photos SET root_id = (SELECT r.id FROM roots r WHERE "
                        "substr(?1, 1, length(r.prefix)) = r.prefix ORDER BY length(r.prefix) DESC "
                        "LIMIT 1), size = ?2, mtime_ms = ?3, content_hash = ?4, width = ?5, "
                        "height = ?6, format = ?7, captured_at = ?8, camera = ?9, status = ?10, "
                        "reason = ?11, updated_ms = ?12, reason_code = ?13, reason_args = ?14, "
                        "keywords = ?15, title = ?16, description = ?17, text_read = ?18 "
                        "WHERE id = ?19");
        bindFacts(q).bind(19, *id).run();
    } else {
        auto q = m_db->query(
            "INSERT INTO photos(root_id, path, size, mtime_ms, content_hash, width, "
            "height, format, captured_at, camera, status, reason, added_ms, updated_ms, "
            "reason_code, reason_args, keywords, title, description, text_read) "
            "VALUES ((SELECT r.id FROM roots r WHERE substr(?1, 1, length(r.prefix)) = "
            "r.prefix ORDER BY length(r.prefix) DESC LIMIT 1), ?1, ?2, ?3, ?4, ?5, ?6, "
            "?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13, ?14, ?15, ?16, ?17, ?18)");
        bindFacts(q).run();
        id = m_db->lastInsertId();
    }
    if (oldStatus != status &&
        (status == PhotoStatus::Indexed || oldStatus == PhotoStatus::Indexed))
        noteSearchableChange();
    tx.commit();
    return *id;
}

void Catalog::relocatePhoto(std::int64_t id, const PhotoFacts &facts)
{
    AutoTransaction tx(*this);
    const auto old = photo(id);
    if (!old)
        throw LibraryError(file(), QStringLiteral("no photo with id %1 to relocate").arg(id));
    // Words not read this time (the facts came without them) are the old record's.
    const PhotoFacts &text = facts.textRead ? facts : old->facts;
    m_db->query(
            "UPDATE photos SET path = ?1, root_id = (SELECT r.id FROM roots r WHERE "
            "substr(?1, 1, length(r.prefix)) = r.prefix ORDER BY length(r.prefix) DESC "
            "LIMIT 1), size = ?2, mtime_ms = ?3, content_hash = ?4, width = ?5, "
            "height = ?6, format = ?7, captured_at = ?8, camera = ?9, status = 'indexed', "
            "reason = '', reason_code = '', reason_args = '[]', updated_ms = ?10, keywords = ?12, "
            "title = ?13, description = ?14, text_read = ?15 WHERE id = ?11")
        .bind(1, cleanPath(facts.path))
        .bind(2, facts.size)
        .bind(3, facts.mtime.toMSecsSinceEpoch())
        .bind(4, facts.contentHash)
        .bind(5, facts.width ? facts.width : old->facts.width)
        .bind(6, facts.height ? facts.height : old->facts.height)
        .bind(7, facts.format.isEmpty() ? old->facts.format : facts.format)
        .bindTextOrNull(
            8, capturedText(facts.capturedAt.isValid() ? facts.capturedAt : old->facts.capturedAt))
        .bind(9, facts.camera.isEmpty() ? old->facts.camera : facts.camera)
        .bind(10, nowMs())
        .bind(11, id)
        .bind(12, keywordsText(text.keywords))
        .bind(13, text.title)
        .bind(14, text.description)
        .bind(15, text.textRead ? 1 : 0)
        .run();
    if (old->status != PhotoStatus::Indexed)
        noteSearchableChange();
    tx.commit();
}

void Catalog::setStatus(std::int64_t id, PhotoStatus status, const Reason &reason)
{
    AutoTransaction tx(*this);
    std::optional<PhotoStatus> old;
    {
        auto q = m_db->query("SELECT status FROM photos WHERE id = ?1");
        q.bind(1, id);
        if (q.next())
            old = statusFromText(q.text(0));
    }
    if (!old) {
        tx.commit();
        return;
    }
    m_db->query("UPDATE photos SET status = ?1, reason = ?2, updated_ms = ?3, reason_code = ?5, "
                "reason_args = ?6 WHERE id = ?4")
        .bind(1, statusText(status))
        .bind(2, reason.text)
        .bind(3, nowMs())
        .bind(4, id)
        .bind(5, reason.code)
        .bind(6, argsText(reason.args))
        .run();
    if (*old != status && (*old == PhotoStatus::Indexed || status == PhotoStatus::Indexed))
        noteSearchableChange();
    tx.commit();
}

std::optional<PhotoRecord> Catalog::photo(std::int64_t id)
{
    auto q = m_db->query(SELECT_PHOTOS_FROM
                         "LEFT JOIN embeddings e ON e.photo_id = p.id WHERE p.id = ?1");
    q.bind(1, id);
    if (!q.next())
        return std::nullopt;
    return readPhoto(q);
}

std::optional<PhotoRecord> Catalog::photoByPath(const QString &path)
{
    auto q = m_db->query(SELECT_PHOTOS_FROM
                         "LEFT JOIN embeddings e ON e.photo_id = p.id WHERE p.path = ?1");
    q.bind(1, cleanPath(path));
    if (!q.next())
        return std::nullopt;
    return readPhoto(q);
}

std::vector<PhotoRecord> Catalog::photosByContentHash(const QString &hash)
{
    std::vector<PhotoRecord> out;
    if (hash.isEmpty())
        return out;
    auto q = m_db->query(SELECT_PHOTOS_FROM "LEFT JOIN embeddings e ON e.photo_id = p.id "
                                            "WHERE p.content_hash = ?1 ORDER BY p.id");
    q.bind(1, hash);
    while (q.next())
        out.push_back(readPhoto(q));
    return out;
}

void Catalog::forEachPhoto(const PhotoQuery &query,
                           const std::function<void(const PhotoRecord &)> &visit)
{
    // One statement for every filter combination: an unset filter binds NULL and drops out.
    auto q = m_db->query(SELECT_PHOTOS_FROM "LEFT JOIN embeddings e ON e.photo_id = p.id "
                                            "WHERE (?1 IS NULL OR p.status = ?1) "
                                            "AND (?2 IS NULL OR (p.path >= ?2 AND p.path < ?3)) "
                                            "AND (?4 IS NULL OR p.root_id = ?4) "
                                            "AND (?5 IS NULL OR p.captured_at >= ?5) "
                                            "AND (?6 IS NULL OR p.captured_at <= ?6) "
                                            "ORDER BY p.path LIMIT ?7 OFFSET ?8");
    if (query.status)
        q.bind(1, statusText(*query.status));
    if (!query.under.isEmpty()) {
        const QString prefix = folderPrefix(query.under);
        q.bind(2, prefix).bind(3, prefixUpperBound(prefix));
    }
    if (query.rootId)
        q.bind(4, *query.rootId);
    if (query.capturedFrom.isValid())
        q.bind(5, capturedText(query.capturedFrom));
    if (query.capturedTo.isValid())
        q.bind(6, capturedText(query.capturedTo));
    q.bind(7, query.limit).bind(8, query.offset);
    while (q.next())
        visit(readPhoto(q));
}

std::vector<PhotoRecord> Catalog::photos(const PhotoQuery &query)
{
    std::vector<PhotoRecord> out;
    forEachPhoto(query, [&](const PhotoRecord &r) { out.push_back(r); });
    return out;
}

std::vector<std::int64_t> Catalog::photoIds(const PhotoQuery &query)
{
    std::vector<std::int64_t> out;
    forEachPhoto(query, [&](const PhotoRecord &r) { out.push_back(r.id); });
    return out;
}

int Catalog::removePhotos(std::span<const std::int64_t> ids)
{
    if (ids.empty())
        return 0;
    AutoTransaction tx(*this);
    int removed = 0;
    for (std::int64_t id : ids)
        removed += m_db->query("DELETE FROM photos WHERE id = ?1").bind(1, id).run();
    if (removed > 0)
        noteSearchableChange();
    tx.commit();
    return removed;
}

std::vector<std::vector<std::int64_t>> Catalog::sameContentGroups()
{
    std::vector<std::vector<std::int64_t>> groups;
    auto q = m_db->query("SELECT p.id, p.content_hash FROM photos p WHERE p.status = 'indexed' "
                         "AND p.content_hash <> '' AND p.content_hash IN (SELECT content_hash "
                         "FROM photos WHERE status = 'indexed' AND content_hash <> '' GROUP BY "
                         "content_hash HAVING count(*) > 1) ORDER BY p.id");
    std::unordered_map<QString, std::size_t> where;
    while (q.next()) {
        const auto [it, fresh] = where.emplace(q.text(1), groups.size());
        if (fresh)
            groups.emplace_back();
        groups[it->second].push_back(q.int64(0));
    }
    return groups;
}

bool Catalog::setPhotoText(const QString &path, const PhotoFacts &text)
{
    AutoTransaction tx(*this);
    const int changed = m_db->query("UPDATE photos SET keywords = ?1, title = ?2, description = "
                                    "?3, text_read = 1 WHERE path = ?4")
                            .bind(1, keywordsText(text.keywords))
                            .bind(2, text.title)
                            .bind(3, text.description)
                            .bind(4, cleanPath(path))
                            .run();
    tx.commit();
    return changed > 0;
}

std::vector<std::int64_t> Catalog::textMatches(const QString &ftsQuery, std::size_t limit,
                                               const std::vector<std::int64_t> *allowed,
                                               std::vector<std::int64_t> *unranked)
{
    std::vector<std::int64_t> out;
    if (unranked)
        unranked->clear();
    if (ftsQuery.trimmed().isEmpty() || limit == 0)
        return out;
    // bm25 weights by column: name, folders, camera, keywords, title, description. Ties (equal
    // rank) in id order, so that the order never depends on the FTS5 internals.
    try {
        if (unranked) {
            std::vector<std::int64_t> all;
            auto q = m_db->query("SELECT rowid FROM photo_text WHERE photo_text MATCH ?1");
            q.bind(1, ftsQuery);
            while (q.next()) {
                const std::int64_t id = q.int64(0);
                if (!allowed || std::binary_search(allowed->begin(), allowed->end(), id))
                    all.push_back(id);
            }
            if (all.size() > kRankedTextMatches) {
                std::sort(all.begin(), all.end());
                *unranked = std::move(all);
                return out;
            }
        }
        auto q = m_db->query("SELECT t.rowid FROM photo_text t JOIN photos p ON p.id = t.rowid "
                             "WHERE photo_text MATCH ?1 AND p.status = 'indexed' "
                             "ORDER BY bm25(photo_text, 10.0, 4.0, 1.0, 8.0, 6.0, 2.0), t.rowid");
        q.bind(1, ftsQuery);
        while (q.next()) {
            const std::int64_t id = q.int64(0);
            if (allowed && !std::binary_search(allowed->begin(), allowed->end(), id))
                continue;
            out.push_back(id);
            if (out.size() >= limit)
                break;
        }
    } catch (const LibraryError &e) {
        // A MATCH expression FTS5 cannot parse: nothing matches (the caller builds them, so
        // this is a query such as a lone quote the builder let through).
        qCWarning(lcLibrary).noquote() << e.what();
        out.clear();
        if (unranked)
            unranked->clear();
    }
    return out;
}

StatusCounts Catalog::counts(const QString &currentModel)
{
    StatusCounts c;
    {
        auto q = m_db->query("SELECT status, count(*) FROM photos GROUP BY status");
        while (q.next()) {
            switch (statusFromText(q.text(0))) {
            case PhotoStatus::Indexed:
                c.indexed = q.int64(1);
                break;
            case PhotoStatus::Rejected:
                c.rejected = q.int64(1);
                break;
            case PhotoStatus::Missing:
                c.missing = q.int64(1);
                break;
            }
        }
    }
    {
        // Out of reach with their folder (an unmounted drive, a copied library): offline.
        auto q = m_db->query("SELECT count(*) FROM photos WHERE status = 'missing' AND "
                             "reason_code = 'folder_offline'");
        if (q.next())
            c.offline = q.int64(0);
        c.missing -= c.offline;
    }
    auto q = m_db->query("SELECT count(*) FROM photos p LEFT JOIN embeddings e "
                         "ON e.photo_id = p.id WHERE p.status = 'indexed' "
                         "AND (e.model IS NULL OR e.model <> ?1)");
    q.bind(1, currentModel);
    if (q.next())
        c.stale = q.int64(0);
    return c;
}

std::int64_t Catalog::photoCountInRoot(std::int64_t rootId)
{
    auto q = m_db->query("SELECT count(*) FROM photos WHERE root_id = ?1");
    q.bind(1, rootId);
    return q.next() ? q.int64(0) : 0;
}

// --- embeddings -----------------------------------------------------------------------------

void Catalog::setEmbedding(std::int64_t photoId, std::span<const float> vector,
                           const QString &model)
{
    if (vector.empty())
        throw LibraryError(file(), QStringLiteral("empty embedding for photo %1").arg(photoId));
    AutoTransaction tx(*this);
    m_db->query("INSERT INTO embeddings(photo_id, model, dim, vector) VALUES (?1, ?2, ?3, ?4) "
                "ON CONFLICT(photo_id) DO UPDATE SET model = excluded.model, "
                "dim = excluded.dim, vector = excluded.vector")
        .bind(1, photoId)
        .bind(2, model)
        .bind(3, std::int64_t(vector.size()))
        .bindBlob(4, vectorToBlob(vector))
        .run();
    noteSearchableChange();
    tx.commit();
}

void Catalog::clearEmbedding(std::int64_t photoId)
{
    AutoTransaction tx(*this);
    if (m_db->query("DELETE FROM embeddings WHERE photo_id = ?1").bind(1, photoId).run() > 0)
        noteSearchableChange();
    tx.commit();
}

std::optional<std::vector<float>> Catalog::embedding(std::int64_t photoId, QString *model)
{
    auto q = m_db->query("SELECT model, dim, vector FROM embeddings WHERE photo_id = ?1");
    q.bind(1, photoId);
    if (!q.next())
        return std::nullopt;
    const auto blob = q.blob(2);
    if (blob.size() != std::size_t(q.int64(1)) * sizeof(float))
        return std::nullopt;
    std::vector<float> v(blob.size() / sizeof(float));
    blobToVector(blob, v.data());
    if (model)
        *model = q.text(0);
    return v;
}

std::int64_t Catalog::searchableCount(const QString &model)
{
    auto q = m_db->query("SELECT count(*) FROM embeddings e JOIN photos p ON p.id = e.photo_id "
                         "WHERE e.model = ?1 AND p.status = 'indexed'");
    q.bind(1, model);
    return q.next() ? q.int64(0) : 0;
}

int Catalog::searchableDim(const QString &model)
{
    auto q = m_db->query("SELECT e.dim FROM embeddings e JOIN photos p ON p.id = e.photo_id "
                         "WHERE e.model = ?1 AND p.status = 'indexed' LIMIT 1");
    q.bind(1, model);
    return q.next() ? int(q.int64(0)) : 0;
}

bool Catalog::forEachSearchableVector(
    const QString &model, int dim, std::size_t batch,
    const std::function<bool(std::span<const std::int64_t>, std::span<const float>)> &visit,
    std::int64_t *skipped)
{
    Q_ASSERT(dim > 0 && batch > 0);
    std::vector<std::int64_t> ids;
    std::vector<float> vectors;
    ids.reserve(batch);
    vectors.reserve(batch * std::size_t(dim));
    std::int64_t bad = 0;
    auto q = m_db->query("SELECT e.photo_id, e.vector FROM embeddings e "
                         "JOIN photos p ON p.id = e.photo_id "
                         "WHERE e.model = ?1 AND p.status = 'indexed' ORDER BY e.photo_id");
    q.bind(1, model);
    bool more = true;
    while (more && q.next()) {
        const auto blob = q.blob(1);
        if (blob.size() != std::size_t(dim) * sizeof(float)) {
            ++bad;
            continue;
        }
        ids.push_back(q.int64(0));
        vectors.resize(vectors.size() + std::size_t(dim));
        blobToVector(blob, vectors.data() + vectors.size() - std::size_t(dim));
        if (ids.size() == batch) {
            more = visit(ids, vectors);
            ids.clear();
            vectors.clear();
        }
    }
    if (more && !ids.empty())
        more = visit(ids, vectors);
    if (skipped)
        *skipped = bad;
    return more;
}

void Catalog::searchableVectors(const QString &model, int dim, std::span<const std::int64_t> ids,
                                std::vector<std::int64_t> &outIds, std::vector<float> &outVectors)
{
    outIds.clear();
    outVectors.clear();
    for (std::int64_t id : ids) {
        auto q = m_db->query("SELECT e.vector FROM embeddings e JOIN photos p "
                             "ON p.id = e.photo_id WHERE e.photo_id = ?1 AND e.model = ?2 "
                             "AND p.status = 'indexed'");
        q.bind(1, id).bind(2, model);
        if (!q.next())
            continue;
        const auto blob = q.blob(0);
        if (blob.size() != std::size_t(dim) * sizeof(float))
            continue;
        outIds.push_back(id);
        outVectors.resize(outVectors.size() + std::size_t(dim));
        blobToVector(blob, outVectors.data() + outVectors.size() - std::size_t(dim));
    }
}

QStringList Catalog::stalePaths(const QString &currentModel, std::int64_t limit)
{
    QStringList out;
    auto q = m_db->query("SELECT p.path FROM photos p LEFT JOIN embeddings e "
                         "ON e.photo_id = p.id WHERE p.status = 'indexed' "
                         "AND (e.model IS NULL OR e.model <> ?1) ORDER BY p.path LIMIT ?2");
    q.bind(1, currentModel).bind(2, limit);
    while (q.next())
        out << q.text(0);
    return out;
}

// --- integrity ------------------------------------------------------------------------------

QStringList Catalog::integrityProblems()
{
    QStringList problems;
    {
        auto q = m_db->query("PRAGMA integrity_check");
        while (q.next()) {
            const QString row = q.text(0);
            if (row != QLatin1String("ok"))
                problems << QStringLiteral("integrity_check: %1").arg(row);
        }
    }
    auto q = m_db->query("PRAGMA foreign_key_check");
    while (q.next())
        problems << QStringLiteral("foreign key: %1 row %2 refers to a missing %3 row")
                        .arg(q.text(0))
                        .arg(q.int64(1))
                        .arg(q.text(2));
    return problems;
}

} // namespace imago
