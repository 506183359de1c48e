// src/descriptors.posix.cpp with close_range(2) made unavailable: its
// close_inherited() falls through to the /proc/self/fd listing. Any way the
// source could reach close_range (the raw system call number or the glibc
// wrapper) is hidden, so this cannot silently measure close_range instead.

#include <cerrno>
#include <sys/syscall.h>
#include <unistd.h>

#undef SYS_close_range
inline int bench_close_range_hidden(unsigned, unsigned, int) noexcept {
    errno = ENOSYS;
    return -1;
}
#define close_range bench_close_range_hidden
#define close_inherited close_inherited_by_directory

#include "descriptors.posix.cpp"

#include "close_strategies.hpp"

int bench::close_by_directory(const int* keep, int keep_count, int fallback_limit) noexcept {
    return daemoniker::detail::close_inherited_by_directory(keep, keep_count, fallback_limit);
}
