// The command's daemon on POSIX: the program's lock keeper (exec.hpp).
//
//   keeper ── fork ──> program's process ── execve ──> the program
//      │ locks the PID file naming the program, reports, says "go",
//      └ waits for the program's end, removes the file, exits as it did
//
// The keeper is the original's child, in a session of its own which it
// leads (launch(), daemonize.posix.cpp); the program's process is not the
// session's leader.
//
// Why a keeper and not a lock inherited by the program: docs/how-it-works.md.

#include "cloexec_pipe.hpp"
#include "confine.hpp"
#include "continuation.hpp"
#include "exec.hpp"
#include "pid_file_internal.hpp"
#include "posix_features.hpp"
#include "startup.hpp"
#include "sys.hpp"

#include <cerrno>
#include <cstdint>
#include <csignal>
#include <fcntl.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace daemoniker::detail {

namespace {

// The program's nice value, I/O class and resource limits; false with
// `failure` naming what failed (LimitValue).
bool apply_limits(const ExecSpec& spec, Failure& failure) noexcept {
    auto failed = [&](std::int64_t what, int e) {
        failure = {Step::limits, e, {}, what};
        return false;
    };
    if (const int e = sys::injected(Step::limits)) return failed(limit_nice, e);
    if (spec.nice && ::setpriority(PRIO_PROCESS, 0, *spec.nice) != 0) return failed(limit_nice, errno);
    if (spec.io_priority) {
#if DAEMONIKER_HAVE_IOPRIO
        const int value = (spec.io_priority->io_class << 13) | spec.io_priority->level; // IOPRIO_PRIO_VALUE
        if (::syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, value) != 0)
            return failed(limit_io_priority, errno);
#else
        return failed(limit_io_priority, ENOSYS); // refused by the command before it starts
#endif
    }
    for (std::size_t i = 0; i < spec.limits.size(); ++i) {
        const ResourceLimit& l = spec.limits[i];
        auto value = [](std::uint64_t v) { return v == UINT64_MAX ? RLIM_INFINITY : static_cast<rlim_t>(v); };
        const rlimit limit{value(l.soft), value(l.hard)};
        if (::setrlimit(static_cast<decltype(RLIMIT_CORE)>(l.resource), &limit) != 0)
            return failed(limit_value_first + static_cast<std::int64_t>(i), errno);
    }
    return true;
}

int clear_cloexec(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags == -1 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == -1) return errno;
    return 0;
}

// Signals that would end the keeper before its program: one meant for the
// program's session or for every process of a name, a terminal hang-up.
// Faults (SIGSEGV, SIGABRT, ...) keep their default, so a broken keeper shows.
sigset_t stray_signals() noexcept {
    sigset_t stray;
    sigemptyset(&stray);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU,
                    SIGVTALRM, SIGPROF, SIGXFSZ})
        sigaddset(&stray, sig);
#ifdef SIGRTMIN
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) sigaddset(&stray, sig);
#endif
    return stray;
}

void ignore_signals(const sigset_t& signals) noexcept {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    for (int sig = 1; sig < DAEMONIKER_NSIG; ++sig)
        if (sigismember(&signals, sig) == 1) ::sigaction(sig, &ignore, nullptr);
}

// Ends this process the way `status` says the program ended: the same exit
// status, or the same signal (without a core of its own: the program's, if
// any, is the one that matters).
[[noreturn]] void end_as(int status) noexcept {
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        ::signal(sig, SIG_DFL);
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, sig);
        ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
        ::raise(sig);
    }
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : exit_startup_failed);
}

// Holds the PID file until the program's thread group has ended, removes
// it while the program is still unreaped (its PID cannot have been reused
// while the file names it), then ends as the program ended.
[[noreturn]] void keep_until_exit(HeldPidFile& file, pid_t program) noexcept {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(program), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
    file.remove();
    int status = 0;
    sys::retry([&] { return ::waitpid(program, &status, 0); });
    end_as(status);
}

// The keeper holds none of the program's descriptors, nor the invoker's
// terminal or pipes (`$(daemoniker start ...)` would wait for it).
void let_go_of_streams(const Resolved& r) noexcept {
    for (int fd : r.shielded_fds) ::close(fd);
    const int null = ::open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC);
    for (int fd = 0; fd < 3 && null >= 0; ++fd) ::dup2(null, fd);
    if (null > 2) ::close(null);
}

