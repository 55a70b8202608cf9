// How LibTorch's BLAS is identified: LibTorch calls sgemm_ from whatever libblas.so.3 the
// Debian alternatives system points at. dladdr() on that symbol names the library that
// provides it; its real path tells OpenBLAS (.../openblas-openmp/...) from the reference
// implementation (.../blas/libblas.so.3.x).
#include "runtime.h"

#include <dlfcn.h>
#include <filesystem>

namespace imago::flava {

std::string blasLibrary()
{
    void *symbol = ::dlsym(RTLD_DEFAULT, "sgemm_");
    if (!symbol) {
        // LibTorch loaded as a local plugin: its BLAS is not in the global scope.
        if (void *blas = ::dlopen("libblas.so.3", RTLD_LAZY | RTLD_NOLOAD))
            symbol = ::dlsym(blas, "sgemm_");
    }
    Dl_info info{};
    if (!symbol || ::dladdr(symbol, &info) == 0 || !info.dli_fname)
        return {};
    std::error_code ec;
    const auto real = std::filesystem::canonical(info.dli_fname, ec);
    return ec ? std::string(info.dli_fname) : real.string();
}

bool isReferenceBlas(const std::string &library)
{
    if (library.empty())
        return false;
    const auto name = std::filesystem::path(library).parent_path().filename().string();
    // Debian installs the reference BLAS in <libdir>/blas/, OpenBLAS in <libdir>/openblas-*/,
    // BLIS in <libdir>/blis-*/, and so on.
    if (name == "blas")
        return true;
    for (const char *fast : {"openblas", "blis", "mkl", "atlas"})
        if (library.find(fast) != std::string::npos)
            return false;
    return library.find("libblas.so") != std::string::npos;
}

} // namespace imago::flava
