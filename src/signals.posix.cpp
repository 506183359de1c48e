// Signals on POSIX: a sigaction handler that only marks the signal pending
// and writes one byte to a self-pipe; a dedicated thread that wakes on the
// pipe and runs the actions.
//
// Why not signalfd: it needs the signals blocked in every thread, including
// threads the program started before start(), and a blocked mask is
// inherited by every program the daemon executes (a child that cannot be
// stopped with SIGTERM). A caught disposition has neither problem: any
// thread may take the signal, and exec resets it to the default.

#include "signals.hpp"

#include "pid_file_internal.hpp"
#include "cloexec_pipe.hpp"
#include "posix_features.hpp"
#include "pidfd.hpp"
#include "sys.hpp"

#include <daemoniker/pid_file.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace daemoniker {

int to_number(Signal signal) noexcept {
    switch (signal) {
    case Signal::sigint: return SIGINT;
    case Signal::sigterm: return SIGTERM;
    case Signal::sigabrt: return SIGABRT;
    case Signal::sighup: return SIGHUP;
    case Signal::sigusr1: return SIGUSR1;
    case Signal::sigusr2: return SIGUSR2;
    }
    return 0;
}

} // namespace daemoniker

namespace daemoniker::detail {
namespace {

// Shared with the async-signal handler: lock-free atomics only.
std::atomic<int> wake_fd{-1};
std::atomic<std::uint32_t> pending_bits{0};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<std::uint32_t>::is_always_lock_free);

extern "C" void on_signal(int number) {
    const int saved_errno = errno;
    int bit = -1;
    // A switch, not to_number(): nothing here may be more than plain loads.
    if (number == SIGINT) bit = 0;
    else if (number == SIGTERM) bit = 1;
    else if (number == SIGABRT) bit = 2;
    else if (number == SIGHUP) bit = 3;
    else if (number == SIGUSR1) bit = 4;
    else if (number == SIGUSR2) bit = 5;
    if (bit >= 0) {
        pending_bits.fetch_or(1u << bit, std::memory_order_release);
        const int fd = wake_fd.load(std::memory_order_acquire);
        if (fd >= 0) {
            const char byte = 0;
            // A full pipe means the thread has wake-ups queued already.
            [[maybe_unused]] const auto n = ::write(fd, &byte, 1);
        }
    }
    errno = saved_errno;
}

int make_pipe(int fds[2]) noexcept { return cloexec_pipe(fds, true); }

} // namespace

struct SignalPlatform {
    detail::SignalState* state = nullptr;
    int wake_read = -1;
    int wake_write = -1;
    std::thread thread;
    std::atomic<bool> stopping{false};
    pid_t owner = 0;
    std::array<struct sigaction, signal_count> saved{};
    std::array<bool, signal_count> caught{};

    void loop() noexcept {
        for (;;) {
            pollfd p{wake_read, POLLIN, 0};
            if (::poll(&p, 1, -1) < 0 && errno != EINTR) return;
            char buf[256];
            while (::read(wake_read, buf, sizeof buf) > 0) {
            }
            if (stopping.load(std::memory_order_acquire)) return;
            // Taken after draining: a signal that lands after this exchange
            // also wrote a byte, so the next poll() returns at once.
            const auto bits = pending_bits.exchange(0, std::memory_order_acq_rel);
            for (std::size_t i = 0; i < signal_count; ++i)
                if ((bits & (1u << i)) != 0) state->deliver(static_cast<Signal>(i));
        }
    }
};

namespace {
// The started platform, for the fork hook.
std::atomic<SignalPlatform*> current{nullptr};

// In a child the daemon forks, the signal thread does not exist: give the
// child the dispositions it had before start(), so it reacts to signals
// like any program instead of writing into its parent's pipe.
extern "C" void after_fork_in_child() {
    SignalPlatform* p = current.load();
    if (p == nullptr) return;
    wake_fd.store(-1);
    for (std::size_t i = 0; i < signal_count; ++i)
        if (p->caught[i]) ::sigaction(to_number(static_cast<Signal>(i)), &p->saved[i], nullptr);
}

int catch_signal(SignalPlatform& p, Signal signal) noexcept {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; // the program's own system calls are not interrupted
    const auto i = index(signal);
    if (::sigaction(to_number(signal), &sa, &p.saved[i]) != 0) return errno;
    p.caught[i] = true;
    return 0;
}

void release_signal(SignalPlatform& p, Signal signal) noexcept {
    const auto i = index(signal);
    if (!p.caught[i]) return;
    ::sigaction(to_number(signal), &p.saved[i], nullptr);
    p.caught[i] = false;
}
} // namespace

void SignalPlatformDeleter::operator()(SignalPlatform* p) const noexcept { delete p; }