// An ExecSpec flattened before fork, so that the daemon only reads memory
// between fork and exec; run() is the daemon's side.
class ExecProgram final : public Continuation {
public:
    explicit ExecProgram(const ExecSpec& spec);

    // With a chroot the streams are opened before it, hence before the drop.
    [[nodiscard]] bool streams_opened_by_caller(const Resolved& r) const noexcept override {
        return !r.identity || !r.chroot.empty();
    }
    [[noreturn]] void run(const Resolved& r, DaemonPlan& plan, int report_fd) const noexcept override;
    void throw_own_failure(const Failure& failure, const Resolved& r) const override;

private:
    [[noreturn]] void run_program(const Resolved& r, const DaemonPlan& plan, int report_fd, int go_fd) const noexcept;

    const ExecSpec& spec_;
    std::string program_;     // absolute: the daemon changes directory
    std::vector<char*> argv_; // null-terminated, pointing into spec_
    std::vector<char*> envp_; // null-terminated, pointing into spec_
};

ExecProgram::ExecProgram(const ExecSpec& spec) : spec_(spec), program_(std::filesystem::absolute(spec.program).string()) {
    // execve() takes char* const[]; the strings are only read.
    for (const auto& arg : spec.argv) argv_.push_back(const_cast<char*>(arg.c_str()));
    argv_.push_back(nullptr);
    for (const auto& entry : spec.env) envp_.push_back(const_cast<char*>(entry.c_str()));
    envp_.push_back(nullptr);
}

void ExecProgram::throw_own_failure(const Failure& failure, const Resolved& r) const {
    const auto code = failure.code();
    std::string what = "cannot start program: ";
    if (failure.step == Step::exec)
        throw StartupError(what + "execute '" + program_ + "': " + describe(code), failure.step, program_, code);
    if (failure.step == Step::drop_privileges && r.identity)
        throw StartupError(what + describe_drop(r.identity->credentials, failure.value) + ": " + describe(code),
                           failure.step, program_, code);
    if (failure.step != Step::limits) return;
    what += "set limits: ";
    if (failure.value == limit_nice && spec_.nice) what += "nice value " + std::to_string(*spec_.nice);
    else if (failure.value == limit_io_priority && spec_.io_priority)
        what += "I/O scheduling class " + spec_.io_priority->text;
    else if (failure.value >= limit_value_first &&
             static_cast<std::size_t>(failure.value - limit_value_first) < spec_.limits.size())
        what += "resource limit " + spec_.limits[static_cast<std::size_t>(failure.value - limit_value_first)].text;
    else what.resize(what.size() - 2);
    throw StartupError(what + ": " + describe(code), failure.step, program_, code);
}

// The program's process: waits for the keeper's word that the PID file
// names it, then sets its limits, confines itself (chroot, core dumps,
// privilege drop), opens its streams with the rights it
// now has (so a path that a less privileged user controls never makes root
// create or append to a file), and executes the program. The report pipe is
// close-on-exec: a successful exec ends the report with EOF, a failed step
// sends a failure record.
void ExecProgram::run_program(const Resolved& r, const DaemonPlan& plan, int report_fd, int go_fd) const noexcept {
    const pid_t keeper = ::getppid();
    char go = 0;
    // EOF: the keeper failed, reports why and removes what it made.
    if (sys::retry([&] { return ::read(go_fd, &go, 1); }) != 1) ::_exit(exit_startup_failed);
    ::close(go_fd);
    ::setpgid(0, 0); // the keeper does the same: whichever runs first
    Failure why;
    if (!apply_limits(spec_, why)) fail_child(report_fd, why);
    // The streams with the rights the program will have, unless a chroot
    // comes first: then before it, with the caller's (checked by the
    // original process as for the library's daemon).
    const bool streams_first = !r.chroot.empty();
    if (streams_first) redirect_streams(r, plan, report_fd);
    if (!confine(r, why)) fail_child(report_fd, why);
    if (!streams_first) redirect_streams(r, plan, report_fd);
    // The program inherits 0-2 and the shielded descriptors, nothing else.
    int e = 0;
    for (int fd : r.shielded_fds)
        if (e == 0) e = clear_cloexec(fd);
#if DAEMONIKER_HAVE_PDEATHSIG
    // The program lives no longer than the keeper of its lock (a keeper
    // killed by SIGKILL takes it along), so the PID file never names a
    // running program without its lock. Set last: a change of credentials
    // clears it. (Exec'ing a set-user-ID program clears it too.)
    if (e == 0 && ::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) e = errno;
    if (e == 0 && ::getppid() != keeper) e = ESRCH; // the keeper died before the signal was armed
#else
    (void)keeper;
#endif
    if (e == 0) e = sys::injected(Step::exec);
    if (e == 0) {
        ::execve(program_.c_str(), argv_.data(), envp_.data());
        e = errno;
    }
    fail_child(report_fd, {Step::exec, e});
}

