#include "flava_text_encoder.h"

#include <stdexcept>

namespace imago::flava {

namespace tnn = torch::nn;

namespace {
// nn::Embedding draws N(0, 1) weights unless it is given its weight: under SkipInit it is given
// an uninitialised one (the vocabulary's normal_() took a third of a second of a cold rerank,
// and wrote 94 MB that the int8 query path never reads).
tnn::Embedding embedding(int64_t count, int64_t dim)
{
    tnn::EmbeddingOptions options(count, dim);
    if (SkipInit::active())
        options._weight(at::empty({count, dim}));
    return tnn::Embedding(options);
}
} // namespace

FlavaTextEncoderImpl::FlavaTextEncoderImpl(const TextConfig &cfg) : m_cfg(cfg)
{
    const int d = cfg.hiddenSize;
    auto embeddings = register_module("embeddings", std::make_shared<Scope>());
    word_embeddings = embeddings->register_module("word_embeddings", embedding(cfg.vocabSize, d));
    position_embeddings =
        embeddings->register_module("position_embeddings", embedding(cfg.maxPositionEmbeddings, d));
    token_type_embeddings =
        embeddings->register_module("token_type_embeddings", embedding(cfg.typeVocabSize, d));
    LayerNorm = embeddings->register_module(
        "LayerNorm", tnn::LayerNorm(tnn::LayerNormOptions({d}).eps(cfg.layerNormEps)));
    m_stack = EncoderStack(*this, cfg);
}

EncoderOutput FlavaTextEncoderImpl::forward(const at::Tensor &ids, const at::Tensor &keepMask,
                                            bool keepAllStates) const
{
    if (ids.dim() != 2 || ids.scalar_type() != at::kLong)
        throw std::invalid_argument("text encoder expects [B, L] int64 token ids");
    const int64_t len = ids.size(1);
    if (len < 1 || len > m_cfg.maxPositionEmbeddings)
        throw std::invalid_argument("text of " + std::to_string(len) + " tokens is outside 1.." +
                                    std::to_string(m_cfg.maxPositionEmbeddings));
    if (ids.numel() > 0 &&
        (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= m_cfg.vocabSize))
        throw std::invalid_argument("token id outside the vocabulary of " +
                                    std::to_string(m_cfg.vocabSize));
    const auto positions = at::arange(len, ids.options());
    auto x = at::embedding(word_embeddings->weight, ids) +
             token_type_embeddings->weight.select(0, 0) +           // token type 0 everywhere
             at::embedding(position_embeddings->weight, positions); // [B, L, D]
    x = call(LayerNorm, x);
    const at::Tensor bias = keepMask.defined() ? additiveMask(keepMask) : at::Tensor();
    return m_stack.run(std::move(x), bias, keepAllStates);
}

} // namespace imago::flava
