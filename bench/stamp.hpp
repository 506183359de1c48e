#pragma once
// The C++ side of c/stamp.h: the report a benchmark daemon sends once its own
// code runs ("PID NANOSECONDS\n", CLOCK_MONOTONIC, one write to the harness's
// FIFO), and the idle wait for SIGTERM.

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

namespace bench {

inline std::int64_t now_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline bool stamp(const char* fifo, std::int64_t t_ns) noexcept {
    char line[64];
    const int len = std::snprintf(line, sizeof line, "%ld %lld\n", static_cast<long>(::getpid()), static_cast<long long>(t_ns));
    int fd = -1;
    do {
        fd = ::open(fifo, O_WRONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return false;
    const auto n = ::write(fd, line, static_cast<std::size_t>(len));
    ::close(fd);
    return n == len;
}

inline void wait_for_stop() noexcept {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    int sig = 0;
    while (::sigwait(&set, &sig) != 0) {
    }
}

} // namespace bench
