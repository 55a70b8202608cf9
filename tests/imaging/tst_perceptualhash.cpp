// The perceptual hash (perceptual_hash.h): near copies made here with QImage (resized, JPEG
// re-saved, cropped, brightened, and combinations) of every distinct original - the corpus
// photos that decode and the 200 flava-toy evaluation scenes, which are the hard case (many
// pictures of "a red circle") - must match their original, and no two distinct originals may
// match. The distance distributions are printed so the margin behind the thresholds is visible.

#include "image_decoder.h"
#include "imaging_test_data.h"
#include "perceptual_hash.h"

#include <QBuffer>
#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QTest>

#include <algorithm>
#include <functional>
#include <map>

using namespace imago;

namespace {

// Corpus files that hold the same picture as another one (other codecs, EXIF orientations,
// interlacing): one family is one original.
const std::map<QString, QString> kFamilies = {
    {QStringLiteral("formats/bmp/hopper.bmp"), QStringLiteral("hopper")},
    {QStringLiteral("formats/gif/hopper.gif"), QStringLiteral("hopper")},
    {QStringLiteral("formats/tiff/hopper.tif"), QStringLiteral("hopper")},
    {QStringLiteral("formats/tiff/hopper_lzw.tif"), QStringLiteral("hopper")},
    {QStringLiteral("formats/webp/hopper.webp"), QStringLiteral("hopper")},
    {QStringLiteral("jpeg/hopper_16bit_qtables.jpg"), QStringLiteral("hopper")},
    {QStringLiteral("jpeg/hopper_gray.jpg"), QStringLiteral("hopper")},
    {QStringLiteral("misnamed/hopper_is_jpeg.png"), QStringLiteral("hopper")},
    {QStringLiteral("misnamed/hopper_is_png.jpg"), QStringLiteral("hopper")},
    {QStringLiteral("misnamed/hopper_is_heif.jpg"), QStringLiteral("hopper")},
    {QStringLiteral("formats/gif/iss634.gif"), QStringLiteral("iss634")},
    {QStringLiteral("formats/png/iss634.apng"), QStringLiteral("iss634")},
    {QStringLiteral("formats/webp/iss634.webp"), QStringLiteral("iss634")},
    {QStringLiteral("formats/gif/transparent.gif"), QStringLiteral("dice")},
    {QStringLiteral("formats/png/transparent.png"), QStringLiteral("dice")},
    {QStringLiteral("formats/webp/transparent.webp"), QStringLiteral("dice")},
    {QStringLiteral("formats/tiff/tiff_strip_cmyk_jpeg.tif"), QStringLiteral("red-cmyk")},
    {QStringLiteral("jpeg/pil_sample_cmyk.jpg"), QStringLiteral("red-cmyk")},
    {QStringLiteral("jpeg/testimgari.jpg"), QStringLiteral("rose")},
    {QStringLiteral("jpeg/testorig.jpg"), QStringLiteral("rose")},
    {QStringLiteral("formats/png/basn3p08.png"), QStringLiteral("basn3p08")},
    {QStringLiteral("formats/png/ibasn3p08.png"), QStringLiteral("basn3p08")},
};

// Family members that are not pixel copies of each other: the dice differ under their
// transparent pixels (alpha is dropped, not composited), hopper_gray has lost its colour.
bool isPixelCopyOfFamily(const QString &path)
{
    return !path.contains(QLatin1String("transparent")) &&
           path != QLatin1String("jpeg/hopper_gray.jpg");
}

QString familyOf(const QString &path)
{
    if (const auto it = kFamilies.find(path); it != kFamilies.end())
        return it->second;
    if (path.startsWith(QLatin1String("exif-orientation/Landscape_")))
        return QStringLiteral("landscape");
    if (path.startsWith(QLatin1String("exif-orientation/Portrait_")))
        return QStringLiteral("portrait");
    return path;
}

QImage toQImage(const RgbImage &image)
{
    QImage q(image.width, image.height, QImage::Format_RGB888);
    for (int y = 0; y < image.height; ++y)
        std::copy_n(image.pixels.data() + std::size_t(y) * image.rowBytes(), image.rowBytes(),
                    q.scanLine(y));
    return q;
}

RgbImage fromQImage(const QImage &source)
{
    const QImage q = source.convertToFormat(QImage::Format_RGB888);
    RgbImage image;
    image.width = q.width();
    image.height = q.height();
    image.pixels.resize(image.byteCount());
    for (int y = 0; y < image.height; ++y)
        std::copy_n(q.constScanLine(y), image.rowBytes(),
                    image.pixels.data() + std::size_t(y) * image.rowBytes());
    return image;
}

// Saved as JPEG at the quality and decoded again through the product's decoder.
QImage jpeg(const QImage &q, int quality)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!q.save(&buffer, "JPEG", quality))
        return {};
    const DecodeResult decoded = decodeImageData(bytes);
    return decoded.ok() ? toQImage(decoded.decoded->image) : QImage();
}

