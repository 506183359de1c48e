// The foreground mode's Win32 calls.

#include "foreground.hpp"
#include "service.hpp"
#include "sys.hpp"
#include "win.hpp"

namespace daemoniker::detail {

void foreground_umask(int) noexcept {} // no umask on Windows

std::error_code foreground_chdir(const std::filesystem::path& dir) noexcept {
    if (const int e = sys::injected(Step::chdir)) return {e, std::system_category()};
    if (!::SetCurrentDirectoryW(dir.c_str())) return win::last_error();
    return {};
}

process_id current_pid() noexcept { return ::GetCurrentProcessId(); }

bool foreground_confine(const Resolved&, Failure&) noexcept { return true; } // refused by resolve()

// The Service Control Manager is Windows's service manager.
bool supervised() noexcept { return service::started_by_scm(); }

} // namespace daemoniker::detail
