// plugin_loader.h - finds and opens Imago's own plugins (shared objects loaded with dlopen()
// on first use: the SentencePiece tokenizer, the LibTorch part of the model).
//
// A plugin is looked for in these folders, in order, and the first one that has the file is
// used (a file that is there but will not load is an error, not skipped):
//   1. $IMAGO_PLUGIN_DIR, when set and not empty;
//   2. <folder of the running executable>/../lib/imago/plugins (the installed layout, which the
//      build tree repeats: build/bin/ and build/lib/imago/plugins/);
//   3. the build tree's plugin folder, compiled in by the caller (tests and tools outside
//      build/bin/).
// Plugins are never unloaded. Plain C++ (no Qt), so the model layer can use it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace imago {

// The folders searched, in order, without duplicates.
std::vector<std::filesystem::path> pluginDirs(const std::filesystem::path &buildDir);

// The plugin file `fileName` in the first folder that has it. Throws std::runtime_error
// ("<fileName> was not found in <folders> ...") when none has.
std::filesystem::path findPlugin(const std::string &fileName,
                                 const std::filesystem::path &buildDir);

// dlopen(file, flags); throws std::runtime_error ("cannot load <file>: <why>").
void *openPluginFile(const std::filesystem::path &file, int flags);

// findPlugin() then openPluginFile().
void *openPlugin(const std::string &fileName, const std::filesystem::path &buildDir, int flags);

// dlsym(handle, symbol); throws std::runtime_error when the plugin lacks it (a stale plugin).
void *pluginSymbol(void *handle, const std::string &fileName, const char *symbol);

} // namespace imago
