// flava_layout.h - every tensor the FLAVA port reads from a checkpoint, by name and shape, for a
// given config, and the checks a checkpoint's tensors must pass. Plain C++ (no LibTorch): a
// model is checked whole when it is loaded, even where LibTorch is not (yet) loaded.
//
// The names are facebook/flava-full's checkpoint keys ("flava.image_model....",
// "itm_head...."). FlavaNet (flava_module.h) registers exactly these parameters, in the same
// shapes (tst_flavamodel checks the two against each other).
#pragma once

#include "flava_config.h"
#include "tensor_view.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace imago::flava {

class Checkpoint;

// HF clamps the contrastive log-temperature to [0, ln 100] before exponentiating.
constexpr double kLogitScaleMax = 4.6052;

// The parts of the network a caller needs: a text search only the text encoder, indexing the
// image encoder, a rerank all three.
enum Part : unsigned
{
    TextPart = 1,       // text_model, text_projection, logit_scale
    ImagePart = 2,      // image_model, image_projection
    MultimodalPart = 4, // multimodal_model, *_to_mm_projection, itm_head
    AllParts = 7,
};
Part partOf(const std::string &parameterName);

struct ExpectedTensor
{
    std::string name;
    std::vector<std::int64_t> shape;
};

// Every parameter of the network for `cfg` ("flava.logit_scale" has shape []).
std::vector<ExpectedTensor> flavaTensors(const FlavaConfig &cfg);

// The tensor of that checkpoint name, or null.
using TensorLookup = std::function<const TensorView *(const std::string &name)>;

// A lookup over `views` (which must outlive it), by name.
TensorLookup lookupIn(const std::vector<TensorView> &views);

// The view of `name` from `find`, checked: present, of `shape`, floating point. Throws
// CheckpointError naming `file` and the tensor otherwise.
const TensorView &checkedTensor(const TensorLookup &find, const std::string &name,
                                const std::vector<std::int64_t> &shape,
                                const std::filesystem::path &file);

// Checks every tensor of `parts` (checkedTensor's rules).
void checkCheckpoint(const Checkpoint &checkpoint, const FlavaConfig &cfg,
                     unsigned parts = AllParts);

// "[2, 3]"
std::string shapeText(const std::vector<std::int64_t> &shape);

} // namespace imago::flava
