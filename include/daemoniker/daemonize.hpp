#pragma once
/// \file
/// Turning the running program into a daemon, three ways:
///
/// - daemonize(): the call most programs need. The original process ends
///   (status 0, or 1 with a one-line message); the daemon continues.
/// - daemonize_or_throw(): the same, but a failure is thrown to the caller
///   (AlreadyRunning, StartupError, ...) instead of ending the process.
/// - Daemonizer / with_daemonizer(): Python Daemoniker's context manager,
///   for setup code that must run once and parent-only code after success.
///
/// reopen_streams() serves log rotation in the daemon; set_exit_status()
/// tells a Windows service's exit status to the Service Control Manager.

#include <daemoniker/codec.hpp>
#include <daemoniker/detail/daemonize.hpp>
#include <daemoniker/errors.hpp>
#include <daemoniker/export.hpp>
#include <daemoniker/options.hpp>

#include <concepts>
#include <exception>
#include <filesystem>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace daemoniker {

/// Exit status of the original process when daemonization failed.
inline constexpr int exit_startup_failed = 1;
/// Exit status of the original process when parent-only code failed.
inline constexpr int exit_parent_failed = 2;

/// Turns the calling program into a daemon whose PID is written to, and
/// locked in, `pid_file`.
///
/// In the daemon it returns the preserved `args` as a tuple. The original
/// process never returns: it exits with status 0 once the daemon reported
/// that every step succeeded (PID file locked and written, directory changed,
/// umask set, descriptors closed, streams redirected), or with status 1 and a
/// one-line message on stderr naming the step, the path and the reason —
/// already running (pid N), a bad option, a step that failed, or no report
/// within `success_timeout`. Nothing is left behind on failure. To handle
/// the failure yourself, call daemonize_or_throw().
///
/// Call it before starting any thread (see Options::allow_threads) and flush
/// nothing yourself: the library flushes stdio before forking so buffered
/// output is not written twice.
///
/// Every argument must be Serializable (see codec.hpp), on every platform.
///
/// Platform notes: on POSIX the daemon is the grandchild of a double fork and
/// continues right here with the original's memory. On Windows the running
/// executable is re-launched; all code before this call runs again in the
/// daemon, and only `args` carry state across (prefer Daemonizer there).
/// With Options::detach = Detach::never nothing forks: this process is the
/// daemon, and a failure ends it with status 1.
/// A Windows process that the Service Control Manager started (its parent
/// is services.exe) becomes that service instead, whatever Options::detach
/// says: no re-launch; the service control dispatcher starts on a thread of
/// its own; SERVICE_START_PENDING while the steps of Detach::never run (the
/// directory, the PID file holding this PID, the streams given), then
/// SERVICE_RUNNING. A failed step reports SERVICE_STOPPED with
/// ERROR_SERVICE_SPECIFIC_ERROR and the step's error code, writes its
/// message to the stderr_goto file (if given) and the Application event log,
/// then throws as with Detach::never. STOP, SHUTDOWN and PRESHUTDOWN are
/// reported as SERVICE_STOP_PENDING and arrive as SIGTERM, exactly as
/// send() delivers it: through a started SignalHandler (by default a SigTerm
/// exception in the main thread), or, without one, by ending the process
/// (status 143). exit() (returning from main) reports SERVICE_STOPPED.
/// docs/how-it-works.md, "Windows services", has the details.
template <class... Args>
std::tuple<std::decay_t<Args>...> daemonize(const std::filesystem::path& pid_file, const Options& options,
                                            Args&&... args) {
    static_assert((Serializable<std::decay_t<Args>> && ...),
                  "every argument preserved by daemonize() must be Serializable: specialize "
                  "daemoniker::codec<T> for your types (see daemoniker/codec.hpp)");
    return *detail::daemonize(pid_file, options, detail::Original::ends, std::forward<Args>(args)...);
}

/// daemonize(), except that a failure is thrown in the original process
/// instead of ending it, so the caller can report it, retry or carry on
/// (nothing is left behind: no daemon, no PID file):
///
///     try {
///         auto [port] = daemoniker::daemonize_or_throw("app.pid", {.chdir = "/"}, 8080);
///         serve(port); // only the daemon gets here
///     } catch (const daemoniker::AlreadyRunning& e) {
///         std::printf("already running (pid %lld)\n", static_cast<long long>(e.pid()));
///     }
///
/// On success the original process still ends at once with status 0 (see
/// daemonize()), and the daemon returns the preserved `args`.
///
/// Throws, in the original process: OptionError (an option or argument was
/// refused before anything started), AlreadyRunning (the PID file is locked
/// by a live daemon; pid() names it), PidFileError (the PID file could not be
/// created, locked or written, or is refused), StartupError (a step failed;
/// step() and path() say which), StartupTimeout (no report within
/// `success_timeout`; the daemon was stopped). The Daemonizer form throws
/// the same.
///
/// Platform notes: as daemonize(). With Detach::never the exception is
/// thrown in this process, which is then not a daemon (the PID file is not
/// held).
template <class... Args>
std::tuple<std::decay_t<Args>...> daemonize_or_throw(const std::filesystem::path& pid_file, const Options& options,
                                                     Args&&... args) {
    static_assert((Serializable<std::decay_t<Args>> && ...),
                  "every argument preserved by daemonize_or_throw() must be Serializable: specialize "
                  "daemoniker::codec<T> for your types (see daemoniker/codec.hpp)");
    return *detail::daemonize(pid_file, options, detail::Original::ends_or_throws, std::forward<Args>(args)...);
}

