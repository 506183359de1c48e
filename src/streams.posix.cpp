// Redirecting a standard descriptor on POSIX, and the null device.

#include "streams.hpp"
#include "sys.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace daemoniker::detail {

int redirect_stream(int fd, const std::filesystem::path& path) noexcept {
    // Only the outputs are created: a missing input is an error (ENOENT),
    // not an empty file the daemon would read as "no input".
    const int flags = fd == 0 ? O_RDONLY : O_WRONLY | O_APPEND | O_CREAT;
    // O_NONBLOCK: opening a FIFO for writing that nobody reads would block
    // until the startup timeout; non-blocking, it fails at once with ENXIO.
    // The program gets a blocking descriptor, as from a shell redirection.
    const int opened = sys::retry(
        [&] { return ::open(path.c_str(), flags | O_NOCTTY | O_CLOEXEC | O_NONBLOCK, 0666); });
    if (opened < 0) return errno;
    const int status = ::fcntl(opened, F_GETFL);
    if (status == -1 || ::fcntl(opened, F_SETFL, status & ~O_NONBLOCK) == -1) {
        const int e = errno;
        ::close(opened);
        return e;
    }
    if (opened == fd) return ::fcntl(fd, F_SETFD, 0) == 0 ? 0 : errno; // dup2 would keep FD_CLOEXEC
    // dup2 replaces the target atomically: no moment without a stdout.
    const int r = sys::retry([&] { return ::dup2(opened, fd); });
    const int e = errno;
    ::close(opened);
    return r < 0 ? e : 0;
}

std::filesystem::path null_device() { return "/dev/null"; }

} // namespace daemoniker::detail
