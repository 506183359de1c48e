// daemonize() and Daemonizer on Windows only, under Wine, with real
// processes: the re-launch's command line and its steps. What both platforms
// promise is tested in tests/shared/.

#include "win_support.hpp"

#include <daemoniker/daemoniker.hpp>

namespace wintest {
namespace {

using WinDaemonize = WinProcessTest;

TEST_F(WinDaemonize, StripCmdArgsRelaunchesWithoutArguments) {
    // Without its arguments the helper cannot even parse a mode, so the
    // re-launched process exits at once and never reports.
    auto r = helper("daemonize", {"strip=1", "timeout_ms=5000"});
    EXPECT_EQ(r.exit_code, 1u);
    EXPECT_NE(r.err.find("died before reporting success"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

// Setup code runs in the original alone: the re-launched daemon is not a
// setup process (on POSIX the daemon is a fork of it, and is).
TEST_F(WinDaemonize, TheRelaunchedDaemonIsNotTheSetupProcess) {
    auto r = helper("daemonizer", {"setup_marker=" + p("setup")});
    ASSERT_EQ(r.exit_code, 0u) << r.err;
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    record(static_cast<DWORD>(std::stoul(rep["pid"])));
    EXPECT_EQ(rep["is_setup"], "0");
}

class WinFails : public WinProcessTest {
protected:
    void expect_failure(std::vector<std::string> kv, const std::string& expected, const std::vector<std::string>& env = {}) {
        auto r = helper("daemonize", std::move(kv), env);
        EXPECT_EQ(r.exit_code, 1u) << r.err;
        EXPECT_EQ(r.err.rfind("daemoniker: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find(expected), std::string::npos) << "stderr: " << r.err << "expected: " << expected;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_FALSE(std::filesystem::exists(path("report")));
        EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    }
};

class WinEveryStep : public WinFails, public ::testing::WithParamInterface<const char*> {};

TEST_P(WinEveryStep, FailsWithItsNameAndLeavesNothing) {
    const std::string key = GetParam();
    const std::map<std::string, std::string> names{
        {"fork", "CreateProcessW"},
        {"handoff", "receive arguments"},
        {"chdir", "chdir '" + utf8(dir_) + "'"},
        {"pid_file_open", "open PID file '" + p("d.pid") + "'"},
        {"pid_file_lock", "lock PID file '" + p("d.pid") + "'"},
        {"pid_file_write", "write PID file '" + p("d.pid") + "'"},
        {"redirect_stdin", "redirect stdin 'NUL'"},
        {"redirect_stdout", "redirect stdout 'NUL'"},
        {"redirect_stderr", "redirect stderr 'NUL'"},
        {"report", "report to the original process"}};
    // Error 5 is ERROR_ACCESS_DENIED, so the reason is a real Windows text.
    expect_failure({"chdir=" + utf8(dir_)}, names.at(key) + ": ", {"DAEMONIKER_TEST_FAIL=" + key + ":5"});
}

INSTANTIATE_TEST_SUITE_P(Steps, WinEveryStep,
                         ::testing::Values("fork", "handoff", "chdir", "pid_file_open", "pid_file_lock", "pid_file_write",
                                           "redirect_stdin", "redirect_stdout", "redirect_stderr", "report"));

} // namespace
} // namespace wintest
