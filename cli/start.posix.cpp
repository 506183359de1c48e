// daemoniker start [options] -- program [args...]
//
// The library daemonizes and executes the program in the daemon process (see
// src/exec.hpp): the PID in the PID file is the program's own, and start
// returns 0 only once the exec succeeded — or, with --wait-ready, once the
// program said READY=1 on the socket named by NOTIFY_SOCKET.
//
// The program's lock keeper is this process's child, and the program the
// keeper's. This process also becomes a child subreaper (Linux), so a
// program whose keeper died becomes its child: its PID cannot be reused
// while start watches it, and its exit status can be collected.

#include "commands.hpp"
#include "launch.hpp"
#include "process.hpp"
#include "readiness.hpp"
#include "signal_names.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <daemoniker/daemonize.hpp>
#include <daemoniker/notify.hpp>
#include <daemoniker/pid_file.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace daemoniker::cli {
namespace {

using namespace std::chrono_literals;

// What the program wrote to its stderr file since `from`: the last lines,
// for the message of a program that ended before it was ready.
struct StderrFile {
    std::optional<std::filesystem::path> path;
    std::uintmax_t from = 0;
    /// Set when the program runs as another user: only a file of that user
    /// is read. This process may be root, and the program could have put a
    /// link (or another name for a file) where its log was, to have root
    /// print a file the user may not read.
    std::optional<std::uint32_t> owner;

    [[nodiscard]] std::string tail(std::size_t max_lines = 10, std::uintmax_t max_bytes = 4096) const {
        if (!path) return {};
        // Not through a link, and never blocking on a FIFO put in its place.
        const int fd = ::open(path->c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) return {};
        struct stat st {};
        const bool readable = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (!owner || st.st_uid == *owner);
        const auto size = static_cast<std::uintmax_t>(st.st_size);
        if (!readable || size <= from) {
            ::close(fd);
            return {};
        }
        const auto begin = size - from > max_bytes ? size - max_bytes : from;
        std::string text(static_cast<std::size_t>(size - begin), '\0');
        const auto got = ::pread(fd, text.data(), text.size(), static_cast<off_t>(begin));
        ::close(fd);
        text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
        std::vector<std::string> lines;
        for (std::size_t pos = 0; pos < text.size();) {
            auto end = text.find('\n', pos);
            if (end == std::string::npos) end = text.size();
            auto line = text.substr(pos, end - pos);
            if (line.size() > 300) line = line.substr(0, 300) + "...";
            lines.push_back(line);
            pos = end + 1;
        }
        if (begin > from && !lines.empty()) lines.erase(lines.begin()); // cut in the middle of a line
        if (lines.size() > max_lines) lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(max_lines));
        if (lines.empty()) return {};
        std::string out = "last lines of " + path->string() + ":";
        // The program's bytes, shown without letting them command our terminal.
        for (const auto& l : lines) out += "\n  " + escape_controls(l);
        return out;
    }
};

// The program as start knows it: pinned, with its lock keeper, which is
// this process's child, ends right after the program and mirrors how it
// ended.
struct Started {
    process_id pid = 0;
    Process program; ///< empty when it had ended before it could be pinned
    process_id keeper = 0;
};

