// The foreground mode (Options::detach) and the sd_notify calls, with real
// processes and a fake service manager (a datagram socket) checking what the
// daemon tells it.

#include "support.hpp"

#include <daemoniker/signals.hpp>

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace test {
namespace {

class Foreground : public ProcessTest {
protected:
    // Starts the helper without waiting for it (in the foreground it is the
    // daemon itself); its output goes to a file. Returns its PID (recorded).
    pid_t spawn(std::vector<std::string> argv, const std::vector<std::string>& extra_env = {}) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, path("out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        std::vector<std::string> env;
        for (char** e = environ; *e != nullptr; ++e) {
            const std::string entry = *e;
            if (entry.rfind("NOTIFY_SOCKET=", 0) != 0 && entry.rfind("INVOCATION_ID=", 0) != 0) env.push_back(entry);
        }
        env.insert(env.end(), extra_env.begin(), extra_env.end());
        std::vector<char*> cargv, cenv;
        for (auto& a : argv) cargv.push_back(a.data());
        for (auto& e : env) cenv.push_back(e.data());
        cargv.push_back(nullptr);
        cenv.push_back(nullptr);
        pid_t pid = -1;
        EXPECT_EQ(::posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data()), 0);
        posix_spawn_file_actions_destroy(&actions);
        record(pid);
        return pid;
    }

    // A fake service manager: a datagram socket whose path goes in NOTIFY_SOCKET.
    int bind_notify_socket() {
        const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        const std::string where = path("notify").string();
        std::memcpy(addr.sun_path, where.c_str(), where.size());
        EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        return fd;
    }

    static std::string next_datagram(int fd) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 10000) != 1) return "<nothing within 10 s>";
        char buf[512];
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        return n < 0 ? "<error>" : std::string(buf, static_cast<std::size_t>(n));
    }
};

TEST_F(Foreground, NeverDetachStaysInTheCallingProcess) {
    const pid_t pid = spawn(helper("signals", path("d.pid"), path("report"),
                                   {"detach=never", "chdir=" + dir_.string(), "log=" + path("log").string()}));
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    EXPECT_EQ(std::stoi(rep["pid"]), pid);        // no fork: the process we started is the daemon
    EXPECT_EQ(std::stoi(rep["ppid"]), ::getpid()); // still our child
    EXPECT_EQ(pid_in(path("d.pid")), pid);
    EXPECT_TRUE(lock_held(path("d.pid")));
    EXPECT_EQ(rep["cwd"], dir_.string());
    EXPECT_EQ(rep["fd1"], path("out").string()); // no *_goto given: the streams stay as they were
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
    auto status = wait_exit(pid);
    ASSERT_TRUE(status.has_value());
    recorded_.erase(pid);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

TEST_F(Foreground, SupervisedStartStaysInForegroundAndNotifies) {
    const int manager = bind_notify_socket();
    const pid_t pid = spawn(helper("signals", path("d.pid"), path("report"),
                                   {"detach=auto", "notify=1", "stdout=" + path("daemon.log").string(),
                                    "log=" + path("log").string()}),
                            {"NOTIFY_SOCKET=" + path("notify").string()});
    EXPECT_EQ(next_datagram(manager), "READY=1");
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    EXPECT_EQ(std::stoi(rep["pid"]), pid);
    EXPECT_EQ(rep["fd1"], path("daemon.log").string()); // a given path is still honoured
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
    EXPECT_EQ(next_datagram(manager), "STOPPING=1");
    auto status = wait_exit(pid);
    ASSERT_TRUE(status.has_value());
    recorded_.erase(pid);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    ::close(manager);
}

TEST_F(Foreground, UnsupervisedStartDetaches) {
    const pid_t launcher = spawn(helper("signals", path("d.pid"), path("report"), {"detach=auto", "log=" + path("log").string()}));
    auto status = wait_exit(launcher); // the original exits once the daemon runs
    ASSERT_TRUE(status.has_value());
    recorded_.erase(launcher);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const pid_t daemon = std::stoi(rep["pid"]);
    record(daemon);
    EXPECT_NE(daemon, launcher);
    EXPECT_EQ(rep["fd1"], "/dev/null");
}

TEST_F(Foreground, StartupFailureIsReportedInProcess) {
    const pid_t pid = spawn(helper("signals", path("d.pid"), path("report"),
                                   {"detach=never", "chdir=" + path("missing").string()}));
    auto status = wait_exit(pid);
    ASSERT_TRUE(status.has_value());
    recorded_.erase(pid);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1);
    EXPECT_NE(slurp(path("out")).find("chdir '" + path("missing").string() + "': No such file or directory"),
              std::string::npos)
        << slurp(path("out"));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

TEST_F(Foreground, MissingStdinFileFailsTheStart) {
    const auto missing = path("missing.in");
    const pid_t pid = spawn(helper("signals", path("d.pid"), path("report"),
                                   {"detach=never", "stdin=" + missing.string()}));
    auto status = wait_exit(pid);
    ASSERT_TRUE(status.has_value());
    recorded_.erase(pid);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1);
    EXPECT_NE(slurp(path("out")).find("redirect stdin '" + missing.string() + "': No such file or directory"),
              std::string::npos)
        << slurp(path("out"));
    EXPECT_FALSE(std::filesystem::exists(missing));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

} // namespace
} // namespace test
