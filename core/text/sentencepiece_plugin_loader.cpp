// sentencepiece_plugin_loader.cpp - see sentencepiece_plugin_loader.h.
#include "sentencepiece_plugin_loader.h"

#include "plugin_loader.h"
#include "text_log.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

namespace imago {

namespace {

// Both come from CMake (core/text/CMakeLists.txt).
constexpr char kPluginFileName[] = IMAGO_SENTENCEPIECE_PLUGIN_NAME;
constexpr char kPluginBuildDir[] = IMAGO_PLUGIN_BUILD_DIR;

std::mutex g_loadMutex;
SentencePieceFactory g_factory = nullptr; // set once the plugin loaded; never unloaded

// Sanitizer runtimes intercept dlopen() and abort the whole process when they see
// RTLD_DEEPBIND (google/sanitizers#611), so ask before calling it. The runtime exports its
// init function whether it is linked statically (clang) or as a shared library (gcc).
const char *sanitizerRuntime()
{
    static constexpr std::pair<const char *, const char *> kRuntimes[] = {
        {"__asan_init", "AddressSanitizer"},
        {"__hwasan_init", "HWAddressSanitizer"},
        {"__tsan_init", "ThreadSanitizer"},
        {"__msan_init", "MemorySanitizer"},
    };
    for (const auto &[symbol, name] : kRuntimes)
        if (dlsym(RTLD_DEFAULT, symbol))
            return name;
    return nullptr;
}

// Loads the plugin; throws std::runtime_error saying why it cannot (without the model file).
SentencePieceFactory loadPlugin()
{
    const std::filesystem::path file = findPlugin(kPluginFileName, kPluginBuildDir);
    if (const char *sanitizer = sanitizerRuntime())
        throw std::runtime_error("the process runs under " + std::string(sanitizer) +
                                 ", which refuses the RTLD_DEEPBIND that " + file.string() +
                                 " must be loaded with");
    void *handle = openPluginFile(file, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    void *symbol = nullptr;
    try {
        symbol = pluginSymbol(handle, file.string(), kSentencePieceFactorySymbol);
    } catch (const std::runtime_error &) {
        dlclose(handle);
        throw;
    }
    qCDebug(lcText) << "SentencePiece plugin loaded from" << file.c_str();
    // POSIX guarantees that a function's address survives the trip through void *.
    return reinterpret_cast<SentencePieceFactory>(symbol);
}

} // namespace

std::vector<std::filesystem::path> sentencePiecePluginDirs()
{
    return pluginDirs(kPluginBuildDir);
}

std::unique_ptr<const SentencePieceBackend>
openSentencePieceModel(const std::filesystem::path &modelFile)
{
    SentencePieceFactory factory = nullptr;
    {
        const std::lock_guard lock(g_loadMutex);
        if (!g_factory) {
            try {
                g_factory = loadPlugin();
            } catch (const std::runtime_error &e) {
                throw std::runtime_error(modelFile.string() +
                                         ": SentencePiece support is unavailable: " + e.what());
            }
        }
        factory = g_factory;
    }
    std::array<char, 1024> error{};
    SentencePieceBackend *backend = factory(modelFile.c_str(), error.data(), error.size());
    if (!backend)
        throw std::runtime_error(modelFile.string() +
                                 ": cannot load the SentencePiece model: " + error.data());
    return std::unique_ptr<const SentencePieceBackend>(backend);
}

} // namespace imago
