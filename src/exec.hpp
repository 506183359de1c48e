#pragma once
// Daemonize-and-exec: the library half of the `daemoniker` command. Not public
// API: the command reaches it through src/interface/daemoniker_internal.hpp.
// The daemon's side is a Continuation (continuation.hpp): the lock keeper in
// exec.posix.cpp, the supervisor in exec.windows.cpp.
//
// The daemon becomes the program's lock keeper: it changes directory, sets
// the umask and closes inherited descriptors, forks the program's process,
// and locks the PID file, which names that process. The program's process
// then drops privileges, redirects the standard streams with the rights of
// the user it runs as, and executes the program, so the PID in the PID file
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

/// The identity the program runs as (POSIX). Resolved by the caller (user
/// and group databases are not usable after fork); applied in the program's
/// process before its streams are redirected, in this order: setgroups
/// (groups), setgid(gid), setuid(uid). Each call is checked, and after setuid
/// the process verifies that it cannot become root again. The PID file stays
/// the caller's.
struct Credentials {
    std::optional<std::uint32_t> uid;  ///< unset: keep the user, switch only the group
    std::uint32_t gid = 0;
    std::vector<std::uint32_t> groups; ///< the complete supplementary group list
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
    /// Privilege drop, when set. Platform notes: POSIX only.
    std::optional<Credentials> credentials;
};

/// True in a process the library re-launched as the daemon (Windows) until
/// daemonization has received its arguments there; always false on POSIX.
bool is_relaunched() noexcept;

/// Meaning of Report::value in a Step::drop_privileges failure record: which
/// call failed.
enum class DropCall : std::int32_t { setgroups = 1, setgid, setuid, regain_root };

/// Throws OptionError when `exec` names no program, or (Windows) asks for
/// credentials.
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
/// `credentials` are refused there.
process_id daemonize_and_exec(const std::filesystem::path& pid_file, const Options& options, const ExecSpec& exec,
                              process_id* keeper = nullptr);

} // namespace daemoniker::detail