QImage scaled(const QImage &q, double factor)
{
    return q.scaled(std::max(1, int(std::lround(q.width() * factor))),
                    std::max(1, int(std::lround(q.height() * factor))), Qt::IgnoreAspectRatio,
                    Qt::SmoothTransformation);
}

// Cuts the given fractions off the left, top, right and bottom.
QImage cropped(const QImage &q, double left, double top, double right, double bottom)
{
    const int x0 = int(std::lround(q.width() * left));
    const int y0 = int(std::lround(q.height() * top));
    const int x1 = q.width() - int(std::lround(q.width() * right));
    const int y1 = q.height() - int(std::lround(q.height() * bottom));
    return q.copy(x0, y0, x1 - x0, y1 - y0);
}

QImage brightened(const QImage &source, double gain, int offset)
{
    QImage q = source.convertToFormat(QImage::Format_RGB888);
    for (int y = 0; y < q.height(); ++y) {
        uchar *p = q.scanLine(y);
        for (int x = 0; x < q.width() * 3; ++x)
            p[x] = uchar(std::clamp(int(std::lround(p[x] * gain)) + offset, 0, 255));
    }
    return q;
}

struct Edit
{
    const char *name;
    std::function<QImage(const QImage &)> apply;
};

// The near copies: each one alone, then combinations. Crops include amounts that match none
// of the hash's crop windows (3 %, 3 % + 2 %, 4 % + 2 %).
const std::vector<Edit> &edits()
{
    static const std::vector<Edit> list = {
        {"resize 50%", [](const QImage &q) { return scaled(q, 0.5); }},
        {"resize 60%", [](const QImage &q) { return scaled(q, 0.6); }},
        {"resize 70%", [](const QImage &q) { return scaled(q, 0.7); }},
        {"jpeg q60", [](const QImage &q) { return jpeg(q, 60); }},
        {"jpeg q75", [](const QImage &q) { return jpeg(q, 75); }},
        {"crop 2.5% each side", [](const QImage &q) { return cropped(q, .025, .025, .025, .025); }},
        {"crop 5% left", [](const QImage &q) { return cropped(q, .05, 0, 0, 0); }},
        {"crop 5% top", [](const QImage &q) { return cropped(q, 0, .05, 0, 0); }},
        {"crop 5% right", [](const QImage &q) { return cropped(q, 0, 0, .05, 0); }},
        {"crop 5% bottom", [](const QImage &q) { return cropped(q, 0, 0, 0, .05); }},
        {"crop 3% left", [](const QImage &q) { return cropped(q, .03, 0, 0, 0); }},
        {"crop 2% left 3% top", [](const QImage &q) { return cropped(q, .02, .03, 0, 0); }},
        {"crop 4% right 2% bottom", [](const QImage &q) { return cropped(q, 0, 0, .04, .02); }},
        {"brightness +15", [](const QImage &q) { return brightened(q, 1.0, 15); }},
        {"brightness x0.9", [](const QImage &q) { return brightened(q, 0.9, 0); }},
        {"resize 60% + q70", [](const QImage &q) { return jpeg(scaled(q, 0.6), 70); }},
        {"crop 2.5% each + resize 50% + q60",
         [](const QImage &q) { return jpeg(scaled(cropped(q, .025, .025, .025, .025), 0.5), 60); }},
        {"crop 5% right + resize 70% + q75",
         [](const QImage &q) { return jpeg(scaled(cropped(q, 0, 0, .05, 0), 0.7), 75); }},
        {"crop 4% top + resize 50% + q65",
         [](const QImage &q) { return jpeg(scaled(cropped(q, 0, .04, 0, 0), 0.5), 65); }},
        {"brightness x1.05+5 + resize 50% + q65",
         [](const QImage &q) { return jpeg(scaled(brightened(q, 1.05, 5), 0.5), 65); }},
    };
    return list;
}

