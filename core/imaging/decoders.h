// decoders.h - the per-format decoders behind decodeImageData(). Internal to imago_imaging.
//
// Each returns the stored-orientation-corrected image (EXIF applied) or an error; the caller
// has already sniffed the format and checked the byte limit. All are reentrant.
#pragma once

#include "byte_reader.h"
#include "format_sniffer.h"
#include "image_decoder.h"
#include "metadata_sources.h"

#include <vector>

namespace imago::detail {

// Refuses empty or over-budget declared sizes (empty_image, too_many_pixels, side_too_long);
// an empty Reason when the size is acceptable.
Reason checkPixelBudget(std::uint64_t width, std::uint64_t height, const DecodeLimits &limits);

// A failed DecodeResult carrying `why`.
DecodeResult refuse(Reason why);

// Pillow's JpegImageFile.draft rule for a square target: the largest s in {8, 4, 2, 1} with
// s <= min(width / minSide, height / minSide) (integer division). 1 when minSide <= 0.
int jpegDraftScale(int width, int height, int minSide);

// What the JPEG marker segments before the first scan say (a tolerant walk, like libjpeg's).
struct JpegMarkers
{
    bool hasFrame = false; // an SOFn segment was found
    int frameType = 0;     // n of SOFn (0 baseline, 1 extended, 2 progressive, 3 lossless...)
    int precision = 0;
    int width = 0, height = 0, components = 0;
    Bytes exif; // payload of the first APP1 that starts "Exif\0", empty if none
    Bytes xmp;  // the first APP1 "http://ns.adobe.com/xap/1.0/\0" after that header
    // The first APP13 "Photoshop 3.0\0" after that header: Photoshop image resources.
    Bytes photoshopResources;
};
JpegMarkers scanJpegMarkers(Bytes bytes);

DecodeResult decodeJpeg(Bytes bytes, const DecodeRequest &req);

// What decodeJpegWithLibjpeg produced: the stored samples, 1 (gray), 3 (RGB) or 4 (CMYK as
// stored: Adobe-inverted, YCCK already turned into CMYK) bytes a pixel, or why not.
struct LibjpegImage
{
    int width = 0, height = 0;       // the frame's size
    int outWidth = 0, outHeight = 0; // after DCT scaling
    int channels = 0;
    std::vector<std::uint8_t> pixels;
    QString error;          // libjpeg's message; empty on success
    bool truncated = false; // the error is libjpeg's "Premature end of JPEG file"
    Reason sizeError;       // checkPixelBudget's refusal of the frame's size
    QString warning;        // the first libjpeg warning of a decode that succeeded
};

// The libjpeg API decode (libjpeg_decoder.cpp) for the sampling layouts TurboJPEG's header
// check refuses; at the scale jpegDraftScale(width, height, minSide) picks. Reentrant.
LibjpegImage decodeJpegWithLibjpeg(Bytes bytes, int minSide, const DecodeLimits &limits);

// PNG, GIF, BMP, ICO, PNM through QImageReader.
DecodeResult decodeWithQt(Bytes bytes, FileKind kind, const DecodeRequest &req);

// WebP, still or animated (the first frame's canvas), through libwebp (webp_decoder.cpp).
DecodeResult decodeWebp(Bytes bytes, const DecodeRequest &req);

// TIFF through libtiff (tiff_decoder.cpp says which layouts match Pillow).
DecodeResult decodeTiff(Bytes bytes, const DecodeRequest &req);

// HEIF and AVIF through libheif (heif_decoder.cpp).
DecodeResult decodeHeif(Bytes bytes, FileKind kind, const DecodeRequest &req);

// The primary image's Exif item of a HEIF/AVIF file, from the TIFF header on (libheif's
// 4-byte offset prefix resolved); empty when there is none or the file does not parse.
QByteArray heifExifBlock(Bytes bytes);

// That Exif item and the primary image's XMP ("mime" item of type application/rdf+xml), for
// photoMetadataFrom(); empty when the file does not parse.
MetadataBlocks heifMetadataBlocks(Bytes bytes);

} // namespace imago::detail
