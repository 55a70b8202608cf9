// photo_metadata.h - the EXIF facts the catalog keeps about a photo: when it was taken and with
// which camera. Filled by the decoders (DecodedImage::metadata) from the same EXIF block the
// orientation comes from, or read on its own by readPhotoMetadata() without decoding pixels.
//
// Where the EXIF comes from: JPEG: the first APP1 "Exif" segment; TIFF (and TIFF-based RAW):
// the file's own IFD0 and its Exif IFD; PNG: the eXIf chunk, else ImageMagick's "Raw profile
// type exif" text (tEXt/zTXt/iTXt, inflated to at most 1 MiB); WebP: the EXIF chunk; HEIF/AVIF:
// the "Exif" metadata item (through libheif). XMP is not read.
//
// Broken EXIF never fails a decode: every offset and count is bounds-checked, strings are cut
// at 256 bytes, at most two IFDs (IFD0 and the Exif IFD) are visited, and whatever is missing
// or malformed is simply left empty.
//
// Threading: pure functions of the bytes, reentrant.
#pragma once

#include <QByteArrayView>
#include <QDateTime>
#include <QString>

#include <optional>

namespace imago {

struct PhotoMetadata
{
    // When the photo was taken: EXIF DateTimeOriginal, else DateTimeDigitized, else DateTime
    // (the first one that parses as a real date), with SubSecTime* milliseconds when present.
    //
    // A "floating" wall-clock time: the digits the camera wrote, in whatever zone its clock
    // was set to. It is stored with Qt::UTC as its time spec only so that Qt never shifts it
    // (Qt::LocalTime would reinterpret it in this machine's zone and move times that fall in
    // a DST gap); it is NOT a UTC instant. Show it with toString() as is, never toLocalTime().
    // Invalid when no date tag parses ("0000:00:00 00:00:00", "2017:08:21 15:08:70", blank).
    QDateTime capturedAt;
    // The camera's offset from UTC for capturedAt (EXIF 2.31 OffsetTimeOriginal and friends,
    // the one belonging to the tag capturedAt came from), in seconds east of UTC. When present,
    // capturedAt minus this offset is the UTC instant. Absent for most cameras before ~2018.
    std::optional<int> utcOffsetSeconds;
    // "Make Model", whitespace-simplified. When Model already names the maker - it starts with
    // Make ("Canon" + "Canon EOS 40D") or with Make's first word ("NIKON CORPORATION" +
    // "NIKON D70") - Model alone. Empty when neither tag is present.
    QString camera;

    bool isEmpty() const { return !capturedAt.isValid() && camera.isEmpty(); }
};

// The metadata of an image file held in memory, found from the content (not the name), for
// every format image_decoder.h decodes plus TIFF-based camera RAW. Empty for anything else.
PhotoMetadata readPhotoMetadata(QByteArrayView fileBytes);

} // namespace imago
