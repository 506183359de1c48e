// Daemonization on POSIX: the double fork, with a pipe that carries the
// daemon's report back to the original process.
//
//   original ── fork ──> intermediate ── setsid, fork ──> daemon
//      │                      └─ reports the daemon's PID, exits
//      └─ waits (poll, success_timeout) for the daemon's success or failure
//
// The order of the steps, and why, is in docs/how-it-works.md.

#include "descriptors.hpp"
#include "exec.hpp"
#include "options.hpp"
#include "pid_file.hpp"
#include "startup.hpp"
#include "streams.hpp"
#include "sys.hpp"

#include <daemoniker/daemonize.hpp>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/resource.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace daemoniker::detail {

std::filesystem::path null_device() { return "/dev/null"; }
std::string system_message(int code) { return std::system_category().message(code); }
bool transfers_payload() noexcept { return false; }
bool is_relaunched() noexcept { return false; }

namespace {

using clock = std::chrono::steady_clock;

// ---- original process ------------------------------------------------------

// Threads other than the caller, or -1 when this system cannot tell.
int other_threads() noexcept {
    DIR* dir = ::opendir("/proc/self/task");
    if (dir == nullptr) return -1;
    int count = 0;
    while (const dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.') ++count;
    ::closedir(dir);
    return count - 1;
}

void check_environment(const Resolved& r, const Options& options) {
    for (int fd : r.shielded_fds)
        if (::fcntl(fd, F_GETFD) == -1)
            throw OptionError("shielded_fds: descriptor " + std::to_string(fd) + " is not open");
    if (!options.allow_threads) {
        const int others = other_threads();
        if (others > 0)
            throw OptionError("cannot daemonize: the process already runs " + std::to_string(others) +
                              " other thread(s), which fork() does not copy (their locks would stay "
                              "locked forever); daemonize before starting threads, or set "
                              "Options::allow_threads to accept the risk");
    }
}

struct Pipe {
    int read = -1;
    int write = -1;
};

// An ExecSpec flattened before fork, so that the daemon only reads memory
// between fork and exec.
struct ExecPlan {
    const ExecSpec* spec = nullptr;
    std::string program;       // absolute
    std::vector<char*> argv;   // null-terminated, pointing into *spec
    std::vector<char*> envp;   // null-terminated, pointing into *spec
    std::vector<gid_t> groups;
};

[[noreturn]] void throw_pipe_error() {
    const std::error_code code(errno, std::system_category());
    throw StartupError("cannot start daemon: create report pipe: " + code.message(), Step::report_channel, {}, code);
}

Pipe make_pipe() {
    int fds[2];
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
    if (::pipe2(fds, O_CLOEXEC) != 0)
#else
    if (::pipe(fds) != 0 || ::fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || ::fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0)
#endif
        throw_pipe_error();
    return {fds[0], fds[1]};
}

enum class Read { record, eof, timeout, error };

Read read_report(int fd, Report& report, clock::time_point deadline) noexcept {
    auto* bytes = reinterpret_cast<char*>(&report);
    std::size_t got = 0;
    while (got < sizeof report) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
        if (left <= 0) return Read::timeout;
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, INT_MAX)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return Read::error;
        if (ready == 0) return Read::timeout;
        const auto n = ::read(fd, bytes + got, sizeof report - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Read::error;
        if (n == 0) return Read::eof;
        got += static_cast<std::size_t>(n);
    }
    return Read::record;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
    return "ended";
}

// Waits for the original's own child (the intermediate process), which exits
// right after the second fork, so it does not linger as a zombie.
int reap(pid_t child) noexcept {
    int status = 0;
    if (sys::retry([&] { return ::waitpid(child, &status, 0); }) == -1) return 0;
    return status;
}

// The lock keeper of a start that failed has ended (it held the report pipe
// until then). When it is this process's child — the command is a child
// subreaper, so it inherits the keeper once the intermediate is gone — it is
// collected here, so no zombie is left; otherwise waitpid() fails at once.
void reap_keeper(process_id keeper) noexcept {
    if (keeper > 0) reap(static_cast<pid_t>(keeper));
}

// Blocks until every writer of the report pipe is gone (the daemon died), or
// the deadline passes.
void wait_for_eof(int fd, clock::time_point deadline) noexcept {
    Report ignored;
    while (read_report(fd, ignored, deadline) == Read::record) {
    }
}

// The message of a failed exec or privilege drop (the daemon's command steps).
[[noreturn]] void throw_exec_failure(const Report& rep, const ExecPlan& exec) {
    const auto step = static_cast<Step>(rep.step);
    const auto code = report_code(rep);
    std::string what = "cannot start program: ";
    std::filesystem::path path = exec.program;
    if (step == Step::exec) {
        what += "execute '" + exec.program + "': " + describe(code);
        throw StartupError(what, step, path, code);
    }
    const Credentials& c = *exec.spec->credentials;
    what += "drop privileges to ";
    if (c.uid) what += "uid " + std::to_string(*c.uid) + ", ";
    what += "gid " + std::to_string(c.gid) + ": ";
    switch (static_cast<DropCall>(rep.value)) {
    case DropCall::setgroups: what += "setgroups"; break;
    case DropCall::setgid: what += "setgid"; break;
    case DropCall::setuid: what += "setuid"; break;
    case DropCall::regain_root: what += "root privileges could be regained after setuid"; break;
    default: what += "unknown call"; break;
    }
    what += ": " + describe(code);
    throw StartupError(what, step, path, code);
}

// Returns the daemon's PID once it reported success (exec mode: the
// program's, once it was executed; `keeper` receives the lock keeper's).
process_id run_original(const Resolved& r, Pipe pipe, pid_t intermediate, const ExecPlan* exec, process_id& keeper) {
    ::close(pipe.write);
    const auto deadline = clock::now() + r.success_timeout;
    process_id daemon = 0;
    bool executing = false; // exec mode: the keeper holds the PID file, the program runs its steps
    for (;;) {
        Report rep;
        Read got = Read::error;
        if (const int e = sys::injected(Step::wait)) errno = e;
        else got = read_report(pipe.read, rep, deadline);
        if (got == Read::record && rep.magic == Report{}.magic && rep.kind == Report::daemon_pid) {
            // From the intermediate: the daemon (exec mode: the keeper). From
            // the keeper: the program's process. Either may come first.
            if (exec != nullptr && static_cast<Step>(rep.step) != Step::fork_program) keeper = rep.value;
            else daemon = rep.value;
            continue;
        }
        if (got == Read::record && rep.magic == Report{}.magic && rep.kind == Report::success) {
            // The daemon's record carries its PID. The intermediate's may come
            // later: it can be descheduled between its fork and its write
            // while the daemon runs every step (seen in the racing tests), and
            // returning 0 here would make the original believe it is the daemon.
            daemon = rep.value;
            if (exec != nullptr) { // the verdict on the exec is still to come: EOF or a failure
                executing = true;
                continue;
            }
            ::close(pipe.read);
            reap(intermediate);
            return daemon;
        }
        if (got == Read::record && rep.magic == Report{}.magic && rep.kind == Report::failure) {
            // The daemon cleaned up after itself (PID file removed) and exits.
            wait_for_eof(pipe.read, clock::now() + std::chrono::seconds(5));
            ::close(pipe.read);
            reap(intermediate);
            reap_keeper(keeper);
            if (exec != nullptr) {
                // After dropping privileges the daemon may have lacked the
                // right to remove its PID file from the directory.
                if (daemon > 0) remove_if_abandoned(r.pid_file, daemon);
                const auto step = static_cast<Step>(rep.step);
                if (step == Step::exec || step == Step::drop_privileges) throw_exec_failure(rep, *exec);
            }
            throw_failure(static_cast<Step>(rep.step), r, report_code(rep), rep.value);
        }
        if (got == Read::eof && executing) {
            // The close-on-exec channel closed without a failure record: the
            // exec succeeded.
            ::close(pipe.read);
            reap(intermediate);
            return daemon;
        }
        if (got == Read::timeout) {
            // The pipe is still open, so the daemon still lives and its PID
            // cannot have been reused: killing it by PID is safe here. (In
            // exec mode the program's process is the keeper's child, which
            // the keeper reaps only once it has been told to go or has failed;
            // the keeper itself is unreaped until this process or the
            // intermediate collects it.)
            if (daemon > 0) ::kill(static_cast<pid_t>(daemon), SIGKILL);
            if (keeper > 0) ::kill(static_cast<pid_t>(keeper), SIGKILL);
            if (daemon <= 0 && keeper <= 0) ::kill(intermediate, SIGKILL);
            wait_for_eof(pipe.read, clock::now() + std::chrono::seconds(5));
            ::close(pipe.read);
            reap(intermediate);
            reap_keeper(keeper);
            if (daemon > 0) remove_if_abandoned(r.pid_file, daemon);
            throw StartupTimeout("cannot start daemon: no report from the daemon" +
                                     (daemon > 0 ? " (pid " + std::to_string(daemon) + ")" : std::string()) +
                                     " within " + std::to_string(r.success_timeout.count()) +
                                     " ms; it was killed",
                                 Step::wait, {}, std::make_error_code(std::errc::timed_out));
        }
        // EOF (or a broken pipe): every writer died without a verdict.
        const int saved = errno;
        ::close(pipe.read);
        const int status = reap(intermediate);
        reap_keeper(keeper);
        if (daemon > 0) remove_if_abandoned(r.pid_file, daemon);
        std::string what = "cannot start daemon: ";
        if (got == Read::error) {
            what += "reading the daemon's report failed: " + std::error_code(saved, std::system_category()).message();
        } else if (daemon > 0) {
            what += "the daemon (pid " + std::to_string(daemon) + ") died before reporting success";
        } else {
            what += "the intermediate process " + describe_status(status) + " before forking the daemon";
        }
        throw StartupError(what, Step::wait, {}, got == Read::error ? std::error_code(saved, std::system_category())
                                                                     : std::make_error_code(std::errc::broken_pipe));
    }
}

// ---- intermediate and daemon (after fork: no exceptions) -------------------

// Writes one record. Blocks SIGPIPE around the write so a vanished original
// process shows up as EPIPE instead of killing us.
bool send_report(int fd, const Report& rep) noexcept {
    sigset_t pipe_only;
    sigset_t old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    ::sigprocmask(SIG_BLOCK, &pipe_only, &old);
    const auto n = sys::retry([&] { return ::write(fd, &rep, sizeof rep); });
    const bool ok = n == static_cast<ssize_t>(sizeof rep);
    if (!ok && errno == EPIPE) {
        const timespec zero{0, 0};
        ::sigtimedwait(&pipe_only, nullptr, &zero); // consume the pending SIGPIPE
    }
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return ok;
}

[[noreturn]] void fail_child(int fd, Step step, int error, errc detail = {}, process_id holder = 0) noexcept {
    if (HeldPidFile* file = held_for_life()) file->release();
    Report rep;
    rep.kind = Report::failure;
    rep.step = static_cast<std::int32_t>(step);
    rep.error = error;
    rep.detail = static_cast<std::int32_t>(detail);
    rep.value = holder;
    send_report(fd, rep);
    ::_exit(exit_startup_failed);
}

// Moves `fd` above the standard descriptors (the original may have started
// with 0-2 closed, so pipe() or open() handed out one of them).
int above_stdio(int fd) noexcept {
    if (fd > 2) return fd;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    ::close(fd);
    return moved;
}

void reset_signals() noexcept {
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr); // EINVAL for reserved ones: fine
}

