// Signals with real daemons: sent with send(), kill(1) and pkill -F.

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

TEST_F(Signals, CustomHandlerRunsOnTheSignalThreadWithTheNumber) {
    const pid_t pid = start({"term=record", "usr1=record", "hup=record"});
    ASSERT_GT(pid, 0);
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    EXPECT_TRUE(log_has("handled term " + std::to_string(SIGTERM) + " on signal thread"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr1);
    EXPECT_TRUE(log_has("handled usr1 " + std::to_string(SIGUSR1) + " on signal thread"));
    daemoniker::send(pid_file(), daemoniker::Signal::sighup);
    EXPECT_TRUE(log_has("handled hup " + std::to_string(SIGHUP) + " on signal thread"));
    EXPECT_TRUE(daemoniker::is_running(pid_file()));
    daemoniker::send<daemoniker::SigInt>(pid_file()); // default action: ends wait()
    EXPECT_TRUE(log_has("caught received SIGINT 2 via wait"));
    expect_clean_exit(pid);
}

TEST_F(Signals, DefaultSigTermUnwindsTheMainThreadAndRemovesThePidFile) {
    const pid_t pid = start({});
    ASSERT_GT(pid, 0);
    daemoniker::send(pid_file(), SIGTERM); // as a number
    EXPECT_TRUE(log_has("caught received SIGTERM 15 via wait"));
    expect_clean_exit(pid);
    EXPECT_FALSE(daemoniker::is_running(pid_file()));
}

// send() takes a signal object, as the Python original took an instance:
// a caught SigTerm (or any ReceivedSignal) can be passed on as it is.
TEST_F(Signals, SendTakesASignalObject) {
    const pid_t pid = start({"usr1=record"});
    ASSERT_GT(pid, 0);
    daemoniker::send(pid_file(), daemoniker::ReceivedSignal(SIGUSR1, "received SIGUSR1"));
    EXPECT_TRUE(log_has("handled usr1 " + std::to_string(SIGUSR1) + " on signal thread"));
    try {
        throw daemoniker::SigTerm();
    } catch (const daemoniker::ReceivedSignal& caught) {
        std::error_code ec;
        daemoniker::send(path("missing.pid"), caught, ec);
        EXPECT_EQ(ec, daemoniker::errc::not_running);
        EXPECT_THROW(daemoniker::send(path("missing.pid"), caught), daemoniker::SignalError);
        daemoniker::send(pid_file(), caught);
    }
    EXPECT_TRUE(log_has("caught received SIGTERM 15 via wait"));
    expect_clean_exit(pid);
}

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

TEST_F(Signals, StopTokenIsRequested) {
    const pid_t pid = start({"main=stop_token"});
    ASSERT_GT(pid, 0);
    daemoniker::send<daemoniker::SigTerm>(pid_file());
    EXPECT_TRUE(log_has("stop requested"));
    EXPECT_TRUE(log_has("caught received SIGTERM 15 via stop_token"));
    expect_clean_exit(pid);
}

TEST_F(Signals, DescriptorBecomesReadable) {
    const pid_t pid = start({"main=fd"});
    ASSERT_GT(pid, 0);
    daemoniker::send<daemoniker::SigAbrt>(pid_file());
    EXPECT_TRUE(log_has("descriptor readable"));
    EXPECT_TRUE(log_has("caught received SIGABRT 6 via fd"));
    expect_clean_exit(pid);
}

TEST_F(Signals, HandlerReplacedWhileRunning) {
    const pid_t pid = start({"usr1=record", "usr2_does=replace_usr1"});
    ASSERT_GT(pid, 0);
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr1);
    EXPECT_TRUE(log_has("handled usr1 10"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr2);
    EXPECT_TRUE(log_has("usr2 did replace_usr1"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr1);
    EXPECT_TRUE(log_has("handled usr1-replaced 10"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    expect_clean_exit(pid);
}

TEST_F(Signals, ResetToDefaultAfterStart) {
    const pid_t pid = start({"term=record", "usr2_does=reset_term"});
    ASSERT_GT(pid, 0);
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    EXPECT_TRUE(log_has("handled term 15"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr2);
    EXPECT_TRUE(log_has("usr2 did reset_term"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    EXPECT_TRUE(log_has("caught received SIGTERM 15 via wait"));
    expect_clean_exit(pid);
}

TEST_F(Signals, IgnoredSignalIsDropped) {
    const pid_t pid = start({"int=ignore", "usr1=record"});
    ASSERT_GT(pid, 0);
    daemoniker::send(pid_file(), daemoniker::Signal::sigint);
    // SIGUSR1 is delivered after SIGINT (sent later, and dispatched in order
    // within a batch), so once it is logged SIGINT has been dealt with.
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr1);
    EXPECT_TRUE(log_has("handled usr1"));
    EXPECT_TRUE(daemoniker::is_running(pid_file()));
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    EXPECT_TRUE(log_has("caught received SIGTERM"));
    expect_clean_exit(pid);
    EXPECT_EQ(slurp(log()).find("SIGINT"), std::string::npos);
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

TEST_F(SendRefuses, MissingEmptyMalformedAndOutOfRange) {
    std::error_code ec;
    daemoniker::send(path("missing.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::not_running);
    EXPECT_EQ(refusal(""), daemoniker::errc::malformed_pid_file);
    EXPECT_EQ(refusal("garbage\n"), daemoniker::errc::malformed_pid_file);
    EXPECT_EQ(refusal("99999999999999999999\n"), daemoniker::errc::malformed_pid_file);
    EXPECT_EQ(refusal("-5\n"), daemoniker::errc::malformed_pid_file);
    EXPECT_EQ(refusal("0\n"), daemoniker::errc::malformed_pid_file);
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
