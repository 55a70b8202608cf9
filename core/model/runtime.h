// runtime.h - process-wide settings the model layer depends on: OpenMP wait policy, thread
// count, BLAS detection, and where the layer's warnings go. Qt-free, LibTorch-free header.
#pragma once

#include "flava_config.h"

#include <functional>
#include <string>

namespace imago::flava {

// OpenMP reads OMP_WAIT_POLICY once, when libgomp is loaded - before main() runs. A desktop
// app shares the CPU, and spin-waiting model threads ran 5-7x slower than one thread when
// another process held a core. Call first thing in main(). Where the executable links
// app/passive_openmp.cpp, that hook has already given libgomp OMP_WAIT_POLICY=PASSIVE through
// a borrowed environment entry: this gives the entry back and sets the variable properly (for
// child processes). Otherwise, if the policy is not set, it sets OMP_WAIT_POLICY=PASSIVE and
// re-executes the program (same argv) unless `mayReexecute` is false, so that libgomp starts
// with it (~0.6 s of LibTorch's start-up once more). Returns normally when nothing needed to
// change (or re-exec failed).
void ensurePassiveOpenMp(int argc, char **argv, bool mayReexecute = true);
// Called by that pre-init hook: `displaced` is the entry it replaced with `entry`.
void lendToOpenMpPolicy(char *displaced, char *entry);

// Cores this process may run on (sched affinity), and how many of them are idle right now,
// sampled from /proc/stat over ~50 ms. recommendedThreads() = max(1, idle cores rounded).
int availableCores();
int recommendedThreads();

// Sets LibTorch's intra-op thread count (process-wide). n <= 0 means recommendedThreads().
// Returns the count in effect. These two and warnIfSlowBlas() live in the LibTorch plugin
// (runtime_torch.cpp): only code linked with it (the plugin, tests, benchmarks) may call them.
int setModelThreads(int n);
int modelThreads();

// The shared library that provides sgemm_ (what LibTorch's matmul calls), resolved to a real
// path, and whether it is the slow reference BLAS.
std::string blasLibrary();
bool isReferenceBlas(const std::string &library);
// Emits, once per process, a plain-words warning when the reference BLAS is in use.
void warnIfSlowBlas();

// What this CPU's matrix units can do, from /proc/cpuinfo's flags (read once per process; an
// unreadable file gives all false). Tests must not depend on it: the CPU changes between runs.
struct CpuFeatures
{
    bool avx2 = false;
    bool avx512f = false;
    bool avx512Bf16 = false; // AVX512_BF16: bf16 dot products
    bool amxBf16 = false;    // AMX tiles with bf16 (Sapphire Rapids and later)
    bool amxInt8 = false;
    bool vnni = false;       // AVX512_VNNI or AVX-VNNI: int8 dot products
    bool avx512Vnni = false; // AVX512_VNNI itself (512-bit int8/int16 dot products)
    bool avx512bw = false;
    std::string modelName;
    // bf16 arithmetic in hardware (AMX or AVX512_BF16); elsewhere it is emulated, tens of times
    // slower than fp32.
    bool hasBf16() const { return amxBf16 || avx512Bf16; }
    // "avx2 avx512f avx512_bf16 amx_bf16 ...": the flags above that are set, for reports.
    std::string summary() const;
};
const CpuFeatures &cpuFeatures();
// Parses the text of a /proc/cpuinfo (the first processor's flags).
CpuFeatures parseCpuInfo(const std::string &text);

// The precision `auto` picks for the image and multimodal encoders on this CPU: bf16 where AMX
// or AVX512_BF16 run it in hardware (several times fp32 on such a Xeon; embeddings within
// cosine 0.9999 of fp32), int8 where VNNI int8 dot products exist without bf16, else fp32 (on
// an AVX2-only EPYC bf16 ran 45x slower than fp32, and int8 moves the toy's R@1 by 0.05, more
// than the 0.02 the default may cost).
Precision bestCpuPrecision(const CpuFeatures &cpu = cpuFeatures());
// "fp32", "bf16", "int8": the names `--precision` takes.
std::string precisionName(Precision precision);

// Warnings of the model layer go here (default: one line on stderr).
void setWarningHandler(std::function<void(const std::string &)> handler);
void warn(const std::string &message);

} // namespace imago::flava
