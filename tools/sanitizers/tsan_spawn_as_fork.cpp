// tsan_spawn_as_fork.cpp - LD_PRELOADed into the ThreadSanitizer run (tools/sanitize.sh tsan)
// only; not part of any Imago program.
//
// Qt 6.4's QProcess starts a child with clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) (forkfd's
// vforkfd). libtsan's clone() interceptor then runs its fork-child hook inside the child, which
// shares the parent's memory: the hook writes into the *parent's* sanitizer state (marks it a
// child of a multi-threaded fork, turns off checking and reports for the calling thread, forgets
// the other threads). The test process then dies at its next pthread_create ("starting new
// threads after multi-threaded fork is not supported"), or, with die_after_fork=0, runs on
// half-blind. TSan turns vfork() into fork() for the same reason; this does the same for the
// vfork-style clone(): it drops CLONE_VM | CLONE_VFORK and hands the call on to the next
// clone() (libtsan's interceptor), so the child gets its own copy of memory and the parent's
// state stays its own. Qt already supports plain fork() children (its FFD_USE_FORK path), and
// later Qt versions stop using vfork under sanitizers themselves.
#include <dlfcn.h>
#include <sched.h>
#include <sys/types.h>

#include <cstdarg>

extern "C" int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    // glibc's clone(): the three optional arguments are read as the flags require.
    va_list ap;
    va_start(ap, arg);
    pid_t *parentTid = va_arg(ap, pid_t *);
    void *tls = va_arg(ap, void *);
    pid_t *childTid = va_arg(ap, pid_t *);
    va_end(ap);
    using Clone = int (*)(int (*)(void *), void *, int, void *, ...);
    static const auto next = reinterpret_cast<Clone>(dlsym(RTLD_NEXT, "clone"));
    constexpr int kVfork = CLONE_VM | CLONE_VFORK;
    if ((flags & kVfork) == kVfork && !(flags & CLONE_THREAD))
        flags &= ~kVfork;
    return next(fn, stack, flags, arg, parentTid, tls, childTid);
}
