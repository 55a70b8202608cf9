// The verbs that look after a library: status, list, forget, rebuild, verify, roots, merge.
#include "cli_common.h"

#include "library.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace imago::cli {

namespace {

const QCommandLineOption kJson(QStringLiteral("json"), QStringLiteral("Print JSON."));

std::unique_ptr<Library> openForWriting(const QString &dir, const LibraryOptions &base = {})
{
    if (!Library::exists(dir))
        throw CliError(QStringLiteral("no library at %1 (pass --library DIR or set "
                                      "IMAGO_LIBRARY)")
                           .arg(dir));
    return std::make_unique<Library>(dir, base);
}

void noPositionals(const QCommandLineParser &p)
{
    if (!p.positionalArguments().isEmpty())
        throw CliError(QStringLiteral("unexpected argument '%1'").arg(p.positionalArguments()[0]),
                       kExitUsage);
}

void printErr(const QString &text)
{
    std::fprintf(stderr, "%s\n", text.toUtf8().constData());
}

// [{"id", "path", "online", "photos"}]: status --json's "roots" and roots --json.
QJsonArray rootsJson(const std::vector<RootStatus> &roots)
{
    QJsonArray out;
    for (const RootStatus &r : roots)
        out.append(QJsonObject{{QStringLiteral("id"), qint64(r.id)},
                               {QStringLiteral("path"), r.path},
                               {QStringLiteral("online"), r.online},
                               {QStringLiteral("photos"), qint64(r.photos)}});
    return out;
}

} // namespace

int runStatus(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p); // cli_common.h
    p.addOption(kJson);
    if (!parseArgs(
            p, args,
            QStringLiteral(
                "Summarise a library: photos by status, folders (online or "
                "offline), model identity, index kind and size, generation.\n"
                "With --json prints {\"library\", \"schema_version\", "
                "\"counts\": {\"indexed\", \"rejected\", \"missing\", "
                "\"offline\", \"stale\", \"total\"}, \"roots\": [{\"id\", \"path\", \"online\", "
                "\"photos\"}], \"model_identity\", \"generation\", "
                "\"index\": {\"kind\", \"size\", \"dim\", \"state\", "
                "...}, \"shard\": {\"index\", \"count\"} or null}, and "
                "\"merged_shard_count\" after a merge; \"state\" \"rebuilt\" "
                "comes with \"detail\" (what was wrong with the index file) and, "
                "when the rebuilt index could not be saved, \"not_saved\" (why).")))
        return 0;
    noPositionals(p);
    const auto library = openReadOnly(libraryDir(p), /*loadIndex=*/true);
    const LibraryStatus s = library->status();
    if (p.isSet(kJson)) {
        QJsonObject index{{QStringLiteral("kind"), s.index.kind},
                          {QStringLiteral("size"), qint64(s.index.size)},
                          {QStringLiteral("dim"), s.index.dim},
                          {QStringLiteral("state"), s.index.state}};
        if (!s.index.detail.isEmpty())
            index.insert(QStringLiteral("detail"), s.index.detail);
        if (!s.index.unsavedReason.isEmpty())
            index.insert(QStringLiteral("not_saved"), s.index.unsavedReason);
        if (s.index.kind == QLatin1String("ivf")) {
            index.insert(QStringLiteral("nlist"), qint64(s.index.nlist));
            index.insert(QStringLiteral("nprobe"), qint64(s.index.nprobe));
            if (s.index.recall >= 0)
                index.insert(QStringLiteral("recall_at_10"), s.index.recall);
        }
        QJsonObject o{{QStringLiteral("library"), s.directory},
                      {QStringLiteral("schema_version"), s.schemaVersion},
                      {QStringLiteral("counts"),
                       QJsonObject{{QStringLiteral("indexed"), qint64(s.counts.indexed)},
                                   {QStringLiteral("rejected"), qint64(s.counts.rejected)},
                                   {QStringLiteral("missing"), qint64(s.counts.missing)},
                                   {QStringLiteral("offline"), qint64(s.counts.offline)},
                                   {QStringLiteral("stale"), qint64(s.counts.stale)},
                                   {QStringLiteral("total"), qint64(s.counts.total())}}},
                      {QStringLiteral("roots"), rootsJson(s.roots)},
                      {QStringLiteral("model_identity"), s.modelIdentity},
                      {QStringLiteral("generation"), qint64(s.generation)},
                      {QStringLiteral("index"), index}};
        o.insert(QStringLiteral("shard"), s.shard ? QJsonValue(shardJson(*s.shard)) : QJsonValue());
        if (s.mergedShardCount > 0)
            o.insert(QStringLiteral("merged_shard_count"), s.mergedShardCount);
        printJson(QJsonDocument(o));
        return 0;
    }
    printLine(QStringLiteral("library    %1 (schema %2)").arg(s.directory).arg(s.schemaVersion));
    if (s.shard)
        printLine(QStringLiteral("shard      %1 of %2 (merge it: imago-cli merge)")
                      .arg(s.shard->index)
                      .arg(s.shard->count));
    if (s.mergedShardCount > 0)
        printLine(QStringLiteral("merged     from shards of %1").arg(s.mergedShardCount));
    printLine(QStringLiteral("photos     %1 indexed, %2 rejected, %3 missing%4 (%5 in all)")
                  .arg(s.counts.indexed)
                  .arg(s.counts.rejected)
                  .arg(s.counts.missing)
                  .arg(s.counts.offline > 0
                           ? QStringLiteral(", %1 offline (their folder is not there: "
                                            "imago-cli roots)")
                                 .arg(s.counts.offline)
                           : QString())
                  .arg(s.counts.total()));
    if (s.counts.stale > 0)
        printLine(QStringLiteral("stale      %1 indexed photos need re-embedding with the "
                                 "current model; search does not find them yet")
                      .arg(s.counts.stale));
    for (const RootStatus &r : s.roots)
        printLine(QStringLiteral("folder     %1  %2, %3 photos")
                      .arg(r.path, r.online ? QStringLiteral("online") : QStringLiteral("OFFLINE"))
                      .arg(r.photos));
    printLine(QStringLiteral("model      %1")
                  .arg(s.modelIdentity.isEmpty() ? QStringLiteral("(none)") : s.modelIdentity));
    QString index = QStringLiteral("%1, %2 vectors").arg(s.index.kind).arg(s.index.size);
    if (s.index.dim > 0)
        index += QStringLiteral(" of %1 dims").arg(s.index.dim);
    if (s.index.kind == QLatin1String("ivf"))
        index += QStringLiteral(", nlist %1, nprobe %2").arg(s.index.nlist).arg(s.index.nprobe);
    index += QStringLiteral(", %1").arg(s.index.state);
    if (!s.index.detail.isEmpty())
        index += QStringLiteral(" (%1)").arg(s.index.detail);
    if (!s.index.unsavedReason.isEmpty())
        index += QStringLiteral(", in memory only: %1").arg(s.index.unsavedReason);
    printLine(QStringLiteral("index      %1").arg(index));
    printLine(QStringLiteral("generation %1").arg(s.generation));
    return 0;
}