// How the program ended, as its keeper mirrors it. Waits for the keeper,
// which removes the PID file before it exits.
std::string reap_keeper(process_id keeper) {
    if (keeper <= 0) return "exited";
    // The keeper is this process's child: waitid() tells when it has ended,
    // where a pin of it cannot everywhere (without pidfds, kill(pid, 0)
    // succeeds on a zombie). Anything else (no such child) tells nothing.
    const auto deadline = clock::now() + 5s;
    for (;;) {
        siginfo_t info{};
        if (::waitid(P_PID, static_cast<id_t>(keeper), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return "exited";
        if (info.si_pid != 0 || clock::now() >= deadline) break;
        std::this_thread::sleep_for(5ms);
    }
    return reap_child(keeper).value_or("exited");
}

bool wait_group(process_id group, clock::time_point deadline) {
    while (group > 0 && group_alive(group)) {
        if (clock::now() >= deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// Stops a program that did not become ready, with the children it started
// (its process group, whose leader it is): SIGTERM, then SIGKILL after a
// grace period. The pin guarantees the signals reach the program; the group
// exists as long as one of its members does, so its ID names no other.
void stop_program(const Started& s, const std::filesystem::path& pid_file) {
    const Process& program = s.program;
    std::error_code ec;
    const process_id group = program ? process_group_of(program, ec) : 0;
    auto signal_all = [&](int sig) {
        if (group > 0)
            signal_group(group, sig);
        else if (program)
            program.signal(sig);
    };
    signal_all(SIGTERM);
    const bool ended = program.wait_exit(clock::now() + 5s) && wait_group(group, clock::now() + 5s);
    if (!ended) signal_all(SIGKILL);
    program.wait_exit(clock::now() + 10s);
    wait_group(group, clock::now() + 5s);
    reap_keeper(s.keeper);
    detail::remove_if_abandoned(pid_file, s.pid);
}

// What became of a PID file that no longer names the running program.
std::string lost_file(const std::filesystem::path& pid_file) {
    const DaemonReading now = read_daemon(pid_file);
    std::string what = "its PID file '" + pid_file.string() + "' ";
    if (now.error) return what + "can no longer be read: " + detail::refusal_reason(pid_file, now.error);
    if (now.state == PidFileState::absent) return what + "was removed by another process";
    if (now.state == PidFileState::running)
        return what + "was replaced by another process (it names pid " + std::to_string(now.pid) + ")";
    return what + "lost its lock (its lock keeper ended)";
}

// The program ended (or lost its PID file): say how, and fail.
[[noreturn]] void fail_ended(const Started& s, const std::filesystem::path& pid_file, const StderrFile& err,
                             const std::string& when, const std::string& status_text) {
    const process_id pid = s.pid;
    // The keeper removes the file when the program's thread group has
    // ended, a moment before that shows on the pin: wait for it.
    if (!s.program.wait_exit(clock::now() + 2s)) {
        std::string what = "the program (pid " + std::to_string(pid) + ") runs, but " + lost_file(pid_file);
        stop_program(s, pid_file);
        throw Failure(exit_status::failed, what + "; the program was stopped", err.tail());
    }
    const auto how = reap_keeper(s.keeper);
    detail::remove_if_abandoned(pid_file, pid);
    std::string what = "the program (pid " + std::to_string(pid) + ") " + how + " " + when;
    if (!status_text.empty()) what += " (its last status: \"" + escape_controls(status_text) + "\")";
    throw Failure(exit_status::failed, what, err.tail());
}

// Our own supervisor (systemd, Type=notify) waits for us: the readiness
// goes on to our NOTIFY_SOCKET (the program had its own), with the
// program's PID as the service's main PID.
void pass_readiness_on(const std::string& outer_socket, process_id pid, const std::string& status) {
    std::string message = "READY=1\nMAINPID=" + std::to_string(pid) + "\n";
    if (!status.empty()) message += "STATUS=" + status + "\n";
    std::error_code e;
    notify(message, e);
    if (e)
        print_error("start", "warning: could not pass readiness on to NOTIFY_SOCKET '" + outer_socket +
                                 "': " + e.message());
}

std::string not_ready_text(process_id pid, std::chrono::milliseconds timeout, const Readiness& ready) {
    std::string what = "the program (pid " + std::to_string(pid) + ") did not report readiness (READY=1) within " +
                       format_duration(std::chrono::duration<double>(timeout).count());
    if (!ready.status.empty()) what += " (its last status: \"" + escape_controls(ready.status) + "\")";
    if (ready.dropped > 0) what += "; " + std::to_string(ready.dropped) + " datagram(s) were refused";
    return what;
}

} // namespace

struct PreparedStart::Impl {
    std::filesystem::path pid_file;
    Options options;
    std::chrono::milliseconds timeout{};
    bool wait_ready = false;
    Launch launch;
    std::unique_ptr<NotifySocket> socket;
    std::string outer_socket; // our own supervisor's NOTIFY_SOCKET (systemd Type=notify)
    StderrFile err;
};

PreparedStart::PreparedStart(const StartOptions& o) : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    auto basics = start_basics(o);
    s.pid_file = std::move(basics.pid_file);
    s.options = std::move(basics.options);
    s.timeout = basics.timeout;
    // As the library would refuse it when it starts, but before restart stops anything.
    for (int fd : s.options.shielded_fds)
        if (::fcntl(fd, F_GETFD) == -1)
            throw UsageError("--keep-fd: descriptor " + std::to_string(fd) + " is not open");
    s.wait_ready = o.wait_ready;

    LaunchRequest request{o.command, o.env, o.env_files, s.options.chroot, std::nullopt};
    s.launch = launch_as(basics.identity);
    add_process_settings(o, s.launch.exec);
    if (const char* outer = std::getenv("NOTIFY_SOCKET")) s.outer_socket = outer;
    if (o.wait_ready) {
        s.socket = std::make_unique<NotifySocket>(s.launch.switches_identity
                                                      ? std::optional<NotifySocket::Owner>({s.launch.uid, s.launch.gid})
                                                      : std::nullopt);
        request.notify_socket = s.socket->address();
    }
    resolve_program(request, s.launch);
    if (s.options.stderr_goto) s.err.path = std::filesystem::absolute(*s.options.stderr_goto);
    if (s.launch.switches_identity) s.err.owner = s.launch.uid;
}

PreparedStart::~PreparedStart() = default;

int PreparedStart::run() {
    Impl& s = *impl_;
    const auto t0 = clock::now();
    become_subreaper();
    if (s.err.path) {
        std::error_code ec;
        const auto size = std::filesystem::file_size(*s.err.path, ec);
        s.err.from = ec ? 0 : size;
    }

    // From here on a Ctrl-C (or SIGTERM, SIGHUP) stops the program instead
    // of leaving it started but never seen ready.
    std::optional<Interrupts> interrupts;
    if (s.wait_ready) interrupts.emplace();

    refuse_unverified_daemon(s.pid_file);
    Started started;
    started.pid = start_program(s.pid_file, s.options, s.launch.exec, &started.keeper);
    const process_id pid = started.pid;
    std::error_code ec;
    started.program = Process::pin(pid, ec);
    const Process& program = started.program;
    // Whatever goes wrong from here on (an allocation that fails, ...), the
    // program does not stay behind, started but unreported.
    auto watch = [&]() -> int {
        // The report channel's end means an exec, or a death before it: a dying
        // process shows on the pin a moment later.
        if (is_exiting(pid)) program.wait_exit(clock::now() + 2s);
        // The PID file names the program and carries its keeper's lock until
        // the program ends (or someone else removes or replaces the file).
        auto holds_lock = [&] {
            const DaemonReading now = read_daemon(s.pid_file);
            return !now.error && now.state == PidFileState::running && now.pid == pid && !program.exited();
        };
        if (!s.wait_ready) {
            if (holds_lock()) return exit_status::ok;
            fail_ended(started, s.pid_file, s.err, "right after it started", {});
        }

        const auto ready = wait_ready(*s.socket, pid, program, *interrupts, s.launch.uid, t0 + s.timeout);
        switch (ready.outcome) {
        case Readiness::Outcome::ready: {
            if (!holds_lock()) fail_ended(started, s.pid_file, s.err, "as it said it was ready", ready.status);
            if (!s.outer_socket.empty()) pass_readiness_on(s.outer_socket, pid, ready.status);
            return exit_status::ok;
        }
        case Readiness::Outcome::exited: fail_ended(started, s.pid_file, s.err, "before it was ready", ready.status);
        case Readiness::Outcome::error: {
            stop_program(started, s.pid_file);
            std::string what = "the program (pid " + std::to_string(pid) +
                               ") reported a failure before it was ready: ERRNO=" + std::to_string(ready.error) + " (" +
                               std::error_code(ready.error, std::system_category()).message() + ")";
            if (!ready.status.empty()) what += ", status \"" + escape_controls(ready.status) + "\"";
            throw Failure(exit_status::failed, what + "; it was stopped", s.err.tail());
        }
        case Readiness::Outcome::interrupted:
            stop_program(started, s.pid_file);
            throw Failure(exit_status::failed, "interrupted by " + signal_name(ready.signal) +
                                                   " while waiting for the program (pid " + std::to_string(pid) +
                                                   ") to be ready; it was stopped");
        case Readiness::Outcome::timeout: break;
        }
        stop_program(started, s.pid_file);
        throw Failure(exit_status::failed, not_ready_text(pid, s.timeout, ready) + "; it was stopped", s.err.tail());
    };
    try {
        return watch();
    } catch (const Failure&) {
        throw; // the program was dealt with
    } catch (...) {
        stop_program(started, s.pid_file);
        throw;
    }
}

} // namespace daemoniker::cli
