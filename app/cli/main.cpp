// imago-cli: index, search and inspect a photo library from scripts and servers.
#include "cli_common.h"
#include "imago_version.h"
#include "runtime.h"

#include <QCoreApplication>

#include <csignal>
#include <cstdio>
#include <cstring>

using namespace imago::cli;

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
