#pragma once
// Option validation shared by every platform: everything that can be checked
// without the operating system's help is checked here, before anything is
// forked or launched, and every path is made absolute once.

#include <daemoniker/options.hpp>

#include <array>
#include <chrono>
#include <filesystem>
#include <vector>

namespace daemoniker::detail {

struct Resolved {
    std::filesystem::path pid_file;
    std::filesystem::path chdir;
    std::filesystem::path stdin_path;
    std::filesystem::path stdout_path;
    std::filesystem::path stderr_path;
    int umask = 027;
    std::vector<int> shielded_fds; // sorted, unique
    int fd_fallback_limit = 1024;
    std::chrono::milliseconds success_timeout{};
    bool allow_threads = false;
    ForkHooks fork_hooks;
    /// Whether each standard stream had a *_goto path (detached daemons
    /// redirect all three anyway; the foreground mode only these).
    std::array<bool, 3> stream_given{};
};

/// Throws OptionError naming the option, its value and why it is refused.
Resolved resolve(const std::filesystem::path& pid_file, const Options& options);

} // namespace daemoniker::detail