// What the daemon needs beyond Resolved, made before the fork: after it the
// daemon should only read memory and make system calls. Every library
// function it calls for the first time costs a lazy symbol binding (the
// dynamic linker searching the symbol tables of libstdc++ and libc) and page
// faults on code and tables it would otherwise not touch, in the daemon and
// again in every daemon started (docs/benchmarks.md).
struct DaemonPlan {
    HeldPidFile* pid_file = nullptr; // prepare_for_life(): kept where it is
    HeldPidFile own_pid_file;        // instead, when that storage is not available
    std::filesystem::path pid_dir;   // directory_of(r.pid_file)
    bool stderr_as_stdout = false;   // both on the null device: one open file for the two
};

void prepare_daemon(const Resolved& r, DaemonPlan& plan) {
    plan.pid_file = prepare_for_life(r.pid_file);
    if (plan.pid_file == nullptr) {
        plan.own_pid_file = HeldPidFile(r.pid_file);
        plan.pid_file = &plan.own_pid_file;
    }
    plan.pid_dir = directory_of(r.pid_file);
    const auto null = null_device();
    plan.stderr_as_stdout = r.stdout_path == null && r.stderr_path == null;
    stage_streams(r);
}

// Closes every inherited descriptor but 0-2, `also` (when >= 0), the report
// pipe and the shielded descriptors.
void close_for_daemon(const Resolved& r, int report_fd, int also) noexcept {
    int keep_buf[64];
    std::vector<int> keep_heap;
    int* keep = keep_buf;
    const std::size_t needed = r.shielded_fds.size() + 5;
    if (needed > 64) {
        keep_heap.resize(needed);
        keep = keep_heap.data();
    }
    int n = 0;
    for (int fd : {0, 1, 2, also, report_fd})
        if (fd >= 0) keep[n++] = fd;
    for (int fd : r.shielded_fds) keep[n++] = fd;
    std::sort(keep, keep + n);
    n = static_cast<int>(std::unique(keep, keep + n) - keep);
    if (int e = close_inherited(keep, n, r.fd_fallback_limit)) fail_child(report_fd, Step::close_fds, e);
}

