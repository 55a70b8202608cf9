// `imago-cli model download|import|status`: getting a model and choosing the active one.
#include "cli_common.h"

#include "model_downloader.h"
#include "model_store.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonObject>
#include <QTimer>

#include <atomic>
#include <csignal>
#include <cstdio>

#include <unistd.h>

namespace imago::cli {

namespace {

const QCommandLineOption kJsonOpt(QStringLiteral("json"), QStringLiteral("Print JSON."));

std::atomic<bool> g_interrupted{false};

extern "C" void onInterrupt(int)
{
    g_interrupted.store(true);
}

QString humanBytes(double bytes)
{
    if (bytes >= 1e9)
        return QStringLiteral("%1 GB").arg(bytes / 1e9, 0, 'f', 2);
    return QStringLiteral("%1 MB").arg(bytes / 1e6, 0, 'f', 1);
}

QJsonObject infoJson(const ModelInfo &info, bool active)
{
    return {{QStringLiteral("dir"), info.dir},
            {QStringLiteral("active"), active},
            {QStringLiteral("valid"), info.valid},
            {QStringLiteral("problem"), info.problem.isEmpty() ? QJsonValue() : info.problem},
            {QStringLiteral("identity"), info.identity.isEmpty() ? QJsonValue() : info.identity},
            {QStringLiteral("weights"), info.weightsFile},
            {QStringLiteral("size_bytes"), double(info.sizeBytes)},
            {QStringLiteral("repo"), info.repo.isEmpty() ? QJsonValue() : info.repo},
            {QStringLiteral("revision"), info.revision.isEmpty() ? QJsonValue() : info.revision},
            {QStringLiteral("installed_at"),
             info.installedAt.isEmpty() ? QJsonValue() : info.installedAt}};
}

void printInfo(const ModelInfo &info)
{
    printLine(QStringLiteral("model     %1").arg(info.dir));
    printLine(QStringLiteral("status    %1").arg(info.valid ? QStringLiteral("ok") : info.problem));
    if (!info.identity.isEmpty())
        printLine(QStringLiteral("identity  %1").arg(info.identity));
    printLine(QStringLiteral("weights   %1").arg(info.weightsFile));
    printLine(QStringLiteral("size      %1").arg(humanBytes(double(info.sizeBytes))));
    if (!info.repo.isEmpty())
        printLine(QStringLiteral("source    %1@%2, installed %3")
                      .arg(info.repo, info.revision, info.installedAt));
}

int runDownload(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption(
        {QStringLiteral("to"),
         QStringLiteral("Model folder to create (default: %1).").arg(ModelStore::defaultModelDir()),
         QStringLiteral("DIR")});
    p.addOption({QStringLiteral("revision"),
                 QStringLiteral("Branch, tag or commit (default: main)."), QStringLiteral("REV")});
    p.addOption({QStringLiteral("repo"),
                 QStringLiteral("Hub repository (default: facebook/flava-full)."),
                 QStringLiteral("ID")});
    p.addOption({QStringLiteral("endpoint"),
                 QStringLiteral("Hub or mirror URL (default: $HF_ENDPOINT, else "
                                "https://huggingface.co)."),
                 QStringLiteral("URL")});
    p.addOption({QStringLiteral("keep-original"),
                 QStringLiteral("Keep pytorch_model.bin after converting it to safetensors.")});
    p.addOption({QStringLiteral("no-convert"),
                 QStringLiteral("Do not convert pytorch_model.bin to model.safetensors.")});
    p.addOption({QStringLiteral("force"), QStringLiteral("Replace an existing model folder.")});
    p.addOption(kJsonOpt);
    if (!parseArgs(p, args,
                   QStringLiteral("Download the FLAVA model from the Hugging Face Hub, verified "
                                  "(size, sha256), into a folder that appears only when "
                                  "complete.\nInterrupted downloads (Ctrl-C, lost connection) "
                                  "resume when the same command runs again. Proxies come from "
                                  "http_proxy/https_proxy. The new model becomes the active one.")))
        return 0;
    DownloadOptions o;
    o.targetDir = p.isSet(QStringLiteral("to")) ? p.value(QStringLiteral("to"))
                                                : ModelStore::defaultModelDir();
    if (p.isSet(QStringLiteral("revision")))
        o.revision = p.value(QStringLiteral("revision"));
    if (p.isSet(QStringLiteral("repo")))
        o.repo = p.value(QStringLiteral("repo"));
    o.endpoint = p.value(QStringLiteral("endpoint"));
    o.keepOriginal = p.isSet(QStringLiteral("keep-original"));
    o.convertToSafetensors = !p.isSet(QStringLiteral("no-convert"));
    o.replaceExisting = p.isSet(QStringLiteral("force"));

    ModelDownloader downloader(o);
    const bool live = !p.isSet(kJsonOpt) && ::isatty(STDERR_FILENO);
    QObject::connect(&downloader, &ModelDownloader::progressChanged,
                     [live](const DownloadProgress &s) {
                         if (!live)
                             return;
                         const QString total = s.bytesTotal >= 0 ? humanBytes(double(s.bytesTotal))
                                                                 : QStringLiteral("?");
                         const QString line =
                             s.phase == DownloadProgress::Phase::Converting
                                 ? QStringLiteral("converting to model.safetensors...")
                             : s.phase == DownloadProgress::Phase::Resolving
                                 ? QStringLiteral("checking %1...").arg(s.file)
                                 : QStringLiteral("%1  %2 / %3  %4/s  ETA %5")
                                       .arg(s.file, -24)
                                       .arg(humanBytes(double(s.bytesDone)), total,
                                            humanBytes(s.bytesPerSecond), formatDuration(s.etaSeconds));
                         std::fprintf(stderr, "\r\033[K%s", line.toUtf8().constData());
                         std::fflush(stderr);
                     });
    QEventLoop loop;
    QString installed;
    std::optional<DownloadFailure> failure;
    bool canceled = false;
    QObject::connect(&downloader, &ModelDownloader::finished, &loop, [&](const QString &dir) {
        installed = dir;
        loop.quit();
    });
    QObject::connect(&downloader, &ModelDownloader::failed, &loop, [&](const DownloadFailure &f) {
        failure = f;
        loop.quit();
    });
    QObject::connect(&downloader, &ModelDownloader::canceled, &loop, [&] {
        canceled = true;
        loop.quit();
    });
    // Ctrl-C: stop cleanly so the .part files stay resumable.
    g_interrupted = false;
    auto previous = std::signal(SIGINT, onInterrupt);
    QTimer poll;
    QObject::connect(&poll, &QTimer::timeout, &downloader, [&] {
        if (g_interrupted.load())
            downloader.cancel();
    });
    poll.start(100);
    QTimer::singleShot(0, &downloader, &ModelDownloader::start);
    loop.exec();
    poll.stop();
    std::signal(SIGINT, previous);
    if (live)
        std::fputs("\r\033[K", stderr);
    if (canceled)
        throw CliError(QStringLiteral("interrupted; run the same command again to resume from "
                                      "%1")
                           .arg(downloader.stagingDir()));
    if (failure && failure->kind == DownloadFailure::Kind::Exists)
        throw CliError(failure->message + QStringLiteral(" (--force replaces it, --to DIR "
                                                         "picks another folder)"));
    if (failure)
        throw CliError(failure->message);
    ModelStore store;
    store.setActiveModel(installed);
    const ModelInfo info = store.describe(installed, false);
    if (p.isSet(kJsonOpt))
        printJson(QJsonDocument(infoJson(info, true)));
    else
        printInfo(info);
    return 0;
}

int runImport(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption(kJsonOpt);
    if (!parseArgs(p, args,
                   QStringLiteral("Use a model folder you fetched yourself (config.json, "
                                  "vocab.txt, model.safetensors or pytorch_model.bin): it is "
                                  "loaded to check it, stays where it is, and becomes the "
                                  "active model."),
                   QStringLiteral("DIR")))
        return 0;
    if (p.positionalArguments().size() != 1)
        throw CliError(QStringLiteral("import needs exactly one folder"), kExitUsage);
    ModelStore store;
    ModelInfo info;
    try {
        info = store.importFolder(p.positionalArguments()[0]);
    } catch (const std::exception &e) {
        throw CliError(QStringLiteral("not a usable model: %1").arg(QString::fromUtf8(e.what())));
    }
    if (p.isSet(kJsonOpt))
        printJson(QJsonDocument(infoJson(info, true)));
    else
        printInfo(info);
    return 0;
}

int runModelStatus(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption(kJsonOpt);
    if (!parseArgs(p, args,
                   QStringLiteral("Show the active model: folder, identity, size, source.\n"
                                  "With --json prints {\"dir\", \"active\", \"valid\", "
                                  "\"problem\", \"identity\", \"weights\", \"size_bytes\", "
                                  "\"repo\", \"revision\", \"installed_at\"} or {\"active\": "
                                  "null}.")))
        return 0;
    ModelStore store;
    const QString dir = store.activeModel();
    if (dir.isEmpty()) {
        if (p.isSet(kJsonOpt))
            printJson(QJsonDocument(
                QJsonObject{{QStringLiteral("active"), QJsonValue()},
                            {QStringLiteral("default_dir"), ModelStore::defaultModelDir()}}));
        else
            printLine(QStringLiteral("no model yet: run 'imago-cli model download' or "
                                     "'imago-cli model import DIR'"));
        return kExitFailure;
    }
    const ModelInfo info = store.describe(dir, true);
    if (p.isSet(kJsonOpt))
        printJson(QJsonDocument(infoJson(info, true)));
    else
        printInfo(info);
    return info.valid ? 0 : kExitFailure;
}

} // namespace

int runModel(const QStringList &args)
{
    const QString sub = args.value(1);
    QStringList rest = args.mid(2);
    rest.prepend(args.value(0) + QLatin1Char(' ') + sub);
    if (sub == QLatin1String("download"))
        return runDownload(rest);
    if (sub == QLatin1String("import"))
        return runImport(rest);
    if (sub == QLatin1String("status"))
        return runModelStatus(rest);
    if (sub.isEmpty() || sub == QLatin1String("--help") || sub == QLatin1String("-h")) {
        printLine(QStringLiteral("Usage: imago-cli model download|import|status [options]\n\n"
                                 "  download  fetch facebook/flava-full from the Hub (resumable)\n"
                                 "  import    use a model folder you already have\n"
                                 "  status    show the active model\n\n"
                                 "'imago-cli model <sub-verb> --help' describes its options."));
        return sub.isEmpty() ? kExitUsage : 0;
    }
    throw CliError(QStringLiteral("unknown sub-verb '%1': use download, import or status").arg(sub),
                   kExitUsage);
}

} // namespace imago::cli
