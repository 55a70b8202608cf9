#include "model_benchmark.h"

#include "flava_module.h"
#include "runtime.h"

#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <fstream>

namespace imago::flava {

namespace {

using Clock = std::chrono::steady_clock;

template<typename F> double medianSeconds(int reps, F &&f)
{
    std::vector<double> t;
    for (int i = 0; i < reps; ++i) {
        const auto a = Clock::now();
        f();
        t.push_back(std::chrono::duration<double>(Clock::now() - a).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

} // namespace

double transformerFlops(double s, double d, double mlp, double layers)
{
    // Per block: QKV (3 GEMMs), scores and context (2 batched GEMMs), output, two MLP GEMMs.
    return layers * (2 * s * d * 3 * d + 4 * s * s * d + 2 * s * d * d + 4 * s * d * mlp);
}

SystemInfo systemInfo(int threads)
{
    setModelThreads(threads);
    SystemInfo info;
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);)
        if (line.rfind("model name", 0) == 0) {
            info.cpu = line.substr(line.find(':') + 2);
            break;
        }
    info.cores = availableCores();
    info.threads = modelThreads();
    info.blas = blasLibrary();
    info.referenceBlas = isReferenceBlas(info.blas);
    info.torchVersion = TORCH_VERSION;
    info.device = "cpu";
    return info;
}

double measureGemmGflops(bool quick)
{
    c10::InferenceMode guard;
    const int64_t n = 1536;
    const auto a = at::randn({n, n}), b = at::randn({n, n});
    at::matmul(a, b); // warm-up
    const double s = medianSeconds(quick ? 3 : 7, [&] { at::matmul(a, b); });
    return 2.0 * n * n * n / s / 1e9;
}

BenchmarkReport benchmarkModel(const BenchmarkOptions &options,
                               const std::function<void(const BenchmarkRow &)> &onRow)
{
    setModelThreads(options.threads);
    warnIfSlowBlas();
    BenchmarkReport report;
    report.system = systemInfo(options.threads);
    report.gemmGflops = measureGemmGflops(options.quick);
    auto add = [&](BenchmarkRow row) {
        row.ofCeiling = row.gflops / report.gemmGflops;
        if (onRow)
            onRow(row);
        report.rows.push_back(std::move(row));
    };
    add({"GEMM ceiling (1536^3 sgemm)", report.gemmGflops, "GFLOP/s", report.gemmGflops, 1.0});

    c10::InferenceMode guard;
    const FlavaConfig cfg; // flava-full defaults
    at::manual_seed(0);
    FlavaNet net(cfg);
    net->finalize();
    net->eval();
    const int reps = options.quick ? 2 : 3;

    // Image encoder + projection (what indexing runs per photo).
    const auto &im = cfg.image;
    const double tokens = 1 + im.numPatches();
    const double imageFlops =
        2.0 * im.numPatches() * (im.numChannels * im.patchSize * im.patchSize) * im.hiddenSize +
        transformerFlops(tokens, im.hiddenSize, im.intermediateSize, im.numHiddenLayers) +
        2.0 * im.hiddenSize * cfg.projectionDim;
    auto imageRate = [&](int batch) {
        const auto pixels = at::randn({batch, im.numChannels, im.imageSize, im.imageSize});
        auto run = [&] {
            const auto out = net->flava->image_model->forward(pixels);
            FlavaNetImpl::normalize(net->imageFeatures(out.last));
        };
        run(); // warm-up
        return batch / medianSeconds(reps, run);
    };
    for (int batch : options.imageBatches) {
        const double ips = imageRate(batch);
        if (ips > report.bestImagesPerSecond) {
            report.bestImagesPerSecond = ips;
            report.bestBatch = batch;
        }
        add({"image encoder, batch " + std::to_string(batch), ips, "images/s",
             imageFlops * ips / 1e9, 0});
    }

    // Text queries (what every search runs once).
    const auto &tx = cfg.text;
    for (int len : {8, 77}) {
        const auto ids = at::randint(1000, 2000, {1, len}, at::kLong);
        auto run = [&] {
            const auto out = net->flava->text_model->forward(ids, at::Tensor());
            FlavaNetImpl::normalize(net->textFeatures(out.last));
        };
        run();
        const double s = medianSeconds(reps * 3, run);
        const double flops =
            transformerFlops(len, tx.hiddenSize, tx.intermediateSize, tx.numHiddenLayers);
        (len == 8 ? report.text8Ms : report.text77Ms) = s * 1e3;
        add({"text query, " + std::to_string(len) + " tokens", s * 1e3, "ms", flops / s / 1e9, 0});
    }

    // ITM rerank: one 8-token query against P cached image states.
    const auto &mm = cfg.multimodal;
    const auto ids = at::randint(1000, 2000, {1, 8}, at::kLong);
    auto itmSeconds = [&](int pairs) {
        const auto imageStates = at::randn({pairs, int64_t(tokens), im.hiddenSize});
        auto run = [&] {
            const auto text = net->flava->text_model->forward(ids, at::Tensor()).lastPreNorm;
            const auto out =
                net->multimodal(imageStates, text.expand({pairs, -1, -1}), at::Tensor());
            at::softmax(net->itm(out.last), -1);
        };
        run();
        return medianSeconds(reps * (pairs == 1 ? 3 : 1), run);
    };
    auto itmFlops = [&](int pairs) {
        const double seq = 1 + tokens + 8;
        return transformerFlops(8, tx.hiddenSize, tx.intermediateSize, tx.numHiddenLayers) +
               pairs *
                   (2.0 * tokens * im.hiddenSize * mm.hiddenSize +
                    2.0 * 8 * tx.hiddenSize * mm.hiddenSize +
                    transformerFlops(seq, mm.hiddenSize, mm.intermediateSize, mm.numHiddenLayers));
    };
    std::vector<int> pairCounts{1, 10, 20, 50};
    if (options.quick)
        pairCounts = {1, 20};
    for (int pairs : pairCounts) {
        const double s = itmSeconds(pairs);
        if (pairs == 1)
            report.itm1Ms = s * 1e3;
        if (pairs == 20)
            report.itm20Ms = s * 1e3;
        report.itmMs[pairs] = s * 1e3;
        add({"ITM rerank, " + std::to_string(pairs) + (pairs == 1 ? " pair" : " pairs"), s * 1e3,
             "ms", itmFlops(pairs) / s / 1e9, 0});
    }

    // Reduced precision: dynamic int8 linears in the image and multimodal encoders.
    net->finalize(Precision::Int8);
    report.int8ImagesPerSecond = imageRate(report.bestBatch);
    add({"int8 image encoder, batch " + std::to_string(report.bestBatch),
         report.int8ImagesPerSecond, "images/s", imageFlops * report.int8ImagesPerSecond / 1e9, 0});
    const double s20 = itmSeconds(20);
    report.int8Rerank20Ms = s20 * 1e3;
    add({"int8 ITM rerank, 20 pairs", s20 * 1e3, "ms", itmFlops(20) / s20 / 1e9, 0});
    return report;
}

} // namespace imago::flava