void redirect_streams(const Resolved& r, const DaemonPlan& plan, int report_fd) noexcept {
    for (int fd = 0; fd < 3; ++fd) {
        const Step step = stream_step(fd);
        int e = sys::injected(step);
        if (e == 0 && fd == 2 && plan.stderr_as_stdout) {
            // The null device opened once for both: one open() fewer. They
            // share the open file description, which for the null device
            // only shows in the status flags (F_SETFL on one shows on the
            // other); dup2 leaves FD_CLOEXEC clear, as redirect_stream does.
            if (sys::retry([] { return ::dup2(1, 2); }) < 0) e = errno;
        } else if (e == 0) {
            e = redirect_stream(fd, stream_path(r, fd));
        }
        struct stat st {};
        if (e == ENXIO && ::stat(stream_path(r, fd).c_str(), &st) == 0 && S_ISFIFO(st.st_mode))
            fail_child(report_fd, step, e, errc::fifo_without_reader);
        if (e != 0) fail_child(report_fd, step, e);
    }
}

// ---- the command's daemon: the program's lock keeper ----------------------

// Switches groups, group and user, checking each call; 0 or the errno of the
// call named in `failed`.
int drop_privileges(const Credentials& c, const std::vector<gid_t>& groups, DropCall& failed) noexcept {
    const uid_t uid = c.uid ? static_cast<uid_t>(*c.uid) : static_cast<uid_t>(-1);
    const gid_t gid = static_cast<gid_t>(c.gid);
    auto check = [&](DropCall call, int result) {
        if (result == 0) return 0;
        failed = call;
        return errno;
    };
    if (int e = check(DropCall::setgroups, ::setgroups(groups.size(), groups.data()))) return e;
    if (int e = check(DropCall::setgid, sys::call(Step::drop_privileges, [&] { return ::setgid(gid); }))) return e;
    if (!c.uid) return 0;
    if (int e = check(DropCall::setuid, ::setuid(uid))) return e;
    if (uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
        failed = DropCall::regain_root;
        return EPERM;
    }
    return 0;
}

