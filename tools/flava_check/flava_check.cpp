// flava-check: the FLAVA port on its own, for any machine with a LibTorch (a GPU box, a pip
// PyTorch's LibTorch): the reference goldens through the public FlavaModel API, then the image
// encoder's throughput at FLAVA-full size with random weights. Qt-free, built by the normal
// build and by the model-only one (-DIMAGO_MODEL_ONLY=ON, see tools/gpu-check.sh).
//   flava-check REFERENCE_DIR [--device cpu|cuda|auto] [--batch N] [--runs N] [--no-speed]
// REFERENCE_DIR is ../shared/flava-reference (config.json, model.safetensors, io.safetensors).
// Exit 0 when every golden matches, 1 otherwise, 2 for a wrong command line.
#include "checkpoint.h"
#include "flava_config.h"
#include "flava_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

using namespace imago::flava;

namespace {

struct Golden
{
    std::vector<std::int64_t> shape;
    std::vector<float> f;
    std::vector<std::int64_t> i;
};

Golden read(const Checkpoint &io, const std::string &name)
{
    const TensorView *v = io.find(name);
    if (!v)
        throw std::runtime_error(io.file().string() + ": no tensor " + name);
    Golden g;
    g.shape = v->shape;
    const auto n = std::size_t(v->numel());
    const std::uint8_t *p = v->data + std::size_t(v->storageOffset) * dtypeSize(v->dtype);
    if (v->dtype == DType::F32) {
        g.f.resize(n);
        std::memcpy(g.f.data(), p, n * sizeof(float));
    } else if (v->dtype == DType::I64) {
        g.i.resize(n);
        std::memcpy(g.i.data(), p, n * sizeof(std::int64_t));
    } else {
        throw std::runtime_error(name + ": unexpected dtype");
    }
    return g;
}

int failures = 0;

// |a - b| <= atol + rtol |b| everywhere; prints the worst difference.
void compare(const char *what, const std::vector<float> &got, const std::vector<float> &want,
             double atol, double rtol)
{
    double worst = 0;
    bool ok = got.size() == want.size();
    for (std::size_t k = 0; ok && k < got.size(); ++k) {
        const double d = std::abs(double(got[k]) - want[k]);
        worst = std::max(worst, d);
        if (!(d <= atol + rtol * std::abs(double(want[k]))))
            ok = false;
    }
    std::printf("  %-34s %s (max |diff| %.2e, %zu values)\n", what, ok ? "ok  " : "FAIL", worst,
                want.size());
    failures += ok ? 0 : 1;
}

Device parseDevice(const std::string &s)
{
    if (s == "cpu")
        return Device::Cpu;
    if (s == "cuda")
        return Device::Cuda;
    if (s == "auto")
        return Device::Auto;
    throw std::invalid_argument("--device must be cpu, cuda or auto");
}

} // namespace

int main(int argc, char **argv)
{
    std::string ref;
    ModelOptions options;
    int batch = 0, runs = 5;
    bool speed = true;
    try {
        for (int a = 1; a < argc; ++a) {
            const std::string arg = argv[a];
            auto next = [&]() -> std::string {
                if (a + 1 >= argc)
                    throw std::invalid_argument(arg + " needs a value");
                return argv[++a];
            };
            if (arg == "--device")
                options.device = parseDevice(next());
            else if (arg == "--batch")
                batch = std::stoi(next());
            else if (arg == "--runs")
                runs = std::max(1, std::stoi(next()));
            else if (arg == "--no-speed")
                speed = false;
            else if (arg == "-h" || arg == "--help") {
                std::printf("usage: flava-check REFERENCE_DIR [--device cpu|cuda|auto] [--batch N] "
                            "[--runs N] [--no-speed]\n");
                return 0;
            } else if (ref.empty() && arg.rfind("--", 0) != 0)
                ref = arg;
            else
                throw std::invalid_argument("unexpected argument " + arg);
        }
        if (ref.empty())
            throw std::invalid_argument("give the reference folder (../shared/flava-reference)");
    } catch (const std::exception &e) {
        std::fprintf(stderr, "flava-check: %s\n", e.what());
        return 2;
    }

    try {
        const auto model = FlavaModel::load(ref, options);
        const bool half = model->deviceName() != "cpu"; // CUDA runs in half precision
        std::printf("flava-check: %s on %s%s\n", ref.c_str(), model->deviceName().c_str(),
                    half ? " (half precision: looser tolerances)" : "");
        const double atol = half ? 2e-2 : 1e-4, rtol = half ? 2e-2 : 1e-4;
        const Checkpoint io(std::filesystem::path(ref) / "io.safetensors");

        const Golden pixels = read(io, "pixel_values");
        const int images = int(pixels.shape[0]);
        const auto encodings = model->encodeImages(pixels.f, images);
        std::vector<float> imageEmbeds;
        for (const auto &e : encodings)
            imageEmbeds.insert(imageEmbeds.end(), e.embedding.begin(), e.embedding.end());
        compare("image embeddings", imageEmbeds, read(io, "image.embeds").f, atol, rtol);

        const Golden ids = read(io, "input_ids"), mask = read(io, "attention_mask");
        const auto length = std::size_t(ids.shape[1]);
        std::vector<std::vector<std::int64_t>> texts;
        for (std::int64_t t = 0; t < ids.shape[0]; ++t) {
            std::vector<std::int64_t> one;
            for (std::size_t k = 0; k < length; ++k)
                if (mask.i[std::size_t(t) * length + k])
                    one.push_back(ids.i[std::size_t(t) * length + k]);
            texts.push_back(one);
        }
        compare("text embeddings", model->embedTexts(texts), read(io, "text.embeds").f, atol, rtol);

        const Golden ii = read(io, "pairs.image_index"), ti = read(io, "pairs.text_index");
        const Golden logits = read(io, "itm.logits");
        std::vector<float> got;
        for (std::size_t p = 0; p < ii.i.size(); ++p) {
            const std::shared_ptr<const ImageStates> state = encodings[std::size_t(ii.i[p])].states;
            const auto score = model->match({&state, 1}, texts[std::size_t(ti.i[p])]);
            got.push_back(score[0].logitNoMatch);
            got.push_back(score[0].logitMatch);
        }
        compare("ITM logits (unpadded queries)", got, logits.f, half ? 5e-2 : 1e-4, 0);
        std::printf("goldens: %s\n", failures ? "FAILED" : "all match");

        if (speed) {
            // FLAVA-full size, random weights: what indexing a photo costs on this device.
            const auto full = FlavaModel::createRandom(FlavaConfig{}, options, 1);
            const int b = batch > 0 ? batch : (full->deviceName() == "cpu" ? 8 : 64);
            const int side = full->imageSize();
            std::vector<float> px(std::size_t(b) * 3 * std::size_t(side) * std::size_t(side));
            std::mt19937 rng(7);
            std::normal_distribution<float> gauss;
            for (float &v : px)
                v = gauss(rng);
            full->embedImages(px, b); // warm-up (and the lazy load)
            std::vector<double> seconds;
            for (int r = 0; r < runs; ++r) {
                const auto t0 = std::chrono::steady_clock::now();
                full->embedImages(px, b);
                seconds.push_back(
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            }
            std::sort(seconds.begin(), seconds.end());
            const double median = seconds[seconds.size() / 2];
            std::printf("image encoder, FLAVA-full size, batch %d on %s: %.2f images/s (median of "
                        "%d)\n",
                        b, full->deviceName().c_str(), double(b) / median, runs);
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "flava-check: %s\n", e.what());
        return 1;
    }
    return failures ? 1 : 0;
}
