// Signals on POSIX with real daemons: what the usual tools send (kill(1),
// pkill -F) reaches the daemon's SignalHandler; send()'s POSIX-only refusals.
// send() and the SignalHandler's actions, the same on both platforms, are
// tested in tests/shared/.

#include "support.hpp"

#include <daemoniker/signals.hpp>

#include <csignal>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

namespace test {
namespace {

class Signals : public ProcessTest {
protected:
    // Starts the signals-mode daemon; returns its PID (recorded).
    pid_t start(std::vector<std::string> kv) {
        kv.push_back("log=" + log().string());
        auto r = run(helper("signals", pid_file(), path("report"), kv));
        EXPECT_EQ(r.status, 0) << r.err;
        auto rep = read_report(path("report"));
        if (rep.empty()) return -1;
        const pid_t pid = std::stoi(rep["pid"]);
        record(pid);
        return pid;
    }
    std::filesystem::path pid_file() const { return path("d.pid"); }
    std::filesystem::path log() const { return path("log"); }

    // Waits (inotify) until the log holds `line`.
    bool log_has(const std::string& line) {
        if (wait_for_content(log(), line)) return true;
        ADD_FAILURE() << "log never got '" << line << "'; log:\n" << slurp(log());
        return false;
    }
    // Waits for the daemon to exit normally and checks its PID file is gone.
    void expect_clean_exit(pid_t pid) {
        auto status = wait_exit(pid);
        ASSERT_TRUE(status.has_value()) << "daemon did not exit";
        recorded_.erase(pid);
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
        EXPECT_FALSE(std::filesystem::exists(pid_file()));
    }
};

TEST_F(Signals, KillCommandWorks) {
    const pid_t pid = start({"main=check"});
    ASSERT_GT(pid, 0);
    auto r = run({"/bin/sh", "-c", "kill -TERM $(cat '" + pid_file().string() + "')"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(log_has("caught received SIGTERM 15 via check"));
    expect_clean_exit(pid);
}

TEST_F(Signals, PkillDashFWorks) {
    const pid_t pid = start({"main=wait_for"});
    ASSERT_GT(pid, 0);
    EXPECT_TRUE(log_has("wait_for timed out"));
    auto r = run({"/usr/bin/pkill", "-INT", "-F", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(log_has("caught received SIGINT 2 via wait_for"));
    expect_clean_exit(pid);
}

// ---- send() refusals ---------------------------------------------------------

class SendRefuses : public ProcessTest {
protected:
    std::error_code refusal(const std::string& contents) {
        std::ofstream(path("f.pid"), std::ios::binary) << contents;
        std::error_code ec;
        daemoniker::send(path("f.pid"), daemoniker::Signal::sigterm, ec);
        return ec;
    }
};

TEST_F(SendRefuses, ThePidOfInit) {
    EXPECT_EQ(refusal("1\n"), daemoniker::errc::init_process);
}
TEST_F(SendRefuses, SymlinkDirectoryAndBadSignalNumbers) {
    std::error_code ec;
    std::filesystem::create_directory(path("dir.pid"));
    daemoniker::send(path("dir.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::not_regular_file);
    std::ofstream(path("real.pid")) << ::getpid() << "\n";
    std::filesystem::create_symlink(path("real.pid"), path("link.pid"));
    daemoniker::send(path("link.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::symbolic_link);
    for (int bad : {0, -1, 65, 1000}) {
        daemoniker::send(path("real.pid"), bad, ec);
        EXPECT_EQ(ec, daemoniker::errc::invalid_signal) << bad;
    }
}

TEST_F(SendRefuses, StaleFileNamingALiveUnrelatedProcess) {
    // A live process that is not a daemon: its PID in an unlocked file.
    const pid_t victim = ::fork();
    ASSERT_GE(victim, 0);
    if (victim == 0) {
        ::execl("/bin/sleep", "sleep", "30", nullptr);
        ::_exit(127);
    }
    record(victim);
    std::ofstream(path("stale.pid")) << victim << "\n";
    std::error_code ec;
    daemoniker::send(path("stale.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::stale_pid_file);
    daemoniker::send(path("stale.pid"), SIGKILL, ec);
    EXPECT_EQ(ec, daemoniker::errc::stale_pid_file);
    EXPECT_FALSE(daemoniker::is_running(path("stale.pid")));
    // The victim was not signalled: it is still running (not even a zombie).
    EXPECT_FALSE(wait_exit(victim, 200ms).has_value());
    EXPECT_EQ(::kill(victim, 0), 0);
    try {
        daemoniker::send(path("stale.pid"), daemoniker::Signal::sigterm);
        ADD_FAILURE() << "send did not throw";
    } catch (const daemoniker::SignalError& e) {
        EXPECT_EQ(std::string(e.what()), "cannot send SIGTERM through PID file '" + path("stale.pid").string() +
                                             "': stale: no process holds its lock, the daemon is gone");
        EXPECT_EQ(e.code(), daemoniker::errc::stale_pid_file);
    }
}

} // namespace
} // namespace test