int clear_cloexec(int fd) noexcept {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags == -1 || ::fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == -1) return errno;
    return 0;
}

// The program's process: waits for the keeper's word that the PID file
// names it, then drops privileges, opens its streams with the rights it
// now has (so a path that a less privileged user controls never makes root
// create or append to a file), and executes the program. The report pipe is
// close-on-exec: a successful exec ends the report with EOF, a failed step
// sends a failure record.
[[noreturn]] void run_program(const Resolved& r, const DaemonPlan& plan, const ExecPlan& exec, int report_fd,
                              int go_fd) noexcept {
    const pid_t keeper = ::getppid();
    char go = 0;
    // EOF: the keeper failed, reports why and removes what it made.
    if (sys::retry([&] { return ::read(go_fd, &go, 1); }) != 1) ::_exit(exit_startup_failed);
    ::close(go_fd);
    ::setpgid(0, 0); // the keeper does the same: whichever runs first
    if (exec.spec->credentials) {
        DropCall failed{};
        if (int e = drop_privileges(*exec.spec->credentials, exec.groups, failed))
            fail_child(report_fd, Step::drop_privileges, e, {}, static_cast<process_id>(failed));
    }
    redirect_streams(r, plan, report_fd);
    // The program inherits 0-2 and the shielded descriptors, nothing else.
    int e = 0;
    for (int fd : r.shielded_fds)
        if (e == 0) e = clear_cloexec(fd);
#if defined(__linux__) && defined(PR_SET_PDEATHSIG)
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
        ::execve(exec.program.c_str(), exec.argv.data(), exec.envp.data());
        e = errno;
    }
    fail_child(report_fd, Step::exec, e);
}

