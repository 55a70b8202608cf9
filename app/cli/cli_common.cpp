#include "cli_common.h"

#include "library.h"
#include "model_session.h"
#include "model_store.h"
#include "preprocess.h"
#include "runtime.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTextStream>

#include <cstdio>

namespace imago::cli {

QJsonObject shardJson(const ShardSpec &spec)
{
    return QJsonObject{{QStringLiteral("index"), spec.index},
                       {QStringLiteral("count"), spec.count}};
}

void printJson(const QJsonDocument &doc)
{
    const QByteArray bytes = doc.toJson(QJsonDocument::Compact);
    std::fwrite(bytes.constData(), 1, bytes.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

QString formatDuration(double seconds)
{
    if (seconds < 0)
        return QStringLiteral("--:--");
    const qint64 s = qint64(seconds + 0.5);
    return s >= 3600 ? QStringLiteral("%1:%2:%3")
                           .arg(s / 3600)
                           .arg((s / 60) % 60, 2, 10, QLatin1Char('0'))
                           .arg(s % 60, 2, 10, QLatin1Char('0'))
                     : QStringLiteral("%1:%2")
                           .arg(s / 60, 2, 10, QLatin1Char('0'))
                           .arg(s % 60, 2, 10, QLatin1Char('0'));
}

void printLine(const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, bytes.size(), stdout);
    std::fputc('\n', stdout);
}

namespace {

flava::Precision precisionOption(const QCommandLineParser &parser, const QString &name,
                                 flava::Precision fallback)
{
    if (!parser.isSet(name))
        return fallback;
    const QString value = parser.value(name);
    if (value == QLatin1String("auto"))
        return flava::bestCpuPrecision(); // runtime.h: by what this CPU runs fastest
    for (const auto p :
         {flava::Precision::Float32, flava::Precision::BFloat16, flava::Precision::Int8})
        if (value == QString::fromStdString(flava::precisionName(p)))
            return p;
    throw CliError(QStringLiteral("--%1 must be auto, fp32, bf16 or int8").arg(name), kExitUsage);
}

} // namespace

std::shared_ptr<const ModelSession> openModel(const QString &dirArg,
                                              const QCommandLineParser &parser, bool needWeights,
                                              flava::Precision queryPrecision, bool exactImages)
{
    QString dir = dirArg;
    if (dir.isEmpty())
        dir = qEnvironmentVariable("IMAGO_MODEL");
    if (dir.isEmpty())
        dir = ModelStore::activeModelDir();
    if (dir.isEmpty())
        throw CliError(QStringLiteral("no model folder: pass --model DIR, set IMAGO_MODEL or run "
                                      "'imago-cli model download'"),
                       kExitUsage);
    ModelSessionOptions options;
    options.loadWeights = needWeights;
    options.model.threads = threadsOption(parser);
    const QString device = parser.isSet(QStringLiteral("device"))
                               ? parser.value(QStringLiteral("device"))
                               : QStringLiteral("auto");
    if (device == QLatin1String("cpu"))
        options.model.device = flava::Device::Cpu;
    else if (device == QLatin1String("cuda"))
        options.model.device = flava::Device::Cuda;
    else if (device != QLatin1String("auto"))
        throw CliError(QStringLiteral("--device must be cpu, cuda or auto"), kExitUsage);
    options.model.precision =
        precisionOption(parser, QStringLiteral("precision"),
                        exactImages ? flava::Precision::Float32 : flava::bestCpuPrecision());
    options.model.textPrecision =
        precisionOption(parser, QStringLiteral("query-precision"), queryPrecision);
    options.model.cacheDir = QFile::encodeName(ModelStore::defaultCacheDir()).toStdString();
    try {
        return ModelSession::open(dir, options);
    } catch (const std::exception &e) {
        throw CliError(QString::fromUtf8(e.what()));
    }
}

std::vector<float> preprocessImage(const QString &path, const PreprocessConfig &cfg, bool fast)
{
    std::vector<float> chw(std::size_t(3) * cfg.size * cfg.size);
    const PreprocessOutcome r = preprocessImageFile(path, cfg, fast, chw.data());
    if (!r.ok())
        throw CliError(QStringLiteral("%1: %2").arg(path, r.error));
    return chw;
}

} // namespace imago::cli

namespace imago::cli {

bool parseArgs(QCommandLineParser &parser, const QStringList &args, const QString &description,
               const QString &positionalSyntax)
{
    parser.setApplicationDescription(description);
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    parser.addOption(help);
    if (!positionalSyntax.isEmpty())
        parser.addPositionalArgument(QStringLiteral("args"), QString(), positionalSyntax);
    if (!parser.parse(args))
        throw CliError(parser.errorText(), kExitUsage);
    if (parser.isSet(help)) {
        // Qt names the program by its path; the verb line ("imago-cli search") says more.
        QString text = parser.helpText();
        text.replace(QRegularExpression(QStringLiteral("^Usage: \\S+")),
                     QStringLiteral("Usage: ") + args.value(0));
        printLine(text);
        return false;
    }
    return true;
}

void addModelOptions(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("model"),
                      QStringLiteral("Model folder (Hugging Face layout of facebook/flava-full). "
                                     "Default: $IMAGO_MODEL."),
                      QStringLiteral("DIR")});
    parser.addOption({QStringLiteral("threads"),
                      QStringLiteral("CPU threads for the model (default: the idle cores)."),
                      QStringLiteral("N")});
    parser.addOption({QStringLiteral("device"),
                      QStringLiteral("cpu, cuda or auto (default: CUDA when available)."),
                      QStringLiteral("DEV")});
    parser.addOption({QStringLiteral("precision"),
                      QStringLiteral("The image and ITM encoders': auto (default for index, "
                                     "search and similar: bf16 on CPUs with AMX or AVX512_BF16, "
                                     "int8 with VNNI, else fp32), fp32 (default for embed and "
                                     "match: exact), bf16 or int8."),
                      QStringLiteral("P")});
    parser.addOption({QStringLiteral("query-precision"),
                      QStringLiteral("The text encoder's: int8 (default for search and similar: "
                                     "~3x faster queries, same retrieval figures) or fp32 "
                                     "(default for embed and match: exact)."),
                      QStringLiteral("P")});
}

int threadsOption(const QCommandLineParser &parser)
{
    if (!parser.isSet(QStringLiteral("threads")))
        return 0;
    bool ok = false;
    const int n = parser.value(QStringLiteral("threads")).toInt(&ok);
    if (!ok || n < 1 || n > 1024)
        throw CliError(QStringLiteral("--threads needs a number from 1 to 1024"), kExitUsage);
    return n;
}

void addLibraryOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("library"),
                      QStringLiteral("Library folder (default: $IMAGO_LIBRARY, else the per-user "
                                     "data folder)."),
                      QStringLiteral("DIR")});
}

QString libraryDir(const QCommandLineParser &parser)
{
    return Library::defaultDirectory(parser.value(QStringLiteral("library")));
}

std::unique_ptr<Library> openReadOnly(const QString &dir, bool loadIndex)
{
    if (!Library::exists(dir))
        throw CliError(QStringLiteral("no library at %1 (pass --library DIR or set "
                                      "IMAGO_LIBRARY)")
                           .arg(dir));
    LibraryOptions options;
    options.readOnly = true;
    options.loadIndex = loadIndex;
    return std::make_unique<Library>(dir, options);
}

} // namespace imago::cli
