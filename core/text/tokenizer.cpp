// tokenizer.cpp - the Tokenizer interface's shared parts: model-folder factory, padding.
#include "tokenizer.h"

#include "sentencepiece_tokenizer.h"
#include "text_log.h"
#include "wordpiece_tokenizer.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QString>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

namespace imago {

namespace {

// FLAVA's model_max_length (facebook/flava-full tokenizer_config.json).
constexpr int kDefaultMaxLength = 77;
// Anything above this is Hugging Face's "no limit" placeholder (int(1e30)), not a length.
constexpr double kSaneMaxLength = 1'000'000;

// The parts of tokenizer_config.json the tokenizers use; everything else is ignored.
struct TokenizerConfig
{
    std::optional<int> modelMaxLength;
    std::optional<bool> doLowerCase;
    std::optional<bool> stripAccents;
    std::optional<bool> tokenizeChineseChars;
    std::optional<std::string> padToken, unkToken, clsToken, sepToken, maskToken;
};

std::optional<bool> optionalBool(const QJsonObject &o, const char *key)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isBool())
        return v.toBool();
    return std::nullopt; // missing, null ("use the default") or not a bool
}

// Special tokens are written as a plain string or, by newer transformers, as an AddedToken
// object {"content": "[CLS]", ...}.
std::optional<std::string> optionalToken(const QJsonObject &o, const char *key)
{
    QJsonValue v = o.value(QLatin1String(key));
    if (v.isObject())
        v = v.toObject().value(QLatin1String("content"));
    if (v.isString() && !v.toString().isEmpty())
        return v.toString().toStdString();
    return std::nullopt;
}

TokenizerConfig readTokenizerConfig(const std::filesystem::path &file)
{
    TokenizerConfig config;
    QFile f(QString::fromStdString(file.string()));
    if (!f.exists())
        return config;
    if (!f.open(QIODevice::ReadOnly))
        throw std::runtime_error(file.string() + ": cannot open: " + f.errorString().toStdString());
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
    if (error.error != QJsonParseError::NoError)
        throw std::runtime_error(file.string() + ": not valid JSON at offset " +
                                 std::to_string(error.offset) + ": " +
                                 error.errorString().toStdString());
    if (!doc.isObject())
        throw std::runtime_error(file.string() + ": expected a JSON object");
    const QJsonObject o = doc.object();

    const QJsonValue maxLength = o.value(QLatin1String("model_max_length"));
    if (maxLength.isDouble()) {
        const double v = maxLength.toDouble();
        if (v >= 2 && v <= kSaneMaxLength && v == std::floor(v))
            config.modelMaxLength = static_cast<int>(v);
        else
            qCDebug(lcText) << file.c_str() << ": model_max_length" << v << "ignored";
    }
    config.doLowerCase = optionalBool(o, "do_lower_case");
    config.stripAccents = optionalBool(o, "strip_accents");
    config.tokenizeChineseChars = optionalBool(o, "tokenize_chinese_chars");
    config.padToken = optionalToken(o, "pad_token");
    config.unkToken = optionalToken(o, "unk_token");
    config.clsToken = optionalToken(o, "cls_token");
    config.sepToken = optionalToken(o, "sep_token");
    config.maskToken = optionalToken(o, "mask_token");
    return config;
}

} // namespace

Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::fromModelFolder(const std::filesystem::path &dir,
                                                      int maxPositions)
{
    if (maxPositions < 2)
        throw std::invalid_argument("Tokenizer::fromModelFolder: maxPositions must be at least "
                                    "2, got " +
                                    std::to_string(maxPositions));
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw std::runtime_error(dir.string() + ": not a model folder (no such directory)");

    const TokenizerConfig config = readTokenizerConfig(dir / "tokenizer_config.json");
    const int maxLength = std::min(config.modelMaxLength.value_or(kDefaultMaxLength), maxPositions);

    const std::filesystem::path vocab = dir / "vocab.txt";
    if (std::filesystem::exists(vocab, ec)) {
        WordPieceOptions options;
        options.maxLength = maxLength;
        options.lowerCase = config.doLowerCase.value_or(true);
        options.stripAccents = config.stripAccents;
        options.splitCjkCharacters = config.tokenizeChineseChars.value_or(true);
        options.padToken = config.padToken.value_or(options.padToken);
        options.unkToken = config.unkToken.value_or(options.unkToken);
        options.clsToken = config.clsToken.value_or(options.clsToken);
        options.sepToken = config.sepToken.value_or(options.sepToken);
        options.maskToken = config.maskToken.value_or(options.maskToken);
        qCDebug(lcText) << "WordPiece tokenizer from" << vocab.c_str() << "max length" << maxLength;
        return std::make_unique<WordPieceTokenizer>(vocab, options);
    }

    for (const char *name : {"spiece.model", "sentencepiece.bpe.model", "tokenizer.model"}) {
        const std::filesystem::path model = dir / name;
        if (!std::filesystem::exists(model, ec))
            continue;
        SentencePieceOptions options;
        options.maxLength = maxLength;
        options.lowerCase = config.doLowerCase.value_or(false);
        qCDebug(lcText) << "SentencePiece tokenizer from" << model.c_str() << "max length"
                        << maxLength;
        return std::make_unique<SentencePieceTokenizer>(model, options);
    }
    throw std::runtime_error(
        dir.string() + ": no tokenizer found: expected vocab.txt (WordPiece) or spiece.model, "
                       "sentencepiece.bpe.model or tokenizer.model (SentencePiece)");
}

std::vector<std::int64_t> padToLength(std::vector<std::int64_t> &ids, std::size_t length,
                                      std::int64_t padId)
{
    if (ids.size() > length)
        throw std::invalid_argument("padToLength: " + std::to_string(ids.size()) +
                                    " ids do not fit in length " + std::to_string(length));
    std::vector<std::int64_t> mask(length, 0);
    std::fill_n(mask.begin(), ids.size(), 1);
    ids.resize(length, padId);
    return mask;
}

} // namespace imago
