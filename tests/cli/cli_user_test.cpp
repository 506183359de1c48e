// --user and --group, as root, with a real unprivileged user that each test
// creates (useradd) and removes (userdel) again.

#include "cli_support.hpp"

#include <fstream>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

namespace test {
namespace {

class CliUser : public Cli {
protected:
    void SetUp() override {
        Cli::SetUp();
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        if (::access("/usr/sbin/useradd", X_OK) != 0) GTEST_SKIP() << "useradd is not installed";
        // One user per test process: tests run in parallel and each removes its own.
        user_ = "dmnk-test-" + std::to_string(::getpid());
        const auto r = run({"/usr/sbin/useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                            "/nonexistent", "--shell", "/usr/sbin/nologin", user_});
        ASSERT_EQ(r.status, 0) << r.err;
        created_ = true;
        const passwd* pw = ::getpwnam(user_.c_str());
        ASSERT_NE(pw, nullptr);
        uid_ = pw->pw_uid;
        gid_ = pw->pw_gid;
        // The test directory (0700) must be reachable by the user; it stays
        // writable by root alone, so only root can remove the PID file.
        ::chmod(dir_.c_str(), 0755);
        out_ = path("out");
        std::filesystem::create_directory(out_);
        ASSERT_EQ(::chown(out_.c_str(), uid_, gid_), 0);
    }
    void TearDown() override {
        Cli::TearDown(); // no process of the user is left after this
        if (created_) {
            const auto r = run({"/usr/sbin/userdel", user_});
            EXPECT_EQ(r.status, 0) << r.err;
        }
    }

    std::string user_;
    bool created_ = false;
    uid_t uid_ = 0;
    gid_t gid_ = 0;
    std::filesystem::path out_;
};

TEST_F(CliUser, ProgramRunsAsTheUserAndThePidFileStaysTheInvokers) {
    const auto report = out_ / "report";
    const pid_t pid = start_ready({"serve", report.string()}, {"--user", user_});
    ASSERT_GT(pid, 0);
    auto rep = read_report(report);
    ASSERT_FALSE(rep.empty());
    EXPECT_EQ(rep["uid"], std::to_string(uid_));
    EXPECT_EQ(rep["gid"], std::to_string(gid_));
    EXPECT_EQ(rep["groups"], std::to_string(gid_)); // root's groups are gone
    EXPECT_EQ(rep["env_USER"], user_);
    EXPECT_EQ(rep["env_LOGNAME"], user_);
    EXPECT_EQ(rep["env_HOME"], "/nonexistent");
    expect_only_standard_fds(rep);
    // The user may read the file (through its group), not write it: it
    // names their program, and only root may make it name anything else.
    struct stat st {};
    ASSERT_EQ(::stat(pid_file().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, gid_);
    EXPECT_EQ(st.st_mode & 0777, 0640u); // 0644 under the default umask 027
    // The readiness socket was handed to the user (start_ready used --wait-ready).
    const auto r = cli({"stop", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.err;
    reaped(pid);
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliUser, GroupAloneKeepsTheUser) {
    const auto report = out_ / "report";
    const pid_t pid = start_ready({"serve", report.string()}, {"--group", user_});
    ASSERT_GT(pid, 0);
    auto rep = read_report(report);
    EXPECT_EQ(rep["uid"], "0");
    EXPECT_EQ(rep["gid"], std::to_string(gid_));
    EXPECT_EQ(rep["groups"], std::to_string(gid_));
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
}

TEST_F(CliUser, ExecFailureAfterTheDropLeavesNothing) {
    // Root may run this script; the user may not.
    const auto script = path("root-only.sh");
    std::ofstream(script) << "#!/bin/sh\nexec sleep 1000\n";
    ::chmod(script.c_str(), 0700);
    const auto r = cli({"start", "--pid-file", pid_file().string(), "--user", user_, "--", script.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "daemoniker: start: cannot start program: execute '" + script.string() + "': Permission denied\n");
    // The daemon, no longer root, could not remove the file from this root-owned
    // directory: the original process did.
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliUser, OnlyRootSwitchesUsers) {
    if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv is not installed";
    const auto r = run({"/usr/bin/setpriv", "--reuid", std::to_string(uid_), "--regid", std::to_string(gid_),
                        "--clear-groups", DAEMONIKER_CLI, "start", "--pid-file", (out_ / "d.pid").string(), "--user",
                        "root", "--", program(), "never-ready"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "daemoniker: start: --user/--group: only root can run the program as another user or group\n");
}

} // namespace
} // namespace test
