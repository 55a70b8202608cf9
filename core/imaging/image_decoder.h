// image_decoder.h - turns the bytes of an image file into an upright 8-bit RGB image, the way
// the FLAVA reference pipeline (Pillow's Image.open + ImageOps.exif_transpose +
// convert("RGB")) does, bit for bit where the formats allow it.
//
// What it does, in order:
//   1. detects the format from the content (magic bytes), never from the file name; files that
//      are not images get a reason naming what they look like ("not an image: PDF document");
//   2. reads the declared pixel size from the header and refuses anything over the pixel
//      budget (DecodeLimits) or with a side over kMaxImageSide, before allocating pixels;
//   3. decodes: JPEG through TurboJPEG (libjpeg-turbo, ISLOW IDCT, fancy upsampling; the
//      TurboJPEG API returns errors, it never calls exit()), optionally at a DCT-domain scale
//      of 1/2, 1/4 or 1/8 (DecodeRequest::minSide); PNG, GIF, BMP, WebP, TIFF, ICO and PNM
//      through QImageReader. HEIF/AVIF are recognised and refused for now;
//   4. converts to RGB like Pillow: gray -> R=G=B; alpha dropped without compositing; palette
//      -> palette colours; 4-channel (CMYK/YCCK) JPEGs un-inverted (Adobe) then Pillow's
//      CMYK formula; 16-bit colour keeps the high byte; 16-bit gray is clipped to 255 (Pillow
//      opens it as a 32-bit integer image and convert("RGB") clips);
//   5. applies the EXIF orientation (1-8) exactly once: from the first APP1 Exif segment of a
//      JPEG, the eXIf chunk (or ImageMagick raw-profile / XMP text) of a PNG, the EXIF chunk
//      of a WebP, the Orientation tag of a TIFF. Qt's own auto-transform is always off.
//
// Truncated JPEGs ("Premature end of JPEG file") are refused, as Pillow refuses them; other
// libjpeg warnings (extraneous bytes, corrupt entropy data) still produce an image, as in
// Pillow, and are logged on the imago.imaging category.
//
// Where the result is known to differ from Pillow 9.4 (the corpus tests list these):
//   - TIFF orientation is applied once; Pillow 9.4 applies it twice (load and exif_transpose);
//   - CMYK TIFFs go through libtiff's RGBA reader (Qt 6.4), +-1 level from Pillow's formula;
//   - ICO: Qt reads the first icon of the file, Pillow the largest;
//   - PNGs with a bad CRC or oversized chunks are refused by libpng where Pillow is lenient.
//
// Threading: every function is reentrant and may run concurrently on any number of threads
// (each thread keeps its own TurboJPEG handle). Results own their pixels.
#pragma once

#include "rgb_image.h"

#include <QByteArrayView>
#include <QString>

#include <cstdint>
#include <optional>

namespace imago {

// Longest side accepted whatever the pixel budget (panoramas stay far below it).
inline constexpr std::uint64_t kMaxImageSide = 1u << 20;

struct DecodeLimits
{
    // Pillow's decompression-bomb threshold (2 x 89,478,485): more declared pixels is refused.
    std::uint64_t maxPixels = 178956970;
    // Files above this are refused before being read.
    std::uint64_t maxFileBytes = 512ull << 20;
};

struct DecodeRequest
{
    // 0: full-resolution decode. N > 0: a JPEG is decoded at the smallest DCT scale (1/2, 1/4,
    // 1/8) that Pillow's Image.draft((N, N)) would pick - the largest s with s * N <= both
    // stored sides - giving ceil(w / s) x ceil(h / s) pixels. Other formats ignore it.
    int minSide = 0;
    DecodeLimits limits;
};

struct DecodedImage
{
    RgbImage image;        // upright (EXIF applied), RGB; scaled when minSide asked for it
    int orientedWidth = 0; // full-resolution size after orientation, whatever the decode scale
    int orientedHeight = 0;
    int exifOrientation = 1; // the orientation applied, 1-8 (1 when absent or invalid)
    QString format;          // "JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF", "ICO", "PNM"
};

struct DecodeResult
{
    std::optional<DecodedImage> decoded;
    QString error; // why decoding failed, for the user and the log; empty on success

    bool ok() const { return decoded.has_value(); }
};

// Reads the file (refusing it when larger than limits.maxFileBytes) and decodes it.
DecodeResult decodeImageFile(const QString &path, const DecodeRequest &req = {});

// Decodes bytes already in memory. The bytes are only read during the call.
DecodeResult decodeImageData(QByteArrayView bytes, const DecodeRequest &req = {});

} // namespace imago
