// format_sniffer.h - what a file is, judged from its first bytes, and what its header
// declares. Internal to imago_imaging (used by image_decoder.cpp and the tests).
//
// sniffFormat() never trusts the file name: a JPEG called .png is a JPEG, a PDF called .jpg is
// "not an image: PDF document". inspectHeader() reads the declared size of the formats whose
// headers are simple enough to parse here (PNG, GIF, BMP, WebP; JPEG has its own marker scan)
// so the pixel budget is enforced before any decoder allocates, and catches the truncations
// Qt's GIF and BMP readers silently pad (Pillow refuses those files).
// Pure functions of the bytes: thread-safe.
#pragma once

#include "byte_reader.h"

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
    UnsupportedImage, // an image format we recognise but cannot decode (HEIF, PSD, RAW, ...)
    NotImage,         // recognisably something else (PDF, ZIP, text, video, ...)
    Unknown,
};

struct SniffResult
{
    FileKind kind = FileKind::Unknown;
    // UnsupportedImage / NotImage: what the content looks like ("PDF document").
    QString description;
};

SniffResult sniffFormat(Bytes bytes);

// "JPEG", "PNG", ... (Pillow's format names); empty for the non-decodable kinds.
QString formatName(FileKind kind);
// The QImageReader format key ("png", "gif", ...) for the kinds decoded through Qt.
QByteArray qtFormatKey(FileKind kind);

struct DeclaredSize
{
    std::uint64_t width = 0;
    std::uint64_t height = 0;
};

struct HeaderInfo
{
    std::optional<DeclaredSize> size; // absent when this format's header is left to the decoder
    QString problem;                  // non-empty: refuse the file with this reason
    bool pngGray16 = false;           // 16-bit grayscale PNG (Pillow mode "I": clip to 255)
};

HeaderInfo inspectHeader(FileKind kind, Bytes bytes);

} // namespace imago::detail
