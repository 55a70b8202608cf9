// rgb_image.h - the 8-bit RGB raster that flows from the decoders to the resizer.
//
// A plain value type: owns its pixels, copyable and movable, no Qt. Pixels are interleaved
// R, G, B bytes (HWC), rows stored top to bottom with no padding, so pixel (x, y) channel c is
// pixels[(y * width + x) * 3 + c]. An empty image has width == height == 0 and no pixels.
// Not synchronised: share a const image between threads, never a mutable one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace imago {

struct RgbImage
{
    int width = 0;
    int height = 0;
    std::vector<std::uint8_t> pixels; // width * height * 3 bytes

    static constexpr int kChannels = 3;

    bool isEmpty() const { return width <= 0 || height <= 0; }
    std::size_t rowBytes() const { return static_cast<std::size_t>(width) * kChannels; }
    std::size_t byteCount() const { return rowBytes() * static_cast<std::size_t>(height); }
};

} // namespace imago
