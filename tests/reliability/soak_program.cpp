// The program the CLI soak starts with `daemoniker start --wait-ready`: a
// daemoniker::SignalHandler with a custom SIGUSR1 handler that appends
// "usr1 <n>" to LOG, READY=1 on NOTIFY_SOCKET once the handler runs, then
// it waits for SIGTERM (the default action: SigTerm in the main thread) and
// exits 0. It gives up after 60 s (exit 3), so it can never linger.
//
//   soak_program PIDFILE LOG

#include <daemoniker/signals.hpp>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

// sd_notify(), as a Type=notify service sends it.
bool notify(const char* message) {
    const char* address = std::getenv("NOTIFY_SOCKET");
    if (address == nullptr || address[0] == '\0') return false;
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    const std::size_t len = std::strlen(address);
    if (len >= sizeof sa.sun_path) return false;
    std::memcpy(sa.sun_path, address, len);
    auto size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    if (address[0] == '@') sa.sun_path[0] = '\0'; // abstract namespace
    else size = static_cast<socklen_t>(size + 1);
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const auto n = std::strlen(message);
    const bool ok = ::sendto(fd, message, n, MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&sa), size) ==
                    static_cast<ssize_t>(n);
    ::close(fd);
    return ok;
}

void append(const std::string& path, const std::string& line) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    [[maybe_unused]] const auto n = ::write(fd, line.data(), line.size());
    ::close(fd);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) return 64;
    const std::string log = argv[2];
    std::atomic<int> calls{0};
    daemoniker::SignalHandler signals(argv[1]);
    signals.set(daemoniker::Signal::sigusr1, [&](int) { append(log, "usr1 " + std::to_string(++calls) + "\n"); });
    signals.start();
    notify("READY=1");
    try {
        if (!signals.wait_for(std::chrono::seconds(60))) return 3;
    } catch (const daemoniker::SigTerm&) {
        return 0;
    }
    return 4;
}
