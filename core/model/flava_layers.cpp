#include "flava_layers.h"
#include "runtime.h"

#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

#include <algorithm>
#include <cmath>
#include <limits>

// at::parallel_for is inline: built without OpenMP it quietly runs every range on one thread.
#ifndef _OPENMP
#error "flava_layers.cpp needs OpenMP (core/model/CMakeLists.txt links OpenMP::OpenMP_CXX)"
#endif

namespace imago::flava {

namespace tnn = torch::nn;

DenseImpl::DenseImpl(int64_t in, int64_t out, bool withBias)
{
    weight = register_parameter("weight", at::empty({out, in}));
    if (withBias)
        bias = register_parameter("bias", at::empty({out}));
    if (SkipInit::active())
        return;
    // torch.nn.Linear.reset_parameters: kaiming_uniform_(a=sqrt(5)) is U(-1/sqrt(in), 1/sqrt(in)),
    // and so is the bias.
    const double bound = in > 0 ? 1.0 / std::sqrt(double(in)) : 0.0;
    at::NoGradGuard noGrad;
    weight.uniform_(-bound, bound);
    if (withBias)
        bias.uniform_(-bound, bound);
}

at::Tensor additiveMask(const at::Tensor &keepMask)
{
    const auto m = keepMask.to(at::kFloat).unsqueeze(1).unsqueeze(1); // [B, 1, 1, S]
    return (1.0 - m) * std::numeric_limits<float>::lowest();
}

at::Tensor activate(const at::Tensor &x, Activation act)
{
    switch (act) {
    case Activation::Gelu:
        return at::gelu(x);
    case Activation::GeluTanh:
        return at::gelu(x, "tanh");
    case Activation::Relu:
        return at::relu(x);
    case Activation::QuickGelu:
        return x * at::sigmoid(1.702 * x);
    }
    return x;
}

at::Tensor LinearOp::operator()(const at::Tensor &x) const
{
    if (m_rows) {
        const auto in = x.to(at::kFloat).contiguous();
        const int64_t rows = in.numel() / m_rows->inFeatures();
        auto sizes = in.sizes().vec();
        sizes.back() = m_rows->outFeatures();
        auto out = at::empty(sizes, in.options());
        // At least 64 columns a thread: fewer do not pay for waking one.
        m_rows->apply(in.data_ptr<float>(), rows, out.data_ptr<float>(),
                      [](int64_t blocks, const std::function<void(int64_t, int64_t)> &f) {
                          at::parallel_for(0, blocks, 64 / Int8Rows::kColumnsPerBlock, f);
                      });
        return out;
    }
    if (m_packed) {
        auto *packed = static_cast<LinearPackedParamsBase *>(m_packed.get());
        // Dynamic quantization picks one activation scale per call: run each sample on its own
        // so an image's vector never depends on which other images shared its batch.
        if (x.dim() == 3 && x.size(0) > 1) {
            std::vector<at::Tensor> rows;
            rows.reserve(std::size_t(x.size(0)));
            for (int64_t i = 0; i < x.size(0); ++i)
                rows.push_back(packed->apply_dynamic(x[i], false));
            return at::stack(rows);
        }
        return packed->apply_dynamic(x, false);
    }
    if (m_bf16)
        return at::linear(x.to(at::kBFloat16), m_weight, m_bias).to(at::kFloat);
    return at::linear(x, m_weight, m_bias);
}

void LinearOp::toBfloat16()
{
    m_weight = m_weight.to(at::kBFloat16).contiguous();
    if (m_bias.defined())
        m_bias = m_bias.to(at::kBFloat16);
    m_bf16 = true;
}

LinearOp LinearOp::fromBfloat16(at::Tensor weight, at::Tensor bias)
{
    LinearOp op(std::move(weight), std::move(bias));
    op.m_bf16 = true;
    return op;
}

bool LinearOp::quantized() const
{
    return m_packed != nullptr || m_rows != nullptr;
}

void LinearOp::quantize(Int8Activations activations)
{
    // Without VNNI, oneDNN's u8 x s8 products saturate in int16 (vpmaddubsw): on an AVX2-only
    // EPYC the toy's int8 image vectors fell to cosine 0.991 of fp32. Int8Rows sums exactly.
    if (activations == Int8Activations::PerRow || !cpuFeatures().vnni) {
        const auto w = m_weight.to(at::kFloat).contiguous();
        const auto b = m_bias.defined() ? m_bias.to(at::kFloat).contiguous() : at::Tensor();
        m_rows = std::make_shared<const Int8Rows>(w.data_ptr<float>(), w.size(0), w.size(1),
                                                  b.defined() ? b.data_ptr<float>() : nullptr);
        if (ReleaseSources::active())
            m_weight = m_bias = at::Tensor();
        return;
    }
    // oneDNN is the quantized engine that is fast on x86 here (QNNPACK ran slower than fp32).
    at::globalContext().setQEngine(at::QEngine::ONEDNN);
    // Symmetric per-output-channel int8 in one pass per row (abs-max, scale, round): at::abs +
    // max + quantize_per_channel took 30 ms per 3072x768 matrix, 1.2 s of a cold start.
    const auto w = m_weight.to(at::kFloat).contiguous();
    const int64_t rows = w.size(0), cols = w.size(1);
    auto q = at::empty({rows, cols}, at::kChar);
    auto scales = at::empty({rows}, at::kDouble);
    const float *src = w.data_ptr<float>();
    std::int8_t *dst = q.data_ptr<std::int8_t>();
    double *scale = scales.data_ptr<double>();
    at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
            const float *x = src + r * cols;
            float m = 0;
            for (int64_t c = 0; c < cols; ++c)
                m = std::max(m, std::abs(x[c]));
            const double sc = std::max(double(m) / 127.0, 1e-12);
            scale[r] = sc;
            const float inv = float(1.0 / sc);
            std::int8_t *y = dst + r * cols;
            for (int64_t c = 0; c < cols; ++c)
                y[c] = static_cast<std::int8_t>(
                    std::clamp(std::nearbyint(x[c] * inv), -127.0f, 127.0f));
        }
    });
    const auto zeroPoints = at::zeros({rows}, at::kLong);
    const auto qw = at::_make_per_channel_quantized_tensor(q, scales, zeroPoints, 0);
    static const auto prepack = c10::Dispatcher::singleton()
                                    .findSchemaOrThrow("quantized::linear_prepack", "")
                                    .typed<c10::intrusive_ptr<LinearPackedParamsBase>(
                                        at::Tensor, c10::optional<at::Tensor>)>();
    auto packed =
        prepack.call(qw, m_bias.defined() ? c10::optional<at::Tensor>(m_bias) : c10::nullopt);
    // Hold the intrusive_ptr's reference in a shared_ptr with a releasing deleter.
    LinearPackedParamsBase *raw = packed.release();
    m_packed = std::shared_ptr<void>(raw, [](void *p) {
        c10::intrusive_ptr<LinearPackedParamsBase>::reclaim(
            static_cast<LinearPackedParamsBase *>(p));
    });
    if (ReleaseSources::active()) // the packed params hold the weights and the bias
        m_weight = m_bias = at::Tensor();
}

