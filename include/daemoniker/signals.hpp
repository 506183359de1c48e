#pragma once
/// \file
/// Handling signals in the daemon and sending them through its PID file.
///
/// SIGINT, SIGTERM and SIGABRT (the three that exist on both POSIX and
/// Windows) have a *default action* that mirrors Python Daemoniker's
/// "raise the matching exception in the main thread": the signal is recorded,
/// and the main thread receives SigInt / SigTerm / SigAbrt from wait() or
/// check(), sees its std::stop_token requested, and can poll a descriptor.
/// SIGHUP, SIGUSR1 and SIGUSR2 can be handled and sent the same way; their
/// default action is the system's own (the library leaves them alone).
///
///     daemoniker::SignalHandler signals(pid_file);
///     signals.set(daemoniker::Signal::sighup, [](int) { reopen_logs(); });
///     signals.start();
///     try {
///         while (true) { signals.wait_for(1s); do_work(); }
///     } catch (const daemoniker::SigTerm&) {
///         log("stopping");       // returning from main removes the PID file
///     }

#include <daemoniker/errors.hpp>
#include <daemoniker/export.hpp>

#include <chrono>
#include <concepts>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace daemoniker {

/// The signals the library handles and sends on every platform.
enum class Signal {
    sigint,  ///< SIGINT: interrupt (Ctrl-C)
    sigterm, ///< SIGTERM: polite request to stop
    sigabrt, ///< SIGABRT: abort
    sighup,  ///< SIGHUP: by convention, reload configuration / reopen logs
    sigusr1, ///< SIGUSR1: user-defined
    sigusr2, ///< SIGUSR2: user-defined
};

inline constexpr int signal_count = 6;

/// "SIGINT", "SIGTERM", ...
DAEMONIKER_API std::string_view to_string(Signal signal) noexcept;

/// This platform's number for the signal (SIGTERM is 15 on Linux).
/// Platform notes: on Windows SIGINT, SIGTERM and SIGABRT are the C runtime's
/// numbers; SIGHUP, SIGUSR1 and SIGUSR2 get the Linux numbers 1, 10 and 12,
/// used only by the library's own channel.
DAEMONIKER_API int to_number(Signal signal) noexcept;

/// The Signal for a number, if it is one of the six.
DAEMONIKER_API std::optional<Signal> signal_from_number(int number) noexcept;

/// Parses "TERM", "SIGTERM", "sigterm" or "15" (one of the six signals).
DAEMONIKER_API std::optional<Signal> parse_signal(std::string_view text) noexcept;

/// The Signal matching an exception type: signal_of<SigTerm>() == Signal::sigterm.
template <class E>
    requires std::same_as<E, SigInt> || std::same_as<E, SigTerm> || std::same_as<E, SigAbrt>
constexpr Signal signal_of() noexcept {
    if constexpr (std::same_as<E, SigInt>) return Signal::sigint;
    else if constexpr (std::same_as<E, SigTerm>) return Signal::sigterm;
    else return Signal::sigabrt;
}

/// Tag of the default action (see the file comment).
struct DefaultAction {
    explicit constexpr DefaultAction() = default;
};
/// Tag of the explicit "ignore": the signal is received and dropped. (The
/// disposition is not set to SIG_IGN, which programs the daemon executes would
/// inherit.)
struct IgnoreAction {
    explicit constexpr IgnoreAction() = default;
};
inline constexpr DefaultAction default_action{};
inline constexpr IgnoreAction ignore_signal{};

/// What to do with a signal: the default action, ignore it, or call a
/// function with the signal number.
class DAEMONIKER_API SignalAction {
public:
    /// by_default: the default action (see the file comment); ignore; call a function.
    enum class Kind { by_default, ignore, call };

