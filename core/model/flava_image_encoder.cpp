#include "flava_image_encoder.h"

#include <torch/nn/modules/conv.h>

#include <stdexcept>
#include <vector>

namespace imago::flava {

namespace tnn = torch::nn;

FlavaImageEncoderImpl::FlavaImageEncoderImpl(const ImageConfig &cfg) : m_cfg(cfg)
{
    const int d = cfg.hiddenSize, p = cfg.patchSize;
    auto embeddings = register_module("embeddings", std::make_shared<Scope>());
    cls_token = embeddings->register_parameter("cls_token", at::zeros({1, 1, d}));
    position_embeddings = embeddings->register_parameter("position_embeddings",
                                                         at::zeros({1, 1 + cfg.numPatches(), d}));
    auto patch = embeddings->register_module("patch_embeddings", std::make_shared<Scope>());
    patch->register_module("projection",
                           tnn::Conv2d(tnn::Conv2dOptions(cfg.numChannels, d, p).stride(p)));
    m_stack = EncoderStack(*this, cfg);
}

EncoderOutput FlavaImageEncoderImpl::forward(const at::Tensor &pixels, bool keepAllStates) const
{
    const int64_t s = m_cfg.imageSize, p = m_cfg.patchSize, c = m_cfg.numChannels;
    if (pixels.dim() != 4 || pixels.size(1) != c || pixels.size(2) != s || pixels.size(3) != s)
        throw std::invalid_argument("image encoder expects [B, " + std::to_string(c) + ", " +
                                    std::to_string(s) + ", " + std::to_string(s) + "] pixels");
    const int64_t b = pixels.size(0), g = s / p;
    // The patch Conv2d (kernel = stride = p) is one linear map per non-overlapping patch:
    // gather patches row-major and do a single GEMM.
    const auto patches = pixels.reshape({b, c, g, p, g, p})
                             .permute({0, 2, 4, 1, 3, 5})
                             .reshape({b, g * g, c * p * p}); // [B, N, C*p*p]
    // One GEMM per image: BLAS's blocking for a taller matrix may round a row differently
    // (~1e-7), which bf16's rounding of the next layers' inputs amplifies to ~1e-3 in the
    // embedding; an image's vector must not depend on which images shared its batch.
    std::vector<at::Tensor> perImage;
    perImage.reserve(std::size_t(b));
    for (int64_t i = 0; i < b; ++i)
        perImage.push_back(at::addmm(m_patchBias, patches[i], m_patchWeight));      // [N, D]
    auto x = at::stack(perImage);                                                   // [B, N, D]
    x = at::cat({cls_token.expand({b, 1, x.size(2)}), x}, 1) + position_embeddings; // [B, 1+N, D]
    return m_stack.run(std::move(x), at::Tensor(), keepAllStates);
}

void FlavaImageEncoderImpl::finalize(Precision precision)
{
    finalizeEmbeddings();
    m_stack.finalize(precision);
}

void FlavaImageEncoderImpl::setBf16Maps(std::span<const at::Tensor> maps)
{
    finalizeEmbeddings();
    m_stack.setBf16Maps(maps);
}

void FlavaImageEncoderImpl::finalizeEmbeddings()
{
    const auto projection = named_parameters(true);
    const auto &w = projection["embeddings.patch_embeddings.projection.weight"]; // [D, C, p, p]
    m_patchWeight = w.reshape({w.size(0), -1}).t().contiguous();                 // [C*p*p, D]
    m_patchBias = projection["embeddings.patch_embeddings.projection.bias"].contiguous();
}

} // namespace imago::flava
