// imago-bench: the benchmarks behind `imago-cli bench` (which runs this program), kept out of
// imago-cli because they link LibTorch and the model's internals.
#include "cli_common.h"
#include "imago_version.h"
#include "runtime.h"

#include <QCoreApplication>

#include <cstdio>

int main(int argc, char **argv)
{
    imago::flava::ensurePassiveOpenMp(argc, argv);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("imago"));
    QCoreApplication::setOrganizationName(QStringLiteral("imago"));
    QCoreApplication::setApplicationVersion(QStringLiteral(IMAGO_VERSION));
    QStringList args = QCoreApplication::arguments().mid(1);
    args.prepend(QStringLiteral("imago-cli bench"));
    try {
        return imago::cli::runBench(args);
    } catch (const imago::cli::CliError &e) {
        std::fprintf(stderr, "imago-cli bench: %s\n", e.what());
        return e.exitCode;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "imago-cli bench: %s\n", e.what());
        return imago::cli::kExitFailure;
    }
}
