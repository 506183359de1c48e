// The PID file names the daemon and nothing else, for as long as the daemon
// runs: what programs do to their own PID file does not cost the lock, only
// PID files are taken over, the lock and liveness are the process's (its
// thread group), and a failed start leaves none of the program's children.
// (The trust rule against other users is in cli_user_test.cpp and in the
// hostile-file matrix of tests/reliability.)

#include "cli_support.hpp"

#include <fcntl.h>
#include <fstream>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>

namespace test {
namespace {

class CliTrust : public Cli {
protected:
    static void write_file(const std::filesystem::path& p, const std::string& content, mode_t mode = 0644) {
        std::ofstream(p, std::ios::binary) << content;
        ::chmod(p.c_str(), mode);
    }
};

TEST_F(CliTrust, ProgramThatReadsRewritesAndClosesItsPidFileKeepsItsLock) {
    const pid_t pid = start_ready({"own-pid-file", pid_file().string()});
    ASSERT_GT(pid, 0);
    EXPECT_EQ(pid_in(pid_file()), pid);
    auto r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out.rfind(pid_file().string() + ": running (pid " + std::to_string(pid), 0), 0u) << r.out;
    // A second instance is refused.
    r = cli({"start", "--pid-file", pid_file().string(), "--", program(), "never-ready"});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("already running (pid " + std::to_string(pid) + ")"), std::string::npos) << r.err;
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    EXPECT_EQ(WTERMSIG(reaped(pid)), SIGTERM);
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliTrust, ShellThatReadsItsPidFileAndExecsAgainKeepsItsLock) {
    // The reproduction, made deterministic: the shell signals when
    // it has read the file, then execs the program.
    const auto done = path("read");
    auto r = cli({"start", "--pid-file", pid_file().string(), "--", "/bin/sh", "-c",
                  "read x < " + pid_file().string() + "; echo \"$x\" > " + done.string() + "; exec sleep 1000"});
    ASSERT_EQ(r.status, 0) << r.err;
    const pid_t pid = pid_in(pid_file());
    ASSERT_GT(pid, 0);
    record(pid);
    ASSERT_TRUE(wait_for_content(done, "\n"));
    EXPECT_EQ(slurp(done), std::to_string(pid) + "\n");
    r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(r.out.find("unverified"), std::string::npos) << r.out;
    r = cli({"start", "--pid-file", pid_file().string(), "--", "/bin/sleep", "1000"});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
}

