#include "flava_heads.h"

namespace imago::flava {

namespace tnn = torch::nn;

ItmHeadImpl::ItmHeadImpl(int hiddenSize)
{
    auto pooler = register_module("pooler", std::make_shared<Scope>());
    m_pooler = pooler->register_module("dense", Dense(hiddenSize, hiddenSize));
    seq_relationship = register_module("seq_relationship", Dense(hiddenSize, 2));
}

at::Tensor ItmHeadImpl::forward(const at::Tensor &mmLast) const
{
    const auto pooled = at::tanh(call(m_pooler, mmLast.select(1, 0))); // [P, H]
    return call(seq_relationship, pooled);                            // [P, 2]
}

} // namespace imago::flava
