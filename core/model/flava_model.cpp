// flava_model.cpp - the FlavaModel facade, without LibTorch: it reads and checks the model
// folder, runs int8 queries in TextQueryEncoder, and leaves everything else to the LibTorch
// plugin (flava_backend.h), loaded the first time something needs it.
#include "flava_model.h"

#include "checkpoint.h"
#include "checkpoint_error.h"
#include "flava_backend.h"
#include "flava_layout.h"
#include "mapped_file.h"
#include "model_identity.h"
#include "plugin_loader.h"
#include "runtime.h"
#include "text_query_encoder.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <mutex>
#include <sstream>

namespace imago::flava {

namespace {

// Both come from CMake (core/model/CMakeLists.txt).
constexpr char kPluginFileName[] = IMAGO_FLAVA_TORCH_PLUGIN_NAME;
constexpr char kPluginBuildDir[] = IMAGO_PLUGIN_BUILD_DIR;

struct Plugin
{
    FlavaBackendOpen open = nullptr;
    FlavaCudaAvailable cudaAvailable = nullptr;
};

// Loads the plugin once (a failure is not remembered: the next call tries again).
const Plugin &plugin()
{
    static std::mutex mutex;
    static Plugin loaded;
    const std::lock_guard lock(mutex);
    if (!loaded.open) {
        // LOCAL: LibTorch's symbols stay out of the global scope. No DEEPBIND: LibTorch must
        // see the process's one libstdc++, malloc and libgomp.
        void *handle = nullptr;
        try {
            handle = openPlugin(kPluginFileName, kPluginBuildDir, RTLD_NOW | RTLD_LOCAL);
        } catch (const std::runtime_error &e) {
            throw std::runtime_error(
                std::string("the LibTorch part of the model is unavailable: ") + e.what());
        }
        Plugin p;
        p.open = reinterpret_cast<FlavaBackendOpen>(
            pluginSymbol(handle, kPluginFileName, kFlavaBackendOpenSymbol));
        p.cudaAvailable = reinterpret_cast<FlavaCudaAvailable>(
            pluginSymbol(handle, kPluginFileName, kFlavaCudaAvailableSymbol));
        loaded = p;
    }
    return loaded;
}

// Whether this machine may have a GPU LibTorch can use: without NVIDIA's device node there is
// none, and the plugin need not be loaded to find that out.
bool gpuPossible()
{
    std::error_code ec;
    return std::filesystem::exists("/dev/nvidiactl", ec) ||
           std::filesystem::exists("/proc/driver/nvidia/version", ec);
}

// exp(clamp(logit_scale, 0, ln 100)) in fp32, as the reference computes it.
float temperatureOf(const TensorView &logitScale)
{
    const float raw = readAll(logitScale).at(0);
    return std::exp(std::clamp(raw, 0.0f, float(kLogitScaleMax)));
}

} // namespace

struct FlavaModel::Private
{
    FlavaConfig cfg;
    std::filesystem::path dir;
    std::string identity;
    Precision precision = Precision::Float32;
    Precision textPrecision = Precision::Float32;
    float temperature = 1.0f;
    std::shared_ptr<const Checkpoint> checkpoint; // null for random weights
    // int8 queries on the CPU, without LibTorch; reads the word embeddings from `checkpoint`
    // (or, for random weights, from the backend's parameters).
    std::unique_ptr<const TextQueryEncoder> query;

    // The LibTorch part, made on first use from `request`.
    BackendRequest request;
    std::mutex backendMutex;
    std::unique_ptr<FlavaBackend> backend;

    // What load() and createRandom() both set from the options.
    void setOptions(const FlavaConfig &config, const ModelOptions &options)
    {
        cfg = request.config = config;
        precision = request.precision = options.precision;
        textPrecision = request.textPrecision = options.textPrecision;
        request.threads = options.threads > 0 ? options.threads : recommendedThreads();
        request.warn = &warn;
    }

