// libFuzzer target: the BERT WordPiece tokenizer (real vocabulary) on arbitrary bytes.
#include "wordpiece_tokenizer.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::unique_ptr<imago::WordPieceTokenizer> tokenizer = [] {
        const char *vocab = std::getenv("IMAGO_FUZZ_VOCAB");
        imago::WordPieceOptions o;
        o.maxLength = 77;
        return std::make_unique<imago::WordPieceTokenizer>(vocab ? vocab : IMAGO_FUZZ_VOCAB, o);
    }();
    const auto t = tokenizer->encode(std::string_view(reinterpret_cast<const char *>(data), size));
    if (t.ids.size() < 2 || t.ids.size() > 77 || t.ids.size() != t.tokens.size())
        std::abort();
    return 0;
}
