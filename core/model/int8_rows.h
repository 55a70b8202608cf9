// int8_rows.h - y = x W^T + b with W in int8 and each row of x quantized on its own: the linear
// maps of a short text query, where a GEMM has a handful of rows and is bound by reading W.
//
// W: symmetric int8 per output channel (scale = max|w| / 127). x: each row symmetric int16 with
// its own scale (max|x_row| / L, L = activationLevels(): as many levels as keep every sum of
// `in` products inside int32, 5,504 for 3,072 inputs), so a row's result never depends on the
// other rows (padding, batch-mates), and the activations add almost no error to the weights'.
// (8-bit symmetric activations moved the toy's R@1 by 0.03: GELU outputs are one-sided.) The
// products are exact integer sums (int16 pairs into int32), then scaled:
// y = float(sum) * (sx * sw) + b. The AVX512-VNNI, AVX2 and portable kernels give the same bits.
// Internal header: no LibTorch types; only core/model and its tests include it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace imago::flava {

class Int8Rows
{
public:
    // Ranges of blocks [begin, end) of blockCount() output columns each, run on some pool.
    using ParallelFor = std::function<void(
        std::int64_t blocks, const std::function<void(std::int64_t, std::int64_t)> &)>;
    enum class Kernel
    {
        Best,     // AVX512-VNNI, else AVX2, where cpuFeatures() (runtime.h) has it, else portable
        Avx2,     // AVX2 even where VNNI is there (for tests and benchmarks)
        Portable, // plain C++
    };
    // Whether this CPU runs `kernel` as itself (Best always; Avx2 needs AVX2).
    static bool hasKernel(Kernel kernel);
    static constexpr std::int64_t kColumnsPerBlock = 16;

    // Row `row` of the fp32 weight matrix: a pointer to its `in` values, which may be
    // `scratch` (room for `in` floats) filled by the source.
    using RowSource = std::function<const float *(std::int64_t row, float *scratch)>;

    Int8Rows() = default;
    // weight [out, in] row-major fp32, bias [out] or null.
    Int8Rows(const float *weight, std::int64_t out, std::int64_t in, const float *bias);
    // The same with the rows from `weightRow` (e.g. straight from a weights file's mapping).
    Int8Rows(std::int64_t out, std::int64_t in, const RowSource &weightRow, const float *bias);

    std::int64_t outFeatures() const { return m_out; }
    std::int64_t inFeatures() const { return m_in; }
    std::int64_t blockCount() const; // ceil(out / kColumnsPerBlock)

    // x [rows, in] -> y [rows, out], both row-major and dense. `parallel` null: this thread.
    void apply(const float *x, std::int64_t rows, float *y, const ParallelFor &parallel = {},
               Kernel kernel = Kernel::Best) const;

    // The weights as stored: q[o][i] and scale[o] (for tests).
    std::int8_t weight(std::int64_t o, std::int64_t i) const;
    float weightScale(std::int64_t o) const { return m_scale[std::size_t(o)]; }
    int activationLevels() const { return m_levels; }

    // The stored form, for a file of derived weights: serializedSize() bytes (a multiple of 64)
    // that serialize() writes, and a map over such bytes that reads them in place (no copy;
    // `owner` keeps them alive, e.g. a MappedFile). fromSerialized() throws
    // std::runtime_error for bytes that are not a map of this format.
    std::size_t serializedSize() const;
    void serialize(std::uint8_t *out) const;
    static Int8Rows fromSerialized(const std::uint8_t *bytes, std::size_t size,
                                   std::shared_ptr<const void> owner);

private:
    std::int64_t m_out = 0, m_in = 0;
    std::int64_t m_pairs = 0;                       // ceil(in / 2)
    int m_levels = 127;                             // activation levels either side of zero
    std::shared_ptr<const std::int8_t[]> m_packed;  // [blocks][pairs][16 columns][2], zero padded
    std::shared_ptr<const float[]> m_scale, m_bias; // [blocks * 16], zero padded
};

} // namespace imago::flava
