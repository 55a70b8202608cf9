// End to end on the trained toy FLAVA: real image files -> decode, EXIF, resize, normalise ->
// image encoder; queries -> text encoder; cosine ranking and ITM against the reference
// pipeline's results in ../shared/flava-toy/eval/. Also the int8 path against fp32.
#include "flava_model.h"
#include "preprocess.h"
#include "tensor_compare.h"
#include "tokenizer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace imago;
using namespace imago::flava;

namespace {
const QString kToy = QStringLiteral(IMAGO_SHARED_DIR "/flava-toy");

struct Metrics
{
    double r1 = 0, r5 = 0, mrr = 0;
};

} // namespace

class tst_FlavaToy : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<FlavaModel> fp32, int8, int8Text, bf16;
    std::unique_ptr<Tokenizer> tokenizer;
    QStringList names;         // image file names, eval order
    std::vector<float> pixels; // all images, CHW
    std::vector<float> fp32Embeds;
    QJsonArray queries;
    QJsonObject expectedMetrics;

    // Ranks every image for every query; returns R@1, R@5, MRR over all queries.
    Metrics retrieval(const FlavaModel &model, const std::vector<float> &imageEmbeds)
    {
        Metrics m;
        const int e = model.embeddingDim();
        for (const auto &qv : queries) {
            const auto q = qv.toObject();
            const auto ids =
                tokenizer->encode(q.value(QStringLiteral("text")).toString().toStdString()).ids;
            const auto t = model.embedTexts({ids});
            std::vector<std::pair<float, int>> scored;
            for (int i = 0; i < names.size(); ++i) {
                float dot = 0;
                for (int k = 0; k < e; ++k)
                    dot += t[k] * imageEmbeds[std::size_t(i) * e + k];
                scored.push_back({-dot, i});
            }
            std::sort(scored.begin(), scored.end());
            QSet<QString> relevant;
            for (const auto &r : q.value(QStringLiteral("relevant")).toArray())
                relevant.insert(r.toString());
            int first = 0;
            for (std::size_t r = 0; r < scored.size() && !first; ++r)
                if (relevant.contains(names[scored[r].second]))
                    first = int(r) + 1;
            m.r1 += first == 1;
            m.r5 += first >= 1 && first <= 5;
            m.mrr += first ? 1.0 / first : 0;
        }
        const double n = queries.size();
        return {m.r1 / n, m.r5 / n, m.mrr / n};
    }