struct Original
{
    QString name;
    QString family;
    bool toy = false;
    RgbImage image;
    PerceptualHash hash;
};

// Percentile p (0..1) of a sorted list, nearest rank.
template<typename T> T percentile(const std::vector<T> &sorted, double p)
{
    return sorted[std::min(sorted.size() - 1, std::size_t(p * double(sorted.size())))];
}

template<typename T> QString summary(std::vector<T> v)
{
    std::sort(v.begin(), v.end());
    return QStringLiteral("p50 %1, p90 %2, p95 %3, p99 %4, max %5 (n %6)")
        .arg(percentile(v, 0.5))
        .arg(percentile(v, 0.9))
        .arg(percentile(v, 0.95))
        .arg(percentile(v, 0.99))
        .arg(v.back())
        .arg(v.size());
}

QString histogram(const std::vector<int> &values, int upTo)
{
    std::map<int, int> counts;
    for (int v : values)
        ++counts[v];
    QString s;
    for (const auto &[value, count] : counts)
        if (value <= upTo)
            s += QStringLiteral(" %1:%2").arg(value).arg(count);
    return s.isEmpty() ? QStringLiteral(" none") : s;
}

RgbImage uniform(int w, int h, std::uint8_t r, std::uint8_t g, std::uint8_t b)
{
    RgbImage image;
    image.width = w;
    image.height = h;
    image.pixels.resize(image.byteCount());
    for (std::size_t i = 0; i < image.pixels.size(); i += 3) {
        image.pixels[i] = r;
        image.pixels[i + 1] = g;
        image.pixels[i + 2] = b;
    }
    return image;
}

// A deterministic pattern with structure at every scale: a diagonal gradient plus a disc.
RgbImage pattern(int w, int h)
{
    RgbImage image = uniform(w, h, 0, 0, 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            std::uint8_t *p = image.pixels.data() + (std::size_t(y) * w + x) * 3;
            const int dx = x - w / 3, dy = y - h / 2;
            const bool disc = dx * dx + dy * dy < (w * w) / 16;
            p[0] = std::uint8_t(disc ? 220 : (x * 255) / w);
            p[1] = std::uint8_t(disc ? 40 : (y * 255) / h);
            p[2] = std::uint8_t(disc ? 40 : 128);
        }
    return image;
}

} // namespace

class tst_PerceptualHash : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void copiesMatchTheirOriginal();
    void distinctOriginalsDoNotMatch();
    void sameFileInOtherFormatsMatches();
    void tinyImages_data();
    void tinyImages();
    void flatImagesAreInvalid_data();
    void flatImagesAreInvalid();
    void invalidMatchesNothing();
    void deterministic();
    void bytesRoundTrip();

private:
    std::vector<Original> m_originals; // one per family first, then the other family members
    std::size_t m_distinct = 0;        // m_originals[0, m_distinct) are the distinct originals
};

