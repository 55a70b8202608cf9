// flava_heads.h - the image-text matching head ("itm_head").
// Internal (LibTorch) header: core/model and its tests only.
#pragma once

#include "flava_layers.h"

namespace imago::flava {

class ItmHeadImpl : public torch::nn::Module
{
public:
    explicit ItmHeadImpl(int hiddenSize);
    // multimodal last_hidden_state [P, S, H] -> logits [P, 2]; column 1 = "match"
    at::Tensor forward(const at::Tensor &mmLast) const;

private:
    Dense m_pooler{nullptr}, seq_relationship{nullptr};
};
TORCH_MODULE(ItmHead);

} // namespace imago::flava
