// The parts of runtime.h that need LibTorch: they live in the plugin (imago_flava_torch).
#include "runtime.h"

#include <ATen/Parallel.h>

#include <mutex>

namespace imago::flava {

namespace {
std::once_flag g_blasOnce;
} // namespace

int setModelThreads(int n)
{
    if (n <= 0)
        n = recommendedThreads();
    at::set_num_threads(n);
    return at::get_num_threads();
}

int modelThreads()
{
    return at::get_num_threads();
}

void warnIfSlowBlas()
{
    std::call_once(g_blasOnce, [] {
        const std::string lib = blasLibrary();
        if (isReferenceBlas(lib))
            warn("the model runs on the slow reference BLAS (" + lib +
                 "), about 30x slower than OpenBLAS. Install OpenBLAS to fix it: "
                 "sudo apt install libopenblas0-openmp");
    });
}

} // namespace imago::flava
