#include "thumbnail_loader.h"

#include "image_decoder.h"
#include "png_text.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QSaveFile>
#include <QStandardPaths>

#include <algorithm>
#include <cctype>
#include <limits>
#include <string_view>
#include <thread>

namespace imago {

namespace {

constexpr qint64 kMemoryBudgetKb = 64 * 1024;

int distanceToRange(int row, int first, int last)
{
    if (last < first)
        return std::abs(row - first);
    if (row < first)
        return first - row;
    if (row > last)
        return row - last;
    return 0;
}

QImage toQImage(const RgbImage &rgb)
{
    if (rgb.isEmpty())
        return {};
    QImage wrapped(rgb.pixels.data(), rgb.width, rgb.height, qsizetype(rgb.rowBytes()),
                   QImage::Format_RGB888);
    return wrapped.copy();
}

} // namespace

ThumbnailLoader::ThumbnailLoader(QObject *parent) : QObject(parent), m_memory(kMemoryBudgetKb)
{
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    m_pool.setMaxThreadCount(std::clamp(cores / 2, 1, 4));
    setSize(m_size);
}

ThumbnailLoader::~ThumbnailLoader()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        m_pending.clear();
    }
    m_pool.waitForDone();
}

int ThumbnailLoader::flavourSize(int pixels)
{
    return pixels <= 128 ? 128 : pixels <= 256 ? 256 : 512;
}

QString ThumbnailLoader::flavourName(int flavour)
{
    return flavour <= 128   ? QStringLiteral("normal")
           : flavour <= 256 ? QStringLiteral("large")
                            : QStringLiteral("x-large");
}

void ThumbnailLoader::setSize(int pixels)
{
    m_size = pixels;
    const int flavour = flavourSize(pixels);
    std::lock_guard lock(m_mutex);
    if (flavour != m_flavour) {
        m_flavour = flavour;
        m_memory.clear();
        m_failed.clear();
    }
}

QString ThumbnailLoader::fileUri(const QString &path)
{
    // The URI must be byte for byte the one GLib's g_filename_to_uri() makes, or GNOME looks
    // for another md5 file name and rejects Thumb::URI. QUrl leaves '[', ']' and ';' as they
    // are; GLib escapes every byte but these.
    static constexpr std::string_view kKept = "!$&'()*+,-./:=@_~";
    const QByteArray bytes = QFile::encodeName(QFileInfo(path).absoluteFilePath());
    QByteArray uri = "file://";
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) && u < 128)
            uri += c;
        else if (kKept.find(c) != std::string_view::npos)
            uri += c;
        else
            uri += '%' + QByteArray::number(u, 16).toUpper().rightJustified(2, '0');
    }
    return QString::fromLatin1(uri);
}

QString ThumbnailLoader::cacheFile(const QString &path, int flavour)
{
    const QByteArray md5 =
        QCryptographicHash::hash(fileUri(path).toUtf8(), QCryptographicHash::Md5).toHex();
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
           QStringLiteral("/thumbnails/") + flavourName(flavour) + QLatin1Char('/') +
           QString::fromLatin1(md5) + QStringLiteral(".png");
}