int runList(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p); // cli_common.h
    p.addOption(kJson);
    p.addOption({QStringLiteral("status"),
                 QStringLiteral("Only photos with this status: indexed, rejected or missing."),
                 QStringLiteral("S")});
    p.addOption({QStringLiteral("under"), QStringLiteral("Only photos under this folder."),
                 QStringLiteral("DIR")});
    if (!parseArgs(p, args,
                   QStringLiteral("List the photos of a library, in path order.\nWith --json "
                                  "prints an array with one object per photo: {\"path\", "
                                  "\"status\": \"indexed\"|\"rejected\"|\"missing\", \"width\", "
                                  "\"height\", \"reason\", \"reason_code\"}.")))
        return 0;
    noPositionals(p);
    PhotoQuery query;
    if (p.isSet(QStringLiteral("status"))) {
        query.status = photoStatusFromName(p.value(QStringLiteral("status")));
        if (!query.status)
            throw CliError(QStringLiteral("--status must be indexed, rejected or missing"),
                           kExitUsage);
    }
    if (p.isSet(QStringLiteral("under")))
        query.under = QFileInfo(p.value(QStringLiteral("under"))).absoluteFilePath();
    const auto library = openReadOnly(libraryDir(p), /*loadIndex=*/false);
    const QString model = library->modelIdentity();
    const bool json = p.isSet(kJson);
    // Streamed: a million photos must not be held in memory as one JSON document.
    bool first = true;
    if (json)
        std::fputs("[", stdout);
    library->catalog().forEachPhoto(query, [&](const PhotoRecord &r) {
        Reason reason = r.reason;
        if (r.status == PhotoStatus::Indexed && r.embeddingModel != model)
            reason = makeReason(reason::kStaleModel,
                                QStringLiteral("stale: embedded by another model; re-index it"));
        if (json) {
            const QJsonObject o{{QStringLiteral("path"), r.facts.path},
                                {QStringLiteral("status"), photoStatusName(r.status)},
                                {QStringLiteral("width"), r.facts.width},
                                {QStringLiteral("height"), r.facts.height},
                                {QStringLiteral("reason"), reason.text},
                                {QStringLiteral("reason_code"), reason.code}};
            const QByteArray bytes = QJsonDocument(o).toJson(QJsonDocument::Compact);
            std::fputs(first ? "\n" : ",\n", stdout);
            std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stdout);
        } else {
            printLine(QStringLiteral("%1 %2 %3%4")
                          .arg(photoStatusName(r.status), -8)
                          .arg(QStringLiteral("%1x%2").arg(r.facts.width).arg(r.facts.height), -11)
                          .arg(r.facts.path, reason.isEmpty()
                                                 ? QString()
                                                 : QStringLiteral("  (%1)").arg(reason.text)));
        }
        first = false;
    });
    if (json)
        std::fputs(first ? "]\n" : "\n]\n", stdout);
    std::fflush(stdout);
    return 0;
}

