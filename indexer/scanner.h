// scanner.h - walks the user's folders and finds the photo files in them.
//
// Skips hidden files and folders (".*"), system and thumbnail folders (@eaDir, $RECYCLE.BIN,
// System Volume Information, lost+found, .thumbnails) and the user's exclusions; does not
// follow symbolic links to folders (no loops). A candidate is any regular file whose name ends
// in an image or camera-RAW extension, or whose name has no extension and whose first bytes
// are an image's or a camera RAW's (looksLikePhoto in image_decoder.h: one small read); a name
// with any other extension is skipped without being opened. What a candidate really is, the
// decoder decides from its content.
// Reentrant: each walk has its own state; cancellation through the atomic flag.
#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>

namespace imago {

struct ScanOptions
{
    QStringList excludes; // absolute folders (and everything below them) to leave out
};

struct ScanEntry
{
    QString path; // absolute, cleaned
    qint64 size = 0;
    QDateTime mtime; // UTC, millisecond precision
};

class Scanner
{
public:
    // True when a file of this name could be a photo.
    static bool hasPhotoExtension(const QString &fileName);
    // True for folders never worth descending into.
    static bool isSkippedFolder(const QString &folderName);

    // Calls `visit` for every candidate below `root` (a file root is visited itself).
    // Stops early when `visit` returns false or `cancel` becomes true. Returns false when
    // `root` could not be read at all (offline, permission denied).
    static bool walk(const QString &root, const ScanOptions &options,
                     const std::function<bool(const ScanEntry &)> &visit,
                     const std::atomic<bool> *cancel = nullptr);
};

} // namespace imago
