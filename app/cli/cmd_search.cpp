// imago-cli search / similar: ranked photos for a query or a photo.
#include "cli_common.h"

#include "calibration_set.h"
#include "library.h"
#include "match_explainer.h"
#include "model_session.h"
#include "search_engine.h"

#include <QDir>
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
    p.addOption({QStringLiteral("format"),
                 QStringLiteral("Only this format (repeatable): jpeg, "
                                "png, heic, ..."),
                 QStringLiteral("FMT")});
    p.addOption({QStringLiteral("sort"), QStringLiteral("relevance (default) or date."),
                 QStringLiteral("ORDER")});
    p.addOption({QStringLiteral("confident"),
                 QStringLiteral("Only the confident matches: reranked results the calibrated "
                                "ITM head vouches for, and photos whose name, folders or "
                                "keywords hold the words (needs --rerank > 0).")});
    p.addOption({QStringLiteral("no-text"),
                 QStringLiteral("Do not look the words up in names, folders and keywords.")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
}

int intOption(const QCommandLineParser &p, const QString &name, int fallback, int lo, int hi)
{
    if (!p.isSet(name))
        return fallback;
    bool ok = false;
    const int v = p.value(name).toInt(&ok);
    if (!ok || v < lo || v > hi)
        throw CliError(
            QStringLiteral("--%1 needs a number from %2 to %3").arg(name).arg(lo).arg(hi),
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
            throw CliError(QStringLiteral("--%1 needs a date like 2024-07-31").arg(name),
                           kExitUsage);
        return QDateTime(day, endOfDay ? QTime(23, 59, 59, 999) : QTime(0, 0));
    };
    o.capturedFrom = date(QStringLiteral("from"), false);
    o.capturedTo = date(QStringLiteral("to"), true);
    o.formats = p.values(QStringLiteral("format"));
    o.confidentOnly = p.isSet(QStringLiteral("confident"));
    if (o.confidentOnly && o.rerank == 0)
        throw CliError(QStringLiteral("--confident needs the ITM rerank (--rerank 1 or more)"),
                       kExitUsage);
    o.textSearch = !p.isSet(QStringLiteral("no-text"));
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
                {QStringLiteral("rank_before_rerank"), s.rankBeforeRerank},
                {QStringLiteral("text_match"), s.textMatch},
                {QStringLiteral("confident"), s.confident}});
        QJsonObject out{{QStringLiteral("query"), r.query},
                        {QStringLiteral("warnings"), QJsonArray::fromStringList(r.warnings)},
                        {QStringLiteral("confident_count"), r.confidentCount},
                        {QStringLiteral("results"), results}};
        if (!r.translatedQuery.isEmpty())
            out.insert(QStringLiteral("translated_query"), r.translatedQuery);
        printJson(QJsonDocument(out));
        return;
    }
    for (const auto &w : r.warnings)
        std::fprintf(stderr, "warning: %s\n", qPrintable(w));
    if (!r.translatedQuery.isEmpty())
        std::fprintf(stderr, "searched for: %s\n", qPrintable(r.translatedQuery));
    int rank = 0;
    for (const auto &s : r.results) {
        if (rank == r.confidentCount && rank > 0)
            printLine(QStringLiteral("-- %1 good %2 above; the rest below --")
                          .arg(r.confidentCount)
                          .arg(r.confidentCount == 1 ? QStringLiteral("match")
                                                     : QStringLiteral("matches")));
        printLine(QStringLiteral("%1. %2  score %3%4%5")
                      .arg(++rank, 3)
                      .arg(s.path)
                      .arg(s.score, 0, 'f', 4)
                      .arg(s.matchProbability
                               ? QStringLiteral("  match %1").arg(*s.matchProbability, 0, 'f', 3)
                               : QString())
                      .arg(s.textMatch ? QStringLiteral("  [text]") : QString()));
    }
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
        throw CliError(
            QStringLiteral("no library at %1 (index a folder first, or pass --library)").arg(dir));
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
                   QStringLiteral(
                       "Find photos by what is in them, and by their names, folders and "
                       "keywords.\nQuery syntax: words (English; a Chinese query is translated "
                       "first), \"a quoted term\" (only photos whose name, folders or keywords "
                       "hold it), -word and -\"two words\" (leave out photos the ITM head finds "
                       "matching them).\nConfident matches come first.\nWith --json prints "
                       "{\"query\", \"translated_query\" (only when translated), \"warnings\": "
                       "[...], \"confident_count\", \"results\": [{\"path\", \"score\", "
                       "\"match_probability\" (null when not reranked), \"rank_before_rerank\", "
                       "\"text_match\", \"confident\"}]}."),
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

