#pragma once
// Option validation shared by every platform: everything that can be checked
// without the operating system's help is checked here, before anything is
// forked or launched, and every path is made absolute once.

#include <daemoniker/options.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace daemoniker::detail {

/// The identity a daemon runs as (POSIX), looked up before anything is
/// forked (the user and group databases are not usable after fork) and
/// applied by drop_privileges() (confine.hpp) in this order: setgroups
/// (groups), setgid(gid), setuid(uid). The PID file stays the caller's.
struct Credentials {
    std::optional<std::uint32_t> uid;  ///< unset: keep the user, switch only the group
    std::uint32_t gid = 0;
    std::vector<std::uint32_t> groups; ///< the complete supplementary group list
};

/// Options::user and Options::group, looked up.
struct Identity {
    Credentials credentials;
    std::uint32_t uid = 0;   ///< who the daemon runs as
    std::uint32_t gid = 0;
    std::string name;        ///< the user's name and home directory, when
    std::string home;        ///< Options::user names a passwd entry
    bool switches = false;   ///< the daemon runs as someone else than the caller
};

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
    /// Options::user/group: set when they ask for a change (empty when they
    /// name the caller's own identity).
    std::optional<Identity> identity;
    std::filesystem::path chroot; ///< empty: none
    std::optional<bool> core_dumps;
};

/// Looks up Options::user and Options::group into `r.identity` (platform
/// code). Throws OptionError for an unknown user or group, a uid without a
/// passwd entry and no group, or (Windows) any of the confinement options;
/// StartupError (Step::drop_privileges, EPERM) when only root could switch.
void resolve_identity(const Options& options, Resolved& r);
/// Refuses (OptionError) what this platform lacks of chroot and core_dumps.
void check_confinement(const Options& options);

/// Throws OptionError naming the option, its value and why it is refused.
Resolved resolve(const std::filesystem::path& pid_file, const Options& options);

} // namespace daemoniker::detail
