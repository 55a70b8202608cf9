#include "flava_model.h"

#include "checkpoint.h"
#include "checkpoint_error.h"
#include "flava_module.h"
#include "model_identity.h"
#include "runtime.h"
#include "text_query_encoder.h"

#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

namespace imago::flava {

class ImageStates
{
public:
    at::Tensor preNorm; // [1 + N, Di], on the model's device and dtype
};

struct FlavaModel::Private
{
    FlavaConfig cfg;
    std::filesystem::path dir;
    std::string identity;
    FlavaNet net{nullptr};
    at::Device device = at::kCPU;
    at::ScalarType dtype = at::kFloat;
    Precision precision = Precision::Float32;
    Precision textPrecision = Precision::Float32;
    // Parts not yet loaded come from here on first use (CPU only; on CUDA all load at once).
    std::shared_ptr<const Checkpoint> checkpoint;
    // int8 queries on the CPU: the text encoder without LibTorch (it reads the word
    // embeddings from `checkpoint`, or from `net` for random weights).
    std::unique_ptr<const TextQueryEncoder> query;
    std::vector<TensorView> randomViews; // createRandom(): the views `query` was built from
    std::once_flag imageOnce, multimodalOnce;
    std::atomic<bool> imageLoaded{false}, multimodalLoaded{false};

    // Loads and finalizes `part` from the checkpoint once; any thread may call it.
    void need(Part part)
    {
        if (!checkpoint)
            return;
        std::call_once(part == ImagePart ? imageOnce : multimodalOnce, [&] {
            c10::InferenceMode guard(false);
            net->load(*checkpoint, part, part); // all were checked by load()
            checkpoint->dropResident();
            if (precision != Precision::Float32) {
                const ReleaseSources release;
                net->finalize(precision, textPrecision, part);
            }
            (part == ImagePart ? imageLoaded : multimodalLoaded) = true;
        });
    }

    at::Tensor pixelsToDevice(std::span<const float> pixels, int count) const
    {
        const int64_t c = cfg.image.numChannels, s = cfg.image.imageSize;
        if (count < 0 || pixels.size() != static_cast<std::size_t>(count * c * s * s))
            throw std::invalid_argument("expected " + std::to_string(count) + " x " +
                                        std::to_string(c) + " x " + std::to_string(s) + " x " +
                                        std::to_string(s) + " pixel floats, got " +
                                        std::to_string(pixels.size()));
        auto t = at::from_blob(const_cast<float *>(pixels.data()), {count, c, s, s}, at::kFloat);
        return t.to(device, dtype, /*non_blocking=*/false,
                    /*copy=*/device.is_cpu() && dtype == at::kFloat);
    }