// The keeper: forks the program's process, locks the PID file naming that
// process, and stays, holding the lock, until the program has ended.
void ExecProgram::run(const Resolved& r, DaemonPlan& plan, int report_fd) const noexcept {
    close_for_daemon(r, report_fd, -1);
    int go[2];
    if (cloexec_pipe(go) != 0) fail_child(report_fd, {Step::fork_program, errno});
    const pid_t program = sys::call(Step::fork_program, [] { return ::fork(); });
    if (program < 0) fail_child(report_fd, {Step::fork_program, errno});
    if (program == 0) {
        ::close(go[1]);
        run_program(r, plan, report_fd, go[0]);
    }
    ::close(go[0]);
    ::setpgid(program, program);
    let_go_of_streams(r);
    send_report(report_fd, Report::naming(Report::daemon_pid, program, Step::fork_program));

    auto abandon = [&](const Failure& failure) {
        ::close(go[1]); // the program's process reads EOF and exits
        int status = 0;
        sys::retry([&] { return ::waitpid(program, &status, 0); });
        fail_child(report_fd, failure);
    };
    Failure why;
    if (!plan.pid_file->acquire_prepared(plan.pid_dir, program, why)) abandon(why);
    // The program may read its PID file and never write it: the file stays
    // the invoker's, owner and group, as start-stop-daemon and systemd's
    // PIDFile= require of a root service; it is readable by all, whatever
    // the umask (a PID is no secret: /proc shows it to anyone).
    auto abandon_held = [&](Step step, int error) {
        plan.pid_file->remove();
        abandon({step, error});
    };
    if (r.identity && ::fchmod(static_cast<int>(plan.pid_file->native_handle()), 0644) != 0)
        abandon_held(Step::pid_file_write, errno);
    if (int e = sys::injected(Step::report)) abandon_held(Step::report, e);
    // The original process gone, nobody would learn that the program runs.
    if (!send_report(report_fd, Report::naming(Report::success, program))) abandon_held(Step::report, EPIPE);
    ::close(report_fd);
    // The stray signals are blocked (one call) before the program is let go
    // and ignored (one call each) after, so that the program does not wait
    // for the 45 calls, and none of them can end the keeper in between: one
    // that arrived while blocked is discarded once it is ignored.
    const sigset_t stray = stray_signals();
    sigset_t mask;
    ::sigprocmask(SIG_BLOCK, &stray, &mask);
    const char byte = 1;
    sys::retry([&] { return ::write(go[1], &byte, 1); }); // fails only if the program's process died: it is waited for
    ::close(go[1]);
    ignore_signals(stray);
    ::sigprocmask(SIG_SETMASK, &mask, nullptr);
    keep_until_exit(*plan.pid_file, program);
}

} // namespace

process_id daemonize_and_exec(const std::filesystem::path& pid_file, const Options& options, const ExecSpec& exec,
                              process_id* keeper) {
    check_exec_spec(exec);
    const Resolved r = resolve(pid_file, options);
    const ExecProgram program(exec);
    process_id keeper_pid = 0;
    const process_id pid = launch(r, &program, keeper_pid);
    if (keeper != nullptr) *keeper = keeper_pid;
    return pid;
}

} // namespace daemoniker::detail