void tst_PerceptualHash::initTestCase()
{
    std::vector<Original> members;
    std::map<QString, bool> seen;
    const auto add = [&](Original o) {
        // Photos above 1024 px are brought down to that first (the hash of the full size and
        // of this are the same picture), which keeps the QImage edits fast.
        if (std::max(o.image.width, o.image.height) > 1024) {
            const QImage q = toQImage(o.image);
            o.image =
                fromQImage(q.scaled(1024, 1024, Qt::KeepAspectRatio, Qt::SmoothTransformation));
        }
        o.hash = perceptualHash(o.image);
        if (!seen[o.family]) {
            seen[o.family] = true;
            m_originals.push_back(std::move(o));
        } else {
            members.push_back(std::move(o));
        }
    };
    int corpusFiles = 0;
    for (const testdata::CorpusRow &row : testdata::corpusRows()) {
        if (row.expected != QLatin1String("index"))
            continue;
        const DecodeResult d = decodeImageFile(testdata::kCorpus + row.path);
        QVERIFY2(d.ok(), qPrintable(row.path + QLatin1String(": ") + d.error));
        ++corpusFiles;
        add({row.path, familyOf(row.path), false, d.decoded->image, {}});
    }
    const QString toyDir = testdata::kShared + QStringLiteral("/flava-toy/eval/images/");
    const QStringList toys = QDir(toyDir).entryList(QDir::Files, QDir::Name);
    QCOMPARE(toys.size(), 200);
    for (const QString &file : toys) {
        const DecodeResult d = decodeImageFile(toyDir + file);
        QVERIFY2(d.ok(), qPrintable(file + QLatin1String(": ") + d.error));
        add({file, file, true, d.decoded->image, {}});
    }
    m_distinct = m_originals.size();
    for (Original &o : members)
        m_originals.push_back(std::move(o));
    int invalid = 0;
    for (std::size_t i = 0; i < m_distinct; ++i)
        invalid += !m_originals[i].hash.valid;
    qInfo("%d corpus files and %lld toy scenes: %zu distinct originals, %d of them without a "
          "valid hash (flat or under 8 px)",
          corpusFiles, qlonglong(toys.size()), m_distinct, invalid);
    QVERIFY(m_distinct > 230);
}

void tst_PerceptualHash::copiesMatchTheirOriginal()
{
    std::map<QString, std::vector<int>> hammingByEdit;
    std::vector<int> hamming, colour, hammingToy, hammingCorpus;
    std::vector<double> aspect;
    int copies = 0, matched = 0;
    QStringList misses;
    for (std::size_t i = 0; i < m_distinct; ++i) {
        const Original &o = m_originals[i];
        if (!o.hash.valid)
            continue;
        const QImage q = toQImage(o.image);
        for (const Edit &edit : edits()) {
            const QImage copy = edit.apply(q);
            QVERIFY2(!copy.isNull(), edit.name);
            if (std::min(copy.width(), copy.height()) < kPerceptualHashMinSide)
                continue;
            const PerceptualHash h = perceptualHash(fromQImage(copy));
            ++copies;
            const int d = hashDistance(o.hash, h);
            hamming.push_back(d);
            (o.toy ? hammingToy : hammingCorpus).push_back(d);
            hammingByEdit[QString::fromLatin1(edit.name)].push_back(d);
            colour.push_back(colourDistance(o.hash, h));
            aspect.push_back(aspectDistance(o.hash, h));
            if (isNearDuplicate(o.hash, h))
                ++matched;
            else
                misses << QStringLiteral("%1 / %2 (hamming %3, colour %4, aspect %5)")
                              .arg(o.name, QLatin1String(edit.name))
                              .arg(d)
                              .arg(colourDistance(o.hash, h))
                              .arg(aspectDistance(o.hash, h), 0, 'f', 3);
        }
    }
    qInfo().noquote() << "copies, Hamming:" << summary(hamming);
    qInfo().noquote() << "  of toy scenes:" << summary(hammingToy);
    qInfo().noquote() << "  of corpus photos:" << summary(hammingCorpus);
    for (const auto &[name, values] : hammingByEdit)
        qInfo().noquote() << "  " << name << ":" << summary(values);
    qInfo().noquote() << "copies, colour:" << summary(colour);
    qInfo().noquote() << "copies, aspect:" << summary(aspect);
    qInfo("copies matched: %d of %d (%.1f %%)", matched, copies, 100.0 * matched / copies);
    for (int t : {kNearDuplicateDistance - 2, kNearDuplicateDistance + 2}) {
        const auto within =
            std::count_if(hamming.begin(), hamming.end(), [&](int d) { return d <= t; });
        qInfo("  (Hamming alone <= %d: %.1f %% of the copies)", t, 100.0 * double(within) / copies);
    }
    for (const QString &miss : misses)
        qInfo().noquote() << "  missed:" << miss;
    QVERIFY(copies > 4000);
    QVERIFY2(matched >= 0.95 * copies, "fewer than 95 % of the near copies match their original");
}