namespace {
tnn::LayerNorm layerNorm(int d, double eps)
{
    return tnn::LayerNorm(tnn::LayerNormOptions({d}).eps(eps));
}
} // namespace

FlavaLayerImpl::FlavaLayerImpl(const EncoderConfig &cfg) : m_cfg(cfg)
{
    const int d = cfg.hiddenSize;
    auto attention = register_module("attention", std::make_shared<Scope>());
    auto self = attention->register_module("attention", std::make_shared<Scope>());
    query = self->register_module("query", Dense(d, d, cfg.qkvBias));
    key = self->register_module("key", Dense(d, d, cfg.qkvBias));
    value = self->register_module("value", Dense(d, d, cfg.qkvBias));
    auto attOut = attention->register_module("output", std::make_shared<Scope>());
    attention_output = attOut->register_module("dense", Dense(d, d));
    auto inter = register_module("intermediate", std::make_shared<Scope>());
    intermediate = inter->register_module("dense", Dense(d, cfg.intermediateSize));
    auto out = register_module("output", std::make_shared<Scope>());
    output = out->register_module("dense", Dense(cfg.intermediateSize, d));
    layernorm_before = register_module("layernorm_before", layerNorm(d, cfg.layerNormEps));
    layernorm_after = register_module("layernorm_after", layerNorm(d, cfg.layerNormEps));
}

void FlavaLayerImpl::finalize(Precision precision, Int8Activations int8)
{
    m_qkv = LinearOp(at::cat({query->weight, key->weight, value->weight}, 0).contiguous(),
                     m_cfg.qkvBias ? at::cat({query->bias, key->bias, value->bias}, 0).contiguous()
                                   : at::Tensor());
    m_attentionOutput = LinearOp(attention_output->weight, attention_output->bias);
    m_intermediate = LinearOp(intermediate->weight, intermediate->bias);
    m_output = LinearOp(output->weight, output->bias);
    for (LinearOp *op : {&m_qkv, &m_attentionOutput, &m_intermediate, &m_output}) {
        if (precision == Precision::Int8)
            op->quantize(int8);
        else if (precision == Precision::BFloat16)
            op->toBfloat16();
    }
    if (precision != Precision::Float32 && ReleaseSources::active()) {
        at::NoGradGuard noGrad;
        for (Dense *l : {&query, &key, &value, &attention_output, &intermediate, &output})
            (*l)->weight.set_();
    }
}