    SignalAction(DefaultAction = default_action) noexcept {} // NOLINT: implicit by design
    SignalAction(IgnoreAction) noexcept : kind_(Kind::ignore) {}
    /// Any callable taking the signal number.
    template <class F>
        requires(!std::same_as<std::remove_cvref_t<F>, SignalAction> && std::invocable<F&, int>)
    SignalAction(F&& f) : kind_(Kind::call), call_(std::forward<F>(f)) {} // NOLINT: implicit by design

    [[nodiscard]] Kind kind() const noexcept { return kind_; }
    void operator()(int signal_number) const { call_(signal_number); }

private:
    Kind kind_ = Kind::by_default;
    std::function<void(int)> call_;
};

namespace detail {
struct SignalState; // SignalHandler's state, shared with its signal thread
} // namespace detail

/// Receives signals on a dedicated thread and acts on them.
///
/// **Where handlers run.** Never in async-signal context: the system's signal
/// handler only records the signal and wakes the library's signal thread,
/// which calls the custom handler with the signal number. Handlers may
/// allocate, lock, log and call set(). An exception thrown by a custom handler
/// is caught on that thread and rethrown in the main thread by the next
/// wait()/check().
///
/// **Signals that arrive while a handler runs** are not lost: each arrival
/// marks its signal pending, and the thread calls the handler again after the
/// current call returns. Arrivals of the same signal during one call coalesce
/// into one more call (the kernel coalesces standard signals too), so after
/// the last signal arrives, its handler runs at least once.
///
/// Only one SignalHandler can be started at a time in a process (signal
/// dispositions are process-wide). start() saves the current dispositions and
/// stop() restores them. A child the daemon forks gets the saved dispositions
/// back, so it is not silently deaf to SIGTERM.
///
/// The default action is delivered to whoever calls wait()/check(): if the
/// program never calls them (nor looks at stop_token() or native_handle()),
/// a default-handled SIGTERM does nothing visible.
///
/// Platform notes: POSIX installs a sigaction handler (SA_RESTART) that only
/// writes to a self-pipe, so threads created before start() need no signal
/// mask and programs the daemon executes inherit no blocked signals. That
/// handler may run in any thread: a blocking poll(), select() or sleep in the
/// program can return early with EINTR (the kernel never restarts those);
/// retry them as usual. On Windows signals arrive over a per-daemon named
/// pipe (see docs/how-it-works.md); `pid_file` names it.
class DAEMONIKER_API SignalHandler {
public:
#ifdef _WIN32
    using native_handle_type = void*; ///< a manual-reset event HANDLE
#else
    using native_handle_type = int; ///< a descriptor that polls readable
#endif

    /// Actions for SIGINT, SIGTERM and SIGABRT; SIGHUP, SIGUSR1 and SIGUSR2 start
    /// with the system's default and can be set().
    explicit SignalHandler(std::filesystem::path pid_file, SignalAction sigint = default_action,
                           SignalAction sigterm = default_action, SignalAction sigabrt = default_action);
    ~SignalHandler(); ///< stop()
    SignalHandler(const SignalHandler&) = delete;
    SignalHandler& operator=(const SignalHandler&) = delete;

    /// Installs the handlers and starts the signal thread. Throws SignalError
    /// if another SignalHandler is started or the system refuses.
    void start();
    /// Restores the dispositions saved by start() and joins the signal thread.
    /// Idempotent; also run by the destructor and at process exit. Must not be
    /// called from a custom handler.
    void stop() noexcept;
    [[nodiscard]] bool started() const noexcept;

    /// Replaces the action for a signal; thread-safe, before or after start().
    void set(Signal signal, SignalAction action);
    /// set(signal, default_action).
    void reset(Signal signal) { set(signal, default_action); }

