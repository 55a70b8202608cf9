// torch_backend.cpp - FLAVA in LibTorch behind flava_backend.h: the plugin imago_flava_torch.
//
// On the CPU each part (text, image, multimodal) loads from the checkpoint the first time it is
// needed, and is converted to bf16 or int8 then; on CUDA everything loads at once, in half
// precision. The facade has checked every tensor before the plugin is asked for anything.
#include "flava_backend.h"

#include "derived_file.h"
#include "flava_module.h"
#include "large_block_allocator.h"
#include "runtime.h"

#include <ATen/core/grad_mode.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace imago::flava {

class ImageStates
{
public:
    at::Tensor preNorm; // [1 + N, Di], on the model's device and dtype
};

namespace {

std::vector<float> toVector(const at::Tensor &t)
{
    const auto cpu = t.to(at::kCPU, at::kFloat).contiguous();
    return {cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel()};
}

class TorchBackend final : public FlavaBackend
{
public:
    explicit TorchBackend(const BackendRequest &r)
        : m_cfg(r.config), m_precision(r.precision), m_textPrecision(r.textPrecision)
    {
        if (r.warn && r.warn != &warn) // the host's warn(), not this plugin's own copy
            setWarningHandler(r.warn);
        warnIfSlowBlas();
        if (!r.cuda) {
            setModelThreads(r.threads);
            installLargeBlockAllocator();
        }
        if (!r.checkpoint) { // random weights, every part at once
            at::manual_seed(r.seed);
            m_net = FlavaNet(m_cfg);
            m_net->eval();
            m_net->finalize(r.precision, r.textEncoder ? r.textPrecision : Precision::Float32);
            m_loaded = AllParts;
            return;
        }
        {
            const SkipInit skip; // every parameter is about to be overwritten (or never used)
            m_net = FlavaNet(m_cfg);
        }
        m_net->eval();
        if (r.cuda) {
            m_net->load(*r.checkpoint);
            m_device = at::Device(at::kCUDA, 0);
            m_dtype = at::kHalf; // half precision on the GPU: ~2x throughput, 1e-2 relative error
            m_net->to(m_device, m_dtype);
            m_net->finalize();
            m_loaded = AllParts;
            return;
        }
        m_checkpoint = r.checkpoint;
        m_derivedDir = r.derivedDir;
        m_identity = r.identity;
    }

    std::string deviceName() const override { return m_device.str(); }
    bool imageEncoderLoaded() const override { return m_loaded & ImagePart; }
    bool multimodalEncoderLoaded() const override { return m_loaded & MultimodalPart; }

    void prepare(bool multimodal) const override
    {
        need(ImagePart);
        if (multimodal)
            need(MultimodalPart);
    }

    // (FlavaModel answers a count of 0 itself.)
    std::vector<float> embedImages(std::span<const float> pixels, int count) const override
    {
        c10::InferenceMode guard;
        return runImages(pixels, count).second;
    }

    std::vector<ImageEncoding> encodeImages(std::span<const float> pixels, int count) const override
    {
        c10::InferenceMode guard;
        const auto [out, emb] = runImages(pixels, count);
        const std::size_t e = m_cfg.projectionDim;
        std::vector<ImageEncoding> result(count);
        for (int i = 0; i < count; ++i) {
            result[i].embedding.assign(emb.begin() + i * e, emb.begin() + (i + 1) * e);
            auto states = std::make_shared<ImageStates>();
            states->preNorm = out.lastPreNorm[i].clone(); // own storage: not a view of the batch
            result[i].states = std::move(states);
        }
        return result;
    }

