// sentencepiece_tokenizer.h - a Tokenizer over a SentencePiece model (libsentencepiece).
//
// For text encoders that ship `spiece.model`, `sentencepiece.bpe.model` or `tokenizer.model`
// instead of a WordPiece vocab.txt. The model's own normaliser and segmentation are used as
// they are; ids are the model's piece ids (models whose Hugging Face tokenizer shifts ids,
// such as fairseq/XLM-R's "+1 offset", are not reproduced).
//
// libsentencepiece is not linked into imago_text: the first SentencePieceTokenizer loads the
// imago_sentencepiece plugin, which links it (sentencepiece_backend.h says why: its bundled
// protobuf crashes any process that also loads LibTorch; sentencepiece_plugin_loader.h says
// where the plugin is looked for). Without a loadable plugin only constructing this class
// fails; WordPiece never needs it.
//
// Framing, chosen in this order (the first that exists wins):
//   start: a piece named "[CLS]" -> the model's bos id -> a piece named "<s>";
//   end:   a piece named "[SEP]" -> the model's eos id -> a piece named "</s>".
// BERT-style encoders trained with SentencePiece (ALBERT) frame with [CLS]/[SEP] even when the
// model also defines <s>/</s>, so explicit [CLS]/[SEP] pieces take precedence; otherwise the
// bos/eos the model declares are what it was trained to see. No framing token at all is an
// error at construction.
// Padding: the model's pad id, else a piece "<pad>" or "[PAD]", else the unknown id (padding
// is masked out, so any valid id will do).
// Unknown words: the input text of every piece that maps to the unknown id.
//
// Threading: immutable after construction; SentencePieceProcessor::Encode is const and keeps
// no per-call state in the processor, so encode() is thread-safe. The plugin is loaded under
// a lock, so tokenizers may be constructed on several threads at once.
#pragma once

#include "tokenizer.h"

#include <filesystem>
#include <memory>

namespace imago {

struct SentencePieceOptions
{
    int maxLength = 77;     // including the two framing tokens; must be >= 2
    bool lowerCase = false; // lower-case each code point before the model sees the text
};

class SentencePieceTokenizer final : public Tokenizer
{
public:
    // Loads `modelFile`; throws std::runtime_error naming it when it cannot be loaded or has
    // no usable framing tokens, or when the plugin is unavailable ("<file>: SentencePiece
    // support is unavailable: <why>"); std::invalid_argument for options out of range.
    explicit SentencePieceTokenizer(const std::filesystem::path &modelFile,
                                    const SentencePieceOptions &options = {});
    ~SentencePieceTokenizer() override;

    TokenizedText encode(std::string_view utf8) const override;
    int maxLength() const override;
    std::int64_t padId() const override;
    std::int64_t unkId() const override;
    std::size_t vocabSize() const override;

    std::int64_t startId() const; // the [CLS] equivalent
    std::int64_t endId() const;   // the [SEP] equivalent
    const SentencePieceOptions &options() const;

private:
    struct Impl; // owns the plugin's SentencePieceBackend
    std::unique_ptr<const Impl> m_impl;
};

} // namespace imago