int runForget(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p); // cli_common.h
    p.addOption(kJson);
    if (!parseArgs(p, args,
                   QStringLiteral("Remove photos and their vectors from the library: a file "
                                  "path removes that photo, a folder every photo under it (and "
                                  "the folder itself, if it was added to the library). The "
                                  "files are not touched. Exit code 1 when an argument names "
                                  "nothing in the library.\nWith --json prints {\"forgotten\", "
                                  "\"folders\", \"unmatched\": [...]}."),
                   QStringLiteral("PATH...")))
        return 0;
    const QStringList paths = p.positionalArguments();
    if (paths.isEmpty())
        throw CliError(QStringLiteral("forget needs at least one PATH"), kExitUsage);
    const auto library = openForWriting(libraryDir(p));
    const ForgetResult r = library->forget(paths);
    if (p.isSet(kJson)) {
        printJson(QJsonDocument(
            QJsonObject{{QStringLiteral("forgotten"), qint64(r.photos)},
                        {QStringLiteral("folders"), r.roots},
                        {QStringLiteral("unmatched"), QJsonArray::fromStringList(r.unmatched)}}));
    } else {
        printLine(
            QStringLiteral("forgot %1 photos%2")
                .arg(r.photos)
                .arg(r.roots ? QStringLiteral(" and %1 library folders").arg(r.roots) : QString()));
    }
    for (const QString &u : r.unmatched)
        printErr(QStringLiteral("imago-cli forget: not in the library: %1").arg(u));
    return r.unmatched.isEmpty() ? 0 : kExitFailure;
}

int runRebuild(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p); // cli_common.h
    p.addOption(kJson);
    p.addOption({QStringLiteral("approximate-above"),
                 QStringLiteral("Build an approximate (IVF) index at or above N vectors "
                                "(default 1000000); exact below."),
                 QStringLiteral("N")});
    if (!parseArgs(p, args,
                   QStringLiteral("Rebuild the vector index from the embeddings in the catalog "
                                  "and save it.\nWith --json prints {\"vectors\", \"kind\", "
                                  "\"seconds\", \"generation\"} (+ \"nlist\", \"nprobe\", "
                                  "\"recall_at_10\" for ivf).")))
        return 0;
    noPositionals(p);
    LibraryOptions options;
    if (p.isSet(QStringLiteral("approximate-above"))) {
        bool ok = false;
        const qlonglong n = p.value(QStringLiteral("approximate-above")).toLongLong(&ok);
        if (!ok || n < 1)
            throw CliError(QStringLiteral("--approximate-above needs a positive number"),
                           kExitUsage);
        options.index.approximateThreshold = std::size_t(n);
    }
    // Open without loading: the file is about to be replaced, whatever state it is in.
    options.loadIndex = false;
    const auto library = openForWriting(libraryDir(p), options);
    const IndexBuildReport r = library->rebuild();
    const std::int64_t generation = library->status().generation;
    if (p.isSet(kJson)) {
        QJsonObject o{{QStringLiteral("vectors"), qint64(r.count)},
                      {QStringLiteral("kind"), QString::fromLatin1(indexKindName(r.kind))},
                      {QStringLiteral("seconds"), r.seconds},
                      {QStringLiteral("generation"), qint64(generation)}};
        if (r.kind == IndexKind::Ivf) {
            o.insert(QStringLiteral("nlist"), qint64(r.nlist));
            o.insert(QStringLiteral("nprobe"), qint64(r.nprobe));
            o.insert(QStringLiteral("recall_at_10"), r.recall);
        }
        printJson(QJsonDocument(o));
    } else {
        printLine(QStringLiteral("rebuilt the index from the catalog: %1 vectors, %2%3, in %4 s "
                                 "(generation %5)")
                      .arg(r.count)
                      .arg(QLatin1String(indexKindName(r.kind)))
                      .arg(r.kind == IndexKind::Ivf
                               ? QStringLiteral(" (nlist %1, nprobe %2, recall@10 %3)")
                                     .arg(r.nlist)
                                     .arg(r.nprobe)
                                     .arg(r.recall, 0, 'f', 3)
                               : QString())
                      .arg(r.seconds, 0, 'f', 2)
                      .arg(generation));
    }
    return 0;
}

