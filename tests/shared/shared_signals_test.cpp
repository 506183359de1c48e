// Signals with real daemons, the same on POSIX and on Windows: send() reaches
// the daemon's SignalHandler (POSIX: kill(); Windows: the daemon's named
// pipe), custom actions run with the signal's number, and a default action
// ends the main thread's wait with ReceivedSignal, whose unwinding runs the
// cleanup and removes the PID file.

#include "support.hpp"

#include <daemoniker/daemoniker.hpp>

#include <csignal>

namespace shared {
namespace {

class Signals : public ProcessTest {
protected:
    // Starts the signals-mode daemon; returns its PID (recorded), or 0. Its
    // SignalHandler runs before it writes the report.
    Pid start(std::vector<std::string> kv) {
        kv.push_back("log=" + utf8(log()));
        const Result r = helper("signals", kv);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        auto rep = read_report(path("report"));
        if (rep.empty()) return 0;
        const Pid pid = std::stoll(rep["pid"]);
        record(pid);
        return pid;
    }
    std::filesystem::path pid_file() const { return path("d.pid"); }
    static std::string number(daemoniker::Signal s) { return std::to_string(daemoniker::to_number(s)); }
    std::filesystem::path log() const { return path("log"); }

    bool log_has(const std::string& line) {
        if (wait_for_file(log(), line)) return true;
        ADD_FAILURE() << "log never got '" << line << "'; log:\n" << slurp(log());
        return false;
    }
    // The daemon exits normally (main returned 0) and its PID file is gone.
    void expect_clean_exit(Pid pid) {
        EXPECT_TRUE(wait_exit(pid)) << "daemon did not exit";
        EXPECT_EQ(exit_code(pid), 0);
        forget(pid);
        EXPECT_TRUE(wait_gone(pid_file())) << "the PID file was left behind";
        EXPECT_FALSE(daemoniker::is_running(pid_file()));
    }
};

TEST_F(Signals, DefaultSigTermUnwindsTheMainThreadAndRemovesThePidFile) {
    const Pid pid = start({});
    ASSERT_NE(pid, 0);
    daemoniker::send(pid_file(), SIGTERM); // as a number
    EXPECT_TRUE(log_has("caught received SIGTERM " + std::to_string(SIGTERM) + " via wait\n"));
    expect_clean_exit(pid);
}

TEST_F(Signals, DefaultSigIntAndSigAbrtEndTheDaemonToo) {
    const Pid pid = start({});
    ASSERT_NE(pid, 0);
    daemoniker::send<daemoniker::SigInt>(pid_file());
    EXPECT_TRUE(log_has("caught received SIGINT " + std::to_string(SIGINT) + " via wait\n"));
    expect_clean_exit(pid);

    const Pid pid2 = start({});
    ASSERT_NE(pid2, 0);
    daemoniker::send(pid_file(), daemoniker::Signal::sigabrt);
    EXPECT_TRUE(log_has("caught received SIGABRT " + std::to_string(SIGABRT) + " via wait\n"));
    expect_clean_exit(pid2);
}

TEST_F(Signals, CustomHandlerRunsOnTheSignalThreadWithTheNumber) {
    const Pid pid = start({"int=record", "abrt=record", "hup=record", "usr1=record"});
    ASSERT_NE(pid, 0);
    daemoniker::send(pid_file(), daemoniker::Signal::sigint);
    EXPECT_TRUE(log_has("handled int " + std::to_string(SIGINT) + " on signal thread\n"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigabrt);
    EXPECT_TRUE(log_has("handled abrt " + std::to_string(SIGABRT) + " on signal thread\n"));
    daemoniker::send(pid_file(), daemoniker::Signal::sighup);
    EXPECT_TRUE(log_has("handled hup " + number(daemoniker::Signal::sighup) + " on signal thread\n"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr1);
    EXPECT_TRUE(log_has("handled usr1 " + number(daemoniker::Signal::sigusr1) + " on signal thread\n"));
    EXPECT_TRUE(alive(pid));
    EXPECT_TRUE(daemoniker::is_running(pid_file()));
    daemoniker::send<daemoniker::SigTerm>(pid_file()); // the default action: ends wait()
    EXPECT_TRUE(log_has("caught received SIGTERM " + std::to_string(SIGTERM) + " via wait\n"));
    expect_clean_exit(pid);
}

// send() takes a signal object, as the API it ports took an instance: a
// caught SigTerm (or any ReceivedSignal) passes on as it is.
TEST_F(Signals, SendTakesASignalObject) {
    const Pid pid = start({"hup=record"});
    ASSERT_NE(pid, 0);
    const int hup = daemoniker::to_number(daemoniker::Signal::sighup);
    daemoniker::send(pid_file(), daemoniker::ReceivedSignal(hup, "received SIGHUP"));
    EXPECT_TRUE(log_has("handled hup " + std::to_string(hup) + " on signal thread\n"));
    try {
        throw daemoniker::SigTerm();
    } catch (const daemoniker::ReceivedSignal& caught) {
        std::error_code ec;
        daemoniker::send(path("missing.pid"), caught, ec);
        EXPECT_EQ(ec, daemoniker::errc::not_running);
        EXPECT_THROW(daemoniker::send(path("missing.pid"), caught), daemoniker::SignalError);
        daemoniker::send(pid_file(), caught);
    }
    EXPECT_TRUE(log_has("caught received SIGTERM " + std::to_string(SIGTERM) + " via wait\n"));
    expect_clean_exit(pid);
}

TEST_F(Signals, WaitForAndCheckSeeTheDefaultAction) {
    for (const std::string how : {"wait_for", "check"}) {
        const Pid pid = start({"main=" + how});
        ASSERT_NE(pid, 0);
        daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
        EXPECT_TRUE(log_has("caught received SIGTERM " + std::to_string(SIGTERM) + " via " + how + "\n"));
        expect_clean_exit(pid);
    }
}

TEST_F(Signals, StopTokenIsRequested) {
    const Pid pid = start({"main=stop_token"});
    ASSERT_NE(pid, 0);
    daemoniker::send<daemoniker::SigTerm>(pid_file());
    EXPECT_TRUE(log_has("stop requested\n"));
    EXPECT_TRUE(log_has("caught received SIGTERM " + std::to_string(SIGTERM) + " via stop_token\n"));
    expect_clean_exit(pid);
}

// native_handle(): a descriptor that polls readable (POSIX), an event that
// is set (Windows).
TEST_F(Signals, NativeHandleIsSignalled) {
    const Pid pid = start({"main=fd"});
    ASSERT_NE(pid, 0);
    daemoniker::send<daemoniker::SigAbrt>(pid_file());
    EXPECT_TRUE(log_has("descriptor readable\n"));
    EXPECT_TRUE(log_has("caught received SIGABRT " + std::to_string(SIGABRT) + " via fd\n"));
    expect_clean_exit(pid);
}

TEST_F(Signals, HandlerReplacedWhileRunning) {
    const Pid pid = start({"usr1=record", "usr2_does=replace_usr1"});
    ASSERT_NE(pid, 0);
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr1);
    EXPECT_TRUE(log_has("handled usr1 " + number(daemoniker::Signal::sigusr1)));
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr2);
    EXPECT_TRUE(log_has("usr2 did replace_usr1\n"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr1);
    EXPECT_TRUE(log_has("handled usr1-replaced " + number(daemoniker::Signal::sigusr1)));
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    expect_clean_exit(pid);
}

TEST_F(Signals, ResetToDefaultAfterStart) {
    const Pid pid = start({"term=record", "usr2_does=reset_term"});
    ASSERT_NE(pid, 0);
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    EXPECT_TRUE(log_has("handled term " + std::to_string(SIGTERM) + " on signal thread\n"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr2);
    EXPECT_TRUE(log_has("usr2 did reset_term\n"));
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    EXPECT_TRUE(log_has("caught received SIGTERM " + std::to_string(SIGTERM) + " via wait\n"));
    expect_clean_exit(pid);
}

// An explicit ignore is the daemon's choice: the signal is received (send
// succeeds), then dropped.
TEST_F(Signals, IgnoredSignalIsDropped) {
    const Pid pid = start({"int=ignore", "hup=ignore", "usr1=record"});
    ASSERT_NE(pid, 0);
    std::error_code ec;
    daemoniker::send(pid_file(), daemoniker::Signal::sigint, ec);
    EXPECT_FALSE(ec) << ec.message();
    daemoniker::send(pid_file(), daemoniker::Signal::sighup, ec);
    EXPECT_FALSE(ec) << ec.message();
    // SIGUSR1 is dealt with after the two (sent later, and dispatched in
    // order), so once it is logged they have been.
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr1);
    EXPECT_TRUE(log_has("handled usr1"));
    EXPECT_TRUE(alive(pid));
    EXPECT_TRUE(daemoniker::is_running(pid_file()));
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    EXPECT_TRUE(log_has("caught received SIGTERM"));
    expect_clean_exit(pid);
    EXPECT_EQ(slurp(log()).find("SIGINT"), std::string::npos);
    EXPECT_EQ(slurp(log()).find("SIGHUP"), std::string::npos);
}

// ---- send() refusals ---------------------------------------------------------

class SendRefuses : public ProcessTest {
protected:
    std::error_code refusal(const std::string& contents) {
        write_bytes(path("f.pid"), contents);
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
}

// A stale file names no daemon: nothing is sent, and the refusal says why.
TEST_F(SendRefuses, StaleFileIsRefusedWithItsReason) {
    write_bytes(path("stale.pid"), stale_pid_file_text());
    std::error_code ec;
    daemoniker::send(path("stale.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::stale_pid_file);
    EXPECT_FALSE(daemoniker::is_running(path("stale.pid")));
    try {
        daemoniker::send(path("stale.pid"), daemoniker::Signal::sigterm);
        ADD_FAILURE() << "send did not throw";
    } catch (const daemoniker::SignalError& e) {
        EXPECT_EQ(std::string(e.what()), "cannot send SIGTERM through PID file '" + p("stale.pid") +
                                             "': stale: no process holds its lock, the daemon is gone");
        EXPECT_EQ(e.code(), daemoniker::errc::stale_pid_file);
    }
    EXPECT_TRUE(std::filesystem::exists(path("stale.pid"))); // send never removes anything
}

} // namespace
} // namespace shared
