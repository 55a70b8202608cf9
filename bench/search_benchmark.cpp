#include "search_benchmark.h"

#include "duplicate_finder.h"
#include "index_benchmark.h"
#include "library.h"
#include "model_session.h"
#include "search_engine.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>

namespace imago {

namespace {

// 6 words + [CLS] + [SEP]: the 8-token query the README quotes.
const QString kQuery = QStringLiteral("a photo a photo a photo");

double medianMs(int runs, const std::function<void()> &call)
{
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        call();
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    std::sort(ms.begin(), ms.end());
    return ms.empty() ? 0 : ms[ms.size() / 2];
}

std::shared_ptr<const ModelSession> randomSession(int threads, flava::Precision text)
{
    flava::ModelOptions mo;
    mo.device = flava::Device::Cpu;
    mo.threads = threads;
    mo.textPrecision = text;
    return ModelSession::fromModel(flava::FlavaModel::createRandom(flava::FlavaConfig(), mo));
}

// Adds photos [from, to) with synthetic facts and vectors, 10k per transaction.
void fillLibrary(Library &lib, std::size_t from, std::size_t to, int dim)
{
    constexpr std::size_t kBatch = 10'000;
    const QDateTime mtime = QDateTime::fromSecsSinceEpoch(1'700'000'000, Qt::UTC);
    for (std::size_t start = from; start < to; start += kBatch) {
        const std::size_t n = std::min(kBatch, to - start);
        const auto vectors = clusteredBenchmarkVectors(n, dim, 10'000, 11, 1000 + start);
        LibraryBatch batch;
        batch.indexed.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t id = start + i;
            PhotoFacts &f = batch.indexed[i].facts;
            f.path = QStringLiteral("/bench/photos/%1/IMG_%2.jpg")
                         .arg(id / 1000, 4, 10, QLatin1Char('0'))
                         .arg(id, 7, 10, QLatin1Char('0'));
            f.size = 3'000'000 + std::int64_t(id % 1000);
            f.mtime = mtime.addSecs(std::int64_t(id));
            f.contentHash = QStringLiteral("%1").arg(id, 64, 16, QLatin1Char('0'));
            f.width = 4000;
            f.height = 3000;
            f.format = QStringLiteral("jpeg");
            f.capturedAt = mtime.addSecs(std::int64_t(id)).toLocalTime();
            f.camera = QStringLiteral("Bench Camera");
            batch.indexed[i].embedding.assign(vectors.begin() + std::ptrdiff_t(i) * dim,
                                              vectors.begin() + std::ptrdiff_t(i + 1) * dim);
        }
        lib.apply(batch);
    }
}

QString formatMs(double ms)
{
    return QString::number(ms, 'f', ms < 10 ? 2 : 1);
}

} // namespace

SearchBenchmarkReport benchmarkSearch(const SearchBenchmarkOptions &options,
                                      const std::function<void(const SearchBenchmarkRow &)> &onRow)
{
    SearchBenchmarkReport report;
    auto emit = [&](SearchBenchmarkRow row) {
        if (onRow)
            onRow(row);
        report.rows.push_back(std::move(row));
    };
    QTemporaryDir temp(options.workDir.isEmpty() ? QDir::tempPath() + "/imago-search-bench-XXXXXX"
                                                 : options.workDir + "/imago-search-bench-XXXXXX");
    if (!temp.isValid())
        throw std::runtime_error("cannot create a folder for the benchmark libraries: " +
                                 temp.errorString().toStdString());

    // The text encoder alone, both precisions (same seed: the same network).
    const auto fp32 = randomSession(options.threads, flava::Precision::Float32);
    const auto session = randomSession(options.threads, flava::Precision::Int8);
    const auto ids = session->tokenizer().encode(kQuery.toStdString()).ids;
    for (const auto &[s, name, out] :
         {std::tuple{fp32, "text encoder, 8 tokens, fp32", &report.text8Fp32Ms},
          std::tuple{session, "text encoder, 8 tokens, int8 (default)", &report.text8Int8Ms}}) {
        const auto lat =
            measureLatency(options.queries, [&](std::size_t) { s->model()->embedTexts({ids}); });
        *out = lat.p50;
        emit({QString::fromLatin1(name), lat.p50, lat.p95,
              QStringLiteral("%1 tokens").arg(ids.size())});
    }

    // Query latency at each size, through the engine, as the CLI and the app run it.
    {
        LibraryOptions lo;
        lo.modelIdentity = session->identity();
        lo.saveEvery = std::size_t(-1) / 2; // saved once per size, below
        Library lib(temp.path() + "/query", lo);
        const int dim = session->model()->embeddingDim();
        std::size_t have = 0;
        for (std::size_t n : options.sizes) {
            const auto t0 = std::chrono::steady_clock::now();
            fillLibrary(lib, have, n, dim);
            lib.save(); // the index kind the product has at this size
            have = n;
            const double fillS =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const QString kind = lib.status().index.kind;
            const SearchEngine engine(session, lib);
            SearchOptions so;
            so.top = options.top;
            so.rerank = 0;
            std::size_t returned = 0;
            const auto lat = measureLatency(options.queries, [&](std::size_t) {
                returned = engine.search(kQuery, so).results.size();
            });
            // The same minus the text encoder: a photo's stored vector as the query.
            const QString photo = QStringLiteral("/bench/photos/0000/IMG_0000007.jpg");
            const auto similar = measureLatency(
                options.queries, [&](std::size_t) { engine.similar(photo, QString(), so); });
            SearchBenchmarkRow row{
                QStringLiteral("%1 photos (%2 index), p50 / p95").arg(n).arg(kind), lat.p50,
                lat.p95,
                QStringLiteral("top %1 with catalog rows (%2 returned); without the text encoder "
                               "(similar photo) p50 %3 ms; filled and saved in %4 s")
                    .arg(options.top)
                    .arg(returned)
                    .arg(formatMs(similar.p50))
                    .arg(fillS, 0, 'f', 0)};
            report.query[n] = row;
            emit(row);
            // Duplicates: every vector against all (no copies among random vectors, so this
            // is the vector part; each confirmed candidate adds a small decode).
            if (n <= 100000) {
                const auto d0 = std::chrono::steady_clock::now();
                const DuplicateReport dup = findDuplicates(lib);
                const double dupMs =
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - d0)
                        .count();
                emit({QStringLiteral("%1 photos, duplicates (vectors)").arg(n), dupMs, dupMs,
                      QStringLiteral("once; %1 candidate pairs, %2 groups")
                          .arg(dup.candidatePairs)
                          .arg(dup.groups.size())});
            }
            // The same with words the photos' own text holds: "IMG_0000042" names one photo
            // (ranked), "camera" is in every photo's camera (too common to rank: intersected
            // with the model's candidates).
            for (const auto &[words, what] :
                 {std::pair{QStringLiteral("a photo IMG_0000042"), "a file name"},
                  std::pair{QStringLiteral("a photo camera"), "a word in every photo"}}) {
                std::size_t first = 0;
                const auto text = measureLatency(options.queries, [&](std::size_t) {
                    const auto r = engine.search(words, so);
                    first = r.results.empty() ? 0 : std::size_t(r.results.front().textMatch);
                });
                emit({QStringLiteral("%1 photos, query with %2").arg(n).arg(QLatin1String(what)),
                      text.p50, text.p95,
                      QStringLiteral("\"%1\": the names, folders and keywords looked up too "
                                     "(first result a text match: %2)")
                          .arg(words, first ? QStringLiteral("yes") : QStringLiteral("no"))});
            }
        }
    }

