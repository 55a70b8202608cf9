// flava_module.h - the whole FLAVA inference network as one LibTorch module tree.
//
// Its named_parameters() are exactly the checkpoint keys search and rerank need
// ("flava.image_model....", "flava.text_projection.weight", "itm_head...."), so loading is one
// loop; every other checkpoint tensor (codebook, MIM/MLM/MMM heads, position_ids) is skipped.
// Immutable after load(): the forward functions may be called from several threads at once.
// Internal (LibTorch) header: core/model and its tests only; the public API is flava_model.h.
#pragma once

#include "checkpoint.h"
#include "flava_heads.h"
#include "flava_image_encoder.h"
#include "flava_layout.h"
#include "flava_multimodal_encoder.h"
#include "flava_text_encoder.h"

namespace imago::flava {

// The LibTorch scalar type of a checkpoint dtype.
at::ScalarType torchScalarType(DType t);

class FlavaCoreImpl : public torch::nn::Module
{
public:
    explicit FlavaCoreImpl(const FlavaConfig &cfg);

    FlavaImageEncoder image_model{nullptr};
    FlavaTextEncoder text_model{nullptr};
    FlavaMultimodalEncoder multimodal_model{nullptr};
    Dense image_projection{nullptr}, text_projection{nullptr};
    Dense image_to_mm_projection{nullptr}, text_to_mm_projection{nullptr};
    at::Tensor logit_scale; // [] raw parameter
};
TORCH_MODULE(FlavaCore);

class FlavaNetImpl : public torch::nn::Module
{
public:
    explicit FlavaNetImpl(const FlavaConfig &cfg);

    // Checks the parameters of `checked` against the checkpoint (present, same shape, floating
    // point) and copies those of `parts` (converting F16/BF16/F64 to F32), then finalizes them
    // in fp32. Throws CheckpointError naming the tensor when one is missing or mis-shaped.
    void load(const Checkpoint &checkpoint, unsigned parts = AllParts, unsigned checked = AllParts);
    // Derives the fused/reshaped operands the forward passes use from the parameters; load()
    // calls it, and so must anyone who sets or moves parameters another way.
    // int8: the image and multimodal encoders' block linears run as dynamic int8; int8Text:
    // the text encoder's.
    void finalize(Precision precision = Precision::Float32,
                  Precision textPrecision = Precision::Float32, unsigned parts = AllParts);

    // The image or multimodal encoder's block maps in bf16 (after finalize(BFloat16)), as a
    // derived file keeps them (EncoderStack::bf16Maps()), and their shapes.
    std::vector<std::vector<int64_t>> blockMapShapes(Part part) const;
    std::vector<at::Tensor> bf16BlockMaps(Part part) const;
    // load() and finalize(BFloat16) of `part` (image or multimodal) with its block maps taken
    // from `maps` instead of converted: only the rest of the part is read from the checkpoint.
    void loadWithBf16BlockMaps(const Checkpoint &checkpoint, Part part,
                               std::span<const at::Tensor> maps);

    const FlavaConfig &config() const { return m_cfg; }

    // Retrieval embeddings: L2-normalised projection of the final-LN CLS state. [B, E]
    at::Tensor imageFeatures(const at::Tensor &imageLast) const; // before normalisation
    at::Tensor textFeatures(const at::Tensor &textLast) const;
    static at::Tensor normalize(const at::Tensor &features);
    // exp(clamp(logit_scale, 0, ln 100))
    double temperature() const;

    // ITM for P pairs: imagePreNorm [P, 1+N, Di], textPreNorm [P, L, Dt] (pre-final-LN states),
    // textKeep [P, L] or undefined. Returns multimodal encoder output; itm(...) the logits.
    EncoderOutput multimodal(const at::Tensor &imagePreNorm, const at::Tensor &textPreNorm,
                             const at::Tensor &textKeep, bool keepAllStates = false) const;
    at::Tensor itm(const at::Tensor &mmLast) const { return itm_head->forward(mmLast); }

    // Views of the fp32 parameters of `parts` under their checkpoint names (contiguous, valid
    // as long as this network and its parameters are), for readers that take a checkpoint's
    // views, e.g. TextQueryEncoder on a network with random weights.
    std::vector<TensorView> parameterViews(unsigned parts = AllParts) const;

    FlavaCore flava{nullptr};
    ItmHead itm_head{nullptr};

private:
    // Copies the checkpoint's tensors into the parameters of `parts`; without `blockMaps`,
    // leaves out those of the blocks' linear maps.
    void copyParameters(const Checkpoint &checkpoint, unsigned parts, bool blockMaps);
    // The image or multimodal encoder's blocks; throws std::invalid_argument for another part.
    const EncoderStack &blockStack(Part part) const;

    FlavaConfig m_cfg;
};
TORCH_MODULE(FlavaNet);

} // namespace imago::flava
