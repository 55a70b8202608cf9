// imago-cli bench: this machine, the model and the whole indexing/search path, measured in one
// run, with ratios against baselines measured in the same run.
#include "cli_common.h"

#include "imago_version.h"
#include "index_benchmark.h"
#include "indexing_benchmark.h"
#include "model_benchmark.h"
#include "runtime.h"
#include "search_benchmark.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <cstdio>
#include <sys/resource.h>

namespace imago::cli {

namespace {

struct Table
{
    bool json = false;
    void header(const QString &title)
    {
        if (!json)
            printLine(QStringLiteral("\n%1").arg(title));
    }
    void row(const QString &what, double value, const QString &unit, const QString &extra = {})
    {
        if (json)
            return;
        printLine(QStringLiteral("  %1 %2 %3 %4")
                      .arg(what, -40)
                      .arg(value, 10, 'f', 2)
                      .arg(unit, -9)
                      .arg(extra));
        std::fflush(stdout);
    }
};

// The Python baseline (tools/bench_python.py) is never installed: the build copies it next to
// the build folder's imago-cli, $IMAGO_BENCH_PYTHON_SCRIPT may name it, and an installed
// imago-cli without either skips the comparison.
QString pythonScriptPlace()
{
    const QString env = qEnvironmentVariable("IMAGO_BENCH_PYTHON_SCRIPT");
    return env.isEmpty()
               ? QCoreApplication::applicationDirPath() + QStringLiteral("/bench_python.py")
               : env;
}

QString pythonScript()
{
    const QString script = pythonScriptPlace();
    return QFileInfo::exists(script) ? script : QString();
}

double peakRssMb()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0;
}

} // namespace

