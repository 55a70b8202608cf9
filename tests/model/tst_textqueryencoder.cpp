// TextQueryEncoder (core/model/text_query_encoder.h): the int8 query encoder that runs without
// LibTorch. Checked against LibTorch's text encoder (fp32 and its int8 path, which does the
// same integer arithmetic), on the reference checkpoint and on random networks with each
// activation FLAVA's config allows, and for the errors a caller can meet.
#include "checkpoint.h"
#include "checkpoint_error.h"
#include "flava_module.h"
#include "tensor_compare.h"
#include "text_query_encoder.h"

#include <ATen/ATen.h>
#include <QTest>
#include <c10/core/InferenceMode.h>

#include <QTemporaryDir>

#include <algorithm>
#include <filesystem>
#include <fstream>

using namespace imago;
using namespace imago::flava;

namespace {

const std::string kRef = IMAGO_SHARED_DIR "/flava-reference";

double cosine(const std::vector<float> &a, const std::vector<float> &b)
{
    double dot = 0, na = 0, nb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        dot += double(a[i]) * b[i];
        na += double(a[i]) * a[i];
        nb += double(b[i]) * b[i];
    }
    return dot / std::sqrt(na * nb);
}

std::vector<float> toVector(const at::Tensor &t)
{
    const auto c = t.to(at::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

struct TorchText
{
    std::vector<float> embedding, preNorm;
};

// LibTorch's text encoder on one unpadded query.
TorchText torchText(const FlavaNet &net, const std::vector<std::int64_t> &ids)
{
    c10::InferenceMode guard;
    const auto t = at::tensor(ids, at::kLong).unsqueeze(0);
    const auto out = net->flava->text_model->forward(t, at::Tensor());
    return {toVector(FlavaNetImpl::normalize(net->textFeatures(out.last))),
            toVector(out.lastPreNorm)};
}

FlavaConfig smallConfig(Activation act)
{
    FlavaConfig cfg;
    auto &t = cfg.text;
    t.hiddenSize = 64;
    t.numHiddenLayers = 2;
    t.numAttentionHeads = 4;
    t.intermediateSize = 96;
    t.vocabSize = 300;
    t.maxPositionEmbeddings = 40;
    t.hiddenAct = act;
    cfg.projectionDim = 48;
    cfg.image.hiddenSize = cfg.multimodal.hiddenSize = cfg.hiddenSize = 64;
    cfg.image.intermediateSize = cfg.multimodal.intermediateSize = 96;
    cfg.image.numHiddenLayers = cfg.multimodal.numHiddenLayers = 1;
    cfg.image.numAttentionHeads = cfg.multimodal.numAttentionHeads = 4;
    cfg.image.imageSize = 32;
    return cfg;
}

} // namespace

class tst_TextQueryEncoder : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void matchesTheReferenceCheckpoint()
    {
        // The reference's texts: fp32 goldens, and LibTorch's own int8 text encoder.
        const auto io = test::loadTensors(kRef + "/io.safetensors");
        const Checkpoint ck(Checkpoint::weightsFile(kRef));
        const auto cfg = FlavaConfig::fromFile(kRef + "/config.json");
        const TextQueryEncoder enc(
            cfg, [&](const std::string &n) { return ck.find(n); }, ck.file());
        FlavaNet int8Net(cfg);
        int8Net->load(ck);
        int8Net->flava->text_model->finalize(Precision::Int8);
        const auto ids = io.at("input_ids"), mask = io.at("attention_mask");
        for (int64_t i = 0; i < ids.size(0); ++i) {
            const auto len = mask[i].sum().item<int64_t>();
            const auto row = ids[i].contiguous();
            const std::vector<std::int64_t> q(row.data_ptr<int64_t>(),
                                              row.data_ptr<int64_t>() + len);
            std::vector<float> preNorm;
            const auto v = enc.embed(q, &preNorm);
            const auto golden = toVector(io.at("text.embeds")[i]);
            QCOMPARE(v.size(), golden.size());
            QVERIFY2(cosine(v, golden) >= 0.999, qPrintable(QString::number(cosine(v, golden))));
            const auto torch8 = torchText(int8Net, q);
            QVERIFY2(cosine(v, torch8.embedding) >= 0.99999,
                     qPrintable(QString::number(cosine(v, torch8.embedding))));
            QCOMPARE(preNorm.size(), torch8.preNorm.size());
            QVERIFY(cosine(preNorm, torch8.preNorm) >= 0.99999);
            double norm = 0;
            for (float x : v)
                norm += double(x) * x;
            QVERIFY(std::abs(norm - 1.0) < 1e-5);
        }
    }

    void everyActivation_data()
    {
        QTest::addColumn<int>("activation");
        QTest::newRow("gelu") << int(Activation::Gelu);
        QTest::newRow("gelu_new (tanh)") << int(Activation::GeluTanh);
        QTest::newRow("relu") << int(Activation::Relu);
        QTest::newRow("quick_gelu") << int(Activation::QuickGelu);
    }
    void everyActivation()
    {
        // A random network of each activation: the encoder against LibTorch's int8 path on
        // queries of 1 to 40 tokens, and its threads against one thread, bit for bit.
        QFETCH(int, activation);
        const FlavaConfig cfg = smallConfig(Activation(activation));
        at::manual_seed(7);
        FlavaNet net(cfg);
        net->eval();
        net->finalize(Precision::Float32, Precision::Int8);
        const auto views = net->parameterViews(TextPart);
        const TextQueryEncoder one(cfg, lookupIn(views), "random", 1);
        const TextQueryEncoder two(cfg, lookupIn(views), "random", 2);
        QCOMPARE(two.threads(), 2);
        for (int len : {1, 2, 5, 8, 17, 40}) {
            std::vector<std::int64_t> q;
            for (int i = 0; i < len; ++i)
                q.push_back((i * 37 + len) % cfg.text.vocabSize);
            const auto v = one.embed(q);
            const auto torch8 = torchText(net, q);
            QVERIFY2(
                cosine(v, torch8.embedding) >= 0.99999,
                qPrintable(
                    QStringLiteral("%1 tokens: %2").arg(len).arg(cosine(v, torch8.embedding))));
            QVERIFY(two.embed(q) == v);
        }
    }

    void derivedFileIsReusedOnlyForItsModel()
    {
        // The quantized maps, written once, are read back in place for the same identity and
        // give the same bits; another identity, a truncated or garbled file, is quantized
        // again (and the file rewritten).
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const std::filesystem::path derived =
            tmp.filePath(QStringLiteral("d/text.bin")).toStdString();
        const Checkpoint ck(Checkpoint::weightsFile(kRef));
        const auto cfg = FlavaConfig::fromFile(kRef + "/config.json");
        const TensorLookup find = [&](const std::string &n) { return ck.find(n); };
        const std::vector<std::int64_t> q{101, 7, 42, 300, 102};
        const TextQueryEncoder plain(cfg, find, ck.file());
        const auto expected = plain.embed(q);

        const TextQueryEncoder first(cfg, find, ck.file(), 1, derived, "flava-aaaa");
        QVERIFY(!first.mapsFromDerivedFile());
        QVERIFY(std::filesystem::is_regular_file(derived));
        QVERIFY(first.embed(q) == expected);
        const TextQueryEncoder second(cfg, find, ck.file(), 2, derived, "flava-aaaa");
        QVERIFY(second.mapsFromDerivedFile());
        QVERIFY(second.embed(q) == expected);

        const TextQueryEncoder other(cfg, find, ck.file(), 1, derived, "flava-bbbb");
        QVERIFY(!other.mapsFromDerivedFile());
        QVERIFY(other.embed(q) == expected);
        QVERIFY(
            TextQueryEncoder(cfg, find, ck.file(), 1, derived, "flava-bbbb").mapsFromDerivedFile());

        const auto size = std::filesystem::file_size(derived);
        std::filesystem::resize_file(derived, size - 100);
        const TextQueryEncoder cut(cfg, find, ck.file(), 1, derived, "flava-bbbb");
        QVERIFY(!cut.mapsFromDerivedFile());
        QVERIFY(cut.embed(q) == expected);
        QCOMPARE(std::filesystem::file_size(derived), size);
        {
            std::fstream f(derived, std::ios::binary | std::ios::in | std::ios::out);
            f.seekp(4096); // the first map's header
            f.write("garbage!", 8);
        }
        const TextQueryEncoder garbled(cfg, find, ck.file(), 1, derived, "flava-bbbb");
        QVERIFY(!garbled.mapsFromDerivedFile());
        QVERIFY(garbled.embed(q) == expected);

        // Files of other models: the newest three of the folder stay.
        for (const char *id : {"flava-cccc", "flava-dddd", "flava-eeee"})
            TextQueryEncoder(cfg, find, ck.file(), 1,
                             derived.parent_path() / (std::string(id) + ".bin"), id);
        QVERIFY(!std::filesystem::exists(derived)); // the oldest
        for (const char *id : {"flava-cccc", "flava-dddd", "flava-eeee"})
            QVERIFY(std::filesystem::exists(derived.parent_path() / (std::string(id) + ".bin")));
    }

    void refusesBadQueries()
    {
        const FlavaConfig cfg = smallConfig(Activation::Gelu);
        at::manual_seed(3);
        FlavaNet net(cfg);
        const auto views = net->parameterViews(TextPart);
        const TextQueryEncoder enc(cfg, lookupIn(views), "random");
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, enc.embed({}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 enc.embed(std::vector<std::int64_t>(41, 5)));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 enc.embed(std::vector<std::int64_t>{1, 300}));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, enc.embed(std::vector<std::int64_t>{-1}));
    }

    void namesAMissingOrMisShapedTensor()
    {
        const FlavaConfig cfg = smallConfig(Activation::Gelu);
        at::manual_seed(3);
        FlavaNet net(cfg);
        auto views = net->parameterViews(TextPart);
        const std::string gone = "flava.text_model.encoder.layer.1.intermediate.dense.weight";
        std::erase_if(views, [&](const TensorView &v) { return v.name == gone; });
        try {
            TextQueryEncoder enc(cfg, lookupIn(views), "/models/x/model.safetensors");
            QFAIL("a missing tensor was not noticed");
        } catch (const CheckpointError &e) {
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.startsWith(QStringLiteral("/models/x/model.safetensors: ")),
                     qPrintable(what));
            QVERIFY2(what.contains(QStringLiteral("missing tensor '%1' (expected [96, 64])")
                                       .arg(QString::fromStdString(gone))),
                     qPrintable(what));
        }
        views = net->parameterViews(TextPart);
        for (auto &v : views)
            if (v.name == "flava.text_projection.bias")
                v.shape = {47};
        try {
            TextQueryEncoder enc(cfg, lookupIn(views), "weights");
            QFAIL("a mis-shaped tensor was not noticed");
        } catch (const CheckpointError &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(QStringLiteral(
                         "'flava.text_projection.bias' has shape [47] but the config needs [48]")),
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(tst_TextQueryEncoder)
#include "tst_textqueryencoder.moc"
