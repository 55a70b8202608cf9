// Scanner: which files are candidates, which folders are skipped, exclusions, order.
#include "scanner.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace imago;

class tst_Scanner : public QObject
{
    Q_OBJECT

    static void touch(const QString &path)
    {
        QDir().mkpath(QFileInfo(path).path());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("x");
    }

private Q_SLOTS:
    void extensions_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("candidate");
        QTest::newRow("jpg") << "IMG_0001.jpg" << true;
        QTest::newRow("upper case JPG") << "IMG_0001.JPG" << true;
        QTest::newRow("heic") << "IMG_0002.HEIC" << true;
        QTest::newRow("raw cr2") << "IMG_0003.CR2" << true;
        QTest::newRow("webp") << "a.webp" << true;
        QTest::newRow("sidecar aae") << "IMG_0001.AAE" << false;
        QTest::newRow("sidecar xmp") << "IMG_0001.xmp" << false;
        QTest::newRow("text") << "notes.txt" << false;
        QTest::newRow("no extension (the content decides)") << "README" << false;
        QTest::newRow("dot only") << ".jpg" << false;
    }
    void extensions()
    {
        QFETCH(QString, name);
        QFETCH(bool, candidate);
        QCOMPARE(Scanner::hasPhotoExtension(name), candidate);
    }

    void walksTreeSkippingHiddenAndSystem()
    {
        QTemporaryDir dir;
        const QString r = dir.path();
        for (const char *f : {"a.jpg", "b/c.png", "b/d/e.JPG", ".hidden/x.jpg", "b/.f.jpg",
                              "@eaDir/t.jpg", "b/notes.txt", "excluded/z.jpg", "b/IMG.AAE"})
            touch(r + "/" + f);
        QStringList seen;
        ScanOptions options;
        options.excludes << r + "/excluded";
        QVERIFY(Scanner::walk(r, options, [&](const ScanEntry &e) {
            seen << e.path.mid(r.size() + 1);
            return true;
        }));
        QCOMPARE(seen, (QStringList{"a.jpg", "b/c.png", "b/d/e.JPG"}));
    }

    void filesWithoutExtensionAreSniffed()
    {
        // A real JPEG saved without an extension (as phone exports and recovery tools do) is
        // a candidate; an extension-less text file, a JPEG behind an unknown extension and a
        // hidden extension-less JPEG are not.
        const QString jpeg =
            QStringLiteral(IMAGO_SHARED_DIR "/flava-reference/preprocess/gray.jpg");
        QVERIFY(QFileInfo::exists(jpeg));
        QTemporaryDir dir;
        const QString r = dir.path();
        QDir().mkpath(r + "/b");
        for (const char *copy : {"IMG_0004", "b/recovered.", "photo.xyz", ".IMG_0005"})
            QVERIFY(QFile::copy(jpeg, r + "/" + copy));
        {
            QFile text(r + "/README");
            QVERIFY(text.open(QIODevice::WriteOnly));
            text.write("Holiday 2023: remember to back up the photos.\n");
        }
        touch(r + "/b/empty");
        QStringList seen;
        QVERIFY(Scanner::walk(r, {}, [&](const ScanEntry &e) {
            seen << e.path.mid(r.size() + 1);
            return true;
        }));
        QCOMPARE(seen, (QStringList{"IMG_0004", "b/recovered."}));
    }

    void symlinkLoopsAreNotFollowed()
    {
        QTemporaryDir dir;
        touch(dir.path() + "/sub/a.jpg");
        QVERIFY(QFile::link(dir.path(), dir.path() + "/sub/loop"));
        int n = 0;
        Scanner::walk(dir.path(), {}, [&](const ScanEntry &) { return ++n < 1000; });
        QCOMPARE(n, 1);
    }

    void unreadableRootReportsFalse()
    {
        QVERIFY(!Scanner::walk(QStringLiteral("/nonexistent/photos"), {},
                               [](const ScanEntry &) { return true; }));
    }

    void cancelStopsTheWalk()
    {
        QTemporaryDir dir;
        for (int i = 0; i < 20; ++i)
            touch(dir.path() + QStringLiteral("/d%1/a.jpg").arg(i));
        std::atomic<bool> cancel{false};
        int n = 0;
        Scanner::walk(
            dir.path(), {},
            [&](const ScanEntry &) {
                if (++n == 3)
                    cancel = true;
                return true;
            },
            &cancel);
        QCOMPARE(n, 3);
    }

    void entryHasSizeAndTime()
    {
        QTemporaryDir dir;
        touch(dir.path() + "/a.jpg");
        ScanEntry got;
        Scanner::walk(dir.path() + "/a.jpg", {}, [&](const ScanEntry &e) {
            got = e;
            return true;
        });
        QCOMPARE(got.size, qint64(1));
        QVERIFY(got.mtime.isValid());
        QCOMPARE(got.mtime.timeSpec(), Qt::UTC);
    }
};

QTEST_GUILESS_MAIN(tst_Scanner)
#include "tst_scanner.moc"
