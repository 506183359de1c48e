#pragma once
/// \file
/// The exception hierarchy. It mirrors Python Daemoniker's (DaemonikerException,
/// SignalError, ReceivedSignal, SIGINT/SIGTERM/SIGABRT) with C++ names that do
/// not collide with the `<csignal>` macros.

#include <daemoniker/export.hpp>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace daemoniker {

/// Conditions the library detects itself (no errno or Win32 code says them),
/// in daemoniker::category(). Compare with `ec == daemoniker::errc::stale_pid_file`.
enum class errc {
    not_regular_file = 1, ///< a PID file that is a FIFO, socket, device or directory
    symbolic_link,        ///< a PID file that is a symbolic link
    unsafe_directory,     ///< a directory on the path that a user other than the caller and root may write
    replaced,             ///< the PID file kept being replaced while it was locked
    malformed_pid_file,   ///< empty, or not "PID\n" with a PID in 1..2^31-1
    stale_pid_file,       ///< nobody holds the lock: the daemon is gone
    not_running,          ///< no PID file at all
    init_process,         ///< the PID file names PID 1, which is never signalled
    invalid_signal,       ///< not a signal this platform can send
    handler_active,       ///< another SignalHandler is already started
    no_signal_channel,    ///< Windows: the daemon serves no signal channel (no SignalHandler started)
    signal_dropped,       ///< Windows: SIGHUP/SIGUSR1/SIGUSR2 reached a daemon with no action for it, and was dropped
    untrusted_owner,      ///< a PID file owned by a user other than the caller and root
    writable_by_others,   ///< a PID file that its group or other users may write
    not_a_pid_file,       ///< an unlocked file that holds more than one PID line, or has several links: never taken over
    foreign_lock,         ///< a PID file locked by a lock no daemon takes (a read lock, or flock(2) alone)
    exited_holder,        ///< the PID file is locked, but the process it names has exited
    fifo_without_reader,  ///< a stream path that is a FIFO no process reads
};

/// The category of daemoniker::errc.
DAEMONIKER_API const std::error_category& category() noexcept;
DAEMONIKER_API std::error_code make_error_code(errc e) noexcept;

/// A process identifier wide enough for POSIX `pid_t` and Win32 `DWORD`.
using process_id = std::int64_t;

/// Base of every exception the library throws (DaemonikerException in Python Daemoniker).
/// `code()` carries the operating system's error (errno or GetLastError, in
/// `std::system_category()`) when one caused the failure, otherwise it is empty.
class DAEMONIKER_API Error : public std::runtime_error {
public:
    explicit Error(const std::string& what, std::error_code code = {});
    [[nodiscard]] std::error_code code() const noexcept { return code_; }

private:
    std::error_code code_;
};

/// An option or argument was rejected before anything was started.
class DAEMONIKER_API OptionError : public Error {
public:
    using Error::Error;
};

/// The PID file could not be created, locked, read or written, or it is of a
/// kind the library refuses (symbolic link, directory, FIFO, unsafe directory).
class DAEMONIKER_API PidFileError : public Error {
public:
    PidFileError(const std::string& what, std::filesystem::path path, std::error_code code = {});
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

/// The PID file is locked by a live daemon.
class DAEMONIKER_API AlreadyRunning : public PidFileError {
public:
    AlreadyRunning(const std::filesystem::path& path, process_id pid);
    /// The PID written in the locked file (0 if it could not be read).
    [[nodiscard]] process_id pid() const noexcept { return pid_; }

private:
    process_id pid_;
};

/// The steps of daemonization, in the order the POSIX implementation runs
/// them (docs/how-it-works.md explains the order). A StartupError names one.
/// The last three belong to the `daemoniker` command (docs/how-it-works.md
/// has its order); they come last so that the values of the others never
/// change.
enum class Step : std::uint8_t {
    validate,        ///< options checked and paths made absolute (original process)
    report_channel,  ///< the channel the daemon reports through was created
    fork,            ///< first fork (POSIX) / CreateProcess (Windows)
    setsid,          ///< new session
    fork_again,      ///< second fork, so the daemon is not a session leader
    chdir,           ///< working directory
    pid_file_open,   ///< PID file created or opened
    pid_file_lock,   ///< PID file locked
    pid_file_write,  ///< PID written
    close_fds,       ///< inherited descriptors closed
    redirect_stdin,  ///< standard input redirected
    redirect_stdout, ///< standard output redirected
    redirect_stderr, ///< standard error redirected
    report,          ///< success reported to the original process
    handoff,         ///< arguments received from the original process (Windows)
    wait,            ///< the original process waited for the report
    drop_privileges, ///< groups, gid, uid switched (command only)
    exec,            ///< the program was executed (command only)
    fork_program,    ///< the program's process forked from the lock keeper (command only, POSIX)
    chroot,          ///< root directory changed (Options::chroot), then the working directory inside it
    core_dumps,      ///< core dumps allowed or prevented (Options::core_dumps)
    limits,          ///< nice value, I/O scheduling class, resource limits (command only)
};

/// Human-readable name of a step, e.g. "chdir" or "redirect stdout".
DAEMONIKER_API std::string_view to_string(Step step) noexcept;

/// Daemonization failed at a known step. The message names the step, the path
/// involved (if any) and the system's reason; nothing was left running and no
/// PID file was left behind.
class DAEMONIKER_API StartupError : public Error {
public:
    StartupError(const std::string& what, Step step, std::filesystem::path path, std::error_code code = {});
    [[nodiscard]] Step step() const noexcept { return step_; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

private:
    Step step_;
    std::filesystem::path path_;
};

/// The daemon did not report within `success_timeout`; it was stopped.
class DAEMONIKER_API StartupTimeout : public StartupError {
public:
    using StartupError::StartupError;
};

/// Sending or handling a signal failed (SignalError in Python Daemoniker).
class DAEMONIKER_API SignalError : public Error {
public:
    using Error::Error;
};

/// A signal arrived and its default handler turned it into this exception in
/// the thread that waited for it (ReceivedSignal in Python Daemoniker).
class DAEMONIKER_API ReceivedSignal : public Error {
public:
    ReceivedSignal(int signal_number, const std::string& what);
    /// The signal number (SIGINT, SIGTERM, SIGABRT, ... of this platform).
    [[nodiscard]] int signal_number() const noexcept { return signal_number_; }

private:
    int signal_number_;
};

/// SIGINT was received (SIGINT in Python Daemoniker).
class DAEMONIKER_API SigInt : public ReceivedSignal {
public:
    SigInt();
};

/// SIGTERM was received (SIGTERM in Python Daemoniker).
class DAEMONIKER_API SigTerm : public ReceivedSignal {
public:
    SigTerm();
};

/// SIGABRT was received (SIGABRT in Python Daemoniker).
class DAEMONIKER_API SigAbrt : public ReceivedSignal {
public:
    SigAbrt();
};

} // namespace daemoniker

/// \cond
template <>
struct std::is_error_code_enum<daemoniker::errc> : std::true_type {};
/// \endcond
