// exif_metadata.h - PhotoMetadata from EXIF, and the other metadata blocks a TIFF file keeps
// in IFD0. Internal to imago_imaging (photo_metadata.h is the public side; metadata_sources.h
// finds the EXIF in each format and merges it with XMP and IPTC).
//
// The EXIF/TIFF structure is walked here directly rather than through libexif: libexif stops
// at 64 KiB (the JPEG APP1 limit), and a TIFF file keeps its IFDs anywhere in the file. Every
// read is bounds-checked; only IFD0 and the Exif IFD it points to are visited (no IFD chains),
// at most 512 entries each. Pure functions: thread-safe.
#pragma once

#include "byte_reader.h"
#include "photo_metadata.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QString>

#include <optional>

namespace imago::detail {

// From a TIFF structure ("II*\0" / "MM\0*"), optionally preceded by "Exif\0\0": an APP1
// payload, a PNG eXIf chunk, a WebP EXIF chunk, a HEIF Exif item, or a whole TIFF file.
// Besides the date and camera, the EXIF share of the text fields: IFD0's ImageDescription
// (camera placeholders dropped), XPTitle, XPComment, XPSubject and XPKeywords.
PhotoMetadata photoMetadataFromExif(Bytes exif);

// The values of IFD0's XMLPacket (700), IPTC-NAA (33723) and Photoshop (34377) tags in a TIFF
// file, as views into it; empty where absent or outside the data.
struct TiffMetadataBlocks
{
    Bytes xmp;
    Bytes iptc;
    Bytes photoshopResources;
};
TiffMetadataBlocks tiffMetadataBlocks(Bytes tiff);

// "YYYY:MM:DD HH:MM:SS" as EXIF writes it (also "-", "/" or "." between the date fields, "T"
// before the time, seconds missing); subSec is SubSecTime* ("90" = 900 ms). Invalid for
// blanks, zeros and out-of-range fields.
QDateTime parseExifDateTime(QByteArrayView text, QByteArrayView subSec = {});

// OffsetTime* ("+09:00", "-05:30") in seconds east of UTC; nullopt when malformed.
std::optional<int> parseExifUtcOffset(QByteArrayView text);

// The PhotoMetadata::camera rule applied to raw Make and Model strings.
QString cameraName(const QString &make, const QString &model);

// ImageMagick's "Raw profile type exif" text ("\nexif\n<length>\n<hex lines>") to bytes.
QByteArray bytesFromRawProfile(QByteArrayView text);

} // namespace imago::detail
