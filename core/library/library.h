// library.h - a photo library on disk: the catalog (truth) and the vector index (a fast,
// derived view of it), kept consistent.
//
// A library folder holds catalog.sqlite3 (see catalog.h), index.faiss (see vector_index.h) and
// writer.lock. Opening it:
//   - migrates the catalog;
//   - compares the model identity it is opened with against the catalog's: a different model
//     makes every stored vector stale. Photo records and their old vectors are kept, search
//     covers only photos embedded by the current model (none, right after the change) until
//     the indexer re-embeds the stale ones (stalePaths()), and status() says so;
//   - loads index.faiss and checks it against the catalog (generation, model, vector count,
//     dimension). A missing, stale, truncated or corrupt file is rebuilt from the catalog's
//     embeddings, with a log line (category "imago.library") saying what was wrong, and the
//     rebuilt index is saved over the file, so the next open loads it. A read-write open saves
//     it as it saves any change. A read-only open (a search, `verify`) saves it too when this
//     process may write the folder and no writer holds writer.lock: it builds without the lock,
//     writes a temporary file of its own, then takes the lock without waiting, checks that the
//     catalog's generation is still the one it built from, and renames the file into place.
//     Otherwise - a read-only folder or file system, another user's library, a writer at work
//     (an indexing run keeps the lock for hours and is never waited for), the catalog changed
//     meanwhile, LibraryOptions::saveRebuiltIndex off - the rebuilt index stays in memory, the
//     file is left as it is, and status().index.unsavedReason says why.
//
// Writes (apply(), forget(), ...) commit to the catalog first - which bumps the index
// generation in the same transaction - then update the in-memory index. The index file is
// saved atomically with the catalog's generation every `saveEvery` vector changes, by save(),
// by rebuild(), and on destruction. A crash at any point leaves a file whose generation does
// not match, which the next open rebuilds: no photo is ever lost to the index.
//
// Threading: one writer per library folder, enforced across processes by writer.lock (a
// second read-write open throws LibraryError). The Library object belongs to the thread that
// created it (the writer: indexer or CLI verb); every method except search() must be called
// from that thread. search() may be called from any thread, concurrently with the writer and
// with other searches (the object must outlive them); add/remove wait for searches in flight
// and searches arriving meanwhile wait for them, so neither side starves. Readers in other
// processes open the folder with readOnly = true.
#pragma once

