// wordpiece_tokenizer.cpp - see wordpiece_tokenizer.h for the algorithm and its contract.
#include "wordpiece_tokenizer.h"

#include "unicode_text.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <unordered_map>

namespace imago {

namespace {

// Heterogeneous lookup: candidate pieces are probed as string_views into a scratch buffer,
// so the greedy search allocates nothing per probe.
struct StringHash
{
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept
    {
        return std::hash<std::string_view>{}(s);
    }
};
using VocabMap = std::unordered_map<std::string, std::int64_t, StringHash, std::equal_to<>>;

constexpr std::string_view kContinuationPrefix = "##";
// Unknown words longer than this (in code points) are reported shortened.
constexpr std::size_t kMaxReportedWordChars = 100;

std::size_t codePointCount(std::string_view utf8)
{
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

std::vector<std::string> readVocabLines(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw std::runtime_error(file.string() +
                                 ": cannot open the vocabulary: " + std::strerror(errno));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw std::runtime_error(file.string() + ": read error in the vocabulary");

    std::string_view rest(bytes);
    // A BOM would otherwise glue itself to the first token ("[PAD]") and hide it.
    if (rest.starts_with("\xEF\xBB\xBF"))
        rest.remove_prefix(3);
    // Python's text mode (which HF's load_vocab uses) ends lines at LF, CRLF and CR alike.
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        if (rest[i] != '\n' && rest[i] != '\r')
            continue;
        lines.emplace_back(rest.substr(start, i - start));
        if (rest[i] == '\r' && i + 1 < rest.size() && rest[i + 1] == '\n')
            ++i;
        start = i + 1;
    }
    if (start < rest.size())
        lines.emplace_back(rest.substr(start));
    return lines;
}

} // namespace

struct WordPieceTokenizer::Impl
{
    struct Special
    {
        std::u32string text;
        std::int64_t id = 0;
    };

    WordPieceOptions options;
    bool stripAccents = true;
    VocabMap vocab;
    std::vector<std::string> tokens; // by id (= line number)
    std::int64_t padId = 0;
    std::int64_t unkId = 0;
    std::int64_t clsId = 0;
    std::int64_t sepId = 0;
    std::int64_t maskId = -1;
    std::vector<Special> specials;     // longest first
    std::size_t longestTokenChars = 0; // bounds the greedy search
};

// The state of one encode() call; lives on the caller's stack, so concurrent calls share
// nothing but the immutable Impl.
class WordPieceTokenizer::Run
{
public:
    Run(const Impl &impl, std::string_view utf8)
        : m(impl), m_text(unicode::decodeUtf8(utf8)),
          m_limit(static_cast<std::size_t>(impl.options.maxLength - 2))
    {
    }

    TokenizedText run()
    {
        push(m.clsId);
        std::size_t chunkStart = 0;
        std::size_t i = 0;
        while (i < m_text.size() && !full()) {
            const Impl::Special *hit = matchSpecial(i);
            if (!hit) {
                ++i;
                continue;
            }
            processChunk(chunkStart, i);
            emit(hit->id);
            i += hit->text.size();
            chunkStart = i;
        }
        if (!full())
            processChunk(chunkStart, m_text.size());
        push(m.sepId);
        return std::move(m_out);
    }

private:
    bool full() const { return m_count >= m_limit; }

    void push(std::int64_t id)
    {
        m_out.ids.push_back(id);
        m_out.tokens.push_back(m.tokens[static_cast<std::size_t>(id)]);
    }

    // Adds one word piece unless the sequence is already full (truncation keeps the first
    // maxLength-2 pieces, so nothing after that point can matter).
    bool emit(std::int64_t id)
    {
        if (full())
            return false;
        push(id);
        ++m_count;
        return true;
    }

    const Impl::Special *matchSpecial(std::size_t pos) const
    {
        for (const Impl::Special &s : m.specials) {
            if (m_text.compare(pos, s.text.size(), s.text) == 0)
                return &s;
        }
        return nullptr;
    }

    // Steps 2-3 on the text between special tokens, streaming: each whitespace-delimited
    // piece is finished (steps 4-5) as soon as it ends.
    void processChunk(std::size_t begin, std::size_t end)
    {
        m_piece.clear();
        m_pieceSrc.clear();
        for (std::size_t i = begin; i < end && !full(); ++i) {
            const char32_t c = m_text[i];
            if (c == 0 || c == unicode::kReplacementChar || unicode::isBertControl(c))
                continue;
            // U+2028/U+2029 survive cleaning (Zl/Zp are neither control nor Zs) but Python's
            // str.split() separates words at them.
            if (unicode::isBertWhitespace(c) || c == 0x2028 || c == 0x2029) {
                flushPiece();
                continue;
            }
            if (m.options.splitCjkCharacters && unicode::isCjkIdeograph(c)) {
                flushPiece();
                m_piece.push_back(c);
                m_pieceSrc.push_back(i);
                flushPiece();
                continue;
            }
            m_piece.push_back(c);
            m_pieceSrc.push_back(i);
        }
        flushPiece();
    }

