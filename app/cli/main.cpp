// imago-cli: index, search and inspect a photo library from scripts and servers.
#include "cli_common.h"
#include "imago_version.h"
#include "runtime.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <unistd.h>
#include <vector>

using namespace imago::cli;

namespace imago::cli {

#ifdef IMAGO_HAVE_BENCH
// The bench verb runs imago-bench (bench/), which links LibTorch and the benchmarks: neither
// belongs in imago-cli. It lies beside imago-cli in the build tree and in lib/imago/ as
// installed; $IMAGO_BENCH names another.
int runBenchTool(const QStringList &args)
{
    QString tool = qEnvironmentVariable("IMAGO_BENCH");
    const QString here = QCoreApplication::applicationDirPath();
    for (const QString &place : {here + QStringLiteral("/imago-bench"),
                                 here + QStringLiteral("/../lib/imago/imago-bench")})
        if (tool.isEmpty() && QFileInfo(place).isExecutable())
            tool = place;
    if (tool.isEmpty())
        throw CliError(QStringLiteral("the benchmarks are not installed (imago-bench was not "
                                      "found beside imago-cli or in %1/../lib/imago)")
                           .arg(here));
    const QByteArray program = QFile::encodeName(tool);
    std::vector<QByteArray> words{program};
    for (const QString &a : args.mid(1))
        words.push_back(a.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &w : words)
        argv.push_back(w.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    ::execv(program.constData(), argv.data());
    throw CliError(QStringLiteral("cannot run %1: %2")
                       .arg(tool, QString::fromLocal8Bit(std::strerror(errno))));
}
#endif

const std::vector<Verb> &verbs()
{
    static const std::vector<Verb> table = {
        {"embed", "embed images and texts into the retrieval space", runEmbed},
        {"match", "image-text match probability from the ITM head", runMatch},
        {"tokenize", "show how a query is tokenized", runTokenize},
        {"search", "find photos by what is in them", runSearch},
        {"similar", "find photos like a photo", runSimilar},
        {"explain", "show which parts of a photo match a text", runExplain},
        {"duplicates", "find copies of the same picture", runDuplicates},
        {"calibrate", "fit the confident-match cut-off on an evaluation set", runCalibrate},
        {"index", "index photo folders (new, changed, moved, deleted photos)", runIndex},
        {"status", "summarise a library", runStatus},
        {"list", "list a library's photos", runList},
        {"forget", "remove photos or folders from a library", runForget},
        {"roots", "list a library's folders, or re-point one (roots move OLD NEW)", runRoots},
        {"merge", "merge shard libraries (or any libraries) into one", runMerge},
        {"rebuild", "rebuild the vector index from the catalog", runRebuild},
        {"verify", "check a library's integrity", runVerify},
        {"probe", "say whether files would index, and why not", runProbe},
        {"model", "download, import or show the model (download|import|status)", runModel},
#ifdef IMAGO_HAVE_BENCH
        {"bench", "measure this machine and the model (FLAVA-full size)", runBenchTool},
#endif
    };
    return table;
}

} // namespace imago::cli

namespace {

void printUsage(FILE *to)
{
    QString text =
        QStringLiteral("Usage: imago-cli <verb> [options]\n\n"
                       "Imago finds your own photos by what is in them, offline.\n\nVerbs:\n");
    for (const auto &v : verbs())
        text += QStringLiteral("  %1 %2\n")
                    .arg(QLatin1String(v.name), -10)
                    .arg(QLatin1String(v.summary));
    text += QStringLiteral("\n'imago-cli <verb> --help' describes a verb's options.\n"
                           "Options: --help, --version\n"
                           "Environment: IMAGO_MODEL (default model folder)\n"
                           "Exit codes: 0 done, 1 failed, 2 wrong command line.\n");
    std::fputs(text.toUtf8().constData(), to);
}

// Verbs that run no OpenMP work (no model, no index build or BLAS scan) need not re-execute
// for OMP_WAIT_POLICY (runtime.h) where the pre-init hook could not set it: that costs a second
// start of the process, ~0.6 s here, for a `status` that otherwise takes 0.5 s. `verify` and
// `rebuild` may build an index, `merge` trains IVF: they keep it, as do the model verbs.
bool needsPassiveOpenMp(int argc, char **argv)
{
    if (argc < 2)
        return false;
    static constexpr const char *kLight[] = {"status", "list",      "roots",  "forget", "probe",
                                             "model",  "--version", "--help", "-h",     "help"};
    for (const char *verb : kLight)
        if (std::strcmp(argv[1], verb) == 0)
            return false;
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    imago::flava::ensurePassiveOpenMp(argc, argv, needsPassiveOpenMp(argc, argv));
    // A file-size limit (ulimit -f) must surface as a write error the library reports, with
    // everything committed before it kept - not as SIGXFSZ killing the process mid-write.
    std::signal(SIGXFSZ, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("imago"));
    QCoreApplication::setOrganizationName(QStringLiteral("imago"));
    QCoreApplication::setApplicationVersion(QStringLiteral(IMAGO_VERSION));

    const QStringList args = QCoreApplication::arguments();
    if (args.size() < 2 || args[1] == QLatin1String("--help") || args[1] == QLatin1String("-h") ||
        args[1] == QLatin1String("help")) {
        printUsage(args.size() < 2 ? stderr : stdout);
        return args.size() < 2 ? kExitUsage : 0;
    }
    if (args[1] == QLatin1String("--version")) {
        std::printf("imago-cli %s\n", IMAGO_VERSION);
        return 0;
    }
    for (const auto &v : verbs()) {
        if (args[1] != QLatin1String(v.name))
            continue;
        QStringList rest = args.mid(2);
        rest.prepend(QStringLiteral("imago-cli ") + args[1]);
        try {
            return v.run(rest);
        } catch (const CliError &e) {
            std::fprintf(stderr, "imago-cli %s: %s\n", v.name, e.what());
            return e.exitCode;
        } catch (const std::exception &e) {
            std::fprintf(stderr, "imago-cli %s: %s\n", v.name, e.what());
            return kExitFailure;
        }
    }
    std::fprintf(stderr, "imago-cli: unknown verb '%s'\n\n", qPrintable(args[1]));
    printUsage(stderr);
    return kExitUsage;
}