QImage ThumbnailLoader::loadOrCreate(const QString &path, int flavour, QString *error,
                                     bool *fromCache)
{
    if (fromCache)
        *fromCache = false;
    const QFileInfo info(path);
    if (!info.exists()) {
        if (error)
            *error = tr("file not found");
        return {};
    }
    const QString uri = fileUri(path);
    const QString mtime = QString::number(info.lastModified().toSecsSinceEpoch());
    const QString size = QString::number(info.size());
    // Thumb::Size is optional (GNOME's factory leaves it out), but a wrong one invalidates.
    auto sizeMatches = [&size](const QImage &img) {
        const QString stored = img.text(QStringLiteral("Thumb::Size"));
        return stored.isEmpty() || stored == size;
    };
    const QString cached = cacheFile(path, flavour);
    {
        // QImageReader::text() cannot return keys containing "::" (it splits its description
        // on ':'); the decoded QImage keeps them intact. Thumbnails are small: read, then check.
        QImageReader reader(cached, "png");
        QImage img = reader.canRead() ? reader.read() : QImage();
        if (!img.isNull() && img.text(QStringLiteral("Thumb::URI")) == uri &&
            img.text(QStringLiteral("Thumb::MTime")) == mtime && sizeMatches(img)) {
            if (fromCache)
                *fromCache = true;
            return img;
        }
    }

    DecodeRequest req;
    req.minSide = flavour;
    const DecodeResult r = decodeImageFile(path, req);
    if (!r.ok()) {
        if (error)
            *error = r.error;
        return {};
    }
    QImage img = toQImage(r.decoded->image);
    if (img.width() > flavour || img.height() > flavour)
        img = img.scaled(flavour, flavour, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    if (img.isNull()) {
        if (error)
            *error = tr("could not scale the image");
        return {};
    }

    const PngTextEntries text = {
        {"Thumb::URI", uri.toLatin1()}, // percent-encoded: ASCII
        {"Thumb::MTime", mtime.toLatin1()},
        {"Thumb::Size", size.toLatin1()},
        {"Thumb::Image::Width", QByteArray::number(r.decoded->orientedWidth)},
        {"Thumb::Image::Height", QByteArray::number(r.decoded->orientedHeight)},
        {"Software", "Imago"},
    };
    // The cache is best effort: a read-only home still shows thumbnails.
    const QString dir = QFileInfo(cached).absolutePath();
    const QByteArray png = encodePngWithText(img, text);
    if (!png.isEmpty() && QDir().mkpath(dir)) {
        QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                       QFileDevice::ExeOwner);
        QSaveFile out(cached);
        if (out.open(QIODevice::WriteOnly)) {
            out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
            if (out.write(png) == png.size())
                out.commit();
            else
                out.cancelWriting();
        }
    }
    for (const auto &[key, value] : text)
        img.setText(QString::fromLatin1(key), QString::fromLatin1(value));
    return img;
}

QImage ThumbnailLoader::thumbnail(const QString &path, int row)
{
    if (const QImage *img = m_memory.object(path))
        return *img;
    if (m_failed.contains(path))
        return {};
    bool startWorker = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_queued.contains(path)) {
            for (Request &r : m_pending)
                if (r.path == path)
                    r.row = row;
        } else {
            m_queued.insert(path);
            m_pending.push_back({path, row});
            if (m_workers < m_pool.maxThreadCount()) {
                ++m_workers;
                startWorker = true;
            }
        }
    }
    if (startWorker)
        m_pool.start([this] { work(); });
    return {};
}

void ThumbnailLoader::setVisibleRows(int first, int last)
{
    std::lock_guard lock(m_mutex);
    m_first = first;
    m_last = last;
}

void ThumbnailLoader::clearPending()
{
    std::lock_guard lock(m_mutex);
    for (const Request &r : m_pending)
        m_queued.remove(r.path);
    m_pending.clear();
}

int ThumbnailLoader::pendingCount() const
{
    std::lock_guard lock(m_mutex);
    return int(m_queued.size());
}

bool ThumbnailLoader::takeNext(Request &out)
{
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_pending.empty()) {
        --m_workers;
        return false;
    }
    auto best = m_pending.begin();
    int bestDistance = std::numeric_limits<int>::max();
    for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
        const int d = distanceToRange(it->row, m_first, m_last);
        if (d < bestDistance) {
            bestDistance = d;
            best = it;
        }
    }
    out = std::move(*best);
    m_pending.erase(best);
    return true;
}

void ThumbnailLoader::work()
{
    Request req;
    while (takeNext(req)) {
        int flavour;
        {
            std::lock_guard lock(m_mutex);
            flavour = m_flavour;
        }
        QString error;
        QImage img = loadOrCreate(req.path, flavour, &error);
        if (img.isNull() && error.isEmpty())
            error = tr("unreadable");
        QMetaObject::invokeMethod(
            this,
            [this, path = req.path, img, error, flavour] { delivered(path, img, error, flavour); },
            Qt::QueuedConnection);
    }
}

void ThumbnailLoader::delivered(const QString &path, const QImage &image, const QString &error,
                                int flavour)
{
    {
        std::lock_guard lock(m_mutex);
        m_queued.remove(path);
        if (flavour != m_flavour)
            return; // the size changed meanwhile; a new request will follow
    }
    if (image.isNull()) {
        m_failed.insert(path);
        Q_EMIT thumbnailFailed(path, error);
        return;
    }
    m_memory.insert(path, new QImage(image),
                    int(std::max<qsizetype>(1, image.sizeInBytes() / 1024)));
    Q_EMIT thumbnailReady(path);
}

} // namespace imago
