#include "indexing_benchmark.h"

#include "indexing_run.h"
#include "library.h"
#include "model_session.h"

#include <QColor>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QPainter>
#include <QRandomGenerator>
#include <QTemporaryDir>

#include <algorithm>
#include <fstream>
#include <sys/resource.h>

namespace imago {

double residentMb()
{
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

namespace {

void writeRealisticJpeg(const QString &path, int w, int h, quint32 seed)
{
    QRandomGenerator rng(seed);
    QImage img(w, h, QImage::Format_RGB888);
    // Smooth gradients with fine noise: compresses like a photo (3-4 MB at q90 for 12 MP).
    const int hueA = int(rng.bounded(360)), hueB = int(rng.bounded(360));
    for (int y = 0; y < h; ++y) {
        uchar *row = img.scanLine(y);
        // An HSV QColor converts on every red()/green()/blue(): once per row, not per pixel.
        const QColor c =
            QColor::fromHsv((hueA + (hueB - hueA) * y / h + 360) % 360, 120, 200).toRgb();
        const int r = c.red(), g = c.green(), b = c.blue();
        for (int x = 0; x < w; ++x) {
            const int n = int(rng.bounded(24)) - 12;
            row[3 * x + 0] = uchar(std::clamp(r + n + x * 40 / w, 0, 255));
            row[3 * x + 1] = uchar(std::clamp(g + n, 0, 255));
            row[3 * x + 2] = uchar(std::clamp(b + n - x * 30 / w, 0, 255));
        }
    }
    QPainter p(&img);
    for (int i = 0; i < 12; ++i) {
        p.setBrush(QColor::fromHsv(int(rng.bounded(360)), 200, int(rng.bounded(256))));
        p.drawEllipse(int(rng.bounded(w)), int(rng.bounded(h)), w / 6, h / 6);
    }
    p.end();
    img.save(path, "JPEG", 90);
}

} // namespace

void generateBenchmarkPhotos(const QString &dir, const IndexingBenchmarkOptions &o)
{
    for (int i = 0; i < o.photos; ++i)
        writeRealisticJpeg(QStringLiteral("%1/IMG_%2.jpg").arg(dir).arg(i, 4, 10, QLatin1Char('0')),
                           o.width, o.height, quint32(i + 1));
}

IndexingBenchmarkReport benchmarkIndexing(const QString &photoDir,
                                          const IndexingBenchmarkOptions &o)
{
    IndexingBenchmarkReport report;
    QTemporaryDir libraryDir;
    report.photos = o.photos;
    report.megapixels = double(o.width) * o.height / 1e6;

    flava::ModelOptions mo;
    mo.device = flava::Device::Cpu;
    mo.threads = o.threads;
    mo.precision = o.precision;
    const auto session =
        ModelSession::fromModel(flava::FlavaModel::createRandom(flava::FlavaConfig(), mo));
    const auto &model = *session->model();

    // The bare encoder at the same batch size, warmed up, over as many images as the run
    // indexes: half the batches before the run and half after, so both figures span the same
    // stretch of time (a machine's speed drifts), and both are images / total seconds.
    const std::size_t floats = std::size_t(3) * model.imageSize() * model.imageSize();
    std::vector<float> pixels(floats * std::size_t(o.batch), 0.1f);
    model.embedImages(pixels, o.batch);
    const int batches = std::max(2, (o.photos + o.batch - 1) / o.batch);
    qint64 encoderNs = 0;
    auto encode = [&](int n) {
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < n; ++i)
            model.embedImages(pixels, o.batch);
        encoderNs += t.nsecsElapsed();
    };
    encode(batches / 2);
    report.rssStartMb = residentMb();
    double peak = report.rssStartMb;
    {
        LibraryOptions lo;
        lo.modelIdentity = session->identity();
        Library library(libraryDir.path(), lo);
        IndexingOptions io;
        io.batchSize = o.batch;
        IndexingRun run(library, session, io);
        QElapsedTimer t;
        t.start();
        const auto summary = run.run(
            {photoDir}, [&](const IndexingProgress &) { peak = std::max(peak, residentMb()); });
        report.endToEndImagesPerSecond = summary.indexed / std::max(1e-9, t.nsecsElapsed() / 1e9);
    }
    encode(batches - batches / 2);
    report.encoderImagesPerSecond = double(batches) * o.batch / std::max(1e-9, encoderNs / 1e9);
    report.rssEndMb = residentMb();
    report.rssPeakMb = std::max(peak, report.rssEndMb);
    report.ratio = report.endToEndImagesPerSecond / report.encoderImagesPerSecond;
    return report;
}

} // namespace imago
