// indexing_benchmark.h - end-to-end indexing speed against the bare image encoder.
//
// Generates realistic 12 MP JPEGs (noise, gradients, shapes; ~3-4 MB each) in a temporary
// folder, builds a FLAVA-full-sized model with random weights, then in one process measures
// the bare image encoder (images/s at the batch size) and a full IndexingRun over the folder
// (scan, read, hash, decode, resize, encode, commit), and the resident memory over the run.
// Used by `imago-cli bench`. Takes ~1-2 minutes on 2 cores.
#pragma once

#include "flava_config.h"

#include <QString>

namespace imago {

struct IndexingBenchmarkOptions
{
    int photos = 32;
    int batch = 8;
    int threads = 0;                                        // 0: the idle cores
    flava::Precision precision = flava::Precision::Float32; // the image encoder's
    int width = 4000, height = 3000;
};

struct IndexingBenchmarkReport
{
    int photos = 0;
    double megapixels = 0;
    double encoderImagesPerSecond = 0;  // bare encoder, same batch, same process
    double endToEndImagesPerSecond = 0; // IndexingRun wall time
    double ratio = 0;                   // end-to-end / encoder
    double rssStartMb = 0, rssPeakMb = 0, rssEndMb = 0;
};

// Writes options.photos JPEGs of options.width x options.height into `dir`.
void generateBenchmarkPhotos(const QString &dir, const IndexingBenchmarkOptions &options);
// Indexes the photos in `photoDir` (see generateBenchmarkPhotos) into a temporary library.
IndexingBenchmarkReport benchmarkIndexing(const QString &photoDir,
                                          const IndexingBenchmarkOptions &options);

// Current resident set size of this process, MB.
double residentMb();

} // namespace imago
