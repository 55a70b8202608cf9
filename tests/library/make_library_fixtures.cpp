// make_library_fixtures: writes the version-1 library fixtures (tests/data/library).
//
// Run once per schema/format version, and commit the output; never regenerate an old version's
// fixture, since its purpose is to be what that version wrote:
//   ninja -C build make_library_fixtures && build/tests/make_library_fixtures /tmp/fixtures
// (see tests/data/library/README.md).
// Contents (what the tests check): model "fixture-model-v1", root /photos, vectors of 8 dims:
//   /photos/2021/sunset.jpg  indexed, 4032x3024, Canon EOS 5D, 2021-07-04T18:30:00, vector e0
//   /photos/2021/forest.jpg  indexed, 3000x2000, vector (0.6, 0.8, 0, ...)
//   /photos/2021/broken.jpg  rejected, "truncated JPEG"
#include "library.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <cstdio>

using namespace imago;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_library_fixtures OUTPUT_DIR\n");
        return 2;
    }
    const QString out = QString::fromLocal8Bit(argv[1]);
    QTemporaryDir tmp;
    const QString dir = tmp.filePath(QStringLiteral("library"));
    {
        LibraryOptions options;
        options.modelIdentity = QStringLiteral("fixture-model-v1");
        Library lib(dir, options);
        lib.catalog().addRoot(QStringLiteral("/photos"));
        auto facts = [](const char *path, int w, int h) {
            PhotoFacts f;
            f.path = QString::fromLatin1(path);
            f.size = 1000 + w;
            f.mtime = QDateTime::fromMSecsSinceEpoch(1'625'000'000'000, Qt::UTC);
            // A stand-in content hash that is the same on every machine (qHash is not: it
            // depends on the CPU's instruction set).
            f.contentHash = QString::fromLatin1(
                QCryptographicHash::hash(f.path.toUtf8(), QCryptographicHash::Sha256).toHex());
            f.width = w;
            f.height = h;
            f.format = QStringLiteral("jpeg");
            return f;
        };
        LibraryBatch batch;
        PhotoFacts sunset = facts("/photos/2021/sunset.jpg", 4032, 3024);
        sunset.camera = QStringLiteral("Canon EOS 5D");
        sunset.capturedAt = QDateTime(QDate(2021, 7, 4), QTime(18, 30, 0));
        std::vector<float> e0(8, 0.f), forest(8, 0.f);
        e0[0] = 1.f;
        forest[0] = 0.6f;
        forest[1] = 0.8f;
        batch.indexed.push_back({sunset, e0});
        batch.indexed.push_back({facts("/photos/2021/forest.jpg", 3000, 2000), forest});
        batch.rejected.push_back({facts("/photos/2021/broken.jpg", 0, 0),
                                  makeReason(reason::kTruncated, QStringLiteral("truncated JPEG"),
                                             {QStringLiteral("JPEG")})});
        lib.apply(batch);
    } // closing checkpoints the WAL into the database file and saves the index
    QDir().mkpath(out);
    const QString catalog = out + QStringLiteral("/catalog-v1.sqlite3");
    const QString index = out + QStringLiteral("/index-v1.faiss");
    if (QFile::exists(catalog) || QFile::exists(index)) {
        std::fprintf(stderr, "%s already holds version-1 fixtures; they are never regenerated\n",
                     qPrintable(out));
        return 1;
    }
    if (!QFile::copy(dir + QStringLiteral("/catalog.sqlite3"), catalog) ||
        !QFile::copy(dir + QStringLiteral("/index.faiss"), index)) {
        std::fprintf(stderr, "cannot write the fixtures into %s\n", qPrintable(out));
        return 1;
    }
    std::printf("wrote %s and %s\n", qPrintable(catalog), qPrintable(index));
    return 0;
}
