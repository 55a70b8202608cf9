// imago-cli search / similar: ranked photos for a query or a photo.
#include "cli_common.h"

#include "library.h"
#include "model_session.h"
#include "search_engine.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>

namespace imago::cli {

namespace {

void addSearchOptions(QCommandLineParser &p)
{
    addLibraryOption(p);
    addModelOptions(p);
    p.addOption({QStringLiteral("top"), QStringLiteral("Results to return (default 20)."),
                 QStringLiteral("N")});
    p.addOption({QStringLiteral("rerank"),
                 QStringLiteral("How many of the first results the ITM head rescores (default "
                                "20; 0 = vector order only)."),
                 QStringLiteral("R")});
    p.addOption({QStringLiteral("min-prob"),
                 QStringLiteral("Only reranked results at least this likely to match (0-1)."),
                 QStringLiteral("P")});
    p.addOption({QStringLiteral("under"), QStringLiteral("Only photos below this folder."),
                 QStringLiteral("DIR")});
    p.addOption({QStringLiteral("from"), QStringLiteral("Captured on or after (YYYY-MM-DD)."),
                 QStringLiteral("DATE")});
    p.addOption({QStringLiteral("to"), QStringLiteral("Captured on or before (YYYY-MM-DD)."),
                 QStringLiteral("DATE")});
    p.addOption({QStringLiteral("format"), QStringLiteral("Only this format (repeatable): jpeg, "
                                                          "png, heic, ..."),
                 QStringLiteral("FMT")});
    p.addOption({QStringLiteral("sort"), QStringLiteral("relevance (default) or date."),
                 QStringLiteral("ORDER")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
}

int intOption(const QCommandLineParser &p, const QString &name, int fallback, int lo, int hi)
{
    if (!p.isSet(name))
        return fallback;
    bool ok = false;
    const int v = p.value(name).toInt(&ok);
    if (!ok || v < lo || v > hi)
        throw CliError(QStringLiteral("--%1 needs a number from %2 to %3").arg(name).arg(lo).arg(hi),
                       kExitUsage);
    return v;
}

SearchOptions searchOptions(const QCommandLineParser &p)
{
    SearchOptions o;
    o.top = intOption(p, QStringLiteral("top"), 20, 1, 10000);
    o.rerank = intOption(p, QStringLiteral("rerank"), 20, 0, 1000);
    if (p.isSet(QStringLiteral("min-prob"))) {
        bool ok = false;
        o.minProbability = p.value(QStringLiteral("min-prob")).toDouble(&ok);
        if (!ok || o.minProbability < 0 || o.minProbability > 1)
            throw CliError(QStringLiteral("--min-prob needs a number from 0 to 1"), kExitUsage);
    }
    if (p.isSet(QStringLiteral("under")))
        o.under = QFileInfo(p.value(QStringLiteral("under"))).absoluteFilePath();
    auto date = [&](const QString &name, bool endOfDay) {
        if (!p.isSet(name))
            return QDateTime();
        const QDate day = QDate::fromString(p.value(name), Qt::ISODate);
        if (!day.isValid())
            throw CliError(QStringLiteral("--%1 needs a date like 2024-07-31").arg(name), kExitUsage);
        return QDateTime(day, endOfDay ? QTime(23, 59, 59, 999) : QTime(0, 0));
    };
    o.capturedFrom = date(QStringLiteral("from"), false);
    o.capturedTo = date(QStringLiteral("to"), true);
    o.formats = p.values(QStringLiteral("format"));
    const QString sort = p.value(QStringLiteral("sort"));
    if (sort == QLatin1String("date"))
        o.sort = SearchOptions::Sort::DateNewestFirst;
    else if (!sort.isEmpty() && sort != QLatin1String("relevance"))
        throw CliError(QStringLiteral("--sort must be relevance or date"), kExitUsage);
    return o;
}

void print(const SearchResponse &r, bool json)
{
    if (json) {
        QJsonArray results;
        for (const auto &s : r.results)
            results.append(QJsonObject{
                {QStringLiteral("path"), s.path},
                {QStringLiteral("score"), double(s.score)},
                {QStringLiteral("match_probability"),
                 s.matchProbability ? QJsonValue(double(*s.matchProbability)) : QJsonValue()},
                {QStringLiteral("rank_before_rerank"), s.rankBeforeRerank}});
        printJson(QJsonDocument(QJsonObject{{QStringLiteral("query"), r.query},
                                            {QStringLiteral("warnings"),
                                             QJsonArray::fromStringList(r.warnings)},
                                            {QStringLiteral("results"), results}}));
        return;
    }
    for (const auto &w : r.warnings)
        std::fprintf(stderr, "warning: %s\n", qPrintable(w));
    int rank = 0;
    for (const auto &s : r.results)
        printLine(QStringLiteral("%1. %2  score %3%4")
                      .arg(++rank, 3)
                      .arg(s.path)
                      .arg(s.score, 0, 'f', 4)
                      .arg(s.matchProbability
                               ? QStringLiteral("  match %1").arg(*s.matchProbability, 0, 'f', 3)
                               : QString()));
    if (r.results.empty())
        printLine(QStringLiteral("no results"));
}

struct Opened
{
    std::shared_ptr<const ModelSession> model;
    std::unique_ptr<Library> library;
};

Opened open(const QCommandLineParser &p)
{
    Opened o;
    o.model = openModel(p.value(QStringLiteral("model")), p);
    const QString dir = libraryDir(p);
    if (!Library::exists(dir))
        throw CliError(QStringLiteral("no library at %1 (index a folder first, or pass --library)")
                           .arg(dir));
    LibraryOptions options;
    options.modelIdentity = o.model->identity();
    options.readOnly = true; // searching runs beside an indexer
    try {
        o.library = std::make_unique<Library>(dir, options);
    } catch (const std::exception &e) {
        throw CliError(QString::fromUtf8(e.what()));
    }
    return o;
}

} // namespace

int runSearch(const QStringList &args)
{
    QCommandLineParser p;
    addSearchOptions(p);
    if (!parseArgs(p, args,
                   QStringLiteral("Find photos by what is in them. \"beach -people\" leaves out "
                                  "photos the ITM head finds matching \"people\".\nWith --json "
                                  "prints {\"query\", \"warnings\": [...], \"results\": [{\"path\", "
                                  "\"score\", \"match_probability\" (null when not reranked), "
                                  "\"rank_before_rerank\"}]}."),
                   QStringLiteral("QUERY")))
        return 0;
    if (p.positionalArguments().size() != 1)
        throw CliError(QStringLiteral("give one query (quote it)"), kExitUsage);
    const SearchOptions options = searchOptions(p);
    const Opened o = open(p);
    const SearchEngine engine(o.model, *o.library);
    print(engine.search(p.positionalArguments()[0], options), p.isSet(QStringLiteral("json")));
    return 0;
}

int runSimilar(const QStringList &args)
{
    QCommandLineParser p;
    addSearchOptions(p);
    p.addOption({QStringLiteral("text"), QStringLiteral("Steer the search with words too."),
                 QStringLiteral("STR")});
    if (!parseArgs(p, args,
                   QStringLiteral("Find photos like an indexed photo (optionally plus words). "
                                  "Same output as search."),
                   QStringLiteral("PHOTO")))
        return 0;
    if (p.positionalArguments().size() != 1)
        throw CliError(QStringLiteral("give one photo path"), kExitUsage);
    const SearchOptions options = searchOptions(p);
    const Opened o = open(p);
    const SearchEngine engine(o.model, *o.library);
    const QString photo = QFileInfo(p.positionalArguments()[0]).absoluteFilePath();
    try {
        print(engine.similar(photo, p.value(QStringLiteral("text")), options),
              p.isSet(QStringLiteral("json")));
    } catch (const std::runtime_error &e) {
        throw CliError(QString::fromUtf8(e.what()));
    }
    return 0;
}

} // namespace imago::cli
