// flava_model.h - the public face of the FLAVA port: load a model folder, embed images and
// texts into the shared retrieval space, score image-text pairs with the ITM head.
//
// Usage:
//     auto model = imago::flava::FlavaModel::load("/path/to/flava-full");
//     std::vector<float> v = model->embedImages(pixels, count);  // count x E, unit rows
//     std::vector<float> q = model->embedTexts({tokenizer.encode("a dog").ids});
//     auto states = model->encodeImages(pixels, count);          // keeps ITM inputs
//     auto scores = model->match(stateRefs, queryIds);            // rerank
//
// A model folder has the Hugging Face layout of facebook/flava-full: config.json,
// model.safetensors or pytorch_model.bin, vocab.txt (the tokenizer is core/text's business).
//
// Threading: immutable after load(); every method is const and may be called from several
// threads at once (each call opens its own c10::InferenceMode). LibTorch's intra-op thread
// count is process-wide and set from ModelOptions::threads when LibTorch loads.
// No LibTorch type appears here, and no LibTorch is linked: layers above include this header
// freely. On the CPU, int8 queries run without LibTorch; LibTorch itself is a plugin loaded the
// first time an image, a rerank or an fp32/bf16 query needs it (flava_backend.h).
#pragma once

#include "flava_config.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace imago::flava {

enum class Device
{
    Auto,
    Cpu,
    Cuda
};

// Precision (flava_config.h) - Float32: exact (the reference's arithmetic). Int8: on CPU, the
// encoder blocks' linear layers run as dynamic int8 (~2x faster for images, ~3x for a short
// query, which is bound by reading the weights; embeddings agree with fp32 to cosine >= 0.99,
// see tst_flavatoy). BFloat16: those layers' weights are converted to bf16 once at load and
// their GEMMs run in bf16 with fp32 accumulation (AMX / AVX512_BF16: several times fp32's
// speed; elsewhere far slower - see bestCpuPrecision()); LayerNorm, attention scores, softmax
// and the residual stream stay fp32. On CUDA the model always runs in half precision.

struct ModelOptions
{
    Device device = Device::Auto;             // Auto: CUDA when LibTorch has it, else CPU
    int threads = 0;                          // CPU intra-op threads; 0 = the cores idle right now
    Precision precision = Precision::Float32; // image and multimodal encoders
    Precision textPrecision = Precision::Float32; // text encoder (queries and ITM's text side)
    // Where facts derived from the model's files may be kept, so that a start need not derive
    // them again: their identity (model-identity/, model_identity.h: hashing 1.4 GB), the
    // int8 text encoder's weights (model-derived/, text_query_encoder.h: quantizing 85 M
    // weights) and the bf16 image and multimodal blocks (model-derived/, converting 128 M).
    // Empty: derived at every load.
    std::filesystem::path cacheDir = {};
};

// The image encoder's pre-final-LayerNorm hidden states of one image: the input ITM needs.
// Opaque; cheap to share.
class ImageStates;

struct ImageEncoding
{
    std::vector<float> embedding; // E floats, unit length
    std::shared_ptr<const ImageStates> states;
};

struct ItmScore
{
    float logitNoMatch = 0;
    float logitMatch = 0;
    float probability = 0; // softmax(logits)[match]
};

class FlavaModel
{
public:
    // Throws CheckpointError (file + problem) for a missing or unusable folder, config or weights.
    static std::unique_ptr<FlavaModel> load(const std::filesystem::path &modelDir,
                                            const ModelOptions &options = {});
    // A model of the given architecture with random weights (seeded): for benchmarks, which
    // must measure a FLAVA-full-sized network without downloading it. Identity "random-<seed>".
    static std::unique_ptr<FlavaModel> createRandom(const FlavaConfig &config,
                                                    const ModelOptions &options = {},
                                                    std::uint64_t seed = 0);
    ~FlavaModel();

    const FlavaConfig &config() const;
    const std::filesystem::path &directory() const;
    // "flava-<16 hex>": hash of config.json and the weights file; changes when either does.
    const std::string &identity() const;
    std::string deviceName() const; // "cpu" or "cuda:0"
    Precision precision() const;
    Precision textPrecision() const;
    // On the CPU, load() checks every tensor and reads only the text encoder; the image encoder
    // loads on the first embedImages/encodeImages, the multimodal encoder and ITM head on the
    // first match().
    bool imageEncoderLoaded() const;
    bool multimodalEncoderLoaded() const;
    // Loads LibTorch, the image encoder and the multimodal encoder now, as the first rerank
    // would. Safe to call from another thread while this one decodes the photos to rerank:
    // a cold rerank then loads the model while it decodes.
    void prepareRerank() const;
    // Whether this model has loaded the LibTorch plugin (a text search with int8 queries
    // never does).
    bool libTorchLoaded() const;
    int imageSize() const;     // model input side, from the config
    int embeddingDim() const;  // projection_dim
    float temperature() const; // exp(clamp(logit_scale)) for contrastive logits

    // pixels: count x C x S x S floats, normalised, NCHW. Returns count x E, rows unit length.
    std::vector<float> embedImages(std::span<const float> pixels, int count) const;
    // Same, and keeps each image's hidden states for match().
    std::vector<ImageEncoding> encodeImages(std::span<const float> pixels, int count) const;
    // Each text: token ids with [CLS]/[SEP], unpadded, at most max_position_embeddings long.
    // Batched internally with the config's pad id and an attention mask. Returns count x E.
    std::vector<float> embedTexts(const std::vector<std::vector<std::int64_t>> &texts) const;
    // ITM of one text (unpadded ids) against each image. One score per image, same order.
    std::vector<ItmScore> match(std::span<const std::shared_ptr<const ImageStates>> images,
                                std::span<const std::int64_t> textIds) const;

private:
    struct Private;
    explicit FlavaModel(std::unique_ptr<Private> d);
    std::unique_ptr<Private> d;
};

} // namespace imago::flava