void tst_PerceptualHash::distinctOriginalsDoNotMatch()
{
    struct Pair
    {
        int hamming, colour;
        double aspect;
        std::size_t a, b;
    };
    std::vector<Pair> pairs;
    std::vector<int> hamming[3]; // corpus-corpus, corpus-toy, toy-toy
    for (std::size_t i = 0; i < m_distinct; ++i)
        for (std::size_t j = i + 1; j < m_distinct; ++j) {
            const Original &a = m_originals[i], &b = m_originals[j];
            if (!a.hash.valid || !b.hash.valid)
                continue;
            const Pair p{hashDistance(a.hash, b.hash), colourDistance(a.hash, b.hash),
                         aspectDistance(a.hash, b.hash), i, j};
            pairs.push_back(p);
            hamming[int(a.toy) + int(b.toy)].push_back(p.hamming);
        }
    const char *kinds[3] = {"corpus-corpus", "corpus-toy", "toy-toy"};
    for (int k = 0; k < 3; ++k)
        qInfo().noquote() << "distinct" << kinds[k] << "pairs, Hamming:" << summary(hamming[k])
                          << "\n    lowest:" << histogram(hamming[k], 12);
    // The nearest pairs by Hamming and what keeps them apart.
    std::sort(pairs.begin(), pairs.end(),
              [](const Pair &x, const Pair &y) { return x.hamming < y.hamming; });
    std::vector<int> colourOfNear;
    for (const Pair &p : pairs)
        if (p.hamming <= kNearDuplicateDistance)
            colourOfNear.push_back(p.colour);
    qInfo().noquote() << QStringLiteral("distinct pairs within Hamming %1: %2; their colour:")
                             .arg(kNearDuplicateDistance)
                             .arg(colourOfNear.size())
                      << (colourOfNear.empty() ? QStringLiteral("-") : summary(colourOfNear));
    for (std::size_t k = 0; k < pairs.size() && k < 12; ++k)
        qInfo().noquote() << QStringLiteral("  %1 ~ %2: Hamming %3, colour %4, aspect %5")
                                 .arg(m_originals[pairs[k].a].name, m_originals[pairs[k].b].name)
                                 .arg(pairs[k].hamming)
                                 .arg(pairs[k].colour)
                                 .arg(pairs[k].aspect, 0, 'f', 3);
    std::vector<int> gated;
    for (const Pair &p : pairs)
        if (p.colour <= kNearDuplicateColourDistance && p.aspect <= kNearDuplicateAspectDistance)
            gated.push_back(p.hamming);
    qInfo().noquote() << "distinct pairs within the colour and aspect thresholds, Hamming:"
                      << (gated.empty() ? QStringLiteral("-") : summary(gated))
                      << "\n    lowest:" << histogram(gated, 16);
    // The nearest pairs that pass two of the three tests: the margin of the third.
    const auto nearestBy = [&](const char *what, auto key, auto passesOthers) {
        const Pair *best = nullptr;
        for (const Pair &p : pairs)
            if (passesOthers(p) && (!best || key(p) < key(*best)))
                best = &p;
        if (best)
            qInfo().noquote() << QStringLiteral("  nearest in %1 among pairs passing the other "
                                                "two: %2 ~ %3: Hamming %4, colour %5, aspect %6")
                                     .arg(QLatin1String(what), m_originals[best->a].name,
                                          m_originals[best->b].name)
                                     .arg(best->hamming)
                                     .arg(best->colour)
                                     .arg(best->aspect, 0, 'f', 3);
    };
    nearestBy(
        "Hamming", [](const Pair &p) { return double(p.hamming); },
        [](const Pair &p) {
            return p.colour <= kNearDuplicateColourDistance &&
                   p.aspect <= kNearDuplicateAspectDistance;
        });
    nearestBy(
        "colour", [](const Pair &p) { return double(p.colour); },
        [](const Pair &p) {
            return p.hamming <= kNearDuplicateDistance && p.aspect <= kNearDuplicateAspectDistance;
        });
    nearestBy(
        "aspect", [](const Pair &p) { return p.aspect; },
        [](const Pair &p) {
            return p.hamming <= kNearDuplicateDistance && p.colour <= kNearDuplicateColourDistance;
        });
    QVERIFY(pairs.size() > 25000);
    for (const Pair &p : pairs)
        QVERIFY2(!isNearDuplicate(m_originals[p.a].hash, m_originals[p.b].hash),
                 qPrintable(m_originals[p.a].name + QLatin1String(" ~ ") + m_originals[p.b].name));
}

