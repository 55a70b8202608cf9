// Why a photo was refused, as the Chinese UI shows it: every reason code, with its arguments,
// and the reasons the real decoder gives for the corpus's refused files, come out of the
// rejected-files model in Chinese (the kind of file translated too), never as the English
// sentence the core wrote.

#include "image_decoder.h"
#include "reason.h"
#include "reason_text.h"
#include "rejected_model.h"
#include "ui_language.h"

#include <QDir>
#include <QTest>

using namespace imago;

namespace {

const QString kCorpus = QStringLiteral(IMAGO_SHARED_DIR "/corpus/");

bool hasChinese(const QString &s)
{
    for (const QChar c : s)
        if (c.unicode() >= 0x4E00 && c.unicode() <= 0x9FFF)
            return true;
    return false;
}

// The arguments each code's sentence is made from (README, "Reason codes").
QStringList sampleArgs(const QString &code)
{
    using namespace reason;
    const auto is = [&](const char *c) { return code == QLatin1String(c); };
    if (is(kFileTooLarge))
        return {QStringLiteral("612.0"), QStringLiteral("512.0")};
    if (is(kUnreadable))
        return {QStringLiteral("Permission denied")};
    if (is(kNotAnImage))
        return {QStringLiteral("PDF document")};
    if (is(kCameraRaw))
        return {QStringLiteral("Canon CR3")};
    if (is(kUnsupportedFormat))
        return {QStringLiteral("SVG vector image")};
    if (is(kUnsupportedFeature))
        return {QStringLiteral("JPEG"), QStringLiteral("12-bit samples")};
    if (is(kEmptyImage))
        return {QStringLiteral("0"), QStringLiteral("10")};
    if (is(kTooManyPixels))
        return {QStringLiteral("17000"), QStringLiteral("17000"), QStringLiteral("179")};
    if (is(kSideTooLong))
        return {QStringLiteral("3000000"), QStringLiteral("2"), QStringLiteral("1048576")};
    if (is(kTruncated) || is(kDecoderError))
        return {QStringLiteral("JPEG")};
    if (is(kCorrupt))
        return {QStringLiteral("PNG"), QStringLiteral("IDAT: CRC error")};
    if (is(kFolderOffline))
        return {QStringLiteral("/media/usb")};
    return {};
}

QString shown(const Reason &r)
{
    RejectedModel model;
    model.setRejected({{QStringLiteral("/photos/a.jpg"), r}});
    return model.data(model.index(0, RejectedModel::ReasonColumn)).toString();
}

} // namespace

class tst_ReasonText : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QCOMPARE(applyLanguage(QStringLiteral("zh_CN")), QStringLiteral("zh_CN"));
    }
    void cleanupTestCase() { applyLanguage(QStringLiteral("en")); }
    void everyCodeIsTranslated();
    void realRefusalsAreTranslated();
};

void tst_ReasonText::everyCodeIsTranslated()
{
    for (const char *c : reason::kAllCodes) {
        const QString code = QString::fromLatin1(c);
        const QStringList args = sampleArgs(code);
        const Reason r{code, QStringLiteral("english sentence"), args};
        const QString zh = shown(r);
        QVERIFY2(hasChinese(zh), qPrintable(code + QLatin1String(": ") + zh));
        // Numbers and paths are carried over; names of file kinds are translated.
        for (const QString &a : args) {
            bool number = false;
            a.toDouble(&number);
            if (number || a.startsWith(QLatin1Char('/')))
                QVERIFY2(zh.contains(a), qPrintable(code + QLatin1String(": ") + zh));
        }
        if (code == QLatin1String(reason::kNotAnImage) ||
            code == QLatin1String(reason::kUnsupportedFormat))
            QVERIFY2(!zh.contains(args[0]), qPrintable(code + QLatin1String(": ") + zh));
        // Without arguments (a catalog from before codes) the sentence is still Chinese.
        QVERIFY2(hasChinese(shown(Reason{code, QStringLiteral("english"), {}})), c);
    }
}

void tst_ReasonText::realRefusalsAreTranslated()
{
    // What the decoder says about real files nobody here wrote.
    const QStringList dirs{QStringLiteral("non-image"), QStringLiteral("broken"),
                           QStringLiteral("adversarial"), QStringLiteral("misnamed")};
    int refused = 0;
    for (const QString &d : dirs) {
        const QDir dir(kCorpus + d);
        for (const QString &name : dir.entryList(QDir::Files)) {
            const DecodeResult r = decodeImageFile(dir.filePath(name));
            if (r.ok())
                continue;
            ++refused;
            const QString zh = shown(r.reason());
            QVERIFY2(hasChinese(zh), qPrintable(name + QLatin1String(": ") + zh));
            QVERIFY2(zh != r.error, qPrintable(name));
            if (r.code == QLatin1String(reason::kNotAnImage) && !r.args.isEmpty())
                QVERIFY2(!zh.contains(r.args[0]), qPrintable(name + QLatin1String(": ") + zh));
        }
    }
    QVERIFY(refused >= 20);
}

QTEST_MAIN(tst_ReasonText)
#include "tst_reasontext.moc"
