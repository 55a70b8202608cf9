// sentencepiece_tokenizer.cpp - see sentencepiece_tokenizer.h.
#include "sentencepiece_tokenizer.h"

#include "sentencepiece_plugin_loader.h"
#include "text_log.h"
#include "unicode_text.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>

namespace imago {

namespace {

// Receives the pieces of one query from the plugin: keeps at most `limit` of them (ids and
// piece text) and the input text of those that are unknown.
class PieceCollector final : public SentencePiecePieceSink
{
public:
    PieceCollector(const SentencePieceBackend &model, std::int64_t unkId, std::size_t limit,
                   TokenizedText &out)
        : m_model(model), m_unkId(unkId), m_limit(limit), m_out(out)
    {
    }

    void push(std::int64_t id)
    {
        m_out.ids.push_back(id);
        m_out.tokens.emplace_back(m_model.idToPiece(static_cast<int>(id)));
    }

    bool piece(int id, std::string_view surface) override
    {
        if (m_kept == m_limit)
            return false;
        ++m_kept;
        push(id);
        if (id != m_unkId)
            return true;
        const auto first = surface.find_first_not_of(" \t\r\n");
        if (first == std::string_view::npos)
            return true;
        surface = surface.substr(first, surface.find_last_not_of(" \t\r\n") - first + 1);
        auto &words = m_out.unknownWords;
        if (std::find(words.begin(), words.end(), surface) == words.end())
            words.emplace_back(surface);
        return true;
    }

    void failed(std::string_view message) override
    {
        // Only a processor without a model fails here, which the constructor rules out.
        qCWarning(lcText) << "SentencePiece encode failed:" << std::string(message).c_str();
    }

private:
    const SentencePieceBackend &m_model;
    const std::int64_t m_unkId;
    const std::size_t m_limit;
    TokenizedText &m_out;
    std::size_t m_kept = 0;
};

} // namespace

struct SentencePieceTokenizer::Impl
{
    SentencePieceOptions options;
    std::unique_ptr<const SentencePieceBackend> model;
    std::int64_t startId = 0;
    std::int64_t endId = 0;
    std::int64_t padId = 0;
    std::int64_t unkId = 0;

    // pieceToId() answers the unknown id for a missing piece; tell the two apart.
    std::optional<std::int64_t> pieceId(std::string_view piece) const
    {
        const int id = model->pieceToId(piece);
        if (id < 0 || id >= model->pieceSize() || model->idToPiece(id) != piece)
            return std::nullopt;
        return id;
    }

    std::optional<std::int64_t> reservedId(int id) const
    {
        if (id < 0 || id >= model->pieceSize())
            return std::nullopt;
        return id;
    }
};

SentencePieceTokenizer::SentencePieceTokenizer(const std::filesystem::path &modelFile,
                                               const SentencePieceOptions &options)
{
    if (options.maxLength < 2)
        throw std::invalid_argument("SentencePieceTokenizer: maxLength must be at least 2, got " +
                                    std::to_string(options.maxLength));
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->model = openSentencePieceModel(modelFile);
    const std::string name = modelFile.string();
    if (impl->model->pieceSize() <= 0)
        throw std::runtime_error(name + ": the SentencePiece model has no pieces");

    std::optional<std::int64_t> start = impl->pieceId("[CLS]");
    if (!start)
        start = impl->reservedId(impl->model->bosId());
    if (!start)
        start = impl->pieceId("<s>");
    std::optional<std::int64_t> end = impl->pieceId("[SEP]");
    if (!end)
        end = impl->reservedId(impl->model->eosId());
    if (!end)
        end = impl->pieceId("</s>");
    if (!start || !end)
        throw std::runtime_error(name + ": the SentencePiece model has no start/end token "
                                        "([CLS]/[SEP], bos/eos or <s>/</s>) to frame a query");
    impl->startId = *start;
    impl->endId = *end;
    impl->unkId = impl->model->unkId();
    std::optional<std::int64_t> pad = impl->reservedId(impl->model->padId());
    if (!pad)
        pad = impl->pieceId("<pad>");
    if (!pad)
        pad = impl->pieceId("[PAD]");
    impl->padId = pad.value_or(impl->unkId);
    m_impl = std::move(impl);
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

TokenizedText SentencePieceTokenizer::encode(std::string_view utf8) const
{
    const Impl &m = *m_impl;
    // The model sees valid UTF-8 only: what decodeUtf8 replaced is written back as U+FFFD.
    const std::u32string decoded = unicode::decodeUtf8(utf8);
    std::u32string text;
    text.reserve(decoded.size());
    for (const char32_t c : decoded) {
        if (m.options.lowerCase)
            unicode::appendLowerCase(text, c);
        else
            text.push_back(c);
    }
    const std::string input = unicode::encodeUtf8(text);

    TokenizedText out;
    PieceCollector collector(*m.model, m.unkId, static_cast<std::size_t>(m.options.maxLength - 2),
                             out);
    collector.push(m.startId);
    m.model->encode(input, collector);
    collector.push(m.endId);
    return out;
}

int SentencePieceTokenizer::maxLength() const
{
    return m_impl->options.maxLength;
}

std::int64_t SentencePieceTokenizer::padId() const
{
    return m_impl->padId;
}

std::int64_t SentencePieceTokenizer::unkId() const
{
    return m_impl->unkId;
}

std::size_t SentencePieceTokenizer::vocabSize() const
{
    return static_cast<std::size_t>(m_impl->model->pieceSize());
}

std::int64_t SentencePieceTokenizer::startId() const
{
    return m_impl->startId;
}

std::int64_t SentencePieceTokenizer::endId() const
{
    return m_impl->endId;
}

const SentencePieceOptions &SentencePieceTokenizer::options() const
{
    return m_impl->options;
}

} // namespace imago
