// Signals on Windows, under Wine: send() over the daemon's named pipe runs
// the custom handler or the default exception path with full cleanup.

#include "win_support.hpp"

#include <daemoniker/daemoniker.hpp>

#include <csignal>
#include <fstream>

namespace wintest {
namespace {

class WinSignals : public WinProcessTest {
protected:
    DWORD start(std::vector<std::string> kv) {
        kv.push_back("log=" + p("log"));
        auto r = helper("daemonize", kv);
        EXPECT_EQ(r.exit_code, 0u) << r.err;
        auto rep = read_report(path("report"));
        if (rep.empty()) return 0;
        const DWORD pid = static_cast<DWORD>(std::stoul(rep["pid"]));
        record(pid);
        EXPECT_TRUE(wait_for_file(path("log"), "serving"));
        return pid;
    }
    void expect_clean_exit(DWORD pid) {
        EXPECT_TRUE(wait_exit(pid)) << "daemon did not exit";
        recorded_.erase(pid);
        for (int i = 0; i < 100 && std::filesystem::exists(path("d.pid")); ++i) ::Sleep(10);
        EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    }
};

TEST_F(WinSignals, DefaultSigTermUnwindsAndRemovesThePidFile) {
    const DWORD pid = start({});
    ASSERT_NE(pid, 0u);
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
    EXPECT_TRUE(wait_for_file(path("log"), "caught received SIGTERM " + std::to_string(SIGTERM)));
    expect_clean_exit(pid);
}

TEST_F(WinSignals, SigIntAndSigAbrtDefaultPaths) {
    const DWORD pid = start({});
    ASSERT_NE(pid, 0u);
    daemoniker::send<daemoniker::SigInt>(path("d.pid"));
    EXPECT_TRUE(wait_for_file(path("log"), "caught received SIGINT " + std::to_string(SIGINT)));
    expect_clean_exit(pid);

    const DWORD pid2 = start({});
    ASSERT_NE(pid2, 0u);
    daemoniker::send(path("d.pid"), SIGABRT);
    EXPECT_TRUE(wait_for_file(path("log"), "caught received SIGABRT " + std::to_string(SIGABRT)));
    expect_clean_exit(pid2);
}

// A caught signal object passes on as it is.
TEST_F(WinSignals, SendTakesASignalObject) {
    const DWORD pid = start({"hup=record"});
    ASSERT_NE(pid, 0u);
    daemoniker::send(path("d.pid"), daemoniker::ReceivedSignal(1, "received SIGHUP"));
    EXPECT_TRUE(wait_for_file(path("log"), "handled hup 1"));
    try {
        throw daemoniker::SigTerm();
    } catch (const daemoniker::ReceivedSignal& caught) {
        std::error_code ec;
        daemoniker::send(path("missing.pid"), caught, ec);
        EXPECT_EQ(ec, daemoniker::errc::not_running);
        daemoniker::send(path("d.pid"), caught);
    }
    EXPECT_TRUE(wait_for_file(path("log"), "caught received SIGTERM " + std::to_string(SIGTERM)));
    expect_clean_exit(pid);
}

TEST_F(WinSignals, CustomHandlersRunWithTheNumber) {
    const DWORD pid = start({"int=record", "abrt=record", "hup=record"});
    ASSERT_NE(pid, 0u);
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigint);
    EXPECT_TRUE(wait_for_file(path("log"), "handled int " + std::to_string(SIGINT)));
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigabrt);
    EXPECT_TRUE(wait_for_file(path("log"), "handled abrt " + std::to_string(SIGABRT)));
    daemoniker::send(path("d.pid"), daemoniker::Signal::sighup);
    EXPECT_TRUE(wait_for_file(path("log"), "handled hup 1"));
    EXPECT_TRUE(alive(pid));
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
    expect_clean_exit(pid);
}

// POSIX would end the process for a SIGHUP it has no action for; Windows has
// nothing to do, so the daemon drops it, and the sender is told.
TEST_F(WinSignals, SigHupWithTheDefaultActionIsDroppedAndTheSenderIsTold) {
    const DWORD pid = start({"int=record"});
    ASSERT_NE(pid, 0u);
    std::error_code ec;
    daemoniker::send(path("d.pid"), daemoniker::Signal::sighup, ec);
    EXPECT_EQ(ec, daemoniker::errc::signal_dropped) << ec.message();
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigusr2, ec);
    EXPECT_EQ(ec, daemoniker::errc::signal_dropped) << ec.message();
    EXPECT_THROW(daemoniker::send(path("d.pid"), daemoniker::Signal::sigusr1), daemoniker::SignalError);
    // The daemon still answers, and acts on a signal it has an action for.
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigint, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(wait_for_file(path("log"), "handled int " + std::to_string(SIGINT)));
    EXPECT_TRUE(alive(pid));
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
    expect_clean_exit(pid);
}

// An explicit ignore is the daemon's choice: received, then ignored.
TEST_F(WinSignals, IgnoredSigHupIsReceived) {
    const DWORD pid = start({"hup=ignore"});
    ASSERT_NE(pid, 0u);
    std::error_code ec;
    daemoniker::send(path("d.pid"), daemoniker::Signal::sighup, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(alive(pid));
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
    expect_clean_exit(pid);
}

TEST_F(WinSignals, SendRefusesMissingMalformedAndStale) {
    std::error_code ec;
    daemoniker::send(path("missing.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::not_running);
    std::ofstream(path("garbage.pid")) << "garbage\n";
    daemoniker::send(path("garbage.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::malformed_pid_file);
    // The PID of a live process (this one) in an unlocked file: stale.
    std::ofstream(path("stale.pid")) << ::GetCurrentProcessId() << "\n12345\n";
    daemoniker::send(path("stale.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::stale_pid_file);
    EXPECT_FALSE(daemoniker::is_running(path("stale.pid")));
    daemoniker::send(path("stale.pid"), 9, ec); // not one of the six on Windows
    EXPECT_EQ(ec, daemoniker::errc::invalid_signal);
}

} // namespace
} // namespace wintest
