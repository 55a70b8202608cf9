#include "catalog_schema.h"

#include "reason.h"
#include "sqlite_connection.h"

#include <QString>

#include <cstdint>
#include <utility>
#include <vector>

namespace imago {

const char *version1ReasonCode(const QString &text)
{
    const auto has = [&](const char *s) { return text.contains(QLatin1String(s)); };
    const auto starts = [&](const char *s) { return text.startsWith(QLatin1String(s)); };
    if (starts("empty file"))
        return reason::kEmptyFile;
    if (starts("file is ") && has("MB limit"))
        return reason::kFileTooLarge;
    if (starts("cannot open") || starts("cannot read") || starts("read error"))
        return reason::kUnreadable;
    if (starts("not an image"))
        return reason::kNotAnImage;
    if (starts("camera RAW"))
        return reason::kCameraRaw;
    if (starts("unsupported image format"))
        return reason::kUnsupportedFormat;
    if (starts("unsupported "))
        return reason::kUnsupportedFeature;
    if (starts("declares an empty"))
        return reason::kEmptyImage;
    if (has("declares") && has("MP limit"))
        return reason::kTooManyPixels;
    if (has("declares") && has("side"))
        return reason::kSideTooLong;
    if (has("truncated"))
        return reason::kTruncated;
    if (starts("out of memory"))
        return reason::kOutOfMemory;
    if (starts("cannot initialise"))
        return reason::kDecoderError;
    if (starts("file not found"))
        return reason::kFileNotFound;
    if (starts("folder offline"))
        return reason::kFolderOffline;
    return reason::kCorrupt; // "broken ...", "... decode failed: ..."
}

namespace {

// Version 1: roots, photos, embeddings, meta.
//  - times are milliseconds since the epoch (UTC) except captured_at, which is EXIF's local
//    wall time as ISO 8601 text without a zone ("2021-07-04T18:30:00"), sortable as text;
//  - roots.prefix is the path with one trailing '/', so "under this folder" is the range
//    [prefix, prefix with its '/' replaced by '0') on the path index;
//  - embeddings.vector is float32 little-endian, dim values, tagged with the model identity.
constexpr const char *kMigration1 = R"sql(
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE roots (
    id          INTEGER PRIMARY KEY,
    path        TEXT NOT NULL UNIQUE,
    prefix      TEXT NOT NULL,
    volume_root TEXT NOT NULL DEFAULT '',
    added_ms    INTEGER NOT NULL
);

CREATE TABLE photos (
    id           INTEGER PRIMARY KEY,
    path         TEXT NOT NULL UNIQUE,
    root_id      INTEGER REFERENCES roots(id) ON DELETE SET NULL,
    size         INTEGER NOT NULL,
    mtime_ms     INTEGER NOT NULL,
    content_hash TEXT NOT NULL DEFAULT '',
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    format       TEXT NOT NULL DEFAULT '',
    captured_at  TEXT,
    camera       TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('indexed', 'rejected', 'missing')),
    reason       TEXT NOT NULL DEFAULT '',
    added_ms     INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL
);
CREATE INDEX photos_by_root ON photos(root_id);
CREATE INDEX photos_by_hash ON photos(content_hash) WHERE content_hash <> '';
CREATE INDEX photos_by_status ON photos(status);
CREATE INDEX photos_by_captured ON photos(captured_at) WHERE captured_at IS NOT NULL;

CREATE TABLE embeddings (
    photo_id INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    model    TEXT NOT NULL,
    dim      INTEGER NOT NULL CHECK (dim > 0),
    vector   BLOB NOT NULL CHECK (length(vector) = 4 * dim)
);
CREATE INDEX embeddings_by_model ON embeddings(model);

INSERT INTO meta(key, value) VALUES
    ('schema_version', '1'),
    ('model_identity', ''),
    ('index_generation', '0');
)sql";

// Version 2: every reason gets a stable code (reason.h) and the arguments of its sentence,
// a JSON array of strings. Reasons written before have no arguments; their codes are read
// from the English sentences version 1 wrote (those sentences never change now).
constexpr const char *kMigration2 = R"sql(
ALTER TABLE photos ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';
ALTER TABLE photos ADD COLUMN reason_args TEXT NOT NULL DEFAULT '[]';
)sql";

void classifyVersion1Reasons(SqliteConnection &db)
{
    std::vector<std::pair<std::int64_t, QString>> rows;
    {
        auto q = db.query("SELECT id, reason FROM photos WHERE reason <> ''");
        while (q.next())
            rows.emplace_back(q.int64(0), q.text(1));
    }
    for (const auto &[id, text] : rows)
        db.query("UPDATE photos SET reason_code = ?1 WHERE id = ?2")
            .bind(1, version1ReasonCode(text))
            .bind(2, id)
            .run();
}

