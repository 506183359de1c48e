#pragma once
/// \file
/// Options of daemonize(), daemonize_or_throw() and Daemonizer, named and
/// defaulted as in Python Daemoniker, whose API this library ports. Fill them with designated
/// initializers, naming any members you set **in declaration order** (C++
/// requires it; a member out of order does not compile):
///
///     daemoniker::Options opts{.chdir = "/", .stdout_goto = "/var/log/d.log", .umask = 022};
///
/// The order is the keyword order of Python Daemoniker's daemonize() (after
/// the PID file, which is the function's own first argument), then the
/// members only this library has:
///
/// | # | member | origin |
/// |---|---|---|
/// | 1 | chdir | Python Daemoniker |
/// | 2 | stdin_goto | Python Daemoniker |
/// | 3 | stdout_goto | Python Daemoniker |
/// | 4 | stderr_goto | Python Daemoniker |
/// | 5 | umask | Python Daemoniker |
/// | 6 | shielded_fds | Python Daemoniker |
/// | 7 | fd_fallback_limit | Python Daemoniker |
/// | 8 | success_timeout | Python Daemoniker |
/// | 9 | strip_cmd_args | Python Daemoniker |
/// | 10 | explicit_rescript | Python Daemoniker |
/// | 11 | allow_threads | C++ only |
/// | 12 | detach | C++ only |
/// | 13 | fork_hooks | C++ only |
/// | 14 | user | C++ only (python-daemon's uid, Rust daemonize's user) |
/// | 15 | group | C++ only (python-daemon's gid, Rust daemonize's group) |
/// | 16 | chroot | C++ only (python-daemon's chroot_directory) |
/// | 17 | core_dumps | C++ only (python-daemon's prevent_core, libslack's --core) |

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace daemoniker {

/// Whether daemonize() detaches (see Options::detach).
enum class Detach {
    always,            ///< detach: double fork (POSIX) / re-launch (Windows)
    never,             ///< foreground: stay in this process (systemd Type=simple/notify, containers, debugging)
    unless_supervised, ///< foreground when a service manager started us, else detach
};

/// Functions daemonize() calls around its fork() calls (see Options::fork_hooks).
/// Each may be empty. They must not throw: one that does ends the process
/// (std::terminate), since the library runs them where nothing can unwind.
struct ForkHooks {
    /// In the original process, right before the first fork.
    std::function<void()> before{};
    /// In the original process, right after the first fork, also when fork
    /// failed (so whatever `before` locked is unlocked again).
    std::function<void()> after_in_parent{};
    /// In the daemon, once it has reported success, before daemonize()
    /// returns there. The intermediate process between the two forks runs
    /// no hook: it only forks again and exits.
    std::function<void()> after_in_child{};
};

/// How to daemonize. Members in the order designated initializers must
/// follow (see the table in the file comment): Python Daemoniker's, then
/// the C++-only ones. New members are only ever added at the end.
struct Options {
    // Every member has a default member initializer, so designated
    // initializers that name only some of them compile warning-free.

    // ---- Python Daemoniker's options, in its order ----

    /// Working directory of the daemon. Default: the current directory at
    /// the time of the call, made absolute. Prefer "/" (or a data directory)
    /// so the daemon does not keep a mount point busy.
    std::optional<std::filesystem::path> chdir{};

    /// Where the daemon's standard streams go. Default: the null device
    /// (`/dev/null`, `NUL`). `stdin_goto` must name an existing file: a
    /// missing one fails the start at the `redirect stdin` step (ENOENT,
    /// ERROR_FILE_NOT_FOUND), since a daemon reading an empty file instead
    /// would look like it had no input. `stdout_goto` and `stderr_goto` are
    /// created if missing (mode 0666 minus `umask`) and opened for appending,
    /// so logs of earlier runs are kept. Relative paths are resolved against
    /// the current directory of the caller, not against `chdir`.
    std::optional<std::filesystem::path> stdin_goto{};
    std::optional<std::filesystem::path> stdout_goto{};
    std::optional<std::filesystem::path> stderr_goto{};

    /// File-creation mask of the daemon, 0 to 0777. Default 027.
    /// Platform notes: ignored on Windows.
    int umask = 027;

    /// Descriptors that survive the closing of inherited descriptors (0, 1, 2
    /// and the PID file always do). Each must be open at the time of the call.
    /// Platform notes: ignored on Windows, where the daemon is a new process
    /// that inherits only the handles the library passes to it.
    std::vector<int> shielded_fds{};

    /// Upper bound (exclusive) of the descriptors closed by the last-resort
    /// loop, used only when neither `close_range` nor a descriptor directory
    /// (/proc/self/fd, /dev/fd) is available and RLIMIT_NOFILE is infinite.
    /// Must be >= 0. Default 1024. Platform notes: ignored on Windows.
    int fd_fallback_limit = 1024;

    /// How long the original process waits for the daemon's report of
    /// success. On timeout the daemon is killed and a StartupTimeout is raised.
    /// Must be positive. Default 30 s. (Python Daemoniker applies it on
    /// Windows only; here it applies on both platforms.)
    std::chrono::milliseconds success_timeout = std::chrono::seconds(30);

    /// Re-launch without the original command-line arguments.
    /// Platform notes: Windows only; ignored on POSIX, where nothing is re-launched.
    bool strip_cmd_args = false;

    /// An explicit command line (program first, UTF-8) for the re-launch,
    /// instead of the running executable and its arguments. Empty: not used.
    /// Platform notes: Windows only; ignored on POSIX.
    std::vector<std::string> explicit_rescript{};

    // ---- C++ only ----


    /// daemonize() refuses to fork a process that already runs other threads:
    /// fork copies only the calling thread, so locks held by the others stay
    /// locked forever in the daemon. Set this to accept that risk.
    /// Platform notes: the check counts /proc/self/task (Linux); elsewhere it
    /// cannot be made and is skipped. Ignored on Windows (no fork).
    bool allow_threads = false;

    /// Detach::always (the default) detaches. Detach::never is the foreground
    /// mode: no fork and no re-launch; the calling process itself takes the
    /// PID file, the umask and the working directory, and its standard
    /// streams are redirected only where a *_goto path is given (so a service
    /// manager keeps the output); inherited descriptors are not closed (socket
    /// activation passes some), and signals work as for any daemon.
    /// daemonize() then returns in this process; Daemonizer's is_parent is
    /// never true. Detach::unless_supervised chooses the foreground when a
    /// service manager started the program: NOTIFY_SOCKET or INVOCATION_ID is
    /// set (systemd), or the parent is PID 1 (a container's init).
    /// Platform notes: on Windows the service manager is the Service Control
    /// Manager: a process it started becomes the service (daemonize()'s
    /// platform notes) whatever `detach` says; otherwise unless_supervised
    /// detaches.
    Detach detach = Detach::always;

    /// Code a runtime embedded in the program must run around fork(), as
    /// POSIX pthread_atfork() handlers would, but for this daemonization only:
    /// an interpreter takes its own locks before the fork and re-creates its
    /// thread state in the daemon (the Python package calls PyOS_BeforeFork,
    /// PyOS_AfterFork_Parent and PyOS_AfterFork_Child here). Called on the
    /// thread that calls daemonize().
    /// Platform notes: ignored on Windows and with Detach::never (nothing forks).
    ForkHooks fork_hooks{};

    // ---- confinement: applied in the daemon, in this order, after the PID
    // file is locked and the standard streams are redirected (so both are
    // opened with the caller's rights and paths, under the trust rules):
    // chroot, then chdir inside it, core dumps, then the privilege drop ----

    /// Run the daemon as this user: a name, or a numeric uid. The daemon
    /// takes the user's uid, its primary group (unless `group` is given)
    /// and its supplementary groups (initgroups: the group database's list
    /// for the user; only `group` for a uid without a passwd entry, which
    /// then requires `group`). Afterwards the daemon checks that it cannot
    /// become root again (setuid(0) must fail). Needs root, unless it names
    /// the caller's own identity; otherwise refused before anything starts.
    /// The PID file stays the caller's; the daemon may lack the right to
    /// remove it at exit (then it stays, unlocked, and the next start takes
    /// it over). Platform notes: POSIX only; refused on Windows.
    std::optional<std::string> user{};
    /// Run the daemon with this group: a name, or a numeric gid. Alone, it
    /// keeps the user and sets the group, the supplementary groups becoming
    /// this group only. Platform notes: POSIX only; refused on Windows.
    std::optional<std::string> group{};

    /// Change the daemon's root directory to this one (needs root). The PID
    /// file and the stream files are opened before it, with their paths as
    /// the caller sees them; `chdir` is then a directory inside the new root
    /// (a relative one is taken from its top), "/" by default. The daemon
    /// does not remove its PID file at exit unless the same file shows at
    /// the same path inside the new root. Platform notes: POSIX only;
    /// refused on Windows.
    std::optional<std::filesystem::path> chroot{};

    /// Unset: the inherited setting. false: no core dumps: RLIMIT_CORE soft
    /// and hard 0 (so the daemon cannot raise it again) and, on Linux, the
    /// process made non-dumpable (PR_SET_DUMPABLE 0), which also stops a
    /// core_pattern pipe. true: the soft limit raised to the hard one (to
    /// unlimited for root) and, on Linux, the dumpable flag set again after
    /// the privilege drop cleared it: core files of a daemon that dropped
    /// privileges may hold what it read as root. Platform notes: POSIX only;
    /// refused on Windows.
    std::optional<bool> core_dumps{};
};

} // namespace daemoniker
