// thumbnail_loader.h - photo thumbnails for the result grid, off the GUI thread, shared with
// the desktop through the freedesktop.org thumbnail cache.
//
// Cache (Thumbnail Managing Standard 0.9): $XDG_CACHE_HOME/thumbnails/{normal,large,x-large}/
// <md5 of the file URI>.png, 128/256/512 px. A cached file is used only when its Thumb::URI
// names the photo, its Thumb::MTime equals the photo's modification time (seconds) and its
// Thumb::Size, when present, the photo's size in bytes; tEXt, zTXt and iTXt entries all count,
// so thumbnails from GNOME's factory, KDE and older Imago are reused. Otherwise the photo is
// decoded (core/imaging: EXIF orientation applied, JPEG decoded at a DCT scale close to the
// thumbnail size), scaled, and written back atomically (temp file + rename, mode 0600) with
// Thumb::URI, Thumb::MTime, Thumb::Size, Thumb::Image::Width/Height and Software as plain tEXt
// chunks before the image data (png_text.h): GLib's thumbnail::is-valid, which GNOME Files
// asks, reads nothing else, and would otherwise have every thumbnail made again. GLib 2.74
// (Debian 12) looks in large/ then normal/ only; 2.76 and later also in x-large/ and
// xx-large/.
//
// Order: requests are served nearest-to-viewport first: the view reports the visible rows
// (setVisibleRows) and each request carries its row; the next job taken is the pending one
// whose row is closest to the visible range. Requests for rows far away are dropped when the
// queue is reset (clearPending, e.g. on a new query).
//
// Threading: the object lives on the GUI thread; decoding and cache I/O run on its own small
// QThreadPool. thumbnailReady()/thumbnailFailed() are emitted on the GUI thread. A decoded
// thumbnail is kept in a memory cache (QCache, ~64 MB) for data() calls.
#pragma once

#include <QCache>
#include <QHash>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QString>
#include <QThreadPool>

#include <mutex>
#include <vector>

namespace imago {

class ThumbnailLoader : public QObject
{
    Q_OBJECT
public:
    explicit ThumbnailLoader(QObject *parent = nullptr);
    ~ThumbnailLoader() override; // drops pending requests, waits for the ones decoding

    // Longest side wanted by the view; picks the cache flavour (normal <= 128 < large <= 256
    // < x-large).
    void setSize(int pixels);
    int size() const { return m_size; }

    // The thumbnail when in memory; otherwise a null image, and a load is queued (unless it
    // failed before). `row` orders the queue.
    QImage thumbnail(const QString &path, int row);
    bool hasFailed(const QString &path) const { return m_failed.contains(path); }
    void setVisibleRows(int first, int last);
    void clearPending();
    int pendingCount() const;

    // --- the worker's steps, public for tests ---------------------------------------------
    static int flavourSize(int pixels); // 128, 256 or 512
    static QString flavourName(int flavourSize);
    // $XDG_CACHE_HOME/thumbnails/<flavour>/<md5(uri)>.png
    static QString cacheFile(const QString &path, int flavourSize);
    // file:// URI of the absolute path, escaped byte for byte as GLib's g_filename_to_uri().
    static QString fileUri(const QString &path);
    // Loads a valid cached thumbnail or makes (and caches) a new one. Null on failure, with
    // the reason in *error. Any thread.
    static QImage loadOrCreate(const QString &path, int flavourSize, QString *error = nullptr,
                               bool *fromCache = nullptr);

Q_SIGNALS:
    void thumbnailReady(const QString &path);
    void thumbnailFailed(const QString &path, const QString &reason);

private:
    struct Request
    {
        QString path;
        int row = 0;
    };
    void work();
    bool takeNext(Request &out);
    void delivered(const QString &path, const QImage &image, const QString &error, int flavour);

    int m_size = 160;
    QThreadPool m_pool;
    QCache<QString, QImage> m_memory;
    QSet<QString> m_failed;

    mutable std::mutex m_mutex; // guards the fields below (shared with the workers)
    std::vector<Request> m_pending;
    QSet<QString> m_queued; // pending or being decoded
    int m_first = 0, m_last = -1;
    int m_flavour = 256;
    int m_workers = 0;
    bool m_stopping = false;
};

} // namespace imago
