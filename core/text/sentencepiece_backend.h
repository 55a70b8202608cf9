// sentencepiece_backend.h - the boundary between imago_text and the SentencePiece plugin.
//
// Why a plugin: Debian's libsentencepiece.so.0 carries its own copy of protobuf-lite and
// EXPORTS it (~750 google::protobuf symbols), while LibTorch loads the system libprotobuf.so.32.
// In one process the dynamic linker binds libprotobuf's own calls to sentencepiece's copy
// (symbol interposition), and libprotobuf's static initialisers crash before main(). So
// nothing of ours links libsentencepiece: the plugin `imago_sentencepiece` (a MODULE built
// from sentencepiece_plugin.cpp) does, and SentencePieceTokenizer loads it only when a model
// folder ships a SentencePiece model, with dlopen(RTLD_LOCAL | RTLD_DEEPBIND): LOCAL keeps
// sentencepiece's protobuf out of the global scope, DEEPBIND makes sentencepiece resolve
// protobuf to its own copy even when libprotobuf is already loaded
// (sentencepiece_plugin_loader.h does the loading).
//
// The contract of this header, kept by both sides (they are built together, same compiler
// and standard library):
//  - no sentencepiece or protobuf type appears here;
//  - no heap memory changes owner across the boundary: strings come back as views of memory
//    the backend owns, or are handed to a sink during the call; a backend is destroyed
//    through its virtual destructor, which runs (and frees) inside the plugin;
//  - no exception leaves the plugin: failures are return values or sink calls;
//  - the plugin is never unloaded, so a backend may live as long as the process.
// Changing anything here means bumping the version in kSentencePieceFactorySymbol, so that a
// stale plugin is refused when it is loaded instead of crashing when it is called.
//
// Threading: a backend is immutable after the factory returns it; every member is const and
// may be called from several threads at once (SentencePieceProcessor::Encode is const and
// keeps no per-call state).
#pragma once

#include <cstddef>
#include <string_view>

namespace imago {

// Receives the pieces of one encode() call, in order.
class SentencePiecePieceSink
{
public:
    // One piece: its id and the input text it covers (valid during this call only).
    // Returns false to receive no further pieces.
    virtual bool piece(int id, std::string_view surface) = 0;
    // The model could not encode the text; `message` is sentencepiece's status.
    virtual void failed(std::string_view message) = 0;

protected:
    ~SentencePiecePieceSink() = default;
};

// A loaded SentencePiece model: a thin mirror of sentencepiece::SentencePieceProcessor.
// Ids follow its conventions: bosId()/eosId()/padId() answer -1 when the model defines none.
class SentencePieceBackend
{
public:
    virtual ~SentencePieceBackend() = default;

    virtual int pieceSize() const = 0;
    // The piece's id; like SentencePieceProcessor::PieceToId, the unknown id for a piece the
    // model does not have.
    virtual int pieceToId(std::string_view piece) const = 0;
    // The piece's text, valid as long as the backend; empty for an id out of range.
    virtual std::string_view idToPiece(int id) const = 0;
    virtual int unkId() const = 0;
    virtual int bosId() const = 0;
    virtual int eosId() const = 0;
    virtual int padId() const = 0;
    // Normalises and segments `utf8` (valid UTF-8) with the model; every piece goes to `sink`.
    virtual void encode(std::string_view utf8, SentencePiecePieceSink &sink) const = 0;

protected:
    SentencePieceBackend() = default;
    SentencePieceBackend(const SentencePieceBackend &) = delete;
    SentencePieceBackend &operator=(const SentencePieceBackend &) = delete;
};

// The plugin's one exported symbol, named kSentencePieceFactorySymbol, has this type. It loads
// the model at `modelFile` (a NUL-terminated path) and returns a new backend owned by the
// caller (delete it), or nullptr after writing why (NUL-terminated, truncated to `errorSize`)
// into `error`.
using SentencePieceFactory = SentencePieceBackend *(*)(const char *modelFile, char *error,
                                                       std::size_t errorSize);
inline constexpr char kSentencePieceFactorySymbol[] = "imago_sentencepiece_open_v1";

} // namespace imago
