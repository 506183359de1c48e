// src/descriptors.posix.cpp as the portable build compiles it
// (DAEMONIKER_PORTABLE_POSIX, src/posix_features.hpp): no close_range and no
// /proc, so close_inherited() lists /dev/fd, the directory macOS and FreeBSD
// (with fdescfs) have. On Linux /dev/fd is a link to /proc/self/fd, so this
// measures the same listing through the portable build's code path.

#ifndef DAEMONIKER_PORTABLE_POSIX
#define DAEMONIKER_PORTABLE_POSIX 1
#endif
#define close_inherited close_inherited_by_dev_fd

#include "descriptors.posix.cpp"

#include "close_strategies.hpp"

int bench::close_by_dev_fd(const int* keep, int keep_count, int fallback_limit) noexcept {
    return daemoniker::detail::close_inherited_by_dev_fd(keep, keep_count, fallback_limit);
}
