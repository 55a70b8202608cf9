// cli_common.h - what every imago-cli verb shares: the verb table, errors with exit codes,
// JSON output, and loading a model folder with its tokenizer and preprocessing settings.
#pragma once

#include "flava_model.h"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <stdexcept>
#include <vector>

namespace imago {

class Library;
class ModelSession;
struct ShardSpec;
struct PreprocessConfig;

namespace cli {

// Exit codes: 0 success, 1 the work failed (bad file, model error), 2 the command line is wrong.
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// A failure to report on stderr and turn into an exit code.
struct CliError : std::runtime_error
{
    CliError(const QString &message, int code = kExitFailure)
        : std::runtime_error(message.toStdString()), exitCode(code)
    {
    }
    int exitCode;
};

struct Verb
{
    const char *name;
    const char *summary;
    int (*run)(const QStringList &args); // args[0] is "imago-cli <verb>"
};
const std::vector<Verb> &verbs();

// The verbs, grouped by file.
int runEmbed(const QStringList &args);
int runMatch(const QStringList &args);
int runTokenize(const QStringList &args);
int runBench(const QStringList &args);     // in imago-bench (bench/cmd_bench.cpp)
int runBenchTool(const QStringList &args); // imago-cli's bench verb: runs imago-bench
// cmd_search.cpp
int runSearch(const QStringList &args);
int runSimilar(const QStringList &args);
int runCalibrate(const QStringList &args);
int runExplain(const QStringList &args);
// cmd_duplicates.cpp
int runDuplicates(const QStringList &args);
// cmd_index.cpp
int runIndex(const QStringList &args);
// cmd_library.cpp
int runStatus(const QStringList &args);
int runList(const QStringList &args);
int runForget(const QStringList &args);
int runRebuild(const QStringList &args);
int runVerify(const QStringList &args);
int runRoots(const QStringList &args);
int runMerge(const QStringList &args);
// cmd_probe.cpp
int runProbe(const QStringList &args);
// cmd_modelstore.cpp: model download|import|status
int runModel(const QStringList &args);

void printJson(const QJsonDocument &doc);
// {"index", "count"}: the shard of a sharded run, as index, status and merge print it.
QJsonObject shardJson(const ShardSpec &spec);
void printLine(const QString &text);
// "mm:ss" or "h:mm:ss"; "--:--" for a negative (unknown) duration.
QString formatDuration(double seconds);

// Opens a model folder (`dir` empty: $IMAGO_MODEL). Throws CliError naming the folder and the
// problem.
// The image and ITM encoders run as --precision says; without it, at the precision this CPU
// runs fastest within the quality gates (`auto`, runtime.h bestCpuPrecision) or, with
// exactImages, in fp32 (the reference's arithmetic: embed, match). The text encoder runs in
// `queryPrecision` unless --query-precision says otherwise (see the README's performance
// section for measured quality).
std::shared_ptr<const ModelSession>
openModel(const QString &dir, const QCommandLineParser &parser, bool needWeights = true,
          flava::Precision queryPrecision = flava::Precision::Int8, bool exactImages = false);

// Decodes and preprocesses one image file into CHW floats for the model. Throws CliError
// naming the file and the reason.
std::vector<float> preprocessImage(const QString &path, const PreprocessConfig &cfg, bool fast);

} // namespace cli
} // namespace imago

namespace imago::cli {

// Adds --help, parses, and turns parse errors into usage errors. Returns false when --help was
// printed (the verb should return 0).
bool parseArgs(QCommandLineParser &parser, const QStringList &args, const QString &description,
               const QString &positionalSyntax = {});
// --model DIR, --threads N, --device, --precision, --query-precision: the options every
// model-using verb takes.
void addModelOptions(QCommandLineParser &parser);
int threadsOption(const QCommandLineParser &parser);
// --library DIR (default $IMAGO_LIBRARY, else the per-user data folder) and its value.
void addLibraryOption(QCommandLineParser &parser);
QString libraryDir(const QCommandLineParser &parser);
// A library the verb only reads: never created, opened beside a writer (the app, an indexer).
// Throws CliError when there is none at `dir`.
std::unique_ptr<Library> openReadOnly(const QString &dir, bool loadIndex);

} // namespace imago::cli