// Signals that would end the keeper before its program: one meant for the
// program's session or for every process of a name, a terminal hang-up.
// Faults (SIGSEGV, SIGABRT, ...) keep their default, so a broken keeper shows.
void ignore_stray_signals() noexcept {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU,
                    SIGVTALRM, SIGPROF, SIGXFSZ})
        ::sigaction(sig, &ignore, nullptr);
#ifdef SIGRTMIN
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) ::sigaction(sig, &ignore, nullptr);
#endif
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
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core); // the program's core, if any, is the one that matters
        ::signal(sig, SIG_DFL);
        sigset_t only;
        sigemptyset(&only);
        sigaddset(&only, sig);
        ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
        ::raise(sig);
    }
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : exit_startup_failed);
}

// The command's daemon. It changes directory, closes what it inherited,
// forks the program's process, locks the PID file naming that process, and
// stays, holding the lock, until the program has ended. Why a keeper and not
// a lock inherited by the program: docs/how-it-works.md.
[[noreturn]] void run_keeper(const Resolved& r, DaemonPlan& plan, const ExecPlan& exec, int report_fd) noexcept {
    close_for_daemon(r, report_fd, -1);
    int go[2];
    if (::pipe2(go, O_CLOEXEC) != 0) fail_child(report_fd, Step::fork_program, errno);
    const pid_t program = sys::call(Step::fork_program, [] { return ::fork(); });
    if (program < 0) fail_child(report_fd, Step::fork_program, errno);
    if (program == 0) {
        ::close(go[1]);
        run_program(r, plan, exec, report_fd, go[0]);
    }
    ::close(go[0]);
    ::setpgid(program, program);
    // The keeper holds none of the program's descriptors, nor the invoker's
    // terminal or pipes (`$(daemoniker start ...)` would wait for it).
    for (int fd : r.shielded_fds) ::close(fd);
    const int null = ::open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC);
    for (int fd = 0; fd < 3 && null >= 0; ++fd) ::dup2(null, fd);
    if (null > 2) ::close(null);

    Report named;
    named.kind = Report::daemon_pid;
    named.step = static_cast<std::int32_t>(Step::fork_program);
    named.value = program;
    send_report(report_fd, named);

    auto abandon = [&](Step step, int error, errc detail, process_id value) {
        ::close(go[1]); // the program's process reads EOF and exits
        int status = 0;
        sys::retry([&] { return ::waitpid(program, &status, 0); });
        fail_child(report_fd, step, error, detail, value);
    };
    PidFileFailure why;
    if (!plan.pid_file->acquire_prepared(plan.pid_dir, program, why))
        abandon(why.step, why.error, why.detail, why.holder);
    // The program may read its PID file and never write it: the file stays
    // the invoker's, owner and group, as start-stop-daemon and systemd's
    // PIDFile= require of a root service; it is readable by all, whatever
    // the umask (a PID is no secret: /proc shows it to anyone).
    auto abandon_held = [&](Step step, int error) {
        plan.pid_file->remove();
        abandon(step, error, {}, 0);
    };
    if (exec.spec->credentials && ::fchmod(static_cast<int>(plan.pid_file->native_handle()), 0644) != 0)
        abandon_held(Step::pid_file_write, errno);
    Report ok;
    ok.kind = Report::success;
    ok.value = program;
    if (int e = sys::injected(Step::report)) abandon_held(Step::report, e);
    // The original process gone, nobody would learn that the program runs.
    if (!send_report(report_fd, ok)) abandon_held(Step::report, EPIPE);
    ::close(report_fd);
    ignore_stray_signals();
    const char byte = 1;
    sys::retry([&] { return ::write(go[1], &byte, 1); }); // fails only if the program's process died: it is waited for
    ::close(go[1]);
    keep_until_exit(*plan.pid_file, program);
}

