#pragma once
// A pipe whose ends are close-on-exec (and non-blocking on request).

#include "posix_features.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace daemoniker::detail {

/// pipe2() where the system has it. Otherwise pipe() and then fcntl(): a
/// thread of the caller that forks and execs in between passes the ends on
/// to its program (the daemon's own paths fork from one thread only).
/// Returns 0, or -1 with errno set (no descriptor left open).
inline int cloexec_pipe(int fds[2], bool nonblocking = false) noexcept {
#if DAEMONIKER_HAVE_PIPE2
    return ::pipe2(fds, O_CLOEXEC | (nonblocking ? O_NONBLOCK : 0));
#else
    if (::pipe(fds) != 0) return -1;
    for (int i = 0; i < 2; ++i)
        if (::fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0 ||
            (nonblocking && ::fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0)) {
            const int e = errno;
            ::close(fds[0]);
            ::close(fds[1]);
            errno = e;
            return -1;
        }
    return 0;
#endif
}

} // namespace daemoniker::detail
