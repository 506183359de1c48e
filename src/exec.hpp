#pragma once
// Daemonize-and-exec: the library half of the `daemoniker` command. Not public
// API: the command reaches it through src/interface/daemoniker_internal.hpp.
// The daemon's side is a Continuation (continuation.hpp): the lock keeper in
// exec.posix.cpp, the supervisor in exec.windows.cpp.
//
// The daemon becomes the program's lock keeper: it changes directory, sets
// the umask and closes inherited descriptors, forks the program's process,
// and locks the PID file, which names that process. The program's process
// then sets its limits (nice value, I/O class, resource limits), confines
// itself (chroot, core dumps, privilege drop: Options::user, group, chroot,
// core_dumps; confine.hpp), redirects the standard streams with the rights
// of the user it runs as (with a chroot: before it, with the caller's
// rights, as the library's daemon does), and executes the program, so the PID in the PID file
// is the program's own. The keeper holds the lock, waits for the program to
// end, removes the PID file and exits with the program's status. The
// program holds no descriptor of the PID file: nothing it does to that file
// (reading it, closing every descriptor, exec'ing again) can end the lock,
// and the lock ends with the program, not with the children it leaves
// behind. docs/how-it-works.md says why this shape and not another.
//
// The startup contract, extended: the report channel is close-on-exec, so a
// successful exec closes it. The original process therefore accepts the start
// when the channel reaches EOF after the keeper's "PID file held, executing"
// record with no failure record after it; a failed step of the program's
// process (privilege drop, redirection, exec) sends a failure record naming
// it, and the keeper removes the PID file.

#include <daemoniker/errors.hpp>
#include <daemoniker/options.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace daemoniker::detail {

/// The program's I/O scheduling class and level (ioprio_set, Linux).
struct IoPriority {
    int io_class = 2; ///< 1 real-time, 2 best-effort, 3 idle (IOPRIO_CLASS_*)
    int level = 4;    ///< 0 (highest) to 7
    std::string text; ///< as the user gave it, for messages
};

/// One resource limit of the program (setrlimit).
struct ResourceLimit {
    int resource = 0;       ///< RLIMIT_*
    std::uint64_t soft = 0; ///< UINT64_MAX: unlimited
    std::uint64_t hard = 0;
    std::string text;       ///< as the user gave it, for messages
};

/// What the daemon executes.
struct ExecSpec {
    /// The program, as given to execve(): an absolute path, or one relative
    /// to the caller's directory that daemonize_and_exec() makes absolute (the daemon has
    /// changed directory by then). No PATH search happens here.
    std::filesystem::path program;
    /// argv, argv[0] included. Must not be empty.
    std::vector<std::string> argv;
    /// The program's complete environment, "NAME=value" entries.
    std::vector<std::string> env;
    /// The program's niceness (-20 to 19, absolute), I/O scheduling and
    /// resource limits, set in the program's process before the chroot and
    /// the privilege drop (only root may raise a hard limit or lower the
    /// nice value). Platform notes: POSIX only (io_priority: Linux only).
    std::optional<int> nice;
    std::optional<IoPriority> io_priority;
    std::vector<ResourceLimit> limits;
};

/// True in a process the library re-launched as the daemon (Windows) until
/// daemonization has received its arguments there; always false on POSIX.
bool is_relaunched() noexcept;

/// Meaning of Report::value in a Step::limits failure record: what failed
/// (limit_value_first + i: ExecSpec::limits[i]).
enum LimitValue : std::int64_t { limit_nice = 1, limit_io_priority = 2, limit_value_first = 16 };

/// Throws OptionError when `exec` names no program, or (Windows) asks for
/// what the platform lacks (nice value, I/O scheduling, resource limits).
void check_exec_spec(const ExecSpec& exec);

/// Daemonizes like daemonize(), then executes
/// `exec.program` in a child of the daemon. Returns in the original process,
/// with the program's PID, once the exec succeeded (the program may have
/// exited since); throws like daemonize_or_throw() otherwise, StartupError naming
/// Step::fork_program, Step::drop_privileges, a redirection or Step::exec
/// included. Never returns in the daemon. `keeper`, when given, receives the
/// lock keeper's PID (0 when unknown): it exits right after the program,
/// with the program's exit status (or by the program's signal).
///
/// The program inherits 0-2 and `shielded_fds` and nothing else; it is the
/// leader of its own process group, so the group names the program and the
/// children it did not move elsewhere.
///
/// Platform notes: on Windows there is no exec: the daemon is this
/// executable re-launched with the same command line (so it must reach this
/// call again with the same arguments), and it stays as the program's
/// supervisor, holding the PID file and the signal channel; the PID returned
/// is the supervisor's (and `keeper` receives it too). See supervise.hpp.
process_id daemonize_and_exec(const std::filesystem::path& pid_file, const Options& options, const ExecSpec& exec,
                              process_id* keeper = nullptr);

} // namespace daemoniker::detail
