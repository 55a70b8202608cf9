// resize.h - Pillow's 8-bit BICUBIC resampler, bit for bit (Image.resize(size, BICUBIC) on an
// RGB image, Pillow 9.4 Resample.c), as specified in shared/flava-reference/README.md
// "Spec: Pillow bicubic resize".
//
// Separable: a horizontal pass (width in -> out, every row) rounded to an 8-bit intermediate,
// then a vertical pass; a pass whose size does not change is skipped. Each pass convolves with
// the a = -0.5 cubic kernel stretched by max(1, in/out) (antialiasing when shrinking), its
// weights normalised in double precision and rounded to 22-bit fixed point, accumulated in
// 32-bit integers with a rounding bias of 2^21, shifted and clamped to 0..255. The aspect
// ratio is whatever the caller asks for (FLAVA squashes to a square).
//
// Threading: reentrant. The taps for an (in, out) size pair are computed once and kept in a
// small per-thread cache, since photos of one camera share a size.
#pragma once

#include "rgb_image.h"

#include <cstdint>
#include <vector>

namespace imago {

// Returns src resized to outWidth x outHeight (both >= 1). An empty src gives an empty image.
RgbImage resizeBicubic(const RgbImage &src, int outWidth, int outHeight);

// The fixed-point taps of one pass, inSize -> outSize samples: output i is
// clamp((2^21 + sum_j in[first(i) + j] * weights(i)[j]) >> 22) for j < count(i).
class BicubicTaps
{
public:
    static constexpr int kPrecisionBits = 22;

    BicubicTaps(int inSize, int outSize);

    int inSize() const { return m_inSize; }
    int outSize() const { return m_outSize; }
    int first(int i) const { return m_first[std::size_t(i)]; }
    int count(int i) const { return m_count[std::size_t(i)]; }
    const std::int32_t *weights(int i) const
    {
        return m_weights.data() + std::size_t(i) * m_stride;
    }

private:
    int m_inSize = 0;
    int m_outSize = 0;
    std::size_t m_stride = 0; // weights per output index (the widest support)
    std::vector<int> m_first;
    std::vector<int> m_count;
    std::vector<std::int32_t> m_weights;
};

} // namespace imago
