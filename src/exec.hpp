#pragma once
// Daemonize-and-exec: the library half of the `daemoniker` command. Not public
// API: the command links the library and includes this header from src/.
//
// The daemon runs every step of daemonize() (PID file, chdir, umask, closing
// descriptors, redirections), then the steps of the command: it hands the PID
// file to the target user and drops privileges, and executes the program in
// its own process, so the PID in the PID file is the program's. The program
// inherits the PID file's descriptor and its lock.
//
// The startup contract, extended: the report channel is close-on-exec, so a
// successful exec closes it. The original process therefore accepts the start
// when the channel reaches EOF after the daemon's "all steps done, executing"
// record with no failure record after it; a failed exec (or privilege drop)
// sends a failure record naming Step::exec (Step::drop_privileges) and the
// errno, and the PID file is removed.

#include <daemoniker/errors.hpp>
#include <daemoniker/export.hpp>
#include <daemoniker/options.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace daemoniker::detail {

/// The identity the program runs as (POSIX). Resolved by the caller (user
/// and group databases are not usable after fork); applied in the daemon
/// after the PID file was created and the streams redirected, in this order:
/// PID file chowned to uid:gid, setgroups(groups), setgid(gid), setuid(uid).
/// Each call is checked, and after setuid the daemon verifies that it cannot
/// become root again.
struct Credentials {
    std::optional<std::uint32_t> uid;  ///< unset: keep the user, switch only the group
    std::uint32_t gid = 0;
    std::vector<std::uint32_t> groups; ///< the complete supplementary group list
};

/// What the daemon executes.
struct ExecSpec {
    /// The program, as given to execve(): an absolute path, or one relative
    /// to the caller's directory that start() makes absolute (the daemon has
    /// changed directory by then). No PATH search happens here.
    std::filesystem::path program;
    /// argv, argv[0] included. Must not be empty.
    std::vector<std::string> argv;
    /// The program's complete environment, "NAME=value" entries.
    std::vector<std::string> env;
    /// Privilege drop, when set. Platform notes: POSIX only.
    std::optional<Credentials> credentials;
};

/// Meaning of Report::value in a Step::drop_privileges failure record: which
/// call failed.
enum class DropCall : std::int32_t { chown_pid_file = 1, setgroups, setgid, setuid, regain_root };

/// Daemonizes like start(pid_file, options, payload), then executes
/// `exec.program` in the daemon. Returns in the original process, with the
/// program's PID, once the exec succeeded (the program may have exited since);
/// throws like start() otherwise, StartupError naming Step::exec or
/// Step::drop_privileges included. Never returns in the daemon.
///
/// The PID file descriptor stays open across the exec (it is the only
/// descriptor besides 0-2 and `shielded_fds` that the program inherits) and
/// its lock is converted, right before the exec, into a process-owned record
/// lock: such a lock survives exec but is not inherited by the processes the
/// program forks, so it ends exactly when the program ends. The library's
/// exit-time removal of the PID file does not survive the exec: once the
/// program ends, the file stays behind, stale.
///
/// Platform notes: on Windows there is no exec: the daemon is this
/// executable re-launched with the same command line (so it must reach this
/// call again with the same arguments), and it stays as the program's
/// supervisor, holding the PID file and the signal channel; the PID returned
/// is the supervisor's. See supervise.hpp. `credentials` are refused there.
DAEMONIKER_API process_id start(const std::filesystem::path& pid_file, const Options& options, const ExecSpec& exec);

} // namespace daemoniker::detail
