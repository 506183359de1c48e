// Daemonization on POSIX: the double fork, with a pipe that carries the
// daemon's report back to the original process.
//
//   original ── fork ──> intermediate ── setsid, fork ──> daemon
//      │                      └─ reports the daemon's PID, exits
//      └─ waits (poll, success_timeout) for the daemon's success or failure
//
// With a continuation (the command's program, exec.posix.cpp) the
// intermediate process, after setsid, is the program's lock keeper, and
// forks the program's process instead of a daemon.
//
// The order of the steps, and why, is in docs/how-it-works.md.

#include "cloexec_pipe.hpp"
#include "confine.hpp"
#include "descriptors.hpp"
#include "foreground.hpp"
#include "continuation.hpp"
#include "options.hpp"
#include "pid_file_internal.hpp"
#include "posix_features.hpp"
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
#include <functional>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace daemoniker::detail {

std::string system_message(int code) { return std::system_category().message(code); }
bool transfers_payload() noexcept { return false; }
bool is_relaunched() noexcept { return false; }

namespace {

using clock = std::chrono::steady_clock;

// ---- original process ------------------------------------------------------

// Threads other than the caller, or -1 when this system cannot tell.
int other_threads() noexcept {
#if !DAEMONIKER_HAVE_PROC
    return -1;
#else
    DIR* dir = ::opendir("/proc/self/task");
    if (dir == nullptr) return -1;
    int count = 0;
    while (const dirent* entry = ::readdir(dir))
        if (entry->d_name[0] != '.') ++count;
    ::closedir(dir);
    return count - 1;
#endif
}

void check_environment(const Resolved& r) {
    for (int fd : r.shielded_fds)
        if (::fcntl(fd, F_GETFD) == -1)
            throw OptionError("shielded_fds: descriptor " + std::to_string(fd) + " is not open");
    if (!r.allow_threads) {
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

[[noreturn]] void throw_pipe_error() {
    const std::error_code code(errno, std::system_category());
    throw StartupError("cannot start daemon: create report pipe: " + code.message(), Step::report_channel, {}, code);
}

Pipe make_pipe() {
    int fds[2];
    if (cloexec_pipe(fds) != 0) throw_pipe_error();
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
// right after the second fork, so it does not linger as a zombie; or for a
// lock keeper (the intermediate, with a continuation) that failed.
int reap(pid_t child) noexcept {
    int status = 0;
    if (sys::retry([&] { return ::waitpid(child, &status, 0); }) == -1) return 0;
    return status;
}

// Blocks until every writer of the report pipe is gone (the daemon died), or
// the deadline passes.
void wait_for_eof(int fd, clock::time_point deadline) noexcept {
    Report ignored;
    while (read_report(fd, ignored, deadline) == Read::record) {
    }
}

// The original process's side of the report channel: what it has learned
// so far, and what it does at each record, at EOF and at the deadline.
class Waiter {
public:
    // With a continuation the intermediate process is the keeper.
    Waiter(const Resolved& r, Pipe pipe, pid_t intermediate, const Continuation* then)
        : r_(r), pipe_(pipe), intermediate_(intermediate), then_(then), keeper_(then != nullptr ? intermediate : 0) {}

    // The daemon's PID once it reported success (with a continuation: the
    // program's, once it was executed); throws otherwise.
    process_id wait(process_id& keeper) {
        ::close(pipe_.write);
        const auto deadline = clock::now() + r_.success_timeout;
        for (;;) {
            Report rep;
            Read got = Read::error;
            if (const int e = sys::injected(Step::wait)) errno = e;
            else got = read_report(pipe_.read, rep, deadline);
            if (got == Read::record && rep.valid() && rep.kind == Report::daemon_pid) {
                named(rep);
            } else if (got == Read::record && rep.valid() && rep.kind == Report::success) {
                // The daemon's record carries its PID. The intermediate's may
                // come later: it can be descheduled between its fork and its
                // write while the daemon runs every step (seen in the racing
                // tests), and returning 0 would make the original believe it
                // is the daemon.
                daemon_ = rep.value;
                // With a continuation the verdict on the exec is still to
                // come: EOF or a failure record.
                executing_ = then_ != nullptr;
                if (!executing_) return succeeded(keeper);
            } else if (got == Read::record && rep.valid() && rep.kind == Report::failure) {
                failed(rep.failure_of());
            } else if (got == Read::eof && executing_) {
                // The close-on-exec channel closed without a failure record:
                // the exec succeeded.
                return succeeded(keeper);
            } else if (got == Read::timeout) {
                timed_out();
            } else if (got != Read::record) {
                died(got, errno);
            }
        }
    }

private:
    // From the intermediate: the daemon. From the keeper: the program's
    // process.
    void named(const Report& rep) noexcept { daemon_ = rep.value; }

    process_id succeeded(process_id& keeper) noexcept {
        ::close(pipe_.read);
        if (then_ == nullptr) reap(intermediate_); // a keeper stays, with the program
        keeper = keeper_;
        return daemon_;
    }

    // Waits for every writer to be gone, then collects the intermediate
    // (with a continuation, the keeper); its status.
    int collect(clock::duration patience) noexcept {
        wait_for_eof(pipe_.read, clock::now() + patience);
        ::close(pipe_.read);
        return reap(intermediate_);
    }

    [[noreturn]] void failed(const Failure& failure) {
        // The daemon cleaned up after itself (PID file removed) and exits.
        collect(std::chrono::seconds(5));
        // After a chroot or a privilege drop the failed process may have
        // lacked the path or the right to remove the PID file.
        if (daemon_ > 0) remove_if_abandoned(r_.pid_file, daemon_);
        if (then_ != nullptr) then_->throw_own_failure(failure, r_);
        throw_failure(failure, r_);
    }

    [[noreturn]] void timed_out() {
        // The pipe is still open, so the daemon still lives and its PID
        // cannot have been reused: killing it by PID is safe here. (With a
        // continuation the program's process is the keeper's child, which
        // the keeper reaps only once it has been told to go or has failed;
        // the keeper itself is unreaped until this process or the
        // intermediate collects it.)
        if (daemon_ > 0) ::kill(static_cast<pid_t>(daemon_), SIGKILL);
        if (keeper_ > 0) ::kill(static_cast<pid_t>(keeper_), SIGKILL);
        if (daemon_ <= 0 && keeper_ <= 0) ::kill(intermediate_, SIGKILL);
        collect(std::chrono::seconds(5));
        if (daemon_ > 0) remove_if_abandoned(r_.pid_file, daemon_);
        throw StartupTimeout("cannot start daemon: no report from the daemon" +
                                 (daemon_ > 0 ? " (pid " + std::to_string(daemon_) + ")" : std::string()) + " within " +
                                 std::to_string(r_.success_timeout.count()) + " ms; it was killed",
                             Step::wait, {}, std::make_error_code(std::errc::timed_out));
    }

    // EOF (or a broken pipe): every writer died without a verdict.
    [[noreturn]] void died(Read got, int saved_errno) {
        // A keeper may still run when the pipe could not be read; it is this
        // process's child, unreaped, so its PID names it (its program's
        // process ends with it).
        if (got == Read::error && then_ != nullptr) ::kill(intermediate_, SIGKILL);
        ::close(pipe_.read);
        const int status = reap(intermediate_);
        if (daemon_ > 0) remove_if_abandoned(r_.pid_file, daemon_);
        const std::error_code code = got == Read::error ? std::error_code(saved_errno, std::system_category())
                                                        : std::make_error_code(std::errc::broken_pipe);
        std::string what = "cannot start daemon: ";
        if (got == Read::error) what += "reading the daemon's report failed: " + code.message();
        else if (daemon_ > 0) what += "the daemon (pid " + std::to_string(daemon_) + ") died before reporting success";
        else if (then_ != nullptr)
            what += "the program's lock keeper " + describe_status(status) + " before it named the program's process";
        else what += "the intermediate process " + describe_status(status) + " before forking the daemon";
        throw StartupError(what, Step::wait, {}, code);
    }

    const Resolved& r_;
    Pipe pipe_;
    pid_t intermediate_;
    const Continuation* then_;
    process_id daemon_ = 0;
    process_id keeper_ = 0;
    bool executing_ = false; // with a continuation: its success came, the exec's verdict not yet
};

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
    for (int sig = 1; sig < DAEMONIKER_NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr); // EINVAL for reserved ones: fine
}

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

// The daemon's first steps, common to the library's daemon and a
// continuation: the report pipe above 0-2, and 0-2 filled with the null
// device until the redirection (the original may have run with them closed;
// the PID file and the stream files must never land there), signals
// unblocked, umask, chdir (with a chroot, to the top of the caller's tree
// for now: the directory inside the new root comes after it). Returns the
// report descriptor.
int settle(const Resolved& r, int report_fd) noexcept {
    report_fd = above_stdio(report_fd);
    if (report_fd < 0) ::_exit(exit_startup_failed);
    for (int fd = 0; fd < 3; ++fd)
        if (::fcntl(fd, F_GETFD) == -1) {
            const int null = ::open("/dev/null", O_RDWR | O_NOCTTY);
            if (null != fd) fail_child(report_fd, {Step::redirect_stdin, null < 0 ? errno : EBADF});
        }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::umask(static_cast<mode_t>(r.umask));
    const char* dir = r.chroot.empty() ? r.chdir.c_str() : "/";
    if (sys::call(Step::chdir, [&] { return ::chdir(dir); }) != 0)
        fail_child(report_fd, {Step::chdir, errno});
    return report_fd;
}

// The library's daemon: PID file, descriptors, streams, report; then it
// returns into the caller's code.
void run_daemon(const Resolved& r, DaemonPlan& plan, int report_fd) noexcept {
    Failure why;
    if (!plan.pid_file->acquire_prepared(plan.pid_dir, ::getpid(), why)) fail_child(report_fd, why);
    keep_for_life(std::move(*plan.pid_file)); // moves nothing unless it is own_pid_file

    close_for_daemon(r, report_fd, static_cast<int>(held_for_life()->native_handle()));
    redirect_streams(r, plan, report_fd);
    remember_staged_streams();
    if (!confine(r, why)) fail_child(report_fd, why);

    if (int e = sys::injected(Step::report)) fail_child(report_fd, {Step::report, e});
    if (!send_report(report_fd, Report::naming(Report::success, ::getpid()))) {
        // The original process is gone: nobody learns that we run, so we do not.
        if (HeldPidFile* held = held_for_life()) held->release();
        ::_exit(exit_startup_failed);
    }
    ::close(report_fd);
}

// Options::fork_hooks promise not to throw; noexcept makes one that does
// end the process here instead of unwinding through a half-forked state.
void run_hook(const std::function<void()>& hook) noexcept {
    if (hook) hook();
}

// Block every signal across fork so no handler of the caller runs in the
// child before the child has reset the dispositions. Returns the child's
// PID (0 in the child); throws StartupError in the original.
pid_t fork_blocked(Pipe pipe, const ForkHooks& hooks) {
    run_hook(hooks.before);
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    const pid_t child = sys::call(Step::fork, [] { return ::fork(); });
    const int fork_errno = errno;
    if (child == 0) return 0;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    run_hook(hooks.after_in_parent);
    if (child < 0) {
        ::close(pipe.read);
        ::close(pipe.write);
        const std::error_code code(fork_errno, std::system_category());
        throw StartupError("cannot start daemon: fork: " + code.message(), Step::fork, {}, code);
    }
    return child;
}

} // namespace

// ---- intermediate and daemon (after fork: no exceptions) -------------------

// Blocks SIGPIPE around the write so a vanished original process shows up
// as EPIPE instead of killing us.
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

void fail_child(int fd, const Failure& failure) noexcept {
    if (HeldPidFile* file = held_for_life()) file->release();
    send_report(fd, Report::failed(failure));
    ::_exit(exit_startup_failed);
}

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
    if (int e = close_inherited(keep, n, r.fd_fallback_limit)) fail_child(report_fd, {Step::close_fds, e});
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
            fail_child(report_fd, {step, e, errc::fifo_without_reader});
        if (e != 0) fail_child(report_fd, {step, e});
    }
}

