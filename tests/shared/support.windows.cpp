// Windows side of the shared test support, under Wine or on Windows: every
// process the test runs is held by its handle, so its PID cannot be reused
// while the test looks at it, and its children (the daemons it started) can
// be found at the end. Built on tests/windows/win_support.

#include "support.hpp"

#include "../windows/win_support.hpp"
#include "win.hpp" // message(): the library's words for a Win32 error

#include <aclapi.h>
#include <windows.h>

#include <algorithm>
#include <fstream>

namespace shared {

std::string utf8(const std::filesystem::path& p) { return wintest::utf8(p); }
std::filesystem::path from_utf8(std::string_view s) { return wintest::from_utf8(s); }

std::filesystem::path helper_path() { return wintest::helper_path(); }
std::filesystem::path cli_path() { return wintest::cli_path(); }

std::string slurp(const std::filesystem::path& path) { return wintest::slurp(path); }
std::string bytes_of(const std::filesystem::path& path) { return wintest::bytes_of(path); }
void write_bytes(const std::filesystem::path& path, const std::string& bytes) { wintest::write_bytes(path, bytes); }
std::map<std::string, std::string> read_report(const std::filesystem::path& path) {
    return wintest::read_report(path);
}

bool wait_for_file(const std::filesystem::path& path, const std::string& needle, std::chrono::milliseconds timeout) {
    return wintest::wait_for_file(path, needle, timeout);
}

bool wait_gone(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    HANDLE change =
        ::FindFirstChangeNotificationW(path.parent_path().c_str(), FALSE, FILE_NOTIFY_CHANGE_FILE_NAME);
    bool gone = false;
    for (;;) {
        std::error_code ec;
        gone = !std::filesystem::exists(path, ec) && !ec;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (gone || left.count() <= 0) break;
        if (change == INVALID_HANDLE_VALUE) {
            ::Sleep(20); // no notifications here: a short poll within the deadline
        } else {
            // Bounded: a removal just before the wait began is seen by the
            // next check at most 100 ms later.
            ::WaitForSingleObject(change, static_cast<DWORD>(std::min<long long>(left.count(), 100)));
            ::FindNextChangeNotification(change);
        }
    }
    if (change != INVALID_HANDLE_VALUE) ::FindCloseChangeNotification(change);
    return gone;
}

bool lock_held(const std::filesystem::path& path) { return wintest::lock_held(path); }

bool wait_unlocked(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
    // Wine releases the lock of a dead process a moment after its death, and
    // nothing announces it: a short poll within the deadline.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (wintest::lock_held(path)) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        ::Sleep(10);
    }
    return true;
}

Pid pid_in(const std::filesystem::path& path) {
    const auto s = wintest::slurp(path);
    if (s.empty() || s.find('\n') == std::string::npos) return -1;
    try {
        return std::stoll(s);
    } catch (...) {
        return -1;
    }
}

std::string stale_pid_file_text() {
    // Windows PIDs are multiples of 4, so 4242 names no process; the second
    // line, a creation time long past, would tell a reuse from the daemon.
    return "4242\r\n131000000000000000\r\n";
}

bool let_everyone_write(const std::filesystem::path& path) {
    return wintest::set_access(path, WinWorldSid, FILE_GENERIC_READ | FILE_GENERIC_WRITE) == 0 &&
           wintest::dacl_allows_write(path, WinWorldSid);
}

bool let_only_owner_write(const std::filesystem::path& path) {
    return wintest::set_access(path, WinWorldSid, FILE_GENERIC_READ) == 0 &&
           !wintest::dacl_allows_write(path, WinWorldSid);
}

std::string not_found_message(const std::filesystem::path& missing_directory) {
    // The error the system gives for this path (ERROR_FILE_NOT_FOUND or
    // ERROR_PATH_NOT_FOUND), in the library's words for it.
    if (::GetFileAttributesW(missing_directory.c_str()) != INVALID_FILE_ATTRIBUTES) return "(it exists)";
    return daemoniker::detail::win::message(::GetLastError());
}

std::string write_open_error_message(const std::filesystem::path& directory) {
    HANDLE h = ::CreateFileW(directory.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                             OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h != INVALID_HANDLE_VALUE) {
        ::CloseHandle(h);
        return "(it opened)";
    }
    return daemoniker::detail::win::message(::GetLastError());
}

struct ProcessTest::Tracked {
    std::map<DWORD, std::shared_ptr<void>> recorded;
    std::map<DWORD, std::shared_ptr<void>> launched;
    std::map<DWORD, int> exit_codes;
};

ProcessTest::ProcessTest() : tracked_(std::make_unique<Tracked>()) {}
ProcessTest::~ProcessTest() = default;

void ProcessTest::SetUp() {
    dir_ = wintest::make_test_directory();
    ASSERT_TRUE(std::filesystem::is_directory(dir_));
}

void ProcessTest::TearDown() { wintest::clean_up(tracked_->recorded, tracked_->launched, dir_); }

Result ProcessTest::run(const std::filesystem::path& exe, const std::vector<std::string>& args,
                        const std::vector<std::string>& env, std::chrono::milliseconds timeout) {
    const wintest::Result r = wintest::run_program(exe, args, env, timeout);
    if (r.pid != 0) tracked_->launched[r.pid] = r.process;
    // Wine passes exit statuses on cut to 8 bits; so does POSIX.
    return Result{static_cast<int>(r.exit_code & 0xff), r.pid, r.out, r.err};
}

void ProcessTest::record(Pid pid) {
    HANDLE h = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                             static_cast<DWORD>(pid));
    if (h == nullptr) return; // gone already: nothing to end
    tracked_->recorded[static_cast<DWORD>(pid)] = std::shared_ptr<void>(h, [](void* p) { ::CloseHandle(p); });
}

void ProcessTest::forget(Pid pid) { tracked_->recorded.erase(static_cast<DWORD>(pid)); }

bool ProcessTest::kill_recorded(Pid pid) {
    const auto it = tracked_->recorded.find(static_cast<DWORD>(pid));
    if (it == tracked_->recorded.end()) {
        ADD_FAILURE() << "kill_recorded(" << pid << "): not a recorded daemon";
        return false;
    }
    const bool ended = ::TerminateProcess(it->second.get(), 9) != 0 &&
                       ::WaitForSingleObject(it->second.get(), 10000) == WAIT_OBJECT_0;
    if (ended) tracked_->recorded.erase(it);
    return ended;
}

bool ProcessTest::alive(Pid pid) { return wintest::alive(static_cast<DWORD>(pid)); }

bool ProcessTest::wait_exit(Pid pid, std::chrono::milliseconds timeout) {
    const auto it = tracked_->recorded.find(static_cast<DWORD>(pid));
    if (it == tracked_->recorded.end()) return wintest::wait_exit(static_cast<DWORD>(pid), timeout);
    if (::WaitForSingleObject(it->second.get(), static_cast<DWORD>(timeout.count())) != WAIT_OBJECT_0) return false;
    DWORD code = 0;
    // Cut to 8 bits, as Wine passes exit statuses on.
    if (::GetExitCodeProcess(it->second.get(), &code)) tracked_->exit_codes[it->first] = static_cast<int>(code & 0xff);
    return true;
}

int ProcessTest::exit_code(Pid pid) const {
    const auto it = tracked_->exit_codes.find(static_cast<DWORD>(pid));
    return it == tracked_->exit_codes.end() ? -1 : it->second;
}

} // namespace shared
