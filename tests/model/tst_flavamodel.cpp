// The public FlavaModel facade: embeddings and ITM through plain C++ types, on the reference
// goldens and on the trained toy model, from one thread and from several.
#include "checkpoint_error.h"
#include "flava_layout.h"
#include "flava_model.h"
#include "flava_module.h"
#include "runtime.h"
#include "tensor_compare.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

using namespace imago;
using namespace imago::flava;

namespace {
const std::string kRef = IMAGO_SHARED_DIR "/flava-reference";
const std::string kToy = IMAGO_SHARED_DIR "/flava-toy";

at::Tensor asTensor(const std::vector<float> &v, int64_t rows)
{
    return at::from_blob(const_cast<float *>(v.data()), {rows, int64_t(v.size()) / rows},
                         at::kFloat)
        .clone();
}

std::vector<std::vector<int64_t>> unpaddedTexts(const at::Tensor &ids, const at::Tensor &mask)
{
    std::vector<std::vector<int64_t>> out;
    for (int64_t i = 0; i < ids.size(0); ++i) {
        const auto len = mask[i].sum().item<int64_t>();
        const auto row = ids[i].contiguous();
        out.emplace_back(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + len);
    }
    return out;
}
} // namespace

class tst_FlavaModel : public QObject
{
    Q_OBJECT

private:
    std::map<std::string, at::Tensor> io;
    std::unique_ptr<FlavaModel> model;
    std::vector<float> pixels;

private Q_SLOTS:
    void initTestCase()
    {
        io = test::loadTensors(kRef + "/io.safetensors");
        model = FlavaModel::load(kRef, {Device::Cpu, 1});
        const auto pv = io.at("pixel_values").contiguous();
        pixels.assign(pv.data_ptr<float>(), pv.data_ptr<float>() + pv.numel());
    }

    void describesItself()
    {
        QCOMPARE(model->imageSize(), 32);
        QCOMPARE(model->embeddingDim(), 24);
        QCOMPARE(QString::fromStdString(model->deviceName()), QStringLiteral("cpu"));
        QVERIFY(model->identity().rfind("flava-", 0) == 0);
        QCOMPARE(model->identity().size(), std::size_t(6 + 16));
        // Same folder, same identity; another model, another identity.
        QCOMPARE(FlavaModel::load(kRef, {Device::Cpu, 1})->identity(), model->identity());
        QVERIFY(FlavaModel::load(kToy, {Device::Cpu, 1})->identity() != model->identity());
        QCOMPARE(model->temperature(), io.at("logit_scale.exp").item<float>());
    }

    void bf16MatchesReferenceGoldens()
    {
        // The bf16 path's quality gate on the reference's own outputs: every image and text
        // vector within cosine 0.999 of the golden (checked on whatever CPU runs the test).
        const auto b16 =
            FlavaModel::load(kRef, {Device::Cpu, 1, Precision::BFloat16, Precision::BFloat16});
        const auto rowCosines = [](const at::Tensor &a, const at::Tensor &b) {
            return (a * b).sum(1) / (a.norm(2, 1) * b.norm(2, 1));
        };
        const auto img =
            rowCosines(asTensor(b16->embedImages(pixels, 2), 2), io.at("image.embeds"));
        const auto texts = unpaddedTexts(io.at("input_ids"), io.at("attention_mask"));
        const auto txt = rowCosines(asTensor(b16->embedTexts(texts), 3), io.at("text.embeds"));
        const double worstImage = img.min().item<double>(), worstText = txt.min().item<double>();
        qInfo("bf16 vs reference: worst image cosine %.6f, worst text cosine %.6f", worstImage,
              worstText);
        QVERIFY2(worstImage >= 0.999, qPrintable(QString::number(worstImage)));
        QVERIFY2(worstText >= 0.999, qPrintable(QString::number(worstText)));
    }

