// Processes on Windows: a process handle pins the process (its PID is not
// reused while the handle is open), WaitForSingleObject tells its exit, and
// the creation time from GetProcessTimes names its signal channel.

#include "process.hpp"
#include "signal_names.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <algorithm>

namespace daemoniker::cli {
namespace {

namespace win = daemoniker::detail::win;

std::uint64_t to_ticks(const FILETIME& t) {
    return (static_cast<std::uint64_t>(t.dwHighDateTime) << 32) | t.dwLowDateTime;
}

} // namespace

Process Process::pin(process_id pid, std::error_code& ec) {
    ec.clear();
    Process p;
    if (pid <= 0) {
        ec = std::make_error_code(std::errc::no_such_process);
        return p;
    }
    HANDLE h = ::OpenProcess(SYNCHRONIZE | PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                             static_cast<DWORD>(pid));
    if (h == nullptr) {
        const DWORD e = ::GetLastError();
        ec = e == ERROR_INVALID_PARAMETER ? std::make_error_code(std::errc::no_such_process)
                                          : std::error_code(static_cast<int>(e), std::system_category());
        return p;
    }
    // A handle to an exited process opens as long as someone holds one.
    if (::WaitForSingleObject(h, 0) == WAIT_OBJECT_0) {
        ::CloseHandle(h);
        ec = std::make_error_code(std::errc::no_such_process);
        return p;
    }
    return adopt(pid, h);
}

void Process::close_handle(native_handle_type handle) noexcept { ::CloseHandle(handle); }

bool Process::wait_exit(clock::time_point deadline) const {
    if (handle_ == no_handle) return true;
    for (;;) {
        const DWORD r = ::WaitForSingleObject(handle_, static_cast<DWORD>(remaining_ms(deadline)));
        // remaining_ms() caps a wait at 11 days: wait again until the deadline.
        if (r != WAIT_TIMEOUT || clock::now() >= deadline) return r == WAIT_OBJECT_0;
    }
}

std::error_code Process::signal(int signal) const {
    if (handle_ == no_handle || exited()) return std::make_error_code(std::errc::no_such_process);
    if (signal == kill_signal) {
        // 137, as a shell reports a process killed by SIGKILL.
        if (::TerminateProcess(handle_, 137) || exited()) return {};
        return win::last_error();
    }
    std::error_code ec;
    win::send_to_channel(static_cast<std::uint64_t>(pid_), win::creation_time(handle_), signal, ec);
    if (ec && exited()) return std::make_error_code(std::errc::no_such_process);
    return ec;
}

// The library's reader, then a pin, then the reader again: when both
// readings name the same locked daemon, the handle taken between them is
// the daemon's (a PID is not reused while its PID file's lock is held).
DaemonReading read_daemon(const std::filesystem::path& pid_file) {
    DaemonReading out;
    for (int attempt = 0; attempt < 5; ++attempt) {
        out = DaemonReading{};
        const auto before = inspect_pid_file(pid_file, out.error);
        out.pid = before.pid;
        if (out.error || before.state != PidFileState::running) {
            out.state = out.error ? PidFileState::absent : before.state;
            return out;
        }
        std::error_code ec;
        Process pinned = Process::pin(before.pid, ec);
        const auto after = inspect_pid_file(pid_file, ec);
        if (!ec && pinned && after.state == PidFileState::running && after.pid == before.pid) {
            out.state = PidFileState::running;
            out.process = std::move(pinned);
            return out;
        }
    }
    out.error = make_error_code(errc::replaced);
    return out;
}

bool has_process_groups() noexcept { return false; }

process_id process_group_of(const Process&, std::error_code& ec) {
    ec = std::make_error_code(std::errc::function_not_supported);
    return 0;
}

std::error_code signal_group(process_id, int) { return std::make_error_code(std::errc::function_not_supported); }

bool group_alive(process_id) { return false; }

std::optional<std::uint32_t> foreign_member_uid(process_id, std::uint32_t) { return std::nullopt; }

bool group_members_checked() noexcept { return true; } // no process groups: --process-group is refused earlier

std::optional<std::uint32_t> process_uid(process_id) { return std::nullopt; }

bool is_exiting(process_id) { return false; }

std::optional<bool> is_alive(process_id pid) {
    if (pid <= 0) return false;
    win::Handle h(::OpenProcess(SYNCHRONIZE, FALSE, static_cast<DWORD>(pid)));
    if (!h.valid()) {
        const DWORD e = ::GetLastError();
        if (e == ERROR_INVALID_PARAMETER) return false;
        if (e == ERROR_ACCESS_DENIED) return true; // exists, someone else's
        return std::nullopt;
    }
    return ::WaitForSingleObject(h.get(), 0) == WAIT_TIMEOUT;
}

std::optional<std::chrono::duration<double>> process_age(process_id pid) {
    win::Handle h(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, static_cast<DWORD>(pid)));
    if (!h.valid()) return std::nullopt;
    FILETIME created{}, exited{}, kernel{}, user{}, now{};
    if (!::GetProcessTimes(h.get(), &created, &exited, &kernel, &user)) return std::nullopt;
    ::GetSystemTimeAsFileTime(&now);
    const auto a = to_ticks(created);
    const auto b = to_ticks(now);
    return std::chrono::duration<double>(b > a ? static_cast<double>(b - a) / 1e7 : 0.0);
}

std::optional<std::chrono::duration<double>> file_age(const std::filesystem::path& path) {
    WIN32_FILE_ATTRIBUTE_DATA data{};
    FILETIME now{};
    if (!::GetFileAttributesExW(path.c_str(), GetFileExInfoStandard, &data)) return std::nullopt;
    ::GetSystemTimeAsFileTime(&now);
    const auto written = to_ticks(data.ftLastWriteTime);
    const auto current = to_ticks(now);
    return std::chrono::duration<double>((static_cast<double>(current) - static_cast<double>(written)) / 1e7);
}

bool become_subreaper() noexcept { return false; } // no such thing: the start keeps a handle instead

std::optional<std::string> reap_child(process_id) { return std::nullopt; }

} // namespace daemoniker::cli
