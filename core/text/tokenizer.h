// tokenizer.h - text to token ids for the FLAVA text encoder.
//
// A Tokenizer turns one UTF-8 query into the ids the text encoder reads: [CLS] pieces [SEP]
// (or the SentencePiece model's equivalent framing), truncated to maxLength() and NOT padded;
// padToLength() pads a row for batching and returns its attention mask.
//
//     auto tok = imago::Tokenizer::fromModelFolder(folder, config.text.maxPositionEmbeddings);
//     imago::TokenizedText t = tok->encode("two kids building a sandcastle");
//     std::vector<std::int64_t> mask = imago::padToLength(t.ids, tok->maxLength(), tok->padId());
//
// Implementations: WordPieceTokenizer (BERT uncased, exact; wordpiece_tokenizer.h) and
// SentencePieceTokenizer (sentencepiece_tokenizer.h).
//
// Threading: a Tokenizer is immutable after construction; encode() and every other const
// member may be called from any number of threads at once (no shared mutable state).
// Errors: construction problems (missing/unreadable/malformed files) throw std::runtime_error
// whose what() names the file and the problem. encode() never throws on any input bytes:
// invalid UTF-8 is replaced and then deleted like any other unusable character.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace imago {

// The result of encoding one query.
struct TokenizedText
{
    // [CLS] ... [SEP] (or the model's equivalents), at most maxLength() ids, not padded.
    std::vector<std::int64_t> ids;
    // The same sequence as UTF-8 pieces, including the framing tokens ("[CLS]", "##s", ...).
    std::vector<std::string> tokens;
    // Words of the input (UTF-8, as typed) that became the unknown token, in order of first
    // appearance, without duplicates; only those inside the kept (non-truncated) part. For a
    // "the model cannot read X" warning. A literal "[UNK]" typed by the user is not reported.
    std::vector<std::string> unknownWords;
};

class Tokenizer
{
public:
    virtual ~Tokenizer();

    // Never throws; any byte sequence is accepted (see above).
    virtual TokenizedText encode(std::string_view utf8) const = 0;
    // The most ids encode() returns, including the two framing tokens.
    virtual int maxLength() const = 0;
    virtual std::int64_t padId() const = 0;
    virtual std::int64_t unkId() const = 0;
    // Number of ids the vocabulary spans (every id encode() returns is below it).
    virtual std::size_t vocabSize() const = 0;

    // Builds the tokenizer a Hugging Face model folder ships:
    //  - `vocab.txt` present -> WordPieceTokenizer;
    //  - else `spiece.model`, `sentencepiece.bpe.model` or `tokenizer.model` (first found, in
    //    that order) -> SentencePieceTokenizer;
    //  - else std::runtime_error.
    // Settings from `tokenizer_config.json` when the folder has one: `model_max_length` (used
    // when it is an integer in [2, 1000000]; Hugging Face writes 1e30 for "unset"), else 77
    // (FLAVA's); the result is clamped to `maxPositions`, the text encoder's
    // max_position_embeddings, which must be >= 2 (std::invalid_argument otherwise).
    // `do_lower_case` (default true for WordPiece; false for SentencePiece, whose models are
    // mostly cased and normalise on their own), `strip_accents`, `tokenize_chinese_chars` and
    // the special token names (`cls_token`, ...) for WordPiece.
    static std::unique_ptr<Tokenizer> fromModelFolder(const std::filesystem::path &dir,
                                                      int maxPositions);

protected:
    Tokenizer() = default;
    Tokenizer(const Tokenizer &) = delete;
    Tokenizer &operator=(const Tokenizer &) = delete;
};

// Pads `ids` on the right with `padId` up to `length` and returns the matching attention mask
// (1 for each original id, 0 for padding), for building a batch. `ids` longer than `length`
// is a caller bug (encode() already truncates): throws std::invalid_argument.
std::vector<std::int64_t> padToLength(std::vector<std::int64_t> &ids, std::size_t length,
                                      std::int64_t padId);

} // namespace imago