void tst_PerceptualHash::sameFileInOtherFormatsMatches()
{
    // The corpus's own duplicates: the same picture as GIF, TIFF, WebP, PNG, HEIF, JPEG with
    // other tables, and the Landscape_N / Portrait_N files (EXIF orientations 0-8, each with
    // its digit drawn in).
    int pairs = 0;
    for (std::size_t m = m_distinct; m < m_originals.size(); ++m) {
        const Original &member = m_originals[m];
        const auto rep =
            std::find_if(m_originals.begin(), m_originals.begin() + qsizetype(m_distinct),
                         [&](const Original &o) { return o.family == member.family; });
        QVERIFY(rep != m_originals.begin() + qsizetype(m_distinct));
        const PerceptualHash &a = rep->hash, &b = member.hash;
        qInfo().noquote() << QStringLiteral("%1 ~ %2: Hamming %3, colour %4")
                                 .arg(rep->name, member.name)
                                 .arg(hashDistance(a, b))
                                 .arg(colourDistance(a, b));
        if (!isPixelCopyOfFamily(member.name) || !a.valid)
            continue;
        ++pairs;
        QVERIFY2(isNearDuplicate(a, b), qPrintable(member.name));
    }
    QVERIFY(pairs >= 25);
}

void tst_PerceptualHash::tinyImages_data()
{
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("height");
    QTest::addColumn<bool>("valid");
    QTest::newRow("1x1") << 1 << 1 << false;
    QTest::newRow("7x7") << 7 << 7 << false;
    QTest::newRow("8x7") << 8 << 7 << false;
    QTest::newRow("1000x1 (a line)") << 1000 << 1 << false;
    QTest::newRow("8x8, the smallest") << 8 << 8 << true;
    QTest::newRow("9x31, upscaled to the grid") << 9 << 31 << true;
    QTest::newRow("33x8") << 33 << 8 << true;
}

void tst_PerceptualHash::tinyImages()
{
    QFETCH(int, width);
    QFETCH(int, height);
    QFETCH(bool, valid);
    const RgbImage image = pattern(width, height);
    const PerceptualHash h = perceptualHash(image);
    QCOMPARE(h.valid, valid);
    if (!valid) {
        QCOMPARE(h, PerceptualHash{});
        return;
    }
    QCOMPARE(h.width, width);
    QCOMPARE(h.height, height);
    QCOMPARE(hashDistance(h, h), 0);
    QVERIFY(isNearDuplicate(h, h));
    // 63 coefficients against their median: 31 above it, in every window.
    for (std::uint64_t word : h.bits)
        QCOMPARE(std::popcount(word), 31);
    QCOMPARE(perceptualHash(image), h);
}

