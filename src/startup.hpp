#pragma once
// The startup contract shared by the platforms: what the daemon reports to the
// original process, and how a failed step becomes the exception (and the one
// line on stderr) the user sees.

#include "options.hpp"

#include <daemoniker/detail/daemonize.hpp>
#include <daemoniker/errors.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace daemoniker::detail {

/// Why a daemonization step failed: one shape wherever a failure is found
/// (the PID file, a redirection, the program's start) and carried (the
/// report channel), until throw_failure() makes it the exception. Trivially
/// copyable and allocation-free: it is built between fork and the report.
struct Failure {
    Step step = Step::validate;
    int error = 0;   ///< errno / GetLastError(), 0 when `detail` says it all
    errc detail{};   ///< a library condition errno cannot name
    /// What else the failure names: the PID of the live daemon that holds the
    /// PID file's lock; with errc::untrusted_owner the file owner's uid; with
    /// errc::exited_holder the PID the file names; with Step::drop_privileges
    /// the call that failed (DropCall, exec.hpp).
    std::int64_t value = 0;

    /// The condition: `detail` when set, else `error` as a system error.
    [[nodiscard]] std::error_code code() const noexcept {
        if (detail != errc{}) return make_error_code(detail);
        return {error, std::system_category()};
    }
    /// A failure of `step` with `code`, of either category.
    static Failure of(Step step, std::error_code code, std::int64_t value = 0) noexcept {
        if (code.category() == category()) return {step, 0, static_cast<errc>(code.value()), value};
        return {step, code.value(), {}, value};
    }
};

/// One fixed-size record on the report channel. It is written with a single
/// write() of less than PIPE_BUF bytes, so records from the intermediate
/// process and the daemon never interleave.
struct Report {
    enum Kind : std::uint32_t { daemon_pid = 1, success = 2, failure = 3 };
    std::uint32_t magic = 0x444d4e4b; // "DMNK"
    Kind kind = failure;
    std::int32_t step = 0;          // Step
    std::int32_t error = 0;         // errno / GetLastError
    std::int32_t detail = 0;        // daemoniker::errc, 0 when `error` says it all
    std::int32_t reserved = 0;
    std::int64_t value = 0;         // a PID (the daemon's, the program's), or Failure::value

    [[nodiscard]] bool valid() const noexcept { return magic == Report{}.magic; }
    static Report failed(const Failure& f) noexcept {
        Report rep;
        rep.kind = failure;
        rep.step = static_cast<std::int32_t>(f.step);
        rep.error = f.error;
        rep.detail = static_cast<std::int32_t>(f.detail);
        rep.value = f.value;
        return rep;
    }
    /// A record naming a PID (daemon_pid, success), sent for `step`.
    static Report naming(Kind kind, std::int64_t pid, Step step = Step::validate) noexcept {
        Report rep;
        rep.kind = kind;
        rep.step = static_cast<std::int32_t>(step);
        rep.value = pid;
        return rep;
    }
    [[nodiscard]] Failure failure_of() const noexcept {
        return {static_cast<Step>(step), error, static_cast<errc>(detail), value};
    }
};

/// The text of an error for messages: strerror() on POSIX, FormatMessage()
/// on Windows (where std::system_category() of some standard libraries
/// describes Win32 codes as if they were errno values).
std::string describe(std::error_code code);
/// The platform half of describe() for std::system_category() codes.
std::string system_message(int code);

/// Throws the exception for a failed step: AlreadyRunning when the PID file
/// was locked by a live daemon (`value`), PidFileError for refused PID
/// files, otherwise StartupError. The message names the step, the path and
/// the reason.
[[noreturn]] void throw_failure(const Failure& failure, const Resolved& r);

/// Called in the original process while it waits for the daemon: readies
/// what end_original() needs (the C++ standard streams where they are not
/// constructed at start-up), so that it is not done after the daemon reported.
void prepare_end_original() noexcept;

/// The platform's daemonization, run by start_daemon(). In the original
/// process it returns Role::original once the daemon reported success, or
/// throws (OptionError, AlreadyRunning, PidFileError, StartupError,
/// StartupTimeout). In the daemon it returns Role::daemon or
/// Role::relaunched. `payload` holds the encoded arguments: read by the
/// original process where the platform re-launches (Windows), filled in the
/// re-launched daemon.
Role start(const std::filesystem::path& pid_file, const Options& options, std::string& payload);
/// True where the arguments must travel as bytes (Windows re-launch).
bool transfers_payload() noexcept;

/// Flushes the C and C++ standard streams, then ends the process at once
/// (no atexit handlers, no static destructors: they belong to the daemon).
[[noreturn]] void end_original(int status) noexcept;
/// Writes "daemoniker: <what>" as one line to stderr, then end_original(status).
[[noreturn]] void fail_original(std::string_view what, int status) noexcept;

} // namespace daemoniker::detail
