// Thumbnails: the freedesktop cache (file name, Thumb::URI/MTime validation, written back),
// shared with GNOME (GLib's `gio` must call Imago's thumbnails valid, and Imago must reuse the
// ones GNOME's thumbnail factory writes), EXIF orientation, bad files, and the asynchronous
// loader's signals.
#include "thumbnail_loader.h"

#include <QApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QImageReader>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace imago;

namespace {

struct PngChunkText
{
    QByteArray type; // tEXt, zTXt or iTXt
    QByteArray key;
    QByteArray value; // as stored (compressed for zTXt)
};

// The text chunks of a PNG file, read byte by byte (not through Qt, which hides the chunk type).
QList<PngChunkText> pngTextChunks(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QByteArray d = f.readAll();
    QList<PngChunkText> out;
    for (qsizetype i = 8; i + 12 <= d.size();) {
        const quint32 n = (quint32(uchar(d[i])) << 24) | (quint32(uchar(d[i + 1])) << 16) |
                          (quint32(uchar(d[i + 2])) << 8) | quint32(uchar(d[i + 3]));
        const QByteArray type = d.mid(i + 4, 4);
        const QByteArray data = d.mid(i + 8, n);
        if (type == "tEXt" || type == "zTXt" || type == "iTXt") {
            const qsizetype nul = data.indexOf('\0');
            out.append({type, data.left(nul), data.mid(nul + 1)});
        }
        i += 12 + qsizetype(n);
    }
    return out;
}

QByteArray chunkTypeOf(const QList<PngChunkText> &chunks, const QByteArray &key)
{
    for (const PngChunkText &c : chunks)
        if (c.key == key)
            return c.type;
    return {};
}

struct GioThumbnail
{
    QString error; // gio could not be run
    QString path;
    QString isValid;
};

// What GLib says of a photo's thumbnail: `gio info -a thumbnail::path,thumbnail::is-valid`,
// in the XDG_CACHE_HOME this test set (GLib's g_get_user_cache_dir()).
GioThumbnail askGio(const QString &photo)
{
    GioThumbnail g;
    QProcess gio;
    gio.start(QStringLiteral("gio"),
              {QStringLiteral("info"), QStringLiteral("-a"),
               QStringLiteral("thumbnail::path,thumbnail::is-valid"), photo});
    if (!gio.waitForFinished(30000) || gio.exitCode() != 0) {
        g.error = QStringLiteral("gio info failed: ") + gio.errorString() +
                  QString::fromLocal8Bit(gio.readAllStandardError());
        return g;
    }
    const QStringList lines =
        QString::fromUtf8(gio.readAllStandardOutput()).split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        const QString t = line.trimmed();
        if (t.startsWith(QLatin1String("thumbnail::path: ")))
            g.path = t.mid(17);
        else if (t.startsWith(QLatin1String("thumbnail::is-valid: ")))
            g.isValid = t.mid(21);
    }
    return g;
}

bool haveGio()
{
    return !QStandardPaths::findExecutable(QStringLiteral("gio")).isEmpty();
}

void setMTime(const QString &path, const QDateTime &when)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.setFileTime(when, QFileDevice::FileModificationTime));
}

} // namespace

class tst_ThumbnailLoader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cacheFileFollowsTheSpec();
    void createsThenReusesThenInvalidates();
    void gioCallsImagoThumbnailsValid_data();
    void gioCallsImagoThumbnailsValid();
    void reusesThumbnailsOthersMade_data();
    void reusesThumbnailsOthersMade();
    void staleThumbnailRemadeValidForGio();
    void exifOrientationApplied();
    void badFilesFailCleanly_data();
    void badFilesFailCleanly();
    void asyncLoaderDelivers();

private:
    QTemporaryDir m_home;
    QString m_photo;
    QString copyPhoto(const QString &name);
};

QString tst_ThumbnailLoader::copyPhoto(const QString &name)
{
    const QString path = m_home.filePath(name);
    QFile::remove(path);
    if (!QFile::copy(QStringLiteral(IMAGO_SHARED_DIR "/flava-toy/eval/images/toy_000.jpg"), path))
        return {};
    QFile::setPermissions(path,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner); // shared/ is read-only
    return path;
}

void tst_ThumbnailLoader::initTestCase()
{
    QVERIFY(m_home.isValid());
    qputenv("XDG_CACHE_HOME", m_home.filePath(QStringLiteral("cache")).toUtf8());
    m_photo = m_home.filePath(QStringLiteral("my photo.jpg"));
    QVERIFY(QFile::copy(QStringLiteral(IMAGO_SHARED_DIR "/flava-toy/eval/images/toy_000.jpg"),
                        m_photo));
}

