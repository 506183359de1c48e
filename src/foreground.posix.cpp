// The foreground mode's POSIX calls, and how a service manager shows.

#include "confine.hpp"
#include "foreground.hpp"
#include "sys.hpp"

#include <daemoniker/daemonize.hpp>

#include <cerrno>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace daemoniker::detail {

void foreground_umask(int mask) noexcept { ::umask(static_cast<mode_t>(mask)); }

std::error_code foreground_chdir(const std::filesystem::path& dir) noexcept {
    if (sys::call(Step::chdir, [&] { return ::chdir(dir.c_str()); }) != 0) return {errno, std::system_category()};
    return {};
}

process_id current_pid() noexcept { return ::getpid(); }

bool foreground_confine(const Resolved& r, Failure& failure) noexcept { return confine(r, failure); }

bool supervised() noexcept {
    auto set = [](const char* name) {
        const char* v = std::getenv(name);
        return v != nullptr && *v != '\0';
    };
    return set("NOTIFY_SOCKET") || set("INVOCATION_ID") || ::getppid() == 1;
}

} // namespace daemoniker::detail

namespace daemoniker {

// The parent (or systemd, launchd) reads the real status from wait().
void set_exit_status(int) noexcept {}

} // namespace daemoniker
