// catalog.h - the library's source of truth: a SQLite database of roots, photos, embeddings
// and metadata (catalog.sqlite3).
//
// Schema (see catalog_schema.cpp): `roots` (folders the user added), `photos` (one row per file:
// path, root, size, mtime, content hash, oriented size, format, EXIF capture date and camera,
// keywords, title and description, status with a reason, added/updated times), `photo_text`
// (an FTS5 index of each photo's name, folders below its root, camera and words, kept by
// triggers), `embeddings` (one float32 little-endian blob per
// photo, tagged with the model identity that produced it) and `meta` (model identity, index
// generation). Migrations run at open, chosen by `PRAGMA user_version`.
//
// Status of a photo:
//   indexed  - decoded and embedded; searchable when its embedding is from the current model
//              (an indexed photo whose embedding is from another model is "stale")
//   rejected - not indexable; `reason` says why (a reason code of reason.h - unsupported_format,
//              truncated, ... - with its English sentence and arguments)
//   missing  - its file is not where it was (deleted, moved, or its folder is offline). The
//              record and its embedding are kept: missing is not deleted.
//
// Index generation: every transaction that changes the set of searchable vectors (an embedding
// written or deleted, a photo entering or leaving the indexed status, a photo deleted, the
// model identity changed) bumps it, once, in that same transaction - the Catalog does this
// itself, so no caller can forget. A saved vector index is stamped with the generation it
// reflects, so a file that disagrees with the catalog is detected and rebuilt (see Library).
//
// Threading and ownership: a Catalog owns one SQLite connection (WAL journal, foreign keys on,
// 5 s busy timeout). It is not thread-safe: use it from one thread at a time. There is one
// writer per library (Library holds a lock file to enforce it); any number of readers may
// open their own Catalog in ReadOnly mode, on their own threads, and see each committed
// transaction without blocking the writer.
//
// Errors: setup failures and SQLite errors throw LibraryError naming the file and the problem.
#pragma once