void tst_ThumbnailLoader::cacheFileFollowsTheSpec()
{
    const QString uri = ThumbnailLoader::fileUri(m_photo);
    QCOMPARE(uri, QStringLiteral("file://") + m_home.path() + QStringLiteral("/my%20photo.jpg"));
    const QString md5 = QString::fromLatin1(
        QCryptographicHash::hash(uri.toUtf8(), QCryptographicHash::Md5).toHex());
    QCOMPARE(
        ThumbnailLoader::cacheFile(m_photo, 128),
        m_home.filePath(QStringLiteral("cache/thumbnails/normal/") + md5 + QStringLiteral(".png")));
    QVERIFY(
        ThumbnailLoader::cacheFile(m_photo, 256).contains(QStringLiteral("/thumbnails/large/")));
    QCOMPARE(ThumbnailLoader::flavourSize(100), 128);
    QCOMPARE(ThumbnailLoader::flavourSize(200), 256);
    QCOMPARE(ThumbnailLoader::flavourSize(300), 512);
}

void tst_ThumbnailLoader::createsThenReusesThenInvalidates()
{
    QString error;
    bool cached = true;
    const QImage first = ThumbnailLoader::loadOrCreate(m_photo, 128, &error, &cached);
    QVERIFY2(!first.isNull(), qPrintable(error));
    QVERIFY(!cached);
    QVERIFY(std::max(first.width(), first.height()) <= 128);
    const QString file = ThumbnailLoader::cacheFile(m_photo, 128);
    QVERIFY(QFile::exists(file));
    QCOMPARE(QFile::permissions(file) & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
             QFileDevice::Permissions());
    const QImage onDisk(file);
    QCOMPARE(onDisk.text(QStringLiteral("Thumb::URI")), ThumbnailLoader::fileUri(m_photo));
    QCOMPARE(onDisk.text(QStringLiteral("Thumb::MTime")),
             QString::number(QFileInfo(m_photo).lastModified().toSecsSinceEpoch()));
    QCOMPARE(onDisk.text(QStringLiteral("Thumb::Image::Width")), QStringLiteral("180"));

    const QImage again = ThumbnailLoader::loadOrCreate(m_photo, 128, &error, &cached);
    QVERIFY(cached);
    QCOMPARE(again.size(), first.size());

    // the photo changed: the cached thumbnail no longer counts
    QFile f(m_photo);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.setFileTime(QDateTime::currentDateTime().addSecs(-3600),
                          QFileDevice::FileModificationTime));
    f.close();
    ThumbnailLoader::loadOrCreate(m_photo, 128, &error, &cached);
    QVERIFY(!cached);
}

void tst_ThumbnailLoader::gioCallsImagoThumbnailsValid_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("flavour");
    // The name checks that Imago's Thumb::URI (and so the md5 file name) is GLib's URI.
    QTest::newRow("normal, plain name") << QStringLiteral("plain.jpg") << 128;
    QTest::newRow("large, name with spaces") << QStringLiteral("at the sea.jpg") << 256;
    QTest::newRow("normal, non-ASCII name") << QStringLiteral("été à la mer 海.jpg") << 128;
    QTest::newRow("large, reserved characters")
        << QStringLiteral("a [b] (c) #1 ~x & y's; 50%, ok!.jpg") << 256;
}

void tst_ThumbnailLoader::gioCallsImagoThumbnailsValid()
{
    if (!haveGio())
        QSKIP("gio (Debian package libglib2.0-bin) is not installed: GLib's thumbnail check "
              "cannot run");
    QFETCH(QString, name);
    QFETCH(int, flavour);
    const QString photo = copyPhoto(name);
    QVERIFY(!photo.isEmpty());
    QString error;
    bool cached = true;
    QVERIFY2(!ThumbnailLoader::loadOrCreate(photo, flavour, &error, &cached).isNull(),
             qPrintable(error));
    QVERIFY(!cached);
    const QString file = ThumbnailLoader::cacheFile(photo, flavour);

    // Every Thumb:: key is a plain tEXt chunk, before the image data.
    const QList<PngChunkText> chunks = pngTextChunks(file);
    for (const char *key : {"Thumb::URI", "Thumb::MTime", "Thumb::Size", "Thumb::Image::Width",
                            "Thumb::Image::Height", "Software"})
        QCOMPARE(chunkTypeOf(chunks, key), QByteArray("tEXt"));

    const GioThumbnail gio = askGio(photo);
    QVERIFY2(gio.error.isEmpty(), qPrintable(gio.error));
    QCOMPARE(gio.path, file);
    QCOMPARE(gio.isValid, QStringLiteral("TRUE"));
}

