#include "text_query_encoder.h"

#include "checkpoint_error.h"
#include "derived_file.h"
#include "mapped_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

// Built with OpenMP and -fno-trapping-math (core/model/CMakeLists.txt): the linear maps run on
// a parallel region, `omp simd` lets the small reductions below vectorise, and the activations'
// selects (clamps, signs) may be computed unconditionally, which vectorising them needs.
#ifndef _OPENMP
#error "text_query_encoder.cpp needs OpenMP"
#endif
#include <omp.h>

namespace imago::flava {

namespace {

// exp(x) for the activations, in plain float arithmetic that vectorises: 2^n * e^r with
// |r| <= ln2/2 and a degree-6 polynomial (relative error ~2e-7 over the range used here).
inline float expApprox(float x)
{
    x = std::min(std::max(x, -87.0f), 88.0f);
    const float v = x * 1.44269504089f;
    const float n = float(std::int32_t(v + std::copysign(0.5f, v))); // no libm call: vectorises
    const float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
    float p = 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    const std::int32_t bits = (std::int32_t(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, 4);
    return p * scale;
}

// erf(x) by Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7), odd-extended.
inline float erfApprox(float x)
{
    const float a = std::abs(x);
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    const float y = 1.0f - p * t * expApprox(-a * a);
    return std::copysign(y, x);
}

// 24,576 values a layer for an 8-token query: worth the widest vectors the CPU has.
#if defined(__x86_64__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void activateInPlace(float *x, std::int64_t n, Activation act)
{
    switch (act) {
    case Activation::Gelu:
#pragma omp simd
        for (std::int64_t i = 0; i < n; ++i)
            x[i] = 0.5f * x[i] * (1.0f + erfApprox(x[i] * 0.70710678118654752f));
        return;
    case Activation::GeluTanh:
#pragma omp simd
        for (std::int64_t i = 0; i < n; ++i) {
            const float u = 0.7978845608028654f * (x[i] + 0.044715f * x[i] * x[i] * x[i]);
            // tanh(u) = 1 - 2 / (e^{2u} + 1)
            x[i] = 0.5f * x[i] * (2.0f - 2.0f / (expApprox(2.0f * u) + 1.0f));
        }
        return;
    case Activation::Relu:
#pragma omp simd
        for (std::int64_t i = 0; i < n; ++i)
            x[i] = std::max(x[i], 0.0f);
        return;
    case Activation::QuickGelu:
#pragma omp simd
        for (std::int64_t i = 0; i < n; ++i)
            x[i] = x[i] / (1.0f + expApprox(-1.702f * x[i]));
        return;
    }
}

} // namespace

struct TextQueryEncoder::Layer
{
    Norm before, after;
    Int8Rows qkv, attentionOutput, intermediate, output;
};

namespace {

// The derived file (derived_file.h): each map's Int8Rows::serialize() bytes, in order.
constexpr DerivedKind kDerivedKind{"IMAGO-TQE-INT8", 1, std::uint64_t(Int8Rows::kColumnsPerBlock)};

// The maps of `file` in order, or an empty vector when it is not a derived file for exactly
// these maps and this identity.
std::vector<Int8Rows> readDerived(const std::filesystem::path &file, const std::string &identity,
                                  const std::vector<std::pair<std::int64_t, std::int64_t>> &shapes)
{
    const auto derived = DerivedFile::open(file, kDerivedKind, identity, shapes.size());
    if (!derived)
        return {};
    std::vector<Int8Rows> maps;
    try {
        for (std::size_t m = 0; m < shapes.size(); ++m) {
            const auto blob = derived->blob(m);
            maps.push_back(Int8Rows::fromSerialized(blob.data(), blob.size(), derived->mapping()));
            if (maps.back().outFeatures() != shapes[m].first ||
                maps.back().inFeatures() != shapes[m].second)
                return {};
        }
    } catch (const std::runtime_error &) {
        return {};
    }
    return maps;
}

} // namespace

TextQueryEncoder::TextQueryEncoder(const FlavaConfig &config, const TensorLookup &find,
                                   const std::filesystem::path &file, int threads,
                                   const std::filesystem::path &derivedFile,
                                   const std::string &identity)
    : m_cfg(config), m_threads(std::max(1, threads))
{
    const TextConfig &t = m_cfg.text;
    const std::int64_t d = t.hiddenSize, inter = t.intermediateSize;
    const auto tensorOf = [&](const std::string &name,
                              std::initializer_list<std::int64_t> shape) -> const TensorView & {
        return checkedTensor(find, name, shape, file);
    };
    const auto norm = [&](const std::string &prefix) {
        return Norm{readAll(tensorOf(prefix + ".weight", {d})),
                    readAll(tensorOf(prefix + ".bias", {d}))};
    };
    const std::string text = "flava.text_model.";
    m_words = tensorOf(text + "embeddings.word_embeddings.weight", {t.vocabSize, d});
    m_positions = readAll(
        tensorOf(text + "embeddings.position_embeddings.weight", {t.maxPositionEmbeddings, d}));
    m_tokenType0.resize(std::size_t(d));
    readRow(tensorOf(text + "embeddings.token_type_embeddings.weight", {t.typeVocabSize, d}), 0,
            m_tokenType0.data());
    m_embeddingNorm = norm(text + "embeddings.LayerNorm");
    m_finalNorm = norm(text + "layernorm");

    // Every tensor is checked here, on this thread; the quantization runs in parallel.
    struct Source
    {
        std::vector<const TensorView *> weights, biases; // q, k, v fused into one map
        Int8Rows *target;
        std::int64_t in() const { return weights[0]->shape[1]; }
        std::int64_t out() const
        {
            std::int64_t rows = 0;
            for (const TensorView *w : weights)
                rows += w->shape[0];
            return rows;
        }
    };
    std::vector<Source> sources;
    for (int i = 0; i < t.numHiddenLayers; ++i) {
        auto layer = std::make_unique<Layer>();
        const std::string p = text + "encoder.layer." + std::to_string(i) + ".";
        layer->before = norm(p + "layernorm_before");
        layer->after = norm(p + "layernorm_after");
        Source qkv{{}, {}, &layer->qkv};
        for (const char *part : {"query", "key", "value"}) {
            const std::string name = p + "attention.attention." + part;
            qkv.weights.push_back(&tensorOf(name + ".weight", {d, d}));
            qkv.biases.push_back(t.qkvBias ? &tensorOf(name + ".bias", {d}) : nullptr);
        }
        sources.push_back(qkv);
        const auto dense = [&](const std::string &name, std::int64_t out, std::int64_t in,
                               Int8Rows *target) {
            sources.push_back({{&tensorOf(name + ".weight", {out, in})},
                               {&tensorOf(name + ".bias", {out})},
                               target});
        };
        dense(p + "attention.output.dense", d, d, &layer->attentionOutput);
        dense(p + "intermediate.dense", inter, d, &layer->intermediate);
        dense(p + "output.dense", d, inter, &layer->output);
        m_layers.push_back(std::move(layer));
    }
    const std::int64_t e = m_cfg.projectionDim;
    const auto projection = readAll(tensorOf("flava.text_projection.weight", {e, d}));
    m_projectionBias = readAll(tensorOf("flava.text_projection.bias", {e}));
    m_projectionT.resize(std::size_t(d * e));
    for (std::int64_t o = 0; o < e; ++o)
        for (std::int64_t i = 0; i < d; ++i)
            m_projectionT[std::size_t(i * e + o)] = projection[std::size_t(o * d + i)];

    if (!derivedFile.empty() && !identity.empty()) {
        std::vector<std::pair<std::int64_t, std::int64_t>> shapes;
        for (const Source &src : sources)
            shapes.emplace_back(src.out(), src.in());
        auto maps = readDerived(derivedFile, identity, shapes);
        if (!maps.empty()) {
            for (std::size_t s = 0; s < sources.size(); ++s)
                *sources[s].target = std::move(maps[s]);
            m_fromDerived = true;
            return;
        }
    }

#pragma omp parallel for schedule(dynamic, 1) num_threads(m_threads)
    for (std::size_t s = 0; s < sources.size(); ++s) {
        const Source &src = sources[s];
        const std::int64_t out = src.out(), in = src.in();
        std::vector<float> bias(std::size_t(out), 0.0f);
        std::int64_t row = 0;
        for (std::size_t k = 0; k < src.weights.size(); ++k) {
            if (src.biases[k])
                readRow(*src.biases[k], 0, bias.data() + row);
            row += src.weights[k]->shape[0];
        }
        // The weights are read where they lie (the mapping), a row at a time.
        *src.target = Int8Rows(
            out, in,
            [&src](std::int64_t r, float *scratch) {
                std::size_t k = 0;
                while (r >= src.weights[k]->shape[0])
                    r -= src.weights[k++]->shape[0];
                return rowPointer(*src.weights[k], r, scratch);
            },
            bias.data());
    }
    if (!derivedFile.empty() && !identity.empty()) {
        std::vector<DerivedBlob> blobs;
        for (const Source &src : sources) {
            const Int8Rows *map = src.target;
            blobs.push_back(
                {map->serializedSize(), [map](std::uint8_t *to) { map->serialize(to); }});
        }
        writeDerivedFile(derivedFile, kDerivedKind, identity, blobs);
    }
}

TextQueryEncoder::~TextQueryEncoder() = default;

void TextQueryEncoder::layerNorm(const Norm &norm, const float *x, float *y,
                                 std::int64_t rows) const
{
    const std::int64_t d = m_cfg.text.hiddenSize;
    const float eps = float(m_cfg.text.layerNormEps);
    for (std::int64_t r = 0; r < rows; ++r) {
        const float *xr = x + r * d;
        float *yr = y + r * d;
        float sum = 0;
#pragma omp simd reduction(+ : sum)
        for (std::int64_t i = 0; i < d; ++i)
            sum += xr[i];
        const float mean = sum / float(d);
        float squares = 0;
#pragma omp simd reduction(+ : squares)
        for (std::int64_t i = 0; i < d; ++i)
            squares += (xr[i] - mean) * (xr[i] - mean);
        const float inv = 1.0f / std::sqrt(squares / float(d) + eps);
        const float *w = norm.weight.data(), *b = norm.bias.data();
#pragma omp simd
        for (std::int64_t i = 0; i < d; ++i)
            yr[i] = (xr[i] - mean) * inv * w[i] + b[i];
    }
}

void TextQueryEncoder::linear(const Int8Rows &map, const float *x, std::int64_t rows,
                              float *y) const
{
    if (m_threads == 1) {
        map.apply(x, rows, y);
        return;
    }
    // At least 64 columns a thread: fewer do not pay for waking one.
    const int threads =
        int(std::min<std::int64_t>(m_threads, std::max<std::int64_t>(1, map.outFeatures() / 64)));
    map.apply(x, rows, y, [threads](std::int64_t blocks, const auto &run) {
#pragma omp parallel num_threads(threads)
        {
            const std::int64_t n = omp_get_num_threads(), k = omp_get_thread_num();
            const std::int64_t begin = blocks * k / n, end = blocks * (k + 1) / n;
            if (begin < end)
                run(begin, end);
        }
    });
}

std::vector<float> TextQueryEncoder::embed(std::span<const std::int64_t> ids,
                                           std::vector<float> *preNorm) const
{
    const TextConfig &t = m_cfg.text;
    const std::int64_t len = std::int64_t(ids.size());
    if (len < 1)
        throw std::invalid_argument("an empty token sequence cannot be embedded");
    if (len > t.maxPositionEmbeddings)
        throw std::invalid_argument("text of " + std::to_string(len) + " tokens is outside 1.." +
                                    std::to_string(t.maxPositionEmbeddings));
    for (std::int64_t id : ids)
        if (id < 0 || id >= t.vocabSize)
            throw std::invalid_argument("token id outside the vocabulary of " +
                                        std::to_string(t.vocabSize));
    const std::int64_t d = t.hiddenSize, inter = t.intermediateSize;
    const std::int64_t heads = t.numAttentionHeads, dh = d / heads;

    std::vector<float> x(std::size_t(len * d)), normed(x.size()), context(x.size());
    std::vector<float> qkv(std::size_t(len * 3 * d)), wide(std::size_t(len * inter));
    std::vector<float> probs(static_cast<std::size_t>(len));
    for (std::int64_t i = 0; i < len; ++i) {
        float *xi = x.data() + i * d;
        readRow(m_words, ids[std::size_t(i)], xi);
        const float *pos = m_positions.data() + i * d;
        for (std::int64_t c = 0; c < d; ++c)
            xi[c] = xi[c] + m_tokenType0[std::size_t(c)] + pos[c]; // the reference's order
    }
    layerNorm(m_embeddingNorm, x.data(), x.data(), len);

    const float scale = std::sqrt(float(dh)); // scores are divided by it, as the reference does
    for (const auto &layer : m_layers) {
        layerNorm(layer->before, x.data(), normed.data(), len);
        linear(layer->qkv, normed.data(), len, qkv.data()); // [L, q | k | v]
        for (std::int64_t h = 0; h < heads; ++h) {
            for (std::int64_t i = 0; i < len; ++i) {
                const float *q = qkv.data() + i * 3 * d + h * dh;
                float top = -INFINITY;
                for (std::int64_t j = 0; j < len; ++j) {
                    const float *k = qkv.data() + j * 3 * d + d + h * dh;
                    float s = 0;
#pragma omp simd reduction(+ : s)
                    for (std::int64_t c = 0; c < dh; ++c)
                        s += q[c] * k[c];
                    probs[std::size_t(j)] = s / scale;
                    top = std::max(top, probs[std::size_t(j)]);
                }
                float total = 0;
                for (auto &p : probs) {
                    p = std::exp(p - top);
                    total += p;
                }
                float *out = context.data() + i * d + h * dh;
                std::fill(out, out + dh, 0.0f);
                for (std::int64_t j = 0; j < len; ++j) {
                    const float p = probs[std::size_t(j)] / total;
                    const float *v = qkv.data() + j * 3 * d + 2 * d + h * dh;
#pragma omp simd
                    for (std::int64_t c = 0; c < dh; ++c)
                        out[c] += p * v[c];
                }
            }
        }
        linear(layer->attentionOutput, context.data(), len, normed.data());
        for (std::size_t i = 0; i < x.size(); ++i)
            x[i] += normed[i];
        layerNorm(layer->after, x.data(), normed.data(), len);
        linear(layer->intermediate, normed.data(), len, wide.data());
        activateInPlace(wide.data(), len * inter, t.hiddenAct);
        linear(layer->output, wide.data(), len, normed.data());
        for (std::size_t i = 0; i < x.size(); ++i)
            x[i] += normed[i];
    }
    if (preNorm)
        *preNorm = x;

    // The final LayerNorm and the projection of the [CLS] state, then unit length.
    layerNorm(m_finalNorm, x.data(), normed.data(), 1);
    const std::int64_t e = m_cfg.projectionDim;
    std::vector<float> out(m_projectionBias);
    for (std::int64_t i = 0; i < d; ++i) {
        const float xi = normed[std::size_t(i)];
        const float *w = m_projectionT.data() + i * e;
#pragma omp simd
        for (std::int64_t o = 0; o < e; ++o)
            out[std::size_t(o)] += xi * w[o];
    }
    double norm2 = 0;
    for (float v : out)
        norm2 += double(v) * v;
    const float inv = float(1.0 / std::max(std::sqrt(norm2), 1e-12));
    for (float &v : out)
        v *= inv;
    return out;
}

} // namespace imago::flava
