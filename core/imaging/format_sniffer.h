// format_sniffer.h - what a file is, judged from its first bytes, and what its header
// declares. Internal to imago_imaging (used by image_decoder.cpp and the tests).
//
// sniffFormat() never trusts the file name: a JPEG called .png is a JPEG, a HEIC called .jpg is
// a HEIF, a PDF called .jpg is "not an image: PDF document". Camera RAW files get their own
// kind (TIFF-based ones are told apart from plain TIFFs by a bounded look at IFD0: a DNGVersion
// tag, a CFA/LinearRaw photometric, or a reduced-resolution IFD0 with SubIFDs - see
// tiffCameraRawKind). inspectHeader() reads the declared size of the formats whose headers are
// simple enough to parse here (PNG, GIF, BMP, WebP; JPEG has its own marker scan) so the pixel
// budget is enforced before any decoder allocates, and catches the truncations Qt's GIF and BMP
// readers silently pad (Pillow refuses those files). Pure functions of the bytes: thread-safe.
#pragma once

#include "byte_reader.h"
#include "reason.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>

namespace imago::detail {

enum class FileKind
{
    Jpeg,
    Png,
    Gif,
    Bmp,
    Webp,
    Tiff,
    Ico,
    Pnm,
    Heif,             // HEIC/HEIF (HEVC in ISO-BMFF), decoded by libheif
    Avif,             // AV1 in HEIF, decoded by libheif when it has an AV1 decoder
    CameraRaw,        // CR2, CR3, NEF, ARW, DNG, ORF, RW2, RAF...: refused by name
    UnsupportedImage, // an image format we recognise but cannot decode (PSD, JPEG 2000, ...)
    NotImage,         // recognisably something else (PDF, ZIP, text, video, ...)
    Unknown,
};

struct SniffResult
{
    FileKind kind = FileKind::Unknown;
    // CameraRaw / UnsupportedImage / NotImage: what the content looks like ("PDF document",
    // "Canon CR2").
    QString description;
};

SniffResult sniffFormat(Bytes bytes);

// "JPEG", "PNG", ... (Pillow's format names; "HEIF" and "AVIF" as pillow-heif names them);
// empty for the non-decodable kinds.
QString formatName(FileKind kind);
// The QImageReader format key ("png", "gif", ...) for the kinds decoded through Qt (TIFF,
// HEIF and AVIF have their own decoders).
QByteArray qtFormatKey(FileKind kind);

struct DeclaredSize
{
    std::uint64_t width = 0;
    std::uint64_t height = 0;
};

struct HeaderInfo
{
    std::optional<DeclaredSize> size; // absent when this format's header is left to the decoder
    Reason problem;                   // non-empty: refuse the file with this reason
    bool pngGray16 = false;           // 16-bit grayscale PNG (Pillow mode "I": clip to 255)
};

HeaderInfo inspectHeader(FileKind kind, Bytes bytes);

// A TIFF-structured file ("II*\0" / "MM\0*") that is a camera RAW rather than a picture:
// nullopt for a plain TIFF, else what it is ("Adobe DNG", "camera RAW (TIFF-based)"). Looks at
// IFD0 only (at most its first 1000 entries), so it is cheap and bounded.
std::optional<QString> tiffCameraRawKind(Bytes bytes);

} // namespace imago::detail
