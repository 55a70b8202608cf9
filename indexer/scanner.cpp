#include "scanner.h"

#include "image_decoder.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QSet>

#include <vector>

namespace imago {

namespace {

const QSet<QString> &photoExtensions()
{
    static const QSet<QString> set = {
        // decoded today
        QStringLiteral("jpg"),
        QStringLiteral("jpeg"),
        QStringLiteral("jpe"),
        QStringLiteral("jfif"),
        QStringLiteral("png"),
        QStringLiteral("apng"),
        QStringLiteral("gif"),
        QStringLiteral("webp"),
        QStringLiteral("tif"),
        QStringLiteral("tiff"),
        QStringLiteral("bmp"),
        QStringLiteral("dib"),
        QStringLiteral("ico"),
        QStringLiteral("ppm"),
        QStringLiteral("pgm"),
        QStringLiteral("pbm"),
        QStringLiteral("pnm"),
        QStringLiteral("heic"),
        QStringLiteral("heif"),
        QStringLiteral("hif"),
        QStringLiteral("avif"),
        QStringLiteral("mpo"),
        QStringLiteral("jxl"),
        // camera RAW: recorded with a reason when they cannot be decoded
        QStringLiteral("cr2"),
        QStringLiteral("cr3"),
        QStringLiteral("crw"),
        QStringLiteral("nef"),
        QStringLiteral("nrw"),
        QStringLiteral("arw"),
        QStringLiteral("srf"),
        QStringLiteral("sr2"),
        QStringLiteral("orf"),
        QStringLiteral("rw2"),
        QStringLiteral("raf"),
        QStringLiteral("dng"),
        QStringLiteral("pef"),
        QStringLiteral("srw"),
        QStringLiteral("x3f"),
        QStringLiteral("3fr"),
        QStringLiteral("erf"),
        QStringLiteral("kdc"),
        QStringLiteral("mrw"),
        QStringLiteral("rwl"),
        QStringLiteral("iiq"),
    };
    return set;
}

ScanEntry entryOf(const QFileInfo &fi)
{
    ScanEntry e;
    e.path = QDir::cleanPath(fi.absoluteFilePath());
    e.size = fi.size();
    e.mtime = fi.lastModified().toUTC();
    return e;
}

// A name with nothing after its last dot, or no dot at all (hidden names are skipped before).
bool hasNoExtension(const QString &fileName)
{
    const qsizetype dot = fileName.lastIndexOf(QLatin1Char('.'));
    return dot < 0 || dot == fileName.size() - 1;
}

// Phones' exports and recovery tools write photos without an extension: read the first bytes.
bool contentLooksLikePhoto(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    return looksLikePhoto(f.read(kPhotoSniffBytes));
}

bool isExcluded(const QString &path, const QStringList &excludes)
{
    for (const QString &ex : excludes)
        if (path == ex ||
            path.startsWith(ex.endsWith(QLatin1Char('/')) ? ex : ex + QLatin1Char('/')))
            return true;
    return false;
}

} // namespace

bool Scanner::hasPhotoExtension(const QString &fileName)
{
    const qsizetype dot = fileName.lastIndexOf(QLatin1Char('.'));
    return dot > 0 && photoExtensions().contains(fileName.mid(dot + 1).toLower());
}

bool Scanner::isSkippedFolder(const QString &name)
{
    return name.startsWith(QLatin1Char('.')) || name == QLatin1String("@eaDir") ||
           name == QLatin1String("$RECYCLE.BIN") ||
           name == QLatin1String("System Volume Information") ||
           name == QLatin1String("lost+found") || name == QLatin1String("#recycle");
}

bool Scanner::walk(const QString &root, const ScanOptions &options,
                   const std::function<bool(const ScanEntry &)> &visit,
                   const std::atomic<bool> *cancel)
{
    const QFileInfo rootInfo(root);
    if (!rootInfo.exists())
        return false;
    QStringList excludes;
    for (const QString &ex : options.excludes)
        excludes << QDir::cleanPath(QFileInfo(ex).absoluteFilePath());
    if (rootInfo.isFile()) {
        if (!isExcluded(QDir::cleanPath(rootInfo.absoluteFilePath()), excludes))
            visit(entryOf(rootInfo));
        return true;
    }
    if (!rootInfo.isDir() || !rootInfo.isReadable() || !QDir(root).isReadable())
        return false;

    // Depth-first with an explicit stack: no recursion depth limit, sorted for stable order.
    std::vector<QString> stack{QDir::cleanPath(rootInfo.absoluteFilePath())};
    while (!stack.empty()) {
        if (cancel && cancel->load())
            return true;
        const QString dir = std::move(stack.back());
        stack.pop_back();
        const QDir d(dir);
        const QFileInfoList items = d.entryInfoList(
            QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot | QDir::NoSymLinks | QDir::Hidden,
            QDir::Name);
        std::vector<QString> subdirs;
        for (const QFileInfo &fi : items) {
            const QString name = fi.fileName();
            const QString path = QDir::cleanPath(fi.absoluteFilePath());
            if (isExcluded(path, excludes))
                continue;
            if (fi.isDir()) {
                if (!isSkippedFolder(name))
                    subdirs.push_back(path);
                continue;
            }
            if (name.startsWith(QLatin1Char('.')))
                continue;
            // The extension decides when there is one (an unknown one is skipped unread).
            if (!hasPhotoExtension(name) && !(hasNoExtension(name) && contentLooksLikePhoto(path)))
                continue;
            if (!visit(entryOf(fi)))
                return true;
        }
        // Push in reverse so folders are visited in name order.
        for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it)
            stack.push_back(std::move(*it));
    }
    return true;
}

} // namespace imago
