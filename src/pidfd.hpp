#pragma once
// pidfd_open(2) and pidfd_send_signal(2) (Linux >= 5.3) through syscall(2):
// glibc 2.36 has wrappers, older ones do not. Both fail with ENOSYS where the
// system has no such calls, so callers fall back to a bare PID.

#include "posix_features.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace daemoniker::detail {

/// ESRCH also when `pid` is a thread's ID but no process's: kernels answer
/// that with EINVAL or (since 6.9) ENOENT, and a PID file that names a
/// thread names no process.
inline int pidfd_open(pid_t pid) noexcept {
#if DAEMONIKER_HAVE_PIDFD
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0 && (errno == EINVAL || errno == ENOENT)) errno = ESRCH;
    return fd;
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/// True once the process of `pidfd` has exited, zombies included. A pidfd
/// polls readable only when the whole thread group has ended: a main thread
/// that exited while other threads run does not count.
inline bool pidfd_exited(int pidfd) noexcept {
    pollfd p{pidfd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

inline int pidfd_send_signal(int pidfd, int signal_number) noexcept {
#if DAEMONIKER_HAVE_PIDFD
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal_number, nullptr, 0));
#else
    (void)pidfd;
    (void)signal_number;
    errno = ENOSYS;
    return -1;
#endif
}

} // namespace daemoniker::detail
