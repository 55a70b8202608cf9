// imago-cli index: the batch indexer for scripts and servers.
#include "cli_common.h"

#include "folder_watcher.h"
#include "indexing_run.h"
#include "library.h"
#include "model_session.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>
#include <unistd.h>

namespace imago::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void onSigint(int)
{
    g_interrupted = true;
    // A second Ctrl-C stops at once (what is committed stays committed).
    std::signal(SIGINT, SIG_DFL);
}

} // namespace

int runIndex(const QStringList &args)
{
    QCommandLineParser p;
    addLibraryOption(p);
    addModelOptions(p);
    p.addOption({QStringLiteral("batch"), QStringLiteral("Images per model batch (default 8)."),
                 QStringLiteral("N")});
    p.addOption(
        {QStringLiteral("json"), QStringLiteral("Print the JSON summary (also the "
                                                "default when stdout is not a terminal).")});
    p.addOption({QStringLiteral("shard"),
                 QStringLiteral("Index only shard K (0-based) of N: a stable split by each photo's "
                                "path relative to its folder, the same on every machine. auto/N "
                                "takes K from SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX, "
                                "else IMAGO_SHARD_INDEX. Give each shard its own --library; "
                                "imago-cli merge joins them."),
                 QStringLiteral("K/N")});
    p.addOption({QStringLiteral("watch"),
                 QStringLiteral("After indexing, keep watching the folders and index new, changed "
                                "and deleted photos as they appear (one summary per run) until "
                                "Ctrl-C.")});
    if (!parseArgs(p, args,
                   QStringLiteral(
                       "Index photo folders (or single files): new and changed photos are "
                       "embedded, moved ones keep their vectors, deleted ones become missing. "
                       "Folders are remembered as library roots.\nOn a terminal a live progress "
                       "line; in a pipe or with --json a final JSON summary {\"indexed\", "
                       "\"unchanged\", \"rejected\", \"missing\", \"seconds\", "
                       "\"images_per_second\", \"failures\": [{\"path\", \"reason\", "
                       "\"reason_code\"}]}.\nCtrl-C "
                       "finishes the batch in flight, commits it and exits (code 130); rejected "
                       "files are not a failure (exit 0)."),
                   QStringLiteral("PATH...")))
        return 0;
    const QStringList paths = p.positionalArguments();
    if (paths.isEmpty())
        throw CliError(QStringLiteral("give at least one folder or file to index"), kExitUsage);
    IndexingOptions options;
    if (p.isSet(QStringLiteral("batch"))) {
        bool ok = false;
        options.batchSize = p.value(QStringLiteral("batch")).toInt(&ok);
        if (!ok || options.batchSize < 1 || options.batchSize > 256)
            throw CliError(QStringLiteral("--batch needs a number from 1 to 256"), kExitUsage);
    }
    if (p.isSet(QStringLiteral("shard"))) {
        try {
            options.shard = parseShardSpec(p.value(QStringLiteral("shard")));
        } catch (const std::invalid_argument &e) {
            throw CliError(QString::fromUtf8(e.what()), kExitUsage);
        }
        if (p.isSet(QStringLiteral("watch")))
            throw CliError(QStringLiteral("--watch and --shard do not go together (a shard is a "
                                          "batch job)"),
                           kExitUsage);
    }
    const bool json = p.isSet(QStringLiteral("json")) || !::isatty(STDOUT_FILENO);

    const auto session = openModel(p.value(QStringLiteral("model")), p);
    LibraryOptions libraryOptions;
    libraryOptions.modelIdentity = session->identity();
    const QString dir = libraryDir(p);
    std::unique_ptr<Library> library;
    try {
        library = std::make_unique<Library>(dir, libraryOptions);
    } catch (const std::exception &e) {
        throw CliError(QString::fromUtf8(e.what()));
    }

    auto indexOnce = [&](const QStringList &roots) -> IndexingSummary {
        IndexingRun run(*library, session, options);
        g_interrupted = false;
        std::signal(SIGINT, onSigint);
        std::signal(SIGTERM, onSigint);
        std::atomic<bool> finished{false};
        std::thread watcher([&] {
            while (!finished.load()) {
                if (g_interrupted.load()) {
                    run.cancel();
                    return;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        });
        IndexingSummary summary;
        try {
            summary = run.run(roots, [&](const IndexingProgress &pr) {
                if (json)
                    return;
                const QString line = QStringLiteral("\r%1/%2%3  %4 img/s  ETA %5  rejected %6 ")
                                         .arg(pr.done)
                                         .arg(pr.total)
                                         .arg(pr.scanFinished ? QString() : QStringLiteral("+"))
                                         .arg(pr.imagesPerSecond, 0, 'f', 1)
                                         .arg(formatDuration(pr.etaSeconds))
                                         .arg(pr.rejected);
                std::fputs(line.toUtf8().constData(), stdout);
                std::fflush(stdout);
            });
        } catch (const std::exception &e) {
            finished = true;
            watcher.join();
            std::signal(SIGINT, SIG_DFL);
            // Every batch committed before the failure stays indexed (one transaction each).
            throw CliError(QStringLiteral("%1\nThe photos indexed before this are kept; fix the "
                                          "problem and run again to continue.")
                               .arg(QString::fromUtf8(e.what())));
        }
        finished = true;
        watcher.join();
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);

        if (json) {
            QJsonArray failures;
            for (const auto &f : summary.failures)
                failures.append(QJsonObject{{QStringLiteral("path"), f.path},
                                            {QStringLiteral("reason"), f.reason.text},
                                            {QStringLiteral("reason_code"), f.reason.code}});
            QJsonObject out{{QStringLiteral("indexed"), summary.indexed},
                            {QStringLiteral("unchanged"), summary.unchanged},
                            {QStringLiteral("rejected"), summary.rejected},
                            {QStringLiteral("missing"), summary.missing},
                            {QStringLiteral("moved"), summary.moved},
                            {QStringLiteral("seconds"), summary.seconds},
                            {QStringLiteral("images_per_second"), summary.imagesPerSecond},
                            {QStringLiteral("failures"), failures},
                            {QStringLiteral("cancelled"), summary.cancelled}};
            if (options.shard)
                out.insert(QStringLiteral("shard"), shardJson(*options.shard));
            if (!summary.offlineRoots.isEmpty())
                out.insert(QStringLiteral("offline_roots"),
                           QJsonArray::fromStringList(summary.offlineRoots));
            printJson(QJsonDocument(out));
        } else {
            printLine(QString());
            printLine(
                QStringLiteral("%1 indexed, %2 unchanged (%3 moved), %4 rejected, %5 missing in "
                               "%6 s (%7 images/s)%8")
                    .arg(summary.indexed)
                    .arg(summary.unchanged)
                    .arg(summary.moved)
                    .arg(summary.rejected)
                    .arg(summary.missing)
                    .arg(summary.seconds, 0, 'f', 1)
                    .arg(summary.imagesPerSecond, 0, 'f', 2)
                    .arg(summary.cancelled ? QStringLiteral(", interrupted") : QString()));
            for (const auto &f : summary.failures)
                std::fprintf(stderr, "rejected: %s: %s\n", qPrintable(f.path),
                             qPrintable(f.reason.text));
            for (const auto &r : summary.offlineRoots)
                std::fprintf(stderr, "offline (photos kept): %s\n", qPrintable(r));
        }
        return summary;
    };
    IndexingSummary summary = indexOnce(paths);
    if (p.isSet(QStringLiteral("watch")) && !summary.cancelled) {
        FolderWatcher watcher;
        QStringList roots;
        for (const auto &r : library->roots())
            roots << r.path;
        watcher.watch(roots);
        QTimer interrupt;
        QObject::connect(&interrupt, &QTimer::timeout, [&] {
            if (g_interrupted.load())
                QCoreApplication::quit();
        });
        std::signal(SIGINT, onSigint);
        std::signal(SIGTERM, onSigint);
        interrupt.start(100);
        QObject::connect(&watcher, &FolderWatcher::changed, [&](const QStringList &changed) {
            summary = indexOnce(changed);
            if (summary.cancelled)
                QCoreApplication::quit();
            std::signal(SIGINT, onSigint);
            std::signal(SIGTERM, onSigint);
        });
        QCoreApplication::exec();
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        return 130;
    }
    return summary.cancelled ? 130 : 0;
}

} // namespace imago::cli