    void flushPiece()
    {
        if (!m_piece.empty() && !full())
            processPiece();
        m_piece.clear();
        m_pieceSrc.clear();
    }

    // Step 4 on one whitespace-delimited piece. Every normalised code point carries the index
    // of the input character it came from, to report unknown words as the user typed them.
    void processPiece()
    {
        const std::size_t pieceEnd = m_pieceSrc.back() + 1;
        m_norm.clear();
        m_normSrc.clear();
        for (std::size_t k = 0; k < m_piece.size(); ++k) {
            m_lowered.clear();
            if (m.options.lowerCase)
                unicode::appendLowerCase(m_lowered, m_piece[k]);
            else
                m_lowered.push_back(m_piece[k]);
            for (const char32_t c : m_lowered) {
                if (m.stripAccents)
                    unicode::appendCanonicalDecomposition(m_norm, c);
                else
                    m_norm.push_back(c);
            }
            m_normSrc.resize(m_norm.size(), m_pieceSrc[k]);
        }
        if (m.stripAccents) {
            unicode::canonicalOrder(m_norm, m_normSrc);
            std::size_t kept = 0;
            for (std::size_t k = 0; k < m_norm.size(); ++k) {
                if (unicode::isNonSpacingMark(m_norm[k]))
                    continue;
                m_norm[kept] = m_norm[k];
                m_normSrc[kept] = m_normSrc[k];
                ++kept;
            }
            m_norm.resize(kept);
            m_normSrc.resize(kept);
        }

        const std::size_t n = m_norm.size();
        std::size_t i = 0;
        while (i < n && !full()) {
            std::size_t j = i + 1;
            if (!unicode::isBertPunctuation(m_norm[i])) {
                while (j < n && !unicode::isBertPunctuation(m_norm[j]))
                    ++j;
            }
            // The word's original text runs from its first input character up to where the
            // next word starts, so dropped accents stay attached to it.
            std::size_t srcBegin = m_normSrc[i];
            std::size_t srcLast = m_normSrc[i];
            for (std::size_t k = i + 1; k < j; ++k) {
                srcBegin = std::min(srcBegin, m_normSrc[k]);
                srcLast = std::max(srcLast, m_normSrc[k]);
            }
            const std::size_t srcEnd = std::max(j < n ? m_normSrc[j] : pieceEnd, srcLast + 1);
            processWord(i, j, srcBegin, srcEnd);
            i = j;
        }
    }

    // Step 5 on m_norm[begin, end).
    void processWord(std::size_t begin, std::size_t end, std::size_t srcBegin, std::size_t srcEnd)
    {
        const std::size_t n = end - begin;
        if (n > static_cast<std::size_t>(m.options.maxCharsPerWord)) {
            emitUnknown(srcBegin, srcEnd);
            return;
        }
        m_word.clear();
        m_offsets.clear();
        for (std::size_t k = begin; k < end; ++k) {
            m_offsets.push_back(m_word.size());
            unicode::appendUtf8(m_word, m_norm[k]);
        }
        m_offsets.push_back(m_word.size());

        m_found.clear();
        std::size_t start = 0;
        while (start < n) {
            std::int64_t id = -1;
            std::size_t stop = std::min(n, start + m.longestTokenChars);
            for (; stop > start; --stop) {
                const std::string_view sub = std::string_view(m_word).substr(
                    m_offsets[start], m_offsets[stop] - m_offsets[start]);
                std::string_view candidate = sub;
                if (start > 0) {
                    m_candidate.assign(kContinuationPrefix);
                    m_candidate.append(sub);
                    candidate = m_candidate;
                }
                if (const auto it = m.vocab.find(candidate); it != m.vocab.end()) {
                    id = it->second;
                    break;
                }
            }
            if (id < 0) {
                emitUnknown(srcBegin, srcEnd);
                return;
            }
            m_found.push_back(id);
            start = stop;
        }
        for (const std::int64_t id : m_found) {
            if (!emit(id))
                return;
        }
    }

    void emitUnknown(std::size_t srcBegin, std::size_t srcEnd)
    {
        if (!emit(m.unkId))
            return;
        const std::size_t length = srcEnd - srcBegin;
        std::string original = unicode::encodeUtf8(
            std::u32string_view(m_text).substr(srcBegin, std::min(length, kMaxReportedWordChars)));
        if (length > kMaxReportedWordChars)
            original += "\u2026";
        auto &words = m_out.unknownWords;
        if (std::find(words.begin(), words.end(), original) == words.end())
            words.push_back(std::move(original));
    }

    const Impl &m;
    const std::u32string m_text;
    const std::size_t m_limit; // word pieces that fit between [CLS] and [SEP]
    std::size_t m_count = 0;
    TokenizedText m_out;