int runVerify(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p); // cli_common.h
    p.addOption(kJson);
    if (!parseArgs(p, args,
                   QStringLiteral("Check a library: SQLite integrity, that every indexed photo "
                                  "has a current-model embedding of the right size, and that "
                                  "the saved index agrees with the catalog. Exit code 1 when "
                                  "anything is wrong.\nWith --json prints {\"ok\", "
                                  "\"problems\": [...]}.")))
        return 0;
    noPositionals(p);
    const auto library = openReadOnly(libraryDir(p), /*loadIndex=*/true);
    const QStringList problems = library->verify();
    // A bad index file this open rebuilt and saved is no longer a problem, but say so.
    const IndexStatus index = library->status().index;
    if (index.state == QLatin1String("rebuilt") && index.unsavedReason.isEmpty())
        printErr(QStringLiteral("note: the index file %1 was %2; it was rebuilt from the catalog "
                                "and saved")
                     .arg(library->indexFile(), index.detail));
    if (p.isSet(kJson)) {
        printJson(QJsonDocument(
            QJsonObject{{QStringLiteral("ok"), problems.isEmpty()},
                        {QStringLiteral("problems"), QJsonArray::fromStringList(problems)}}));
    } else if (problems.isEmpty()) {
        const LibraryStatus s = library->status();
        printLine(QStringLiteral("ok: %1 photos, %2 vectors in the index agree with the catalog")
                      .arg(s.counts.total())
                      .arg(s.index.size));
    } else {
        for (const QString &problem : problems)
            printLine(QStringLiteral("problem: %1").arg(problem));
    }
    return problems.isEmpty() ? 0 : kExitFailure;
}

int runRoots(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p); // cli_common.h
    p.addOption(kJson);
    if (!parseArgs(p, args,
                   QStringLiteral("List the library's folders (roots), or re-point one.\n"
                                  "  roots [--json]      prints [{\"id\", \"path\", \"online\", "
                                  "\"photos\"}]; a folder is offline when it is not there or "
                                  "its drive is not mounted (its photos are kept).\n"
                                  "  roots move OLD NEW  the folder OLD is now at NEW (a copied "
                                  "library, an archive mounted elsewhere): its photos keep their "
                                  "records and vectors, none is re-embedded, and a following "
                                  "`index NEW` finds them unchanged. With --json prints "
                                  "{\"old\", \"new\", \"photos\"}."),
                   QStringLiteral("[move OLD NEW]")))
        return 0;
    const QStringList pos = p.positionalArguments();
    if (pos.isEmpty()) {
        const auto library = openReadOnly(libraryDir(p), /*loadIndex=*/false);
        const LibraryStatus s = library->status();
        if (p.isSet(kJson)) {
            printJson(QJsonDocument(rootsJson(s.roots)));
        } else {
            for (const RootStatus &r : s.roots)
                printLine(QStringLiteral("%1  %2  %3 photos  %4")
                              .arg(r.id, 3)
                              .arg(r.online ? QStringLiteral("online ") : QStringLiteral("OFFLINE"))
                              .arg(r.photos, 7)
                              .arg(r.path));
        }
        return 0;
    }
    if (pos[0] != QLatin1String("move"))
        throw CliError(
            QStringLiteral("unknown roots command '%1' (roots, or roots move OLD NEW)").arg(pos[0]),
            kExitUsage);
    if (pos.size() != 3)
        throw CliError(QStringLiteral("roots move needs OLD and NEW"), kExitUsage);
    const auto library = openForWriting(libraryDir(p));
    int moved = 0;
    try {
        moved = library->moveRoot(pos[1], pos[2]);
    } catch (const std::exception &e) {
        throw CliError(QString::fromUtf8(e.what()));
    }
    const QString newPath = QDir::cleanPath(QFileInfo(pos[2]).absoluteFilePath());
    if (p.isSet(kJson))
        printJson(QJsonDocument(QJsonObject{{QStringLiteral("old"), QDir::cleanPath(pos[1])},
                                            {QStringLiteral("new"), newPath},
                                            {QStringLiteral("photos"), moved}}));
    else
        printLine(QStringLiteral("library folder %1 is now %2 (%3 photos; none re-embedded)")
                      .arg(QDir::cleanPath(pos[1]), newPath)
                      .arg(moved));
    return 0;
}

