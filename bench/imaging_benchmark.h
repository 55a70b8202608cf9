// imaging_benchmark.h - what the fast JPEG path (DCT-scaled decode, DecodeRequest::minSide)
// buys over the reference path (full decode), measured on a realistic photo made in memory.
//
// runImagingBenchmark() makes a synthetic photo (smooth gradients, soft shapes, sharp edges
// and sensor-like noise, so the entropy coder has photo-like work), compresses it with
// TurboJPEG at quality 90 and 4:2:0 chroma subsampling like a phone or camera JPEG, then
// times, on the calling thread:
//   full: decodeImageData(minSide = 0)              + resizeBicubic to side x side
//   fast: decodeImageData(minSide = 2 * side)       + resizeBicubic to side x side
// (exactly what preprocess.h does for fast = false / true, without the normalisation), after
// one untimed warm-up of each, reporting the median of `iterations` runs. No test asserts the
// numbers; `imago-cli bench` prints them next to imagingLibraryVersions().
//
// Threading: reentrant; run it on an otherwise idle machine for meaningful numbers.
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>

namespace imago {

struct ImagingBenchmarkOptions
{
    int width = 4000; // 12 MP, a typical phone photo
    int height = 3000;
    int quality = 90;
    int side = 224;      // the model's input side
    int iterations = 15; // timed runs per path (the median is reported)
    std::uint32_t seed = 1;
};

struct ImagingBenchmarkPath
{
    double decodeMs = 0; // medians over the timed runs
    double resizeMs = 0;
    double totalMs = 0;   // median of decode + resize per run (not the sum of the medians)
    int decodedWidth = 0; // what the decoder produced (scaled on the fast path)
    int decodedHeight = 0;
};

struct ImagingBenchmarkResult
{
    QString error; // non-empty when the benchmark could not run; the numbers are then zero
    int width = 0, height = 0;
    std::int64_t jpegBytes = 0;
    QString subsampling; // as TurboJPEG reads it back from the generated file ("4:2:0")
    int quality = 0;
    int iterations = 0;
    ImagingBenchmarkPath full, fast;
    double speedup = 0; // full.totalMs / fast.totalMs

    bool ok() const { return error.isEmpty(); }
};

ImagingBenchmarkResult runImagingBenchmark(const ImagingBenchmarkOptions &options = {});

// The benchmark's test photo as a baseline JPEG (quality 1-100, 4:2:0). Deterministic for a
// given seed. Empty on failure.
QByteArray makeSyntheticJpeg(int width, int height, int quality, std::uint32_t seed = 1);

// "libjpeg-turbo 2.1.5, libtiff 4.5.0, libheif 1.15.1 (HEVC, AV1), Qt 6.4.2": the decoders
// linked in, for benchmark and bug reports.
QString imagingLibraryVersions();

} // namespace imago
