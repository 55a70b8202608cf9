// flava_layers.h - the transformer block shared by FLAVA's three encoders (LibTorch).
//
// Pre-LayerNorm ViT block:  h = x + Attn(LN_before(x));  out = h + W_out(act(W_in(LN_after(h))))
// An encoder is a stack of blocks followed by a final LayerNorm ("layernorm") and a pooler
// (tanh(dense(last[:, 0]))). Submodules carry the checkpoint's key segments, e.g.
// encoder.layer.3.attention.attention.query, so loading is one loop over named_parameters().
//
// Immutable after finalize(): forward() may run on several threads at once (each thread opens
// its own c10::InferenceMode). Internal header: only core/model and its tests include it.
#pragma once

#include "flava_config.h"
#include "int8_rows.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <span>
#include <vector>

namespace imago::flava {

// [B, S] 1/0 keep-mask -> [B, 1, 1, S] additive bias (0 keep, finfo(float).min drop), as HF.
at::Tensor additiveMask(const at::Tensor &keepMask);

at::Tensor activate(const at::Tensor &x, Activation act);

// A flag that holds on this thread while at least one instance of the guard is alive.
template<typename Tag> class ThreadScope
{
public:
    ThreadScope() { ++s_depth; }
    ~ThreadScope() { --s_depth; }
    ThreadScope(const ThreadScope &) = delete;
    ThreadScope &operator=(const ThreadScope &) = delete;
    static bool active() { return s_depth > 0; }

private:
    static inline thread_local int s_depth = 0;
};

// While one is alive on this thread, new Dense modules allocate their parameters without
// initialising them: loading a checkpoint overwrites every one (nn::Linear's random init of
// FLAVA-full's 357 M parameters took 2.7 s of a cold start), and pages never written are never
// resident, so a part of the model that is never loaded costs no memory.
using SkipInit = ThreadScope<struct SkipInitTag>;

// While one is alive on this thread, finalize() with Int8 or BFloat16 frees the fp32 weights
// it converted (they are not needed again, and a second finalize() is then impossible): for
// a loaded model that will not change, this keeps one copy of each weight in memory.
using ReleaseSources = ThreadScope<struct ReleaseSourcesTag>;

// y = x W^T + b with the checkpoint's parameter names ("weight" [out, in], "bias" [out]).
// Initialised as torch.nn.Linear is (Kaiming-uniform weight, uniform bias in +-1/sqrt(in))
// unless a SkipInit is alive.
class DenseImpl : public torch::nn::Module
{
public:
    DenseImpl(int64_t in, int64_t out, bool bias = true);
    at::Tensor forward(const at::Tensor &x) const { return at::linear(x, weight, bias); }

