// --user and --group, as root, with a real unprivileged user that each test
// creates (useradd) and removes (userdel) again (TestUser).

#include "cli_support.hpp"

#include <daemoniker/signals.hpp>

#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>

namespace test {
namespace {

class CliUser : public Cli {
protected:
    void SetUp() override {
        Cli::SetUp();
        user.emplace();
        if (!user->skip.empty()) GTEST_SKIP() << user->skip;
        ASSERT_EQ(user->error, "");
        user_ = user->name;
        uid_ = user->uid;
        gid_ = user->gid;
        // The test directory (0700) must be reachable by the user; it stays
        // writable by root alone, so only root can remove the PID file.
        ::chmod(dir_.c_str(), 0755);
        out_ = path("out");
        std::filesystem::create_directory(out_);
        ASSERT_EQ(::chown(out_.c_str(), uid_, gid_), 0);
    }
    void TearDown() override {
        Cli::TearDown(); // no process of the user is left after this
        user.reset();
    }

    std::optional<TestUser> user;
    std::string user_;
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
    // The user may read the file, not write it: it names their program, and
    // only root may make it name anything else.
    struct stat st {};
    ASSERT_EQ(::stat(pid_file().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, 0u);
    EXPECT_EQ(st.st_mode & 0777, 0644u); // whatever the umask (027 by default)
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

// A process of this test that waits: the "victim" an attacker would aim
// root's signals at. Recorded, so teardown ends it.
pid_t start_victim() {
    const pid_t victim = ::fork();
    if (victim == 0) {
        ::alarm(60);
        for (;;) ::pause();
    }
    return victim;
}

TEST_F(CliUser, ProgramCannotAimRootsStopAtAnotherProcess) {
    const pid_t victim = start_victim();
    ASSERT_GT(victim, 0);
    record(victim);
    // The program, as the user, has a child rewrite its PID file to name the
    // victim (a child: the program itself would keep any lock it held).
    const auto tried = out_ / "tried";
    auto r = cli({"start", "--pid-file", pid_file().string(), "--user", user_, "--", "/bin/sh", "-c",
                  "sh -c 'echo " + std::to_string(victim) + " > " + pid_file().string() + "' 2>/dev/null; echo $? > " +
                      tried.string() + "; exec sleep 1000"});
    ASSERT_EQ(r.status, 0) << r.err;
    const pid_t pid = pid_in(pid_file());
    ASSERT_GT(pid, 0);
    record(pid);
    ASSERT_TRUE(wait_for_content(tried, "\n"));
    EXPECT_NE(slurp(tried), "0\n"); // the write was refused
    EXPECT_EQ(pid_in(pid_file()), pid);
    r = cli({"stop", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(WTERMSIG(reaped(pid)), SIGTERM);
    EXPECT_TRUE(runs(victim)) << "root's stop reached the victim";
}

// A file the user planted, naming the victim and locked as a daemon's would
// be, in a directory the user owns: nothing believes it.
TEST_F(CliUser, PlantedAndLockedFileOfTheUserIsNotBelieved) {
    const pid_t victim = start_victim();
    ASSERT_GT(victim, 0);
    record(victim);
    const auto planted = out_ / "a.pid";
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t planter = ::fork();
    if (planter == 0) {
        // As the user: create, write and lock the file (an OFD write lock and flock).
        if (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0) ::_exit(10);
        const int fd = ::open(planted.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        const std::string line = std::to_string(victim) + "\n";
        struct flock fl {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (fd < 0 || ::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
            ::fcntl(fd, F_OFD_SETLK, &fl) != 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0)
            ::_exit(11);
        [[maybe_unused]] const auto n = ::write(ready[1], "x", 1);
        ::alarm(60);
        for (;;) ::pause();
    }
    ::close(ready[1]);
    record(planter);
    char x = 0;
    ASSERT_EQ(::read(ready[0], &x, 1), 1);
    ::close(ready[0]);
    ASSERT_TRUE(lock_held(planted));
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"status", planted.string()}, std::vector<std::string>{"stop", planted.string()},
          std::vector<std::string>{"send", planted.string(), "KILL"},
          std::vector<std::string>{"restart", "--pid-file", planted.string(), "--", "/bin/sleep", "1000"}}) {
        const auto r = cli(args);
        EXPECT_EQ(r.status, 4) << args[0] << ": " << r.out << r.err;
        EXPECT_NE((r.out + r.err).find("may be written by a user other than you and root"), std::string::npos)
            << args[0] << ": " << r.out << r.err;
    }
    std::error_code ec;
    daemoniker::send(planted, daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, daemoniker::errc::unsafe_directory);
    EXPECT_FALSE(daemoniker::is_running(planted, ec));
    EXPECT_TRUE(runs(victim)) << "the victim was signalled";
    // The same file in root's directory, still the user's: its owner is refused.
    const auto moved = path("moved.pid");
    std::filesystem::rename(planted, moved);
    const auto r = cli({"stop", moved.string()});
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_NE(r.err.find("owned by uid " + std::to_string(uid_) + " (" + user_ + ")"), std::string::npos) << r.err;
    EXPECT_TRUE(runs(victim));
}

TEST_F(CliUser, StaleFileOfAFormerUserDaemonIsNotTakenOver) {
    // Left by a daemon that ran as the user and wrote its own file: root does
    // not take it over (its owner could still rewrite it), and says why.
    std::ofstream(pid_file()) << "99999999\n";
    ASSERT_EQ(::chown(pid_file().c_str(), uid_, gid_), 0);
    const auto r = cli({"start", "--pid-file", pid_file().string(), "--", "/bin/sleep", "1000"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "daemoniker: start: cannot start daemon: open PID file '" + pid_file().string() +
                         "': owned by uid " +
                         std::to_string(uid_) + " (" + user_ +
                         "), a user other than you and root, who could make it name any process (refused)\n");
    EXPECT_EQ(slurp(pid_file()), "99999999\n");
}

TEST_F(CliUser, StreamsAreOpenedWithTheUsersRights) {
    // The user links their log to a root-only file: root would create or
    // append to it; the user may not.
    const auto secret_dir = path("root-only");
    std::filesystem::create_directory(secret_dir);
    ::chmod(secret_dir.c_str(), 0700);
    const auto keys = secret_dir / "authorized_keys";
    std::ofstream(keys) << "ssh-ed25519 AAAA root@host\n";
    ::chmod(keys.c_str(), 0600);
    for (const auto& target : {keys, secret_dir / "new-file"}) {
        const auto link = out_ / "app.log";
        std::filesystem::remove(link);
        std::filesystem::create_symlink(target, link);
        const auto r = cli({"start", "--pid-file", pid_file().string(), "--user", user_, "--stdout", link.string(),
                            "--", "/bin/sh", "-c", "echo written-by-the-program; exec sleep 1000"});
        EXPECT_EQ(r.status, 1) << r.err;
        EXPECT_EQ(r.err, "daemoniker: start: cannot start daemon: redirect stdout '" + link.string() +
                             "': Permission denied\n");
        EXPECT_FALSE(exists(pid_file()));
    }
    EXPECT_EQ(slurp(keys), "ssh-ed25519 AAAA root@host\n");
    EXPECT_FALSE(exists(secret_dir / "new-file"));
    // Where the user may write, the stream goes there.
    const auto log = out_ / "own.log";
    auto r = cli({"start", "--pid-file", pid_file().string(), "--user", user_, "--stdout", log.string(), "--",
                  "/bin/sh", "-c", "echo written-by-the-program; exec sleep 1000"});
    ASSERT_EQ(r.status, 0) << r.err;
    const pid_t pid = pid_in(pid_file());
    record(pid);
    EXPECT_TRUE(wait_for_content(log, "written-by-the-program\n"));
    struct stat st {};
    ASSERT_EQ(::stat(log.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, uid_); // created by the user, not by root
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
}

TEST_F(CliUser, StartStopDaemonStopsAUserDaemon) {
    if (::access("/usr/sbin/start-stop-daemon", X_OK) != 0 && ::access("/sbin/start-stop-daemon", X_OK) != 0)
        GTEST_SKIP() << "start-stop-daemon is not installed";
    const char* ssd = ::access("/usr/sbin/start-stop-daemon", X_OK) == 0 ? "/usr/sbin/start-stop-daemon"
                                                                         : "/sbin/start-stop-daemon";
    const pid_t pid = start_ready({"ready-after", "0"}, {"--user", user_});
    ASSERT_GT(pid, 0);
    const auto r = run({ssd, "--stop", "--pidfile", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(WTERMSIG(reaped(pid)), SIGTERM);
    EXPECT_FALSE(exists(pid_file()));
}

// A sticky directory like /tmp: the user may not replace root's entries
// there, but may put their own, symbolic links included.
class CliUserSticky : public CliUser {
protected:
    void SetUp() override {
        CliUser::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        sticky_ = path("sticky");
        std::filesystem::create_directory(sticky_);
        ::chmod(sticky_.c_str(), 01777);
        root_dir_ = path("root-only");
        std::filesystem::create_directory(root_dir_);
        ::chmod(root_dir_.c_str(), 0700);
    }
    // A symbolic link `name` in the sticky directory, made by the user.
    std::filesystem::path user_link(const std::string& name, const std::filesystem::path& target) {
        const auto link = sticky_ / name;
        const auto r = run({"/usr/bin/setpriv", "--reuid", std::to_string(uid_), "--regid", std::to_string(gid_),
                            "--clear-groups", "/bin/ln", "-s", target.string(), link.string()});
        EXPECT_EQ(r.status, 0) << r.err;
        return link;
    }
    std::filesystem::path sticky_;
    std::filesystem::path root_dir_;
};

TEST_F(CliUserSticky, UsersSymbolicLinkOnThePidFilePathIsRefused) {
    if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv is not installed";
    const auto link = user_link("app", root_dir_);
    const auto pid_path = link / "d.pid";
    auto r = cli({"start", "--pid-file", pid_path.string(), "--", "/bin/sleep", "1000"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "daemoniker: start: cannot start daemon: open PID file '" + pid_path.string() + "': its directory '" +
                         link.string() + "' is a symbolic link owned by uid " + std::to_string(uid_) + " (" + user_ +
                         "), a user other than you and root, who could point it anywhere (refused)\n");
    EXPECT_FALSE(exists(root_dir_ / "d.pid"));
    // A daemon of root's in that directory is not reached through the link either.
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    std::filesystem::rename(pid_file(), root_dir_ / "d.pid");
    for (const char* command : {"status", "stop"}) {
        r = cli({command, pid_path.string()});
        EXPECT_EQ(r.status, 4) << command << ": " << r.out << r.err;
        EXPECT_NE((r.out + r.err).find("is a symbolic link owned by uid"), std::string::npos) << r.out << r.err;
    }
    EXPECT_TRUE(runs(pid));
    std::filesystem::rename(root_dir_ / "d.pid", pid_file());
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
}

TEST_F(CliUserSticky, StreamsOfARootProgramAreNotOpenedThroughTheUsersLinks) {
    if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv is not installed";
    // Without --user the program runs as root, and its streams are opened as
    // root: a path the user controls is refused, never followed.
    const auto victim = root_dir_ / "victim";
    std::ofstream(victim) << "root's data\n";
    ::chmod(victim.c_str(), 0600);
    const auto link = user_link("out.log", victim);
    auto r = cli({"start", "--pid-file", pid_file().string(), "--stdout", link.string(), "--", "/bin/sh", "-c",
                  "echo appended-by-root; exec sleep 1000"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "daemoniker: start: cannot start daemon: redirect stdout '" + link.string() +
                         "': a symbolic link owned by uid " + std::to_string(uid_) + " (" + user_ +
                         "), a user other than you and root, who could point it anywhere (refused)\n");
    EXPECT_EQ(slurp(victim), "root's data\n");
    // A log directory of the user's, likewise.
    r = cli({"start", "--pid-file", pid_file().string(), "--stderr", (out_ / "new.log").string(), "--", "/bin/sleep",
             "1000"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("redirect stderr '" + (out_ / "new.log").string() + "': its directory '" + out_.string() +
                         "' (owner uid " + std::to_string(uid_)),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(exists(out_ / "new.log"));
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliUser, StartDoesNotShowARootOnlyFileForTheProgramsStderrTail) {
    // The program (as the user) replaces its stderr log with a link to a
    // root-only file and fails: start, as root, must not print that file.
    const auto secret = path("secret");
    std::ofstream(secret) << "root-only secret: hunter2\n";
    ::chmod(secret.c_str(), 0600);
    const auto err = out_ / "err.log";
    const auto r = cli({"start", "--user", user_, "--wait-ready", "--timeout", "5", "--stderr", err.string(),
                        "--pid-file", pid_file().string(), "--", "/bin/sh", "-c",
                        "echo starting >&2; rm -f " + err.string() + "; ln -s " + secret.string() + " " +
                            err.string() + "; exit 1"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err.find("hunter2"), std::string::npos) << r.err;
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliUser, StopOfTheProcessGroupRefusesAGroupThatHoldsRootsKeeper) {
    const pid_t pid = start_ready({"join-parent-group"}, {"--user", user_});
    ASSERT_GT(pid, 0);
    const pid_t keeper = keeper_of(pid);
    ASSERT_GT(keeper, 0);
    auto r = cli({"stop", "--process-group", "--retry", "TERM/1/KILL/2", pid_file().string()});
    EXPECT_EQ(r.status, 4) << r.err;
#ifndef DAEMONIKER_PORTABLE_POSIX
    EXPECT_NE(r.err.find("also holds a process of uid 0; nothing was sent (refused)"), std::string::npos) << r.err;
#else
    // Without /proc the members of a group are unknown: root's
    // --process-group is refused whatever the group holds.
    EXPECT_NE(r.err.find("(no /proc), and root's signal would reach them all; nothing was sent (refused)"),
              std::string::npos)
        << r.err;
#endif
    EXPECT_TRUE(runs(keeper));
    EXPECT_TRUE(runs(pid));
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    EXPECT_EQ(WTERMSIG(reaped(pid)), SIGTERM);
}

// With --chroot the streams are opened before it, with root's rights under
// the trust rule for root's files; the program then runs as the user inside.
TEST_F(CliUser, ChrootedProgramRunsAsTheUser) {
    if (std::string(DAEMONIKER_STATIC_PROGRAM).empty()) GTEST_SKIP() << "no statically linked program on this system";
    const auto jail = path("jail");
    std::filesystem::create_directories(jail / "bin");
    std::filesystem::copy_file(DAEMONIKER_STATIC_PROGRAM, jail / "bin" / "prog");
    const auto log = path("root.log");
    const auto r = cli({"start", "--pid-file", pid_file().string(), "--user", user_, "--chroot", jail.string(),
                        "--stdout", log.string(), "--", "/bin/prog"});
    ASSERT_EQ(r.status, 0) << r.err;
    const pid_t pid = pid_in(pid_file());
    ASSERT_GT(pid, 0);
    record(pid);
    std::error_code ec;
    EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/root", ec), jail);
    EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/fd/1", ec), log);
    const auto status = slurp("/proc/" + std::to_string(pid) + "/status");
    const auto uid = std::to_string(uid_);
    EXPECT_NE(status.find("Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\n"), std::string::npos) << status;
    struct stat st {};
    ASSERT_EQ(::stat(log.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u); // created by root, before the drop
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(CliUser, OnlyRootSwitchesUsers) {
    if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "setpriv is not installed";
    const auto r = run({"/usr/bin/setpriv", "--reuid", std::to_string(uid_), "--regid", std::to_string(gid_),
                        "--clear-groups", DAEMONIKER_CLI, "start", "--pid-file", (out_ / "d.pid").string(), "--user",
                        "root", "--", program(), "never-ready"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "daemoniker: start: cannot start daemon: drop privileges: only root can run the daemon as another "
                     "user or group\n");
}

} // namespace
} // namespace test
