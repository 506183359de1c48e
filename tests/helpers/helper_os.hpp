#pragma once
// What the test helper needs from the operating system, one implementation
// per platform (helper_os.posix.cpp, helper_os.windows.cpp): the modes in
// helper.cpp stay the same on both.

#include <daemoniker/signals.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace helper_os {

/// The program's arguments as UTF-8 (Windows: from the UTF-16 command line;
/// char** argv there is in the ANSI code page, which turns most non-Latin
/// text into '?').
std::vector<std::string> arguments(int argc, char** argv);

std::int64_t current_pid();

/// An environment variable as UTF-8, or "(unset)".
std::string environment(const std::string& name);

/// Report lines only this platform can give (POSIX: parent, session, group,
/// umask, open descriptors and their targets; Windows: none).
std::string platform_report();
/// RLIMIT_CORE's soft limit set to 0, the hard one kept (POSIX; false on Windows).
bool lower_core_soft_limit();

/// Leaves an extra descriptor open, not close-on-exec (POSIX: daemonize()
/// must close it). False where the platform has no such notion.
bool open_extra_descriptor();

/// Crashes the process: SIGSEGV (POSIX), an access violation (Windows).
[[noreturn]] void crash();

/// Makes the current directory a deleted one (POSIX). False where unsupported.
bool remove_current_directory();

/// Forks a worker that waits (at most 30 s); its PID, or -1 where unsupported.
std::int64_t start_worker();

/// How the `daemonize` mode's daemon waits for SIGTERM, set up before the
/// report is written so that a SIGTERM sent once the report exists is never
/// lost: POSIX blocks SIGTERM and takes it with sigtimedwait() (the daemon
/// then holds no descriptor of a SignalHandler, which the tests of the
/// daemon's descriptors count); Windows has no signal but the library's
/// channel, so a SignalHandler serves it.
class StopWaiter {
public:
    explicit StopWaiter(const std::string& pid_file);
    ~StopWaiter();
    StopWaiter(const StopWaiter&) = delete;
    StopWaiter& operator=(const StopWaiter&) = delete;
    /// True once SIGTERM arrived; false after 60 s without it.
    bool wait();

private:
    struct State;
    std::unique_ptr<State> state_;
};

/// Waits until a SignalHandler's native handle is signalled (POSIX: the
/// descriptor polls readable; Windows: the event is set).
bool wait_signalled(daemoniker::SignalHandler::native_handle_type handle, std::chrono::milliseconds timeout);

} // namespace helper_os
