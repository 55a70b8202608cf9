// runtime.h - process-wide settings the model layer depends on: OpenMP wait policy, thread
// count, BLAS detection, and where the layer's warnings go. Qt-free, LibTorch-free header.
#pragma once

#include <functional>
#include <string>

namespace imago::flava {

// OpenMP reads OMP_WAIT_POLICY once, when libgomp is loaded - before main() runs. A desktop
// app shares the CPU, and spin-waiting model threads ran 5-7x slower than one thread when
// another process held a core. Call first thing in main(): if the policy is not set, it sets
// OMP_WAIT_POLICY=PASSIVE and re-executes the program (same argv), so that libgomp starts with
// it. Returns normally when nothing needed to change (or re-exec was impossible).
void ensurePassiveOpenMp(int argc, char **argv);

// Cores this process may run on (sched affinity), and how many of them are idle right now,
// sampled from /proc/stat over ~50 ms. recommendedThreads() = max(1, idle cores rounded).
int availableCores();
int recommendedThreads();

// Sets LibTorch's intra-op thread count (process-wide). n <= 0 means recommendedThreads().
// Returns the count in effect.
int setModelThreads(int n);
int modelThreads();

// The shared library that provides sgemm_ (what LibTorch's matmul calls), resolved to a real
// path, and whether it is the slow reference BLAS.
std::string blasLibrary();
bool isReferenceBlas(const std::string &library);
// Emits, once per process, a plain-words warning when the reference BLAS is in use.
void warnIfSlowBlas();

// Warnings of the model layer go here (default: one line on stderr).
void setWarningHandler(std::function<void(const std::string &)> handler);
void warn(const std::string &message);

} // namespace imago::flava
