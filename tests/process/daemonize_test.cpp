// daemonize() on POSIX with real processes: the helper daemonizes, the
// daemon reports what it sees about itself (session, parent, descriptors,
// umask), and the test checks it. What both platforms promise (preserved
// arguments, Daemonizer, the PID-file contract, startup failures) is tested
// in tests/shared/.

#include "support.hpp"

#include <daemoniker/daemonize.hpp>

#include <fcntl.h>
#include <fstream>
#include <map>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace test {
namespace {

using Daemonize = ProcessTest;

// Starts a daemon through the helper, records it, returns its report.
std::map<std::string, std::string> start_ok(const std::filesystem::path& pid_file,
                                            const std::filesystem::path& report, std::vector<std::string> kv,
                                            Result* result = nullptr, const std::string& mode = "daemonize") {
    auto r = run(helper(mode, pid_file, report, std::move(kv)));
    if (result != nullptr) *result = r;
    EXPECT_EQ(r.status, 0) << r.err;
    if (r.status != 0) return {};
    return read_report(report);
}

TEST_F(Daemonize, DaemonIsDetachedAndSetUpAsAsked) {
    const auto pid_file = path("d.pid");
    const auto out = path("out.log");
    const auto err = path("err.log");
    Result r;
    auto rep = start_ok(pid_file, path("report"),
                        {"chdir=" + dir_.string(), "stdout=" + out.string(), "stderr=" + err.string()}, &r);
    ASSERT_FALSE(rep.empty());
    const pid_t pid = std::stoi(rep["pid"]);
    record(pid);

    // A new session that is not ours, and the daemon is not its leader.
    EXPECT_NE(std::stoi(rep["sid"]), ::getsid(0));
    EXPECT_NE(std::stoi(rep["sid"]), pid);
    // Reparented away from the original process, to us (the subreaper).
    // Asked now rather than taken from the report: the daemon may write its
    // report before the intermediate process has finished exiting, but the
    // original reaps the intermediate before it returns, so once run() is
    // back the reparenting is done.
    EXPECT_EQ(parent_of(pid), ::getpid());
    EXPECT_EQ(rep["cwd"], dir_.string());
    EXPECT_EQ(rep["umask"], "27");
    // Exactly 0-2 and the PID file are open. (The PID file's number depends
    // on what the test process itself had open; it is found by its inode,
    // since /proc names a file published from O_TMPFILE "(deleted)".)
    const std::string fds = rep["fds"];
    ASSERT_EQ(fds.rfind("0,1,2,", 0), 0u) << fds;
    const std::string pid_fd = fds.substr(6);
    EXPECT_EQ(pid_fd.find(','), std::string::npos) << fds;
    EXPECT_EQ(rep["ino" + pid_fd], identity(pid_file));
    EXPECT_EQ(rep["fd0"], "/dev/null");
    EXPECT_EQ(rep["fd1"], out.string());
    EXPECT_EQ(rep["fd2"], err.string());
    // The PID file holds the daemon's PID and is locked.
    EXPECT_EQ(slurp(pid_file), std::to_string(pid) + "\n");
    EXPECT_TRUE(lock_held(pid_file));
    // The original printed nothing and exited 0.
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");

    // Normal exit removes the PID file.
    auto status = stop(pid);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_FALSE(std::filesystem::exists(pid_file));
    EXPECT_NE(slurp(out).find("daemon stopping"), std::string::npos);
}

TEST_F(Daemonize, ForkHooksRunInTheOriginalAroundTheForkAndInTheDaemon) {
    const auto hooks = path("hooks");
    auto rep = start_ok(path("d.pid"), path("report"), {"hooks=" + hooks.string()});
    ASSERT_FALSE(rep.empty());
    const pid_t daemon = std::stoi(rep["pid"]);
    record(daemon);
    // The original ran before and after_in_parent before it exited; the
    // daemon ran after_in_child before daemonize() returned, so before its
    // report. Which of the two processes wrote first is not fixed.
    std::map<std::string, pid_t> ran;
    std::istringstream lines(slurp(hooks));
    for (std::string hook, pid; lines >> hook >> pid;) {
        EXPECT_EQ(ran.count(hook), 0u) << hook << " ran twice";
        ran[hook] = std::stoi(pid);
    }
    ASSERT_EQ(ran.size(), 3u) << slurp(hooks);
    EXPECT_EQ(ran["after_in_child"], daemon);
    EXPECT_EQ(ran["before"], ran["after_in_parent"]);
    EXPECT_NE(ran["before"], daemon);
}

TEST_F(Daemonize, DefaultsToCurrentDirectoryAndNullDevice) {
    const auto pid_file = path("d.pid");
    // The helper runs with the test's cwd; give it an explicit relative PID path via cwd = dir.
    auto r = run({"/bin/sh", "-c", "cd '" + dir_.string() + "' && exec \"$0\" \"$@\"", DAEMONIKER_HELPER,
                  "daemonize", "d.pid", "report"});
    ASSERT_EQ(r.status, 0) << r.err;
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    record(std::stoi(rep["pid"]));
    EXPECT_EQ(rep["cwd"], dir_.string()); // relative paths were made absolute before chdir
    EXPECT_EQ(rep["fd0"], "/dev/null");
    EXPECT_EQ(rep["fd1"], "/dev/null");
    EXPECT_EQ(rep["fd2"], "/dev/null");
    EXPECT_EQ(pid_in(pid_file), std::stoi(rep["pid"]));
}

TEST_F(Daemonize, UmaskShieldedDescriptorAndAppendedStreams) {
    const auto out = path("out.log");
    std::ofstream(out) << "earlier run\n";
    const auto created = path("new.log");
    // Descriptor 7 is opened by the shell and shielded; the helper also opens
    // an unshielded descriptor, which must be closed.
    auto r = run({"/bin/sh", "-c", "exec 7</dev/null; exec \"$0\" \"$@\"", DAEMONIKER_HELPER, "daemonize",
                  path("d.pid").string(), path("report").string(), "umask=077", "shield=7", "open_extra=1",
                  "stdout=" + out.string(), "stderr=" + created.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    auto rep = read_report(path("report"));
    ASSERT_FALSE(rep.empty());
    const pid_t pid = std::stoi(rep["pid"]);
    record(pid);
    EXPECT_EQ(rep["umask"], "77");
    // The helper's extra descriptor is gone; 0-2, the PID file (found by its
    // inode) and the shielded 7 remain.
    const std::string fds = rep["fds"];
    ASSERT_EQ(fds.rfind("0,1,2,", 0), 0u) << fds;
    ASSERT_GE(fds.size(), 8u);
    EXPECT_EQ(fds.substr(fds.size() - 2), ",7") << fds;
    const std::string pid_fd = fds.substr(6, fds.size() - 8);
    EXPECT_EQ(pid_fd.find(','), std::string::npos) << fds;
    EXPECT_EQ(rep["ino" + pid_fd], identity(path("d.pid")));
    EXPECT_EQ(rep["fd7"], "/dev/null");
    struct stat st {};
    ASSERT_EQ(::stat(created.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u); // created by the daemon, under its umask
    ASSERT_TRUE(stop(pid).has_value());
    EXPECT_EQ(slurp(out), "earlier run\ndaemon stopping\n"); // appended, not overwritten
}

TEST_F(Daemonize, PidFileIsNeverWorldWritable) {
    auto rep = start_ok(path("d.pid"), path("report"), {"umask=0"});
    ASSERT_FALSE(rep.empty());
    record(std::stoi(rep["pid"]));
    struct stat st {};
    ASSERT_EQ(::stat(path("d.pid").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(Daemonize, BufferedOutputIsWrittenOnce) {
    Result r;
    auto rep = start_ok(path("d.pid"), path("report"), {"print=buffered-before-fork"}, &r);
    ASSERT_FALSE(rep.empty());
    record(std::stoi(rep["pid"]));
    EXPECT_EQ(r.out, "buffered-before-fork");
}

TEST_F(Daemonize, RacingStartsYieldExactlyOneDaemon) {
    constexpr int n = 16;
    // All 16 launchers are forked first and released together through one pipe.
    int gate[2];
    ASSERT_EQ(::pipe(gate), 0);
    std::vector<pid_t> launchers;
    std::vector<std::filesystem::path> errs;
    for (int i = 0; i < n; ++i) {
        errs.push_back(path("err" + std::to_string(i)));
        const pid_t p = ::fork();
        ASSERT_GE(p, 0);
        if (p == 0) {
            ::close(gate[1]);
            char c;
            if (::read(gate[0], &c, 1) != 0) ::_exit(97); // EOF is the start signal
            const int fd = ::open(errs.back().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, 2);
            const auto report = path("report" + std::to_string(i));
            const std::string pid_s = path("d.pid").string();
            const std::string rep_s = report.string();
            ::execl(DAEMONIKER_HELPER, DAEMONIKER_HELPER, "daemonize", pid_s.c_str(), rep_s.c_str(), nullptr);
            ::_exit(98);
        }
        launchers.push_back(p);
    }
    ::close(gate[0]);
    ::close(gate[1]); // go
    int won = 0;
    int refused = 0;
    for (pid_t p : launchers) {
        auto status = wait_exit(p);
        ASSERT_TRUE(status.has_value());
        ASSERT_TRUE(WIFEXITED(*status));
        if (WEXITSTATUS(*status) == 0) ++won;
        else if (WEXITSTATUS(*status) == 1) ++refused;
    }
    EXPECT_EQ(won, 1);
    EXPECT_EQ(refused, n - 1);
    ASSERT_TRUE(wait_for_file(path("d.pid")));
    const pid_t winner = pid_in(path("d.pid"));
    ASSERT_GT(winner, 0);
    record(winner);
    EXPECT_TRUE(lock_held(path("d.pid")));
    int naming_winner = 0;
    for (const auto& e : errs)
        if (slurp(e).find("already running (pid " + std::to_string(winner) + ")") != std::string::npos) ++naming_winner;
    EXPECT_EQ(naming_winner, n - 1);
}

// ---- daemonize_or_throw: the caller gets the failure --------------------------

TEST_F(Daemonize, OrThrowGivesEachFailureItsType) {
    struct Case {
        std::vector<std::string> kv;
        std::vector<std::string> env;
        std::string caught;
    };
    const auto missing = path("missing");
    const std::vector<Case> cases{
        {{"chdir=" + missing.string()}, {}, "caught StartupError step=chdir path=" + missing.string()},
        {{"umask=01000"}, {}, "caught OptionError: "},
        {{"timeout_ms=300"}, {"DAEMONIKER_TEST_STALL=redirect_stdout"}, "caught StartupTimeout step=wait for the daemon's report"},
        {{"chdir=" + dir_.string()}, {"DAEMONIKER_TEST_FAIL=pid_file_write"},
         "caught StartupError step=write PID file path=" + path("d.pid").string()},
    };
    for (const auto& c : cases) {
        auto r = run(helper("daemonize_or_throw", path("d.pid"), path("report"), c.kv), c.env);
        EXPECT_EQ(r.status, 5) << r.err;
        EXPECT_EQ(r.out.rfind(c.caught, 0), 0u) << r.out;
        EXPECT_NE(r.out.find("\ncarried on\n"), std::string::npos) << r.out;
        EXPECT_EQ(r.err, "");
        EXPECT_FALSE(std::filesystem::exists(path("report")));
        EXPECT_FALSE(std::filesystem::exists(path("d.pid")));
    }
    // A PID file the library refuses (a symbolic link): PidFileError.
    std::filesystem::create_symlink(path("target"), path("d.pid"));
    auto r = run(helper("daemonize_or_throw", path("d.pid"), path("report")));
    EXPECT_EQ(r.status, 5) << r.err;
    EXPECT_EQ(r.out, "caught PidFileError path=" + path("d.pid").string() + "\ncarried on\n");
    EXPECT_FALSE(std::filesystem::exists(path("target")));
}

// ---- failures: one line naming step, path and reason; nothing left behind --

class DaemonizeFails : public ProcessTest {
protected:
    void expect_failure(const std::vector<std::string>& kv, const std::string& expected,
                        const std::filesystem::path& pid_file, const std::vector<std::string>& env = {}) {
        auto r = run(helper("daemonize", pid_file, path("report"), kv), env);
        EXPECT_EQ(r.status, 1) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_EQ(r.err.rfind("daemoniker: ", 0), 0u) << r.err;
        EXPECT_NE(r.err.find(expected), std::string::npos) << "stderr: " << r.err << "expected: " << expected;
        EXPECT_EQ(r.out, "");
        EXPECT_FALSE(std::filesystem::exists(path("report")));
        if (!pid_file.empty() && !std::filesystem::is_directory(pid_file)) {
            EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(pid_file))) << pid_file;
        }
        // TearDown fails the test if any process is left.
    }
};

TEST_F(DaemonizeFails, PidFileInMissingDirectory) {
    const auto pid_file = path("nowhere/d.pid");
    expect_failure({}, "open PID file '" + pid_file.string() + "': No such file or directory", pid_file);
}

TEST_F(DaemonizeFails, PidFileIsADirectory) {
    const auto pid_file = path("dir.pid");
    std::filesystem::create_directory(pid_file);
    expect_failure({}, "open PID file '" + pid_file.string() + "': not a regular file (refused)", pid_file);
    EXPECT_TRUE(std::filesystem::is_directory(pid_file));
}

TEST_F(DaemonizeFails, PidFileIsASymlink) {
    const auto pid_file = path("link.pid");
    const auto target = path("target");
    std::filesystem::create_symlink(target, pid_file);
    auto r = run(helper("daemonize", pid_file, path("report")));
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("open PID file '" + pid_file.string() + "': is a symbolic link (refused)"), std::string::npos)
        << r.err;
    EXPECT_FALSE(std::filesystem::exists(target)); // the link was not followed
    EXPECT_TRUE(std::filesystem::is_symlink(pid_file));
}

TEST_F(DaemonizeFails, ThreadsAreRefusedUnlessAllowed) {
#ifndef DAEMONIKER_PORTABLE_POSIX
    expect_failure({"threads=2"}, "already runs 2 other thread(s)", path("d.pid"));
#else
    // The weaker guarantee: without /proc/self/task the library cannot count
    // the threads, and the check is skipped. The daemon starts (with only the
    // thread that forked), as if allow_threads had been set.
    auto unchecked = start_ok(path("d.pid"), path("unchecked-report"), {"threads=2"});
    ASSERT_FALSE(unchecked.empty());
    record(std::stoi(unchecked["pid"]));
    ASSERT_TRUE(stop(std::stoi(unchecked["pid"])).has_value());
#endif
    auto rep = start_ok(path("d.pid"), path("report"), {"threads=2", "allow_threads=1"});
    ASSERT_FALSE(rep.empty());
    record(std::stoi(rep["pid"]));
}

TEST_F(Daemonize, ExistingStdinFileIsReadAndOutputsAreCreated) {
    const auto in = path("in.txt");
    std::ofstream(in) << "input\n";
    auto rep = start_ok(path("d.pid"), path("report"),
                        {"stdin=" + in.string(), "stdout=" + path("out.log").string(),
                         "stderr=" + path("err.log").string()});
    ASSERT_FALSE(rep.empty());
    record(std::stoi(rep["pid"]));
    EXPECT_EQ(rep["fd0"], in.string());
    EXPECT_EQ(rep["fd1"], path("out.log").string());
    EXPECT_EQ(rep["fd2"], path("err.log").string());
    EXPECT_EQ(slurp(in), "input\n");
}

// reopen_streams() follows the same rule: a stdin file removed since the
// start is an error naming it, not a new empty file. Run in a child in the
// foreground mode; the child reports by its exit status.
TEST_F(Daemonize, ReopenStreamsRefusesAMissingStdin) {
    const auto in = path("in.txt");
    std::ofstream(in) << "input\n";
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int code = 10;
        try {
            daemoniker::daemonize(path("d.pid"), {.stdin_goto = in, .detach = daemoniker::Detach::never});
            std::filesystem::remove(in);
            code = daemoniker::reopen_streams() ? 11 : 12;
        } catch (const daemoniker::Error& e) {
            const std::string what = e.what();
            const bool names_it = what == "cannot reopen stdin on '" + in.string() + "': No such file or directory";
            code = e.code() == std::errc::no_such_file_or_directory && names_it ? 0 : 13;
        } catch (...) {
            code = 14;
        }
        ::_exit(code);
    }
    const auto status = wait_exit(child);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status));
    EXPECT_EQ(WEXITSTATUS(*status), 0) << "11: reopened (created the file), 13: other error";
    EXPECT_FALSE(std::filesystem::exists(in));
}

// Bad input: refused before anything is forked.
TEST_F(DaemonizeFails, BadOptions) {
    expect_failure({"umask=01000"}, "umask 01000 is outside 0 to 0777", path("d.pid"));
    expect_failure({"umask=-1"}, "umask -1 is outside 0 to 0777", path("d.pid"));
    expect_failure({"fallback=-5"}, "fd_fallback_limit -5 is negative", path("d.pid"));
    expect_failure({"timeout_ms=0"}, "success_timeout 0 ms is not positive", path("d.pid"));
    expect_failure({"shield=999"}, "shielded_fds: descriptor 999 is not open", path("d.pid"));
    expect_failure({"shield=-2"}, "shielded_fds: descriptor -2 is negative", path("d.pid"));
    expect_failure({}, "PID file: the path is empty", "");
    expect_failure({"rmcwd=1"}, "cannot be made absolute", "relative.pid");
}

// Every step, made to fail by the test build's injection seam.
class EveryStep : public DaemonizeFails, public ::testing::WithParamInterface<const char*> {};

TEST_P(EveryStep, FailsWithItsNameAndLeavesNothing) {
    const std::string key = GetParam();
    const std::map<std::string, std::string> names{
        {"report_channel", "create report pipe"}, {"fork", "fork"}, {"setsid", "setsid"},
        {"fork_again", "second fork"}, {"chdir", "chdir '" + dir_.string() + "'"},
        {"pid_file_open", "open PID file '" + path("d.pid").string() + "'"},
        {"pid_file_lock", "lock PID file '" + path("d.pid").string() + "'"},
        {"pid_file_write", "write PID file '" + path("d.pid").string() + "'"},
        {"close_fds", "close inherited descriptors"}, {"redirect_stdin", "redirect stdin '/dev/null'"},
        {"redirect_stdout", "redirect stdout '/dev/null'"}, {"redirect_stderr", "redirect stderr '/dev/null'"},
        {"report", "report to the original process"}};
    expect_failure({"chdir=" + dir_.string()}, names.at(key) + ": Input/output error", path("d.pid"),
                   {"DAEMONIKER_TEST_FAIL=" + key});
}

INSTANTIATE_TEST_SUITE_P(Steps, EveryStep,
                         ::testing::Values("report_channel", "fork", "setsid", "fork_again", "chdir", "pid_file_open",
                                           "pid_file_lock", "pid_file_write", "close_fds", "redirect_stdin",
                                           "redirect_stdout", "redirect_stderr", "report"));

} // namespace
} // namespace test
