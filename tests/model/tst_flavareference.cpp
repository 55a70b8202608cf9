// The LibTorch port against the reference implementation's outputs
// (../shared/flava-reference/io.safetensors), loading both checkpoint formats.
#include "flava_module.h"
#include "tensor_compare.h"

#include <c10/core/InferenceMode.h>

#include <QTest>

using namespace imago;
using namespace imago::flava;

namespace {
const std::string kRef = IMAGO_SHARED_DIR "/flava-reference";
constexpr double kTol = 1e-4; // hidden states etc.: abs <= 1e-4 + 1e-4 * |b|
}

class tst_FlavaReference : public QObject
{
    Q_OBJECT

private:
    std::map<std::string, at::Tensor> io;
    FlavaNet net{nullptr};
    const at::Tensor &golden(const std::string &name)
    {
        const auto it = io.find(name);
        if (it == io.end())
            qFatal("golden tensor %s missing", name.c_str());
        return it->second;
    }
    void loadNet();

private Q_SLOTS:
    void initTestCase();

    void imageEncoder_data();
    void imageEncoder();
    void textEncoder_data() { imageEncoder_data(); }
    void textEncoder();
    void contrastive_data() { imageEncoder_data(); }
    void contrastive();
    void multimodalAndItm_data() { imageEncoder_data(); }
    void multimodalAndItm();
    void unpaddedQueryGivesMaskedItm();
};

void tst_FlavaReference::initTestCase()
{
    io = test::loadTensors(kRef + "/io.safetensors");
    QVERIFY(io.size() >= 38);
}

void tst_FlavaReference::imageEncoder_data()
{
    QTest::addColumn<QString>("weights");
    QTest::newRow("model.safetensors") << "model.safetensors";
    QTest::newRow("pytorch_model.bin") << "pytorch_model.bin";
}

void tst_FlavaReference::loadNet()
{
    QFETCH(QString, weights);
    const auto cfg = FlavaConfig::fromFile(kRef + "/config.json");
    net = FlavaNet(cfg);
    net->load(Checkpoint(kRef + "/" + weights.toStdString()));
}

void tst_FlavaReference::imageEncoder()
{
    loadNet();
    c10::InferenceMode guard;
    const auto out = net->flava->image_model->forward(golden("pixel_values"), true);
    QCOMPARE(out.hiddenStates.size(), std::size_t(3));
    for (std::size_t k = 0; k < out.hiddenStates.size(); ++k)
        IMAGO_COMPARE_TENSOR(out.hiddenStates[k], golden("image.hidden_states." + std::to_string(k)),
                             kTol, kTol);
    IMAGO_COMPARE_TENSOR(out.last, golden("image.last_hidden_state"), kTol, kTol);
    IMAGO_COMPARE_TENSOR(out.last.select(1, 0), golden("image.cls"), kTol, kTol);
    IMAGO_COMPARE_TENSOR(net->flava->image_model->pool(out.last), golden("image.pooler_output"),
                         kTol, kTol);
    const auto features = net->imageFeatures(out.last);
    IMAGO_COMPARE_TENSOR(features, golden("image.features"), kTol, kTol);
    IMAGO_COMPARE_TENSOR(FlavaNetImpl::normalize(features), golden("image.embeds"), 1e-5, 0);
    IMAGO_COMPARE_TENSOR(call(net->flava->image_to_mm_projection, out.lastPreNorm),
                         golden("image.to_mm"), kTol, kTol);
}

void tst_FlavaReference::textEncoder()
{
    loadNet();
    c10::InferenceMode guard;
    const auto out = net->flava->text_model->forward(golden("input_ids"),
                                                     golden("attention_mask"), true);
    // Outputs at padded positions are not part of the contract; compare real tokens only.
    const auto keep = golden("attention_mask").to(at::kBool).unsqueeze(-1);
    auto realOnly = [&](const at::Tensor &t) { return t.masked_fill(~keep, 0); };
    QCOMPARE(out.hiddenStates.size(), std::size_t(3));
    for (std::size_t k = 0; k < out.hiddenStates.size(); ++k)
        IMAGO_COMPARE_TENSOR(realOnly(out.hiddenStates[k]),
                             realOnly(golden("text.hidden_states." + std::to_string(k))), kTol,
                             kTol);
    IMAGO_COMPARE_TENSOR(realOnly(out.last), realOnly(golden("text.last_hidden_state")), kTol,
                         kTol);
    IMAGO_COMPARE_TENSOR(net->flava->text_model->pool(out.last), golden("text.pooler_output"),
                         kTol, kTol);
    IMAGO_COMPARE_TENSOR(out.last.select(1, 0), golden("text.cls"), kTol, kTol);
    const auto features = net->textFeatures(out.last);
    IMAGO_COMPARE_TENSOR(features, golden("text.features"), kTol, kTol);
    IMAGO_COMPARE_TENSOR(FlavaNetImpl::normalize(features), golden("text.embeds"), 1e-5, 0);
    IMAGO_COMPARE_TENSOR(realOnly(call(net->flava->text_to_mm_projection, out.lastPreNorm)),
                         realOnly(golden("text.to_mm")), kTol, kTol);
}

