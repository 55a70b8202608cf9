// flava_backend.h - the boundary between FlavaModel (flava_model.h, no LibTorch) and the plugin
// that runs FLAVA in LibTorch (imago_flava_torch, torch_backend.cpp).
//
// Why a plugin: loading LibTorch costs ~0.6 s and 160 MB before the first line of main() (its
// static initialisers register thousands of operators). A text search needs none of it (int8
// queries run in TextQueryEncoder), nor do most verbs (status, list, roots ...). So nothing of
// ours that an executable links includes LibTorch: FlavaModel dlopen()s the plugin the first
// time an image, a rerank, an fp32/bf16 query or a GPU needs it (plugin_loader.h finds it).
//
// The contract of this header, kept by both sides (they are built together, from the same
// tree, with the same compiler and standard library):
//  - no LibTorch type appears here;
//  - C++ types and exceptions cross the boundary (std::vector, std::string, CheckpointError,
//    std::invalid_argument): both sides use the same libstdc++;
//  - the plugin is never unloaded, so objects it made (backends, ImageStates) may live as long
//    as the process;
//  - changing anything here means bumping the version in kFlavaBackendSymbol.
// Threading: as FlavaModel's (every member const, callable from several threads at once).
#pragma once

#include "checkpoint.h"
#include "flava_model.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace imago::flava {

class FlavaBackend
{
public:
    virtual ~FlavaBackend() = default;

    virtual std::string deviceName() const = 0;
    virtual bool imageEncoderLoaded() const = 0;
    virtual bool multimodalEncoderLoaded() const = 0;
    // Loads the image encoder and, with `multimodal`, the multimodal encoder and ITM head now
    // rather than on first use.
    virtual void prepare(bool multimodal) const = 0;
    virtual std::vector<float> embedImages(std::span<const float> pixels, int count) const = 0;
    virtual std::vector<ImageEncoding> encodeImages(std::span<const float> pixels,
                                                    int count) const = 0;
    // LibTorch's text encoder (fp32, bf16, or anything on a GPU).
    virtual std::vector<float>
    embedTexts(const std::vector<std::vector<std::int64_t>> &texts) const = 0;
    // ITM. `textStates`: the query's pre-final-LayerNorm states [ids.size() x D] when the
    // caller computed them (TextQueryEncoder), else empty and LibTorch's text encoder runs.
    virtual std::vector<ItmScore> match(std::span<const std::shared_ptr<const ImageStates>> images,
                                        std::span<const std::int64_t> textIds,
                                        std::span<const float> textStates) const = 0;
    // The text part's parameters as fp32 views (random networks: TextQueryEncoder reads them),
    // valid as long as the backend.
    virtual std::vector<TensorView> textViews() const = 0;
};

struct BackendRequest
{
    FlavaConfig config;
    std::shared_ptr<const Checkpoint> checkpoint; // null: random weights from `seed`
    std::uint64_t seed = 0;
    bool cuda = false;                            // everything on the first GPU, in half precision
    int threads = 1;                              // LibTorch's intra-op threads (process-wide)
    Precision precision = Precision::Float32;     // image and multimodal encoders
    Precision textPrecision = Precision::Float32; // LibTorch's text encoder
    bool textEncoder = true; // false: queries run elsewhere (TextQueryEncoder); not loaded
    // Where bf16 image and multimodal block maps are kept once converted (derived_file.h;
    // "<identity>-image-bf16.bin", "-multimodal-bf16.bin"), and the model identity they are
    // made from. Empty: converted at every load.
    std::filesystem::path derivedDir;
    std::string identity;
    void (*warn)(const std::string &) = nullptr; // the host's warn() (runtime.h)
};

// The plugin's exported functions. open: a new backend (the caller deletes it); throws
// CheckpointError or std::runtime_error. cudaAvailable: whether this LibTorch sees a GPU.
using FlavaBackendOpen = FlavaBackend *(*)(const BackendRequest &request);
using FlavaCudaAvailable = bool (*)();
inline constexpr char kFlavaBackendOpenSymbol[] = "imago_flava_torch_open_v2";
inline constexpr char kFlavaCudaAvailableSymbol[] = "imago_flava_torch_cuda_v2";

} // namespace imago::flava