private Q_SLOTS:
    void initTestCase()
    {
        fp32 = FlavaModel::load(kToy.toStdString(), {Device::Cpu, 1, Precision::Float32});
        int8 = FlavaModel::load(kToy.toStdString(), {Device::Cpu, 1, Precision::Int8});
        QVERIFY(int8->precision() == Precision::Int8);
        int8Text = FlavaModel::load(kToy.toStdString(),
                                    {Device::Cpu, 1, Precision::Float32, Precision::Int8});
        QVERIFY(int8Text->textPrecision() == Precision::Int8);
        QVERIFY(int8Text->precision() == Precision::Float32);
        // bf16 runs on every CPU (slowly where it has no bf16 units): the gate holds on each.
        bf16 = FlavaModel::load(kToy.toStdString(),
                                {Device::Cpu, 1, Precision::BFloat16, Precision::BFloat16});
        QVERIFY(bf16->precision() == Precision::BFloat16);
        QVERIFY(bf16->textPrecision() == Precision::BFloat16);
        tokenizer = Tokenizer::fromModelFolder(kToy.toStdString(),
                                               fp32->config().text.maxPositionEmbeddings);
        QFile f(kToy + "/eval/expected.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto root = QJsonDocument::fromJson(f.readAll()).object();
        queries = root.value(QStringLiteral("queries")).toArray();
        expectedMetrics = root.value(QStringLiteral("metrics")).toObject();
        QCOMPARE(queries.size(), 60);

        const auto cfg = PreprocessConfig::fromModelFolder(kToy, fp32->imageSize());
        QCOMPARE(cfg.size, 64);
        for (int i = 0; i < 200; ++i) {
            const QString stem = QStringLiteral("toy_%1").arg(i, 3, 10, QLatin1Char('0'));
            const QString jpg = kToy + "/eval/images/" + stem + ".jpg";
            const QString name = QFile::exists(jpg) ? stem + ".jpg" : stem + ".png";
            names << name;
            std::vector<float> chw(3 * 64 * 64);
            const auto r =
                preprocessImageFile(kToy + "/eval/images/" + name, cfg, false, chw.data());
            QVERIFY2(r.ok(), qPrintable(name + ": " + r.error));
            pixels.insert(pixels.end(), chw.begin(), chw.end());
        }
        fp32Embeds = fp32->embedImages(pixels, 200);
    }

    void imageEmbeddingsMatchReference()
    {
        const auto expected =
            test::loadTensors((kToy + "/eval/image_embeds.safetensors").toStdString());
        for (int i = 0; i < names.size(); ++i) {
            const auto it = expected.find(names[i].toStdString());
            QVERIFY2(it != expected.end(), qPrintable(names[i]));
            const auto ours = at::from_blob(fp32Embeds.data() + i * 64, {64}, at::kFloat);
            IMAGO_COMPARE_TENSOR(ours, it->second, 1e-5, 0);
        }
    }

    void contrastiveAndItmMatchReference()
    {
        std::map<QString, int> index;
        for (int i = 0; i < names.size(); ++i)
            index[names[i]] = i;
        for (const auto &qv : queries) {
            const auto q = qv.toObject();
            std::vector<std::int64_t> ids;
            for (const auto &x : q.value(QStringLiteral("input_ids")).toArray())
                ids.push_back(x.toInteger());
            // The tokenizer reproduces the reference's unpadded ids.
            QCOMPARE(
                tokenizer->encode(q.value(QStringLiteral("text")).toString().toStdString()).ids,
                ids);
            const auto t = fp32->embedTexts({ids});
            std::vector<std::shared_ptr<const ImageStates>> states;
            std::vector<float> candidatePixels;
            for (const auto &cv : q.value(QStringLiteral("contrastive_top20")).toArray()) {
                const auto c = cv.toObject();
                const int i = index.at(c.value(QStringLiteral("image")).toString());
                float dot = 0;
                for (int k = 0; k < 64; ++k)
                    dot += t[k] * fp32Embeds[std::size_t(i) * 64 + k];
                QVERIFY(std::abs(dot - c.value(QStringLiteral("cosine")).toDouble()) <= 2e-5);
                candidatePixels.insert(candidatePixels.end(), pixels.begin() + i * 3 * 64 * 64,
                                       pixels.begin() + (i + 1) * 3 * 64 * 64);
            }
            for (const auto &enc : fp32->encodeImages(candidatePixels, 20))
                states.push_back(enc.states);
            const auto scores = fp32->match(states, ids);
            const auto itm = q.value(QStringLiteral("itm_top20")).toArray();
            QCOMPARE(scores.size(), std::size_t(itm.size()));
            for (std::size_t j = 0; j < scores.size(); ++j) {
                const auto logits =
                    itm[qsizetype(j)].toObject().value(QStringLiteral("logits")).toArray();
                QVERIFY(std::abs(scores[j].logitNoMatch - logits[0].toDouble()) <= 1e-4);
                QVERIFY(std::abs(scores[j].logitMatch - logits[1].toDouble()) <= 1e-4);
            }
        }
    }

    void retrievalFiguresMatchReference()
    {
        const auto ref = expectedMetrics.value(QStringLiteral("contrastive")).toObject();
        const Metrics m = retrieval(*fp32, fp32Embeds);
        QVERIFY(std::abs(m.r1 - ref.value(QStringLiteral("R@1")).toDouble()) <= 0.02);
        QVERIFY(std::abs(m.r5 - ref.value(QStringLiteral("R@5")).toDouble()) <= 0.02);
        QVERIFY(std::abs(m.mrr - ref.value(QStringLiteral("MRR")).toDouble()) <= 0.02);
    }

    void int8AgreesWithFp32()
    {
        const auto q8 = int8->embedImages(pixels, 200);
        double worst = 1;
        for (int i = 0; i < 200; ++i) {
            double dot = 0;
            for (int k = 0; k < 64; ++k)
                dot += double(q8[std::size_t(i) * 64 + k]) * fp32Embeds[std::size_t(i) * 64 + k];
            worst = std::min(worst, dot);
        }
        qInfo("int8 vs fp32: worst image-embedding cosine %.5f", worst);
        QVERIFY2(worst >= 0.99, qPrintable(QString::number(worst)));
        const auto ref = expectedMetrics.value(QStringLiteral("contrastive")).toObject();
        const Metrics m = retrieval(*int8, q8);
        qInfo("int8 retrieval: R@1 %.3f R@5 %.3f MRR %.3f", m.r1, m.r5, m.mrr);
        // Measured: R@5 and MRR hold within 0.02; R@1 moves by up to 2 of 60 queries whose top
        // two cosines are near-ties (0.583 vs 0.617). That is why int8 is opt-in, not default.
        QVERIFY(std::abs(m.r1 - ref.value(QStringLiteral("R@1")).toDouble()) <= 0.05);
        QVERIFY(std::abs(m.r5 - ref.value(QStringLiteral("R@5")).toDouble()) <= 0.02);
        QVERIFY(std::abs(m.mrr - ref.value(QStringLiteral("MRR")).toDouble()) <= 0.02);
    }

    void int8TextAgreesWithFp32()
    {
        // Query vectors from the int8 text encoder against fp32's, over every eval query; then
        // the retrieval figures with fp32 image vectors (what a library indexed in fp32 sees).
        double worst = 1;
        for (const auto &qv : queries) {
            const auto ids =
                tokenizer
                    ->encode(qv.toObject().value(QStringLiteral("text")).toString().toStdString())
                    .ids;
            const auto a = fp32->embedTexts({ids}), b = int8Text->embedTexts({ids});
            double dot = 0;
            for (std::size_t k = 0; k < a.size(); ++k)
                dot += double(a[k]) * b[k];
            worst = std::min(worst, dot);
        }
        qInfo("int8 text vs fp32: worst query-embedding cosine %.5f", worst);
        QVERIFY2(worst >= 0.99, qPrintable(QString::number(worst)));
        const auto ref = expectedMetrics.value(QStringLiteral("contrastive")).toObject();
        const Metrics m = retrieval(*int8Text, fp32Embeds);
        qInfo("int8 text retrieval: R@1 %.3f R@5 %.3f MRR %.3f", m.r1, m.r5, m.mrr);
        QVERIFY(std::abs(m.r1 - ref.value(QStringLiteral("R@1")).toDouble()) <= 0.02);
        QVERIFY(std::abs(m.r5 - ref.value(QStringLiteral("R@5")).toDouble()) <= 0.02);
        QVERIFY(std::abs(m.mrr - ref.value(QStringLiteral("MRR")).toDouble()) <= 0.02);
    }

    void bf16AgreesWithFp32()
    {
        // The quality gate of the bf16 path (`auto` on CPUs with AMX or AVX512_BF16): image and
        // query vectors within cosine 0.999 of fp32, retrieval figures within 0.02 of the
        // reference's.
        const auto b16 = bf16->embedImages(pixels, 200);
        double worstImage = 1;
        for (int i = 0; i < 200; ++i) {
            double dot = 0;
            for (int k = 0; k < 64; ++k)
                dot += double(b16[std::size_t(i) * 64 + k]) * fp32Embeds[std::size_t(i) * 64 + k];
            worstImage = std::min(worstImage, dot);
        }
        double worstText = 1;
        for (const auto &qv : queries) {
            const auto ids =
                tokenizer
                    ->encode(qv.toObject().value(QStringLiteral("text")).toString().toStdString())
                    .ids;
            const auto a = fp32->embedTexts({ids}), b = bf16->embedTexts({ids});
            double dot = 0;
            for (std::size_t k = 0; k < a.size(); ++k)
                dot += double(a[k]) * b[k];
            worstText = std::min(worstText, dot);
        }
        qInfo("bf16 vs fp32: worst image cosine %.5f, worst query cosine %.5f", worstImage,
              worstText);
        QVERIFY2(worstImage >= 0.999, qPrintable(QString::number(worstImage)));
        QVERIFY2(worstText >= 0.999, qPrintable(QString::number(worstText)));
        // What `--precision auto` runs on a bf16 CPU: bf16 image vectors, queries through the
        // int8 text encoder (the query default) - gated at 0.02 of the reference.
        const auto ref = expectedMetrics.value(QStringLiteral("contrastive")).toObject();
        const Metrics m = retrieval(*int8Text, b16);
        qInfo("bf16 images, int8 queries: R@1 %.3f R@5 %.3f MRR %.3f", m.r1, m.r5, m.mrr);
        QVERIFY(std::abs(m.r1 - ref.value(QStringLiteral("R@1")).toDouble()) <= 0.02);
        QVERIFY(std::abs(m.r5 - ref.value(QStringLiteral("R@5")).toDouble()) <= 0.02);
        QVERIFY(std::abs(m.mrr - ref.value(QStringLiteral("MRR")).toDouble()) <= 0.02);
        // bf16 on both sides: printed, not the default (measured R@1 0.567: three of 60 queries
        // whose top two are near-ties swap).
        const Metrics both = retrieval(*bf16, b16);
        qInfo("bf16 images, bf16 queries: R@1 %.3f R@5 %.3f MRR %.3f", both.r1, both.r5, both.mrr);
        QVERIFY(std::abs(both.r5 - ref.value(QStringLiteral("R@5")).toDouble()) <= 0.02);
    }
};

QTEST_GUILESS_MAIN(tst_FlavaToy)
#include "tst_flavatoy.moc"