int runCalibrate(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p);
    addModelOptions(p);
    p.addOption({QStringLiteral("rerank"),
                 QStringLiteral("Results per query the ITM head rescores (default 20)."),
                 QStringLiteral("R")});
    p.addOption({QStringLiteral("output"),
                 QStringLiteral("Where to write the calibration (default: the model folder's "
                                "imago-match-calibration.json, which search then uses)."),
                 QStringLiteral("FILE")});
    p.addOption({QStringLiteral("dry-run"), QStringLiteral("Fit and report; write nothing.")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    if (!parseArgs(
            p, args,
            QStringLiteral(
                "Fit the cut-off between confident matches and the rest (Platt scaling of the "
                "ITM head's logit margin) on queries whose relevant photos are known. The "
                "library must hold the evaluation images; QUERIES is JSON Lines, one {\"text\", "
                "\"relevant\": [file names]} per line (as flava-toy's eval/queries.jsonl).\n"
                "With --json prints {\"queries\", \"samples\", \"relevant\", \"scale\", "
                "\"bias\", \"file\" (null with --dry-run), \"fitted\": {\"precision\", "
                "\"recall\", \"confident\"}, \"uncalibrated\": {the same, for p >= 0.5}}."),
            QStringLiteral("QUERIES")))
        return 0;
    if (p.positionalArguments().size() != 1)
        throw CliError(QStringLiteral("give one queries file"), kExitUsage);
    const int rerank = intOption(p, QStringLiteral("rerank"), 20, 1, 1000);
    std::vector<EvaluationQuery> queries;
    try {
        queries = readEvaluationQueries(p.positionalArguments()[0]);
    } catch (const std::runtime_error &e) {
        throw CliError(QString::fromUtf8(e.what()));
    }
    const Opened o = open(p);
    SearchEngineOptions eo;
    eo.calibration = MatchCalibration(); // margins are the head's own whatever is installed
    const SearchEngine engine(o.model, *o.library, eo);
    const CalibrationSamples samples = collectSamples(engine, queries, rerank);
    const auto positives = std::count(samples.relevant.begin(), samples.relevant.end(), true);
    if (positives == 0 || positives == qsizetype(samples.relevant.size()))
        throw CliError(QStringLiteral("%1 reranked results, %2 of them relevant: a fit needs "
                                      "both kinds (does the library hold the queries' images?)")
                           .arg(samples.relevant.size())
                           .arg(positives));
    const MatchCalibration fitted = MatchCalibration::fit(samples.margins, samples.relevant);
    const CutoffQuality good = cutoffQuality(samples, fitted);
    const CutoffQuality raw = cutoffQuality(samples, MatchCalibration());
    QString file;
    if (!p.isSet(QStringLiteral("dry-run"))) {
        file = p.isSet(QStringLiteral("output"))
                   ? QFileInfo(p.value(QStringLiteral("output"))).absoluteFilePath()
                   : QDir(o.model->directory()).filePath(MatchCalibration::fileName());
        QString error;
        const QString details =
            QStringLiteral("%1 (%2 queries, %3 reranked results, %4 relevant; model %5)")
                .arg(QFileInfo(p.positionalArguments()[0]).absoluteFilePath())
                .arg(samples.queries)
                .arg(samples.margins.size())
                .arg(positives)
                .arg(o.model->identity());
        if (!fitted.save(file, details, &error))
            throw CliError(error);
    }
    const auto quality = [](const CutoffQuality &q) {
        return QJsonObject{{QStringLiteral("precision"), q.precision},
                           {QStringLiteral("recall"), q.recall},
                           {QStringLiteral("confident"), q.confident}};
    };
    if (p.isSet(QStringLiteral("json"))) {
        printJson(QJsonDocument(
            QJsonObject{{QStringLiteral("queries"), samples.queries},
                        {QStringLiteral("samples"), qint64(samples.margins.size())},
                        {QStringLiteral("relevant"), qint64(positives)},
                        {QStringLiteral("scale"), fitted.scale},
                        {QStringLiteral("bias"), fitted.bias},
                        {QStringLiteral("file"), file.isEmpty() ? QJsonValue() : QJsonValue(file)},
                        {QStringLiteral("fitted"), quality(good)},
                        {QStringLiteral("uncalibrated"), quality(raw)}}));
        return 0;
    }
    printLine(QStringLiteral("%1 queries, %2 reranked results, %3 relevant")
                  .arg(samples.queries)
                  .arg(samples.margins.size())
                  .arg(positives));
    printLine(QStringLiteral("P(relevant) = sigmoid(%1 * margin + %2)")
                  .arg(fitted.scale, 0, 'f', 4)
                  .arg(fitted.bias, 0, 'f', 4));
    printLine(QStringLiteral("calibrated cut-off: %1 confident, precision %2, recall %3")
                  .arg(good.confident)
                  .arg(good.precision, 0, 'f', 3)
                  .arg(good.recall, 0, 'f', 3));
    printLine(QStringLiteral("uncalibrated (p >= 0.5): %1 confident, precision %2, recall %3")
                  .arg(raw.confident)
                  .arg(raw.precision, 0, 'f', 3)
                  .arg(raw.recall, 0, 'f', 3));
    if (!file.isEmpty())
        printLine(QStringLiteral("written to %1").arg(file));
    return 0;
}

int runExplain(const QStringList &args)
{
    QCommandLineParser p;
    addModelOptions(p);
    p.addOption({QStringLiteral("grid"),
                 QStringLiteral("Cells per side (default 4; 1-16): each is blanked in turn."),
                 QStringLiteral("N")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    if (!parseArgs(
            p, args,
            QStringLiteral("Show which parts of PHOTO make it match TEXT: each cell of a grid over "
                           "the photo is blanked in turn and the ITM head's match probability "
                           "measured again; a cell's number is how much the probability drops "
                           "without it.\nWith --json prints {\"rows\", \"cols\", \"grid\": "
                           "[[...] per row, top to bottom], \"match_probability\", \"photo\", "
                           "\"text\", \"translated_text\" (only when translated), \"warnings\"}."),
            QStringLiteral("PHOTO TEXT")))
        return 0;
    if (p.positionalArguments().size() != 2)
        throw CliError(QStringLiteral("give a photo and a text (quote it)"), kExitUsage);
    const int grid = intOption(p, QStringLiteral("grid"), 4, 1, 16);
    const QString photo = QFileInfo(p.positionalArguments()[0]).absoluteFilePath();
    const QString text = p.positionalArguments()[1];
    if (!QFileInfo(photo).isFile())
        throw CliError(QStringLiteral("%1: no such file").arg(photo));
    const auto model = openModel(p.value(QStringLiteral("model")), p);
    MatchExplanation e;
    try {
        e = explainMatch(*model, photo, text, grid, grid);
    } catch (const std::exception &ex) {
        throw CliError(QString::fromUtf8(ex.what()));
    }
    if (p.isSet(QStringLiteral("json"))) {
        QJsonArray rows;
        for (int r = 0; r < e.rows; ++r) {
            QJsonArray row;
            for (int c = 0; c < e.cols; ++c)
                row.append(double(e.at(r, c)));
            rows.append(row);
        }
        QJsonObject out{{QStringLiteral("rows"), e.rows},
                        {QStringLiteral("cols"), e.cols},
                        {QStringLiteral("grid"), rows},
                        {QStringLiteral("match_probability"), double(e.matchProbability)},
                        {QStringLiteral("photo"), photo},
                        {QStringLiteral("text"), text},
                        {QStringLiteral("warnings"), QJsonArray::fromStringList(e.warnings)}};
        if (!e.translatedText.isEmpty())
            out.insert(QStringLiteral("translated_text"), e.translatedText);
        printJson(QJsonDocument(out));
        return 0;
    }
    for (const auto &w : e.warnings)
        std::fprintf(stderr, "warning: %s\n", qPrintable(w));
    if (!e.translatedText.isEmpty())
        std::fprintf(stderr, "explained: %s\n", qPrintable(e.translatedText));
    printLine(QStringLiteral("match probability %1; drop without each cell:")
                  .arg(e.matchProbability, 0, 'f', 3));
    for (int r = 0; r < e.rows; ++r) {
        QString line;
        for (int c = 0; c < e.cols; ++c)
            line += QStringLiteral("%1").arg(e.at(r, c), 8, 'f', 3);
        printLine(line);
    }
    return 0;
}

} // namespace imago::cli
