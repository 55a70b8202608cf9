// png_text.h - PNG files whose text entries are plain (uncompressed, Latin-1) tEXt chunks.
//
// Qt's PNG writer stores any text longer than 40 characters as a compressed zTXt chunk (and
// non-Latin-1 text as iTXt). Some readers accept only tEXt: GLib's thumbnail check
// (thumbnail::is-valid, what GNOME Files asks) looks for Thumb::URI and Thumb::MTime in tEXt
// chunks alone, so thumbnails must be written this way to be shared with the desktop.
//
// Reading needs nothing from here: QImage::text() returns tEXt, zTXt and iTXt entries alike.
// Pure functions; any thread.
#pragma once

#include <QByteArray>
#include <QString>

#include <utility>
#include <vector>

class QImage;

namespace imago {

// key (1-79 printable Latin-1 characters, no leading, trailing or double space), value
// (Latin-1, no NUL byte), both as the bytes to store.
using PngTextEntries = std::vector<std::pair<QByteArray, QByteArray>>;

// The image as a PNG file with `text` as tEXt chunks right after IHDR, in the order given,
// so that a reader that stops at the first image data (as GLib's does) sees them all. The
// image's own text() entries are not written: pass them in `text`. Empty on failure (a key
// or value the format cannot hold, or the image could not be encoded), with the reason in
// *error.
QByteArray encodePngWithText(const QImage &image, const PngTextEntries &text,
                             QString *error = nullptr);

// Inserts `text` as tEXt chunks after the IHDR chunk of the PNG file `png`; empty on failure,
// with the reason in *error.
QByteArray insertPngTextChunks(const QByteArray &png, const PngTextEntries &text,
                               QString *error = nullptr);

} // namespace imago