    static std::vector<float> toVector(const at::Tensor &t)
    {
        const auto cpu = t.to(at::kCPU, at::kFloat).contiguous();
        return {cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel()};
    }
};

namespace {

// Copies the one text-part parameter that TextQueryEncoder does not hold.
void loadLogitScale(FlavaNetImpl &net, const Checkpoint &checkpoint)
{
    const TensorView *v = checkpoint.find("flava.logit_scale");
    if (!v) // load() has checked it: unreachable for a checked checkpoint
        throw CheckpointError(checkpoint.file(), "missing tensor 'flava.logit_scale'");
    auto *base = const_cast<std::uint8_t *>(v->data) +
                 v->storageOffset * static_cast<std::int64_t>(dtypeSize(v->dtype));
    at::NoGradGuard noGrad;
    net.flava->logit_scale.copy_(
        at::from_blob(base, v->shape, v->strides, torchScalarType(v->dtype)));
}

std::string readFile(const std::filesystem::path &p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

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
    if (!std::filesystem::is_regular_file(configPath))
        throw CheckpointError(configPath, "missing: a model folder needs config.json");
    const std::string configText = readFile(configPath);
    p->cfg = FlavaConfig::fromJson(configText, configPath);

    auto checkpoint = std::make_shared<const Checkpoint>(Checkpoint::weightsFile(modelDir));
    p->identity = modelIdentity(configText, configPath, *checkpoint, options.identityCacheDir);

    warnIfSlowBlas();
    const bool cuda = options.device != Device::Cpu && torch::cuda::is_available();
    if (options.device == Device::Cuda && !cuda)
        throw CheckpointError(modelDir, "CUDA was requested but this LibTorch has no usable GPU");
    if (!cuda)
        setModelThreads(options.threads);

    {
        const SkipInit skip; // every parameter is about to be overwritten (or never used)
        p->net = FlavaNet(p->cfg);
    }
    if (cuda) {
        p->net->load(*checkpoint);
        p->device = at::Device(at::kCUDA, 0);
        p->dtype = at::kHalf; // half precision on the GPU: ~2x throughput, 1e-2 relative error
        p->net->to(p->device, p->dtype);
        p->net->finalize();
        p->imageLoaded = p->multimodalLoaded = true;
        return std::unique_ptr<FlavaModel>(new FlavaModel(std::move(p)));
    }
    // On the CPU only the text encoder loads now (every search needs it); the image and
    // multimodal encoders load on first use (indexing, rerank), so a text search starts in a
    // fraction of the time and memory. Every tensor is still checked here.
    p->precision = options.precision;
    p->textPrecision = options.textPrecision;
    if (options.textPrecision == Precision::Int8) {
        // Queries run in TextQueryEncoder; LibTorch's text encoder is never loaded. Every
        // tensor is still checked here, and logit_scale is the one parameter read.
        p->net->load(*checkpoint, 0, AllParts);
        p->query = std::make_unique<const TextQueryEncoder>(
            p->cfg, [&](const std::string &name) { return checkpoint->find(name); },
            checkpoint->file(), modelThreads());
        loadLogitScale(*p->net, *checkpoint);
    } else {
        p->net->load(*checkpoint, TextPart);
        if (options.textPrecision != Precision::Float32) {
            const ReleaseSources release;
            p->net->finalize(options.precision, options.textPrecision, TextPart);
        }
    }
    checkpoint->dropResident();
    p->checkpoint = std::move(checkpoint);
    return std::unique_ptr<FlavaModel>(new FlavaModel(std::move(p)));
}

std::unique_ptr<FlavaModel>
FlavaModel::createRandom(const FlavaConfig &config, const ModelOptions &options, std::uint64_t seed)
{
    auto p = std::make_unique<Private>();
    p->cfg = config;
    p->identity = "random-" + std::to_string(seed);
    warnIfSlowBlas();
    setModelThreads(options.threads);
    at::manual_seed(seed);
    p->net = FlavaNet(config);
    p->net->eval();
    const bool query = options.textPrecision == Precision::Int8;
    p->net->finalize(options.precision, query ? Precision::Float32 : options.textPrecision);
    p->precision = options.precision;
    p->textPrecision = options.textPrecision;
    if (query) {
        p->randomViews = p->net->parameterViews(TextPart);
        const auto &views = p->randomViews;
        p->query = std::make_unique<const TextQueryEncoder>(
            config,
            [&views](const std::string &name) -> const TensorView * {
                const auto it = std::find_if(views.begin(), views.end(),
                                             [&](const TensorView &v) { return v.name == name; });
                return it == views.end() ? nullptr : &*it;
            },
            p->identity, modelThreads());
    }
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
    return d->device.str();
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
    return !d->checkpoint || d->imageLoaded;
}
bool FlavaModel::multimodalEncoderLoaded() const
{
    return !d->checkpoint || d->multimodalLoaded;
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
    c10::InferenceMode guard;
    return static_cast<float>(d->net->temperature());
}

std::vector<float> FlavaModel::embedImages(std::span<const float> pixels, int count) const
{
    c10::InferenceMode guard;
    if (count == 0)
        return {};
    d->need(ImagePart);
    const auto out = d->net->flava->image_model->forward(d->pixelsToDevice(pixels, count));
    return Private::toVector(
        FlavaNetImpl::normalize(d->net->imageFeatures(out.last).to(at::kFloat)));
}

std::vector<ImageEncoding> FlavaModel::encodeImages(std::span<const float> pixels, int count) const
{
    c10::InferenceMode guard;
    if (count == 0)
        return {};
    d->need(ImagePart);
    const auto out = d->net->flava->image_model->forward(d->pixelsToDevice(pixels, count));
    const auto emb =
        Private::toVector(FlavaNetImpl::normalize(d->net->imageFeatures(out.last).to(at::kFloat)));
    const std::size_t e = d->cfg.projectionDim;
    std::vector<ImageEncoding> result(count);
    for (int i = 0; i < count; ++i) {
        result[i].embedding.assign(emb.begin() + i * e, emb.begin() + (i + 1) * e);
        auto states = std::make_shared<ImageStates>();
        states->preNorm = out.lastPreNorm[i].clone(); // own storage: not a view of the batch
        result[i].states = std::move(states);
    }
    return result;
}

std::vector<float> FlavaModel::embedTexts(const std::vector<std::vector<std::int64_t>> &texts) const
{
    c10::InferenceMode guard;
    if (texts.empty())
        return {};
    if (d->query) {
        std::vector<float> out;
        for (const auto &t : texts) {
            const auto v = d->query->embed(t);
            out.insert(out.end(), v.begin(), v.end());
        }
        return out;
    }
    std::size_t longest = 0;
    for (const auto &t : texts) {
        if (t.empty())
            throw std::invalid_argument("an empty token sequence cannot be embedded");
        longest = std::max(longest, t.size());
    }
    const auto n = static_cast<int64_t>(texts.size()), len = static_cast<int64_t>(longest);
    auto ids = at::full({n, len}, d->cfg.text.padTokenId, at::kLong);
    auto keep = at::zeros({n, len}, at::kLong);
    for (int64_t i = 0; i < n; ++i) {
        const auto &t = texts[i];
        std::memcpy(ids[i].data_ptr<int64_t>(), t.data(), t.size() * sizeof(int64_t));
        keep[i].narrow(0, 0, static_cast<int64_t>(t.size())).fill_(1);
    }
    const auto out = d->net->flava->text_model->forward(ids.to(d->device), keep.to(d->device));
    return Private::toVector(
        FlavaNetImpl::normalize(d->net->textFeatures(out.last).to(at::kFloat)));
}

std::vector<ItmScore> FlavaModel::match(std::span<const std::shared_ptr<const ImageStates>> images,
                                        std::span<const std::int64_t> textIds) const
{
    c10::InferenceMode guard;
    if (images.empty())
        return {};
    if (textIds.empty())
        throw std::invalid_argument("an empty token sequence cannot be matched");
    d->need(MultimodalPart);
    const auto ids = at::from_blob(const_cast<std::int64_t *>(textIds.data()),
                                   {1, static_cast<int64_t>(textIds.size())}, at::kLong)
                         .to(d->device);
    // The query runs unpadded, so no mask is needed and both HF masking conventions agree.
    at::Tensor text;
    if (d->query) {
        std::vector<float> states;
        d->query->embed(textIds, &states);
        text = at::from_blob(states.data(),
                             {1, static_cast<int64_t>(textIds.size()), d->query->hiddenSize()},
                             at::kFloat)
                   .clone();
    } else {
        text = d->net->flava->text_model->forward(ids, at::Tensor()).lastPreNorm;
    }
    std::vector<at::Tensor> stack;
    stack.reserve(images.size());
    for (const auto &img : images) {
        if (!img)
            throw std::invalid_argument("match() was given a null image state");
        stack.push_back(img->preNorm);
    }
    const auto imageStates = at::stack(stack); // [P, 1+N, Di]
    const auto p = imageStates.size(0);
    const auto mm = d->net->multimodal(imageStates, text.expand({p, -1, -1}), at::Tensor());
    const auto logits = d->net->itm(mm.last).to(at::kCPU, at::kFloat).contiguous(); // [P, 2]
    const auto probs = at::softmax(logits, -1);
    std::vector<ItmScore> out(p);
    for (int64_t i = 0; i < p; ++i) {
        out[i].logitNoMatch = logits[i][0].item<float>();
        out[i].logitMatch = logits[i][1].item<float>();
        out[i].probability = probs[i][1].item<float>();
    }
    return out;
}

} // namespace imago::flava