    // Rerank, cold and warm, against real photos.
    if (!options.photoDir.isEmpty() && !options.rerank.empty()) {
        const QFileInfoList files =
            QDir(options.photoDir)
                .entryInfoList({QStringLiteral("*.jpg"), QStringLiteral("*.jpeg")}, QDir::Files,
                               QDir::Name);
        if (files.isEmpty())
            throw std::runtime_error(options.photoDir.toStdString() + ": no JPEG files to rerank");
        // As many distinct photos as the largest R: links to the given files, each its own
        // catalog entry (and so its own cache entry).
        const int most = *std::max_element(options.rerank.begin(), options.rerank.end());
        const QString linkDir = temp.path() + "/photos";
        QDir().mkpath(linkDir);
        LibraryOptions lo;
        lo.modelIdentity = session->identity();
        Library lib(temp.path() + "/rerank", lo);
        LibraryBatch batch;
        const auto vectors =
            clusteredBenchmarkVectors(std::size_t(most), session->model()->embeddingDim(), 4, 3, 4);
        for (int i = 0; i < most; ++i) {
            const QFileInfo &source = files[i % files.size()];
            const QString link =
                QStringLiteral("%1/photo_%2.jpg").arg(linkDir).arg(i, 3, 10, QLatin1Char('0'));
            QFile::link(source.absoluteFilePath(), link);
            IndexedPhoto p;
            p.facts.path = link;
            p.facts.size = source.size();
            p.facts.mtime = source.lastModified().toUTC();
            p.facts.contentHash = QStringLiteral("%1").arg(i, 64, 16, QLatin1Char('0'));
            p.facts.format = QStringLiteral("jpeg");
            const int e = session->model()->embeddingDim();
            p.embedding.assign(vectors.begin() + std::ptrdiff_t(i) * e,
                               vectors.begin() + std::ptrdiff_t(i + 1) * e);
            batch.indexed.push_back(std::move(p));
        }
        lib.apply(batch);
        for (int r : options.rerank) {
            SearchOptions so;
            so.top = r;
            so.rerank = r;
            const double cold = medianMs(options.coldRuns, [&] {
                const SearchEngine engine(session, lib); // an empty cache each time
                engine.search(kQuery, so);
            });
            const SearchEngine engine(session, lib);
            engine.search(kQuery, so); // fills the cache
            const double warm = medianMs(options.warmRuns, [&] { engine.search(kQuery, so); });
            report.rerankColdMs[r] = cold;
            report.rerankWarmMs[r] = warm;
            emit({QStringLiteral("rerank top %1, cold cache").arg(r), cold, 0,
                  QStringLiteral("decode + image encoder for %1 photos, then ITM").arg(r)});
            emit({QStringLiteral("rerank top %1, warm cache").arg(r), warm, 0,
                  QStringLiteral("the same query again: ITM only")});
        }
    }
    return report;
}

} // namespace imago