    void cpuFeaturesFromCpuInfo()
    {
        // Fixed texts, not this machine's: the choice must follow the flags.
        const std::string xeon = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\n"
                                 "flags\t\t: fpu sse avx2 avx512f avx512_vnni avx512_bf16 "
                                 "amx_bf16 amx_tile amx_int8\n\nprocessor\t: 1\nflags\t\t: fpu\n";
        const CpuFeatures x = parseCpuInfo(xeon);
        QVERIFY(x.avx2 && x.avx512f && x.vnni && x.avx512Bf16 && x.amxBf16 && x.amxInt8);
        QCOMPARE(QString::fromStdString(x.modelName), QStringLiteral("Intel(R) Xeon(R) Processor"));
        QVERIFY(bestCpuPrecision(x) == Precision::BFloat16);
        const CpuFeatures epyc =
            parseCpuInfo("model name\t: AMD EPYC 7B13\nflags\t\t: fpu sse4_2 avx avx2 fma\n");
        QVERIFY(epyc.avx2 && !epyc.avx512f && !epyc.amxBf16 && !epyc.avx512Bf16);
        QVERIFY(bestCpuPrecision(epyc) == Precision::Float32);
        const CpuFeatures cascade = parseCpuInfo("flags\t\t: avx2 avx512f avx512_vnni\n");
        QVERIFY(bestCpuPrecision(cascade) == Precision::Int8);
        QCOMPARE(QString::fromStdString(epyc.summary()), QStringLiteral("avx2"));
        QVERIFY(bestCpuPrecision(parseCpuInfo("flags\t: fpu sse2\n")) == Precision::Float32);
        QVERIFY(bestCpuPrecision(parseCpuInfo("")) == Precision::Float32);
        // This machine's, for the log (never asserted).
        qInfo("this CPU: %s (%s)", cpuFeatures().modelName.c_str(),
              cpuFeatures().summary().c_str());
    }

    void layoutIsTheNetworksParameters()
    {
        // flava_layout.h lists exactly what FlavaNet registers (names and shapes), for the
        // reference's, the toy's and flava-full's configs.
        for (const auto &cfg : {FlavaConfig::fromFile(kRef + "/config.json"),
                                FlavaConfig::fromFile(kToy + "/config.json"), FlavaConfig()}) {
            std::map<std::string, std::vector<int64_t>> expected, registered;
            for (const auto &t : flavaTensors(cfg))
                QVERIFY2(expected.emplace(t.name, t.shape).second, t.name.c_str());
            SkipInit skip;
            const FlavaNet net(cfg);
            for (const auto &p : net->named_parameters(true))
                registered.emplace(p.key(), p.value().sizes().vec());
            QCOMPARE(registered.size(), expected.size());
            QVERIFY(registered == expected);
        }
    }

    void textSearchDoesNotLoadLibTorch()
    {
        // int8 queries (what a search runs) go through TextQueryEncoder: LibTorch's part of the
        // model is made only when an image needs it.
        const auto q8 =
            FlavaModel::load(kRef, {Device::Cpu, 1, Precision::Float32, Precision::Int8});
        const auto texts = unpaddedTexts(io.at("input_ids"), io.at("attention_mask"));
        const auto v = q8->embedTexts(texts);
        QCOMPARE(v.size(), texts.size() * std::size_t(q8->embeddingDim()));
        QCOMPARE(q8->temperature(), io.at("logit_scale.exp").item<float>());
        QVERIFY(!q8->libTorchLoaded());
        q8->embedImages(std::span<const float>(pixels).first(pixels.size() / 2), 1);
        QVERIFY(q8->libTorchLoaded());
        QVERIFY(q8->imageEncoderLoaded());
        QVERIFY(!q8->multimodalEncoderLoaded());
    }