void tst_ThumbnailLoader::reusesThumbnailsOthersMade_data()
{
    QTest::addColumn<QString>("maker");
    QTest::addColumn<bool>("reused");
    QTest::newRow("GNOME's thumbnail factory (tEXt, no Thumb::Size)")
        << QStringLiteral("gnome") << true;
    QTest::newRow("older Imago, Qt's own writer (zTXt)") << QStringLiteral("qt") << true;
    QTest::newRow("a wrong Thumb::Size is remade") << QStringLiteral("qt-wrong-size") << false;
}

void tst_ThumbnailLoader::reusesThumbnailsOthersMade()
{
    QFETCH(QString, maker);
    QFETCH(bool, reused);
    const QString photo = copyPhoto(QStringLiteral("made by %1.jpg").arg(maker));
    QVERIFY(!photo.isEmpty());
    const QString file = ThumbnailLoader::cacheFile(photo, 128);
    QFile::remove(file);

    if (maker == QLatin1String("gnome")) {
        // gnome-desktop's GnomeDesktopThumbnailFactory, the code GNOME Files and Eye of GNOME
        // save thumbnails with, driven from Python: GLib computes the URI and the file name.
        const QString python = QStringLiteral("/usr/bin/python3");
        const QString script = QStringLiteral(R"(
import os, sys
import gi
gi.require_version('GnomeDesktop', '3.0')
gi.require_version('GdkPixbuf', '2.0')
from gi.repository import GdkPixbuf, Gio, GnomeDesktop
path = sys.argv[1]
size = GnomeDesktop.DesktopThumbnailSize.NORMAL
uri = Gio.File.new_for_path(path).get_uri()
pixbuf = GdkPixbuf.Pixbuf.new_from_file_at_size(path, 128, 128)
factory = GnomeDesktop.DesktopThumbnailFactory.new(size)
if not factory.save_thumbnail(pixbuf, uri, int(os.stat(path).st_mtime), None):
    sys.exit(1)
print(GnomeDesktop.desktop_thumbnail_path_for_uri(uri, size))
)");
        QProcess p;
        p.start(python, {QStringLiteral("-c"), script, photo});
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromLocal8Bit(p.readAllStandardError());
        if (p.exitCode() != 0 && err.contains(QLatin1String("ModuleNotFoundError")))
            QSKIP("GNOME's thumbnail factory is not installed (Debian packages python3-gi, "
                  "gir1.2-gnomedesktop-3.0, gir1.2-gdkpixbuf-2.0; tools/install-deps.sh)");
        if (p.exitCode() != 0 &&
            err.contains(QLatin1String("Namespace GnomeDesktop not available")))
            QSKIP("GNOME's thumbnail factory is not installed (gir1.2-gnomedesktop-3.0)");
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, qPrintable(err));
        QCOMPARE(QString::fromUtf8(p.readAllStandardOutput()).trimmed(), file);
        QCOMPARE(chunkTypeOf(pngTextChunks(file), "Thumb::URI"), QByteArray("tEXt"));
        QCOMPARE(chunkTypeOf(pngTextChunks(file), "Thumb::Size"), QByteArray());
    } else {
        QImage img(100, 80, QImage::Format_RGB888);
        img.fill(Qt::darkCyan);
        const QFileInfo info(photo);
        img.setText(QStringLiteral("Thumb::URI"), ThumbnailLoader::fileUri(photo));
        img.setText(QStringLiteral("Thumb::MTime"),
                    QString::number(info.lastModified().toSecsSinceEpoch()));
        img.setText(
            QStringLiteral("Thumb::Size"),
            QString::number(info.size() + (maker == QLatin1String("qt-wrong-size") ? 1 : 0)));
        QVERIFY(QDir().mkpath(QFileInfo(file).absolutePath()));
        QVERIFY(img.save(file, "png"));
        QCOMPARE(chunkTypeOf(pngTextChunks(file), "Thumb::URI"), QByteArray("zTXt"));
    }
    QFile before(file);
    QVERIFY(before.open(QIODevice::ReadOnly));
    const QByteArray bytes = before.readAll();
    before.close();

    QString error;
    bool cached = false;
    const QImage thumb = ThumbnailLoader::loadOrCreate(photo, 128, &error, &cached);
    QVERIFY2(!thumb.isNull(), qPrintable(error));
    QCOMPARE(cached, reused);
    QFile after(file);
    QVERIFY(after.open(QIODevice::ReadOnly));
    QCOMPARE(after.readAll() == bytes, reused); // not re-made, or re-made
    if (!reused)
        QCOMPARE(thumb.text(QStringLiteral("Thumb::Size")),
                 QString::number(QFileInfo(photo).size()));
}

