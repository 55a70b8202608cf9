// image_decoder.h - turns the bytes of an image file into an upright 8-bit RGB image, the way
// the FLAVA reference pipeline (Pillow's Image.open + ImageOps.exif_transpose +
// convert("RGB")) does, bit for bit where the formats allow it.
//
// What it does, in order:
//   1. detects the format from the content (magic bytes), never from the file name; files that
//      are not images get a reason naming what they look like ("not an image: PDF document"),
//      camera RAW files "camera RAW files are not supported (Canon CR2)";
//   2. refuses files over DecodeLimits::maxFileBytes, then reads the declared pixel size from
//      the header and refuses anything over the pixel budget (DecodeLimits::maxPixels) or with
//      a side over kMaxImageSide, before allocating pixels;
//   3. decodes: JPEG through TurboJPEG (libjpeg-turbo, ISLOW IDCT, fancy upsampling; the
//      TurboJPEG API returns errors, it never calls exit()), optionally at a DCT-domain scale
//      of 1/2, 1/4 or 1/8 (DecodeRequest::minSide); sampling layouts TurboJPEG cannot
//      classify (a CMYK file with 2x2 C and 1x1 M, Y, K; 4x2, 3x1, mixed 2x1/1x2 factors)
//      through the libjpeg API with the same settings; 12-bit, 16-bit and lossless JPEGs are
//      refused by name (Debian's libjpeg-turbo 2.1 is 8-bit only), arithmetic-coded ones
//      decode (or, with a libjpeg built without it, are refused by name); TIFF through libtiff
//      (tiff_decoder.cpp); HEIF and AVIF through libheif (heif_decoder.cpp; AVIF needs a
//      libheif with an AV1 decoder, else it is refused by name); WebP through libwebp's
//      animation decoder, as Pillow (webp_decoder.cpp: the first frame on a transparent black
//      canvas, the ANIM background colour ignored); PNG, GIF, BMP, ICO and PNM through
//      QImageReader. Animated and multi-page files give their first frame/page;
//   4. converts to RGB like Pillow: gray -> R=G=B; alpha dropped without compositing (TIFF RGB
//      with associated alpha is un-premultiplied first, as Pillow's "RGBa" unpacker does on
//      8-bit samples, so it gives the colours the same picture with plain alpha gives); palette
//      -> palette colours; 4-channel (CMYK/YCCK) JPEGs un-inverted (Adobe) then Pillow's
//      CMYK formula; 16-bit colour keeps the high byte; 16-bit gray is clipped to 255 (Pillow
//      opens it as a 32-bit integer image and convert("RGB") clips);
//   5. applies the EXIF orientation (1-8) exactly once: from the first APP1 Exif segment of a
//      JPEG, the eXIf chunk (or ImageMagick raw-profile / XMP text) of a PNG, the EXIF chunk
//      of a WebP, the Orientation tag of a TIFF. Qt's own auto-transform is always off. HEIF
//      and AVIF are the exception: libheif applies the container's irot/imir/clap, which is
//      their orientation, and their EXIF Orientation tag is NOT applied on top;
//   6. reads the capture time and camera from the EXIF, and the keywords, title and
//      description from XMP, IPTC and EXIF (photo_metadata.h).
//
// Truncated JPEGs ("Premature end of JPEG file") are refused, as Pillow refuses them; other
// libjpeg warnings (extraneous bytes, corrupt entropy data) still produce an image, as in
// Pillow, and are logged on the imago.imaging category.
//
// Where the result is known to differ from Pillow 9.4 (the corpus tests list these):
//   - TIFF orientation is applied once; Pillow 9.4 applies it twice (load and exif_transpose);
//   - TIFF layouts Pillow unpacks itself but libtiff's RGBA reader handles here (planar
//     separate samples, YCbCr without JPEG, old-style JPEG) may differ by a level, and keep
//     associated alpha premultiplied (the direct path un-premultiplies as Pillow does);
//   - HEIF/AVIF: Pillow 9.4 cannot open them at all (tested against ImageMagick + libheif);
//   - ICO: Qt reads the first icon of the file, Pillow the largest;
//   - PNGs with a bad CRC or oversized chunks are refused by libpng where Pillow is lenient.
//
// Threading: every function is reentrant and may run concurrently on any number of threads
// (TurboJPEG, libjpeg, libtiff and libheif get a fresh handle/context per call, with per-call
// error handlers: no tables or state carry over from one file to the next). A decode uses only
// the calling thread, except that libheif's AV1 decoder may start its own worker threads.
// Results own their pixels.
#pragma once

#include "photo_metadata.h"
#include "reason.h"
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
    // Checked against every size a header declares (JPEG SOF, PNG IHDR, GIF frames, BMP, WebP,
    // TIFF IFD0, HEIF ispe and output size) before the decoder allocates.
    std::uint64_t maxPixels = 178956970;
    // Files above this are refused before being read (decodeImageFile) or parsed.
    std::uint64_t maxFileBytes = 512ull << 20;
};

struct DecodeRequest
{
    // 0: full-resolution decode. N > 0: a JPEG is decoded at the smallest DCT scale (1/2, 1/4,
    // 1/8) that Pillow's Image.draft((N, N)) would pick - the largest s with s * N <= both
    // stored sides - giving ceil(w / s) x ceil(h / s) pixels. Other formats ignore it.
    // Use the fast path through preprocess.h or bench/imaging_benchmark.h to see what it buys.
    int minSide = 0;
    DecodeLimits limits;
};

struct DecodedImage
{
    RgbImage image;        // upright (EXIF applied), RGB; scaled when minSide asked for it
    int orientedWidth = 0; // full-resolution size after orientation, whatever the decode scale
    int orientedHeight = 0;
    // The EXIF orientation applied, 1-8 (1 when absent or invalid; always 1 for HEIF/AVIF,
    // whose orientation libheif applies from the container).
    int exifOrientation = 1;
    // "JPEG", "PNG", "GIF", "BMP", "WEBP", "TIFF", "ICO", "PNM", "HEIF", "AVIF"
    QString format;
    PhotoMetadata metadata; // date, camera, keywords, title, description; empty when absent
};

struct DecodeResult
{
    std::optional<DecodedImage> decoded;
    QString error;    // why decoding failed, for the user and the log; empty on success
    QString code;     // the same as a stable reason code (reason.h); empty on success
    QStringList args; // the values in the sentence, for a translated one (reason.h)

    bool ok() const { return decoded.has_value(); }
    Reason reason() const { return Reason{code, error, args}; }
};

// A failed result with the given reason.
DecodeResult decodeFailure(const char *code, QString message, QStringList args = {});

// "file is 612.0 MB, over the 512.0 MB limit" (file_too_large), as decodeImageFile says it.
Reason fileTooLargeReason(std::uint64_t bytes, std::uint64_t limit);

// Reads the file (refusing it when larger than limits.maxFileBytes) and decodes it.
DecodeResult decodeImageFile(const QString &path, const DecodeRequest &req = {});

// Decodes bytes already in memory. The bytes are only read during the call.
DecodeResult decodeImageData(QByteArrayView bytes, const DecodeRequest &req = {});

// How many leading bytes looksLikePhoto() needs (fewer when the file is shorter).
inline constexpr qsizetype kPhotoSniffBytes = 512;

// True when the first bytes of a file are those of a format decodeImageData() decodes, or of
// a camera RAW file (which it refuses by name): the content test the scanner applies to a
// file whose name has no extension. Looks at the magic bytes only, like step 1 above.
bool looksLikePhoto(QByteArrayView head);

} // namespace imago
