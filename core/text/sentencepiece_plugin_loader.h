// sentencepiece_plugin_loader.h - finds and loads the imago_sentencepiece plugin on first use.
//
// Nothing here runs until a SentencePiece model is opened: a process that only ever uses
// WordPiece (FLAVA) never loads the plugin, so libsentencepiece is not even mapped.
// The plugin is looked for where plugin_loader.h says (IMAGO_PLUGIN_DIR, then beside the
// executable, then the build tree).
// It is opened with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) (sentencepiece_backend.h
// says why) and never unloaded. A failed attempt is not remembered: the next call tries again.
//
// Threading: openSentencePieceModel() may be called from any thread; loading is serialised.
#pragma once

#include "sentencepiece_backend.h"

#include <filesystem>
#include <memory>
#include <vector>

namespace imago {

// Loads `modelFile` through the plugin. Throws std::runtime_error naming `modelFile`:
// "<file>: SentencePiece support is unavailable: <why>" when the plugin is missing or cannot
// be loaded (with dlerror()'s reason), or when the process runs under a sanitizer runtime,
// which aborts on RTLD_DEEPBIND instead of failing; "<file>: cannot load the SentencePiece
// model: <why>" when the plugin cannot read the model.
std::unique_ptr<const SentencePieceBackend>
openSentencePieceModel(const std::filesystem::path &modelFile);

// The folders searched for the plugin, in order, without duplicates.
std::vector<std::filesystem::path> sentencePiecePluginDirs();

} // namespace imago
