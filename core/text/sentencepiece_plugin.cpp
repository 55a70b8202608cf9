// sentencepiece_plugin.cpp - the imago_sentencepiece plugin: SentencePieceBackend over
// libsentencepiece. The only file that includes sentencepiece headers outside the tests; see
// sentencepiece_backend.h for why it is a plugin and what crosses its boundary.
#include "sentencepiece_backend.h"

#include <sentencepiece_processor.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

namespace {

class Backend final : public imago::SentencePieceBackend
{
public:
    // Empty on success, else sentencepiece's reason.
    std::string load(const char *modelFile)
    {
        const auto status = m_processor.Load(modelFile);
        return status.ok() ? std::string() : status.ToString();
    }

    int pieceSize() const override { return m_processor.GetPieceSize(); }

    int pieceToId(std::string_view piece) const override { return m_processor.PieceToId(piece); }

    std::string_view idToPiece(int id) const override
    {
        if (id < 0 || id >= m_processor.GetPieceSize())
            return {};
        return m_processor.IdToPiece(id);
    }

    int unkId() const override { return m_processor.unk_id(); }
    int bosId() const override { return m_processor.bos_id(); }
    int eosId() const override { return m_processor.eos_id(); }
    int padId() const override { return m_processor.pad_id(); }

    void encode(std::string_view utf8, imago::SentencePiecePieceSink &sink) const override
    {
        try {
            sentencepiece::ImmutableSentencePieceText spt;
            if (const auto status = m_processor.Encode(utf8, spt.mutable_proto()); !status.ok()) {
                sink.failed(status.ToString());
                return;
            }
            const std::size_t count = spt.pieces_size();
            for (std::size_t i = 0; i < count; ++i) {
                const auto piece = spt.pieces(static_cast<int>(i));
                if (!sink.piece(static_cast<int>(piece.id()), piece.surface()))
                    break;
            }
        } catch (const std::exception &e) {
            sink.failed(e.what()); // std::bad_alloc on a huge input
        } catch (...) {
            sink.failed("unknown exception");
        }
    }

private:
    sentencepiece::SentencePieceProcessor m_processor;
};

void writeError(char *error, std::size_t errorSize, const std::string &message)
{
    if (error && errorSize > 0)
        std::snprintf(error, errorSize, "%s", message.c_str());
}

} // namespace

extern "C" __attribute__((visibility("default"))) imago::SentencePieceBackend *
imago_sentencepiece_open_v1(const char *modelFile, char *error, std::size_t errorSize)
{
    try {
        auto backend = std::make_unique<Backend>();
        if (std::string why = backend->load(modelFile); !why.empty()) {
            writeError(error, errorSize, why);
            return nullptr;
        }
        return backend.release();
    } catch (const std::exception &e) {
        writeError(error, errorSize, e.what());
    } catch (...) {
        writeError(error, errorSize, "unknown exception");
    }
    return nullptr;
}

// The exported name and type are the ones the loader looks up.
static_assert(std::string_view(imago::kSentencePieceFactorySymbol) ==
              "imago_sentencepiece_open_v1");
static_assert(std::is_same_v<decltype(&imago_sentencepiece_open_v1), imago::SentencePieceFactory>);
