#include "thumbnail_loader.h"

#include "image_decoder.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QSaveFile>
#include <QStandardPaths>
#include <QUrl>

#include <algorithm>
#include <limits>
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
    return flavour <= 128 ? QStringLiteral("normal")
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
    return QString::fromLatin1(QUrl::fromLocalFile(QFileInfo(path).absoluteFilePath()).toEncoded());
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
    const QString cached = cacheFile(path, flavour);
    {
        // QImageReader::text() cannot return keys containing "::" (it splits its description
        // on ':'); the decoded QImage keeps them intact. Thumbnails are small: read, then check.
        QImageReader reader(cached, "png");
        QImage img = reader.canRead() ? reader.read() : QImage();
        if (!img.isNull() && img.text(QStringLiteral("Thumb::URI")) == uri &&
            img.text(QStringLiteral("Thumb::MTime")) == mtime) {
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

    img.setText(QStringLiteral("Thumb::URI"), uri);
    img.setText(QStringLiteral("Thumb::MTime"), mtime);
    img.setText(QStringLiteral("Thumb::Size"), QString::number(info.size()));
    img.setText(QStringLiteral("Thumb::Image::Width"), QString::number(r.decoded->orientedWidth));
    img.setText(QStringLiteral("Thumb::Image::Height"), QString::number(r.decoded->orientedHeight));
    img.setText(QStringLiteral("Software"), QStringLiteral("Imago"));
    // The cache is best effort: a read-only home still shows thumbnails.
    const QString dir = QFileInfo(cached).absolutePath();
    if (QDir().mkpath(dir)) {
        QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                       QFileDevice::ExeOwner);
        QSaveFile out(cached);
        if (out.open(QIODevice::WriteOnly)) {
            out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
            if (img.save(&out, "png"))
                out.commit();
            else
                out.cancelWriting();
        }
    }
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
            this, [this, path = req.path, img, error, flavour] { delivered(path, img, error, flavour); },
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
    m_memory.insert(path, new QImage(image), int(std::max<qsizetype>(1, image.sizeInBytes() / 1024)));
    Q_EMIT thumbnailReady(path);
}

} // namespace imago
