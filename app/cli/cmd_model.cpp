// The verbs that expose the model itself: embed, match, tokenize.
#include "cli_common.h"

#include "model_session.h"

#include <QJsonArray>
#include <QJsonObject>

namespace imago::cli {

namespace {

QJsonArray toJsonArray(const float *v, std::size_t n)
{
    QJsonArray a;
    for (std::size_t i = 0; i < n; ++i)
        a.append(double(v[i]));
    return a;
}

QString preview(const float *v, std::size_t n)
{
    QStringList parts;
    for (std::size_t i = 0; i < std::min<std::size_t>(n, 4); ++i)
        parts << QString::number(v[i], 'f', 5);
    return QStringLiteral("[%1%2]").arg(parts.join(QStringLiteral(", ")),
                                        n > 4 ? QStringLiteral(", ...") : QString());
}

const QCommandLineOption kJson(QStringLiteral("json"), QStringLiteral("Print JSON."));
const QCommandLineOption kFast(QStringLiteral("fast"),
                               QStringLiteral("Decode JPEGs at a reduced DCT scale, as the "
                                              "indexer does (default: full decode)."));

} // namespace

int runEmbed(const QStringList &args)
{
    QCommandLineParser p;
    addModelOptions(p);
    p.addOption({QStringLiteral("image"), QStringLiteral("An image file (repeatable)."),
                 QStringLiteral("FILE")});
    p.addOption({QStringLiteral("text"), QStringLiteral("A text query (repeatable)."),
                 QStringLiteral("STR")});
    p.addOption(kJson);
    p.addOption(kFast);
    if (!parseArgs(p, args,
                   QStringLiteral("Embed images and texts into FLAVA's shared retrieval space "
                                  "(L2-normalised vectors).\nWith --json prints "
                                  "[{\"source\", \"kind\": \"image\"|\"text\", \"embedding\": "
                                  "[...]}] in argument order (images first).")))
        return 0;
    const QStringList images = p.values(QStringLiteral("image"));
    const QStringList texts = p.values(QStringLiteral("text"));
    if (images.isEmpty() && texts.isEmpty())
        throw CliError(QStringLiteral("nothing to embed: give --image FILE and/or --text STR"),
                       kExitUsage);
    if (!p.positionalArguments().isEmpty())
        throw CliError(QStringLiteral("unexpected argument '%1'").arg(p.positionalArguments()[0]),
                       kExitUsage);
    const auto m = openModel(p.value(QStringLiteral("model")), p, true, flava::Precision::Float32,
                             /*exactImages=*/true);
    const std::size_t e = m->model()->embeddingDim();

    std::vector<float> pixels;
    for (const QString &image : images) {
        const auto chw = preprocessImage(image, m->preprocess(), p.isSet(kFast));
        pixels.insert(pixels.end(), chw.begin(), chw.end());
    }
    const auto imageVectors = m->model()->embedImages(pixels, int(images.size()));
    std::vector<std::vector<std::int64_t>> ids;
    for (const QString &t : texts)
        ids.push_back(m->tokenizer().encode(t.toStdString()).ids);
    const auto textVectors = m->model()->embedTexts(ids);

    QJsonArray out;
    for (qsizetype i = 0; i < images.size(); ++i) {
        const float *v = imageVectors.data() + i * e;
        if (p.isSet(kJson))
            out.append(QJsonObject{{QStringLiteral("source"), images[i]},
                                   {QStringLiteral("kind"), QStringLiteral("image")},
                                   {QStringLiteral("embedding"), toJsonArray(v, e)}});
        else
            printLine(
                QStringLiteral("image %1  %2 dims  %3").arg(images[i]).arg(e).arg(preview(v, e)));
    }
    for (qsizetype i = 0; i < texts.size(); ++i) {
        const float *v = textVectors.data() + i * e;
        if (p.isSet(kJson))
            out.append(QJsonObject{{QStringLiteral("source"), texts[i]},
                                   {QStringLiteral("kind"), QStringLiteral("text")},
                                   {QStringLiteral("embedding"), toJsonArray(v, e)}});
        else
            printLine(QStringLiteral("text  \"%1\"  %2 dims  %3")
                          .arg(texts[i])
                          .arg(e)
                          .arg(preview(v, e)));
    }
    if (p.isSet(kJson))
        printJson(QJsonDocument(out));
    return 0;
}

int runMatch(const QStringList &args)
{
    QCommandLineParser p;
    addModelOptions(p);
    p.addOption(
        {QStringLiteral("image"), QStringLiteral("The image file."), QStringLiteral("FILE")});
    p.addOption({QStringLiteral("text"), QStringLiteral("The text."), QStringLiteral("STR")});
    p.addOption(kJson);
    p.addOption(kFast);
    if (!parseArgs(p, args,
                   QStringLiteral("Score how well an image matches a text with FLAVA's ITM "
                                  "head (the query runs unpadded).\nWith --json prints "
                                  "{\"image\", \"text\", \"itm_logits\": [no, yes], "
                                  "\"match_probability\"}.")))
        return 0;
    if (p.values(QStringLiteral("image")).size() != 1 ||
        p.values(QStringLiteral("text")).size() != 1)
        throw CliError(QStringLiteral("match needs exactly one --image FILE and one --text STR"),
                       kExitUsage);
    const QString image = p.value(QStringLiteral("image"));
    const QString text = p.value(QStringLiteral("text"));
    const auto m = openModel(p.value(QStringLiteral("model")), p, true, flava::Precision::Float32,
                             /*exactImages=*/true);
    const auto chw = preprocessImage(image, m->preprocess(), p.isSet(kFast));
    const auto enc = m->model()->encodeImages(chw, 1);
    const auto ids = m->tokenizer().encode(text.toStdString()).ids;
    const std::shared_ptr<const flava::ImageStates> states[] = {enc[0].states};
    const auto score = m->model()->match(states, ids).at(0);
    if (p.isSet(kJson)) {
        printJson(QJsonDocument(
            QJsonObject{{QStringLiteral("image"), image},
                        {QStringLiteral("text"), text},
                        {QStringLiteral("itm_logits"),
                         QJsonArray{double(score.logitNoMatch), double(score.logitMatch)}},
                        {QStringLiteral("match_probability"), double(score.probability)}}));
    } else {
        printLine(QStringLiteral("%1  \"%2\"  match probability %3  (logits %4, %5)")
                      .arg(image, text)
                      .arg(score.probability, 0, 'f', 4)
                      .arg(score.logitNoMatch, 0, 'f', 4)
                      .arg(score.logitMatch, 0, 'f', 4));
    }
    return 0;
}

int runTokenize(const QStringList &args)
{
    QCommandLineParser p;
    addModelOptions(p);
    p.addOption(kJson);
    if (!parseArgs(p, args,
                   QStringLiteral("Show the tokens and ids the text encoder reads for a query "
                                  "([CLS]/[SEP] included, truncated, not padded).\nWith --json "
                                  "prints {\"tokens\": [...], \"input_ids\": [...]}."),
                   QStringLiteral("STR")))
        return 0;
    const QStringList pos = p.positionalArguments();
    if (pos.size() != 1)
        throw CliError(QStringLiteral("tokenize needs exactly one text argument"), kExitUsage);
    const auto m = openModel(p.value(QStringLiteral("model")), p, /*needWeights=*/false);
    const auto t = m->tokenizer().encode(pos[0].toStdString());
    QJsonArray tokens, ids;
    for (const auto &s : t.tokens)
        tokens.append(QString::fromStdString(s));
    for (auto id : t.ids)
        ids.append(qint64(id));
    if (p.isSet(kJson)) {
        QJsonObject o{{QStringLiteral("tokens"), tokens}, {QStringLiteral("input_ids"), ids}};
        if (!t.unknownWords.empty()) {
            QJsonArray unknown;
            for (const auto &w : t.unknownWords)
                unknown.append(QString::fromStdString(w));
            o.insert(QStringLiteral("unknown_words"), unknown);
        }
        printJson(QJsonDocument(o));
    } else {
        QStringList parts;
        for (std::size_t i = 0; i < t.tokens.size(); ++i)
            parts
                << QStringLiteral("%1(%2)").arg(QString::fromStdString(t.tokens[i])).arg(t.ids[i]);
        printLine(parts.join(QLatin1Char(' ')));
        for (const auto &w : t.unknownWords)
            std::fprintf(stderr, "imago-cli tokenize: warning: the model cannot read '%s'\n",
                         w.c_str());
    }
    return 0;
}

} // namespace imago::cli