void tst_ThumbnailLoader::staleThumbnailRemadeValidForGio()
{
    if (!haveGio())
        QSKIP("gio (Debian package libglib2.0-bin) is not installed: GLib's thumbnail check "
              "cannot run");
    const QString photo = copyPhoto(QStringLiteral("edited later.jpg"));
    QVERIFY(!photo.isEmpty());
    const QDateTime taken = QDateTime::currentDateTime().addDays(-30);
    setMTime(photo, taken);
    if (QTest::currentTestFailed())
        return;
    QString error;
    bool cached = true;
    QVERIFY2(!ThumbnailLoader::loadOrCreate(photo, 128, &error, &cached).isNull(),
             qPrintable(error));
    QVERIFY(!cached);
    QCOMPARE(askGio(photo).isValid, QStringLiteral("TRUE"));

    setMTime(photo, taken.addSecs(3600)); // edited
    if (QTest::currentTestFailed())
        return;
    const GioThumbnail stale = askGio(photo);
    QCOMPARE(stale.path, ThumbnailLoader::cacheFile(photo, 128));
    QCOMPARE(stale.isValid, QStringLiteral("FALSE")); // GLib sees it stale too

    QVERIFY(!ThumbnailLoader::loadOrCreate(photo, 128, &error, &cached).isNull());
    QVERIFY(!cached);
    QCOMPARE(askGio(photo).isValid, QStringLiteral("TRUE"));
    QCOMPARE(QImage(ThumbnailLoader::cacheFile(photo, 128)).text(QStringLiteral("Thumb::MTime")),
             QString::number(taken.addSecs(3600).toSecsSinceEpoch()));
    QVERIFY(!ThumbnailLoader::loadOrCreate(photo, 128, &error, &cached).isNull());
    QVERIFY(cached); // and the new one is used from then on
}

void tst_ThumbnailLoader::exifOrientationApplied()
{
    const QDir dir(QStringLiteral(IMAGO_SHARED_DIR "/corpus/exif-orientation"));
    const QStringList files =
        dir.entryList({QStringLiteral("*6*.jpg"), QStringLiteral("*rotate*90*.jpg")}, QDir::Files);
    if (files.isEmpty())
        QSKIP("no EXIF-rotated JPEG in the corpus");
    const QString path = dir.filePath(files.first());
    QImageReader raw(path);
    raw.setAutoTransform(false);
    const QSize stored = raw.size();
    const QImage thumb = ThumbnailLoader::loadOrCreate(path, 256);
    QVERIFY(!thumb.isNull());
    if (stored.width() != stored.height())
        QCOMPARE(thumb.width() > thumb.height(), stored.width() < stored.height());
}

void tst_ThumbnailLoader::badFilesFailCleanly_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("empty file") << QByteArray();
    QTest::newRow("text named .jpg") << QByteArray("hello, not a photo");
    QTest::newRow("truncated JPEG") << QByteArray("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11);
}

void tst_ThumbnailLoader::badFilesFailCleanly()
{
    QFETCH(QByteArray, bytes);
    const QString path = m_home.filePath(QStringLiteral("bad.jpg"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
    f.close();
    QString error;
    QVERIFY(ThumbnailLoader::loadOrCreate(path, 128, &error).isNull());
    QVERIFY(!error.isEmpty());
    QVERIFY(ThumbnailLoader::loadOrCreate(m_home.filePath(QStringLiteral("gone.jpg")), 128, &error)
                .isNull());
}

void tst_ThumbnailLoader::asyncLoaderDelivers()
{
    ThumbnailLoader loader;
    loader.setSize(200);
    QSignalSpy ready(&loader, &ThumbnailLoader::thumbnailReady);
    QSignalSpy failed(&loader, &ThumbnailLoader::thumbnailFailed);
    QStringList paths;
    for (int i = 1; i <= 12; ++i)
        paths << QStringLiteral(IMAGO_SHARED_DIR "/flava-toy/eval/images/toy_%1.jpg")
                     .arg(i, 3, 10, QLatin1Char('0'));
    paths.erase(std::remove_if(paths.begin(), paths.end(),
                               [](const QString &p) { return !QFile::exists(p); }),
                paths.end());
    loader.setVisibleRows(0, 3);
    for (int i = 0; i < paths.size(); ++i)
        QVERIFY(loader.thumbnail(paths[i], i).isNull()); // queued, not decoded on this thread
    QVERIFY(loader.thumbnail(QStringLiteral("/nonexistent/x.jpg"), 99).isNull());
    QTRY_COMPARE_WITH_TIMEOUT(ready.count(), paths.size(), 20000);
    QTRY_COMPARE(failed.count(), 1);
    QVERIFY(!loader.thumbnail(paths[0], 0).isNull()); // now from memory
    QVERIFY(loader.hasFailed(QStringLiteral("/nonexistent/x.jpg")));
    QCOMPARE(loader.pendingCount(), 0);
}

QTEST_MAIN(tst_ThumbnailLoader)
#include "tst_thumbnailloader.moc"