#include "reason.h"

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace imago {

class SqliteConnection;
class SqlQuery;

enum class PhotoStatus
{
    Indexed,
    Rejected,
    Missing
};
QString photoStatusName(PhotoStatus status); // "indexed", "rejected", "missing"
std::optional<PhotoStatus> photoStatusFromName(const QString &name);

// What the scanner and decoder learned about a file.
struct PhotoFacts
{
    QString path; // absolute, cleaned (QDir::cleanPath); the key of a photo
    std::int64_t size = 0;
    QDateTime mtime;     // stored to the millisecond, UTC
    QString contentHash; // photoContentHash(); empty when not computed
    int width = 0;       // after EXIF orientation; 0 when unknown (e.g. rejected before decode)
    int height = 0;
    QString format;       // "jpeg", "png", ...; empty when unknown
    QDateTime capturedAt; // EXIF DateTimeOriginal as written (no time zone); invalid when absent
    QString camera;       // EXIF "Make Model"; empty when absent
    // The words the file carries (XMP dc:subject/title/description, IPTC, EXIF XP* and
    // ImageDescription; see photo_metadata.h), searchable through the photo_text table.
    QStringList keywords;
    QString title;
    QString description;
    // Whether the three above were read from the file. A photo recorded before schema 4 has
    // not had them read: the next index run reads them (without decoding pixels or embedding).
    bool textRead = false;
};

struct PhotoRecord
{
    std::int64_t id = 0;
    std::optional<std::int64_t> rootId;
    PhotoFacts facts;
    PhotoStatus status = PhotoStatus::Indexed;
    Reason reason; // why rejected or missing (code, sentence, arguments); empty for indexed
    QDateTime addedAt;
    QDateTime updatedAt;
    QString embeddingModel; // model identity of its embedding; empty when it has none
    // Path relative to its root ('/'-separated); empty when it lies outside every root.
    QString relativePath;
};

struct RootRecord
{
    std::int64_t id = 0;
    QString path;       // absolute, cleaned, no trailing slash (except "/")
    QString volumeRoot; // mount point of the volume it was on when added
    QDateTime addedAt;
    bool online = false; // computed at listing time from the filesystem, see isRootOnline()
};

// Counts for status reports. `stale` counts indexed photos whose embedding is missing or from
// another model than the current one; they are included in `indexed` too.
struct StatusCounts
{
    std::int64_t indexed = 0;
    std::int64_t rejected = 0;
    std::int64_t missing = 0; // status missing: their files are gone
    // Status missing because their whole folder is offline (reason folder_offline: a drive not
    // mounted, a library copied to another machine); not counted in `missing`.
    std::int64_t offline = 0;
    std::int64_t stale = 0;
    std::int64_t total() const { return indexed + rejected + missing + offline; }
};

// Filters for listing photos. Unset members do not filter.
struct PhotoQuery
{
    std::optional<PhotoStatus> status;
    QString under; // a folder: photos whose path lies under it
    std::optional<std::int64_t> rootId;
    QDateTime capturedFrom, capturedTo; // inclusive; invalid = open
    std::int64_t limit = -1;            // -1: all
    std::int64_t offset = 0;
};

// A root is online when its folder exists, can be listed, and lies on the same volume as when
// it was added (an unmounted drive leaves either nothing or an empty mount-point folder on the
// parent volume, which must not look like a folder whose photos were all deleted).
bool isRootOnline(const QString &path, const QString &volumeRoot);
// The mount point of the volume holding `path` (QStorageInfo), empty when unknown.
QString volumeRootOf(const QString &path);

class Catalog
{
public:
    enum class Mode
    {
        ReadWrite,
        ReadOnly
    };
    // The schema version this code writes; migrations bring older catalogs up to it.
    static int latestSchemaVersion();

    // Opens `file` (creating it in ReadWrite mode) and migrates it to the latest schema.
    // ReadOnly refuses a catalog that needs migrating (open it read-write once), and one that
    // does not exist. Throws LibraryError.
    explicit Catalog(const QString &file, Mode mode = Mode::ReadWrite);
    ~Catalog();
    Catalog(const Catalog &) = delete;
    Catalog &operator=(const Catalog &) = delete;

    const QString &file() const;
    Mode mode() const { return m_mode; }
    int schemaVersion();

    // --- transactions -------------------------------------------------------------------
    // RAII write transaction (BEGIN IMMEDIATE): rolls back unless commit() was called. Not
    // nestable. Every mutating call below runs in its own transaction when none is open.
    class Transaction
    {
    public:
        explicit Transaction(Catalog &catalog);
        ~Transaction();
        Transaction(const Transaction &) = delete;
        Transaction &operator=(const Transaction &) = delete;
        void commit();

    private:
        Catalog &m_catalog;
        bool m_done = false;
    };
    // Runs `work` in one transaction; an exception rolls it back and propagates.
    void writeBatch(const std::function<void()> &work);
    bool inTransaction() const { return m_inTransaction; }

    // --- metadata -----------------------------------------------------------------------
    QString modelIdentity();
    void setModelIdentity(const QString &identity);
    std::int64_t indexGeneration();
    // Forces a bump (at the commit of the open transaction, if any); returns the new value.
    // Not needed after the mutators below, which bump it themselves.
    std::int64_t bumpIndexGeneration();
    QString metadata(const QString &key);
    void setMetadata(const QString &key, const QString &value);

    // --- roots --------------------------------------------------------------------------
    // Adds a folder (idempotent; returns its id). Photos already under it are attached to it.
    std::int64_t addRoot(const QString &path);
    // Removes a root. Its photos move to an enclosing root when there is one; the others are
    // deleted with their embeddings. Returns the ids of the deleted photos.
    std::vector<std::int64_t> removeRoot(std::int64_t rootId);
    std::vector<RootRecord> roots();
    std::optional<RootRecord> rootByPath(const QString &path);
    // Re-points a root (and the roots inside it) to `newPath`, where its photos now are: their
    // paths change, their records, ids and embeddings do not. Refuses a target inside the root
    // or containing it, and one where the library has a root or photos already. Returns how
    // many photos were re-pointed. The index generation does not change (no vector does).
    int moveRoot(std::int64_t rootId, const QString &newPath);

    // --- photos -------------------------------------------------------------------------
    // Inserts or updates the photo at facts.path with the given status and reason; returns its
    // id (unchanged when it existed). Does not touch its embedding (see setEmbedding /
    // clearEmbedding).
    std::int64_t upsertPhoto(const PhotoFacts &facts, PhotoStatus status,
                             const Reason &reason = {});
    // Moves an existing record to new facts (a different path): keeps id and embedding,
    // status becomes indexed.
    void relocatePhoto(std::int64_t id, const PhotoFacts &facts);
    void setStatus(std::int64_t id, PhotoStatus status, const Reason &reason = {});
    std::optional<PhotoRecord> photo(std::int64_t id);
    std::optional<PhotoRecord> photoByPath(const QString &path);
    std::vector<PhotoRecord> photosByContentHash(const QString &hash);
    // Indexed photos that share their bytes with another indexed photo: one list of ids (in id
    // order) per content hash, the lists in order of their first id.
    std::vector<std::vector<std::int64_t>> sameContentGroups();
    std::vector<PhotoRecord> photos(const PhotoQuery &query = {});
    std::vector<std::int64_t> photoIds(const PhotoQuery &query = {});
    // Calls `visit` for each matching photo in path order without holding them all in memory.
    void forEachPhoto(const PhotoQuery &query,
                      const std::function<void(const PhotoRecord &)> &visit);
    // Deletes photos (and their embeddings). Returns how many existed.
    int removePhotos(std::span<const std::int64_t> ids);
    StatusCounts counts(const QString &currentModel);
    // Records the words read from a photo's file (keywords, title, description; textRead set)
    // without touching anything else. False when there is no photo at `path`.
    bool setPhotoText(const QString &path, const PhotoFacts &text);
    // Indexed photos whose text matches `ftsQuery` (an FTS5 MATCH expression; see
    // photo_text_query.h), best first (bm25, the file name weighing most), at most `limit`.
    // `allowed`, when given and sorted, restricts the result to those ids. An invalid
    // expression matches nothing.
    //
    // Ranking costs about half a microsecond per matching photo (bm25 reads every match's
    // column sizes; listing them unranked is ~30x cheaper). With `unranked` given, an
    // expression matching more than kRankedTextMatches photos (a word common to much of the
    // library, which says little about which photo is meant) is not ranked: *unranked gets
    // every matching id, sorted (indexed or not), and the return is empty.
    static constexpr std::size_t kRankedTextMatches = 2000;
    std::vector<std::int64_t> textMatches(const QString &ftsQuery, std::size_t limit,
                                          const std::vector<std::int64_t> *allowed = nullptr,
                                          std::vector<std::int64_t> *unranked = nullptr);
    std::int64_t photoCountInRoot(std::int64_t rootId);

    // --- embeddings ---------------------------------------------------------------------
    // Stores (replaces) the photo's embedding, tagged with `model`.
    void setEmbedding(std::int64_t photoId, std::span<const float> vector, const QString &model);
    void clearEmbedding(std::int64_t photoId);
    // The stored vector whatever its model; nullopt when there is none. `model` receives its tag.
    std::optional<std::vector<float>> embedding(std::int64_t photoId, QString *model = nullptr);
    // Searchable vectors: photos with status indexed and an embedding from `model`.
    std::int64_t searchableCount(const QString &model);
    // Their dimension (from the first one), 0 when there are none.
    int searchableDim(const QString &model);
    // Streams the searchable vectors in id order, `batch` at a time (ids, then batch*dim floats).
    // Returns false (and stops) when `visit` returns false. Rows whose blob does not match
    // `dim` are skipped and counted in *skipped.
    bool forEachSearchableVector(
        const QString &model, int dim, std::size_t batch,
        const std::function<bool(std::span<const std::int64_t>, std::span<const float>)> &visit,
        std::int64_t *skipped = nullptr);
    // Searchable vectors of the given photo ids (those that qualify; others are left out).
    void searchableVectors(const QString &model, int dim, std::span<const std::int64_t> ids,
                           std::vector<std::int64_t> &outIds, std::vector<float> &outVectors);
    // Paths of indexed photos whose embedding is missing or from another model (to re-embed).
    QStringList stalePaths(const QString &currentModel, std::int64_t limit = -1);

    // --- integrity ----------------------------------------------------------------------
    // PRAGMA integrity_check and foreign_key_check; empty when both pass.
    QStringList integrityProblems();

private:
    friend class Transaction;
    void migrate();
    void begin();
    void commit();
    void rollback();
    PhotoRecord readPhoto(const SqlQuery &q);
    void noteSearchableChange() { m_generationDirty = true; }

    Mode m_mode;
    std::unique_ptr<SqliteConnection> m_db;
    bool m_inTransaction = false;
    bool m_generationDirty = false; // bump the generation at commit
};

} // namespace imago