PlatformPtr platform_start(detail::SignalState& state) {
    static const bool hooked = ::pthread_atfork(nullptr, nullptr, after_fork_in_child) == 0;
    (void)hooked;
    PlatformPtr p(new SignalPlatform);
    p->state = &state;
    p->owner = ::getpid();
    int fds[2];
    if (make_pipe(fds) != 0) {
        const std::error_code ec(errno, std::system_category());
        throw SignalError("cannot start SignalHandler: pipe: " + ec.message(), ec);
    }
    p->wake_read = fds[0];
    p->wake_write = fds[1];
    pending_bits.store(0);
    wake_fd.store(p->wake_write);
    std::array<SignalAction::Kind, signal_count> kinds{};
    {
        std::lock_guard lock(state.mutex);
        for (std::size_t i = 0; i < signal_count; ++i) kinds[i] = state.actions[i].kind();
    }
    for (std::size_t i = 0; i < signal_count; ++i) {
        const auto sig = static_cast<Signal>(i);
        if (!needs_catching(sig, kinds[i])) continue;
        if (const int e = catch_signal(*p, sig)) {
            platform_stop(*p);
            const std::error_code ec(e, std::system_category());
            throw SignalError("cannot start SignalHandler: sigaction(" + std::string(to_string(sig)) + "): " + ec.message(), ec);
        }
    }
    try {
        p->thread = std::thread([raw = p.get()] { raw->loop(); });
    } catch (const std::system_error& e) {
        platform_stop(*p);
        throw SignalError(std::string("cannot start SignalHandler: thread: ") + e.what(), e.code());
    }
    current.store(p.get());
    return p;
}

void platform_stop(SignalPlatform& p) noexcept {
    if (p.owner != ::getpid()) {
        // A forked copy: the thread lives only in the parent. Forget it.
        if (p.thread.joinable()) static_cast<void>(new (std::nothrow) std::thread(std::move(p.thread)));
    } else {
        for (std::size_t i = 0; i < signal_count; ++i) release_signal(p, static_cast<Signal>(i));
        p.stopping.store(true, std::memory_order_release);
        if (p.wake_write >= 0) {
            const char byte = 1;
            [[maybe_unused]] const auto n = ::write(p.wake_write, &byte, 1);
        }
        if (p.thread.joinable()) p.thread.join();
    }
    SignalPlatform* expected = &p;
    current.compare_exchange_strong(expected, nullptr);
    wake_fd.store(-1);
    if (p.wake_read >= 0) ::close(p.wake_read);
    if (p.wake_write >= 0) ::close(p.wake_write);
    p.wake_read = p.wake_write = -1;
}

void platform_catch(SignalPlatform& p, Signal signal, bool catching) {
    if (!catching) {
        release_signal(p, signal);
        return;
    }
    if (const int e = catch_signal(p, signal)) {
        const std::error_code ec(e, std::system_category());
        throw SignalError("cannot handle " + std::string(to_string(signal)) + ": sigaction: " + ec.message(), ec);
    }
}

// ---- Notifier: a pipe that holds one byte while a signal waits --------------

Notifier::Notifier() {
    int fds[2];
    if (make_pipe(fds) != 0) {
        const std::error_code ec(errno, std::system_category());
        throw SignalError("cannot create the SignalHandler descriptor: pipe: " + ec.message(), ec);
    }
    read_ = fds[0];
    write_ = fds[1];
}

Notifier::~Notifier() {
    ::close(read_);
    ::close(write_);
}

void Notifier::raise() noexcept {
    // Called with the state mutex held, together with clear(): at most one
    // byte is ever in the pipe.
    pollfd p{read_, POLLIN, 0};
    if (::poll(&p, 1, 0) == 1) return;
    const char byte = 0;
    [[maybe_unused]] const auto n = ::write(write_, &byte, 1);
}

void Notifier::clear() noexcept {
    char buf[16];
    while (::read(read_, buf, sizeof buf) > 0) {
    }
}

SignalHandler::native_handle_type Notifier::handle() const noexcept { return read_; }

} // namespace daemoniker::detail

// ---- send ------------------------------------------------------------------

namespace daemoniker {

void send(const std::filesystem::path& pid_file, int signal_number, std::error_code& ec) noexcept {
    ec.clear();
    if (signal_number <= 0 || signal_number >= DAEMONIKER_NSIG) {
        ec = make_error_code(errc::invalid_signal);
        return;
    }
    // The shared reader applies the trust rule, and pins the process before
    // it finds the lock held: the pidfd is then the daemon's, and a reused
    // PID can never be hit.
    detail::PidFileReading reading;
    ec = detail::read_pid_file(pid_file, reading);
    if (ec) return;
    if (reading.state == PidFileState::absent) {
        ec = make_error_code(errc::not_running);
        return;
    }
    if (reading.pid == 0) {
        ec = make_error_code(errc::malformed_pid_file);
        return;
    }
    if (reading.pid == 1) {
        ec = make_error_code(errc::init_process);
        return;
    }
    if (reading.state == PidFileState::stale) {
        ec = make_error_code(errc::stale_pid_file);
        return;
    }
    int sent = reading.pidfd ? detail::pidfd_send_signal(reading.pidfd.get(), signal_number) : -1;
    if (!reading.pidfd || (sent != 0 && errno == ENOSYS)) sent = ::kill(static_cast<pid_t>(reading.pid), signal_number);
    if (sent != 0) ec.assign(errno, std::system_category());
}

} // namespace daemoniker