void tst_FlavaReference::contrastive()
{
    loadNet();
    c10::InferenceMode guard;
    IMAGO_COMPARE_TENSOR(net->flava->logit_scale, golden("logit_scale.raw"), 1e-6, 0);
    const double t = net->temperature();
    IMAGO_COMPARE_TENSOR(at::scalar_tensor(t), golden("logit_scale.exp"), 1e-6, 0);
    IMAGO_COMPARE_TENSOR(at::scalar_tensor(std::log(t)).to(at::kFloat),
                         golden("logit_scale.clamped"), 1e-6, 0);
    const auto img = net->flava->image_model->forward(golden("pixel_values"));
    const auto txt = net->flava->text_model->forward(golden("input_ids"), golden("attention_mask"));
    const auto ie = FlavaNetImpl::normalize(net->imageFeatures(img.last));
    const auto te = FlavaNetImpl::normalize(net->textFeatures(txt.last));
    IMAGO_COMPARE_TENSOR(at::matmul(ie, te.t()) * t, golden("contrastive.logits_per_image"), 2e-3,
                         0);
    IMAGO_COMPARE_TENSOR(at::matmul(te, ie.t()) * t, golden("contrastive.logits_per_text"), 2e-3,
                         0);
}

void tst_FlavaReference::multimodalAndItm()
{
    loadNet();
    c10::InferenceMode guard;
    const auto img = net->flava->image_model->forward(golden("pixel_values"));
    const auto txt = net->flava->text_model->forward(golden("input_ids"), golden("attention_mask"));
    const auto ii = golden("pairs.image_index"), ti = golden("pairs.text_index");
    const auto imagePre = img.lastPreNorm.index_select(0, ii);
    const auto textPre = txt.lastPreNorm.index_select(0, ti);
    const auto textMask = golden("attention_mask").index_select(0, ti);

    const auto mm = net->multimodal(imagePre, textPre, textMask, true);
    // The keep-mask the encoder used: 1 for CLS_M and image tokens, then the text's mask.
    const auto expectedMask = golden("mm.attention_mask");
    const auto ourMask = at::cat({at::ones({textMask.size(0), 1 + imagePre.size(1)}, at::kLong),
                                  textMask}, 1);
    QVERIFY(at::equal(ourMask, expectedMask));
    const auto keep = expectedMask.to(at::kBool).unsqueeze(-1);
    auto realOnly = [&](const at::Tensor &t) { return t.masked_fill(~keep, 0); };
    IMAGO_COMPARE_TENSOR(mm.hiddenStates[0], golden("mm.input"), kTol, kTol);
    for (std::size_t k = 0; k < mm.hiddenStates.size(); ++k)
        IMAGO_COMPARE_TENSOR(realOnly(mm.hiddenStates[k]),
                             realOnly(golden("mm.hidden_states." + std::to_string(k))), kTol, kTol);
    IMAGO_COMPARE_TENSOR(realOnly(mm.last), realOnly(golden("mm.last_hidden_state")), kTol, kTol);
    IMAGO_COMPARE_TENSOR(net->flava->multimodal_model->pool(mm.last), golden("mm.pooler_output"),
                         kTol, kTol);
    const auto logits = net->itm(mm.last);
    IMAGO_COMPARE_TENSOR(logits, golden("itm.logits"), 1e-4, 0);
    IMAGO_COMPARE_TENSOR(at::softmax(logits, -1).select(1, 1), golden("itm.match_probability"),
                         1e-4, 0);

    // Legacy convention: the multimodal encoder attends to the text padding too.
    const auto legacy = net->itm(net->multimodal(imagePre, textPre, at::Tensor()).last);
    IMAGO_COMPARE_TENSOR(legacy, golden("itm.logits_unmasked_legacy"), 1e-4, 0);
}

void tst_FlavaReference::unpaddedQueryGivesMaskedItm()
{
    // Feeding each text cut to its true length, with no mask at all, must give itm.logits.
    const auto cfg = FlavaConfig::fromFile(kRef + "/config.json");
    net = FlavaNet(cfg);
    net->load(Checkpoint(kRef + "/model.safetensors"));
    c10::InferenceMode guard;
    const auto img = net->flava->image_model->forward(golden("pixel_values"));
    const auto ids = golden("input_ids"), mask = golden("attention_mask");
    const auto ii = golden("pairs.image_index"), ti = golden("pairs.text_index");
    const auto expected = golden("itm.logits");
    for (int64_t p = 0; p < ii.size(0); ++p) {
        const auto t = ti[p].item<int64_t>();
        const auto len = mask[t].sum().item<int64_t>();
        const auto txt = net->flava->text_model->forward(ids[t].narrow(0, 0, len).unsqueeze(0),
                                                         at::Tensor());
        const auto imagePre = img.lastPreNorm[ii[p].item<int64_t>()].unsqueeze(0);
        const auto logits = net->itm(net->multimodal(imagePre, txt.lastPreNorm, at::Tensor()).last);
        IMAGO_COMPARE_TENSOR(logits[0], expected[p], 1e-4, 0);
    }
}

QTEST_GUILESS_MAIN(tst_FlavaReference)
#include "tst_flavareference.moc"
