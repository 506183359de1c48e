#pragma once
// Windows services: a process the Service Control Manager started runs as
// that service when it daemonizes (daemonize.windows.cpp's start(), and the
// command's daemonize_and_exec()). docs/how-it-works.md, "Windows services".
//
//   started_by_scm()   decided once, from the parent process: services.exe
//   connect()          the dispatcher on its own thread; SERVICE_START_PENDING
//   running()          SERVICE_RUNNING once every startup step succeeded
//   fail()             SERVICE_STOPPED with a service-specific exit code, the
//                      message in the stderr file and the event log
//
// Once connected, STOP, SHUTDOWN and PRESHUTDOWN are reported as
// SERVICE_STOP_PENDING and sent to this process as SIGTERM over its own
// signal channel, exactly as `send()` would: a running SignalHandler (by
// default a SigTerm in the main thread) or the supervisor's filter takes it.
// SERVICE_STOPPED is reported when the process exits through exit().

#include "continuation.hpp"
#include "options.hpp"

#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>

namespace daemoniker::detail::service {

/// True when the SCM started this process: its parent is the SCM's
/// services.exe (%SystemRoot%\System32) and was created before it. Cheap and
/// without waiting, unlike StartServiceCtrlDispatcherW, which under Wine
/// takes 10 s to fail with ERROR_FAILED_SERVICE_CONTROLLER_CONNECT.
bool started_by_scm() noexcept;

/// Starts the service control dispatcher on a thread of its own and waits
/// until the service's control handler is registered and
/// SERVICE_START_PENDING reported (the main thread goes on with the
/// program's startup). Registers the report of SERVICE_STOPPED at exit.
/// Idempotent. Errors: the dispatcher's or the handler's Win32 error.
std::error_code connect() noexcept;
/// True once connect() succeeded in this process.
bool connected() noexcept;

/// Reports SERVICE_RUNNING and starts accepting STOP, SHUTDOWN and PRESHUTDOWN.
void running() noexcept;

/// Reports SERVICE_STOPPED with `exit_status` (0: success; otherwise
/// ERROR_SERVICE_SPECIFIC_ERROR with the status), where the process knows
/// its status before it exits (the command's supervisor). Later reports,
/// the one at exit included, are ignored.
void stopped(int exit_status) noexcept;

/// A startup step failed: `line` goes to the stderr file (r.stderr_path,
/// when one was given) and to the Windows event log under the service's
/// name; the service is reported SERVICE_STOPPED with
/// ERROR_SERVICE_SPECIFIC_ERROR and `code` (made non-zero).
void fail(const Resolved& r, std::string_view line, int code) noexcept;

/// A process the SCM started that fails before run_startup() connected it
/// (the command's own checks: a program no longer found, a bad option in
/// the service's command line): connects, tells `line` to the administrator
/// (`stderr_file`, the event log) and reports SERVICE_STOPPED with
/// `status` as the service-specific code, instead of leaving the SCM to
/// time the start out (1053) with no word of why. Does nothing in any other
/// process, or once connected (the startup reports its own failures).
void fail_before_startup(std::string_view line, int status,
                         const std::optional<std::filesystem::path>& stderr_file) noexcept;

/// Runs the library's foreground steps as the service's startup: connect(),
/// run_foreground(r), running(). A failed step is reported by fail() and
/// its exception rethrown.
void run_startup(const Resolved& r);

/// The same for the command (daemonize_and_exec()): after the foreground
/// steps, `then` starts the program (the supervisor) with `payload`; a
/// failure is reported as above and thrown as throw_own_failure() makes it.
/// Once RUNNING is reported, `then` serves: never returns.
[[noreturn]] void run_startup(const Resolved& r, Continuation& then, std::string_view payload);

} // namespace daemoniker::detail::service
