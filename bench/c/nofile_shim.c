/* Simulates a descriptor limit that this machine does not let us set:
 * preloaded (LD_PRELOAD) into every contender alike, it reports
 * DAEMONIKER_BENCH_NOFILE as the soft and hard RLIMIT_NOFILE through every
 * libc entry point a daemonizer asks (getrlimit, getrlimit64, prlimit,
 * prlimit64 with a NULL new limit, sysconf(_SC_OPEN_MAX), getdtablesize).
 * The kernel's real limit is unchanged: a descriptor above it is simply not
 * open, which is what a loop over the simulated range finds at every
 * descriptor past the few really open — so the loops cost what they would
 * cost under the real limit. Without the variable every call passes through.
 *
 * Raw system calls (close_range, /proc/self/fd) do not ask the limit and are
 * not affected: they do not depend on it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static rlim_t simulated(void) {
    const char *v = getenv("DAEMONIKER_BENCH_NOFILE");
    if (v == NULL || *v == '\0') return 0;
    char *end = NULL;
    const unsigned long long n = strtoull(v, &end, 10);
    return end != v && *end == '\0' ? (rlim_t)n : 0;
}

static void *next(const char *name) { return dlsym(RTLD_NEXT, name); }

int prlimit64(pid_t pid, enum __rlimit_resource resource, const struct rlimit64 *new_limit,
              struct rlimit64 *old_limit) {
    int (*real)(pid_t, enum __rlimit_resource, const struct rlimit64 *, struct rlimit64 *) =
        (int (*)(pid_t, enum __rlimit_resource, const struct rlimit64 *, struct rlimit64 *))next("prlimit64");
    const rlim_t sim = simulated();
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
    if (sim == 0 || resource != RLIMIT_NOFILE || (pid != 0 && pid != getpid())) return real(pid, resource, new_limit, old_limit);
    if (new_limit != NULL) {
        /* Raising up to the simulated limit "succeeds": clamp to the real one. */
        struct rlimit64 cur;
        if (real(0, resource, NULL, &cur) != 0) return -1;
        struct rlimit64 clamped = *new_limit;
        if (clamped.rlim_max > cur.rlim_max) clamped.rlim_max = cur.rlim_max;
        if (clamped.rlim_cur > clamped.rlim_max) clamped.rlim_cur = clamped.rlim_max;
        if (real(0, resource, &clamped, NULL) != 0) return -1;
    }
    if (old_limit != NULL) old_limit->rlim_cur = old_limit->rlim_max = sim;
    return 0;
}

int prlimit(pid_t pid, enum __rlimit_resource resource, const struct rlimit *new_limit, struct rlimit *old_limit) {
    return prlimit64(pid, resource, (const struct rlimit64 *)new_limit, (struct rlimit64 *)old_limit);
}

int getrlimit64(enum __rlimit_resource resource, struct rlimit64 *rl) { return prlimit64(0, resource, NULL, rl); }

int getrlimit(enum __rlimit_resource resource, struct rlimit *rl) {
    return prlimit64(0, resource, NULL, (struct rlimit64 *)rl);
}

int setrlimit64(enum __rlimit_resource resource, const struct rlimit64 *rl) { return prlimit64(0, resource, rl, NULL); }

int setrlimit(enum __rlimit_resource resource, const struct rlimit *rl) {
    return prlimit64(0, resource, (const struct rlimit64 *)rl, NULL);
}

long sysconf(int name) {
    long (*real)(int) = (long (*)(int))next("sysconf");
    const rlim_t sim = simulated();
    if (name == _SC_OPEN_MAX && sim != 0) return (long)sim;
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return real(name);
}

int getdtablesize(void) {
    const rlim_t sim = simulated();
    if (sim != 0) return (int)sim;
    struct rlimit rl;
    return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (int)rl.rlim_cur : 256;
}