#include "catalog.h"
#include "shard.h"
#include "vector_index.h"

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace imago {

class WriterLock;

struct LibraryOptions
{
    // Identity of the model whose embeddings are current (hash of config + weights). Empty:
    // whatever the catalog says (for verbs that do not embed).
    QString modelIdentity;
    // Read-only: never writes the catalog and does not take writer.lock (runs beside a writer).
    bool readOnly = false;
    // Read-only: save an index rebuilt at open over the bad file when the folder may be
    // written and no writer holds the lock (see the file comment); false: keep it in memory
    // and touch nothing in the folder.
    bool saveRebuiltIndex = true;
    // false: open the catalog only (listing); search() returns nothing.
    bool loadIndex = true;
    // Approximate (IVF) index at or above index.approximateThreshold vectors, exact below.
    IndexBuildOptions index;
    // Save the index file after this many vector changes (and at least every tenth of its size,
    // so a million-photo index is not rewritten every few thousand additions).
    std::size_t saveEvery = 5000;
};

// One photo the indexer decoded and embedded.
struct IndexedPhoto
{
    PhotoFacts facts;
    std::vector<float> embedding; // L2-normalised, the model's embedding size
};

// One file the indexer could not index, and why (reason.h).
struct RejectedPhoto
{
    PhotoFacts facts;
    Reason reason;
};

// What the indexer hands over in one transaction.
struct LibraryBatch
{
    std::vector<IndexedPhoto> indexed;
    std::vector<RejectedPhoto> rejected;
    QStringList missing;  // paths whose files are gone: kept, marked missing
    Reason missingReason; // default: file_not_found
    // Words read from unchanged photos recorded before they were read (PhotoFacts::textRead):
    // path, keywords, title and description; nothing else changes.
    std::vector<PhotoFacts> texts;
};

// Restricts search() to part of the library. Unset members do not filter.
struct SearchFilter
{
    QString under;                      // a folder
    QDateTime capturedFrom, capturedTo; // EXIF capture time, inclusive
    // Only these photos (sorted ids), e.g. those a quoted term matched.
    std::optional<std::vector<std::int64_t>> onlyIds;
    // A folder or dates: the catalog must be asked which photos they allow.
    bool needsLookup() const
    {
        return !under.isEmpty() || capturedFrom.isValid() || capturedTo.isValid();
    }
    bool isEmpty() const { return !needsLookup() && !onlyIds; }
};

struct IndexStatus
{
    bool loaded = false;  // false when opened with loadIndex = false
    QString kind;         // "flat", "ivf", or "none" (no searchable vectors yet)
    std::size_t size = 0; // vectors
    int dim = 0;
    std::size_t nlist = 0, nprobe = 0;
    double recall = -1; // measured recall@10 of an IVF index, -1 when not measured
    // How the index was obtained at open: "loaded", "rebuilt", "empty", "not loaded".
    QString state;
    QString detail; // for "rebuilt": what was wrong with the file
    // For "rebuilt" by a read-only open that did not save it: why the file on disk is still
    // bad (the folder is not writable, a writer holds the lock, ...). Empty when it was saved.
    QString unsavedReason;
    bool unsavedChanges = false;
};

struct RootStatus
{
    std::int64_t id = 0;
    QString path;
    bool online = false;
    std::int64_t photos = 0;
};

struct LibraryStatus
{
    QString directory;
    std::optional<ShardSpec> shard; // the shard of a sharded run this library holds
    int mergedShardCount = 0;       // N of the shards merged into it; 0: none
    int schemaVersion = 0;
    StatusCounts counts;
    std::vector<RootStatus> roots;
    QString modelIdentity;
    // Set when this open switched the model: the vectors of that model are now stale.
    QString previousModelIdentity;
    std::int64_t generation = 0; // the catalog's index generation
    IndexStatus index;
};

struct ForgetResult
{
    int photos = 0;        // photo records removed (with their vectors)
    int roots = 0;         // library folders removed
    QStringList unmatched; // arguments that named nothing in the library
};

struct RootsRefresh
{
    QStringList offline;         // roots found offline
    int photosMarkedMissing = 0; // indexed photos under them, now missing (kept)
    int photosRestored = 0;      // missing photos whose files are back
};

// What merge() did.
struct MergeReport
{
    struct Source
    {
        QString directory;
        std::optional<ShardSpec> shard;
        std::int64_t photos = 0; // records read from it
    };
    std::vector<Source> sources;
    std::int64_t added = 0;     // photos new to this library
    std::int64_t updated = 0;   // photos it had, now as the source has them
    std::int64_t unchanged = 0; // photos it had exactly so (a merge run twice)
    int rootsAdded = 0;
    double seconds = 0;
    IndexBuildReport index; // the vector index rebuilt from the merged catalog
};

class Library
{
public:
    // --library DIR (when given) > $IMAGO_LIBRARY > <AppDataLocation>/library.
    static QString defaultDirectory(const QString &override = {});
    static QString catalogFileName() { return QStringLiteral("catalog.sqlite3"); }
    static QString indexFileName() { return QStringLiteral("index.faiss"); }
    // Whether `dir` holds a library (a catalog file).
    static bool exists(const QString &dir);

    // Opens (read-write: creating) the library in `dir`. Throws LibraryError.
    explicit Library(const QString &dir, const LibraryOptions &options = {});
    // Saves the index when it has unsaved changes (errors are logged, not thrown).
    ~Library();
    Library(const Library &) = delete;
    Library &operator=(const Library &) = delete;

    const QString &directory() const { return m_dir; }
    QString catalogFile() const;
    QString indexFile() const;
    const QString &modelIdentity() const { return m_model; }
    bool isReadOnly() const { return m_options.readOnly; }
    // The catalog, for reads and for tests. Writing through it bypasses the index: call
    // rebuild() afterwards.
    Catalog &catalog() { return *m_catalog; }

    // --- for the indexer ----------------------------------------------------------------
    // Records a batch in one transaction, then updates the index. Returns the ids of
    // batch.indexed, in order. Throws std::invalid_argument for an embedding of the wrong size
    // or with non-finite values, LibraryError when there is no model identity.
    std::vector<std::int64_t> apply(const LibraryBatch &batch);
    std::optional<PhotoRecord> photo(const QString &path);
    // A new file whose content hash matches a photo that is missing, or whose file is no
    // longer where the catalog says, is that photo moved or renamed: its record moves to the
    // new path and keeps its id and embedding. Returns the id, or nullopt (then embed it).
    std::optional<std::int64_t> adoptMovedPhoto(const PhotoFacts &facts);
    // The current-model embedding of any photo with these bytes (a copy needs no re-embedding).
    std::optional<std::vector<float>> embeddingForContent(const QString &contentHash);
    // Indexed photos whose embedding is missing or from another model: re-embed these.
    QStringList stalePaths(std::int64_t limit = -1);

    std::int64_t addRoot(const QString &path);
    std::vector<RootRecord> roots();
    // Re-points the library folder at `oldPath` (as listed by roots()) to `newPath`, where its
    // photos are now (a copied library, a drive mounted elsewhere): no photo is re-embedded,
    // and photos marked missing whose files are at the new place are searchable again.
    // Throws LibraryError naming the folder and the reason (not a library folder, `newPath`
    // not a folder, inside the old one, already in the library).
    int moveRoot(const QString &oldPath, const QString &newPath);
    // Marks the indexed photos of offline roots missing (kept, not deleted) and restores
    // missing photos whose files are back. Call before scanning.
    RootsRefresh refreshRoots();

    // --- sharded runs -------------------------------------------------------------------
    // The shard of a sharded indexing run this library holds; nullopt for a whole library.
    std::optional<ShardSpec> shard();
    // N of the shards merged into this library; 0 when none were.
    int mergedShardCount();
    // Before indexing: `spec` is the run's shard (nullopt: not sharded). A new library records
    // it; a library must always be indexed with the shard it holds. Throws LibraryError
    // otherwise (a whole library indexed as a shard, a shard indexed as another one).
    void claimShard(const std::optional<ShardSpec> &spec);
    // Merges libraries (the shards of a sharded run, or any libraries) into this one in one
    // transaction: their roots (matched by path), photo records (by path), and embeddings bit
    // for bit; then rebuilds the vector index from the merged catalog. Refuses, naming the
    // library and the reason, before writing anything: a folder that is not a library or is
    // being written, another model identity, shards of another N than each other or than
    // merged here before, the same shard twice. Merging the same shards again changes nothing.
    MergeReport merge(const QStringList &libraryDirs);

    // --- search (any thread) ------------------------------------------------------------
    // The k photos whose current-model embeddings best match `query` (inner product).
    std::vector<SearchHit> search(std::span<const float> query, std::size_t k,
                                  const SearchFilter &filter = {}) const;
    // The same filter as a list of allowed ids (its folder and dates looked up once), for a
    // caller that passes one filter to several searches. An empty filter stays empty.
    SearchFilter resolved(const SearchFilter &filter) const;
    // Many queries (n x dim, row-major) at once, unfiltered: one matrix product for all.
    std::vector<std::vector<SearchHit>> searchBatch(std::span<const float> queries,
                                                    std::size_t k) const;
    // Indexed photos whose name, folders, camera or words match the FTS5 expression
    // (photo_text_query.h), best first, at most `limit`, within `filter`.
    // `unranked`: see Catalog::textMatches (a word common to much of the library).
    std::vector<std::int64_t> textMatches(const QString &ftsQuery, std::size_t limit,
                                          const SearchFilter &filter = {},
                                          std::vector<std::int64_t> *unranked = nullptr) const;

    // --- maintenance --------------------------------------------------------------------
    // Removes photos (and their vectors) by path, or every photo under a folder; a folder that
    // is a library root is removed as a root too.
    ForgetResult forget(const QStringList &pathsOrFolders);
    // Rebuilds the index from the catalog's embeddings and saves it (read-only: as at open,
    // saved when the folder may be written and no writer holds the lock, else in memory).
    // Works on a library opened with loadIndex = false, which then has an index.
    IndexBuildReport rebuild();
    // Catalog integrity, embeddings of every indexed photo (present, current model, right
    // size, finite, unit length), and index/catalog agreement (count and ids). Empty: healthy.
    QStringList verify();
    LibraryStatus status();
    // Saves the index file now if it has unsaved changes.
    void save();

private:
    void lockOrThrow();
    void adoptModelIdentity();
    void openIndex();
    void rebuildLocked(const QString &why);
    // What the index in memory is (kind, size, IVF figures); seconds left 0.
    IndexBuildReport indexReport() const;
    QString saveRebuiltIndex(std::int64_t generation);
    std::shared_ptr<VectorIndex> index() const;
    void setIndex(std::shared_ptr<VectorIndex> index);
    void indexAdd(std::span<const std::int64_t> ids, std::span<const float> vectors);
    void indexRemove(std::span<const std::int64_t> ids);
    void noteChanges(std::size_t n);
    void saveNow();
    void requireWritable(const char *what) const;
    // The ids (sorted) a non-empty filter allows; reads through the search connection.
    std::vector<std::int64_t> allowedIds(const SearchFilter &filter) const;
    Catalog &searchCatalogLocked() const; // m_searchCatalogMutex held

    QString m_dir;
    LibraryOptions m_options;
    std::unique_ptr<WriterLock> m_lock;
    std::unique_ptr<Catalog> m_catalog;
    QString m_model;
    QString m_previousModel;

    mutable std::mutex m_indexMutex;      // guards the pointer, not the index (it locks itself)
    std::shared_ptr<VectorIndex> m_index; // null: no searchable vectors yet
    QString m_indexState, m_indexDetail;
    std::size_t m_unsaved = 0;
    bool m_indexFileStale = false; // the file on disk does not match the catalog
    QString m_indexUnsavedReason;  // read-only: why a rebuilt index was not saved

    mutable std::mutex m_searchCatalogMutex; // search() filters read through their own connection
    mutable std::unique_ptr<Catalog> m_searchCatalog;
};

} // namespace imago
