#!/bin/sh
# The text-metadata fixtures (keywords, title, description; tst_photometadata's
# exiftoolFixtures), written by ExifTool - an implementation independent of ours - into copies
# of synthetic fixtures from this folder. Needs Debian's libimage-exiftool-perl; the test does
# not. ExifTool stamps its version into the XMP toolkit field, so another version changes
# those bytes but not the values the test checks.
set -eu
cd "$(dirname "$0")"
rm -f text_jpeg_xmp_iptc_exif.jpg text_png_xmp.png text_tiff_iptc_xmp.tif

# JPEG: all three sources. Keywords overlap across them (the union drops repeats, ignoring
# case); the title and description come from XMP although IPTC and EXIF have their own.
exiftool -q -charset iptc=UTF8 -codedcharacterset=UTF8 \
    -XMP-dc:Subject='Zürich' -XMP-dc:Subject='海滩' -XMP-dc:Subject='sunset' \
    -XMP-dc:Title='Abend am See' -XMP-dc:Description='Der Zürichsee im Juli' \
    -IPTC:Keywords='Sunset' -IPTC:Keywords='Schweiz' -IPTC:ObjectName='IPTC title' \
    -IPTC:Caption-Abstract='IPTC caption' \
    -EXIF:XPKeywords='海滩;Sommer' -EXIF:XPTitle='XP title' -EXIF:ImageDescription='EXIF text' \
    -o text_jpeg_xmp_iptc_exif.jpg jpeg_optimized_progressive.jpg

# PNG: XMP only (an iTXt chunk), no dc:title: the title falls back to photoshop:Headline,
# hierarchical keywords give their last level.
exiftool -q -XMP-dc:Subject='Ålesund' -XMP-lr:HierarchicalSubject='Orte|Norwegen|Ålesund' \
    -XMP-lr:HierarchicalSubject='Orte|Norwegen|Fjord' -XMP-photoshop:Headline='Überschrift' \
    -XMP-dc:Description='Fjord bei Ålesund' -o text_png_xmp.png gray1.png

# TIFF: IPTC (tag 33723) and XMP (tag 700); no XMP title, so IPTC's Object Name is the title.
exiftool -q -charset iptc=UTF8 -codedcharacterset=UTF8 \
    -IPTC:Keywords='東京' -IPTC:Keywords='night' -IPTC:ObjectName='Shibuya' \
    -XMP-dc:Subject='Night' -XMP-dc:Subject='neon' -XMP-dc:Description='Kreuzung bei Nacht' \
    -o text_tiff_iptc_xmp.tif tiff_miniswhite8.tif