// Version 3: portable libraries. A photo is stored relative to its root (rel_path, '/'-separated,
// no leading '/'); photos.path stays the photo's path on this machine, its root's path joined
// with rel_path, so that lookups by path keep their index. Re-pointing a root (Catalog::moveRoot)
// rewrites both in one transaction; merging shard libraries matches roots by path and photos by
// rel_path. The triggers keep rel_path right whatever statement sets a photo's path or root; a
// photo outside every root (a file indexed on its own) has an empty rel_path.
constexpr const char *kMigration3 = R"sql(
ALTER TABLE photos ADD COLUMN rel_path TEXT NOT NULL DEFAULT '';
UPDATE photos SET rel_path = COALESCE((SELECT substr(photos.path, length(r.prefix) + 1)
                                       FROM roots r WHERE r.id = photos.root_id), '');
CREATE TRIGGER photos_rel_path_on_insert AFTER INSERT ON photos
BEGIN
    UPDATE photos SET rel_path = COALESCE((SELECT substr(NEW.path, length(r.prefix) + 1)
                                           FROM roots r WHERE r.id = NEW.root_id), '')
    WHERE id = NEW.id;
END;
CREATE TRIGGER photos_rel_path_on_update AFTER UPDATE OF path, root_id ON photos
BEGIN
    UPDATE photos SET rel_path = COALESCE((SELECT substr(NEW.path, length(r.prefix) + 1)
                                           FROM roots r WHERE r.id = NEW.root_id), '')
    WHERE id = NEW.id;
END;
)sql";

// Version 4: the words of a photo are searchable. `photos` keeps the keywords (one per line),
// title and description read from the file, and whether they were read (text_read: photos
// recorded before are read again by the next index run, without re-embedding). `photo_text`
// is an FTS5 index (case- and accent-insensitive, prefix-indexed) of each photo's file name,
// the folders between its root and it, its camera and those words, rowid = photos.id. The
// triggers keep it right whatever statement changes a photo; they read the row as it is after
// the statement (other triggers, such as rel_path's, may have changed it since NEW was taken).
// The file name is the part of the path after its last '/' (rtrim by every character that is
// not '/' leaves the folder part).
#define IMAGO_PHOTO_TEXT_ROW                                                                       \
    "SELECT p.id, "                                                                                \
    "substr(p.path, length(rtrim(p.path, replace(p.path, '/', ''))) + 1), "                        \
    "rtrim(p.rel_path, replace(p.rel_path, '/', '')), "                                            \
    "p.camera, p.keywords, p.title, p.description FROM photos p "
#define IMAGO_PHOTO_TEXT_INSERT                                                                    \
    "INSERT INTO photo_text(rowid, name, folders, camera, keywords, title, description) "
constexpr const char *kMigration4 =
    "ALTER TABLE photos ADD COLUMN keywords TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE photos ADD COLUMN title TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE photos ADD COLUMN description TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE photos ADD COLUMN text_read INTEGER NOT NULL DEFAULT 0;\n"
    "CREATE VIRTUAL TABLE photo_text USING fts5(name, folders, camera, keywords, title, "
    "description, tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');\n" //
    IMAGO_PHOTO_TEXT_INSERT IMAGO_PHOTO_TEXT_ROW ";\n"
    "CREATE TRIGGER photo_text_on_insert AFTER INSERT ON photos BEGIN "
    "DELETE FROM photo_text WHERE rowid = NEW.id; " //
    IMAGO_PHOTO_TEXT_INSERT IMAGO_PHOTO_TEXT_ROW "WHERE p.id = NEW.id; END;\n"
    "CREATE TRIGGER photo_text_on_update AFTER UPDATE OF path, rel_path, camera, keywords, "
    "title, description ON photos BEGIN "
    "DELETE FROM photo_text WHERE rowid = OLD.id; " //
    IMAGO_PHOTO_TEXT_INSERT IMAGO_PHOTO_TEXT_ROW "WHERE p.id = NEW.id; END;\n"
    "CREATE TRIGGER photo_text_on_delete AFTER DELETE ON photos BEGIN "
    "DELETE FROM photo_text WHERE rowid = OLD.id; END;\n";
#undef IMAGO_PHOTO_TEXT_ROW
#undef IMAGO_PHOTO_TEXT_INSERT

constexpr CatalogMigration kMigrations[] = {
    {1, "roots, photos, embeddings, meta", kMigration1, nullptr},
    {2, "reason codes", kMigration2, classifyVersion1Reasons},
    {3, "photos relative to their roots", kMigration3, nullptr},
    {4, "searchable photo text", kMigration4, nullptr},
};

} // namespace

std::span<const CatalogMigration> catalogMigrations()
{
    return kMigrations;
}

} // namespace imago