int runMerge(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p); // cli_common.h
    p.addOption(kJson);
    if (!parseArgs(p, args,
                   QStringLiteral(
                       "Merge libraries - the shards of `index --shard K/N`, or any libraries - "
                       "into the --library folder (new or existing): their folders, photo "
                       "records and vectors (bit for bit); the vector index is rebuilt from the "
                       "merged catalog. Refuses, before writing anything, libraries of another "
                       "model, shards of different N, the same shard twice, a library still "
                       "being written. One transaction: a merge killed at any point leaves the "
                       "library as it was or complete; running it again changes nothing.\nWith "
                       "--json prints {\"library\", \"added\", \"updated\", \"unchanged\", "
                       "\"roots_added\", \"vectors\", \"index_kind\", \"seconds\", "
                       "\"sources\": [{\"library\", \"shard\": {\"index\", \"count\"}|null, "
                       "\"photos\"}]}."),
                   QStringLiteral("LIBRARY...")))
        return 0;
    const QStringList sources = p.positionalArguments();
    if (sources.isEmpty())
        throw CliError(QStringLiteral("merge needs at least one library to merge"), kExitUsage);
    const QString dest = QDir::cleanPath(QFileInfo(libraryDir(p)).absoluteFilePath());
    // A new library is made beside its place and renamed into it when complete, so a merge
    // killed on the way leaves no half library where a complete one is expected.
    const bool fresh = !Library::exists(dest);
    if (fresh && QFileInfo(dest).isDir() && !QDir(dest).isEmpty())
        throw CliError(QStringLiteral("%1: the folder is not empty and holds no library; name a "
                                      "new or empty folder, or an existing library")
                           .arg(dest));
    const QString work = fresh
                             ? QStringLiteral("%1/.%2.merging-%3")
                                   .arg(QFileInfo(dest).absolutePath(), QFileInfo(dest).fileName())
                                   .arg(::getpid())
                             : dest;
    MergeReport r;
    try {
        LibraryOptions options;
        options.loadIndex = false; // replaced when anything changes: never read it
        Library library(work, options);
        r = library.merge(sources);
    } catch (const std::exception &e) {
        if (fresh)
            QDir(work).removeRecursively();
        throw CliError(QString::fromUtf8(e.what()));
    }
    if (fresh) {
        if (QFileInfo(dest).isDir())
            QDir(dest).removeRecursively(); // empty, checked above
        if (::rename(QFile::encodeName(work).constData(), QFile::encodeName(dest).constData()) != 0)
            throw CliError(QStringLiteral("%1: cannot move the merged library into place: %2 (it "
                                          "is complete in %3)")
                               .arg(dest, QString::fromLocal8Bit(std::strerror(errno)), work));
    }
    if (p.isSet(kJson)) {
        QJsonArray from;
        for (const MergeReport::Source &s : r.sources)
            from.append(QJsonObject{
                {QStringLiteral("library"), s.directory},
                {QStringLiteral("shard"), s.shard ? QJsonValue(shardJson(*s.shard)) : QJsonValue()},
                {QStringLiteral("photos"), qint64(s.photos)}});
        printJson(QJsonDocument(QJsonObject{
            {QStringLiteral("library"), dest},
            {QStringLiteral("added"), qint64(r.added)},
            {QStringLiteral("updated"), qint64(r.updated)},
            {QStringLiteral("unchanged"), qint64(r.unchanged)},
            {QStringLiteral("roots_added"), r.rootsAdded},
            {QStringLiteral("vectors"), qint64(r.index.count)},
            {QStringLiteral("index_kind"), QString::fromLatin1(indexKindName(r.index.kind))},
            {QStringLiteral("seconds"), r.seconds},
            {QStringLiteral("sources"), from}}));
    } else {
        printLine(QStringLiteral("merged %1 libraries into %2: %3 photos added, %4 updated, %5 "
                                 "unchanged; index %6, %7 vectors (%8 s)")
                      .arg(r.sources.size())
                      .arg(dest)
                      .arg(r.added)
                      .arg(r.updated)
                      .arg(r.unchanged)
                      .arg(QLatin1String(indexKindName(r.index.kind)))
                      .arg(r.index.count)
                      .arg(r.seconds, 0, 'f', 1));
    }
    return 0;
}

} // namespace imago::cli