void tst_PerceptualHash::flatImagesAreInvalid_data()
{
    QTest::addColumn<QImage>("image");
    QImage gray(200, 150, QImage::Format_RGB888);
    gray.fill(QColor(128, 128, 128));
    QTest::newRow("uniform gray") << gray;
    QImage white(64, 64, QImage::Format_RGB888);
    white.fill(Qt::white);
    QTest::newRow("uniform white") << white;
    QImage green(100, 100, QImage::Format_RGB888);
    green.fill(QColor(0, 128, 0));
    QTest::newRow("uniform green, JPEG q60") << jpeg(green, 60);
    QTest::newRow("uniform gray 8x8") << gray.copy(0, 0, 8, 8);
}

void tst_PerceptualHash::flatImagesAreInvalid()
{
    // Nothing to fingerprint: every flat picture would match every other one of its colour.
    QFETCH(QImage, image);
    QVERIFY(!image.isNull());
    QVERIFY(!perceptualHash(fromQImage(image)).valid);
}

void tst_PerceptualHash::invalidMatchesNothing()
{
    const PerceptualHash invalid = perceptualHash(uniform(50, 50, 90, 90, 90));
    const PerceptualHash valid = perceptualHash(pattern(50, 50));
    QVERIFY(!invalid.valid);
    QVERIFY(valid.valid);
    QCOMPARE(hashDistance(invalid, invalid), kPerceptualHashBits + 1);
    QCOMPARE(hashDistance(invalid, valid), kPerceptualHashBits + 1);
    QCOMPARE(colourDistance(valid, invalid), 256);
    QVERIFY(!isNearDuplicate(invalid, invalid));
    QVERIFY(!isNearDuplicate(valid, invalid));
    QVERIFY(!isNearDuplicate(PerceptualHash{}, PerceptualHash{}));
}

void tst_PerceptualHash::deterministic()
{
    // The same image twice, and a copy of it, give the same hash; and the hash of a fixed
    // pattern is this golden value on every CPU (integer averaging, no libm, no contraction).
    const RgbImage image = pattern(301, 217);
    const PerceptualHash a = perceptualHash(image);
    const RgbImage copy = image;
    QCOMPARE(perceptualHash(image), a);
    QCOMPARE(perceptualHash(copy), a);
    QCOMPARE(hashDistance(a, perceptualHash(copy)), 0);
    const QByteArray hex =
        QByteArray(reinterpret_cast<const char *>(perceptualHashToBytes(a).data()),
                   qsizetype(kPerceptualHashBytes))
            .toHex();
    qInfo("golden: %s", hex.constData());
    QCOMPARE(hex,
             QByteArray("0126b159fe310ef60166a119fe311ee61126b159ee310e7e0926f149fe310ef60126b149"
                        "fe118e710f26b159fe310e73092c445063545e7189665e8fae9799c0d3ac939b907c627d"
                        "7b72626c6670635c517eb0b8d8a1daafbd95da9aa2327368882d010000d9000000"));
}

void tst_PerceptualHash::bytesRoundTrip()
{
    const PerceptualHash h = perceptualHash(pattern(120, 80));
    QVERIFY(h.valid);
    const auto bytes = perceptualHashToBytes(h);
    QCOMPARE(bytes[0], kPerceptualHashVersion);
    QCOMPARE(perceptualHashFromBytes(bytes.data(), bytes.size()), h);
    QVERIFY(!perceptualHashFromBytes(bytes.data(), bytes.size() - 1).valid);
    auto other = bytes;
    other[0] = 2; // a version this build does not know
    QVERIFY(!perceptualHashFromBytes(other.data(), other.size()).valid);
    const auto invalid = perceptualHashToBytes(PerceptualHash{});
    QCOMPARE(invalid[0], std::uint8_t(0));
    QVERIFY(!perceptualHashFromBytes(invalid.data(), invalid.size()).valid);
}

QTEST_GUILESS_MAIN(tst_PerceptualHash)
#include "tst_perceptualhash.moc"