/// Python Daemoniker's context manager as an RAII object.
///
///     daemoniker::Daemonizer daemonizer;
///     if (daemonizer.is_setup()) { /* runs once, before daemonizing */ }
///     auto [is_parent, port, name] = daemonizer("app.pid", {}, port, name);
///     if (is_parent) { /* parent-only code; port and name are reset */ }
///     // leaving the scope ends the original process
///
/// When the original process leaves the Daemonizer's scope after a successful
/// daemonization, it ends at once (`_exit`, after flushing the standard
/// streams): status 0, or status 2 with "daemoniker: <message>" on stderr
/// when parent-only code throws. (An exception nobody catches reaches
/// std::terminate, where the library prints its message; one caught outside
/// the scope unwinds through the destructor, which cannot see it and prints a
/// generic line — with_daemonizer() or fail() print the message there too.)
/// If daemonization itself fails, operator() throws in the original process
/// what daemonize_or_throw() throws (OptionError, AlreadyRunning,
/// PidFileError, StartupError, StartupTimeout) and nothing is ended.
class DAEMONIKER_API Daemonizer {
public:
    Daemonizer() noexcept;
    ~Daemonizer();
    Daemonizer(const Daemonizer&) = delete;
    Daemonizer& operator=(const Daemonizer&) = delete;

    /// True in the original (setup) process. Platform notes: always true on
    /// POSIX; false on Windows in the re-launched daemon, so setup code does
    /// not run twice. (So an `else` branch after is_setup() never runs on POSIX.)
    [[nodiscard]] bool is_setup() const noexcept { return is_setup_; }

    /// True in the original process once daemonization has succeeded.
    [[nodiscard]] bool is_parent() const noexcept { return is_parent_; }

    /// Daemonizes like daemonize() and returns (is_parent, args...). In the
    /// original process is_parent is true and the args are value-initialized,
    /// so it cannot touch values that now belong to the daemon.
    template <class... Args>
    std::tuple<bool, std::decay_t<Args>...> operator()(const std::filesystem::path& pid_file,
                                                       const Options& options, Args&&... args) {
        static_assert((Serializable<std::decay_t<Args>> && ...),
                      "every argument preserved by Daemonizer must be Serializable: specialize "
                      "daemoniker::codec<T> for your types (see daemoniker/codec.hpp)");
        static_assert((std::default_initializable<std::decay_t<Args>> && ...),
                      "arguments preserved by Daemonizer are value-initialized in the parent, "
                      "so they must be default-constructible");
        auto in_daemon =
            detail::daemonize(pid_file, options, detail::Original::is_parent, std::forward<Args>(args)...);
        if (!in_daemon) {
            is_parent_ = true;
            return std::tuple<bool, std::decay_t<Args>...>(true, std::decay_t<Args>{}...);
        }
        return std::tuple_cat(std::tuple<bool>(false), std::move(*in_daemon));
    }

    /// Ends the original process with status 2 and "daemoniker: <what>" on
    /// stderr. For parent-only code that caught its own error. Does nothing
    /// (returns) outside the original process after daemonization.
    void fail(std::string_view what) noexcept;

private:
    bool is_parent_ = false;
    bool is_setup_; // decided at construction: daemonizing later changes nothing
    int uncaught_at_start_;
};

/// The `with Daemonizer() as (is_setup, daemonizer):` block as a function:
/// runs `body(daemonizer)`; an exception escaping parent-only code ends the
/// original process with status 2 and the exception's message on stderr.
/// In the daemon, exceptions propagate normally.
template <class Body>
void with_daemonizer(Body&& body) {
    Daemonizer daemonizer;
    try {
        std::forward<Body>(body)(daemonizer);
    } catch (const std::exception& e) {
        daemonizer.fail(e.what());
        throw;
    } catch (...) {
        daemonizer.fail("parent-only code threw an exception that is not a std::exception");
        throw;
    }
}

/// Reopens the daemon's standard streams on the paths daemonization gave
/// them (stdout and stderr appended to, created if missing; stdin must still
/// exist): after a log rotation moved the files away, the daemon writes to
/// fresh ones. Safe to call from a SignalHandler custom handler (the demo
/// binds it to SIGHUP).
/// Returns false, doing nothing, in a process that was not daemonized.
/// Throws Error naming the stream and path if a file cannot be opened; the
/// streams before it in the order stdin, stdout, stderr are already reopened.
DAEMONIKER_API bool reopen_streams();

/// Declares the status this process is about to exit with, for the one
/// service manager that cannot see it: when the Windows Service Control
/// Manager started the program, leaving main() (or exit()) reports the
/// service `SERVICE_STOPPED` with this status — 0 as success, anything else
/// as `ERROR_SERVICE_SPECIFIC_ERROR` (1066) with the status as the
/// service-specific exit code, which `sc query` shows and recovery actions
/// may act on. Without a call the service reports 0. (Windows runs exit()'s
/// handlers before the status exists anywhere a library can read it.)
///
///     const int status = serve();
///     daemoniker::set_exit_status(status);
///     return status;
///
/// Does nothing elsewhere: on POSIX, and for a Windows program that is not a
/// service, the parent or the service manager sees the real exit status.
DAEMONIKER_API void set_exit_status(int status) noexcept;

} // namespace daemoniker
