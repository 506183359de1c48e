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
    std::int64_t value = 0;         // a PID: the daemon's, or the holder of the lock
};

/// The text of an error for messages: strerror() on POSIX, FormatMessage()
/// on Windows (where std::system_category() of some standard libraries
/// describes Win32 codes as if they were errno values).
std::string describe(std::error_code code);
/// The platform half of describe() for std::system_category() codes.
std::string system_message(int code);

/// The path a step works on, for the message ("" when none).
std::filesystem::path path_of(Step step, const Resolved& r);

/// Throws the exception for a failed step: AlreadyRunning when the PID file
/// was locked by `holder`, PidFileError for refused PID files, otherwise
/// StartupError. The message names the step, the path and the reason.
[[noreturn]] void throw_failure(Step step, const Resolved& r, std::error_code code, std::int64_t holder);

/// Called in the original process while it waits for the daemon: readies
/// what end_original() needs (the C++ standard streams where they are not
/// constructed at start-up), so that it is not done after the daemon reported.
void prepare_end_original() noexcept;

/// The error code a report carries: its library condition, else its errno.
std::error_code report_code(const Report& report);

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
