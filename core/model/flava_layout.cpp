#include "flava_layout.h"

#include "checkpoint.h"
#include "checkpoint_error.h"

#include <algorithm>

namespace imago::flava {

Part partOf(const std::string &name)
{
    auto starts = [&](const char *prefix) { return name.rfind(prefix, 0) == 0; };
    if (starts("flava.text_model.") || starts("flava.text_projection.") ||
        name == "flava.logit_scale")
        return TextPart;
    if (starts("flava.image_model.") || starts("flava.image_projection."))
        return ImagePart;
    return MultimodalPart;
}

namespace {

// A pre-LayerNorm encoder stack: "<prefix>.encoder.layer.N....", "<prefix>.layernorm",
// "<prefix>.pooler.dense" (flava_layers.h).
void addStack(std::vector<ExpectedTensor> &out, const std::string &prefix, const EncoderConfig &cfg)
{
    const std::int64_t d = cfg.hiddenSize, inter = cfg.intermediateSize;
    const auto dense = [&](const std::string &name, std::int64_t outDim, std::int64_t inDim,
                           bool bias = true) {
        out.push_back({name + ".weight", {outDim, inDim}});
        if (bias)
            out.push_back({name + ".bias", {outDim}});
    };
    const auto norm = [&](const std::string &name) {
        out.push_back({name + ".weight", {d}});
        out.push_back({name + ".bias", {d}});
    };
    for (int i = 0; i < cfg.numHiddenLayers; ++i) {
        const std::string p = prefix + ".encoder.layer." + std::to_string(i) + ".";
        for (const char *part : {"query", "key", "value"})
            dense(p + "attention.attention." + part, d, d, cfg.qkvBias);
        dense(p + "attention.output.dense", d, d);
        dense(p + "intermediate.dense", inter, d);
        dense(p + "output.dense", d, inter);
        norm(p + "layernorm_before");
        norm(p + "layernorm_after");
    }
    norm(prefix + ".layernorm");
    dense(prefix + ".pooler.dense", d, d);
}

} // namespace

std::vector<ExpectedTensor> flavaTensors(const FlavaConfig &cfg)
{
    std::vector<ExpectedTensor> out;
    const auto &im = cfg.image;
    const auto &tx = cfg.text;
    const auto &mm = cfg.multimodal;
    const std::int64_t di = im.hiddenSize, dt = tx.hiddenSize, dm = mm.hiddenSize;
    const std::int64_t e = cfg.projectionDim, h = cfg.hiddenSize;

    const std::string image = "flava.image_model";
    out.push_back({image + ".embeddings.cls_token", {1, 1, di}});
    out.push_back({image + ".embeddings.position_embeddings", {1, 1 + im.numPatches(), di}});
    out.push_back({image + ".embeddings.patch_embeddings.projection.weight",
                   {di, im.numChannels, im.patchSize, im.patchSize}});
    out.push_back({image + ".embeddings.patch_embeddings.projection.bias", {di}});
    addStack(out, image, im);

    const std::string text = "flava.text_model";
    out.push_back({text + ".embeddings.word_embeddings.weight", {tx.vocabSize, dt}});
    out.push_back(
        {text + ".embeddings.position_embeddings.weight", {tx.maxPositionEmbeddings, dt}});
    out.push_back({text + ".embeddings.token_type_embeddings.weight", {tx.typeVocabSize, dt}});
    out.push_back({text + ".embeddings.LayerNorm.weight", {dt}});
    out.push_back({text + ".embeddings.LayerNorm.bias", {dt}});
    addStack(out, text, tx);

    const std::string multimodal = "flava.multimodal_model";
    if (mm.useClsToken)
        out.push_back({multimodal + ".cls_token", {1, 1, dm}});
    addStack(out, multimodal, mm);

    const auto dense = [&](const std::string &name, std::int64_t outDim, std::int64_t inDim) {
        out.push_back({name + ".weight", {outDim, inDim}});
        out.push_back({name + ".bias", {outDim}});
    };
    dense("flava.image_projection", e, di);
    dense("flava.text_projection", e, dt);
    dense("flava.image_to_mm_projection", dm, di);
    dense("flava.text_to_mm_projection", dm, dt);
    out.push_back({"flava.logit_scale", {}});
    dense("itm_head.pooler.dense", h, h);
    dense("itm_head.seq_relationship", 2, h);
    return out;
}

std::string shapeText(const std::vector<std::int64_t> &shape)
{
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

TensorLookup lookupIn(const std::vector<TensorView> &views)
{
    return [&views](const std::string &name) -> const TensorView * {
        const auto it = std::find_if(views.begin(), views.end(),
                                     [&](const TensorView &v) { return v.name == name; });
        return it == views.end() ? nullptr : &*it;
    };
}

const TensorView &checkedTensor(const TensorLookup &find, const std::string &name,
                                const std::vector<std::int64_t> &shape,
                                const std::filesystem::path &file)
{
    const TensorView *v = find(name);
    if (!v)
        throw CheckpointError(file,
                              "missing tensor '" + name + "' (expected " + shapeText(shape) + ")");
    if (v->shape != shape)
        throw CheckpointError(file, "tensor '" + name + "' has shape " + shapeText(v->shape) +
                                        " but the config needs " + shapeText(shape));
    if (v->dtype != DType::F32 && v->dtype != DType::F16 && v->dtype != DType::BF16 &&
        v->dtype != DType::F64)
        throw CheckpointError(file, "tensor '" + name + "' has dtype " +
                                        std::string(dtypeName(v->dtype)) +
                                        ", not a floating-point type");
    return *v;
}

void checkCheckpoint(const Checkpoint &checkpoint, const FlavaConfig &cfg, unsigned parts)
{
    const TensorLookup find = [&](const std::string &name) { return checkpoint.find(name); };
    for (const ExpectedTensor &t : flavaTensors(cfg))
        if (partOf(t.name) & parts)
            checkedTensor(find, t.name, t.shape, checkpoint.file());
}

} // namespace imago::flava