    void encodersLoadOnFirstUse()
    {
        // A text search loads only the text encoder; the others come when first needed and
        // then give the reference's outputs (the goldens below run on such lazily loaded parts).
        const auto fresh = FlavaModel::load(kRef, {Device::Cpu, 1});
        QVERIFY(!fresh->imageEncoderLoaded());
        QVERIFY(!fresh->multimodalEncoderLoaded());
        const auto texts = unpaddedTexts(io.at("input_ids"), io.at("attention_mask"));
        IMAGO_COMPARE_TENSOR(asTensor(fresh->embedTexts(texts), 3), io.at("text.embeds"), 1e-5, 0);
        QVERIFY(!fresh->imageEncoderLoaded());
        const auto enc = fresh->encodeImages(pixels, 2);
        QVERIFY(fresh->imageEncoderLoaded());
        QVERIFY(!fresh->multimodalEncoderLoaded());
        IMAGO_COMPARE_TENSOR(asTensor(enc[0].embedding, 1), io.at("image.embeds")[0].unsqueeze(0),
                             1e-5, 0);
        // Several threads asking for the multimodal encoder at once load it once.
        std::vector<std::thread> threads;
        std::vector<float> probs(4);
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                std::vector<std::shared_ptr<const ImageStates>> imgs{enc[0].states};
                probs[t] = fresh->match(imgs, texts[0])[0].probability;
            });
        for (auto &t : threads)
            t.join();
        QVERIFY(fresh->multimodalEncoderLoaded());
        for (int t = 0; t < 4; ++t)
            QVERIFY(std::abs(probs[t] - io.at("itm.match_probability")[0].item<float>()) <= 1e-4);
    }

    void prepareRerankLoadsBothEncodersFromAnotherThread()
    {
        // What a cold rerank does: the encoders load on another thread while this one decodes,
        // then both give the reference's outputs.
        const auto fresh = FlavaModel::load(kRef, {Device::Cpu, 1});
        QVERIFY(!fresh->imageEncoderLoaded());
        QVERIFY(!fresh->multimodalEncoderLoaded());
        std::thread loader([&] { fresh->prepareRerank(); });
        loader.join();
        QVERIFY(fresh->imageEncoderLoaded());
        QVERIFY(fresh->multimodalEncoderLoaded());
        fresh->prepareRerank(); // loaded already: nothing to do
        const auto enc = fresh->encodeImages(pixels, 2);
        IMAGO_COMPARE_TENSOR(asTensor(enc[1].embedding, 1), io.at("image.embeds")[1].unsqueeze(0),
                             1e-5, 0);
        const auto texts = unpaddedTexts(io.at("input_ids"), io.at("attention_mask"));
        std::vector<std::shared_ptr<const ImageStates>> imgs{enc[0].states};
        QVERIFY(std::abs(fresh->match(imgs, texts[0])[0].probability -
                         io.at("itm.match_probability")[0].item<float>()) <= 1e-4);
    }

    void bf16BlocksComeFromTheDerivedFileBitForBit()
    {
        // The first bf16 model converts its image and multimodal blocks and keeps them in the
        // cache; the next maps them in place and gives the same bits; a spoilt file is made
        // again.
        QTemporaryDir cache;
        const ModelOptions options{Device::Cpu, 1, Precision::BFloat16, Precision::Float32,
                                   cache.path().toStdString()};
        const auto texts = unpaddedTexts(io.at("input_ids"), io.at("attention_mask"));
        auto run = [&](std::vector<float> *embedding, float *probability) {
            const auto m = FlavaModel::load(kRef, options);
            const auto enc = m->encodeImages(pixels, 2);
            *embedding = enc[1].embedding;
            std::vector<std::shared_ptr<const ImageStates>> imgs{enc[0].states};
            *probability = m->match(imgs, texts[0])[0].probability;
            return m->identity();
        };
        std::vector<float> first, second, third;
        float p1 = 0, p2 = 0, p3 = 0;
        const std::string identity = run(&first, &p1);
        const auto dir = std::filesystem::path(cache.path().toStdString()) / "model-derived";
        const auto image = dir / (identity + "-image-bf16.bin");
        const auto multimodal = dir / (identity + "-multimodal-bf16.bin");
        QVERIFY(std::filesystem::is_regular_file(image));
        QVERIFY(std::filesystem::is_regular_file(multimodal));
        IMAGO_COMPARE_TENSOR(asTensor(first, 1), io.at("image.embeds")[1].unsqueeze(0), 2e-2, 0);
        const auto stamp = std::filesystem::last_write_time(image);
        run(&second, &p2);
        QCOMPARE(std::filesystem::last_write_time(image), stamp); // read, not written again
        QCOMPARE(second, first);
        QCOMPARE(p2, p1);
        {
            // A file of the right size whose header names another model.
            std::fstream f(image, std::ios::in | std::ios::out | std::ios::binary);
            f.seekp(20);
            f.put('#');
        }
        run(&third, &p3);
        {
            std::ifstream f(image, std::ios::binary);
            f.seekg(20);
            QVERIFY(f.get() != '#'); // written again
        }
        QCOMPARE(third, first);
        QCOMPARE(p3, p1);
        std::vector<float> fourth;
        float p4 = 0;
        run(&fourth, &p4); // the file made again is read again
        QCOMPARE(fourth, first);
        QCOMPARE(p4, p1);
    }

    void embedImagesMatchesReference()
    {
        const auto v = model->embedImages(pixels, 2);
        IMAGO_COMPARE_TENSOR(asTensor(v, 2), io.at("image.embeds"), 1e-5, 0);
        const auto enc = model->encodeImages(pixels, 2);
        QCOMPARE(enc.size(), std::size_t(2));
        IMAGO_COMPARE_TENSOR(asTensor(enc[1].embedding, 1), io.at("image.embeds")[1].unsqueeze(0),
                             1e-5, 0);
    }

    void embedTextsMatchesReference()
    {
        const auto texts = unpaddedTexts(io.at("input_ids"), io.at("attention_mask"));
        IMAGO_COMPARE_TENSOR(asTensor(model->embedTexts(texts), 3), io.at("text.embeds"), 1e-5, 0);
        // One at a time (no padding at all) gives the same vectors.
        for (std::size_t i = 0; i < texts.size(); ++i)
            IMAGO_COMPARE_TENSOR(asTensor(model->embedTexts({texts[i]}), 1),
                                 io.at("text.embeds")[int64_t(i)].unsqueeze(0), 1e-5, 0);
    }

    void matchMatchesReference()
    {
        const auto enc = model->encodeImages(pixels, 2);
        const auto texts = unpaddedTexts(io.at("input_ids"), io.at("attention_mask"));
        const auto expected = io.at("itm.logits");
        const auto prob = io.at("itm.match_probability");
        // pair p = image p / 3 with text p % 3
        for (int t = 0; t < 3; ++t) {
            std::vector<std::shared_ptr<const ImageStates>> imgs{enc[0].states, enc[1].states};
            const auto scores = model->match(imgs, texts[t]);
            QCOMPARE(scores.size(), std::size_t(2));
            for (int i = 0; i < 2; ++i) {
                const int p = i * 3 + t;
                QVERIFY(std::abs(scores[i].logitNoMatch - expected[p][0].item<float>()) <= 1e-4);
                QVERIFY(std::abs(scores[i].logitMatch - expected[p][1].item<float>()) <= 1e-4);
                QVERIFY(std::abs(scores[i].probability - prob[p].item<float>()) <= 1e-4);
            }
        }
    }

    void toyQueryEmbeddingsMatchReference()
    {
        // expected.json records each query's unpadded input_ids; query_embeds the vectors.
        QFile f(QString::fromStdString(kToy + "/eval/expected.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto root = QJsonDocument::fromJson(f.readAll()).object();
        const auto embeds = test::loadTensors(kToy + "/eval/query_embeds.safetensors");
        const auto toy = FlavaModel::load(kToy, {Device::Cpu, 1});
        const auto queries = root.value(QStringLiteral("queries"));
        QVERIFY(queries.isArray() || queries.isObject());
        int checked = 0;
        auto checkQuery = [&](const QJsonObject &q) {
            const auto id = q.value(QStringLiteral("id")).toString().toStdString();
            std::vector<int64_t> ids;
            for (const auto &x : q.value(QStringLiteral("input_ids")).toArray())
                ids.push_back(x.toInteger());
            const auto it = embeds.find(id);
            QVERIFY2(it != embeds.end(), id.c_str());
            IMAGO_COMPARE_TENSOR(asTensor(toy->embedTexts({ids}), 1), it->second.view({1, -1}),
                                 1e-5, 0);
            ++checked;
        };
        if (queries.isArray())
            for (const auto &q : queries.toArray())
                checkQuery(q.toObject());
        else
            for (const auto &q : queries.toObject())
                checkQuery(q.toObject());
        QCOMPARE(checked, 60);
    }

    void severalThreadsAgreeWithOne()
    {
        const auto texts = unpaddedTexts(io.at("input_ids"), io.at("attention_mask"));
        const auto img1 = model->embedImages(pixels, 2);
        const auto txt1 = model->embedTexts(texts);
        const auto enc = model->encodeImages(pixels, 2);
        std::vector<std::shared_ptr<const ImageStates>> imgs{enc[0].states, enc[1].states};
        const auto itm1 = model->match(imgs, texts[0]);
        std::atomic<int> mismatches{0};
        std::vector<std::thread> pool;
        for (int t = 0; t < 4; ++t)
            pool.emplace_back([&] {
                for (int round = 0; round < 10; ++round) {
                    const auto a = model->embedImages(pixels, 2);
                    const auto b = model->embedTexts(texts);
                    const auto c = model->match(imgs, texts[0]);
                    for (std::size_t i = 0; i < a.size(); ++i)
                        mismatches += std::abs(a[i] - img1[i]) > 1e-6f;
                    for (std::size_t i = 0; i < b.size(); ++i)
                        mismatches += std::abs(b[i] - txt1[i]) > 1e-6f;
                    for (std::size_t i = 0; i < c.size(); ++i)
                        mismatches += std::abs(c[i].logitMatch - itm1[i].logitMatch) > 1e-5f;
                }
            });
        for (auto &t : pool)
            t.join();
        QCOMPARE(mismatches.load(), 0);
    }

    void int8IsBatchIndependentAndThreadSafe()
    {
        const auto q8 = FlavaModel::load(kToy, {Device::Cpu, 1, Precision::Int8});
        const std::size_t n = 3 * 64 * 64;
        std::vector<float> pix(4 * n);
        for (std::size_t i = 0; i < pix.size(); ++i)
            pix[i] = float((i * 7919) % 1000) / 500.0f - 1.0f;
        const auto batch = q8->embedImages(pix, 4);
        // Each image alone gives the same vector as in the batch.
        for (int i = 0; i < 4; ++i) {
            const auto one = q8->embedImages(std::span<const float>(pix).subspan(i * n, n), 1);
            float worst = 0;
            for (std::size_t k = 0; k < one.size(); ++k)
                worst = std::max(worst, std::abs(one[k] - batch[i * one.size() + k]));
            // Each sample is quantized on its own; what remains is fp32 rounding in the batched
            // ops upstream occasionally flipping one int8 rounding step.
            QVERIFY2(worst < 5e-3f, qPrintable(QString::number(worst)));
        }
        std::atomic<int> mismatches{0};
        std::vector<std::thread> pool;
        for (int t = 0; t < 3; ++t)
            pool.emplace_back([&] {
                for (int round = 0; round < 5; ++round) {
                    const auto v = q8->embedImages(pix, 4);
                    for (std::size_t k = 0; k < v.size(); ++k)
                        mismatches += std::abs(v[k] - batch[k]) > 1e-6f;
                }
            });
        for (auto &t : pool)
            t.join();
        QCOMPARE(mismatches.load(), 0);
    }

    void rejectsBadInput()
    {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model->embedImages(pixels, 3));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model->embedTexts({{}}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, model->embedTexts({{101, 5000, 102}}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 model->embedTexts({std::vector<int64_t>(65, 101)}));
        QVERIFY_THROWS_EXCEPTION(CheckpointError, FlavaModel::load("/nonexistent/model"));
    }
};

QTEST_GUILESS_MAIN(tst_FlavaModel)
#include "tst_flavamodel.moc"
