// passive_openmp.cpp - linked into Imago's executables only (a shared object may not have a
// .preinit_array): puts OMP_WAIT_POLICY=PASSIVE into the environment before any library's
// initialiser runs, so libgomp starts with it and the program need not re-execute itself.
//
// Why so early and why this way: libgomp reads OMP_WAIT_POLICY in its own initialiser, before
// main(). The executable's pre-init functions run before every shared library's initialisers,
// but glibc's own initialiser then sets `environ` back to the kernel's environment array, so a
// setenv() here would be lost. What survives is a change to that array itself: an entry of it
// that no initialiser reads (the shell's "_", OLDPWD or SHLVL) is lent to the variable until
// main() calls ensurePassiveOpenMp(), which gives it back (runtime.h). With no such entry the
// program falls back to re-executing itself.
#include "runtime.h"

#include <cstring>

namespace {

char g_entry[] = "OMP_WAIT_POLICY=PASSIVE";

bool startsWith(const char *s, const char *prefix)
{
    return std::strncmp(s, prefix, std::strlen(prefix)) == 0;
}

void lendEnvironmentEntry(int, char **, char **envp)
{
    if (envp == nullptr)
        return;
    for (char **e = envp; *e != nullptr; ++e)
        if (startsWith(*e, "OMP_WAIT_POLICY="))
            return; // the user's choice stands
    for (const char *spare : {"_=", "OLDPWD=", "SHLVL="}) {
        for (char **e = envp; *e != nullptr; ++e) {
            if (startsWith(*e, spare)) {
                imago::flava::lendToOpenMpPolicy(*e, g_entry);
                *e = g_entry;
                return;
            }
        }
    }
}

[[gnu::section(".preinit_array"),
  gnu::used]] void (*const k_lendEnvironmentEntry)(int, char **, char **) = lendEnvironmentEntry;

} // namespace
