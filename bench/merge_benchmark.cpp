// imago-merge-bench: merge time and peak memory for sharded libraries at scale.
//
// Writes SHARDS shard libraries holding PHOTOS synthetic photos between them (each photo in the
// shard its path hashes to, as `index --shard` splits them; unit vectors of DIM values around a
// thousand clusters, like embeddings), then times `imago-cli merge` into a new library as a
// separate process - its wall time and peak resident memory (wait4) - and a second, no-op merge.
// Prints a table; --json prints it as JSON. Not a test: nothing here asserts a time.
//   imago-merge-bench [--photos 1000000] [--shards 10] [--dim 768] [--work DIR] [--cli PATH]
#include "library.h"
#include "shard.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

extern char **environ;

using namespace imago;

namespace {

struct ChildRun
{
    int status = -1;
    double seconds = 0;
    long peakRssKb = 0;
    QByteArray out;
};

// Runs `argv` with stdout to a file; its wall time and peak RSS.
ChildRun runChild(const QStringList &args, const QString &outFile)
{
    std::vector<QByteArray> bytes;
    for (const QString &a : args)
        bytes.push_back(QFile::encodeName(a));
    std::vector<char *> argv;
    for (QByteArray &b : bytes)
        argv.push_back(b.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO,
                                     QFile::encodeName(outFile).constData(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ChildRun r;
    QElapsedTimer clock;
    clock.start();
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return r;
    }
    posix_spawn_file_actions_destroy(&actions);
    struct rusage usage = {};
    ::wait4(pid, &r.status, 0, &usage);
    r.seconds = double(clock.nsecsElapsed()) / 1e9;
    r.peakRssKb = usage.ru_maxrss;
    QFile f(outFile);
    if (f.open(QIODevice::ReadOnly))
        r.out = f.readAll();
    return r;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser p;
    p.setApplicationDescription(QStringLiteral("Merge time and peak memory at scale."));
    p.addHelpOption();
    p.addOption({QStringLiteral("photos"), QStringLiteral("Photos in all (1000000)."),
                 QStringLiteral("N")});
    p.addOption({QStringLiteral("shards"), QStringLiteral("Shards (10)."), QStringLiteral("S")});
    p.addOption(
        {QStringLiteral("dim"), QStringLiteral("Embedding size (768)."), QStringLiteral("D")});
    p.addOption({QStringLiteral("work"),
                 QStringLiteral("Folder for the libraries (a temporary one)."),
                 QStringLiteral("DIR")});
    p.addOption(
        {QStringLiteral("cli"), QStringLiteral("imago-cli to run."), QStringLiteral("PATH")});
    p.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
    p.addOption({QStringLiteral("reuse"),
                 QStringLiteral("Reuse the shard libraries a previous run left in --work.")});
    p.process(app);
    const qint64 photos = p.isSet(QStringLiteral("photos"))
                              ? p.value(QStringLiteral("photos")).toLongLong()
                              : 1'000'000;
    const int shards =
        p.isSet(QStringLiteral("shards")) ? p.value(QStringLiteral("shards")).toInt() : 10;
    const int dim = p.isSet(QStringLiteral("dim")) ? p.value(QStringLiteral("dim")).toInt() : 768;
    const QString cli =
        p.isSet(QStringLiteral("cli")) ? p.value(QStringLiteral("cli")) : QStringLiteral(IMAGO_CLI);
    if (photos < 1 || shards < 1 || dim < 1) {
        std::fprintf(stderr, "--photos, --shards and --dim must be positive\n");
        return 2;
    }
    QTemporaryDir tmp;
    const QString work =
        p.isSet(QStringLiteral("work")) ? p.value(QStringLiteral("work")) : tmp.path();
    QDir().mkpath(work);

    // The shard libraries, as `index --shard k/S` would leave them (no index file: merge reads
    // catalogs only).
    QStringList dirs;
    bool reusable = p.isSet(QStringLiteral("reuse"));
    for (int k = 0; k < shards; ++k) {
        dirs << QStringLiteral("%1/shard-%2").arg(work).arg(k);
        reusable = reusable && Library::exists(dirs.back());
    }
    QElapsedTimer clock;
    clock.start();
    if (!reusable) {
        for (const QString &dir : dirs)
            QDir(dir).removeRecursively();
        std::mt19937_64 rng(20261203);
        std::normal_distribution<float> gauss(0.f, 1.f);
        constexpr int kCentres = 1000;
        std::vector<float> centres(std::size_t(kCentres) * std::size_t(dim));
        for (float &c : centres)
            c = gauss(rng);
        std::vector<std::unique_ptr<Library>> libs;
        std::vector<LibraryBatch> pending(static_cast<std::size_t>(shards));
        for (int k = 0; k < shards; ++k) {
            LibraryOptions o;
            o.modelIdentity = QStringLiteral("bench-model");
            o.loadIndex = false;
            libs.push_back(std::make_unique<Library>(dirs[k], o));
            libs.back()->claimShard(ShardSpec{k, shards});
            libs.back()->addRoot(QStringLiteral("/archive"));
        }
        std::uniform_int_distribution<int> pickCentre(0, kCentres - 1);
        const float spread = 0.6f;
        for (qint64 i = 0; i < photos; ++i) {
            const QString rel =
                QStringLiteral("%1/%2/IMG_%3.jpg").arg(2000 + i % 25).arg(i % 997).arg(i);
            const int k = shardOfPath(rel, shards);
            IndexedPhoto photo;
            photo.facts.path = QStringLiteral("/archive/") + rel;
            photo.facts.size = 2'000'000 + i;
            photo.facts.mtime =
                QDateTime::fromMSecsSinceEpoch(1'600'000'000'000 + i * 1000, Qt::UTC);
            photo.facts.contentHash =
                QStringLiteral("%1").arg(quint64(stablePathHash(rel)), 16, 16, QLatin1Char('0'));
            photo.facts.width = 4000;
            photo.facts.height = 3000;
            photo.facts.format = QStringLiteral("jpeg");
            photo.embedding.resize(std::size_t(dim));
            const float *c = centres.data() + std::size_t(pickCentre(rng)) * std::size_t(dim);
            double norm = 0;
            for (int j = 0; j < dim; ++j) {
                photo.embedding[std::size_t(j)] = c[j] + spread * gauss(rng);
                norm += double(photo.embedding[std::size_t(j)]) * photo.embedding[std::size_t(j)];
            }
            for (float &v : photo.embedding)
                v = float(v / std::sqrt(norm));
            LibraryBatch &b = pending[std::size_t(k)];
            b.indexed.push_back(std::move(photo));
            if (b.indexed.size() == 5000) {
                libs[std::size_t(k)]->apply(b);
                b = LibraryBatch();
            }
        }
        for (int k = 0; k < shards; ++k)
            if (!pending[std::size_t(k)].indexed.empty())
                libs[std::size_t(k)]->apply(pending[std::size_t(k)]);
        libs.clear();
    }
    const double makeSeconds = reusable ? 0.0 : double(clock.elapsed()) / 1000.0;

    const QString dest = work + QStringLiteral("/merged");
    QDir(dest).removeRecursively();
    const QStringList args = QStringList{cli, QStringLiteral("merge"), QStringLiteral("--library"),
                                         dest, QStringLiteral("--json")} +
                             dirs;
    const ChildRun first = runChild(args, work + QStringLiteral("/merge1.json"));
    const ChildRun second = runChild(args, work + QStringLiteral("/merge2.json"));
    if (first.status != 0 || second.status != 0) {
        std::fprintf(stderr, "imago-cli merge failed (status %d, %d):\n%s\n", first.status,
                     second.status, first.out.constData());
        return 1;
    }
    const QJsonObject m = QJsonDocument::fromJson(first.out).object();
    qint64 catalogBytes = QFileInfo(dest + QStringLiteral("/catalog.sqlite3")).size();
    QJsonObject status;
    {
        const ChildRun s = runChild({cli, QStringLiteral("status"), QStringLiteral("--library"),
                                     dest, QStringLiteral("--json")},
                                    work + QStringLiteral("/status.json"));
        status = QJsonDocument::fromJson(s.out).object().value(QStringLiteral("index")).toObject();
    }
    const QJsonObject out{
        {QStringLiteral("photos"), photos},
        {QStringLiteral("shards"), shards},
        {QStringLiteral("dim"), dim},
        {QStringLiteral("make_shards_seconds"), makeSeconds},
        {QStringLiteral("merge_seconds"), first.seconds},
        {QStringLiteral("merge_in_process_seconds"), m.value(QStringLiteral("seconds"))},
        {QStringLiteral("merge_peak_rss_mb"), double(first.peakRssKb) / 1024.0},
        {QStringLiteral("merge_again_seconds"), second.seconds},
        {QStringLiteral("merge_again_peak_rss_mb"), double(second.peakRssKb) / 1024.0},
        {QStringLiteral("added"), m.value(QStringLiteral("added"))},
        {QStringLiteral("index_kind"), m.value(QStringLiteral("index_kind"))},
        {QStringLiteral("nlist"), status.value(QStringLiteral("nlist"))},
        {QStringLiteral("nprobe"), status.value(QStringLiteral("nprobe"))},
        {QStringLiteral("recall_at_10"), status.value(QStringLiteral("recall_at_10"))},
        {QStringLiteral("catalog_mb"), double(catalogBytes) / (1024.0 * 1024.0)},
    };
    if (p.isSet(QStringLiteral("json"))) {
        std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
        return 0;
    }
    std::printf("| what | value |\n|---|---|\n");
    std::printf("| photos, shards, dim | %lld in %d shards, %d dims |\n", qlonglong(photos), shards,
                dim);
    std::printf("| writing the shard libraries | %.1f s |\n", makeSeconds);
    std::printf("| `imago-cli merge` into a new library | %.1f s wall (%.0f photos/s), peak RSS "
                "%.0f MB |\n",
                first.seconds, double(photos) / first.seconds, double(first.peakRssKb) / 1024.0);
    std::printf("| the same merge again (no change) | %.1f s, peak RSS %.0f MB |\n", second.seconds,
                double(second.peakRssKb) / 1024.0);
    std::printf("| merged index | %s, nlist %d, nprobe %d, recall@10 %.3f |\n",
                qPrintable(m.value(QStringLiteral("index_kind")).toString()),
                status.value(QStringLiteral("nlist")).toInt(),
                status.value(QStringLiteral("nprobe")).toInt(),
                status.value(QStringLiteral("recall_at_10")).toDouble(-1));
    std::printf("| merged catalog | %.0f MB |\n", double(catalogBytes) / (1024.0 * 1024.0));
    return 0;
}
