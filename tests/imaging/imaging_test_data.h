// imaging_test_data.h - where the imaging tests find their files, and the oracles written by
// tests/data/imaging/make_*.py. Header-only; every test executable gets its own copy.
#pragma once

#include "rgb_image.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace imago::testdata {

inline const QString kShared = QStringLiteral(IMAGO_SHARED_DIR);
inline const QString kDataDir = QStringLiteral(IMAGO_TEST_DATA_DIR "/imaging");
inline const QString kCorpus = kShared + QStringLiteral("/corpus/");
inline const QString kPreprocess = kShared + QStringLiteral("/flava-reference/preprocess/");

inline QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

inline QJsonObject jsonFile(const QString &name)
{
    return QJsonDocument::fromJson(readAll(kDataDir + QLatin1Char('/') + name)).object();
}

// Pillow 9.4's decodes: {"fixtures": {file: {size_wh, sha256}}, "corpus": {path: ...}}.
inline const QJsonObject &expectedRgb()
{
    static const QJsonObject doc = jsonFile(QStringLiteral("expected_rgb.json"));
    return doc;
}

// Pillow 9.4's decodes of the TIFF layout fixtures: {file: {size_wh, sha256}}.
inline QJsonObject expectedTiffRgb()
{
    static const QJsonObject doc = jsonFile(QStringLiteral("expected_tiff_rgb.json"));
    return doc.value(QLatin1String("fixtures")).toObject();
}

// ImageMagick + libheif cell means of the corpus HEIF/AVIF files: {grid, corpus: {path: ...}}.
inline const QJsonObject &expectedHeifCells()
{
    static const QJsonObject doc = jsonFile(QStringLiteral("expected_heif_cells.json"));
    return doc;
}

inline QString sha256(const RgbImage &img)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(QByteArrayView(reinterpret_cast<const char *>(img.pixels.data()),
                                                qsizetype(img.pixels.size())),
                                 QCryptographicHash::Sha256)
            .toHex());
}

struct CorpusRow
{
    QString path, expected, orientedWxh, format;
};

// ../shared/corpus/MANIFEST.tsv: path, kind, expected, oriented_wxh, format, ...
inline QList<CorpusRow> corpusRows()
{
    QList<CorpusRow> rows;
    const QList<QByteArray> lines = readAll(kCorpus + QStringLiteral("MANIFEST.tsv")).split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QList<QByteArray> f = lines[i].split('\t');
        if (f.size() > 4)
            rows.append({QString::fromUtf8(f[0]), QString::fromUtf8(f[2]), QString::fromUtf8(f[3]),
                         QString::fromUtf8(f[4])});
    }
    return rows;
}

} // namespace imago::testdata
