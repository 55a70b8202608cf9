// photo_text.h - the limits and the merge rule shared by the readers of the text a photo
// carries (XMP in xmp_metadata.h, IPTC IIM in iptc_metadata.h, EXIF in exif_metadata.h); see
// PhotoMetadata::keywords, title and description. Internal to imago_imaging. Pure functions:
// thread-safe.
#pragma once

#include "photo_metadata.h"

#include <QByteArrayView>
#include <QString>
#include <QStringList>

namespace imago::detail {

// Each text value is cut to this many bytes of UTF-8 (at a character boundary).
constexpr qsizetype kMaxTextBytes = 2000;
// PhotoMetadata::keywords holds at most this many.
constexpr qsizetype kMaxKeywords = 200;
// A reader looks at no more than this many characters (or bytes) of one raw value, so one
// huge value costs no more than a normal one.
constexpr qsizetype kMaxRawTextLength = 8 * kMaxTextBytes;

// `text` trimmed and cut to kMaxTextBytes of UTF-8 (trimmed again after the cut).
QString boundedText(const QString &text);

// Appends boundedText(keyword) to `keywords` unless it is blank, repeats one already there
// (ignoring case), or the list is full (kMaxKeywords).
void addKeyword(QStringList &keywords, const QString &keyword);

// Fills what `into` lacks from a source of lower priority: its keywords are appended (by
// addKeyword), its title and description taken when `into` has none. Dates and camera are
// left alone.
void mergeText(PhotoMetadata &into, const PhotoMetadata &lowerPriority);

// Bytes in an unstated 8-bit encoding: UTF-8 when they are valid UTF-8, else Latin-1.
QString utf8OrLatin1(QByteArrayView bytes);

} // namespace imago::detail
