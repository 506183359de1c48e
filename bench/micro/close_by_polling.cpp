// src/descriptors.posix.cpp with close_range(2) and the descriptor
// directories made unavailable: its close_inherited() falls through to the
// poll()-batched loop up to RLIMIT_NOFILE. getrlimit() is routed through
// simulate_nofile() so the loop can be measured at a limit this machine
// does not grant.

#include <cerrno>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {
long simulated_nofile = 0;
}

#undef SYS_close_range
inline int bench_close_range_hidden(unsigned, unsigned, int) noexcept {
    errno = ENOSYS;
    return -1;
}
inline DIR* bench_opendir_hidden(const char*) noexcept {
    errno = ENOENT;
    return nullptr;
}
inline int bench_getrlimit(__rlimit_resource_t resource, struct rlimit* rl) noexcept {
    if (resource == RLIMIT_NOFILE && simulated_nofile > 0) {
        rl->rlim_cur = rl->rlim_max = static_cast<rlim_t>(simulated_nofile);
        return 0;
    }
    return ::getrlimit(resource, rl);
}
#define close_range bench_close_range_hidden
#define opendir bench_opendir_hidden
#define getrlimit bench_getrlimit
#define close_inherited close_inherited_by_polling

#include "descriptors.posix.cpp"

#include "close_strategies.hpp"

int bench::close_by_polling(const int* keep, int keep_count, int fallback_limit) noexcept {
    return daemoniker::detail::close_inherited_by_polling(keep, keep_count, fallback_limit);
}

void bench::simulate_nofile(long limit) noexcept { simulated_nofile = limit; }
