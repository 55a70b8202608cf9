// wordpiece_tokenizer.h - BERT WordPiece tokenizer (bert-base-uncased as FLAVA uses it).
//
// Reproduces Hugging Face's BertTokenizer (transformers 4.27, do_lower_case=True) and the
// Rust BertNormalizer + BertPreTokenizer + WordPiece exactly; the 61 golden cases in
// shared/flava-reference/tokenizer-cases.jsonl are the oracle. The steps, in order:
//  1. literal special tokens ("[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", case-sensitive,
//     even inside words, longest first) are cut out and kept as single tokens;
//  2. U+0000, U+FFFD and categories Cc/Cf/Cs/Co/Cn are deleted (TAB/LF/CR excepted), TAB, LF,
//     CR and Zs become spaces; invalid UTF-8 arrives here as U+FFFD and is deleted too;
//  3. each CJK ideograph becomes a word of its own;
//  4. split on whitespace (plus U+2028/U+2029); per word: lower-case each code point on its
//     own (no final-sigma rule), NFD, drop category Mn, split off every punctuation character;
//  5. WordPiece: longest vocabulary prefix, then longest "##" continuations; a word with more
//     than 100 code points, or with a position nothing matches, becomes ONE unknown token;
//  6. [CLS] + the first maxLength-2 pieces + [SEP].
// Special tokens are looked up by NAME in the vocabulary (BERT: [CLS]=101; flava-toy: 2).
//
// The vocabulary file is read the way Python's text mode does (lines end at LF, CRLF or CR);
// a leading UTF-8 BOM is ignored; when a token appears twice the later line wins (as in HF),
// and vocabSize() is the number of lines.
//
// Threading: immutable after construction; all members are const and thread-safe.
#pragma once

#include "tokenizer.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace imago {

struct WordPieceOptions
{
    int maxLength = 77;               // including [CLS]/[SEP]; must be >= 2
    bool lowerCase = true;            // do_lower_case
    std::optional<bool> stripAccents; // strip_accents; unset follows lowerCase (HF's rule)
    bool splitCjkCharacters = true;   // tokenize_chinese_chars
    int maxCharsPerWord = 100;        // max_input_chars_per_word
    std::string padToken = "[PAD]";
    std::string unkToken = "[UNK]";
    std::string clsToken = "[CLS]";
    std::string sepToken = "[SEP]";
    std::string maskToken = "[MASK]"; // optional in the vocabulary
};

class WordPieceTokenizer final : public Tokenizer
{
public:
    // Reads `vocabFile` (one token per line, id = 0-based line number). Throws
    // std::runtime_error naming the file when it cannot be read, is empty or lacks one of the
    // pad/unk/cls/sep tokens; std::invalid_argument for options out of range.
    explicit WordPieceTokenizer(const std::filesystem::path &vocabFile,
                                const WordPieceOptions &options = {});
    // The same from the lines of a vocabulary already in memory; `sourceName` names it in
    // error messages.
    WordPieceTokenizer(std::vector<std::string> vocabLines, const WordPieceOptions &options,
                       const std::string &sourceName);
    ~WordPieceTokenizer() override;

    TokenizedText encode(std::string_view utf8) const override;
    int maxLength() const override;
    std::int64_t padId() const override;
    std::int64_t unkId() const override;
    std::size_t vocabSize() const override;

    std::int64_t clsId() const;
    std::int64_t sepId() const;
    std::int64_t maskId() const; // -1 when the vocabulary has none
    std::optional<std::int64_t> tokenId(std::string_view token) const;
    const std::string &token(std::int64_t id) const; // std::out_of_range outside the vocabulary
    const WordPieceOptions &options() const;

private:
    struct Impl;
    class Run;
    std::unique_ptr<const Impl> m_impl;
};

} // namespace imago
