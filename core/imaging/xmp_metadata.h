// xmp_metadata.h - keywords, title and description from an XMP packet. Internal to
// imago_imaging (photo_metadata.h says where each format keeps its packet).
//
// Read with QXmlStreamReader, matching on namespace URIs (Dublin Core
// http://purl.org/dc/elements/1.1/, RDF http://www.w3.org/1999/02/22-rdf-syntax-ns#, Adobe's
// Lightroom and Photoshop schemas), never on prefixes, so a packet that binds "dc" to another
// prefix reads the same. Only the properties of the top-level rdf:Description elements (child
// of rdf:RDF) are read, in both the element form (rdf:Bag/Seq/Alt of rdf:li, or a plain text
// value) and the attribute shorthand (dc:title="..." on rdf:Description).
//
// Hostile packets: over 8 MiB is not read; a DTD (XMP has none; it is where entity bombs
// live) rejects the packet, and so does any XML error before the root element closes (junk
// after it, such as NUL padding, is ignored). Pure function: thread-safe.
#pragma once

#include "byte_reader.h"
#include "photo_metadata.h"

namespace imago::detail {

// Larger packets are not read.
constexpr std::size_t kMaxXmpPacketBytes = 8u << 20;

// PhotoMetadata with only keywords, title and description set (see photo_metadata.h for
// which XMP property gives which); empty for anything malformed.
PhotoMetadata photoTextFromXmp(Bytes packet);

} // namespace imago::detail
