// flava_config.h - the FLAVA configuration, parsed from a Hugging Face config.json.
//
// HF's rules: every field starts at the HF default (= the facebook/flava-full value), then the
// keys of "<x>_config" apply, then those of the legacy "<x>_config_dict" on top; unknown keys are
// ignored. Every width, depth and size the port uses comes from here. Plain value types.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace imago::flava {

// How the encoder blocks' linear layers compute (flava_model.h says what each costs).
enum class Precision
{
    Float32,
    Int8,
    BFloat16
};

enum class Activation
{
    Gelu,
    GeluTanh,
    Relu,
    QuickGelu
};

struct EncoderConfig
{
    int hiddenSize = 768;
    int numHiddenLayers = 12;
    int numAttentionHeads = 12;
    int intermediateSize = 3072;
    Activation hiddenAct = Activation::Gelu;
    double layerNormEps = 1e-12;
    bool qkvBias = true;
};

struct ImageConfig : EncoderConfig
{
    int imageSize = 224;
    int patchSize = 16;
    int numChannels = 3;
    int numPatches() const { return (imageSize / patchSize) * (imageSize / patchSize); }
};

struct TextConfig : EncoderConfig
{
    int vocabSize = 30522;
    int typeVocabSize = 2;
    int maxPositionEmbeddings = 512;
    std::int64_t padTokenId = 0;
};

struct MultimodalConfig : EncoderConfig
{
    MultimodalConfig() { numHiddenLayers = 6; }
    bool useClsToken = true;
};

struct FlavaConfig
{
    ImageConfig image;
    TextConfig text;
    MultimodalConfig multimodal;
    int hiddenSize = 768; // ITM head width; equals multimodal.hiddenSize
    int projectionDim = 768;
    double layerNormEps = 1e-12;

    // Throws CheckpointError naming the file for malformed JSON, wrongly typed values or an
    // inconsistent architecture (e.g. a width not divisible by the head count).
    static FlavaConfig fromFile(const std::filesystem::path &configJson);
    static FlavaConfig fromJson(std::string_view json, const std::filesystem::path &source);
};

std::string_view activationName(Activation a);

} // namespace imago::flava