    /// Blocks until a default-handled signal arrives, then throws the matching
    /// SigInt / SigTerm / SigAbrt (or rethrows a custom handler's exception).
    /// Each recorded signal is thrown once. Returns (without throwing) when
    /// the handler is not started: stop() was called, by another thread or
    /// at exit, or start() never was; no signal can arrive then. Signals
    /// recorded before stop() are still thrown first.
    void wait();
    /// As wait(), for at most `timeout`. Returns false when the time ran out
    /// with no signal (the usual "sleep unless a signal arrives" of a work
    /// loop), true when the handler is not started (see wait()):
    ///
    ///     while (!signals.wait_for(1s)) do_work(); // until SigTerm, or stop()
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout) {
        return wait_until(std::chrono::steady_clock::now() +
                          std::chrono::ceil<std::chrono::steady_clock::duration>(timeout));
    }
    /// As wait_for(), until `deadline`.
    bool wait_until(std::chrono::steady_clock::time_point deadline);
    /// Non-blocking: throws like wait() if a signal is recorded, else returns.
    void check();
    /// True while a recorded signal waits to be thrown (does not throw).
    [[nodiscard]] bool pending() const noexcept;

    /// Requested at the first default-handled signal (and never reset).
    [[nodiscard]] std::stop_token stop_token() const noexcept;
    /// Readable (POSIX) / signaled (Windows) while a recorded signal waits to
    /// be thrown by wait()/check(). For poll/epoll/asio integration.
    [[nodiscard]] native_handle_type native_handle() const noexcept;

    [[nodiscard]] const std::filesystem::path& pid_file() const noexcept;

private:
    std::shared_ptr<detail::SignalState> state_;
};

/// Sends `signal` to the daemon whose PID file is `pid_file`. Refuses with a
/// SignalError, sending nothing, when the file is missing, unreadable, not a
/// regular file, empty or malformed, names PID 1, is stale (its lock is not
/// held), or could have been written by someone less privileged than the
/// caller (the trust rule of inspect_pid_file()): a reused PID never
/// receives a signal meant for a dead daemon, and nobody can aim the
/// caller's signals by writing a PID file.
///
/// Platform notes: on Linux the target is pinned with a pidfd before the lock
/// is checked, so the daemon cannot exit and have its PID reused between the
/// check and the kill. On Windows the signal travels over the daemon's named
/// pipe and send() returns once the daemon acknowledged it; a SIGHUP, SIGUSR1
/// or SIGUSR2 for which the daemon set no action (POSIX would terminate it)
/// is dropped there, and send() fails with errc::signal_dropped.
DAEMONIKER_API void send(const std::filesystem::path& pid_file, Signal signal);
DAEMONIKER_API void send(const std::filesystem::path& pid_file, Signal signal, std::error_code& ec) noexcept;
/// A raw signal number. Platform notes: POSIX accepts any valid signal
/// number (SIGKILL included); Windows only the numbers of the six Signals.
DAEMONIKER_API void send(const std::filesystem::path& pid_file, int signal_number);
DAEMONIKER_API void send(const std::filesystem::path& pid_file, int signal_number, std::error_code& ec) noexcept;
/// The signal a ReceivedSignal carries (its signal_number()): a caught
/// SigTerm, SigInt, SigAbrt or ReceivedSignal passes on as it is, e.g.
/// `catch (const ReceivedSignal& s) { send(worker_pid_file, s); }`.
/// Refuses like send(pid_file, int).
DAEMONIKER_API void send(const std::filesystem::path& pid_file, const ReceivedSignal& signal);
DAEMONIKER_API void send(const std::filesystem::path& pid_file, const ReceivedSignal& signal,
                         std::error_code& ec) noexcept;
/// send<SigTerm>(pid_file): the signal named by its exception type.
template <class E>
void send(const std::filesystem::path& pid_file) {
    send(pid_file, signal_of<E>());
}

/// True when the PID file is locked by a live daemon (the same rule send()
/// applies). False when it is missing or stale; throws PidFileError when it
/// cannot be read or is refused.
DAEMONIKER_API bool is_running(const std::filesystem::path& pid_file);
DAEMONIKER_API bool is_running(const std::filesystem::path& pid_file, std::error_code& ec) noexcept;

} // namespace daemoniker
