// An epoll event loop that ticks once a second (timerfd) and stops on
// SIGTERM through the SignalHandler's descriptor; SIGHUP reopens the log
// (log rotation) from the signal thread.
//
//   epoll_ticker PIDFILE LOGFILE

#include <daemoniker/daemoniker.hpp>

#include <cstdio>
#include <cstdint>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: epoll_ticker PIDFILE LOGFILE\n");
        return 64;
    }
    const std::filesystem::path pid_file = argv[1];
    const auto log = std::filesystem::absolute(argv[2]);
    daemoniker::daemonize(pid_file, {.chdir = "/", .stdout_goto = log, .stderr_goto = log});

    daemoniker::SignalHandler signals(pid_file);
    signals.set(daemoniker::Signal::sighup, [](int) {
        // A rotated log: start writing to a fresh file at the same path.
        daemoniker::reopen_streams();
        std::printf("epoll_ticker: log reopened\n");
        std::fflush(stdout);
    });
    signals.start();

    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    const int timer = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    const itimerspec every_second{{1, 0}, {0, 1}};
    ::timerfd_settime(timer, 0, &every_second, nullptr);
    epoll_event on_signal{EPOLLIN, {.fd = signals.native_handle()}};
    epoll_event on_timer{EPOLLIN, {.fd = timer}};
    ::epoll_ctl(ep, EPOLL_CTL_ADD, signals.native_handle(), &on_signal);
    ::epoll_ctl(ep, EPOLL_CTL_ADD, timer, &on_timer);

    try {
        for (unsigned tick = 1;;) {
            epoll_event ev[2];
            const int n = ::epoll_wait(ep, ev, 2, -1); // EINTR: just loop
            for (int i = 0; i < n; ++i) {
                if (ev[i].data.fd == signals.native_handle()) signals.check(); // throws on SIGTERM/SIGINT
                if (ev[i].data.fd == timer) {
                    std::uint64_t expirations = 0;
                    if (::read(timer, &expirations, sizeof expirations) == sizeof expirations) {
                        std::printf("epoll_ticker: tick %u\n", tick++);
                        std::fflush(stdout);
                    }
                }
            }
        }
    } catch (const daemoniker::ReceivedSignal& e) {
        std::printf("epoll_ticker: stopping (%s)\n", e.what());
    }
    ::close(timer);
    ::close(ep);
    return 0;
}