    at::Tensor weight, bias;
};
TORCH_MODULE(Dense);

// Functional calls on registered modules, usable from const forward()s.
inline at::Tensor call(const Dense &l, const at::Tensor &x)
{
    return at::linear(x, l->weight, l->bias);
}
inline at::Tensor call(const torch::nn::LayerNorm &l, const at::Tensor &x)
{
    return at::layer_norm(x, l->options.normalized_shape(), l->weight, l->bias, l->options.eps());
}

// How int8 activations are quantized. PerSample: one scale per sample of a batch (oneDNN's
// dynamic int8 GEMM, fast for an image's 197 rows; on CPUs with VNNI only, else PerRow). PerRow:
// one scale per row (Int8Rows, for short text queries: bound by reading the weights, and a token's
// result never depends on the other tokens or on the padding of its batch).
enum class Int8Activations
{
    PerSample,
    PerRow,
};

// A linear map as the forward passes run it: fp32 (at::linear) or, once quantized, int8
// (weights per-output-channel symmetric int8, activations quantized per call) or bf16.
// Immutable after construction/quantize(); thread-safe to call.
class LinearOp
{
public:
    LinearOp() = default;
    LinearOp(at::Tensor weight, at::Tensor bias)
        : m_weight(std::move(weight)), m_bias(std::move(bias))
    {
    }
    at::Tensor operator()(const at::Tensor &x) const;
    void quantize(Int8Activations activations = Int8Activations::PerSample);
    bool quantized() const;
    // Holds the weights in bf16 and runs the GEMM in bf16 (input cast in, output cast back to
    // fp32), so the layer's interface stays fp32.
    void toBfloat16();
    // A map whose weight and bias (undefined: none) are bf16 already, as toBfloat16() left
    // them; they may lie in read-only memory (a derived file's mapping).
    static LinearOp fromBfloat16(at::Tensor weight, at::Tensor bias);
    const at::Tensor &weight() const { return m_weight; }
    const at::Tensor &bias() const { return m_bias; }

private:
    at::Tensor m_weight, m_bias;
    std::shared_ptr<void> m_packed; // LinearPackedParamsBase, kept out of this header
    std::shared_ptr<const Int8Rows> m_rows;
    bool m_bf16 = false;
};

// A module with no parameters of its own, used to reproduce the checkpoint's key nesting.
struct Scope : torch::nn::Module
{
};

class FlavaLayerImpl : public torch::nn::Module
{
public:
    explicit FlavaLayerImpl(const EncoderConfig &cfg);
    // x [B, S, D]; bias undefined or [B, 1, 1, S] -> [B, S, D]
    at::Tensor forward(const at::Tensor &x, const at::Tensor &bias) const;
    // Fuses query/key/value into one GEMM and, with Int8 or BFloat16, converts the block's
    // linear maps; call once after the weights are loaded.
    void finalize(Precision precision, Int8Activations int8 = Int8Activations::PerSample);

    // The block's four linear maps in bf16, as a derived file keeps them: weight and bias of
    // the fused qkv, attention output, intermediate and output maps (kMapTensors tensors; a
    // bias the config leaves out is an undefined tensor, its shape empty).
    static constexpr std::size_t kMapTensors = 8;
    std::vector<std::vector<int64_t>> mapShapes() const;
    std::vector<at::Tensor> bf16Maps() const; // after finalize(BFloat16)
    // Instead of finalize(BFloat16): the maps as bf16Maps() gave them.
    void setBf16Maps(std::span<const at::Tensor> maps);

private:
    EncoderConfig m_cfg;
    torch::nn::LayerNorm layernorm_before{nullptr}, layernorm_after{nullptr};
    Dense query{nullptr}, key{nullptr}, value{nullptr};
    Dense attention_output{nullptr}, intermediate{nullptr}, output{nullptr};
    LinearOp m_qkv, m_attentionOutput, m_intermediate, m_output; // m_qkv: [3D, D]
};
TORCH_MODULE(FlavaLayer);

struct EncoderOutput
{
    std::vector<at::Tensor> hiddenStates; // [input, after block 1, ...] when requested
    at::Tensor lastPreNorm;               // output of the last block, before the final LayerNorm
    at::Tensor last;                      // final LayerNorm of lastPreNorm
};

// The stack: "<prefix>.encoder.layer.N", "<prefix>.layernorm", "<prefix>.pooler.dense".
// Registers those three children on `owner` so the owner's keys match the checkpoint.
class EncoderStack
{
public:
    EncoderStack() = default;
    EncoderStack(torch::nn::Module &owner, const EncoderConfig &cfg);
    EncoderOutput run(at::Tensor x, const at::Tensor &bias, bool keepAllStates) const;
    at::Tensor pool(const at::Tensor &last) const; // [B, S, D] -> [B, D]
    void finalize(Precision precision, Int8Activations int8 = Int8Activations::PerSample);
    // Every block's FlavaLayerImpl::mapShapes() / bf16Maps() / setBf16Maps(), in order.
    std::vector<std::vector<int64_t>> mapShapes() const;
    std::vector<at::Tensor> bf16Maps() const;
    void setBf16Maps(std::span<const at::Tensor> maps);

private:
    std::vector<FlavaLayer> m_layers;
    torch::nn::LayerNorm m_layernorm{nullptr};
    Dense m_pooler{nullptr};
};

} // namespace imago::flava