TEST_F(CliTrust, MainThreadThatExitedWhileOthersRunStillCountsAsRunning) {
    const pid_t pid = start_ready({"main-thread-exits"});
    ASSERT_GT(pid, 0);
    auto r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out;
    r = cli({"stop", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(WTERMSIG(reaped(pid)), SIGTERM);
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliTrust, FileThatIsNotAPidFileIsNeitherTakenOverNorRemoved) {
    const auto conf = path("app.conf");
    std::string text;
    for (int i = 0; i < 300; ++i) text += "service-" + std::to_string(i) + "\t" + std::to_string(1000 + i) + "/tcp\n";
    write_file(conf, text);
    auto r = cli({"start", "--pid-file", conf.string(), "--", "/bin/sleep", "1000"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "daemoniker: start: cannot start daemon: open PID file '" + conf.string() +
                         "': not a PID file: it holds more than one PID line, or has more than one link (refused, "
                         "left untouched)\n");
    EXPECT_EQ(slurp(conf), text);
    r = cli({"stop", conf.string()});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(slurp(conf), text);
    EXPECT_EQ(cli({"status", conf.string()}).status, 1);
    EXPECT_EQ(slurp(conf), text);
}

TEST_F(CliTrust, PidFileWithASecondLinkIsNotTakenOver) {
    write_file(pid_file(), std::to_string(dead_pid()) + "\n");
    const auto other = path("other-name");
    ASSERT_EQ(::link(pid_file().c_str(), other.c_str()), 0);
    const auto before = slurp(other);
    const auto r = cli({"start", "--pid-file", pid_file().string(), "--", "/bin/sleep", "1000"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("not a PID file"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(other), before);
    EXPECT_EQ(slurp(pid_file()), before);
}

TEST_F(CliTrust, StalePidFileIsStillTakenOver) {
    write_file(pid_file(), std::to_string(dead_pid()) + "\n");
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    EXPECT_EQ(pid_in(pid_file()), pid);
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
}

TEST_F(CliTrust, FailedStartLeavesNoneOfTheProgramsChildren) {
    const auto child_file = path("child");
    const auto r = cli({"start", "--wait-ready", "--timeout", "1", "--pid-file", pid_file().string(), "--", "/bin/sh",
                        "-c", "sleep 1012 & echo $! > " + child_file.string() + "; exec sleep 1000"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("did not report readiness"), std::string::npos) << r.err;
    ASSERT_TRUE(wait_for_content(child_file, "\n"));
    const pid_t child = pid_in(child_file);
    ASSERT_GT(child, 0);
    EXPECT_FALSE(runs(child)) << "the program's child " << child << " was left running";
    if (runs(child)) {
        record(child); // reparented to this subreaper: teardown ends it
    }
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliTrust, StopSignalsTheProgramAloneOrWithItsProcessGroup) {
    for (const bool group : {false, true}) {
        const auto child_file = path(group ? "child-group" : "child-alone");
        auto r = cli({"start", "--pid-file", pid_file().string(), "--", "/bin/sh", "-c",
                      "sleep 1013 & echo $! > " + child_file.string() + "; exec sleep 1000"});
        ASSERT_EQ(r.status, 0) << r.err;
        const pid_t pid = pid_in(pid_file());
        ASSERT_GT(pid, 0);
        record(pid);
        ASSERT_TRUE(wait_for_content(child_file, "\n"));
        const pid_t child = pid_in(child_file);
        ASSERT_GT(child, 0);
        record(child); // once the program ends, it is reparented to this subreaper
        std::vector<std::string> args{"stop", pid_file().string()};
        if (group) args.push_back("--process-group");
#ifdef DAEMONIKER_PORTABLE_POSIX
        if (group && ::geteuid() == 0) {
            // Without /proc root cannot check the group's members: refused
            // (CliUser.StopOfTheProcessGroupRefusesAGroupThatHoldsRootsKeeper).
            // Stopped as a user would: each member signalled on its own.
            r = cli(args);
            EXPECT_EQ(r.status, 4) << r.err;
            EXPECT_NE(r.err.find("nothing was sent (refused)"), std::string::npos) << r.err;
            EXPECT_TRUE(runs(pid));
            ::kill(child, SIGTERM);
            args.pop_back();
        }
#endif
        // The child becomes this subreaper's once the program ends.
        r = cli_reaping(args, {child});
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(WTERMSIG(reaped(pid)), SIGTERM);
        // By default the program's children are left to the program (as
        // start-stop-daemon and KillMode=process do); --process-group ends them.
        EXPECT_EQ(runs(child), !group) << (group ? "--process-group" : "default");
        if (group) {
            EXPECT_TRUE(reaped_early_.count(child) != 0 || wait_exit(child).has_value());
            recorded_.erase(child);
        }
        EXPECT_FALSE(exists(pid_file()));
    }
}

TEST_F(CliTrust, FifoAsStdoutFailsAtOnceNamingTheStep) {
    const auto fifo = path("out.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
    const auto r =
        cli({"start", "--pid-file", pid_file().string(), "--stdout", fifo.string(), "--", "/bin/sleep", "1000"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "daemoniker: start: cannot start daemon: redirect stdout '" + fifo.string() +
                         "': a FIFO that no process has open for reading\n");
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliTrust, StartSaysWhoRemovedThePidFile) {
    // The program becomes ready late; meanwhile somebody removes its PID file.
    Result r;
    std::thread starter([&] {
        r = cli({"start", "--pid-file", pid_file().string(), "--wait-ready", "--", program(), "ready-after", "400"});
    });
    const bool appeared = wait_for_file(pid_file());
    const pid_t pid = appeared ? pid_in(pid_file()) : -1;
    if (appeared) std::filesystem::remove(pid_file());
    starter.join();
    ASSERT_TRUE(appeared);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "daemoniker: start: the program (pid " + std::to_string(pid) + ") runs, but its PID file '" +
                         pid_file().string() + "' was removed by another process; the program was stopped\n");
}

TEST_F(CliTrust, FileLockedWithFlockIsInUse) {
    write_file(pid_file(), std::to_string(dead_pid()) + "\n");
    const int fd = ::open(pid_file().c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0); // as flock(1) would
    const auto before = slurp(pid_file());
    auto r = cli({"start", "--pid-file", pid_file().string(), "--", "/bin/sleep", "1000"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("locked by another process, but not with a daemon's lock"), std::string::npos) << r.err;
    EXPECT_EQ(slurp(pid_file()), before);
    r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 4) << r.out;
    EXPECT_NE(r.out.find("not with a daemon's lock"), std::string::npos) << r.out;
    ::close(fd);
    // A running daemon's file is flock(2)ed too, so flock(1) users see it in use.
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    const int probe = ::open(pid_file().c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(probe, 0);
    EXPECT_EQ(::flock(probe, LOCK_EX | LOCK_NB), -1);
    EXPECT_EQ(errno, EWOULDBLOCK);
    ::close(probe);
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
}

TEST_F(CliTrust, StopWithoutAFreeDescriptorSaysSo) {
#ifdef DAEMONIKER_TEST_SANITIZED
    GTEST_SKIP() << "a sanitizer's runtime needs descriptors of its own";
#endif
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    // The limit leaves one free descriptor number: the PID file's, and none
    // to pin the daemon with. (Descriptors are limited by number: the
    // lowest free one decides.)
    const auto r = run({"/bin/sh", "-c",
                        "fd=3; while [ -e /proc/$$/fd/$fd ]; do fd=$((fd + 1)); done; "
                        "ulimit -n $((fd + 1)) && exec \"$0\" stop \"$1\"",
                        DAEMONIKER_CLI, pid_file().string()});
#ifndef DAEMONIKER_PORTABLE_POSIX
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_EQ(r.err, "daemoniker: stop: cannot read PID file '" + pid_file().string() + "': Too many open files\n");
    EXPECT_EQ(cli({"status", pid_file().string()}).status, 0); // nothing was signalled
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
#else
    // Without pidfds the daemon is pinned by its PID alone (kill() right
    // after the lock check), so the one free descriptor, the PID file's, is
    // all stop needs: it goes through.
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
#endif
    reaped(pid);
}

} // namespace
} // namespace test
