// Signals on Windows only, under Wine: what POSIX would do with a signal the
// daemon has no action for has no Windows equivalent, and send() takes only
// the six signals' numbers. send() and the SignalHandler's actions, the same
// on both platforms, are tested in tests/shared/.

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
        auto r = helper("signals", kv);
        EXPECT_EQ(r.exit_code, 0u) << r.err;
        auto rep = read_report(path("report"));
        if (rep.empty()) return 0;
        const DWORD pid = static_cast<DWORD>(std::stoul(rep["pid"]));
        record(pid);
        return pid;
    }
    void expect_clean_exit(DWORD pid) {
        EXPECT_TRUE(wait_exit(pid)) << "daemon did not exit";
        recorded_.erase(pid);
        for (int i = 0; i < 100 && std::filesystem::exists(path("d.pid")); ++i) ::Sleep(10);
        EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    }
};

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

TEST_F(WinSignals, SendRefusesALiveProcessInAnUnlockedFileAndOtherNumbers) {
    // The PID of a live process (this one) in an unlocked file: stale.
    std::ofstream(path("stale.pid")) << ::GetCurrentProcessId() << "\n12345\n";
    std::error_code ec;
    daemoniker::send(path("stale.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::stale_pid_file);
    EXPECT_FALSE(daemoniker::is_running(path("stale.pid")));
    daemoniker::send(path("stale.pid"), 9, ec); // not one of the six on Windows
    EXPECT_EQ(ec, daemoniker::errc::invalid_signal);
}

} // namespace
} // namespace wintest
