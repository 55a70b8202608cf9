#include "flava_config.h"
#include "mapped_file.h"

#include "checkpoint_error.h"

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

namespace imago::flava {

namespace {

using nlohmann::json;

class Reader
{
public:
    Reader(const std::filesystem::path &source, std::string section)
        : m_source(source), m_section(std::move(section))
    {
    }

    // Applies `obj`'s value for `key` to `field` if present (null means "keep the default").
    void readInt(const json &obj, const char *key, int &field, int minValue = 1) const
    {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null())
            return;
        if (!it->is_number_integer())
            fail(key, "must be an integer");
        const auto v = it->get<std::int64_t>();
        if (v < minValue || v > (1 << 24))
            fail(key, "value " + std::to_string(v) + " is out of range");
        field = static_cast<int>(v);
    }
    void readInt64(const json &obj, const char *key, std::int64_t &field) const
    {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null())
            return;
        if (!it->is_number_integer())
            fail(key, "must be an integer");
        field = it->get<std::int64_t>();
    }
    void readDouble(const json &obj, const char *key, double &field) const
    {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null())
            return;
        if (!it->is_number())
            fail(key, "must be a number");
        field = it->get<double>();
    }
    void readBool(const json &obj, const char *key, bool &field) const
    {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null())
            return;
        if (!it->is_boolean())
            fail(key, "must be true or false");
        field = it->get<bool>();
    }
    void readActivation(const json &obj, Activation &field) const
    {
        const auto it = obj.find("hidden_act");
        if (it == obj.end() || it->is_null())
            return;
        if (!it->is_string())
            fail("hidden_act", "must be a string");
        const auto s = it->get<std::string>();
        if (s == "gelu" || s == "gelu_python")
            field = Activation::Gelu;
        else if (s == "gelu_new" || s == "gelu_pytorch_tanh" || s == "gelu_fast")
            field = Activation::GeluTanh;
        else if (s == "relu")
            field = Activation::Relu;
        else if (s == "quick_gelu")
            field = Activation::QuickGelu;
        else
            fail("hidden_act", "unsupported activation '" + s + "'");
    }
    void readEncoder(const json &obj, EncoderConfig &c) const
    {
        readInt(obj, "hidden_size", c.hiddenSize);
        readInt(obj, "num_hidden_layers", c.numHiddenLayers);
        readInt(obj, "num_attention_heads", c.numAttentionHeads);
        readInt(obj, "intermediate_size", c.intermediateSize);
        readActivation(obj, c.hiddenAct);
        readDouble(obj, "layer_norm_eps", c.layerNormEps);
        readBool(obj, "qkv_bias", c.qkvBias);
    }

    [[noreturn]] void fail(const std::string &key, const std::string &why) const
    {
        throw CheckpointError(m_source, m_section + key + ": " + why);
    }

private:
    const std::filesystem::path &m_source;
    std::string m_section;
};

// HF's merge: "<x>_config" first, then the legacy "<x>_config_dict" wins key by key.
template<typename Apply>
void applySection(const json &root, const std::string &key, const std::filesystem::path &source,
                  Apply apply)
{
    for (const std::string &k : {key, key + "_dict"}) {
        const auto it = root.find(k);
        if (it == root.end() || it->is_null())
            continue;
        if (!it->is_object())
            throw CheckpointError(source, k + " must be a JSON object");
        apply(*it, Reader(source, k + "."));
    }
}

void checkEncoder(const EncoderConfig &c, const char *name, const std::filesystem::path &source)
{
    if (c.hiddenSize % c.numAttentionHeads != 0)
        throw CheckpointError(source, std::string(name) + ": hidden_size " +
                                          std::to_string(c.hiddenSize) +
                                          " is not divisible by num_attention_heads " +
                                          std::to_string(c.numAttentionHeads));
}

} // namespace

FlavaConfig FlavaConfig::fromJson(std::string_view text, const std::filesystem::path &source)
{
    const json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (root.is_discarded())
        throw CheckpointError(source, "config is not valid JSON");
    if (!root.is_object())
        throw CheckpointError(source, "config is not a JSON object");

    FlavaConfig c;
    applySection(root, "image_config", source, [&](const json &o, const Reader &r) {
        r.readEncoder(o, c.image);
        r.readInt(o, "image_size", c.image.imageSize);
        r.readInt(o, "patch_size", c.image.patchSize);
        r.readInt(o, "num_channels", c.image.numChannels);
    });
    applySection(root, "text_config", source, [&](const json &o, const Reader &r) {
        r.readEncoder(o, c.text);
        r.readInt(o, "vocab_size", c.text.vocabSize);
        r.readInt(o, "type_vocab_size", c.text.typeVocabSize);
        r.readInt(o, "max_position_embeddings", c.text.maxPositionEmbeddings);
        r.readInt64(o, "pad_token_id", c.text.padTokenId);
    });
    applySection(root, "multimodal_config", source, [&](const json &o, const Reader &r) {
        r.readEncoder(o, c.multimodal);
        r.readBool(o, "use_cls_token", c.multimodal.useClsToken);
    });
    const Reader top(source, "");
    top.readInt(root, "hidden_size", c.hiddenSize);
    top.readInt(root, "projection_dim", c.projectionDim);
    top.readDouble(root, "layer_norm_eps", c.layerNormEps);

    checkEncoder(c.image, "image_config", source);
    checkEncoder(c.text, "text_config", source);
    checkEncoder(c.multimodal, "multimodal_config", source);
    if (c.image.imageSize % c.image.patchSize != 0)
        throw CheckpointError(source, "image_config: image_size " +
                                          std::to_string(c.image.imageSize) +
                                          " is not a multiple of patch_size " +
                                          std::to_string(c.image.patchSize));
    if (c.hiddenSize != c.multimodal.hiddenSize)
        throw CheckpointError(source, "hidden_size " + std::to_string(c.hiddenSize) +
                                          " must equal multimodal_config.hidden_size " +
                                          std::to_string(c.multimodal.hiddenSize));
    if (c.text.padTokenId < 0 || c.text.padTokenId >= c.text.vocabSize)
        throw CheckpointError(source, "text_config.pad_token_id is outside the vocabulary");
    return c;
}

FlavaConfig FlavaConfig::fromFile(const std::filesystem::path &configJson)
{
    const auto read = readWholeFile(configJson);
    if (!read)
        throw CheckpointError(configJson, "cannot read config.json");
    const std::string &text = *read;
    if (text.size() > (16u << 20))
        throw CheckpointError(configJson, "config.json is larger than 16 MB");
    return fromJson(text, configJson);
}

std::string_view activationName(Activation a)
{
    switch (a) {
    case Activation::Gelu: return "gelu";
    case Activation::GeluTanh: return "gelu_new";
    case Activation::Relu: return "relu";
    case Activation::QuickGelu: return "quick_gelu";
    }
    return "?";
}

} // namespace imago::flava
