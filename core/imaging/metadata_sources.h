// metadata_sources.h - where each format keeps its EXIF, XMP and IPTC blocks (the list is in
// photo_metadata.h), and the one code path that turns them into a PhotoMetadata: both
// readPhotoMetadata() and every decoder's DecodedImage::metadata come from
// photoMetadataFrom(). Internal to imago_imaging.
//
// The merge: date and camera from the EXIF alone; keywords the union of XMP, IPTC and EXIF
// (in that order); title and description from XMP, else IPTC, else EXIF. Each block's own
// reader is bounded (exif_metadata.h, xmp_metadata.h, iptc_metadata.h); so are the container
// walks here (chunk and segment lengths checked, PNG text inflated to at most 1 MiB for raw
// EXIF profiles and 8 MiB for XMP). Pure functions: thread-safe.
#pragma once

#include "byte_reader.h"
#include "format_sniffer.h"
#include "photo_metadata.h"

#include <QByteArray>

namespace imago::detail {

struct JpegMarkers;

// A file's metadata blocks, as views: into the file, or into the storage members when a
// block had to be made (inflated, decoded from hex, copied out of libheif). Copies and moves
// keep the views valid (QByteArray copies share their data); never modify the storage.
struct MetadataBlocks
{
    Bytes exif; // a TIFF structure, optionally after "Exif\0\0"
    Bytes xmp;  // an XMP packet
    Bytes iptc; // IPTC IIM datasets (out of the Photoshop resource wrapper)
    QByteArray exifStorage, xmpStorage;

    void setExif(QByteArray owned);
    void setXmp(QByteArray owned);
};

// The blocks of a file whose kind is already known; all empty for kinds without metadata.
MetadataBlocks metadataBlocksFor(FileKind kind, Bytes file);
// The blocks the JPEG marker scan found (what metadataBlocksFor does for a JPEG).
MetadataBlocks jpegMetadataBlocks(const JpegMarkers &markers);

// The merge described above.
PhotoMetadata photoMetadataFrom(const MetadataBlocks &blocks);

// photoMetadataFrom(metadataBlocksFor(kind, file)).
PhotoMetadata photoMetadataFor(FileKind kind, Bytes file);

} // namespace imago::detail
