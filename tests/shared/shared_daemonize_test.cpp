// daemonize() and Daemonizer with real processes, the same on POSIX and on
// Windows: the helper daemonizes, the daemon reports what arrived, and the
// test checks it. What only one platform has (sessions and descriptors; the
// re-launch's command line) is in that platform's own tests.

#include "support.hpp"

#include <daemoniker/daemoniker.hpp>

#include <algorithm>

namespace shared {
namespace {

using Daemonize = ProcessTest;


TEST_F(Daemonize, DaemonSurvivesItsParentAndGetsItsArguments) {
    const std::vector<std::string> kv{"chdir=" + utf8(dir_), "stdout=" + p("out.log"), "stderr=" + p("err.log"),
                                      "say=1"};
    const Result r = helper("daemonize", kv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The original printed nothing.
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const Pid pid = std::stoll(rep["pid"]);
    record(pid);
    EXPECT_NE(pid, r.pid);
    EXPECT_TRUE(alive(pid)); // the original has exited; the daemon lives on
    // Values computed by the original arrived (on Windows the daemon computed
    // its own, which would name its own PID).
    EXPECT_EQ(rep["nonce"], "original pid " + std::to_string(r.pid));
    EXPECT_EQ(rep["args"], "42|preserved arg|3");
    EXPECT_EQ(rep["words_ok"], "1");
    EXPECT_EQ(rep["tricky_ok"], "1");
    EXPECT_EQ(rep["unicode_ok"], "1");
    EXPECT_EQ(rep["big_sum"], "5000050000");
    EXPECT_EQ(rep["endpoint"], "example.org:8443");
    // The daemon has the original's command line: program, mode, PID file,
    // report and the keys.
    EXPECT_EQ(rep["cmdargs"], std::to_string(4 + kv.size()));
    EXPECT_EQ(from_utf8(rep["cwd"]), dir_);
    // The PID file holds the daemon's PID and is locked while it runs.
    EXPECT_EQ(pid_in(path("d.pid")), pid);
    EXPECT_TRUE(lock_held(path("d.pid")));
    EXPECT_TRUE(daemoniker::is_running(path("d.pid")));
    // Standard streams went where asked.
    EXPECT_TRUE(wait_for_file(path("out.log"), "daemon stdout line\n"));
    EXPECT_TRUE(wait_for_file(path("err.log"), "daemon stderr line\n"));

    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
    EXPECT_TRUE(wait_exit(pid)) << "the daemon did not exit";
    EXPECT_EQ(exit_code(pid), 0);
    forget(pid);
    EXPECT_TRUE(wait_gone(path("d.pid"))) << "the PID file was left behind";
    EXPECT_FALSE(daemoniker::is_running(path("d.pid")));
    EXPECT_TRUE(wait_for_file(path("out.log"), "daemon stopping\n"));
}

TEST_F(Daemonize, DaemonizerRunsSetupOnceAndResetsParentArgs) {
    const Result r = helper("daemonizer", {"setup_marker=" + p("setup")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "parent: is_parent=1 n=0 t=''\n"); // the parent's arguments are value-initialized
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const Pid pid = std::stoll(rep["pid"]);
    record(pid);
    EXPECT_EQ(rep["args"], "7|from setup"); // the daemon got the setup's values
    // Setup ran once, in the original.
    EXPECT_EQ(slurp(path("setup")), "setup ran in " + std::to_string(r.pid) + "\n");
    EXPECT_TRUE(lock_held(path("d.pid")));

    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
    EXPECT_TRUE(wait_exit(pid)) << "the daemon did not exit";
    EXPECT_EQ(exit_code(pid), 0);
    forget(pid);
    EXPECT_TRUE(wait_gone(path("d.pid"))) << "the PID file was left behind";
}

// The parent-only code fails after the daemon started: the original exits
// 2 with the message, and the daemon runs on.
TEST_F(Daemonize, DaemonizerParentFailureExitsTwoWithMessage) {
    const Result r = helper("daemonizer", {"setup_marker=" + p("setup"), "parent=throw"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "daemoniker: parent-only code failed on purpose\n");
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    record(std::stoll(rep["pid"]));
    EXPECT_TRUE(lock_held(path("d.pid")));
}

TEST_F(Daemonize, DaemonizerRaiiParentFailureExitsTwo) {
    const Result r = helper("daemonizer", {"setup_marker=" + p("setup"), "parent=throw_raii"});
    EXPECT_EQ(r.exit_code, 2);
    // Uncaught: the library's terminate handler prints the message.
    EXPECT_EQ(r.err, "daemoniker: parent-only code failed on purpose\n");
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    record(std::stoll(rep["pid"]));
    EXPECT_TRUE(lock_held(path("d.pid")));
}

// ---- failures: one line naming step, path and reason; nothing left behind --

// daemonize_or_throw(): the original process ends with status 0 on success,
// as with daemonize(); the daemon gets its arguments.
TEST_F(Daemonize, OrThrowEndsTheOriginalWithStatusZeroOnSuccess) {
    const Result r = helper("daemonize_or_throw");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, ""); // ended at once: not "carried on"
    EXPECT_EQ(r.err, "");
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const Pid pid = std::stoll(rep["pid"]);
    record(pid);
    EXPECT_EQ(rep["args"], "42|preserved");
    EXPECT_EQ(pid_in(path("d.pid")), pid);
    EXPECT_TRUE(lock_held(path("d.pid")));

    daemoniker::send(path("d.pid"), daemoniker::Signal::sigterm);
    EXPECT_TRUE(wait_exit(pid)) << "the daemon did not exit";
    forget(pid);
    EXPECT_TRUE(wait_gone(path("d.pid"))) << "the PID file was left behind";
}

// ... and a failure reaches the caller as the exception, which it catches
// and carries on from (the helper prints what it caught and exits 5); the
// library prints nothing.
TEST_F(Daemonize, OrThrowGivesAlreadyRunningWithTheHoldersPid) {
    const Result first = helper("daemonize");
    ASSERT_EQ(first.exit_code, 0) << first.err;
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const Pid holder = std::stoll(rep["pid"]);
    record(holder);
    const Result r = run(helper_path(), {"daemonize_or_throw", p("d.pid"), p("report2")});
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_EQ(r.out, "caught AlreadyRunning pid=" + std::to_string(holder) + " path=" + p("d.pid") + "\ncarried on\n");
    EXPECT_EQ(r.err, "");
    EXPECT_FALSE(std::filesystem::exists(path("report2")));
    EXPECT_EQ(pid_in(path("d.pid")), holder);
    EXPECT_TRUE(lock_held(path("d.pid")));
    // TearDown fails the test if the refused start left a process.
}

class DaemonizeFails : public ProcessTest {
protected:
    void expect_failure(const std::vector<std::string>& kv, const std::string& expected,
                        const std::vector<std::string>& env = {}) {
        const Result r = helper("daemonize", kv, env);
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_EQ(r.err.rfind("daemoniker: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find(expected), std::string::npos) << "stderr: " << r.err << "expected: " << expected;
        EXPECT_EQ(r.out, "");
        EXPECT_FALSE(std::filesystem::exists(path("report")));
        EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
        // TearDown fails the test if a process is left.
    }
};

TEST_F(DaemonizeFails, MissingChdirDirectory) {
    expect_failure({"chdir=" + p("missing")}, "chdir '" + p("missing") + "': " + not_found_message(path("missing")));
}

TEST_F(DaemonizeFails, UnwritableStdout) {
    // A directory cannot be opened for writing, even by root.
    expect_failure({"stdout=" + utf8(dir_)},
                   "redirect stdout '" + utf8(dir_) + "': " + write_open_error_message(dir_));
}

// Standard input is read, never created: a missing input file fails the
// start (a daemon reading an empty file instead would look as if it had no
// work), and the file is not created.
TEST_F(DaemonizeFails, MissingStdinFile) {
    expect_failure({"stdin=" + p("missing.in"), "stdout=" + p("out.log")},
                   "redirect stdin '" + p("missing.in") + "': " + not_found_message(path("missing.in")));
    EXPECT_FALSE(std::filesystem::exists(path("missing.in")));
}

TEST_F(DaemonizeFails, SuccessTimeoutEndsAStalledDaemon) {
    expect_failure({"timeout_ms=1500"}, "no report from the daemon (pid ", {"DAEMONIKER_TEST_STALL=redirect_stdout"});
}

TEST_F(DaemonizeFails, DaemonCrashBeforeReporting) {
    expect_failure({}, "died before reporting success", {"DAEMONIKER_TEST_CRASH=report"});
}

} // namespace
} // namespace shared
