// POSIX side of the shared test support: the test process is a child
// subreaper (PR_SET_CHILD_SUBREAPER), so every daemon it starts ends up as
// its child, is reaped, and counted at the end. Built on tests/process/support.

#include "support.hpp"

#include "../process/support.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <cstring>
#include <fstream>
#include <poll.h>
#include <set>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace shared {

std::string utf8(const std::filesystem::path& p) { return p.string(); }
std::filesystem::path from_utf8(std::string_view s) { return std::filesystem::path(std::string(s)); }

std::filesystem::path helper_path() { return DAEMONIKER_HELPER; }
std::filesystem::path cli_path() { return DAEMONIKER_CLI; }

std::string slurp(const std::filesystem::path& path) {
    std::string text = test::slurp(path);
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i)
        if (!(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) out.push_back(text[i]);
    return out;
}

std::string bytes_of(const std::filesystem::path& path) { return test::slurp(path); }

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::map<std::string, std::string> read_report(const std::filesystem::path& path) {
    // The helper renames a complete report into place: its name is enough.
    return test::read_report(path);
}

bool wait_for_file(const std::filesystem::path& path, const std::string& needle, std::chrono::milliseconds timeout) {
    return needle.empty() ? test::wait_for_file(path, timeout) : test::wait_for_content(path, needle, timeout);
}

bool wait_gone(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
    const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) return false;
    ::inotify_add_watch(fd, path.parent_path().c_str(), IN_DELETE | IN_MOVED_FROM);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool gone = false;
    // The watch is set before the check, so a removal in between is not missed.
    while (!(gone = !std::filesystem::exists(std::filesystem::symlink_status(path)))) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char buf[4096];
        while (::read(fd, buf, sizeof buf) > 0) {
        }
    }
    ::close(fd);
    return gone;
}

bool lock_held(const std::filesystem::path& path) { return test::lock_held(path); }

bool wait_unlocked(const std::filesystem::path& path, std::chrono::milliseconds) {
    // The kernel releases an OFD lock when the holder's last descriptor
    // closes, which its exit does: once the holder is known dead there is
    // nothing to wait for, and a lock still held is an answer.
    return !test::lock_held(path);
}

Pid pid_in(const std::filesystem::path& path) { return test::pid_in(path); }

std::string stale_pid_file_text() {
    // A child that exited and was reaped: its PID names no process now.
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return std::to_string(child) + "\n";
}

bool let_everyone_write(const std::filesystem::path& path) { return ::chmod(path.c_str(), 0666) == 0; }
bool let_only_owner_write(const std::filesystem::path& path) { return ::chmod(path.c_str(), 0644) == 0; }

std::string not_found_message(const std::filesystem::path&) { return std::strerror(ENOENT); }

std::string write_open_error_message(const std::filesystem::path& directory) {
    const int fd = ::open(directory.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return "(it opened)";
    }
    return std::strerror(errno);
}

struct ProcessTest::Tracked {
    std::set<pid_t> recorded;
    std::map<pid_t, int> exit_codes;
};

ProcessTest::ProcessTest() : tracked_(std::make_unique<Tracked>()) {}
ProcessTest::~ProcessTest() = default;

void ProcessTest::SetUp() {
    dir_ = test::make_test_directory();
    ASSERT_FALSE(dir_.empty()) << "no subreaper or no directory: " << std::strerror(errno);
}

void ProcessTest::TearDown() { test::clean_up(tracked_->recorded, dir_); }

Result ProcessTest::run(const std::filesystem::path& exe, const std::vector<std::string>& args,
                        const std::vector<std::string>& env, std::chrono::milliseconds timeout) {
    std::vector<std::string> argv{exe.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const test::Result r = test::run(argv, env, timeout);
    return Result{r.status, r.pid, r.out, r.err};
}

void ProcessTest::record(Pid pid) {
    if (pid > 0) tracked_->recorded.insert(static_cast<pid_t>(pid));
}

void ProcessTest::forget(Pid pid) { tracked_->recorded.erase(static_cast<pid_t>(pid)); }

bool ProcessTest::kill_recorded(Pid pid) {
    if (tracked_->recorded.count(static_cast<pid_t>(pid)) == 0) {
        ADD_FAILURE() << "kill_recorded(" << pid << "): not a recorded daemon";
        return false;
    }
    if (::kill(static_cast<pid_t>(pid), SIGKILL) != 0) return false;
    const bool ended = test::wait_exit(static_cast<pid_t>(pid)).has_value();
    if (ended) forget(pid);
    return ended;
}

bool ProcessTest::alive(Pid pid) {
    // A daemon that exited stays a zombie until we reap it: read its state.
    const auto stat = test::slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

bool ProcessTest::wait_exit(Pid pid, std::chrono::milliseconds timeout) {
    // Our child (as the subreaper): a pidfd tells when it exits; reaped here.
    // A program the command started is its lock keeper's child: it has
    // ended once it is a zombie.
    const auto status = test::wait_exit(static_cast<pid_t>(pid), timeout);
    if (status) {
        tracked_->exit_codes[static_cast<pid_t>(pid)] =
            WIFEXITED(*status) ? WEXITSTATUS(*status) : WIFSIGNALED(*status) ? 128 + WTERMSIG(*status) : -1;
        return true;
    }
    return !alive(pid);
}

int ProcessTest::exit_code(Pid pid) const {
    const auto it = tracked_->exit_codes.find(static_cast<pid_t>(pid));
    return it == tracked_->exit_codes.end() ? -1 : it->second;
}

} // namespace shared
