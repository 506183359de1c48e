// Signal latency: from the moment the sender starts sending to the moment the
// receiver's handler starts, in a separate receiving process. Three ways:
//
//   daemoniker send()  daemoniker::send(pid_file, SIGUSR1) -> SignalHandler
//                      custom handler (PID file read, pidfd, lock check, kill)
//   daemoniker kill()  kill(pid, SIGUSR1) -> SignalHandler custom handler
//                      (the receiving side alone)
//   C baseline         kill(pid, SIGUSR1) -> a thread blocked in read() on a
//                      signalfd (the floor on Linux)
//
// Each round trip: the sender stores CLOCK_MONOTONIC in shared memory and
// sends; the handler stores its own CLOCK_MONOTONIC first thing, then
// acknowledges through a pipe. Rounds of the three are interleaved (A B C A B
// C ...) so drift of the machine hits all alike.
//
//   signal_latency [ROUNDS]      (default 2000)

#include "stats.hpp"

#include <daemoniker/signals.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

namespace {

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Shared {
    std::atomic<std::int64_t> handler_start{0};
};

void ack(int fd) {
    const char c = 0;
    if (::write(fd, &c, 1) != 1) std::_Exit(3);
}

// A locked PID file, as a daemon holds it (OFD lock, "PID\n").
void hold_pid_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fd < 0 || ::fcntl(fd, F_OFD_SETLK, &fl) != 0) std::_Exit(4);
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::write(fd, pid.data(), pid.size()) != static_cast<ssize_t>(pid.size())) std::_Exit(4);
    // Kept open (and locked) until the process exits.
}

[[noreturn]] void library_receiver(Shared* shared, int ack_fd, int ready_fd, const std::string& pid_file) {
    hold_pid_file(pid_file);
    daemoniker::SignalHandler handler(pid_file);
    handler.set(daemoniker::Signal::sigusr1, [&](int) {
        shared->handler_start.store(now_ns(), std::memory_order_release);
        ack(ack_fd);
    });
    handler.start();
    ack(ready_fd);
    try {
        handler.wait(); // until SIGTERM
    } catch (const daemoniker::SigTerm&) {
    }
    handler.stop();
    std::_Exit(0);
}

[[noreturn]] void baseline_receiver(Shared* shared, int ack_fd, int ready_fd) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    const int sfd = ::signalfd(-1, &set, SFD_CLOEXEC);
    std::thread t([&] {
        signalfd_siginfo info{};
        while (::read(sfd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
            if (info.ssi_signo == SIGTERM) return;
            shared->handler_start.store(now_ns(), std::memory_order_release);
            ack(ack_fd);
        }
    });
    ack(ready_fd);
    t.join();
    std::_Exit(0);
}

struct Receiver {
    pid_t pid = -1;
    int ack_read = -1;
    Shared* shared = nullptr;
};

template <class Body>
Receiver spawn(Body body) {
    Receiver r;
    r.shared = static_cast<Shared*>(::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    new (r.shared) Shared;
    int ack_pipe[2];
    int ready_pipe[2];
    if (::pipe(ack_pipe) != 0 || ::pipe(ready_pipe) != 0) std::exit(1);
    r.pid = ::fork();
    if (r.pid == 0) body(r.shared, ack_pipe[1], ready_pipe[1]);
    ::close(ack_pipe[1]);
    ::close(ready_pipe[1]);
    char c;
    if (::read(ready_pipe[0], &c, 1) != 1) std::exit(1);
    ::close(ready_pipe[0]);
    r.ack_read = ack_pipe[0];
    return r;
}

template <class Send>
double round_trip(Receiver& r, Send send) {
    r.shared->handler_start.store(0);
    const std::int64_t start = now_ns();
    send();
    char c;
    if (::read(r.ack_read, &c, 1) != 1) std::exit(2);
    return static_cast<double>(r.shared->handler_start.load(std::memory_order_acquire) - start) / 1000.0;
}

using bench::Stats;
using bench::stats;

} // namespace

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 2000;
    if (rounds < 10) {
        std::fprintf(stderr, "signal_latency: ROUNDS must be at least 10\n");
        return 64;
    }
    char dir[] = "/tmp/daemoniker-bench-XXXXXX";
    if (::mkdtemp(dir) == nullptr) return 1;
    const std::string pid_file = std::string(dir) + "/receiver.pid";

    Receiver lib = spawn([&](Shared* s, int a, int r) { library_receiver(s, a, r, pid_file); });
    Receiver base = spawn([](Shared* s, int a, int r) { baseline_receiver(s, a, r); });

    std::vector<double> via_send, via_kill, via_signalfd;
    for (int i = 0; i < rounds; ++i) {
        via_send.push_back(round_trip(lib, [&] { daemoniker::send(pid_file, daemoniker::Signal::sigusr1); }));
        via_kill.push_back(round_trip(lib, [&] { ::kill(lib.pid, SIGUSR1); }));
        via_signalfd.push_back(round_trip(base, [&] { ::kill(base.pid, SIGUSR1); }));
    }
    ::kill(lib.pid, SIGTERM);
    ::kill(base.pid, SIGTERM);
    ::waitpid(lib.pid, nullptr, 0);
    ::waitpid(base.pid, nullptr, 0);
    ::unlink(pid_file.c_str());
    ::rmdir(dir);

    const Stats s = stats(via_send), k = stats(via_kill), b = stats(via_signalfd);
    std::printf("signal latency, sender -> handler start, %d interleaved rounds each (microseconds)\n", rounds);
    std::printf("%-34s %9s %9s %9s %9s %13s\n", "", "median", "p99", "min", "max", "median ratio");
    std::printf("%-34s %9.1f %9.1f %9.1f %9.1f %13.2f\n", "daemoniker send() -> handler", s.median, s.p99, s.min, s.max, s.median / b.median);
    std::printf("%-34s %9.1f %9.1f %9.1f %9.1f %13.2f\n", "kill() -> daemoniker handler", k.median, k.p99, k.min, k.max, k.median / b.median);
    std::printf("%-34s %9.1f %9.1f %9.1f %9.1f %13.2f\n", "C baseline: kill() -> signalfd", b.median, b.p99, b.min, b.max, 1.0);
    return 0;
}
