// probe: would the indexer take these files, and if not, why? Decodes each file the way
// `index` does (same file-size limit, pixel budget and DCT-scaled JPEG decode for the model's
// 224-pixel input), without a model or a library.
#include "cli_common.h"

#include "preprocess.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <cstdio>
#include <vector>

namespace imago::cli {

namespace {

struct ProbeResult
{
    QString path; // as given on the command line
    PreprocessOutcome outcome;
};

ProbeResult probeFile(const QString &path, const PreprocessConfig &pre, std::vector<float> &chw)
{
    ProbeResult r{path, {}};
    const QFileInfo info(path);
    auto refuse = [&r](Reason reason) {
        r.outcome.error = std::move(reason.text);
        r.outcome.code = std::move(reason.code);
        r.outcome.args = std::move(reason.args);
        return r;
    };
    if (!info.exists())
        return refuse(fileNotFoundReason());
    if (info.isDir())
        return refuse(makeReason(reason::kUnreadable,
                                 QStringLiteral("cannot read: it is a folder, not a file"),
                                 {QStringLiteral("it is a folder, not a file")}));
    // The indexer's own decode: limits, fast JPEG scale and all (indexing_run.cpp).
    r.outcome = preprocessImageFile(path, pre, /*fast=*/true, chw.data(), DecodeLimits{});
    return r;
}

QJsonObject toJson(const ProbeResult &r)
{
    const PreprocessOutcome &o = r.outcome;
    QJsonArray args;
    for (const QString &a : o.args)
        args.append(a);
    return QJsonObject{
        {QStringLiteral("path"), r.path},
        {QStringLiteral("status"), o.ok() ? QStringLiteral("ok") : QStringLiteral("rejected")},
        {QStringLiteral("format"), o.format.toLower()},
        {QStringLiteral("width"), o.orientedWidth},
        {QStringLiteral("height"), o.orientedHeight},
        {QStringLiteral("reason"), o.error},
        {QStringLiteral("reason_code"), o.code},
        {QStringLiteral("reason_args"), args},
    };
}

} // namespace

int runProbe(const QStringList &args)
{
    QCommandLineParser p;
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
    p.addOption(json);
    if (!parseArgs(
            p, args,
            QStringLiteral("Say whether each file would be indexed, decoding it as `index` does "
                           "(file-size limit, pixel budget, scaled JPEG decode); no model or "
                           "library is needed.\nWith --json prints an array with one object per "
                           "file: {\"path\", \"status\": \"ok\"|\"rejected\", \"format\", "
                           "\"width\", \"height\", \"reason\", \"reason_code\", \"reason_args\"} "
                           "(width and height after the EXIF orientation; reason codes as in "
                           "`list`).\nExit code 1 when any file is rejected."),
            QStringLiteral("FILE...")))
        return 0;
    const QStringList files = p.positionalArguments();
    if (files.isEmpty())
        throw CliError(QStringLiteral("name at least one file to probe"), kExitUsage);

    const PreprocessConfig pre; // FLAVA's 224-pixel input: the DCT scale `index` decodes at
    std::vector<float> chw(std::size_t(3) * pre.size * pre.size);
    bool anyRejected = false;
    bool first = true;
    if (p.isSet(json))
        std::fputs("[", stdout);
    for (const QString &path : files) {
        const ProbeResult r = probeFile(path, pre, chw);
        anyRejected = anyRejected || !r.outcome.ok();
        if (p.isSet(json)) {
            const QByteArray bytes = QJsonDocument(toJson(r)).toJson(QJsonDocument::Compact);
            std::fputs(first ? "\n" : ",\n", stdout);
            std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stdout);
        } else if (r.outcome.ok()) {
            printLine(QStringLiteral("ok       %1 %2 %3")
                          .arg(r.outcome.format, -5)
                          .arg(QStringLiteral("%1x%2")
                                   .arg(r.outcome.orientedWidth)
                                   .arg(r.outcome.orientedHeight),
                               -11)
                          .arg(r.path));
        } else {
            printLine(QStringLiteral("rejected %1  (%2: %3)")
                          .arg(r.path, r.outcome.code, r.outcome.error));
        }
        std::fflush(stdout);
        first = false;
    }
    if (p.isSet(json))
        std::fputs(first ? "]\n" : "\n]\n", stdout);
    std::fflush(stdout);
    return anyRejected ? kExitFailure : 0;
}

} // namespace imago::cli
