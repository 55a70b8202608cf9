// flava_image_encoder.h - FLAVA's ViT image encoder ("flava.image_model").
// Internal (LibTorch) header: core/model and its tests only.
#pragma once

#include "flava_layers.h"

namespace imago::flava {

class FlavaImageEncoderImpl : public torch::nn::Module
{
public:
    explicit FlavaImageEncoderImpl(const ImageConfig &cfg);
    // pixels [B, C, S, S] normalised, S = image_size -> states [B, 1 + N, D]
    EncoderOutput forward(const at::Tensor &pixels, bool keepAllStates = false) const;
    at::Tensor pool(const at::Tensor &last) const { return m_stack.pool(last); }
    void finalize(Precision precision = Precision::Float32);
    // Instead of finalize(BFloat16): the blocks' maps from EncoderStack::bf16Maps()'s tensors.
    void setBf16Maps(std::span<const at::Tensor> maps);
    const EncoderStack &stack() const { return m_stack; }
    const ImageConfig &config() const { return m_cfg; }

private:
    void finalizeEmbeddings();

    ImageConfig m_cfg;
    at::Tensor cls_token, position_embeddings; // [1, 1, D], [1, 1 + N, D]
    at::Tensor m_patchWeight, m_patchBias;     // the Conv2d's weight as a [C*p*p, D] GEMM operand
    EncoderStack m_stack;
};
TORCH_MODULE(FlavaImageEncoder);

} // namespace imago::flava
