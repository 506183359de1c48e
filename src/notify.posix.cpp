// sd_notify on POSIX: one datagram on an AF_UNIX socket named by NOTIFY_SOCKET.

#include "posix_features.hpp"
#include "sys.hpp"

#include <daemoniker/errors.hpp>
#include <daemoniker/notify.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace daemoniker {

bool notify(std::string_view state, std::error_code& ec) noexcept {
    ec.clear();
    const char* where = std::getenv("NOTIFY_SOCKET");
    if (where == nullptr || *where == '\0') return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::size_t len = std::strlen(where);
    if ((where[0] != '/' && where[0] != '@') || len >= sizeof addr.sun_path) {
        ec = std::make_error_code(std::errc::invalid_argument);
        return false;
    }
    std::memcpy(addr.sun_path, where, len);
    if (where[0] == '@') addr.sun_path[0] = '\0'; // Linux abstract namespace
    const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
#if DAEMONIKER_HAVE_SOCK_CLOEXEC
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
#else
    // Not atomic: a thread that forks and execs meanwhile passes it on.
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd >= 0 && ::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
        ec.assign(errno, std::system_category());
        ::close(fd);
        return false;
    }
#endif
    if (fd < 0) {
        ec.assign(errno, std::system_category());
        return false;
    }
#if DAEMONIKER_HAVE_MSG_NOSIGNAL
    constexpr int no_sigpipe = MSG_NOSIGNAL;
#else
    constexpr int no_sigpipe = 0; // a datagram to an unconnected address fails, it raises no SIGPIPE
#endif
    const auto sent = detail::sys::retry([&] {
        return ::sendto(fd, state.data(), state.size(), no_sigpipe, reinterpret_cast<const sockaddr*>(&addr), addr_len);
    });
    if (sent < 0) ec.assign(errno, std::system_category());
    ::close(fd);
    return !ec;
}

} // namespace daemoniker
