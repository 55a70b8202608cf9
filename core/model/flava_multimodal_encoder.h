// flava_multimodal_encoder.h - FLAVA's fusion encoder ("flava.multimodal_model").
// Internal (LibTorch) header: core/model and its tests only.
#pragma once

#include "flava_layers.h"

namespace imago::flava {

class FlavaMultimodalEncoderImpl : public torch::nn::Module
{
public:
    explicit FlavaMultimodalEncoderImpl(const MultimodalConfig &cfg);
    // x [B, S, Dm]: image tokens then text tokens, already projected to the multimodal width.
    // keepMask [B, S] or undefined. CLS_M is prepended (when configured) and always attended.
    // -> states [B, 1 + S, Dm]
    EncoderOutput forward(const at::Tensor &x, const at::Tensor &keepMask,
                          bool keepAllStates = false) const;
    at::Tensor pool(const at::Tensor &last) const { return m_stack.pool(last); }
    void finalize(Precision precision = Precision::Float32) { m_stack.finalize(precision); }
    // Instead of finalize(BFloat16): the blocks' maps from EncoderStack::bf16Maps()'s tensors.
    void setBf16Maps(std::span<const at::Tensor> maps) { m_stack.setBf16Maps(maps); }
    const EncoderStack &stack() const { return m_stack; }

private:
    MultimodalConfig m_cfg;
    at::Tensor cls_token; // [1, 1, Dm]
    EncoderStack m_stack;
};
TORCH_MODULE(FlavaMultimodalEncoder);

} // namespace imago::flava
