// model_benchmark.h - measures this machine and the FLAVA port at full size.
//
// Builds a FLAVA-full-sized network (the default config) with random weights - no download
// needed - and times, after a warm-up, the GEMM ceiling, the image encoder at several batch
// sizes, text queries and ITM rerank, reporting medians and achieved GFLOP/s as a fraction of
// the GEMM ceiling. Used by `imago-cli bench`. Runs on the calling thread; takes ~1-2 minutes
// on 2 cores (quick: ~20 s).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace imago::flava {

struct BenchmarkOptions
{
    bool quick = false;
    int threads = 0; // 0: the idle cores
    std::vector<int> imageBatches{1, 4, 8, 16};
};

struct BenchmarkRow
{
    std::string name;     // "image encoder, batch 8"
    double value = 0;     // in `unit`
    std::string unit;     // "images/s", "ms", "GFLOP/s"
    double gflops = 0;    // achieved
    double ofCeiling = 0; // gflops / GEMM ceiling
};

struct SystemInfo
{
    std::string cpu;
    int cores = 0;
    int threads = 0;
    std::string blas;
    bool referenceBlas = false;
    std::string torchVersion;
    std::string device;
};

// One reduced precision's figures (at the fp32 encoder's best batch).
struct PrecisionFigures
{
    double imagesPerSecond = 0;
    double text8Ms = 0;
    double rerank20Ms = 0;
};

struct BenchmarkReport
{
    SystemInfo system;
    double gemmGflops = 0;
    std::vector<BenchmarkRow> rows;
    double bestImagesPerSecond = 0;
    int bestBatch = 0;
    double text8Ms = 0, text77Ms = 0, itm1Ms = 0, itm20Ms = 0;
    double int8ImagesPerSecond = 0, int8Rerank20Ms = 0;
    std::map<int, double> itmMs; // rerank latency by R (warm: image states given)
    double bf16GemmGflops = 0;   // 0: the CPU has no bf16 units (not measured)
    std::map<std::string, PrecisionFigures> reduced; // "bf16", "int8"
    std::string cpuFeatures;                         // CpuFeatures::summary()
    std::string bestPrecision;                       // what auto picks for images here
};

// Sets the model's thread count as `threads` asks (0: the idle cores), then describes the
// machine and the runtime.
SystemInfo systemInfo(int threads);
// Median GFLOP/s of large single-precision (or, with bf16, bfloat16) matrix products: the
// machine's practical ceiling.
double measureGemmGflops(bool quick, bool bf16 = false);
// `onRow` is called as each row is measured (for live output).
BenchmarkReport benchmarkModel(const BenchmarkOptions &options,
                               const std::function<void(const BenchmarkRow &)> &onRow = {});

// Floating-point operations of one forward pass, for the achieved-GFLOP/s columns.
double transformerFlops(double tokens, double width, double mlp, double layers);

} // namespace imago::flava