    std::vector<float>
    embedTexts(const std::vector<std::vector<std::int64_t>> &texts) const override
    {
        c10::InferenceMode guard;
        if (texts.empty())
            return {};
        std::size_t longest = 0;
        for (const auto &t : texts) {
            if (t.empty())
                throw std::invalid_argument("an empty token sequence cannot be embedded");
            longest = std::max(longest, t.size());
        }
        need(TextPart);
        const auto n = static_cast<int64_t>(texts.size()), len = static_cast<int64_t>(longest);
        auto ids = at::full({n, len}, m_cfg.text.padTokenId, at::kLong);
        auto keep = at::zeros({n, len}, at::kLong);
        for (int64_t i = 0; i < n; ++i) {
            const auto &t = texts[i];
            std::memcpy(ids[i].data_ptr<int64_t>(), t.data(), t.size() * sizeof(int64_t));
            keep[i].narrow(0, 0, static_cast<int64_t>(t.size())).fill_(1);
        }
        const auto out = m_net->flava->text_model->forward(ids.to(m_device), keep.to(m_device));
        return toVector(FlavaNetImpl::normalize(m_net->textFeatures(out.last).to(at::kFloat)));
    }

    std::vector<ItmScore> match(std::span<const std::shared_ptr<const ImageStates>> images,
                                std::span<const std::int64_t> textIds,
                                std::span<const float> textStates) const override
    {
        c10::InferenceMode guard;
        if (images.empty())
            return {};
        if (textIds.empty())
            throw std::invalid_argument("an empty token sequence cannot be matched");
        need(MultimodalPart);
        const auto len = static_cast<int64_t>(textIds.size());
        at::Tensor text;
        if (!textStates.empty()) {
            text = at::from_blob(const_cast<float *>(textStates.data()),
                                 {1, len, int64_t(textStates.size()) / len}, at::kFloat)
                       .to(m_device, m_dtype, false, /*copy=*/true);
        } else {
            need(TextPart);
            const auto ids =
                at::from_blob(const_cast<std::int64_t *>(textIds.data()), {1, len}, at::kLong)
                    .to(m_device);
            // The query runs unpadded, so no mask is needed and both HF masking conventions
            // agree.
            text = m_net->flava->text_model->forward(ids, at::Tensor()).lastPreNorm;
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
        const auto mm = m_net->multimodal(imageStates, text.expand({p, -1, -1}), at::Tensor());
        const auto logits = m_net->itm(mm.last).to(at::kCPU, at::kFloat).contiguous(); // [P, 2]
        const auto probs = at::softmax(logits, -1);
        std::vector<ItmScore> out(p);
        for (int64_t i = 0; i < p; ++i) {
            out[i].logitNoMatch = logits[i][0].item<float>();
            out[i].logitMatch = logits[i][1].item<float>();
            out[i].probability = probs[i][1].item<float>();
        }
        return out;
    }

    std::vector<TensorView> textViews() const override { return m_net->parameterViews(TextPart); }

private:
    // Loads and finalizes `part` from the checkpoint once; any thread may call it.
    void need(Part part) const
    {
        if (m_loaded & part)
            return;
        const std::lock_guard lock(m_loadMutex);
        if (m_loaded & part)
            return;
        c10::InferenceMode guard(false);
        const Precision precision = part == TextPart ? m_textPrecision : m_precision;
        const std::filesystem::path derived = bf16File(part, precision);
        if (!derived.empty() && loadBf16Derived(part, derived)) {
            m_checkpoint->dropResident();
            m_loaded |= part;
            return;
        }
        m_net->load(*m_checkpoint, part, 0); // the facade checked every tensor
        m_checkpoint->dropResident();
        if (precision != Precision::Float32) {
            const ReleaseSources release;
            m_net->finalize(m_precision, m_textPrecision, part);
        }
        m_loaded |= part;
        releaseKeptLargeBlocks(); // the fp32 weights it was converted from
        if (!derived.empty())
            writeBf16Derived(part, derived);
    }

    // bf16 image and multimodal blocks: converting 344 + 170 MB of fp32 weights took 0.5-1 s of
    // every cold rerank, so the converted maps are kept in a derived file and mapped in place.
    static constexpr DerivedKind kBf16Kind{"IMAGO-BF16-MAPS", 1, FlavaLayerImpl::kMapTensors};

    std::filesystem::path bf16File(Part part, Precision precision) const
    {
        // (On CUDA every part loaded at once, in half precision: need() never gets here.)
        if (precision != Precision::BFloat16 || part == TextPart || m_derivedDir.empty() ||
            m_identity.empty())
            return {};
        return m_derivedDir /
               (m_identity + (part == ImagePart ? "-image-bf16.bin" : "-multimodal-bf16.bin"));
    }

    // False when the file is missing or does not fit (the caller converts).
    bool loadBf16Derived(Part part, const std::filesystem::path &file) const
    {
        const auto shapes = m_net->blockMapShapes(part);
        const auto derived = DerivedFile::open(file, kBf16Kind, m_identity, shapes.size());
        if (!derived)
            return false;
        std::vector<at::Tensor> maps(shapes.size());
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            std::int64_t numel = shapes[i].empty() ? 0 : 1;
            for (const std::int64_t n : shapes[i])
                numel *= n;
            const auto blob = derived->blob(i);
            if (blob.size() != std::size_t(numel) * sizeof(at::BFloat16))
                return false;
            if (numel > 0) // read-only: the forward passes never write their weights
                maps[i] = at::from_blob(const_cast<std::uint8_t *>(blob.data()), shapes[i],
                                        at::TensorOptions().dtype(at::kBFloat16));
        }
        m_net->loadWithBf16BlockMaps(*m_checkpoint, part, maps);
        m_derivedMaps.push_back(derived->mapping()); // the maps lie in it
        return true;
    }