process_id launch(const Resolved& r, const Continuation* then, process_id& keeper) {
    check_environment(r);
    // The directories are checked here, once: the daemon cannot allocate.
    if (const auto ec = check_directories(r.pid_file)) throw_failure(Failure::of(Step::pid_file_open, ec), r);
    // The daemon opens the stream files with the caller's rights, unless a
    // continuation opens them with those of the user it runs as, which need
    // no such rule.
    if (then == nullptr || then->streams_opened_by_caller(r)) check_stream_paths(r);
    // Buffered output would otherwise be written twice: by us and by the daemon.
    std::fflush(nullptr);

    if (const int e = sys::injected(Step::report_channel)) {
        errno = e;
        throw_pipe_error();
    }
    DaemonPlan plan;
    prepare_daemon(r, plan);
    Pipe pipe = make_pipe();
    if (const pid_t child = fork_blocked(pipe, r.fork_hooks)) {
        prepare_end_original(); // while the daemon starts, on the other CPU if there is one
        return Waiter(r, pipe, child, then).wait(keeper);
    }

    // Intermediate process.
    ::close(pipe.read);
    reset_signals();
    if (sys::call(Step::setsid, [] { return ::setsid(); }) < 0) fail_child(pipe.write, {Step::setsid, errno});
    // With a continuation this process is the program's lock keeper: the
    // program's process it forks is in the new session without leading it,
    // which is what the second fork gives the library's daemon, and the
    // keeper itself opens no terminal (its streams are the null device,
    // every open is O_NOCTTY or of a regular file). One fork fewer on the way
    // to the program.
    if (then != nullptr) then->run(r, plan, settle(r, pipe.write));
    const pid_t daemon = sys::call(Step::fork_again, [] { return ::fork(); });
    if (daemon < 0) fail_child(pipe.write, {Step::fork_again, errno});
    if (daemon > 0) {
        send_report(pipe.write, Report::naming(Report::daemon_pid, daemon));
        ::_exit(0);
    }

    // The daemon: in a new session, yet not its leader, so it can never
    // acquire a controlling terminal again.
    const int report_fd = settle(r, pipe.write);
    if (then != nullptr) then->run(r, plan, report_fd);
    run_daemon(r, plan, report_fd);
    run_hook(r.fork_hooks.after_in_child);
    return 0;
}

Role start(const std::filesystem::path& pid_file, const Options& options, std::string& /*payload*/) {
    const Resolved r = resolve(pid_file, options);
    if (stays_in_foreground(options)) {
        run_foreground(r); // no fork: threads are no concern
        return Role::daemon;
    }
    process_id no_keeper = 0;
    return launch(r, nullptr, no_keeper) != 0 ? Role::original : Role::daemon;
}

} // namespace daemoniker::detail
