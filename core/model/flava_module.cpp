#include "flava_module.h"

#include "checkpoint_error.h"

#include <torch/csrc/autograd/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace imago::flava {

namespace tnn = torch::nn;

FlavaCoreImpl::FlavaCoreImpl(const FlavaConfig &cfg)
{
    image_model = register_module("image_model", FlavaImageEncoder(cfg.image));
    text_model = register_module("text_model", FlavaTextEncoder(cfg.text));
    multimodal_model = register_module("multimodal_model", FlavaMultimodalEncoder(cfg.multimodal));
    image_projection =
        register_module("image_projection", Dense(cfg.image.hiddenSize, cfg.projectionDim));
    text_projection =
        register_module("text_projection", Dense(cfg.text.hiddenSize, cfg.projectionDim));
    image_to_mm_projection = register_module(
        "image_to_mm_projection", Dense(cfg.image.hiddenSize, cfg.multimodal.hiddenSize));
    text_to_mm_projection = register_module("text_to_mm_projection",
                                            Dense(cfg.text.hiddenSize, cfg.multimodal.hiddenSize));
    logit_scale = register_parameter("logit_scale", at::zeros({}));
}

FlavaNetImpl::FlavaNetImpl(const FlavaConfig &cfg) : m_cfg(cfg)
{
    flava = register_module("flava", FlavaCore(cfg));
    itm_head = register_module("itm_head", ItmHead(cfg.hiddenSize));
}

at::ScalarType torchScalarType(DType t)
{
    switch (t) {
    case DType::F32:
        return at::kFloat;
    case DType::F16:
        return at::kHalf;
    case DType::BF16:
        return at::kBFloat16;
    case DType::F64:
        return at::kDouble;
    case DType::I64:
        return at::kLong;
    case DType::I32:
        return at::kInt;
    case DType::I16:
        return at::kShort;
    case DType::I8:
        return at::kChar;
    case DType::U8:
        return at::kByte;
    case DType::Bool:
        return at::kBool;
    }
    return at::kFloat;
}

namespace {
// A parameter of a block's four linear maps ("....encoder.layer.3.intermediate.dense.weight"),
// which a derived file may hold converted.
bool isBlockMap(const std::string &name)
{
    return name.find(".encoder.layer.") != std::string::npos &&
           (name.find(".dense.") != std::string::npos ||
            name.find(".attention.attention.") != std::string::npos);
}
} // namespace

void FlavaNetImpl::copyParameters(const Checkpoint &checkpoint, unsigned parts, bool blockMaps)
{
    torch::NoGradGuard noGrad;
    for (auto &item : named_parameters(/*recurse=*/true)) {
        const std::string &name = item.key();
        if (!(partOf(name) & parts) || (!blockMaps && isBlockMap(name)))
            continue;
        const TensorView *view = checkpoint.find(name); // checked by the caller
        // The view's bytes are read-only and possibly unaligned; from_blob + copy_ reads them
        // without writing and converts the dtype on the way.
        auto *base = const_cast<std::uint8_t *>(view->data) +
                     view->storageOffset * static_cast<std::int64_t>(dtypeSize(view->dtype));
        const auto source = at::from_blob(base, view->shape, view->strides,
                                          at::TensorOptions().dtype(torchScalarType(view->dtype)));
        item.value().copy_(source);
    }
}

void FlavaNetImpl::load(const Checkpoint &checkpoint, unsigned parts, unsigned checked)
{
    checkCheckpoint(checkpoint, m_cfg, parts | checked);
    copyParameters(checkpoint, parts, /*blockMaps=*/true);
    finalize(Precision::Float32, Precision::Float32, parts);
    eval();
}

const EncoderStack &FlavaNetImpl::blockStack(Part part) const
{
    if (part != ImagePart && part != MultimodalPart)
        throw std::invalid_argument("only the image and multimodal encoders keep bf16 maps");
    return part == ImagePart ? flava->image_model->stack() : flava->multimodal_model->stack();
}

std::vector<std::vector<int64_t>> FlavaNetImpl::blockMapShapes(Part part) const
{
    return blockStack(part).mapShapes();
}

std::vector<at::Tensor> FlavaNetImpl::bf16BlockMaps(Part part) const
{
    return blockStack(part).bf16Maps();
}

void FlavaNetImpl::loadWithBf16BlockMaps(const Checkpoint &checkpoint, Part part,
                                         std::span<const at::Tensor> maps)
{
    blockStack(part); // an image or multimodal part, else it throws
    copyParameters(checkpoint, part, /*blockMaps=*/false);
    if (part == ImagePart)
        flava->image_model->setBf16Maps(maps);
    else
        flava->multimodal_model->setBf16Maps(maps);
    eval();
}

void FlavaNetImpl::finalize(Precision precision, Precision textPrecision, unsigned parts)
{
    if (parts & ImagePart)
        flava->image_model->finalize(precision);
    if (parts & TextPart)
        flava->text_model->finalize(textPrecision);
    if (parts & MultimodalPart)
        flava->multimodal_model->finalize(precision);
}

std::vector<TensorView> FlavaNetImpl::parameterViews(unsigned parts) const
{
    std::vector<TensorView> views;
    for (auto &item : named_parameters(/*recurse=*/true)) {
        const at::Tensor &t = item.value();
        if (!(partOf(item.key()) & parts) || !t.defined() || t.scalar_type() != at::kFloat ||
            !t.is_contiguous() || !t.device().is_cpu())
            continue;
        TensorView v;
        v.name = item.key();
        v.dtype = DType::F32;
        v.shape = t.sizes().vec();
        v.strides = t.strides().vec();
        v.data = static_cast<const std::uint8_t *>(t.data_ptr());
        v.storageBytes = std::size_t(t.numel()) * sizeof(float);
        views.push_back(std::move(v));
    }
    return views;
}

at::Tensor FlavaNetImpl::imageFeatures(const at::Tensor &imageLast) const
{
    return call(flava->image_projection, imageLast.select(1, 0));
}

at::Tensor FlavaNetImpl::textFeatures(const at::Tensor &textLast) const
{
    return call(flava->text_projection, textLast.select(1, 0));
}

at::Tensor FlavaNetImpl::normalize(const at::Tensor &features)
{
    // F.normalize: x / max(||x||, 1e-12)
    return features / features.norm(2, -1, /*keepdim=*/true).clamp_min(1e-12);
}

double FlavaNetImpl::temperature() const
{
    // In float32 tensor arithmetic, exactly as the reference computes it.
    return flava->logit_scale.clamp(0.0, kLogitScaleMax).exp().item<float>();
}

EncoderOutput FlavaNetImpl::multimodal(const at::Tensor &imagePreNorm,
                                       const at::Tensor &textPreNorm, const at::Tensor &textKeep,
                                       bool keepAllStates) const
{
    const auto xi = call(flava->image_to_mm_projection, imagePreNorm); // [P, 1+N, Dm]
    const auto xt = call(flava->text_to_mm_projection, textPreNorm);   // [P, L, Dm]
    at::Tensor keep;
    if (textKeep.defined())
        keep = at::cat({at::ones({xi.size(0), xi.size(1)}, textKeep.options()), textKeep}, 1);
    return flava->multimodal_model->forward(at::cat({xi, xt}, 1), keep, keepAllStates);
}

} // namespace imago::flava
