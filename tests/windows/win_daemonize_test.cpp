// daemonize() and Daemonizer on Windows, under Wine, with real processes.

#include "win_support.hpp"

#include <daemoniker/daemoniker.hpp>

namespace wintest {
namespace {

using WinDaemonize = WinProcessTest;

TEST_F(WinDaemonize, DaemonSurvivesItsParentAndGetsItsArguments) {
    auto r = helper("daemonize", {"chdir=" + utf8(dir_), "stdout=" + p("out.log"), "stderr=" + p("err.log"),
                                  "log=" + p("log")});
    ASSERT_EQ(r.exit_code, 0u) << r.err;
    EXPECT_EQ(r.out, "");
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const DWORD pid = static_cast<DWORD>(std::stoul(rep["pid"]));
    record(pid);
    EXPECT_NE(pid, r.pid);
    EXPECT_TRUE(alive(pid)); // the original has exited; the daemon lives on
    // Values computed by the original arrived, not the daemon's own.
    EXPECT_EQ(rep["nonce"], "original pid " + std::to_string(r.pid));
    EXPECT_EQ(rep["tricky_ok"], "1");
    EXPECT_EQ(rep["unicode_ok"], "1");
    EXPECT_EQ(rep["big_sum"], "5000050000");
    EXPECT_EQ(rep["endpoint"], "example.org:8443");
    EXPECT_EQ(rep["cmdargs"], "8"); // re-launched with the same command line: program + 7 arguments
    EXPECT_EQ(from_utf8(rep["cwd"]), dir_);
    // PID file: the PID on the first line, locked.
    const auto content = slurp(path("d.pid"));
    EXPECT_EQ(content.substr(0, content.find('\n')), std::to_string(pid));
    EXPECT_TRUE(lock_held(path("d.pid")));
    EXPECT_TRUE(daemoniker::is_running(path("d.pid")));
    // Standard streams went where asked.
    EXPECT_TRUE(wait_for_file(path("out.log"), "daemon stdout line"));
    EXPECT_TRUE(wait_for_file(path("err.log"), "daemon stderr line"));
}

TEST_F(WinDaemonize, StripCmdArgsRelaunchesWithoutArguments) {
    // Without its arguments the helper cannot even parse a mode, so the
    // re-launched process exits at once and never reports.
    auto r = helper("daemonize", {"strip=1", "timeout_ms=5000"});
    EXPECT_EQ(r.exit_code, 1u);
    EXPECT_NE(r.err.find("died before reporting success"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
}

TEST_F(WinDaemonize, DaemonizerRunsSetupOnceAndResetsParentArgs) {
    auto r = helper("daemonizer", {"setup_marker=" + p("setup"), "log=" + p("log")});
    ASSERT_EQ(r.exit_code, 0u) << r.err;
    EXPECT_EQ(r.out, "parent: is_parent=1 s='' n=0\n");
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    record(static_cast<DWORD>(std::stoul(rep["pid"])));
    EXPECT_EQ(rep["secret"], "from setup");
    EXPECT_EQ(rep["number"], "7");
    EXPECT_EQ(rep["is_setup"], "0");
    EXPECT_EQ(slurp(path("setup")), "setup ran\n");
}

TEST_F(WinDaemonize, DaemonizerParentFailureExitsTwo) {
    auto r = helper("daemonizer", {"setup_marker=" + p("setup"), "parent=throw"});
    EXPECT_EQ(r.exit_code, 2u);
    EXPECT_EQ(r.err, "daemoniker: parent-only code failed on purpose\n");
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    record(static_cast<DWORD>(std::stoul(rep["pid"])));
}

TEST_F(WinDaemonize, SecondStartIsRefused) {
    auto r = helper("daemonize", {});
    ASSERT_EQ(r.exit_code, 0u) << r.err;
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const DWORD pid = static_cast<DWORD>(std::stoul(rep["pid"]));
    record(pid);
    auto second = run_helper({"daemonize", p("d.pid"), p("report2")});
    launched(second);
    EXPECT_EQ(second.exit_code, 1u);
    EXPECT_EQ(second.err, "daemoniker: already running (pid " + std::to_string(pid) + "): PID file '" + p("d.pid") +
                              "' is locked\n");
}

TEST_F(WinDaemonize, OrThrowGivesAlreadyRunningToTheCaller) {
    auto r = helper("daemonize", {});
    ASSERT_EQ(r.exit_code, 0u) << r.err;
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const DWORD pid = static_cast<DWORD>(std::stoul(rep["pid"]));
    record(pid);
    auto second = run_helper({"daemonize_or_throw", p("d.pid"), p("report2")});
    launched(second);
    EXPECT_EQ(second.exit_code, 5u) << second.err;
    EXPECT_EQ(second.out, "caught AlreadyRunning pid=" + std::to_string(pid) + "\ncarried on\n");
    EXPECT_EQ(second.err, "");
    EXPECT_FALSE(std::filesystem::exists(path("report2")));
    EXPECT_TRUE(lock_held(path("d.pid")));
}

TEST_F(WinDaemonize, OrThrowEndsTheOriginalWithStatusZeroOnSuccess) {
    auto r = helper("daemonize_or_throw", {});
    ASSERT_EQ(r.exit_code, 0u) << r.err;
    EXPECT_EQ(r.out, ""); // ended: not "carried on"
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    record(static_cast<DWORD>(std::stoul(rep["pid"])));
    EXPECT_EQ(rep["n"], "42");
    EXPECT_TRUE(lock_held(path("d.pid")));
}

// Standard input is read, never created: a missing file fails the start.
TEST_F(WinDaemonize, MissingStdinFileFailsTheStart) {
    const std::string missing = p("missing.in");
    auto r = helper("daemonize", {"stdin=" + missing, "stdout=" + p("out.log")});
    EXPECT_EQ(r.exit_code, 1u);
    EXPECT_EQ(r.err.rfind("daemoniker: cannot start daemon: redirect stdin '" + missing + "': ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(path("missing.in")));
    EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    EXPECT_FALSE(std::filesystem::exists(path("report")));
}

TEST_F(WinDaemonize, StaleFileAfterTerminateProcessIsTakenOver) {
    auto r = helper("daemonize", {});
    ASSERT_EQ(r.exit_code, 0u) << r.err;
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const DWORD first = static_cast<DWORD>(std::stoul(rep["pid"]));
    HANDLE h = ::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, first);
    ASSERT_NE(h, nullptr);
    ::TerminateProcess(h, 9);
    ::WaitForSingleObject(h, 10000);
    ::CloseHandle(h);
    ASSERT_TRUE(std::filesystem::exists(path("d.pid"))); // left behind ...
    for (int i = 0; i < 100 && lock_held(path("d.pid")); ++i) ::Sleep(10); // Wine drops the lock a moment later
    EXPECT_FALSE(lock_held(path("d.pid")));               // ... but stale
    std::error_code ec;
    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::stale_pid_file);

    auto r2 = run_helper({"daemonize", p("d.pid"), p("report2")});
    launched(r2);
    ASSERT_EQ(r2.exit_code, 0u) << r2.err;
    auto rep2 = read_report(path("report2"));
    ASSERT_FALSE(rep2.empty());
    const DWORD second = static_cast<DWORD>(std::stoul(rep2["pid"]));
    record(second);
    const auto content = slurp(path("d.pid"));
    EXPECT_EQ(content.substr(0, content.find('\n')), std::to_string(second));
}

// ---- which stale files a start takes over ---------------------------------------

class WinTakeover : public WinProcessTest {
protected:
    // Starts the helper's daemon on d.pid; its PID, or 0 when the start
    // failed. A daemon that started is recorded, so teardown ends it.
    DWORD start(Result& r) {
        r = helper("daemonize", {"log=" + p("log")});
        if (r.exit_code != 0) return 0;
        auto rep = read_report(path("report"));
        if (rep.empty()) return 0;
        const auto pid = static_cast<DWORD>(std::stoul(rep["pid"]));
        record(pid);
        return pid;
    }

    // The start fails at the PID file for `reason`, and the file keeps its
    // bytes and its time of last write.
    void expect_refused(const std::filesystem::path& file, daemoniker::errc reason) {
        const std::string before = bytes_of(file);
        const auto written = std::filesystem::last_write_time(file);
        Result r;
        const DWORD pid = start(r);
        EXPECT_EQ(pid, 0u) << "took over a file holding '" << before << "'";
        EXPECT_EQ(r.exit_code, 1u) << r.err;
        EXPECT_EQ(r.err, "daemoniker: cannot start daemon: open PID file '" + p("d.pid") +
                             "': " + daemoniker::make_error_code(reason).message() + "\n");
        EXPECT_EQ(bytes_of(file), before);
        EXPECT_EQ(std::filesystem::last_write_time(file), written);
        EXPECT_FALSE(std::filesystem::exists(path("report")));
    }

    // The start takes the file over; the daemon is then stopped, and removes it.
    void expect_taken_over(const std::string& content) {
        write_bytes(path("d.pid"), content);
        Result r;
        const DWORD pid = start(r);
        ASSERT_NE(pid, 0u) << "refused a file holding '" << content << "': " << r.err;
        const auto now = slurp(path("d.pid"));
        EXPECT_EQ(now.substr(0, now.find('\n')), std::to_string(pid));
        ASSERT_TRUE(wait_for_file(path("log"), "serving"));
        daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
        EXPECT_TRUE(wait_exit(pid));
        for (int i = 0; i < 100 && std::filesystem::exists(path("d.pid")); ++i) ::Sleep(10);
        EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
        std::filesystem::remove(path("log"));
    }
};

// A mistyped --pid-file must not cost the user the file it names.
TEST_F(WinTakeover, AFileThatIsNoPidFileIsRefusedAndLeftUntouched) {
    const std::string not_pid_files[] = {
        "# settings\r\nlisten = 0.0.0.0:8080\r\nworkers = 4\r\n", // a configuration file
        "4242\n131000000000000000\nanother line\n",            // more lines than a PID file has
        "4242\n\n",                                             // an empty second line
        "4242\nnot a creation time\n",
        "4242 and some words\n",
        std::string(200, '7'),
    };
    for (const auto& content : not_pid_files) {
        write_bytes(path("d.pid"), content);
        expect_refused(path("d.pid"), daemoniker::errc::not_a_pid_file);
    }
    // What a PID file holds, or nothing, is taken over.
    expect_taken_over("");
    expect_taken_over("4242\n");
    expect_taken_over("4242\r\n131000000000000000\r\n");
    expect_taken_over("4242\n131000000000000000");
}

// Another name for the file would keep pointing at whatever a start writes.
TEST_F(WinTakeover, AStalePidFileWithASecondLinkIsRefused) {
    write_bytes(path("d.pid"), "4242\r\n131000000000000000\r\n");
    ASSERT_TRUE(::CreateHardLinkW(path("other name").c_str(), path("d.pid").c_str(), nullptr)) << ::GetLastError();
    expect_refused(path("d.pid"), daemoniker::errc::not_a_pid_file);
    EXPECT_EQ(bytes_of(path("other name")), "4242\r\n131000000000000000\r\n");
    // With its one name again, it is an ordinary stale PID file.
    std::filesystem::remove(path("other name"));
    expect_taken_over(bytes_of(path("d.pid")));
}

TEST_F(WinTakeover, AStalePidFileThatEveryoneMayWriteIsRefused) {
    write_bytes(path("d.pid"), "4242\r\n131000000000000000\r\n");
    ASSERT_EQ(set_access(path("d.pid"), WinWorldSid, FILE_GENERIC_READ | FILE_GENERIC_WRITE), 0u);
    ASSERT_TRUE(dacl_allows_write(path("d.pid"), WinWorldSid)) << dacl_text(path("d.pid"));
    expect_refused(path("d.pid"), daemoniker::errc::writable_by_others);
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

TEST_F(WinFails, MissingChdirDirectory) {
    expect_failure({"chdir=" + p("missing")}, "chdir '" + p("missing") + "': ");
}

TEST_F(WinFails, UnwritableStdout) {
    expect_failure({"stdout=" + utf8(dir_)}, "redirect stdout '" + utf8(dir_) + "': ");
}

TEST_F(WinFails, SuccessTimeoutTerminatesAStalledDaemon) {
    expect_failure({"timeout_ms=1500"}, "no report from the daemon (pid ", {"DAEMONIKER_TEST_STALL=redirect_stdout"});
}

TEST_F(WinFails, DaemonCrashBeforeReporting) {
    expect_failure({}, "died before reporting success", {"DAEMONIKER_TEST_CRASH=report"});
}

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