// ---- the library's daemon ------------------------------------------------

void run_daemon(const Resolved& r, DaemonPlan& plan, int report_fd, const ExecPlan* exec) noexcept {
    // The original may have run with 0-2 closed, so the pipe may sit there:
    // move it up, and fill 0-2 with the null device until the redirection, so
    // the PID file and the redirection files never land on them.
    report_fd = above_stdio(report_fd);
    if (report_fd < 0) ::_exit(exit_startup_failed);
    for (int fd = 0; fd < 3; ++fd)
        if (::fcntl(fd, F_GETFD) == -1) {
            const int null = ::open("/dev/null", O_RDWR | O_NOCTTY);
            if (null != fd) fail_child(report_fd, Step::redirect_stdin, null < 0 ? errno : EBADF);
        }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);

    ::umask(static_cast<mode_t>(r.umask));
    if (sys::call(Step::chdir, [&] { return ::chdir(r.chdir.c_str()); }) != 0) fail_child(report_fd, Step::chdir, errno);
    if (exec != nullptr) run_keeper(r, plan, *exec, report_fd);

    PidFileFailure why;
    if (!plan.pid_file->acquire_prepared(plan.pid_dir, ::getpid(), why))
        fail_child(report_fd, why.step, why.error, why.detail, why.holder);
    keep_for_life(std::move(*plan.pid_file)); // moves nothing unless it is own_pid_file

    close_for_daemon(r, report_fd, static_cast<int>(held_for_life()->native_handle()));
    redirect_streams(r, plan, report_fd);
    remember_staged_streams();

    Report ok;
    ok.kind = Report::success;
    ok.value = ::getpid();
    if (int e = sys::injected(Step::report)) fail_child(report_fd, Step::report, e);
    if (!send_report(report_fd, ok)) {
        // The original process is gone: nobody learns that we run, so we do not.
        if (HeldPidFile* held = held_for_life()) held->release();
        ::_exit(exit_startup_failed);
    }
    ::close(report_fd);
}

} // namespace

