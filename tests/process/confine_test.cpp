// Options::user, group, chroot and core_dumps of the library's own daemon,
// with real processes: the helper daemonizes with them, and the test looks
// at the daemon from outside (/proc/PID/root, /cwd, the PID file's lock) and
// at what the daemon reports about itself (ids, groups, RLIMIT_CORE, the
// dumpable flag). The user is a real one, made for the test (TestUser).

#include "support.hpp"

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace test {
namespace {

class Confine : public ProcessTest {
protected:
    // Starts the helper's daemon; its report (read at `read_at`, where the
    // report path lands for the test) or empty when the start failed.
    std::map<std::string, std::string> start(std::vector<std::string> kv, const std::filesystem::path& report,
                                             std::filesystem::path read_at = {}) {
        const auto r = run(helper("daemonize", path("d.pid"), report, std::move(kv)));
        EXPECT_EQ(r.status, 0) << r.err;
        if (r.status != 0) return {};
        auto rep = read_report(read_at.empty() ? report : read_at);
        if (!rep.empty()) record(std::stoi(rep["pid"]));
        return rep;
    }
    // A start that fails: one line naming `expected`, no daemon, no report,
    // no PID file.
    void expect_failure(std::vector<std::string> kv, const std::string& expected,
                        const std::vector<std::string>& env = {}) {
        const auto r = run(helper("daemonize", path("d.pid"), path("report"), std::move(kv)), env);
        EXPECT_EQ(r.status, 1) << r.err;
        EXPECT_EQ(r.err, "daemoniker: " + expected + "\n");
        EXPECT_FALSE(std::filesystem::exists(path("report")));
        EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(path("d.pid"))));
    }
    static std::string link_of(const std::string& p) {
        std::error_code ec;
        return std::filesystem::read_symlink(p, ec).string();
    }
};

TEST_F(Confine, CoreDumpsOffZeroesBothLimitsAndClearsDumpable) {
    const auto rep = start({"core=off"}, path("report"));
    ASSERT_FALSE(rep.empty());
    EXPECT_EQ(rep.at("core"), "0:0"); // the hard limit too: the daemon cannot raise it again
#ifndef DAEMONIKER_PORTABLE_POSIX
    EXPECT_EQ(rep.at("dumpable"), "0"); // not even through a core_pattern pipe
#else
    EXPECT_EQ(rep.at("dumpable"), "1"); // the weaker guarantee: the limit alone
#endif
    EXPECT_TRUE(stop(std::stoi(rep.at("pid"))).has_value());
}

TEST_F(Confine, CoreDumpsUnsetKeepWhatWasInherited) {
    const auto rep = start({"core_soft0=1"}, path("report"));
    ASSERT_FALSE(rep.empty());
    EXPECT_EQ(rep.at("core").substr(0, 2), "0:");
    EXPECT_EQ(rep.at("dumpable"), "1");
    EXPECT_TRUE(stop(std::stoi(rep.at("pid"))).has_value());
}

TEST_F(Confine, CoreDumpsOnRaiseTheSoftLimit) {
    const auto rep = start({"core_soft0=1", "core=on"}, path("report"));
    ASSERT_FALSE(rep.empty());
    const auto core = rep.at("core");
    const auto colon = core.find(':');
    ASSERT_NE(colon, std::string::npos) << core;
    if (::geteuid() == 0) EXPECT_EQ(core, "unlimited:unlimited"); // root may raise the hard limit too
    else EXPECT_EQ(core.substr(0, colon), core.substr(colon + 1));
    EXPECT_EQ(rep.at("dumpable"), "1");
    EXPECT_TRUE(stop(std::stoi(rep.at("pid"))).has_value());
}

TEST_F(Confine, InjectedCoreDumpFailureIsNamed) {
    expect_failure({"core=off"}, "cannot start daemon: set core dumps: Input/output error",
                   {"DAEMONIKER_TEST_FAIL=core_dumps"});
}

TEST_F(Confine, ChrootComesAfterThePidFileAndTheStreams) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (chroot)";
    const auto jail = path("jail");
    std::filesystem::create_directories(jail / "work");
    const auto out = path("out.log"); // outside the new root: opened before it
    // The report path is the daemon's, inside the new root; a name of its own
    // so a daemon that did not change root would not hide it in the host's /.
    const std::string inside = "/dmnk-report-" + std::to_string(::getpid());
    const auto rep = start({"chroot=" + jail.string(), "chdir=work", "stdout=" + out.string(), "say=1"}, inside,
                           jail / inside.substr(1));
    std::filesystem::remove(inside); // only there if the daemon did not change root
    ASSERT_FALSE(rep.empty());
    const pid_t pid = std::stoi(rep.at("pid"));
    EXPECT_EQ(link_of("/proc/" + std::to_string(pid) + "/root"), jail.string());
    EXPECT_EQ(link_of("/proc/" + std::to_string(pid) + "/cwd"), (jail / "work").string());
    EXPECT_EQ(rep.at("cwd"), "/work"); // chdir is a directory inside the new root
    EXPECT_TRUE(lock_held(path("d.pid")));
    EXPECT_EQ(pid_in(path("d.pid")), pid);
    EXPECT_TRUE(wait_for_content(out, "daemon stdout line"));
    EXPECT_TRUE(stop(pid).has_value());
    // The daemon could not remove the file from outside its root: it stays,
    // unlocked, for the next start to take over.
    EXPECT_FALSE(lock_held(path("d.pid")));
    const auto again = start({}, path("report"));
    ASSERT_FALSE(again.empty());
    EXPECT_EQ(pid_in(path("d.pid")), std::stoi(again.at("pid")));
    EXPECT_TRUE(stop(std::stoi(again.at("pid"))).has_value());
}

