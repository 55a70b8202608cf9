// flava_text_encoder.h - FLAVA's BERT-style text encoder ("flava.text_model").
// Internal (LibTorch) header: core/model and its tests only.
#pragma once

#include "flava_layers.h"

#include <torch/nn/modules/embedding.h>

namespace imago::flava {

class FlavaTextEncoderImpl : public torch::nn::Module
{
public:
    explicit FlavaTextEncoderImpl(const TextConfig &cfg);
    // ids [B, L] int64; keepMask [B, L] (1 real token, 0 padding) or undefined for "all real".
    // Positions are 0..L-1; token types all 0. -> states [B, L, D]
    EncoderOutput forward(const at::Tensor &ids, const at::Tensor &keepMask,
                          bool keepAllStates = false) const;
    at::Tensor pool(const at::Tensor &last) const { return m_stack.pool(last); }
    // int8 queries quantize each token on its own (Int8Activations::PerRow).
    void finalize(Precision precision = Precision::Float32)
    {
        m_stack.finalize(precision, Int8Activations::PerRow);
    }
    const TextConfig &config() const { return m_cfg; }

private:
    TextConfig m_cfg;
    torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr},
        token_type_embeddings{nullptr};
    torch::nn::LayerNorm LayerNorm{nullptr}; // spelled as the checkpoint spells it
    EncoderStack m_stack;
};
TORCH_MODULE(FlavaTextEncoder);

} // namespace imago::flava
