// plugin_loader.cpp - see plugin_loader.h.
#include "plugin_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace imago {

namespace {

std::string dlError()
{
    const char *message = dlerror();
    return message ? message : "unknown dlopen error";
}

} // namespace

std::vector<std::filesystem::path> pluginDirs(const std::filesystem::path &buildDir)
{
    std::vector<std::filesystem::path> dirs;
    const auto add = [&dirs](const std::filesystem::path &dir) {
        const std::filesystem::path normal = dir.lexically_normal();
        if (std::find(dirs.begin(), dirs.end(), normal) == dirs.end())
            dirs.push_back(normal);
    };
    if (const char *env = std::getenv("IMAGO_PLUGIN_DIR"); env && *env)
        add(env);
    std::error_code ec;
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec)
        add(exe.parent_path() / ".." / "lib" / "imago" / "plugins");
    add(buildDir);
    return dirs;
}

std::filesystem::path findPlugin(const std::string &fileName, const std::filesystem::path &buildDir)
{
    std::string searched;
    for (const std::filesystem::path &dir : pluginDirs(buildDir)) {
        const std::filesystem::path file = dir / fileName;
        std::error_code ec;
        if (std::filesystem::exists(file, ec))
            return file;
        searched += (searched.empty() ? "" : ", ") + dir.string();
    }
    throw std::runtime_error(fileName + " was not found in " + searched +
                             " (IMAGO_PLUGIN_DIR names another folder to look in)");
}

void *openPluginFile(const std::filesystem::path &file, int flags)
{
    dlerror(); // clear a stale message
    void *handle = dlopen(file.c_str(), flags);
    if (!handle) {
        const std::string why = dlError(); // usually starts with the file's path
        throw std::runtime_error(why.find(file.string()) == std::string::npos
                                     ? "cannot load " + file.string() + ": " + why
                                     : "cannot load " + why);
    }
    return handle;
}

void *openPlugin(const std::string &fileName, const std::filesystem::path &buildDir, int flags)
{
    return openPluginFile(findPlugin(fileName, buildDir), flags);
}

void *pluginSymbol(void *handle, const std::string &fileName, const char *symbol)
{
    dlerror();
    void *address = dlsym(handle, symbol);
    if (!address)
        throw std::runtime_error(fileName + " is not the plugin this build expects (" + dlError() +
                                 ")");
    return address;
}

} // namespace imago
