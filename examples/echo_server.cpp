// A TCP echo daemon on loopback, with its event loop built on poll(): the
// listening socket, the clients, and the SignalHandler's descriptor, which
// turns readable when SIGTERM (or SIGINT) arrives.
//
//   echo_server PIDFILE PORTFILE [LOGFILE]
//
// It listens on 127.0.0.1 on a port the system picks, writes that port to
// PORTFILE (once the socket listens), and echoes every line back. SIGTERM
// ends it cleanly: clients are closed, "stopping" is logged, the PID file
// goes away.

#include <daemoniker/daemoniker.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

int listen_on_loopback(unsigned short& port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0; // any free port
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 16) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
        return -1;
    port = ntohs(addr.sin_port);
    return fd;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: echo_server PIDFILE PORTFILE [LOGFILE]\n");
        return 64;
    }
    const std::filesystem::path pid_file = argv[1];
    const std::filesystem::path port_file = argv[2];
    daemoniker::Options options{.chdir = "/"};
    if (argc > 3) options.stdout_goto = options.stderr_goto = std::filesystem::absolute(argv[3]);
    // daemonize() exits in the original process; only the daemon returns.
    daemoniker::daemonize(pid_file, options);

    unsigned short port = 0;
    const int listener = listen_on_loopback(port);
    if (listener < 0) {
        std::perror("echo_server: listen");
        return 1;
    }
    daemoniker::SignalHandler signals(pid_file);
    signals.start();
    std::ofstream(port_file) << port << "\n";
    std::printf("echo_server: listening on 127.0.0.1:%u\n", port);
    std::fflush(stdout);

    // fds[0]: signals, fds[1]: listener, then one entry per client.
    std::vector<pollfd> fds{{signals.native_handle(), POLLIN, 0}, {listener, POLLIN, 0}};
    try {
        for (;;) {
            if (::poll(fds.data(), fds.size(), -1) < 0) {
                if (errno == EINTR) continue; // a signal interrupted poll(): the loop looks at fds[0]
                std::perror("echo_server: poll");
                return 1;
            }
            if (fds[0].revents != 0) signals.check(); // throws SigTerm / SigInt
            if (fds[1].revents & POLLIN) {
                const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
                if (client >= 0) fds.push_back({client, POLLIN, 0});
            }
            for (std::size_t i = 2; i < fds.size();) {
                if (fds[i].revents == 0) {
                    ++i;
                    continue;
                }
                char buf[4096];
                const auto n = ::read(fds[i].fd, buf, sizeof buf);
                if (n > 0 && ::write(fds[i].fd, buf, static_cast<std::size_t>(n)) == n) {
                    ++i;
                    continue;
                }
                ::close(fds[i].fd); // hung up (or failed): forget the client
                fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
            }
        }
    } catch (const daemoniker::ReceivedSignal& e) {
        for (std::size_t i = 2; i < fds.size(); ++i) ::close(fds[i].fd);
        ::close(listener);
        std::printf("echo_server: stopping (%s), %zu client(s) closed\n", e.what(), fds.size() - 2);
    }
    std::remove(port_file.c_str());
    return 0; // the PID file is removed on this normal exit path
}
