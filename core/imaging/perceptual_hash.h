// perceptual_hash.h - a fingerprint that tells "the same picture" (a resized, recompressed,
// slightly cropped or brightened copy) from merely similar scenes, for `imago-cli duplicates`:
// the image embeddings propose candidate pairs, isNearDuplicate() confirms them from the pixels.
//
// How (a DCT hash, as published by Zauner / pHash, plus two guards measured to be needed):
//   1. luma (BT.601) of the whole, already EXIF-oriented image, area-averaged down to 32x32 in
//      exact integer arithmetic (every pixel weighted by its overlap with the cell), so the
//      aspect ratio is squashed away;
//   2. the 8x8 lowest 2-D DCT-II frequencies (orthonormal, double precision, fixed summation
//      order, a literal cosine table: no libm, no FMA - imago_imaging builds with
//      -ffp-contract=off), DC dropped; bit k = AC coefficient k above the median of the 63.
//      Comparing against the median makes the bits blind to brightness and contrast;
//   3. crops: the same 63-bit hash also of five crop windows of the image (5 % off the left,
//      the top, the right, the bottom; 2.5 % off every side). hashDistance() is the smallest
//      Hamming distance between one image's whole frame and the other's whole frame or one of
//      its windows, so a copy cut by about that much is compared with the matching part of its
//      original. A plain whole-frame hash put 5 % one-side crops at a median Hamming distance
//      of 14 of 63 (as far as two different toy scenes), the windows bring them to 0-6;
//   4. colour: a 4x4 grid of mean Y, Cb, Cr (48 bytes) of the whole frame. Luma alone cannot
//      tell a blue star from a green star on the same beige background (Hamming 2-4): the
//      grid can (max cell difference 56);
//   5. shape: the aspect ratio, |ln(aspect a / aspect b)|, since the 32x32 squash hides it
//      (a green circle on 4:3 gray and one on 3:4 white were Hamming 2 apart).
//
// isNearDuplicate(a, b) needs all three: hashDistance <= kNearDuplicateDistance,
// colourDistance <= kNearDuplicateColourDistance and aspectDistance <=
// kNearDuplicateAspectDistance.
//
// Measured (tests/imaging/tst_perceptualhash.cpp prints these): 245 distinct originals (45
// corpus pictures, 200 flava-toy scenes of 1-2 shapes), 237 with a valid hash, 4740 near
// copies (resize 50-70 %, JPEG q60-75, crops of 2-5 % on one, two or four sides, brightness
// +15 / x0.9, and combinations), 27,966 distinct pairs:
//   copies, Hamming:  p50 0, p90 2, p95 4, p99 8 (toy scenes p99 6, max 10); most misses
//                     are smooth gradients (RGB_10__128x128.heif, restarts.jpg, basn0g16.png)
//   copies, colour:   p50 9, p95 22, p99 29;  copies, aspect: p99 0.055, max 0.065
//   distinct, Hamming: corpus-corpus min 16 (p50 28), corpus-toy min 12, toy-toy min 2 (blue
//                     vs green star, green circle on 4:3 gray vs on 3:4 white)
//   distinct pairs within the colour and aspect thresholds: Hamming min 10 (two black stars
//                     on gray), then 12; the nearest within Hamming and aspect is colour 54,
//                     the nearest within Hamming and colour is aspect 0.122.
//   -> kNearDuplicateDistance 6 (98.6 % of the copies by Hamming alone, 4 below the nearest
//      distinct pair), colour 40, aspect 0.08: 98.5 % of the copies match, no distinct pair.
//
// Limits: flat images (largest |AC| < kPerceptualHashFlatAc: a uniform colour, a lens-cap
// shot) and images under 8 px on a side get an invalid hash, which matches nothing. Smooth
// gradients hash mostly from tiny coefficients and lose their bits to JPEG noise. Rotations,
// mirrors and crops beyond ~6 % are not duplicates here.
//
// Threading: pure functions of their arguments; call them from any number of threads.
// Results are bit-identical on every CPU (integer averaging, IEEE double without contraction).
#pragma once

#include "rgb_image.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace imago {

inline constexpr int kPerceptualHashMinSide = 8;   // smaller images: invalid hash
inline constexpr int kPerceptualHashBits = 63;     // bits per window (bit 63 is always 0)
inline constexpr int kPerceptualHashWindows = 6;   // whole frame + five crop windows
inline constexpr double kPerceptualHashFlatAc = 4; // below: a flat image, invalid hash

// The thresholds of isNearDuplicate(), chosen from the measurements above.
inline constexpr int kNearDuplicateDistance = 6;             // Hamming, of 63
inline constexpr int kNearDuplicateColourDistance = 40;      // max |difference| of a grid cell
inline constexpr double kNearDuplicateAspectDistance = 0.08; // |ln(aspect ratio a / b)|

struct PerceptualHash
{
    // bits[0]: the whole frame; bits[1..4]: 5 % cut off the left, top, right, bottom;
    // bits[5]: 2.5 % off every side. Bit k is DCT coefficient k + 1 (row-major u * 8 + v).
    std::array<std::uint64_t, kPerceptualHashWindows> bits{};
    // Mean Y [0..15], Cb + 128 [16..31], Cr + 128 [32..47] of a 4x4 grid, row-major.
    std::array<std::uint8_t, 48> colour{};
    int width = 0; // of the image hashed
    int height = 0;
    bool valid = false;

    friend bool operator==(const PerceptualHash &, const PerceptualHash &) = default;
};

// The fingerprint of the whole (EXIF-oriented) image. Invalid when a side is under
// kPerceptualHashMinSide or the image is flat. Reads the pixels once per window (six passes).
PerceptualHash perceptualHash(const RgbImage &image);

// The smallest Hamming distance (0..63) between one hash's whole frame and the other's whole
// frame or crop windows; kPerceptualHashBits + 1 when either hash is invalid. Symmetric.
int hashDistance(const PerceptualHash &a, const PerceptualHash &b);

// The largest difference of one colour grid value (0..255); 256 when either is invalid.
int colourDistance(const PerceptualHash &a, const PerceptualHash &b);

// |ln(aspect ratio of a / aspect ratio of b)|; infinity when either is invalid.
double aspectDistance(const PerceptualHash &a, const PerceptualHash &b);

// Both valid and within all three thresholds above.
bool isNearDuplicate(const PerceptualHash &a, const PerceptualHash &b);

// A fixed-size little-endian blob for the catalog (SQLite BLOB): a version byte (0 for an
// invalid hash), the six words, the colour grid, width and height as uint32.
inline constexpr std::uint8_t kPerceptualHashVersion = 1;
inline constexpr std::size_t kPerceptualHashBytes = 1 + 8 * kPerceptualHashWindows + 48 + 8;
std::array<std::uint8_t, kPerceptualHashBytes> perceptualHashToBytes(const PerceptualHash &hash);
// The hash back; invalid for a blob of another size or version.
PerceptualHash perceptualHashFromBytes(const std::uint8_t *bytes, std::size_t size);

} // namespace imago