    void writeBf16Derived(Part part, const std::filesystem::path &file) const
    {
        std::vector<DerivedBlob> blobs;
        for (const at::Tensor &t : m_net->bf16BlockMaps(part)) {
            if (!t.defined()) {
                blobs.push_back({});
                continue;
            }
            const auto bytes = std::size_t(t.numel()) * t.element_size();
            blobs.push_back({bytes, [t, bytes](std::uint8_t *to) {
                                 std::memcpy(to, t.contiguous().data_ptr(), bytes);
                             }});
        }
        writeDerivedFile(file, kBf16Kind, m_identity, blobs);
    }

    // The image encoder on a batch: its output, and the embeddings (count x E, unit rows).
    std::pair<EncoderOutput, std::vector<float>> runImages(std::span<const float> pixels,
                                                           int count) const
    {
        need(ImagePart);
        auto out = m_net->flava->image_model->forward(pixelsToDevice(pixels, count));
        auto emb = toVector(FlavaNetImpl::normalize(m_net->imageFeatures(out.last).to(at::kFloat)));
        return {std::move(out), std::move(emb)};
    }

    at::Tensor pixelsToDevice(std::span<const float> pixels, int count) const
    {
        const int64_t c = m_cfg.image.numChannels, s = m_cfg.image.imageSize;
        if (count < 0 || pixels.size() != static_cast<std::size_t>(count * c * s * s))
            throw std::invalid_argument("expected " + std::to_string(count) + " x " +
                                        std::to_string(c) + " x " + std::to_string(s) + " x " +
                                        std::to_string(s) + " pixel floats, got " +
                                        std::to_string(pixels.size()));
        auto t = at::from_blob(const_cast<float *>(pixels.data()), {count, c, s, s}, at::kFloat);
        return t.to(m_device, m_dtype, /*non_blocking=*/false,
                    /*copy=*/m_device.is_cpu() && m_dtype == at::kFloat);
    }

    FlavaConfig m_cfg;
    mutable FlavaNet m_net{nullptr}; // parts load into it on first use (need())
    at::Device m_device = at::kCPU;
    at::ScalarType m_dtype = at::kFloat;
    Precision m_precision, m_textPrecision;
    std::shared_ptr<const Checkpoint> m_checkpoint; // parts not yet loaded come from here
    std::filesystem::path m_derivedDir;
    std::string m_identity;
    mutable std::vector<std::shared_ptr<const MappedFile>> m_derivedMaps;
    mutable std::mutex m_loadMutex;
    mutable std::atomic<unsigned> m_loaded{0}; // Part bits
};

} // namespace

} // namespace imago::flava

extern "C" __attribute__((visibility("default"))) imago::flava::FlavaBackend *
imago_flava_torch_open_v2(const imago::flava::BackendRequest &request)
{
    return new imago::flava::TorchBackend(request);
}

extern "C" __attribute__((visibility("default"))) bool imago_flava_torch_cuda_v2()
{
    return torch::cuda::is_available();
}
