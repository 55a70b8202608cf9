// imago-cli duplicates: groups of photos that are the same picture (duplicate_finder.h).
#include "cli_common.h"

#include "duplicate_finder.h"
#include "library.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>

namespace imago::cli {

int runDuplicates(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p);
    p.addOption({QStringLiteral("min-cosine"),
                 QStringLiteral("Candidates: image vectors at least this similar (default 0.90)."),
                 QStringLiteral("C")});
    p.addOption({QStringLiteral("neighbours"), QStringLiteral("Candidates per photo (default 8)."),
                 QStringLiteral("K")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    if (!parseArgs(p, args,
                   QStringLiteral(
                       "Find photos that are the same picture: exact copies (the same bytes) "
                       "and near copies (resized, recompressed, re-saved, slightly cropped or "
                       "edited), never merely similar scenes: the image vectors propose "
                       "candidates, a perceptual hash of the pixels confirms each pair. Deletes "
                       "nothing.\nWith --json prints {\"groups\": [{\"kind\": \"exact\"|\"near\", "
                       "\"photos\": [paths]}], \"candidate_pairs\", \"confirmed_pairs\", "
                       "\"unreadable\": [paths]}."),
                   QString()))
        return 0;
    if (!p.positionalArguments().isEmpty())
        throw CliError(QStringLiteral("unexpected argument '%1'").arg(p.positionalArguments()[0]),
                       kExitUsage);
    DuplicateOptions o;
    if (p.isSet(QStringLiteral("min-cosine"))) {
        bool ok = false;
        o.minCosine = p.value(QStringLiteral("min-cosine")).toFloat(&ok);
        if (!ok || o.minCosine < 0 || o.minCosine > 1)
            throw CliError(QStringLiteral("--min-cosine needs a number from 0 to 1"), kExitUsage);
    }
    if (p.isSet(QStringLiteral("neighbours"))) {
        bool ok = false;
        o.neighbours = p.value(QStringLiteral("neighbours")).toInt(&ok);
        if (!ok || o.neighbours < 1 || o.neighbours > 100)
            throw CliError(QStringLiteral("--neighbours needs a number from 1 to 100"), kExitUsage);
    }
    const auto library = openReadOnly(libraryDir(p), /*loadIndex=*/true);
    const DuplicateReport r = findDuplicates(*library, o);
    const auto kind = [](const DuplicateGroup &g) {
        return g.kind == DuplicateGroup::Kind::Exact ? QStringLiteral("exact")
                                                     : QStringLiteral("near");
    };
    if (p.isSet(QStringLiteral("json"))) {
        QJsonArray groups;
        for (const DuplicateGroup &g : r.groups) {
            QJsonArray photos;
            for (const QString &path : g.paths)
                photos.append(path);
            groups.append(
                QJsonObject{{QStringLiteral("kind"), kind(g)}, {QStringLiteral("photos"), photos}});
        }
        printJson(QJsonDocument(
            QJsonObject{{QStringLiteral("groups"), groups},
                        {QStringLiteral("candidate_pairs"), r.candidatePairs},
                        {QStringLiteral("confirmed_pairs"), r.confirmedPairs},
                        {QStringLiteral("unreadable"), QJsonArray::fromStringList(r.unreadable)}}));
        return 0;
    }
    for (const QString &path : r.unreadable)
        std::fprintf(stderr, "warning: %s: could not be read, left out\n", qPrintable(path));
    int n = 0;
    for (const DuplicateGroup &g : r.groups) {
        printLine(
            QStringLiteral("group %1 (%2, %3 photos)").arg(++n).arg(kind(g)).arg(g.paths.size()));
        for (const QString &path : g.paths)
            printLine(QStringLiteral("  %1").arg(path));
    }
    printLine(n ? QStringLiteral("%1 groups").arg(n) : QStringLiteral("no duplicates"));
    return 0;
}

} // namespace imago::cli
