// photo_metadata.h - the facts the catalog keeps about a photo: when it was taken, with which
// camera, and the words people gave it (keywords, title, description). Filled by the decoders
// (DecodedImage::metadata) from the same blocks the orientation comes from, or read on its own
// by readPhotoMetadata() without decoding pixels; both go through one code path
// (metadata_sources.h).
//
// Where the EXIF comes from: JPEG: the first APP1 "Exif" segment; TIFF (and TIFF-based RAW):
// the file's own IFD0 and its Exif IFD; PNG: the eXIf chunk, else ImageMagick's "Raw profile
// type exif" text (tEXt/zTXt/iTXt, inflated to at most 1 MiB); WebP: the EXIF chunk; HEIF/AVIF:
// the "Exif" metadata item (through libheif).
// Where the XMP comes from: JPEG: the first APP1 "http://ns.adobe.com/xap/1.0/" segment
// (ExtendedXMP is not read); TIFF: tag 700 (XMLPacket); PNG: the iTXt chunk
// "XML:com.adobe.xmp" (compressed or not); WebP: the "XMP " chunk; HEIF/AVIF: the "mime" item
// of content type application/rdf+xml.
// Where the IPTC IIM comes from: JPEG: the first APP13 "Photoshop 3.0" segment, image
// resource 0x0404; TIFF: tag 33723 (IPTC-NAA), else resource 0x0404 of tag 34377 (Photoshop).
//
// Broken metadata never fails a decode: every offset and count is bounds-checked, EXIF strings
// are cut at 256 bytes (the text fields at 2,000 bytes of UTF-8), at most two IFDs (IFD0 and
// the Exif IFD) are visited, at most 200 keywords are kept, malformed XML (or XML with a DTD,
// which XMP never has) gives no XMP text, and whatever is missing or malformed is simply left
// empty.
//
// Threading: pure functions of the bytes, reentrant.
#pragma once

#include <QByteArrayView>
#include <QDateTime>
#include <QString>
#include <QStringList>

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

    // The text a person attached to the photo, merged from XMP, IPTC IIM and EXIF. Every
    // string is whitespace-trimmed, at most 2,000 bytes in UTF-8, never blank.
    //
    // Keywords: XMP dc:subject, then the last level of each XMP lr:hierarchicalSubject
    // ("Places|Europe|Zürich" gives "Zürich"), then IPTC 2:25 Keywords, then EXIF XPKeywords
    // (";"-separated); in that order, a keyword that repeats an earlier one (ignoring case)
    // dropped; at most 200.
    QStringList keywords; // de-duplicated (case-insensitive), trimmed, in file order
    // XMP dc:title (the x-default alternative, else the first), else XMP photoshop:Headline,
    // else IPTC 2:05 Object Name, else EXIF XPTitle.
    QString title;
    // XMP dc:description (x-default, else the first), else IPTC 2:120 Caption-Abstract, else
    // EXIF ImageDescription (unless it is a camera's placeholder such as "OLYMPUS DIGITAL
    // CAMERA" or repeats Make/Model), else XPComment, else XPSubject.
    QString description;

    bool isEmpty() const
    {
        return !capturedAt.isValid() && camera.isEmpty() && keywords.isEmpty() && title.isEmpty() &&
               description.isEmpty();
    }
};

// The metadata of an image file held in memory, found from the content (not the name), for
// every format image_decoder.h decodes plus TIFF-based camera RAW. Empty for anything else.
PhotoMetadata readPhotoMetadata(QByteArrayView fileBytes);

} // namespace imago
