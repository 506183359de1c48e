#pragma once
// The seam between daemonization (daemonize.<platform>.cpp) and what a
// daemon may do last instead of returning to daemonize()'s caller: run the
// command's program (exec.<platform>.cpp). The core runs its steps and the
// report protocol; at one fixed point it hands the daemon over to the
// Continuation, and in the original process it lets the Continuation name
// the failures of its own steps.
//
//   POSIX    after umask and chdir, the daemon calls run(): the lock keeper
//            forks the program's process, holds the PID file naming it, and
//            reports; the program's process execs.
//   Windows  after the PID file and the streams, the re-launched daemon
//            calls start() (the supervisor starts the program) and, once it
//            reported success, serve().

#include "options.hpp"
#include "pid_file_internal.hpp"
#include "startup.hpp"

#include <daemoniker/daemonize.hpp>

#include <string>
#include <string_view>

namespace daemoniker::detail {

#ifndef _WIN32
/// What the daemon needs beyond Resolved, made before the fork: after it the
/// daemon should only read memory and make system calls. Every library
/// function it calls for the first time costs a lazy symbol binding (the
/// dynamic linker searching the symbol tables of libstdc++ and libc) and page
/// faults on code and tables it would otherwise not touch, in the daemon and
/// again in every daemon started (docs/benchmarks.md).
struct DaemonPlan {
    HeldPidFile* pid_file = nullptr; // prepare_for_life(): kept where it is
    HeldPidFile own_pid_file;        // instead, when that storage is not available
    std::filesystem::path pid_dir;   // directory_of(r.pid_file)
    bool stderr_as_stdout = false;   // both on the null device: one open file for the two
};

/// The daemon's side of the report protocol, for a Continuation (after fork:
/// no allocation, no exceptions).
/// Sends one record; false when the original process is gone.
bool send_report(int report_fd, const Report& report) noexcept;
/// Releases the PID file this process keeps for life, if any, reports
/// `failure` and exits with status 1.
[[noreturn]] void fail_child(int report_fd, const Failure& failure) noexcept;
/// Closes every inherited descriptor but 0-2, `also` (when >= 0), the
/// report pipe and the shielded descriptors; reports Step::close_fds.
void close_for_daemon(const Resolved& r, int report_fd, int also) noexcept;
/// Points 0-2 at the resolved stream paths; reports the failed redirection.
void redirect_streams(const Resolved& r, const DaemonPlan& plan, int report_fd) noexcept;
#endif

/// What a daemon does last in place of returning to daemonize()'s caller.
class Continuation {
public:
#ifndef _WIN32
    /// True when the daemon opens the stream files with the caller's
    /// rights, so the original process checks their paths first (trust
    /// rule of check_stream_path()).
    [[nodiscard]] virtual bool streams_opened_by_caller(const Resolved& r) const noexcept = 0;
    /// In the daemon, after umask and chdir: everything else, the PID file,
    /// the streams and the report included. A record naming a PID it sends
    /// for Step::fork_program is the PID launch() returns; its success record
    /// is followed by EOF (exec) or a failure record. Never returns.
    [[noreturn]] virtual void run(const Resolved& r, DaemonPlan& plan, int report_fd) const noexcept = 0;
#else
    /// In the re-launched daemon, after the PID file and the streams: the
    /// last step before the report; a failure is reported as its step.
    virtual Failure start(const Resolved& r, std::string_view payload) noexcept = 0;
    /// After the report: the rest of the daemon's life. Never returns.
    [[noreturn]] virtual void serve() = 0;
#endif
    /// In the original process: throws the exception for a failure of the
    /// continuation's own steps (Step::exec, Step::drop_privileges,
    /// Step::limits); returns for any other step, which the core reports.
    virtual void throw_own_failure(const Failure& failure, const Resolved& r) const = 0;

protected:
    Continuation() = default;
    Continuation(const Continuation&) = default;
    Continuation& operator=(const Continuation&) = default;
    ~Continuation() = default;
};

#ifndef _WIN32
/// The double fork. In the original process: the daemon's PID once it
/// reported success (with a continuation, the PID of its Step::fork_program
/// record once it exec'd, and `keeper` the PID of the daemon process itself;
/// without one, `keeper` stays 0);
/// throws like daemonize_or_throw(). In the daemon: 0 (with a continuation,
/// never).
process_id launch(const Resolved& r, const Continuation* then, process_id& keeper);
#else
/// Re-launches this executable as the daemon and waits for its report: the
/// daemon's PID, or throws like daemonize(). `payload` goes down the handoff.
process_id run_original(const Resolved& r, const Options& options, const std::string& payload,
                        const Continuation* then);
/// The re-launched daemon's steps; `payload` receives the caller's bytes.
/// With a continuation, the daemon serves it and never returns.
Role run_daemon(std::string& payload, Continuation* then);
#endif

} // namespace daemoniker::detail
