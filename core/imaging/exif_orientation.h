// exif_orientation.h - finding the EXIF Orientation tag in the containers Pillow reads it from,
// and applying it to an RgbImage exactly like PIL.ImageOps.exif_transpose. Internal to
// imago_imaging.
//
// The EXIF block itself is parsed by libexif (IFD0 only matters here; libexif's "fix the data
// to the spec" pass is switched off so it reports what the file says). Where Pillow looks:
//   JPEG: the first APP1 segment starting "Exif\0" (found by the JPEG marker scan);
//   PNG:  the eXIf chunk; without one, ImageMagick's "Raw profile type exif" text; and when
//         the EXIF has no Orientation, an XMP packet's tiff:Orientation (text chunks are read
//         by Qt and handed in as strings);
//   WebP: the EXIF chunk;
//   TIFF: its own Orientation tag (QImageReader reports it; Pillow 9.4 applies it twice, once
//         on load and again in exif_transpose - a bug we do not copy: applied once here).
// Values outside 1..8 mean "leave as stored", as in Pillow. Pure functions: thread-safe.
#pragma once

#include "byte_reader.h"
#include "rgb_image.h"

#include <QString>

#include <optional>

namespace imago::detail {

// The Orientation value of IFD0 of an EXIF block that starts with "Exif\0\0" or directly with
// the TIFF header ("II*\0" / "MM\0*"). nullopt when the tag (or the block) is absent or
// unreadable; the raw value otherwise, valid or not.
std::optional<int> orientationFromExifBlock(Bytes exif);

// The payload of a PNG's eXIf chunk / a WebP's EXIF chunk (bounded chunk walks); nullopt when
// the file has none or it runs past the end of the data.
std::optional<Bytes> findPngExifChunk(Bytes png);
std::optional<Bytes> findWebpExifChunk(Bytes webp);

// Walks a PNG's chunks for eXIf. Outer nullopt: no eXIf chunk; inner: the tag inside it.
std::optional<std::optional<int>> orientationFromPngExifChunk(Bytes png);

// The EXIF chunk of a RIFF/WebP file; nullopt when there is none or it has no Orientation.
std::optional<int> orientationFromWebpExifChunk(Bytes webp);

// ImageMagick's "Raw profile type exif" PNG text: "\nexif\n<length>\n<hex lines>".
std::optional<int> orientationFromRawProfileText(const QString &text);

// Pillow's XMP fallback: the digit after tiff:Orientation=" or tiff:Orientation>.
std::optional<int> orientationFromXmp(const QString &xmp);

// 1..8 stays, anything else (absent, 0, 9, 65535) becomes 1.
int normalizedOrientation(std::optional<int> value);

// Orientations 5-8 swap width and height.
constexpr bool orientationSwapsAxes(int orientation)
{
    return orientation >= 5 && orientation <= 8;
}

// Returns the image as it should be displayed: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
// 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise. 1-4 work in place;
// 5-8 allocate the rotated image and release the input.
RgbImage applyOrientation(RgbImage image, int orientation);

} // namespace imago::detail