namespace {

// The double fork. Returns the daemon's PID in the original process, 0 in
// the daemon (which, in exec mode, never returns).
process_id launch(const Resolved& r, const ExecPlan* exec, process_id& keeper) {
    // The directories are checked here, once: the daemon cannot allocate.
    if (const auto ec = check_directories(r.pid_file)) throw_failure(Step::pid_file_open, r, ec, 0);
    // The daemon opens the stream files with the caller's rights; the
    // command's program opens them after it dropped privileges, with the
    // rights of the user it runs as, which need no such rule.
    if (exec == nullptr || !exec->spec->credentials) check_stream_paths(r);
    // Buffered output would otherwise be written twice: by us and by the daemon.
    std::fflush(nullptr);

    if (const int e = sys::injected(Step::report_channel)) {
        errno = e;
        throw_pipe_error();
    }
    DaemonPlan plan;
    prepare_daemon(r, plan);
    Pipe pipe = make_pipe();

    // Block every signal across fork so no handler of the caller runs in the
    // child before the child has reset the dispositions.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    const pid_t child = sys::call(Step::fork, [] { return ::fork(); });
    const int fork_errno = errno;
    if (child != 0) {
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
        if (child < 0) {
            ::close(pipe.read);
            ::close(pipe.write);
            throw StartupError(std::string("cannot start daemon: fork: ") +
                                   std::error_code(fork_errno, std::system_category()).message(),
                               Step::fork, {}, {fork_errno, std::system_category()});
        }
        prepare_end_original(); // while the daemon starts, on the other CPU if there is one
        return run_original(r, pipe, child, exec, keeper);
    }

    // Intermediate process.
    ::close(pipe.read);
    reset_signals();
    if (sys::call(Step::setsid, [] { return ::setsid(); }) < 0) fail_child(pipe.write, Step::setsid, errno);
    const pid_t daemon = sys::call(Step::fork_again, [] { return ::fork(); });
    if (daemon < 0) fail_child(pipe.write, Step::fork_again, errno);
    if (daemon > 0) {
        Report rep;
        rep.kind = Report::daemon_pid;
        rep.value = daemon;
        send_report(pipe.write, rep);
        ::_exit(0);
    }

    // The daemon: in a new session, yet not its leader, so it can never
    // acquire a controlling terminal again.
    run_daemon(r, plan, pipe.write, exec);
    return 0;
}

} // namespace

Role start(const std::filesystem::path& pid_file, const Options& options, std::string& /*payload*/) {
    const Resolved r = resolve(pid_file, options);
    if (stays_in_foreground(options)) {
        run_foreground(r); // no fork: threads are no concern
        return Role::daemon;
    }
    check_environment(r, options);
    process_id no_keeper = 0;
    return launch(r, nullptr, no_keeper) != 0 ? Role::original : Role::daemon;
}

process_id start(const std::filesystem::path& pid_file, const Options& options, const ExecSpec& exec,
                 process_id* keeper) {
    if (exec.program.empty() || exec.argv.empty())
        throw OptionError("cannot start program: no program given");
    const Resolved r = resolve(pid_file, options);
    check_environment(r, options);

    ExecPlan plan;
    plan.spec = &exec;
    plan.program = std::filesystem::absolute(exec.program).string(); // the daemon changes directory
    // execve() takes char* const[]; the strings are only read.
    for (const auto& arg : exec.argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
    plan.argv.push_back(nullptr);
    for (const auto& entry : exec.env) plan.envp.push_back(const_cast<char*>(entry.c_str()));
    plan.envp.push_back(nullptr);
    if (exec.credentials)
        for (auto g : exec.credentials->groups) plan.groups.push_back(static_cast<gid_t>(g));
    static_assert(sizeof(uid_t) <= sizeof(std::uint32_t) && sizeof(gid_t) <= sizeof(std::uint32_t));
    process_id keeper_pid = 0;
    const process_id program = launch(r, &plan, keeper_pid);
    if (keeper != nullptr) *keeper = keeper_pid;
    return program;
}

} // namespace daemoniker::detail
