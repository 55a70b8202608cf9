// Thumbnails: the freedesktop cache (file name, Thumb::URI/MTime validation, written back),
// EXIF orientation, bad files, and the asynchronous loader's signals.
#include "thumbnail_loader.h"

#include <QApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QImageReader>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace imago;

class tst_ThumbnailLoader : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cacheFileFollowsTheSpec();
    void createsThenReusesThenInvalidates();
    void exifOrientationApplied();
    void badFilesFailCleanly_data();
    void badFilesFailCleanly();
    void asyncLoaderDelivers();

private:
    QTemporaryDir m_home;
    QString m_photo;
};

void tst_ThumbnailLoader::initTestCase()
{
    QVERIFY(m_home.isValid());
    qputenv("XDG_CACHE_HOME", m_home.filePath(QStringLiteral("cache")).toUtf8());
    m_photo = m_home.filePath(QStringLiteral("my photo.jpg"));
    QVERIFY(QFile::copy(QStringLiteral(IMAGO_SHARED_DIR "/flava-toy/eval/images/toy_000.jpg"), m_photo));
}

void tst_ThumbnailLoader::cacheFileFollowsTheSpec()
{
    const QString uri = ThumbnailLoader::fileUri(m_photo);
    QCOMPARE(uri, QStringLiteral("file://") + m_home.path() + QStringLiteral("/my%20photo.jpg"));
    const QString md5 = QString::fromLatin1(
        QCryptographicHash::hash(uri.toUtf8(), QCryptographicHash::Md5).toHex());
    QCOMPARE(ThumbnailLoader::cacheFile(m_photo, 128),
             m_home.filePath(QStringLiteral("cache/thumbnails/normal/") + md5 + QStringLiteral(".png")));
    QVERIFY(ThumbnailLoader::cacheFile(m_photo, 256).contains(QStringLiteral("/thumbnails/large/")));
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
    QVERIFY(f.setFileTime(QDateTime::currentDateTime().addSecs(-3600), QFileDevice::FileModificationTime));
    f.close();
    ThumbnailLoader::loadOrCreate(m_photo, 128, &error, &cached);
    QVERIFY(!cached);
}

void tst_ThumbnailLoader::exifOrientationApplied()
{
    const QDir dir(QStringLiteral(IMAGO_SHARED_DIR "/corpus/exif-orientation"));
    const QStringList files = dir.entryList({QStringLiteral("*6*.jpg"), QStringLiteral("*rotate*90*.jpg")},
                                            QDir::Files);
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
    QVERIFY(ThumbnailLoader::loadOrCreate(m_home.filePath(QStringLiteral("gone.jpg")), 128, &error).isNull());
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
    paths.erase(std::remove_if(paths.begin(), paths.end(), [](const QString &p) { return !QFile::exists(p); }),
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
