#include "reason_text.h"

#include <QCoreApplication>

namespace imago {

namespace {

// The translation context of the sentences below (lupdate reads the class name).
class ReasonText
{
    Q_DECLARE_TR_FUNCTIONS(imago::ReasonText)
};

// What a file looks like ("PDF document"), as format_sniffer.cpp names it: its strings are in
// the translations under imago::FileKind.
QString fileKind(const QString &english)
{
    return QCoreApplication::translate("imago::FileKind", english.toUtf8().constData());
}

} // namespace

QString localizedReason(const Reason &r)
{
    const QStringList &a = r.args;
    const auto is = [&](const char *code) { return r.code == QLatin1String(code); };
    const auto has = [&](qsizetype n) { return a.size() >= n; };
    using namespace reason;
    if (is(kEmptyFile))
        return ReasonText::tr("The file is empty.");
    if (is(kFileTooLarge))
        return has(2) ? ReasonText::tr("The file is %1 MB, over the %2 MB limit.").arg(a[0], a[1])
                      : ReasonText::tr("The file is too large.");
    if (is(kUnreadable))
        return has(1) ? ReasonText::tr("The file cannot be read: %1").arg(a[0])
                      : ReasonText::tr("The file cannot be read.");
    if (is(kNotAnImage))
        return has(1) ? ReasonText::tr("Not a picture: %1").arg(fileKind(a[0]))
                      : ReasonText::tr("Not a picture.");
    if (is(kCameraRaw))
        return has(1)
                   ? ReasonText::tr("Camera RAW files are not supported (%1).").arg(fileKind(a[0]))
                   : ReasonText::tr("Camera RAW files are not supported.");
    if (is(kUnsupportedFormat))
        return has(1) ? ReasonText::tr("Unsupported picture format: %1").arg(fileKind(a[0]))
                      : ReasonText::tr("Unsupported picture format.");
    if (is(kUnsupportedFeature))
        return has(2) ? ReasonText::tr("This %1 file uses a feature Imago cannot read: %2")
                            .arg(a[0], a[1])
                      : ReasonText::tr("The file uses a feature Imago cannot read.");
    if (is(kEmptyImage))
        return has(2) ? ReasonText::tr("The picture declares %1×%2 pixels: an empty size.")
                            .arg(a[0], a[1])
                      : ReasonText::tr("The picture declares an empty size.");
    if (is(kTooManyPixels))
        return has(3) ? ReasonText::tr("The picture declares %1×%2 pixels, over the %3 MP limit.")
                            .arg(a[0], a[1], a[2])
                      : ReasonText::tr("The picture has too many pixels.");
    if (is(kSideTooLong))
        return has(3) ? ReasonText::tr(
                            "The picture declares %1×%2 pixels: a side is over the %3-pixel limit.")
                            .arg(a[0], a[1], a[2])
                      : ReasonText::tr("A side of the picture is too long.");
    if (is(kTruncated))
        return has(1) ? ReasonText::tr("The %1 file is incomplete (cut short).").arg(a[0])
                      : ReasonText::tr("The file is incomplete (cut short).");
    if (is(kCorrupt))
        return has(2) ? ReasonText::tr("The %1 file is damaged: %2").arg(a[0], a[1])
                      : ReasonText::tr("The file is damaged.");
    if (is(kOutOfMemory))
        return ReasonText::tr("Not enough memory to decode the picture.");
    if (is(kDecoderError))
        return has(1) ? ReasonText::tr("The %1 decoder could not be started.").arg(a[0])
                      : ReasonText::tr("The decoder could not be started.");
    if (is(kFileNotFound))
        return ReasonText::tr("The file is no longer there.");
    if (is(kFolderOffline))
        return has(1) ? ReasonText::tr("The folder %1 is offline.").arg(a[0])
                      : ReasonText::tr("The folder is offline.");
    if (is(kStaleModel))
        return ReasonText::tr("Indexed by another model: index it again.");
    return r.text;
}

} // namespace imago
