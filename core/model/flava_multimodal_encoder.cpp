#include "flava_multimodal_encoder.h"

namespace imago::flava {

FlavaMultimodalEncoderImpl::FlavaMultimodalEncoderImpl(const MultimodalConfig &cfg) : m_cfg(cfg)
{
    if (cfg.useClsToken)
        cls_token = register_parameter("cls_token", at::zeros({1, 1, cfg.hiddenSize}));
    m_stack = EncoderStack(*this, cfg);
}

EncoderOutput FlavaMultimodalEncoderImpl::forward(const at::Tensor &x, const at::Tensor &keepMask,
                                                  bool keepAllStates) const
{
    const int64_t b = x.size(0);
    at::Tensor input = x;
    at::Tensor keep = keepMask;
    if (m_cfg.useClsToken) {
        input = at::cat({cls_token.expand({b, 1, x.size(2)}), x}, 1); // [B, 1 + S, Dm]
        if (keep.defined())
            keep = at::cat({at::ones({b, 1}, keep.options()), keep}, 1);
    }
    const at::Tensor bias = keep.defined() ? additiveMask(keep) : at::Tensor();
    return m_stack.run(std::move(input), bias, keepAllStates);
}

} // namespace imago::flava
