#include "support.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <sstream>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace test {

namespace {
using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}
} // namespace

Result run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
           std::chrono::milliseconds timeout) {
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    std::vector<std::string> envs;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        if (entry.rfind("DAEMONIKER_TEST_", 0) != 0) envs.push_back(entry);
    }
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<char*> cargv;
    std::vector<char*> cenv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
    cargv.push_back(nullptr);
    cenv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    Result result;
    result.pid = pid;
    if (rc != 0) {
        ::close(out[0]);
        ::close(err[0]);
        throw std::runtime_error("posix_spawn failed: " + std::string(std::strerror(rc)));
    }
    const auto deadline = clock::now() + timeout;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_count = 2;
    bool killed = false;
    while (open_count > 0) {
        const int ready = ::poll(fds, 2, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) {
            // Timed out: the helper (or a daemon holding its pipes) hangs.
            ::kill(pid, SIGKILL);
            killed = true;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buf[4096];
            const auto n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_count;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.status = decode_status(status);
    if (killed) ADD_FAILURE() << "process timed out and was killed: " << argv[0];
    return result;
}

std::vector<std::string> helper(const std::string& mode, const std::filesystem::path& pid_file,
                                const std::filesystem::path& report, std::vector<std::string> kv) {
    std::vector<std::string> argv{DAEMONIKER_HELPER, mode, pid_file.string(), report.string()};
    argv.insert(argv.end(), kv.begin(), kv.end());
    return argv;
}

bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
    const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) return false;
    ::inotify_add_watch(fd, path.parent_path().c_str(), IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
    const auto deadline = clock::now() + timeout;
    bool found = false;
    // The watch is set before the check, so a file created in between is not missed.
    while (!(found = std::filesystem::exists(path))) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) <= 0) break;
        char buf[4096];
        while (::read(fd, buf, sizeof buf) > 0) {
        }
    }
    ::close(fd);
    return found;
}

bool wait_for_content(const std::filesystem::path& path, const std::string& needle,
                      std::chrono::milliseconds timeout) {
    const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0) return false;
    ::inotify_add_watch(fd, path.parent_path().c_str(), IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE);
    const auto deadline = clock::now() + timeout;
    bool found = false;
    while (!(found = slurp(path).find(needle) != std::string::npos)) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) <= 0) break;
        char buf[4096];
        while (::read(fd, buf, sizeof buf) > 0) {
        }
    }
    ::close(fd);
    return found;
}

std::string slurp(const std::filesystem::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::map<std::string, std::string> read_report(const std::filesystem::path& path) {
    std::map<std::string, std::string> m;
    if (!wait_for_file(path)) {
        ADD_FAILURE() << "no report at " << path;
        return m;
    }
    std::istringstream in(slurp(path));
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return m;
}

std::string identity(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return "none";
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

bool lock_held(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const bool held = ::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    ::close(fd);
    return held;
}

pid_t pid_in(const std::filesystem::path& path) {
    const auto s = slurp(path);
    if (s.empty() || s.back() != '\n') return -1;
    try {
        return static_cast<pid_t>(std::stol(s));
    } catch (...) {
        return -1;
    }
}

pid_t parent_of(pid_t pid) {
    // Field 4 of /proc/PID/stat; the command name before it may hold spaces
    // and parentheses, so parsing starts after the last ')'.
    const auto stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream in(stat.substr(close + 1));
    char state = 0;
    pid_t ppid = -1;
    in >> state >> ppid;
    return in ? ppid : -1;
}

std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
        ::close(pidfd);
        if (ready <= 0) return std::nullopt;
    }
    int status = 0;
    if (::waitpid(pid, &status, pidfd >= 0 ? 0 : WNOHANG) != pid) return std::nullopt;
    return status;
}

std::set<pid_t> live_children() {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::set<pid_t> kids;
    const auto self = std::to_string(::getpid());
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + self + "/task", ec)) {
        std::istringstream in(slurp(task.path() / "children"));
        pid_t p = 0;
        while (in >> p) kids.insert(p);
    }
    return kids;
}

std::filesystem::path make_test_directory() {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return {};
    char tmpl[] = "/tmp/daemoniker-test-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return {};
    return tmpl;
}

void ProcessTest::SetUp() {
    dir_ = make_test_directory();
    ASSERT_FALSE(dir_.empty()) << "no subreaper or no directory: " << std::strerror(errno);
}

std::optional<int> ProcessTest::stop(pid_t pid) {
    if (::kill(pid, SIGTERM) != 0) return std::nullopt;
    auto status = wait_exit(pid);
    if (status) recorded_.erase(pid);
    return status;
}

void clean_up(std::set<pid_t>& recorded, const std::filesystem::path& dir) {
    for (pid_t pid : recorded) {
        ::kill(pid, SIGKILL);
        wait_exit(pid, 5s);
    }
    recorded.clear();
    // Daemons that fail exit on their own; give every child a moment to do so.
    const auto deadline = clock::now() + 5s;
    auto left = live_children();
    while (!left.empty() && clock::now() < deadline) {
        wait_exit(*left.begin(), std::chrono::milliseconds(remaining_ms(deadline)));
        left = live_children();
    }
    for (pid_t pid : left) {
        ADD_FAILURE() << "process " << pid << " was left running by the test";
        ::kill(pid, SIGKILL); // our own child: started by this test
        wait_exit(pid, 5s);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

void ProcessTest::TearDown() { clean_up(recorded_, dir_); }

TestUser::TestUser(const std::string& suffix) {
    if (::geteuid() != 0) {
        skip = "needs root";
        return;
    }
    if (::access("/usr/sbin/useradd", X_OK) != 0) {
        skip = "useradd is not installed";
        return;
    }
    name = "dmnk-test-" + std::to_string(::getpid()) + suffix;
    const auto r = run({"/usr/sbin/useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                        "/nonexistent", "--shell", "/usr/sbin/nologin", name});
    if (r.status != 0) {
        error = "useradd " + name + ": " + r.err;
        return;
    }
    created_ = true;
    const passwd* pw = ::getpwnam(name.c_str());
    if (pw == nullptr) {
        error = "useradd made " + name + ", but getpwnam does not find it";
        return;
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
}

TestUser::~TestUser() {
    if (!created_) return;
    const auto r = run({"/usr/sbin/userdel", name});
    EXPECT_EQ(r.status, 0) << "userdel " << name << ": " << r.err;
}

} // namespace test