    FlavaBackend &torch()
    {
        const std::lock_guard lock(backendMutex);
        if (!backend)
            backend.reset(plugin().open(request));
        return *backend;
    }
    const FlavaBackend *torchIfLoaded()
    {
        const std::lock_guard lock(backendMutex);
        return backend.get();
    }
};

FlavaModel::FlavaModel(std::unique_ptr<Private> p) : d(std::move(p)) {}
FlavaModel::~FlavaModel() = default;

std::unique_ptr<FlavaModel> FlavaModel::load(const std::filesystem::path &modelDir,
                                             const ModelOptions &options)
{
    if (!std::filesystem::is_directory(modelDir))
        throw CheckpointError(modelDir, "model folder does not exist");
    auto p = std::make_unique<Private>();
    p->dir = modelDir;
    const auto configPath = modelDir / "config.json";
    const auto configText =
        std::filesystem::is_regular_file(configPath) ? readWholeFile(configPath) : std::nullopt;
    if (!configText)
        throw CheckpointError(configPath, "missing: a model folder needs config.json");
    p->setOptions(FlavaConfig::fromJson(*configText, configPath), options);

    auto checkpoint = std::make_shared<const Checkpoint>(Checkpoint::weightsFile(modelDir));
    checkCheckpoint(*checkpoint, p->cfg); // every tensor, whatever loads later
    p->identity =
        modelIdentity(*configText, configPath, *checkpoint, identityCacheDir(options.cacheDir));
    p->temperature = temperatureOf(*checkpoint->find("flava.logit_scale"));

    auto &r = p->request;
    r.checkpoint = checkpoint;
    if (!options.cacheDir.empty())
        r.derivedDir = options.cacheDir / "model-derived";
    r.identity = p->identity;
    r.cuda = options.device != Device::Cpu && (options.device == Device::Cuda || gpuPossible()) &&
             plugin().cudaAvailable();
    if (options.device == Device::Cuda && !r.cuda)
        throw CheckpointError(modelDir, "CUDA was requested but this LibTorch has no usable GPU");
    if (r.cuda) { // everything on the GPU, at once
        p->torch();
        return std::unique_ptr<FlavaModel>(new FlavaModel(std::move(p)));
    }
    // On the CPU, int8 queries run here; the LibTorch part loads when an image, a rerank or an
    // fp32/bf16 query first needs it, and then only the encoder that is needed.
    if (options.textPrecision == Precision::Int8) {
        r.textEncoder = false;
        const std::filesystem::path derived = r.derivedDir.empty()
                                                  ? std::filesystem::path()
                                                  : r.derivedDir / (p->identity + "-text-int8.bin");
        p->query = std::make_unique<const TextQueryEncoder>(
            p->cfg, [&](const std::string &name) { return checkpoint->find(name); },
            checkpoint->file(), r.threads, derived, p->identity);
        checkpoint->dropResident();
    }
    p->checkpoint = std::move(checkpoint);
    return std::unique_ptr<FlavaModel>(new FlavaModel(std::move(p)));
}

std::unique_ptr<FlavaModel>
FlavaModel::createRandom(const FlavaConfig &config, const ModelOptions &options, std::uint64_t seed)
{
    auto p = std::make_unique<Private>();
    p->setOptions(config, options);
    p->identity = "random-" + std::to_string(seed);
    auto &r = p->request;
    r.seed = seed;
    const bool query = options.textPrecision == Precision::Int8;
    r.textEncoder = !query;
    const FlavaBackend &backend = p->torch();
    const auto views = backend.textViews(); // views of the backend's parameters
    p->temperature = temperatureOf(*lookupIn(views)("flava.logit_scale"));
    if (query)
        p->query = std::make_unique<const TextQueryEncoder>(config, lookupIn(views), p->identity,
                                                            r.threads);
    return std::unique_ptr<FlavaModel>(new FlavaModel(std::move(p)));
}

const FlavaConfig &FlavaModel::config() const
{
    return d->cfg;
}
const std::filesystem::path &FlavaModel::directory() const
{
    return d->dir;
}
const std::string &FlavaModel::identity() const
{
    return d->identity;
}
std::string FlavaModel::deviceName() const
{
    return d->request.cuda ? d->torch().deviceName() : "cpu";
}
Precision FlavaModel::precision() const
{
    return d->precision;
}
Precision FlavaModel::textPrecision() const
{
    return d->textPrecision;
}
bool FlavaModel::imageEncoderLoaded() const
{
    const FlavaBackend *b = d->torchIfLoaded();
    return b && b->imageEncoderLoaded();
}
bool FlavaModel::multimodalEncoderLoaded() const
{
    const FlavaBackend *b = d->torchIfLoaded();
    return b && b->multimodalEncoderLoaded();
}
void FlavaModel::prepareRerank() const
{
    d->torch().prepare(/*multimodal=*/true);
}
bool FlavaModel::libTorchLoaded() const
{
    return d->torchIfLoaded() != nullptr;
}
int FlavaModel::imageSize() const
{
    return d->cfg.image.imageSize;
}
int FlavaModel::embeddingDim() const
{
    return d->cfg.projectionDim;
}
float FlavaModel::temperature() const
{
    return d->temperature;
}

std::vector<float> FlavaModel::embedImages(std::span<const float> pixels, int count) const
{
    if (count == 0)
        return {};
    return d->torch().embedImages(pixels, count);
}

std::vector<ImageEncoding> FlavaModel::encodeImages(std::span<const float> pixels, int count) const
{
    if (count == 0)
        return {};
    return d->torch().encodeImages(pixels, count);
}

std::vector<float> FlavaModel::embedTexts(const std::vector<std::vector<std::int64_t>> &texts) const
{
    if (texts.empty())
        return {};
    if (!d->query)
        return d->torch().embedTexts(texts);
    std::vector<float> out;
    for (const auto &t : texts) {
        const auto v = d->query->embed(t);
        out.insert(out.end(), v.begin(), v.end());
    }
    return out;
}

std::vector<ItmScore> FlavaModel::match(std::span<const std::shared_ptr<const ImageStates>> images,
                                        std::span<const std::int64_t> textIds) const
{
    if (images.empty())
        return {};
    if (textIds.empty())
        throw std::invalid_argument("an empty token sequence cannot be matched");
    std::vector<float> states;
    if (d->query)
        d->query->embed(textIds, &states);
    return d->torch().match(images, textIds, states);
}

} // namespace imago::flava