TEST_F(Confine, ChrootFailureNamesTheDirectoryAndLeavesNothing) {
    const auto missing = path("missing");
    expect_failure({"chroot=" + missing.string()},
                   "cannot start daemon: chroot '" + missing.string() + "': No such file or directory");
    expect_failure({"chroot=" + dir_.string()}, "cannot start daemon: chroot '" + dir_.string() + "': Input/output error",
                   {"DAEMONIKER_TEST_FAIL=chroot"});
}

TEST_F(Confine, UnknownUserIsRefusedBeforeAnythingStarts) {
    expect_failure({"user=dmnk-no-such-user"}, "user: no such user 'dmnk-no-such-user'");
    expect_failure({"group=dmnk-no-such-group"}, "group: no such group 'dmnk-no-such-group'");
}

class ConfineUser : public Confine {
protected:
    void SetUp() override {
        Confine::SetUp();
        user.emplace("-lib");
        if (!user->skip.empty()) GTEST_SKIP() << user->skip;
        ASSERT_EQ(user->error, "");
        // The report directory is the user's; the PID file's stays root's.
        ::chmod(dir_.c_str(), 0755);
        out_ = path("out");
        std::filesystem::create_directory(out_);
        ASSERT_EQ(::chown(out_.c_str(), user->uid, user->gid), 0);
    }
    void TearDown() override {
        Confine::TearDown(); // no process of the user is left after this
        user.reset();
    }
    std::optional<TestUser> user;
    std::filesystem::path out_;
};

TEST_F(ConfineUser, DaemonRunsAsTheUserWithItsGroupsOnly) {
    const auto log = path("root-only.log"); // opened as root, before the drop
    const auto rep = start({"user=" + user->name, "stdout=" + log.string(), "say=1"}, out_ / "report");
    ASSERT_FALSE(rep.empty());
    const auto uid = std::to_string(user->uid);
    const auto gid = std::to_string(user->gid);
    EXPECT_EQ(rep.at("uid"), uid);
    EXPECT_EQ(rep.at("euid"), uid);
    EXPECT_EQ(rep.at("gid"), gid);
    EXPECT_EQ(rep.at("egid"), gid);
    EXPECT_EQ(rep.at("groups"), gid); // root's groups are gone
    EXPECT_EQ(rep.at("dumpable"), "0"); // the kernel's guard after a change of credentials
    struct stat st {};
    ASSERT_EQ(::stat(log.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_TRUE(wait_for_content(log, "daemon stdout line"));
    EXPECT_TRUE(lock_held(path("d.pid")));
    const pid_t pid = std::stoi(rep.at("pid"));
    // /proc shows all four ids of each kind: real, effective, saved, file system.
    const auto status = slurp("/proc/" + std::to_string(pid) + "/status");
    EXPECT_NE(status.find("Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n"), std::string::npos) << status;
    EXPECT_TRUE(stop(pid).has_value());
}

TEST_F(ConfineUser, CoreDumpsOnSetDumpableAgainAfterTheDrop) {
    const auto rep = start({"user=" + user->name, "core=on"}, out_ / "report");
    ASSERT_FALSE(rep.empty());
    EXPECT_EQ(rep.at("uid"), std::to_string(user->uid));
#ifndef DAEMONIKER_PORTABLE_POSIX
    EXPECT_EQ(rep.at("dumpable"), "1");
#else
    EXPECT_EQ(rep.at("dumpable"), "0"); // without PR_SET_DUMPABLE the kernel's guard stays
#endif
    EXPECT_EQ(rep.at("core"), "unlimited:unlimited");
    EXPECT_TRUE(stop(std::stoi(rep.at("pid"))).has_value());
}

TEST_F(ConfineUser, GroupAloneKeepsTheUser) {
    const auto rep = start({"group=" + user->name}, out_ / "report");
    ASSERT_FALSE(rep.empty());
    EXPECT_EQ(rep.at("uid"), "0");
    EXPECT_EQ(rep.at("gid"), std::to_string(user->gid));
    EXPECT_EQ(rep.at("groups"), std::to_string(user->gid));
    EXPECT_TRUE(stop(std::stoi(rep.at("pid"))).has_value());
}

// Detach::never: the calling process confines itself, after its PID file
// and its streams, and daemonize() returns in it.
TEST_F(ConfineUser, ForegroundDaemonConfinesItself) {
    const auto argv = helper("daemonize", path("d.pid"), out_ / "report",
                             {"detach=never", "user=" + user->name, "core=off"});
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    record(pid);
    const auto rep = read_report(out_ / "report");
    ASSERT_FALSE(rep.empty());
    EXPECT_EQ(rep.at("pid"), std::to_string(pid)); // no fork: the process itself
    EXPECT_EQ(rep.at("uid"), std::to_string(user->uid));
    EXPECT_EQ(rep.at("groups"), std::to_string(user->gid));
    EXPECT_EQ(rep.at("core"), "0:0");
    EXPECT_EQ(rep.at("dumpable"), "0");
    EXPECT_TRUE(lock_held(path("d.pid")));
    EXPECT_TRUE(stop(pid).has_value());
}

TEST_F(ConfineUser, FailedDropNamesTheCallAndLeavesNothing) {
    expect_failure({"user=" + user->name},
                   "cannot start daemon: drop privileges to uid " + std::to_string(user->uid) + ", gid " +
                       std::to_string(user->gid) + ": setgid: Input/output error",
                   {"DAEMONIKER_TEST_FAIL=drop_privileges"});
}

} // namespace
} // namespace test
