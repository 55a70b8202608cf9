// iptc_metadata.h - keywords, title and description from IPTC IIM datasets, and finding them
// in a Photoshop image resource block. Internal to imago_imaging (photo_metadata.h says where
// each format keeps them).
//
// IIM (IPTC-NAA Information Interchange Model 4.2): a run of datasets, each 0x1C, record,
// dataset number, a 2-byte big-endian length (or, with the top bit set, the number of bytes
// of a longer length that follows), then the value. Read: 2:25 Keywords (repeatable) ->
// keywords, 2:05 Object Name -> title, 2:120 Caption-Abstract -> description. Text is UTF-8
// when 1:90 (Coded Character Set) is ESC % G or when the value is valid UTF-8, else Latin-1.
//
// Every length is checked against the data; the walk stops at the first byte that does not
// start a dataset. Pure functions: thread-safe.
#pragma once

#include "byte_reader.h"
#include "photo_metadata.h"

namespace imago::detail {

// PhotoMetadata with only keywords, title and description set; empty when nothing is found.
PhotoMetadata photoTextFromIptc(Bytes iim);

// The data of image resource 0x0404 (IPTC-NAA) in a Photoshop image resource block (a run of
// "8BIM", 2-byte id, even-padded Pascal name, 4-byte size, even-padded data: what follows
// "Photoshop 3.0\0" in a JPEG APP13, or TIFF tag 34377). A resource cut short gives what
// is there. Empty when absent.
Bytes iptcFromPhotoshopResources(Bytes resources);

} // namespace imago::detail
