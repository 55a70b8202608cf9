#include "catalog_schema.h"

namespace imago {

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

constexpr CatalogMigration kMigrations[] = {
    {1, "roots, photos, embeddings, meta", kMigration1, nullptr},
};

} // namespace

std::span<const CatalogMigration> catalogMigrations()
{
    return kMigrations;
}

} // namespace imago
