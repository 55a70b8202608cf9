// library_test_util.h - shared helpers of the library tests: seeded vectors and photo files.
#pragma once

#include "catalog.h"
#include "content_hash.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTest>

#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace imago::test {

// Raw SQL on a catalog file, for damage the Catalog API deliberately cannot do.
inline void rawExec(const QString &file, const char *sql)
{
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(QFile::encodeName(file).constData(), &db), SQLITE_OK);
    char *err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    const QString msg = err ? QString::fromUtf8(err) : QString();
    sqlite3_free(err);
    sqlite3_close(db);
    QVERIFY2(rc == SQLITE_OK, qPrintable(msg));
}


inline void normalise(float *v, std::size_t dim)
{
    double n = 0;
    for (std::size_t j = 0; j < dim; ++j)
        n += double(v[j]) * v[j];
    const float inv = float(1 / std::sqrt(n));
    for (std::size_t j = 0; j < dim; ++j)
        v[j] *= inv;
}

// n seeded unit vectors, uniformly on the sphere.
inline std::vector<float> randomUnitVectors(std::size_t n, std::size_t dim, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> g(0.f, 1.f);
    std::vector<float> x(n * dim);
    for (auto &v : x)
        v = g(rng);
    for (std::size_t i = 0; i < n; ++i)
        normalise(x.data() + i * dim, dim);
    return x;
}

// n seeded unit vectors around `centres` random centres: structure for IVF to exploit, like
// real embeddings have. The same seed gives the same centres, so queries drawn with the same
// seed and a different `pointSeed` come from the same distribution.
inline std::vector<float> clusteredUnitVectors(std::size_t n, std::size_t dim, std::size_t centres,
                                               std::uint64_t seed, std::uint64_t pointSeed,
                                               float spread = 0.8f)
{
    const std::vector<float> c = randomUnitVectors(centres, dim, seed);
    std::mt19937_64 rng(pointSeed);
    std::normal_distribution<float> g(0.f, 1.f);
    std::uniform_int_distribution<std::size_t> pick(0, centres - 1);
    const float sigma = spread / std::sqrt(float(dim));
    std::vector<float> x(n * dim);
    for (std::size_t i = 0; i < n; ++i) {
        const float *centre = c.data() + pick(rng) * dim;
        for (std::size_t j = 0; j < dim; ++j)
            x[i * dim + j] = centre[j] + sigma * g(rng);
        normalise(x.data() + i * dim, dim);
    }
    return x;
}

inline std::vector<float> row(const std::vector<float> &x, std::size_t i, std::size_t dim)
{
    return std::vector<float>(x.begin() + std::ptrdiff_t(i * dim),
                              x.begin() + std::ptrdiff_t((i + 1) * dim));
}

// Writes a small file with distinct content (the library does not decode; bytes only need to
// differ so content hashes differ).
inline QString writePhotoFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
    f.close();
    return QDir::cleanPath(QFileInfo(path).absoluteFilePath());
}

// The facts the scanner would record for an existing file.
inline PhotoFacts factsOf(const QString &path, int width = 640, int height = 480)
{
    const QFileInfo fi(path);
    PhotoFacts f;
    f.path = QDir::cleanPath(fi.absoluteFilePath());
    f.size = fi.size();
    f.mtime = fi.lastModified().toUTC();
    f.contentHash = photoContentHash(path).value_or(QString());
    f.width = width;
    f.height = height;
    f.format = QStringLiteral("jpeg");
    return f;
}

// Facts for a path that need not exist.
inline PhotoFacts fakeFacts(const QString &path, std::int64_t size = 1000)
{
    PhotoFacts f;
    f.path = path;
    f.size = size;
    f.mtime = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000 + size, Qt::UTC);
    f.contentHash = QStringLiteral("hash-%1").arg(path);
    f.width = 100;
    f.height = 50;
    f.format = QStringLiteral("png");
    return f;
}

} // namespace imago::test
