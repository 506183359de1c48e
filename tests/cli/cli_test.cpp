// The `daemoniker` command end to end: the real binary starts the test
// program (tests/helpers/notify_program.cpp), and the tests check what runs,
// what the PID file says, and what the command prints and returns.
//
// The test process is a child subreaper (ProcessTest), so every daemon ends
// up as its child: it is reaped, and a test that leaves one fails.

#include "cli_support.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <poll.h>
#include <spawn.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace test {
namespace {

// ---- start / status / send / stop ------------------------------------------

TEST_F(Cli, StartStatusSendStopOfASleepingProgram) {
    const auto report = path("report");
    auto r = cli({"start", "--pid-file", pid_file().string(), "--", program(), "serve", report.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
    auto rep = read_report(report);
    ASSERT_FALSE(rep.empty());
    const pid_t pid = std::stoi(rep["pid"]);
    record(pid);
    // The PID file holds the program's own PID, locked by the program itself.
    EXPECT_EQ(slurp(pid_file()), std::to_string(pid) + "\n");
    EXPECT_TRUE(lock_held(pid_file()));
    // Detached: a session of its own, of which it is not the leader; its
    // lock keeper, its parent, leads it.
    EXPECT_NE(std::stoi(rep["sid"]), ::getsid(0));
    EXPECT_NE(std::stoi(rep["sid"]), pid);
    EXPECT_EQ(std::stoi(rep["sid"]), std::stoi(rep["ppid"]));
    // 0-2 and the PID file, kept across the exec, with the lock held by the program.
    expect_only_standard_fds(rep);
    EXPECT_EQ(rep["fd0"], "/dev/null");
    EXPECT_EQ(rep["fd1"], "/dev/null");
    EXPECT_EQ(rep["env_NOTIFY_SOCKET"], "<unset>");

    r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(running_pid(pid)), std::string::npos) << r.out;
    EXPECT_EQ(lines(r.out), 1u);

    r = cli({"send", pid_file().string(), "CONT"}); // harmless to the program, proves delivery does not fail
    EXPECT_EQ(r.status, 0) << r.err;

    r = cli({"stop", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "");
    const int status = reaped(pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << status;
    EXPECT_FALSE(exists(pid_file())); // the program could not remove it; stop did

    r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 3) << r.out;
    EXPECT_NE(r.out.find("not running (no PID file)"), std::string::npos) << r.out;
}

TEST_F(Cli, SendDeliversNamedAndNumberedSignals) {
    const auto log = path("signals.log");
    const pid_t pid = start_ready({"log-signals", log.string()});
    ASSERT_GT(pid, 0);
    auto r = cli({"send", pid_file().string(), "usr1"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(wait_for_content(log, "got SIGUSR1\n"));
    r = cli({"send", pid_file().string(), std::to_string(SIGHUP)});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(wait_for_content(log, "got SIGHUP\n"));
    r = cli({"send", pid_file().string(), "SIGTERM"});
    EXPECT_EQ(r.status, 0) << r.err;
    const int status = reaped(pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    // The program is gone, and its lock keeper removed the file: nothing is
    // sent, status 1.
    EXPECT_FALSE(exists(pid_file()));
    r = cli({"send", pid_file().string(), "TERM"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("not sent"), std::string::npos) << r.err;
    r = cli({"stop", pid_file().string()});
    EXPECT_EQ(r.status, 1) << r.err;
}

TEST_F(Cli, OptionsReachTheProgram) {
    const auto report = path("report");
    const auto out = path("out.log");
    const auto err = path("err.log");
    const auto work = path("work");
    std::filesystem::create_directory(work);
    const int extra = ::open("/dev/null", O_RDONLY); // inherited, not close-on-exec: --keep-fd passes it on
    ASSERT_GE(extra, 3);
    const int dropped = ::open("/dev/null", O_RDONLY); // inherited too, but not kept
    auto r = cli({"start", "--pid-file", pid_file().string(), "--chdir", work.string(), "--umask", "0077", "--stdout",
                  out.string(), "--stderr", err.string(), "--env", "DAEMONIKER_X=a=b c", "--keep-fd",
                  std::to_string(extra), "--", program(), "serve", report.string()});
    ::close(extra);
    ::close(dropped);
    ASSERT_EQ(r.status, 0) << r.err;
    auto rep = read_report(report);
    ASSERT_FALSE(rep.empty());
    record(std::stoi(rep["pid"]));
    EXPECT_EQ(rep["cwd"], work.string());
    EXPECT_EQ(rep["umask"], "77");
    EXPECT_EQ(rep["fd1"], out.string());
    EXPECT_EQ(rep["fd2"], err.string());
    EXPECT_EQ(rep["env_DAEMONIKER_X"], "a=b c");
    EXPECT_EQ(rep["cloexec" + std::to_string(extra)], "0") << rep["fds"];
    EXPECT_EQ(rep["cloexec" + std::to_string(dropped)], "") << rep["fds"];
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
}

// CLI11 takes an argument in brackets apart ("[a,b]" as "a" and "b") where
// several values are accepted, as for the program and its arguments; the
// command passes every argument on as it was typed. Both through the
// reader of start's plain lines and through CLI11 (restart; start with the
// PID file attached to -p, a form left to CLI11).
TEST_F(Cli, ArgumentsInBracketsReachTheProgramAsTyped) {
    const auto out = path("args");
    const std::string script = "printf '%s|' \"$@\" \"$B\" > " + out.string() + "; exec sleep 60";
    const std::vector<std::string> program_args{"[x]", "[a,b]", "--env=[y]", "[]"};
    const std::vector<std::vector<std::string>> lines{
        {"start", "--pid-file", pid_file().string(), "--env", "B=[1,2]", "--"},
        {"start", "-p" + pid_file().string(), "--env", "B=[1,2]", "--"},
        {"restart", "--pid-file", pid_file().string(), "--env", "B=[1,2]", "--"},
    };
    for (auto line : lines) {
        SCOPED_TRACE(line[0] + " " + line[1]);
        std::filesystem::remove(out);
        line.insert(line.end(), {"/bin/sh", "-c", script, "sh"});
        line.insert(line.end(), program_args.begin(), program_args.end());
        auto r = cli(line);
        ASSERT_EQ(r.status, 0) << r.err;
        record(pid_in(pid_file()));
        std::string text;
        for (int i = 0; i < 500 && text.empty(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            std::ifstream in(out);
            std::getline(in, text);
        }
        EXPECT_EQ(text, "[x]|[a,b]|--env=[y]|[]|[1,2]|");
        EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    }
}

TEST_F(Cli, ProgramIsFoundOnThePathOfItsEnvironment) {
    const auto bin = path("bin");
    std::filesystem::create_directory(bin);
    std::filesystem::create_symlink(program(), bin / "my-daemon");
    const auto report = path("report");
    auto r = cli({"start", "--pid-file", pid_file().string(), "--env", "PATH=" + bin.string(), "--", "my-daemon",
                  "serve", report.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    auto rep = read_report(report);
    ASSERT_FALSE(rep.empty());
    record(std::stoi(rep["pid"]));
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);

    r = cli({"start", "--pid-file", pid_file().string(), "--env", "PATH=" + bin.string(), "--", "no-such-daemon"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("'no-such-daemon' was not found on PATH (" + bin.string() + ")"), std::string::npos) << r.err;
}

// ---- failures leave nothing behind -----------------------------------------

TEST_F(Cli, ExecFailureIsReportedAndLeavesNothing) {
    auto r = cli({"start", "--pid-file", pid_file().string(), "--", path("missing").string(), "arg"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "daemoniker: start: cannot start program: execute '" + path("missing").string() +
                         "': No such file or directory\n");
    EXPECT_FALSE(exists(pid_file()));

    const auto plain = path("plain");
    std::ofstream(plain) << "not a program\n";
    ::chmod(plain.c_str(), 0644);
    r = cli({"start", "--pid-file", pid_file().string(), "--", plain.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("execute '" + plain.string() + "': Permission denied"), std::string::npos) << r.err;
    EXPECT_EQ(lines(r.err), 1u);
    EXPECT_FALSE(exists(pid_file()));

    ::chmod(plain.c_str(), 0755); // executable, but neither ELF nor #!: ENOEXEC, no shell fallback
    r = cli({"start", "--pid-file", pid_file().string(), "--", plain.string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("Exec format error"), std::string::npos) << r.err;
    EXPECT_FALSE(exists(pid_file()));
    // ProcessTest::TearDown fails the test if a process was left.
}

TEST_F(Cli, MissingDirectoriesAreReported) {
    auto r = cli({"start", "--pid-file", pid_file().string(), "--chdir", path("nowhere").string(), "--", program(),
                  "never-ready"});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "daemoniker: start: cannot start daemon: chdir '" + path("nowhere").string() +
                         "': No such file or directory\n");
    EXPECT_FALSE(exists(pid_file()));

    const auto nested = path("nowhere") / "d.pid";
    r = cli({"start", "--pid-file", nested.string(), "--", program(), "never-ready"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("open PID file '" + nested.string() + "'"), std::string::npos) << r.err;

    r = cli({"start", "--pid-file", pid_file().string(), "--stdout", (path("nowhere") / "out.log").string(), "--",
             program(), "never-ready"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("redirect stdout"), std::string::npos) << r.err;
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(Cli, StopOfAStaleFileRemovesItAndReportsNothingToStop) {
    std::ofstream(pid_file()) << dead_pid() << "\n";
    auto r = cli({"stop", pid_file().string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("not running"), std::string::npos) << r.err;
    EXPECT_FALSE(exists(pid_file()));
    r = cli({"stop", pid_file().string()});
    EXPECT_EQ(r.status, 1);
    EXPECT_EQ(r.err, "daemoniker: stop: not running (no PID file '" + pid_file().string() + "')\n");
}

TEST_F(Cli, LockEndsWithTheProgramEvenWhenItsChildrenLive) {
    const auto child_file = path("child");
    const pid_t pid = start_ready({"fork-child", child_file.string()});
    ASSERT_GT(pid, 0);
    ASSERT_TRUE(wait_for_file(child_file));
    const pid_t child = pid_in(child_file);
    ASSERT_GT(child, 0);
    record(child); // reparented to us once the program ends
    // The lock is its keeper's, which ends with the program, not with the
    // program's children; the keeper removes the file.
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    reaped(pid);
    EXPECT_FALSE(exists(pid_file()));
    auto r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 3) << r.out;
    // A new start is not blocked by the orphan.
    const auto report = path("report");
    r = cli({"start", "--pid-file", pid_file().string(), "--", program(), "serve", report.string()});
    EXPECT_EQ(r.status, 0) << r.err;
    if (r.status == 0) record(std::stoi(read_report(report)["pid"]));
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
}

// The keeper killed with SIGKILL cannot remove the file nor stop the program.
TEST_F(Cli, KeeperKilledWithSigkillTakesTheProgramAlong) {
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    const pid_t keeper = keeper_of(pid);
    ASSERT_GT(keeper, 0);
    ASSERT_EQ(::kill(keeper, SIGKILL), 0);
    const auto killed = wait_exit(keeper); // this subreaper's child
    ASSERT_TRUE(killed.has_value());
    EXPECT_TRUE(WIFSIGNALED(*killed) && WTERMSIG(*killed) == SIGKILL) << *killed;
    keepers_.erase(pid);
#ifndef DAEMONIKER_PORTABLE_POSIX
    // PR_SET_PDEATHSIG(SIGKILL): the program ends with its keeper, so the
    // file, left behind unlocked, never names a running program.
    const auto status = wait_exit(pid); // reparented to this subreaper
    ASSERT_TRUE(status.has_value());
    recorded_.erase(pid);
    EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << *status;
    const auto r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("dead, stale PID file"), std::string::npos) << r.out;
#else
    // The weaker guarantee: without PR_SET_PDEATHSIG the program outlives
    // its keeper, and its PID file, unlocked now, names a live process.
    // Nothing believes the file: status calls it unverified, and stop
    // refuses to signal; the program must be stopped by other means.
    EXPECT_TRUE(runs(pid));
    auto r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("running, unverified (pid " + std::to_string(pid) + "): the PID file is not locked"),
              std::string::npos)
        << r.out;
    r = cli({"stop", pid_file().string()});
    EXPECT_EQ(r.status, 4) << r.err;
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    EXPECT_TRUE(wait_exit(pid).has_value()); // reparented to this subreaper
    recorded_.erase(pid);
#endif
}

// Signals meant for the program's session, a terminal or every process of a
// name do not end the keeper: it ignores them, so the program keeps its
// locked PID file. Sent to the keeper alone, several times over.
TEST_F(Cli, KeeperIgnoresStraySignals) {
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    const pid_t keeper = keeper_of(pid);
    ASSERT_GT(keeper, 0);
    for (int round = 0; round < 3; ++round)
        for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTSTP, SIGTTIN,
                        SIGTTOU, SIGVTALRM, SIGPROF, SIGXFSZ, SIGRTMIN, SIGRTMAX})
            ASSERT_EQ(::kill(keeper, sig), 0) << sig;
    // A signal that ended it would have ended it by now; the status is asked
    // through the PID file, which needs the keeper's lock.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_TRUE(runs(keeper));
    EXPECT_TRUE(runs(pid));
    const auto r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out;
    // "(pid N, up ...)"; "(pid N)" in the portable build, which has no uptime.
    const std::string running = ": running (pid " + std::to_string(pid);
    const auto at = r.out.find(running);
    ASSERT_NE(at, std::string::npos) << r.out;
    EXPECT_TRUE(r.out.compare(at + running.size(), 1, ",") == 0 || r.out.compare(at + running.size(), 1, ")") == 0)
        << r.out;
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
}

// ---- stop schedules ---------------------------------------------------------

TEST_F(Cli, RetryEscalatesToKillOnSchedule) {
    const pid_t pid = start_ready({"ignore-term"});
    ASSERT_GT(pid, 0);
    const auto t0 = clock::now();
    auto r = cli({"stop", pid_file().string(), "--retry", "TERM/1/KILL/5"});
    const auto elapsed = clock::now() - t0;
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_GE(elapsed, 1s);      // TERM was ignored for the whole second ...
    EXPECT_LT(elapsed, 4s);      // ... then KILL ended it at once
    const int status = reaped(pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(Cli, BareNumberRetryMeansSignalThenKill) {
    const pid_t pid = start_ready({"ignore-term"});
    ASSERT_GT(pid, 0);
    auto r = cli({"stop", pid_file().string(), "--signal", "sigterm", "--retry", "0.2"});
    EXPECT_EQ(r.status, 0) << r.err;
    const int status = reaped(pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
}

TEST_F(Cli, ScheduleThatEndsBeforeTheExitFailsWithStatus2) {
    const pid_t pid = start_ready({"ignore-term"});
    ASSERT_GT(pid, 0);
    auto r = cli({"stop", pid_file().string(), "--retry", "TERM/0.2"});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("still running after the schedule SIGTERM/0.2"), std::string::npos) << r.err;
    EXPECT_TRUE(lock_held(pid_file()));
    r = cli({"stop", pid_file().string(), "--signal", "KILL", "--retry", "forever/KILL/1"});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(WTERMSIG(reaped(pid)), SIGKILL);
}

// ---- readiness ----------------------------------------------------------------

TEST_F(Cli, WaitReadyReturnsOnceTheProgramSentReady) {
    const auto t0 = clock::now();
    const pid_t pid = start_ready({"ready-after", "300"});
    EXPECT_GE(clock::now() - t0, 300ms);
    ASSERT_GT(pid, 0);
    EXPECT_TRUE(lock_held(pid_file()));
    // The private socket and its directory are gone once start returned.
    const auto env = slurp("/proc/" + std::to_string(pid) + "/environ");
    const auto at = env.find("NOTIFY_SOCKET=");
    ASSERT_NE(at, std::string::npos);
    const std::filesystem::path socket = env.substr(at + 14, env.find('\0', at) - at - 14);
    EXPECT_FALSE(exists(socket)) << socket;
    EXPECT_FALSE(exists(socket.parent_path())) << socket;
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
}

TEST_F(Cli, WaitReadyTimesOutAndStopsTheProgram) {
    const auto t0 = clock::now();
    auto r = cli({"start", "--pid-file", pid_file().string(), "--wait-ready", "--timeout", "0.5", "--", program(),
                  "never-ready"});
    EXPECT_GE(clock::now() - t0, 500ms);
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("did not report readiness (READY=1) within 0.5s (its last status: \"stuck\"); it was stopped"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(exists(pid_file()));
    // TearDown: no process may be left (it was killed and reaped by start, or by us).
}

TEST_F(Cli, WaitReadyReportsAProgramThatExitsEarly) {
    const auto err = path("err.log");
    std::ofstream(err) << "an old line from an earlier run\n";
    auto r = cli({"start", "--pid-file", pid_file().string(), "--wait-ready", "--stderr", err.string(), "--",
                  program(), "exit-early", "3"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("daemoniker: start: the program (pid "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(ended_before_ready("with status 3") + "\n"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("  last lines of " + err.string() + ":\n    starting up\n    fatal: no configuration file\n"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("old line"), std::string::npos) << r.err;
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(Cli, WaitReadyReportsErrno) {
    auto r = cli({"start", "--pid-file", pid_file().string(), "--wait-ready", "--", program(), "errno", "98"});
    EXPECT_EQ(r.status, 1);
    EXPECT_NE(r.err.find("reported a failure before it was ready: ERRNO=98 (Address already in use), status \"cannot "
                         "bind\"; it was stopped"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(Cli, ProgramThatClosesEveryDescriptorKeepsItsLock) {
    // Programs that close every inherited descriptor at start-up are common;
    // the lock is not theirs to lose.
    const pid_t pid = start_ready({"close-fds"});
    ASSERT_GT(pid, 0);
    auto r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("running (pid " + std::to_string(pid)), std::string::npos) << r.out;
    r = cli({"start", "--pid-file", pid_file().string(), "--", program(), "never-ready"});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
    reaped(pid);
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(Cli, WaitReadyPassesReadinessOnToItsOwnSupervisor) {
    // We play systemd: the command runs with our NOTIFY_SOCKET, as the main
    // process of a Type=notify unit would.
    const auto address = path("systemd-notify");
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, address.c_str(), sizeof sa.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa), 0);
    auto r = cli({"start", "--pid-file", pid_file().string(), "--wait-ready", "--", program(), "ready-after", "50"},
                 {"NOTIFY_SOCKET=" + address.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    const pid_t pid = pid_in(pid_file());
    record(pid);
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    char buf[512];
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    ::close(fd);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)),
              "READY=1\nMAINPID=" + std::to_string(pid) + "\nSTATUS=serving\n");
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
}

TEST_F(Cli, WaitReadyInterruptedStopsTheProgram) {
    // Started in the background, so that we can interrupt it as a Ctrl-C would.
    int err[2];
    ASSERT_EQ(::pipe2(err, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    const std::string cli_path = DAEMONIKER_CLI;
    const std::string pid_path = pid_file().string();
    const std::string prog = program();
    const char* argv[] = {cli_path.c_str(), "start", "--pid-file", pid_path.c_str(), "--wait-ready", "--",
                          prog.c_str(), "never-ready", nullptr};
    pid_t cli_pid = -1;
    ASSERT_EQ(::posix_spawn(&cli_pid, argv[0], &actions, nullptr, const_cast<char* const*>(argv), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(err[1]);
    // The PID file exists once the daemon runs; by then start holds SIGINT
    // for its wait, so the signal cannot come too early.
    ASSERT_TRUE(wait_for_file(pid_file()));
    ASSERT_EQ(::kill(cli_pid, SIGINT), 0);
    std::string message;
    char buf[4096];
    for (pollfd p{err[0], POLLIN, 0}; ::poll(&p, 1, 20000) > 0;) {
        const auto n = ::read(err[0], buf, sizeof buf);
        if (n <= 0) break;
        message.append(buf, static_cast<std::size_t>(n));
    }
    ::close(err[0]);
    const auto status = wait_exit(cli_pid);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << *status;
    EXPECT_NE(message.find("interrupted by SIGINT while waiting for the program (pid "), std::string::npos) << message;
    EXPECT_NE(message.find("to be ready; it was stopped"), std::string::npos) << message;
    EXPECT_FALSE(exists(pid_file()));
    // TearDown: no process left.
}

// ---- restart ------------------------------------------------------------------

TEST_F(Cli, RestartStopsAndStartsWithTheSameArguments) {
    const std::vector<std::string> args{"restart", "--retry", "TERM/5/KILL/5", "--pid-file", pid_file().string(),
                                        "--wait-ready", "--", program(), "ready-after", "10"};
    auto r = cli(args); // nothing runs yet: restart just starts
    ASSERT_EQ(r.status, 0) << r.err;
    const pid_t first = pid_in(pid_file());
    record(first);
    r = cli(args);
    ASSERT_EQ(r.status, 0) << r.err;
    const pid_t second = pid_in(pid_file());
    record(second);
    EXPECT_NE(first, second);
    EXPECT_EQ(WTERMSIG(reaped(first)), SIGTERM);
    EXPECT_TRUE(lock_held(pid_file()));
    // Bad start options are refused before anything is stopped.
    r = cli({"restart", "--pid-file", pid_file().string(), "--umask", "999", "--", program(), "never-ready"});
    EXPECT_EQ(r.status, 64);
    EXPECT_EQ(pid_in(pid_file()), second);
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
}

// ---- interoperability -------------------------------------------------------

const char* ssd() {
    for (const char* p : {"/usr/sbin/start-stop-daemon", "/sbin/start-stop-daemon"})
        if (::access(p, X_OK) == 0) return p;
    return nullptr;
}

TEST_F(Cli, InteropStartStopDaemonStop) {
    if (ssd() == nullptr) GTEST_SKIP() << "start-stop-daemon is not installed";
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    // (No --retry: start-stop-daemon polls with kill(pid, 0), which a zombie
    // passes, and nobody but us reaps here.)
    auto r = run({ssd(), "--stop", "--pidfile", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out << r.err;
    EXPECT_EQ(WTERMSIG(reaped(pid)), SIGTERM);
    // Its lock keeper removed the file.
    r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 3) << r.out;
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(Cli, StopsADaemonOfTheLibrary) {
    // A program that daemonizes itself with the library (OFD lock, removes
    // its own file at exit) is stopped the same way.
    auto r = run(helper("daemonize", pid_file(), path("report")));
    ASSERT_EQ(r.status, 0) << r.err;
    const pid_t pid = std::stoi(read_report(path("report"))["pid"]);
    record(pid);
    r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out;
    r = cli_reaping({"stop", pid_file().string()}, {pid}); // the daemon is this subreaper's child
    EXPECT_EQ(r.status, 0) << r.err;
    const int status = reaped(pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status; // it handled SIGTERM and cleaned up
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(Cli, InteropPkillByPidFile) {
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    // -L: pkill insists that the PID file is locked, as ours are.
    auto r = run({"/usr/bin/pkill", "-L", "-F", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(WTERMSIG(reaped(pid)), SIGTERM);
}

TEST_F(Cli, InteropStatusOfAStartStopDaemonPidFile) {
    if (ssd() == nullptr) GTEST_SKIP() << "start-stop-daemon is not installed";
    auto r = run({ssd(), "--start", "--background", "--make-pidfile", "--pidfile", pid_file().string(), "--exec",
                  program(), "--", "never-ready"});
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_TRUE(wait_for_file(pid_file()));
    ASSERT_TRUE(wait_for_content(pid_file(), "\n"));
    const pid_t pid = pid_in(pid_file());
    ASSERT_GT(pid, 0);
    record(pid);
    EXPECT_FALSE(lock_held(pid_file()));
    // Not locked, but alive and older than the file: running, labelled unverified.
    r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("running, unverified (pid " + std::to_string(pid)), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("not locked"), std::string::npos) << r.out;
    r = cli({"status", "--strict", pid_file().string()});
    EXPECT_EQ(r.status, 4) << r.out;
    // Signalling needs the lock: refused, nothing sent.
    r = cli({"stop", pid_file().string()});
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_NE(r.err.find("refusing to signal"), std::string::npos) << r.err;
    r = cli({"send", pid_file().string(), "TERM"});
    EXPECT_EQ(r.status, 4) << r.err;
    // Nor is it taken over: that would start a second instance.
    r = cli({"start", "--pid-file", pid_file().string(), "--", program(), "never-ready"});
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find("already running, unverified (pid " + std::to_string(pid) + ")"), std::string::npos) << r.err;
    EXPECT_EQ(pid_in(pid_file()), pid);
    EXPECT_FALSE(wait_exit(pid, 100ms).has_value()); // still running
    r = run({ssd(), "--stop", "--pidfile", pid_file().string()});
    EXPECT_EQ(r.status, 0) << r.err;
    reaped(pid);
    // Dead now (a zombie until we reaped it): the file is stale.
    r = cli({"status", pid_file().string()});
    EXPECT_EQ(r.status, 1) << r.out;
}

TEST_F(Cli, StatusTellsAReusedPidFromTheDaemon) {
    // An unlocked file naming a live process that started after the file was
    // written: the PID was reused, the daemon is dead.
    const pid_t pid = start_ready({"ready-after", "0"});
    ASSERT_GT(pid, 0);
    const auto other = path("other.pid");
    std::ofstream(other) << pid << "\n";
    std::filesystem::last_write_time(other, std::filesystem::last_write_time(other) - std::chrono::hours(1));
    auto r = cli({"status", other.string()});
#ifndef DAEMONIKER_PORTABLE_POSIX
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("the PID was reused"), std::string::npos) << r.out;
    r = cli({"stop", other.string()});
    EXPECT_EQ(r.status, 1) << r.err; // nothing to stop; the PID is alive, so neither signalled nor removed
    EXPECT_NE(r.err.find("the PID was reused"), std::string::npos) << r.err;
#else
    // The weaker guarantee: without /proc the command cannot tell when a
    // process started, so it cannot prove the PID reused. It still believes
    // nothing the file says and signals nothing: "unverified", and stop
    // refuses (status 4) instead of reporting a dead daemon.
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("running, unverified (pid " + std::to_string(pid) + "): the PID file is not locked"),
              std::string::npos)
        << r.out;
    r = cli({"stop", other.string()});
    EXPECT_EQ(r.status, 4) << r.err;
    EXPECT_NE(r.err.find("refusing to signal: the PID file is not locked"), std::string::npos) << r.err;
    EXPECT_TRUE(runs(pid));
#endif
    EXPECT_TRUE(exists(other));
    EXPECT_EQ(cli({"stop", pid_file().string()}).status, 0);
}

// ---- command line -------------------------------------------------------------

TEST_F(Cli, HelpAndVersion) {
    for (const char* sub : {"start", "stop", "status", "send", "restart"}) {
        auto r = cli({sub, "--help"});
        EXPECT_EQ(r.status, 0) << sub;
        EXPECT_NE(r.out.find("Usage: daemoniker " + std::string(sub)), std::string::npos) << r.out;
        EXPECT_NE(r.out.find("Exit status"), std::string::npos) << r.out;
    }
    auto r = cli({"--help"});
    EXPECT_EQ(r.status, 0);
    for (const char* sub : {"start", "stop", "status", "send", "restart"})
        EXPECT_NE(r.out.find(sub), std::string::npos) << r.out;
    r = cli({"--version"});
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.out, "daemoniker 0.1.0\n");
}

TEST_F(Cli, UsageErrorsAreOneLineWithStatus64) {
    const auto pid = pid_file().string();
    const std::vector<std::vector<std::string>> bad{
        {},
        {"bogus"},
        {"start", "--", program()},
        {"start", "--pid-file", pid},
        {"start", "--pid-file", pid, "--bogus", "--", program()},
        {"start", "--pid-file", pid, "--umask", "8", "--", program()},
        {"start", "--pid-file", pid, "--umask", "01000", "--", program()},
        {"start", "--pid-file", pid, "--timeout", "0", "--", program()},
        {"start", "--pid-file", pid, "--timeout", "-1", "--", program()},
        {"start", "--pid-file", pid, "--timeout", "nan", "--", program()},
        {"start", "--pid-file", pid, "--keep-fd", "x", "--", program()},
        {"start", "--pid-file", pid, "--keep-fd", "77", "--", program()}, // not open
        {"start", "--pid-file", pid, "--env", "NOEQUALS", "--", program()},
        {"start", "--pid-file", pid, "--stdout", pid, "--", program()},
        {"start", "--pid-file", pid, "--user", "no-such-user-here", "--", program()},
        {"stop"},
        {"stop", pid, "--signal", "SIGNOPE"},
        {"stop", pid, "--retry", "TERM"},
        {"stop", pid, "--retry", "TERM/x"},
        {"stop", pid, "--retry", "TERM//KILL"},
        {"stop", pid, "--retry", "TERM/5/forever"},
        {"stop", pid, "--retry", "5/5"},
        {"send", pid},
        {"send", pid, "0"},
        {"send", pid, "SIG"},
        {"send", pid, "99"},
        {"status"},
    };
    for (const auto& args : bad) {
        auto r = cli(args);
        std::string line;
        for (const auto& a : args) line += a + " ";
        EXPECT_EQ(r.status, 64) << line << "\n" << r.err;
        EXPECT_EQ(lines(r.err), 1u) << line << "\n" << r.err;
        EXPECT_EQ(r.err.rfind("daemoniker: ", 0), 0u) << line << "\n" << r.err;
        EXPECT_NE(r.err.find("--help"), std::string::npos) << line << "\n" << r.err;
        EXPECT_EQ(r.out, "") << line;
    }
    EXPECT_FALSE(exists(pid_file()));
}

TEST_F(Cli, StatusOfUnreadableAndMalformedPidFiles) {
    std::filesystem::create_directory(path("dir.pid"));
    auto r = cli({"status", path("dir.pid").string()});
    EXPECT_EQ(r.status, 4) << r.out;
    EXPECT_NE(r.out.find("unknown: refusing PID file '" + path("dir.pid").string() + "': not a regular file"), std::string::npos) << r.out;
    std::filesystem::create_symlink(path("elsewhere"), path("link.pid"));
    r = cli({"status", path("link.pid").string()});
    EXPECT_EQ(r.status, 4) << r.out;
    std::ofstream(path("junk.pid")) << "not a pid\n";
    r = cli({"status", path("junk.pid").string()});
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("holds no valid PID"), std::string::npos) << r.out;
    r = cli({"send", path("junk.pid").string(), "TERM"});
    EXPECT_EQ(r.status, 4) << r.err;
}

} // namespace
} // namespace test
