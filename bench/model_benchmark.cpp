#include "model_benchmark.h"

#include "flava_module.h"
#include "large_block_allocator.h"
#include "runtime.h"
#include "text_query_encoder.h"

#include <c10/core/InferenceMode.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>

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
    info.cpu = cpuFeatures().modelName;
    info.cores = availableCores();
    info.threads = modelThreads();
    info.blas = blasLibrary();
    info.referenceBlas = isReferenceBlas(info.blas);
    info.torchVersion = TORCH_VERSION;
    info.device = "cpu";
    return info;
}

double measureGemmGflops(bool quick, bool bf16)
{
    c10::InferenceMode guard;
    const int64_t n = 1536;
    const auto type = bf16 ? at::kBFloat16 : at::kFloat;
    const auto a = at::randn({n, n}).to(type), b = at::randn({n, n}).to(type);
    at::matmul(a, b); // warm-up
    const double s = medianSeconds(quick ? 3 : 7, [&] { at::matmul(a, b); });
    return 2.0 * n * n * n / s / 1e9;
}

BenchmarkReport benchmarkModel(const BenchmarkOptions &options,
                               const std::function<void(const BenchmarkRow &)> &onRow)
{
    setModelThreads(options.threads);
    warnIfSlowBlas();
    installLargeBlockAllocator(); // as the plugin runs the model for the product
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
    const int reps = options.quick ? 2 : 3;
    const auto &im = cfg.image;
    const auto &tx = cfg.text;
    const auto &mm = cfg.multimodal;
    const double tokens = 1 + im.numPatches();
    const double imageFlops =
        2.0 * im.numPatches() * (im.numChannels * im.patchSize * im.patchSize) * im.hiddenSize +
        transformerFlops(tokens, im.hiddenSize, im.intermediateSize, im.numHiddenLayers) +
        2.0 * im.hiddenSize * cfg.projectionDim;
    auto itmFlops = [&](int pairs) {
        const double seq = 1 + tokens + 8;
        return transformerFlops(8, tx.hiddenSize, tx.intermediateSize, tx.numHiddenLayers) +
               pairs *
                   (2.0 * tokens * im.hiddenSize * mm.hiddenSize +
                    2.0 * 8 * tx.hiddenSize * mm.hiddenSize +
                    transformerFlops(seq, mm.hiddenSize, mm.intermediateSize, mm.numHiddenLayers));
    };

    // One network per precision, each converted once as loading does (the same random weights).
    auto makeNet = [&](Precision precision) {
        at::manual_seed(0);
        FlavaNet net(cfg);
        net->finalize(precision, precision);
        net->eval();
        return net;
    };
    auto imageRate = [&](const FlavaNet &net, int batch) {
        const auto pixels = at::randn({batch, im.numChannels, im.imageSize, im.imageSize});
        auto run = [&] {
            const auto out = net->flava->image_model->forward(pixels);
            FlavaNetImpl::normalize(net->imageFeatures(out.last));
        };
        run(); // warm-up
        return batch / medianSeconds(reps, run);
    };
    auto textSeconds = [&](const FlavaNet &net, int len) {
        const auto ids = at::randint(1000, 2000, {1, len}, at::kLong);
        auto run = [&] {
            const auto out = net->flava->text_model->forward(ids, at::Tensor());
            FlavaNetImpl::normalize(net->textFeatures(out.last));
        };
        run();
        return medianSeconds(reps * 3, run);
    };
    // ITM rerank: one 8-token query against P cached image states.
    auto itmSeconds = [&](const FlavaNet &net, int pairs) {
        const auto ids = at::randint(1000, 2000, {1, 8}, at::kLong);
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
    auto textRow = [&](const std::string &prefix, int len, double s) {
        add({prefix + "text query, " + std::to_string(len) + " tokens", s * 1e3, "ms",
             transformerFlops(len, tx.hiddenSize, tx.intermediateSize, tx.numHiddenLayers) / s /
                 1e9,
             0});
    };
    auto itmRow = [&](const std::string &prefix, int pairs, double s) {
        add({prefix + "ITM rerank, " + std::to_string(pairs) + (pairs == 1 ? " pair" : " pairs"),
             s * 1e3, "ms", itmFlops(pairs) / s / 1e9, 0});
    };

    {
        const auto net = makeNet(Precision::Float32);
        // Image encoder + projection (what indexing runs per photo).
        for (int batch : options.imageBatches) {
            const double ips = imageRate(net, batch);
            if (ips > report.bestImagesPerSecond) {
                report.bestImagesPerSecond = ips;
                report.bestBatch = batch;
            }
            add({"image encoder, batch " + std::to_string(batch), ips, "images/s",
                 imageFlops * ips / 1e9, 0});
        }
        // Text queries (what every search runs once).
        for (int len : {8, 77}) {
            const double s = textSeconds(net, len);
            (len == 8 ? report.text8Ms : report.text77Ms) = s * 1e3;
            textRow("", len, s);
        }
        std::vector<int> pairCounts{1, 10, 20, 50};
        if (options.quick)
            pairCounts = {1, 20};
        for (int pairs : pairCounts) {
            const double s = itmSeconds(net, pairs);
            if (pairs == 1)
                report.itm1Ms = s * 1e3;
            if (pairs == 20)
                report.itm20Ms = s * 1e3;
            report.itmMs[pairs] = s * 1e3;
            itmRow("", pairs, s);
        }
    }

    // Reduced precisions, each at the fp32 encoder's best batch. bf16 only where the CPU has
    // bf16 units: emulated, it is tens of times slower than fp32.
    const CpuFeatures &cpu = cpuFeatures();
    report.cpuFeatures = cpu.summary();
    report.bestPrecision = precisionName(bestCpuPrecision(cpu));
    std::vector<Precision> reduced{Precision::Int8};
    if (cpu.hasBf16()) {
        reduced.insert(reduced.begin(), Precision::BFloat16);
        report.bf16GemmGflops = measureGemmGflops(options.quick, /*bf16=*/true);
        add({"bf16 GEMM ceiling (1536^3)", report.bf16GemmGflops, "GFLOP/s", report.bf16GemmGflops,
             0});
    }
    for (Precision precision : reduced) {
        const auto net = makeNet(precision);
        const std::string prefix = precisionName(precision) + " ";
        PrecisionFigures f;
        f.imagesPerSecond = imageRate(net, report.bestBatch);
        add({prefix + "image encoder, batch " + std::to_string(report.bestBatch), f.imagesPerSecond,
             "images/s", imageFlops * f.imagesPerSecond / 1e9, 0});
        // int8 queries run in TextQueryEncoder (LibTorch-free), as FlavaModel runs them.
        double t8 = 0;
        if (precision == Precision::Int8) {
            const auto views = net->parameterViews(TextPart);
            const TextQueryEncoder encoder(cfg, lookupIn(views), "random", modelThreads());
            std::vector<std::int64_t> ids(8);
            for (std::size_t i = 0; i < ids.size(); ++i)
                ids[i] = 1000 + std::int64_t(i) * 97;
            encoder.embed(ids); // warm-up
            t8 = medianSeconds(reps * 3, [&] { encoder.embed(ids); });
        } else {
            t8 = textSeconds(net, 8);
        }
        f.text8Ms = t8 * 1e3;
        textRow(prefix, 8, t8);
        const double s20 = itmSeconds(net, 20);
        f.rerank20Ms = s20 * 1e3;
        itmRow(prefix, 20, s20);
        report.reduced[precisionName(precision)] = f;
    }
    if (report.reduced.count("int8")) {
        report.int8ImagesPerSecond = report.reduced["int8"].imagesPerSecond;
        report.int8Rerank20Ms = report.reduced["int8"].rerank20Ms;
    }
    return report;
}

} // namespace imago::flava