    // Scratch buffers, reused across pieces and words.
    std::u32string m_piece;
    std::vector<std::size_t> m_pieceSrc;
    std::u32string m_lowered;
    std::u32string m_norm;
    std::vector<std::size_t> m_normSrc;
    std::string m_word;
    std::string m_candidate;
    std::vector<std::size_t> m_offsets;
    std::vector<std::int64_t> m_found;
};

WordPieceTokenizer::WordPieceTokenizer(const std::filesystem::path &vocabFile,
                                       const WordPieceOptions &options)
    : WordPieceTokenizer(readVocabLines(vocabFile), options, vocabFile.string())
{
}

WordPieceTokenizer::WordPieceTokenizer(std::vector<std::string> vocabLines,
                                       const WordPieceOptions &options,
                                       const std::string &sourceName)
{
    if (options.maxLength < 2)
        throw std::invalid_argument("WordPieceTokenizer: maxLength must be at least 2, got " +
                                    std::to_string(options.maxLength));
    if (options.maxCharsPerWord < 1)
        throw std::invalid_argument("WordPieceTokenizer: maxCharsPerWord must be positive");
    if (vocabLines.empty())
        throw std::runtime_error(sourceName + ": the vocabulary is empty");

    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->stripAccents = options.stripAccents.value_or(options.lowerCase);
    impl->tokens = std::move(vocabLines);
    impl->vocab.reserve(impl->tokens.size());
    for (std::size_t i = 0; i < impl->tokens.size(); ++i) {
        // Later lines win, as in Python's dict-building loop.
        impl->vocab.insert_or_assign(impl->tokens[i], static_cast<std::int64_t>(i));
        impl->longestTokenChars =
            std::max(impl->longestTokenChars, codePointCount(impl->tokens[i]));
    }

    const auto required = [&](const std::string &name, const char *role) {
        const auto it = impl->vocab.find(std::string_view(name));
        if (name.empty() || it == impl->vocab.end())
            throw std::runtime_error(sourceName + ": the vocabulary has no " + role + " token \"" +
                                     name + "\"");
        return it->second;
    };
    impl->padId = required(options.padToken, "padding");
    impl->unkId = required(options.unkToken, "unknown");
    impl->clsId = required(options.clsToken, "classification (start)");
    impl->sepId = required(options.sepToken, "separator (end)");
    if (const auto it = impl->vocab.find(std::string_view(options.maskToken));
        !options.maskToken.empty() && it != impl->vocab.end())
        impl->maskId = it->second;

    // Only names the vocabulary has are cut out of the text; a name it lacks could only map
    // to [UNK] anyway, and typing it should not silently do that.
    for (const std::string *name : {&options.padToken, &options.unkToken, &options.clsToken,
                                    &options.sepToken, &options.maskToken}) {
        const auto it = impl->vocab.find(std::string_view(*name));
        if (name->empty() || it == impl->vocab.end())
            continue;
        std::u32string text = unicode::decodeUtf8(*name);
        const bool duplicate = std::any_of(impl->specials.begin(), impl->specials.end(),
                                           [&](const Impl::Special &s) { return s.text == text; });
        if (!duplicate)
            impl->specials.push_back({std::move(text), it->second});
    }
    std::stable_sort(impl->specials.begin(), impl->specials.end(),
                     [](const Impl::Special &a, const Impl::Special &b) {
                         return a.text.size() > b.text.size();
                     });
    m_impl = std::move(impl);
}

WordPieceTokenizer::~WordPieceTokenizer() = default;

TokenizedText WordPieceTokenizer::encode(std::string_view utf8) const
{
    return Run(*m_impl, utf8).run();
}

int WordPieceTokenizer::maxLength() const
{
    return m_impl->options.maxLength;
}

std::int64_t WordPieceTokenizer::padId() const
{
    return m_impl->padId;
}

std::int64_t WordPieceTokenizer::unkId() const
{
    return m_impl->unkId;
}

std::size_t WordPieceTokenizer::vocabSize() const
{
    return m_impl->tokens.size();
}

std::int64_t WordPieceTokenizer::clsId() const
{
    return m_impl->clsId;
}

std::int64_t WordPieceTokenizer::sepId() const
{
    return m_impl->sepId;
}

std::int64_t WordPieceTokenizer::maskId() const
{
    return m_impl->maskId;
}

std::optional<std::int64_t> WordPieceTokenizer::tokenId(std::string_view token) const
{
    const auto it = m_impl->vocab.find(token);
    if (it == m_impl->vocab.end())
        return std::nullopt;
    return it->second;
}

const std::string &WordPieceTokenizer::token(std::int64_t id) const
{
    if (id < 0 || static_cast<std::size_t>(id) >= m_impl->tokens.size())
        throw std::out_of_range("WordPieceTokenizer::token: id " + std::to_string(id) +
                                " outside the vocabulary");
    return m_impl->tokens[static_cast<std::size_t>(id)];
}

const WordPieceOptions &WordPieceTokenizer::options() const
{
    return m_impl->options;
}

} // namespace imago