std::vector<std::vector<int64_t>> FlavaLayerImpl::mapShapes() const
{
    const int64_t d = m_cfg.hiddenSize, i = m_cfg.intermediateSize;
    return {{3 * d, d}, m_cfg.qkvBias ? std::vector<int64_t>{3 * d} : std::vector<int64_t>{},
            {d, d},     {d},
            {i, d},     {i},
            {d, i},     {d}};
}

std::vector<at::Tensor> FlavaLayerImpl::bf16Maps() const
{
    std::vector<at::Tensor> maps;
    for (const LinearOp *op : {&m_qkv, &m_attentionOutput, &m_intermediate, &m_output}) {
        maps.push_back(op->weight());
        maps.push_back(op->bias());
    }
    return maps;
}

void FlavaLayerImpl::setBf16Maps(std::span<const at::Tensor> maps)
{
    LinearOp *ops[] = {&m_qkv, &m_attentionOutput, &m_intermediate, &m_output};
    for (std::size_t k = 0; k < 4; ++k)
        *ops[k] = LinearOp::fromBfloat16(maps[2 * k], maps[2 * k + 1]);
}

at::Tensor FlavaLayerImpl::forward(const at::Tensor &x, const at::Tensor &bias) const
{
    const int64_t b = x.size(0), s = x.size(1), d = x.size(2);
    const int64_t h = m_cfg.numAttentionHeads, dh = d / h;

    const auto normed = call(layernorm_before, x);
    const auto qkv = m_qkv(normed);                                         // [B, S, 3D]
    const auto heads = qkv.view({b, s, 3, h, dh}).permute({2, 0, 3, 1, 4}); // [3, B, H, S, Dh]
    const auto q = heads[0], k = heads[1], v = heads[2];                    // [B, H, S, Dh]
    auto scores = at::matmul(q, k.transpose(-1, -2)).div_(std::sqrt(static_cast<double>(dh)));
    if (bias.defined())
        scores.add_(bias); // [B, H, S, S]
    const auto probs = at::softmax(scores, -1);
    const auto context = at::matmul(probs, v).permute({0, 2, 1, 3}).reshape({b, s, d});
    const auto hAfterAttention = x + m_attentionOutput(context); // [B, S, D]

    const auto mlp = activate(m_intermediate(call(layernorm_after, hAfterAttention)),
                              m_cfg.hiddenAct); // [B, S, I]
    return hAfterAttention + m_output(mlp);
}

EncoderStack::EncoderStack(torch::nn::Module &owner, const EncoderConfig &cfg)
{
    auto encoder = owner.register_module("encoder", std::make_shared<Scope>());
    auto list = encoder->register_module("layer", tnn::ModuleList());
    for (int i = 0; i < cfg.numHiddenLayers; ++i) {
        m_layers.emplace_back(cfg);
        list->push_back(m_layers.back());
    }
    m_layernorm = owner.register_module("layernorm", layerNorm(cfg.hiddenSize, cfg.layerNormEps));
    auto pooler = owner.register_module("pooler", std::make_shared<Scope>());
    m_pooler = pooler->register_module("dense", Dense(cfg.hiddenSize, cfg.hiddenSize));
}

EncoderOutput EncoderStack::run(at::Tensor x, const at::Tensor &bias, bool keepAllStates) const
{
    EncoderOutput out;
    if (keepAllStates)
        out.hiddenStates.push_back(x);
    for (const auto &layer : m_layers) {
        x = layer.ptr()->forward(x, bias);
        if (keepAllStates)
            out.hiddenStates.push_back(x);
    }
    out.last = call(m_layernorm, x);
    out.lastPreNorm = std::move(x);
    return out;
}

at::Tensor EncoderStack::pool(const at::Tensor &last) const
{
    return at::tanh(call(m_pooler, last.select(1, 0)));
}

void EncoderStack::finalize(Precision precision, Int8Activations int8)
{
    for (auto &layer : m_layers)
        layer->finalize(precision, int8);
}

std::vector<std::vector<int64_t>> EncoderStack::mapShapes() const
{
    std::vector<std::vector<int64_t>> shapes;
    for (const auto &layer : m_layers)
        for (auto &shape : layer->mapShapes())
            shapes.push_back(std::move(shape));
    return shapes;
}

std::vector<at::Tensor> EncoderStack::bf16Maps() const
{
    std::vector<at::Tensor> maps;
    for (const auto &layer : m_layers)
        for (auto &map : layer->bf16Maps())
            maps.push_back(std::move(map));
    return maps;
}

void EncoderStack::setBf16Maps(std::span<const at::Tensor> maps)
{
    for (std::size_t l = 0; l < m_layers.size(); ++l)
        m_layers[l]->setBf16Maps(
            maps.subspan(l * FlavaLayerImpl::kMapTensors, FlavaLayerImpl::kMapTensors));
}

} // namespace imago::flava
