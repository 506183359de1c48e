#pragma once
// Processes as the command sees them: pinned so that a reused PID is never
// signalled or waited for, liveness where an exited but unreaped process (a
// zombie) counts as gone, and age from the process table.

#include <daemoniker/errors.hpp>
#include <daemoniker/pid_file.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

namespace daemoniker::cli {

using clock = std::chrono::steady_clock;

/// Milliseconds from now until `deadline`, rounded up, for poll() and
/// WaitForSingleObject(): 0 once it passed, at most 10^9 (11 days).
int remaining_ms(clock::time_point deadline) noexcept;

/// A process pinned by a pidfd where the system has them (Linux >= 5.3) or a
/// process handle (Windows): waiting and signalling then always reach the
/// process that was pinned, even once its PID is reused. Elsewhere it holds
/// the bare PID.
class Process {
public:
#ifdef _WIN32
    using native_handle_type = void*; ///< a process HANDLE
    static constexpr native_handle_type no_handle = nullptr;
#else
    using native_handle_type = int; ///< a pidfd
    static constexpr native_handle_type no_handle = -1;
#endif

    /// Pins `pid`. Sets `ec` (ESRCH: no such process) and returns an empty Process on failure.
    static Process pin(process_id pid, std::error_code& ec);
    /// Takes over a handle that pins `pid` already (no_handle: the bare PID).
    static Process adopt(process_id pid, native_handle_type handle) noexcept;

    Process() = default;
    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    [[nodiscard]] process_id pid() const noexcept { return pid_; }
    [[nodiscard]] explicit operator bool() const noexcept { return pid_ > 0; }
    /// The pidfd (readable once the process exited) or the process HANDLE
    /// (signaled once it exited), or no_handle.
    [[nodiscard]] native_handle_type native_handle() const noexcept { return handle_; }

    /// Waits until the process has exited (zombies included) or `deadline`
    /// passes; true when it exited.
    bool wait_exit(clock::time_point deadline) const;
    /// True when the process has exited (zombies included).
    [[nodiscard]] bool exited() const { return wait_exit(clock::time_point::min()); }
    /// Sends `signal`; ESRCH when it has exited. Windows: kill_signal is
    /// TerminateProcess, the others go over the daemon's signal channel.
    std::error_code signal(int signal) const;

private:
    static void close_handle(native_handle_type handle) noexcept; // platform half

    process_id pid_ = 0;
    native_handle_type handle_ = no_handle;
};

/// One reading of a PID file by the library's rules (trust, lock, the
/// process's liveness), with the daemon pinned when it runs.
struct DaemonReading {
    PidFileState state = PidFileState::absent;
    process_id pid = 0;    ///< the PID the file names (also when `error` is set), 0 when none
    Process process;       ///< state == running: the daemon, pinned
    std::error_code error; ///< refused or unreadable; state is then absent
};
DaemonReading read_daemon(const std::filesystem::path& pid_file);

/// Whether this system has process groups (POSIX) for the functions below.
bool has_process_groups() noexcept;
/// The process group of a running process, asked while it is pinned (its
/// group then exists, so the ID names no other group). POSIX only; errors
/// for a group that is this command's own or init's.
process_id process_group_of(const Process& process, std::error_code& ec);
/// A running member of group `pgid` whose real uid is not `uid`, if any:
/// signalling the group would then reach a process that the group's own
/// processes could not signal (a program that joined its keeper's group, for
/// instance). std::nullopt when all are `uid`'s (or the system cannot tell).
std::optional<std::uint32_t> foreign_member_uid(process_id pgid, std::uint32_t uid);
/// Whether foreign_member_uid() can be believed for this caller: false where
/// the system cannot list a group's members (no /proc) and the caller is
/// root, whose signal would reach any process in the group.
bool group_members_checked() noexcept;
/// The real uid of a process (std::nullopt when it cannot be read).
std::optional<std::uint32_t> process_uid(process_id pid);
/// Sends `signal` to every process of group `pgid`.
std::error_code signal_group(process_id pgid, int signal);
/// Whether any process of group `pgid` runs (zombies do not count).
bool group_alive(process_id pgid);

/// Whether a process with this PID runs; a zombie does not, a process whose
/// main thread has exited while other threads run does. std::nullopt when
/// the system cannot tell.
std::optional<bool> is_alive(process_id pid);

/// Whether the process is on its way out: it has released its memory (so it
/// closed no descriptor by exec'ing), though its exit may not show yet on a
/// pin. Linux: /proc/PID/exe no longer resolves. False where unknown.
bool is_exiting(process_id pid);

/// How long ago the process started, from the process table (Linux:
/// /proc/PID/stat and /proc/uptime).
std::optional<std::chrono::duration<double>> process_age(process_id pid);

/// When the file was last modified, as a duration before now; std::nullopt
/// when it cannot be read.
std::optional<std::chrono::duration<double>> file_age(const std::filesystem::path& path);

/// Makes this process the reaper of the orphans among its descendants
/// (Linux PR_SET_CHILD_SUBREAPER), so that a program whose lock keeper died
/// becomes its child and its exit status can be collected. False where
/// this does not exist.
bool become_subreaper() noexcept;

/// If `pid` is a child of this process that has exited, reaps it and says
/// how it ended: "exited with status 3", "was killed by SIGSEGV".
std::optional<std::string> reap_child(process_id pid);

} // namespace daemoniker::cli