int runBench(const QStringList &args)
{
    QCommandLineParser p;
    p.addOption({QStringLiteral("threads"),
                 QStringLiteral("CPU threads (default: the idle cores)."), QStringLiteral("N")});
    p.addOption({QStringLiteral("quick"), QStringLiteral("Smaller sizes, fewer repetitions.")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Print one JSON object.")});
    p.addOption(
        {QStringLiteral("no-python"),
         QStringLiteral("Skip the Python baseline (tools/bench_python.py, in the source tree).")});
    p.addOption({QStringLiteral("only"),
                 QStringLiteral("Run only these sections (comma-separated): model, indexing "
                                "(with the Python baseline), search. JSON fields of the others "
                                "are null."),
                 QStringLiteral("LIST")});
    if (!parseArgs(p, args,
                   QStringLiteral("Benchmark this machine and Imago in one run: GEMM ceiling, "
                                  "image encoder images/s by batch (fp32 and int8), text query "
                                  "and ITM rerank latency (FLAVA-full size, random weights), "
                                  "end-to-end indexing of generated 12 MP JPEGs against the bare "
                                  "encoder and against a plain Python/PyTorch baseline, query "
                                  "latency through the search engine at 10k/100k/1M photos, "
                                  "rerank cold and warm, peak memory. Medians after a warm-up.")))
        return 0;
    const bool quick = p.isSet(QStringLiteral("quick"));
    Table t{p.isSet(QStringLiteral("json"))};
    const int threads = threadsOption(p);
    const QStringList known{QStringLiteral("model"), QStringLiteral("indexing"),
                            QStringLiteral("search")};
    const QStringList only =
        p.isSet(QStringLiteral("only"))
            ? p.value(QStringLiteral("only")).split(QLatin1Char(','), Qt::SkipEmptyParts)
            : known;
    for (const QString &section : only)
        if (!known.contains(section))
            throw CliError(QStringLiteral("--only: unknown section '%1' (model, indexing, search)")
                               .arg(section),
                           kExitUsage);
    const bool runModel = only.contains(QStringLiteral("model"));
    const bool runIndexing = only.contains(QStringLiteral("indexing"));
    const bool runSearch = only.contains(QStringLiteral("search"));
    // A number from a section that ran, else null.
    auto num = [](bool ran, double v) { return ran ? QJsonValue(v) : QJsonValue(); };

    {
        const auto s = flava::systemInfo(threads);
        if (!t.json) {
            printLine(QStringLiteral("Imago %1").arg(QStringLiteral(IMAGO_VERSION)));
            printLine(QStringLiteral("CPU       %1 (%2 cores, %3 model threads)")
                          .arg(QString::fromStdString(s.cpu))
                          .arg(s.cores)
                          .arg(s.threads));
            printLine(
                QStringLiteral("BLAS      %1%2")
                    .arg(QString::fromStdString(s.blas),
                         s.referenceBlas ? QStringLiteral("  (SLOW reference BLAS)") : QString()));
            printLine(
                QStringLiteral("CPU flags %1 (auto precision for images: %2)")
                    .arg(QString::fromStdString(flava::cpuFeatures().summary()),
                         QString::fromStdString(flava::precisionName(flava::bestCpuPrecision()))));
            printLine(QStringLiteral("LibTorch  %1, Qt %2, device %3")
                          .arg(QString::fromStdString(s.torchVersion),
                               QString::fromLatin1(qVersion()), QString::fromStdString(s.device)));
        }
    }

    // --- model ------------------------------------------------------------------------------
    flava::BenchmarkOptions mo;
    mo.quick = quick;
    mo.threads = threads;
    flava::BenchmarkReport model;
    model.system = flava::systemInfo(threads);
    if (runModel) {
        t.header(QStringLiteral("Model (FLAVA-full size, random weights)              median    "
                                "unit      GFLOP/s  of ceiling"));
        model = flava::benchmarkModel(mo, [&](const flava::BenchmarkRow &row) {
            t.row(QString::fromStdString(row.name), row.value, QString::fromStdString(row.unit),
                  QStringLiteral("%1  %2%")
                      .arg(row.gflops, 7, 'f', 1)
                      .arg(row.ofCeiling * 100, 5, 'f', 0));
        });
    }

    // --- end-to-end indexing ------------------------------------------------------------------
    QTemporaryDir photos;
    IndexingBenchmarkOptions io;
    io.photos = quick ? 12 : 64;
    io.threads = threads;
    io.batch = model.bestBatch > 0 ? std::min(model.bestBatch, 8) : 8;
    generateBenchmarkPhotos(photos.path(), io);
    IndexingBenchmarkReport e2e, e2e8, e2e16;
    double python = 0;
    if (runIndexing) {
        t.header(QStringLiteral("Indexing %1 generated %2x%3 JPEGs (batch %4)")
                     .arg(io.photos)
                     .arg(io.width)
                     .arg(io.height)
                     .arg(io.batch));
        // One precision: the bare encoder's row, then the end-to-end row with its ratios.
        auto indexAt = [&](flava::Precision precision, const QString &name, const auto &ratios) {
            IndexingBenchmarkOptions options = io;
            options.precision = precision;
            const auto result = benchmarkIndexing(photos.path(), options);
            t.row(QStringLiteral("bare image encoder, %1").arg(name), result.encoderImagesPerSecond,
                  QStringLiteral("images/s"));
            t.row(QStringLiteral("end-to-end indexing, %1").arg(name),
                  result.endToEndImagesPerSecond, QStringLiteral("images/s"), ratios(result));
            return result;
        };
        const auto x = [](double v) { return QString::number(v, 'f', 2); };
        e2e = indexAt(flava::Precision::Float32, QStringLiteral("fp32"),
                      [&](const IndexingBenchmarkReport &r) {
                          return QStringLiteral("%1x the bare encoder").arg(x(r.ratio));
                      });
        e2e8 = indexAt(flava::Precision::Int8, QStringLiteral("int8"),
                       [&](const IndexingBenchmarkReport &r) {
                           return QStringLiteral("%1x the fp32 end-to-end")
                               .arg(x(r.endToEndImagesPerSecond / e2e.endToEndImagesPerSecond));
                       });
        if (flava::cpuFeatures().hasBf16())
            e2e16 =
                indexAt(flava::Precision::BFloat16, QStringLiteral("bf16"),
                        [&](const IndexingBenchmarkReport &r) {
                            return QStringLiteral("%1x the bf16 encoder, %2x the fp32 end-to-end")
                                .arg(x(r.ratio),
                                     x(r.endToEndImagesPerSecond / e2e.endToEndImagesPerSecond));
                        });
        t.row(QStringLiteral("RSS during indexing (start/peak/end)"), e2e.rssPeakMb,
              QStringLiteral("MB"),
              QStringLiteral("start %1, end %2")
                  .arg(e2e.rssStartMb, 0, 'f', 0)
                  .arg(e2e.rssEndMb, 0, 'f', 0));

        // --- Python baseline on the same files
        // ------------------------------------------------------
        const QString script = pythonScript();
        const bool wantPython = !p.isSet(QStringLiteral("no-python"));
        if (wantPython && script.isEmpty()) {
            std::fprintf(stderr,
                         "imago-cli bench: note: no Python baseline (%s is not there; it comes "
                         "with the source tree, not with an installed imago-cli), skipping the "
                         "comparison with Python\n",
                         qPrintable(pythonScriptPlace()));
        } else if (wantPython && !QFileInfo::exists(QStringLiteral("/usr/bin/python3"))) {
            std::fprintf(stderr, "imago-cli bench: note: no /usr/bin/python3, skipping the "
                                 "comparison with Python\n");
        } else if (wantPython) {
            QProcess py;
            QStringList pyArgs{script, QStringLiteral("--images"), photos.path(),
                               QStringLiteral("--batch"), QString::number(io.batch)};
            if (threads > 0)
                pyArgs << QStringLiteral("--threads") << QString::number(threads);
            py.start(QStringLiteral("/usr/bin/python3"), pyArgs);
            if (py.waitForFinished(20 * 60 * 1000) && py.exitCode() == 0) {
                const auto o =
                    QJsonDocument::fromJson(py.readAllStandardOutput().trimmed()).object();
                python = o.value(QStringLiteral("images_per_second")).toDouble();
            } else {
                std::fprintf(stderr, "imago-cli bench: the Python baseline failed: %s\n",
                             py.readAllStandardError().constData());
            }
        }
        if (python > 0) {
            t.header(QStringLiteral(
                "Python baseline (PIL full decode + resize, ViT-B/16-sized PyTorch model)"));
            t.row(QStringLiteral("Python end-to-end"), python, QStringLiteral("images/s"));
            t.row(QStringLiteral("Imago fp32 end-to-end vs Python"),
                  e2e.endToEndImagesPerSecond / python, QStringLiteral("x"));
            t.row(QStringLiteral("Imago int8 end-to-end vs Python"),
                  e2e8.endToEndImagesPerSecond / python, QStringLiteral("x"));
        }
    }

    // --- search: query latency in real catalogs, rerank cold and warm --------------------------
    SearchBenchmarkOptions so;
    so.sizes = quick ? std::vector<std::size_t>{10'000, 100'000}
                     : std::vector<std::size_t>{10'000, 100'000, 1'000'000};
    so.queries = quick ? 30 : 100;
    so.rerank = quick ? std::vector<int>{20} : std::vector<int>{10, 20, 50};
    so.coldRuns = quick ? 1 : 3;
    so.warmRuns = quick ? 3 : 5;
    so.threads = threads;
    so.photoDir = photos.path();
    SearchBenchmarkReport search;
    QJsonObject queryP50, queryP95;
    if (runSearch) {
        t.header(
            QStringLiteral("Search (SearchEngine over a real catalog of synthetic vectors; the "
                           "query \"a photo a photo a photo\")                p50       unit"));
        search = benchmarkSearch(so, [&](const SearchBenchmarkRow &row) {
            t.row(row.name, row.p50Ms, QStringLiteral("ms"),
                  (row.p95Ms > 0 ? QStringLiteral("p95 %1 ms; ").arg(row.p95Ms, 0, 'f', 1)
                                 : QString()) +
                      row.note);
        });
        for (const auto &[n, row] : search.query) {
            queryP50.insert(QString::number(qulonglong(n)), row.p50Ms);
            queryP95.insert(QString::number(qulonglong(n)), row.p95Ms);
        }
    }
    if (runModel && runSearch)
        t.row(QStringLiteral("ITM rerank of 20, warm, int8 encoders"), model.int8Rerank20Ms,
              QStringLiteral("ms"), QStringLiteral("(model benchmark: ITM alone)"));
    auto byR = [](const std::map<int, double> &m) {
        QJsonObject o;
        for (const auto &[r, ms] : m)
            o.insert(QString::number(r), ms);
        return o;
    };
    const bool haveRerank20 = search.rerankWarmMs.count(20) > 0;
    const double rerank20 = haveRerank20 ? search.rerankWarmMs.at(20) : 0;
    const double peak = peakRssMb();
    t.row(QStringLiteral("peak RSS of this run"), peak, QStringLiteral("MB"));

    if (t.json) {
        const auto s = model.system;
        QJsonArray rows;
        for (const auto &r : model.rows)
            rows.append(QJsonObject{{QStringLiteral("name"), QString::fromStdString(r.name)},
                                    {QStringLiteral("median"), r.value},
                                    {QStringLiteral("unit"), QString::fromStdString(r.unit)},
                                    {QStringLiteral("gflops"), r.gflops},
                                    {QStringLiteral("of_ceiling"), r.ofCeiling}});
        QJsonObject byPrecision;
        if (runModel) {
            byPrecision.insert(
                QStringLiteral("fp32"),
                QJsonObject{{QStringLiteral("images_per_second"), model.bestImagesPerSecond},
                            {QStringLiteral("text8_ms"), model.text8Ms},
                            {QStringLiteral("rerank20_ms"), model.itm20Ms}});
            for (const auto &[name, f] : model.reduced)
                byPrecision.insert(
                    QString::fromStdString(name),
                    QJsonObject{{QStringLiteral("images_per_second"), f.imagesPerSecond},
                                {QStringLiteral("text8_ms"), f.text8Ms},
                                {QStringLiteral("rerank20_ms"), f.rerank20Ms}});
        }
        printJson(QJsonDocument(QJsonObject{
            {QStringLiteral("system"),
             QJsonObject{{QStringLiteral("cpu"), QString::fromStdString(s.cpu)},
                         {QStringLiteral("cores"), s.cores},
                         {QStringLiteral("threads"), s.threads},
                         {QStringLiteral("blas"), QString::fromStdString(s.blas)},
                         {QStringLiteral("reference_blas"), s.referenceBlas},
                         {QStringLiteral("libtorch"), QString::fromStdString(s.torchVersion)},
                         {QStringLiteral("qt"), QString::fromLatin1(qVersion())},
                         {QStringLiteral("imago"), QStringLiteral(IMAGO_VERSION)},
                         {QStringLiteral("device"), QString::fromStdString(s.device)}}},
            {QStringLiteral("gemm_gflops"), num(runModel, model.gemmGflops)},
            {QStringLiteral("encoder_images_per_second"), num(runModel, model.bestImagesPerSecond)},
            {QStringLiteral("encoder_best_batch"), num(runModel, model.bestBatch)},
            {QStringLiteral("int8_encoder_images_per_second"),
             num(runModel, model.int8ImagesPerSecond)},
            {QStringLiteral("end_to_end_images_per_second"),
             num(runIndexing, e2e.endToEndImagesPerSecond)},
            {QStringLiteral("end_to_end_vs_encoder"), num(runIndexing, e2e.ratio)},
            {QStringLiteral("int8_end_to_end_images_per_second"),
             num(runIndexing, e2e8.endToEndImagesPerSecond)},
            {QStringLiteral("bf16_end_to_end_images_per_second"),
             num(runIndexing && e2e16.photos > 0, e2e16.endToEndImagesPerSecond)},
            {QStringLiteral("bf16_end_to_end_vs_encoder"),
             num(runIndexing && e2e16.photos > 0, e2e16.ratio)},
            {QStringLiteral("python_images_per_second"),
             python > 0 ? QJsonValue(python) : QJsonValue()},
            {QStringLiteral("end_to_end_vs_python"),
             python > 0 ? QJsonValue(e2e.endToEndImagesPerSecond / python) : QJsonValue()},
            {QStringLiteral("int8_end_to_end_vs_python"),
             python > 0 ? QJsonValue(e2e8.endToEndImagesPerSecond / python) : QJsonValue()},
            {QStringLiteral("text8_ms"), num(runModel, model.text8Ms)},
            {QStringLiteral("text8_int8_ms"), num(runSearch, search.text8Int8Ms)},
            {QStringLiteral("text77_ms"), num(runModel, model.text77Ms)},
            {QStringLiteral("query_p50_ms"), queryP50},
            {QStringLiteral("query_p95_ms"), queryP95},
            {QStringLiteral("rerank20_ms"), num(haveRerank20, rerank20)},
            {QStringLiteral("rerank_warm_ms_by_r"), byR(search.rerankWarmMs)},
            {QStringLiteral("rerank_cold_ms_by_r"), byR(search.rerankColdMs)},
            {QStringLiteral("itm_only_ms_by_r"), byR(model.itmMs)},
            {QStringLiteral("int8_rerank20_ms"), num(runModel, model.int8Rerank20Ms)},
            {QStringLiteral("peak_rss_mb"), peak},
            {QStringLiteral("rss_during_indexing_mb"),
             runIndexing ? QJsonValue(QJsonObject{{QStringLiteral("start"), e2e.rssStartMb},
                                                  {QStringLiteral("peak"), e2e.rssPeakMb},
                                                  {QStringLiteral("end"), e2e.rssEndMb}})
                         : QJsonValue()},
            {QStringLiteral("cpu_features"),
             QString::fromStdString(flava::cpuFeatures().summary())},
            {QStringLiteral("auto_precision"),
             QString::fromStdString(flava::precisionName(flava::bestCpuPrecision()))},
            {QStringLiteral("bf16_gemm_gflops"),
             num(runModel && model.bf16GemmGflops > 0, model.bf16GemmGflops)},
            {QStringLiteral("by_precision"), byPrecision},
            {QStringLiteral("model_rows"), rows}}));
    }
    return 0;
}

} // namespace imago::cli
