// Invocations of the `daemoniker` command racing each other on one PID file:
// two stops of one daemon, a stop or many status queries during a start that
// takes a stale file over, eight restarts at once. These races used to end in
// a spurious exit status 4 ("the PID file is locked, but pid N has exited"),
// a few times in a hundred rounds: while a lock keeper removes its file, and
// while a start rewrites a stale one, the file is locked without naming a
// live process for an instant, and readers now read it again.
//
// Each round runs the real command several times at once, then checks that
// every invocation ended in an outcome docs/cli.md documents for that race,
// that the outcomes agree with what runs afterwards, and that nothing is
// left: what still runs is stopped with the command, and every lock keeper
// (reparented to this subreaper) is waited for.
//
// Each test prints its counts on a line starting with "FIGURE ".
// DAEMONIKER_CLI_RACE_ROUNDS sets the rounds (default 100).

#include "cli_support.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace test {
namespace {

int rounds() {
    const char* v = std::getenv("DAEMONIKER_CLI_RACE_ROUNDS");
    const int n = v != nullptr ? std::atoi(v) : 0;
    return n > 0 ? n : 100;
}

// Rounds that failed before a test gives up (the counts stay readable).
constexpr int max_failed_rounds = 5;

void figure(const std::string& line) { std::cout << "FIGURE " << line << std::endl; }

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Closes a descriptor.
class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    UniqueFd& operator=(UniqueFd&&) = delete;
    ~UniqueFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    [[nodiscard]] int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_;
};

class CliRace : public Cli {
protected:
    // A command started without waiting for it; its streams go to files.
    struct Launched {
        pid_t pid = -1;
        std::vector<std::string> argv;
        std::filesystem::path out;
        std::filesystem::path err;
    };
    // What a round ran, and how each invocation ended.
    struct Ran {
        std::string what;
        Result result;
    };

    Launched launch(std::vector<std::string> args, const std::string& name) {
        args.insert(args.begin(), DAEMONIKER_CLI);
        Launched l{-1, args, path(name + ".out"), path(name + ".err")};
        std::vector<std::string> env;
        for (char** e = environ; *e != nullptr; ++e)
            if (std::strncmp(*e, "DAEMONIKER_TEST_", 16) != 0) env.emplace_back(*e); // no fault from outside
        std::vector<char*> cargv;
        std::vector<char*> cenv;
        for (auto& a : args) cargv.push_back(a.data());
        for (auto& e : env) cenv.push_back(e.data());
        cargv.push_back(nullptr);
        cenv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, l.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, l.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int rc = ::posix_spawn(&l.pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) {
            ADD_FAILURE() << "posix_spawn: " << std::strerror(rc);
            l.pid = -1;
        }
        return l;
    }

    // Waits for a launched command until `deadline`; a command still running
    // then is a failure, and is killed (our own child, started by this test).
    Result finish(const Launched& l, clock::time_point deadline) {
        Result r;
        if (l.pid <= 0) return r;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        auto status = wait_exit(l.pid, std::max(left, std::chrono::milliseconds(0)));
        if (!status) {
            ADD_FAILURE() << "'" << describe(l.argv) << "' (pid " << l.pid << ") did not end in time";
            ::kill(l.pid, SIGKILL);
            status = wait_exit(l.pid, 5s);
        }
        r.status = status ? decode(*status) : -1;
        r.out = slurp(l.out);
        r.err = slurp(l.err);
        return r;
    }

    using Commands = std::vector<std::vector<std::string>>;

    // Starts every command of `first`; then, if `second` is not empty,
    // waits until `trigger` polls readable and starts those. Waits for all
    // of them; their results come in that order.
    std::vector<Ran> together(const Commands& first, const Commands& second = {}, int trigger = -1) {
        std::vector<Launched> launched;
        for (const auto& command : first) launched.push_back(launch(command, "c" + std::to_string(launched.size())));
        if (!second.empty()) {
            pollfd p{trigger, POLLIN, 0};
            EXPECT_EQ(::poll(&p, 1, 10000), 1) << "the event that starts the second group did not happen";
            for (const auto& command : second)
                launched.push_back(launch(command, "c" + std::to_string(launched.size())));
        }
        const auto deadline = clock::now() + 30s;
        std::vector<Ran> ran;
        for (const auto& l : launched)
            ran.push_back({describe(std::vector<std::string>(l.argv.begin() + 1, l.argv.end())), finish(l, deadline)});
        return ran;
    }

    // A descriptor that polls readable once the PID file was written (a
    // start taking it over modifies it in place).
    UniqueFd watch_writes() {
        UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        EXPECT_TRUE(watch) << "inotify_init1: " << std::strerror(errno);
        if (watch) {
            EXPECT_GE(::inotify_add_watch(watch.get(), pid_file().c_str(), IN_MODIFY), 0) << std::strerror(errno);
        }
        return watch;
    }
    // A descriptor that polls readable once `pid` has exited (before its
    // keeper removes the PID file).
    static UniqueFd watch_exit(pid_t pid) {
        UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        EXPECT_TRUE(pidfd) << "pidfd_open: " << std::strerror(errno);
        return pidfd;
    }

    static std::string describe(const std::vector<std::string>& argv) {
        std::string s;
        for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
        return s;
    }
    static std::string describe(const Ran& r) {
        return "'" + r.what + "' exited " + std::to_string(r.result.status) + ", stdout \"" + r.result.out +
               "\", stderr \"" + r.result.err + "\"";
    }

    // A stale PID file: it names a process that has exited, mode 0644, and
    // nobody locks it.
    pid_t write_stale_file() {
        const pid_t gone = dead_pid();
        std::ofstream(pid_file(), std::ios::trunc) << gone << "\n";
        ::chmod(pid_file().c_str(), 0644);
        return gone;
    }

    // The children of this process (lock keepers reparented to it), zombies
    // included.
    static std::set<pid_t> children() {
        std::set<pid_t> kids;
        std::error_code ec;
        for (const auto& task :
             std::filesystem::directory_iterator("/proc/" + std::to_string(::getpid()) + "/task", ec)) {
            std::istringstream in(slurp(task.path() / "children"));
            pid_t p = 0;
            while (in >> p) kids.insert(p);
        }
        return kids;
    }

    // How a child of this process ended, and whether it had ended already
    // (a zombie) when it was found.
    struct Ended {
        int status = -1;
        bool zombie = false;
    };

    // Waits, with a deadline, for every child but `except` (a daemon's
    // keeper that stays): lock keepers whose programs ended, which end a
    // moment later, and those of failed starts, which have ended.
    std::map<pid_t, Ended> reap_ended(pid_t except = -1) {
        std::map<pid_t, Ended> ended;
        const auto deadline = clock::now() + 10s;
        for (;;) {
            auto kids = children();
            kids.erase(except);
            if (kids.empty()) return ended;
            const pid_t kid = *kids.begin();
            const bool zombie = state_of(kid) == 'Z';
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
            if (const auto status = wait_exit(kid, std::max(left, std::chrono::milliseconds(0)))) {
                ended[kid] = {*status, zombie};
                continue;
            }
            ADD_FAILURE() << "process " << kid << " (parent of "
                          << slurp("/proc/" + std::to_string(kid) + "/task/" + std::to_string(kid) + "/children")
                          << ") was left running";
            return ended;
        }
    }

    // Expects that no process of this test remains, but `except`.
    void expect_nothing_left(pid_t except = -1) {
        for (const auto& [pid, how] : reap_ended(except))
            ADD_FAILURE() << "process " << pid << " was left behind; it ended with wait status " << how.status;
    }

    static char state_of(pid_t pid) {
        const auto stat = slurp("/proc/" + std::to_string(pid) + "/stat");
        const auto close = stat.rfind(')');
        return close == std::string::npos || close + 2 >= stat.size() ? '?' : stat[close + 2];
    }

    static bool ended_by_sigterm(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM; }

    // The daemon the PID file names, if `status` says it runs: its PID
    // (recorded, with its keeper), else -1.
    pid_t running_daemon() {
        const auto r = cli({"status", pid_file().string()});
        if (r.status != 0) return -1;
        const pid_t pid = pid_in(pid_file());
        EXPECT_GT(pid, 0) << r.out;
        EXPECT_TRUE(contains(r.out, running_pid(pid))) << r.out;
        const char state = pid > 0 ? state_of(pid) : '?';
        EXPECT_TRUE(state != '?' && state != 'Z') << "pid " << pid << " is not alive (state " << state << ")";
        if (pid > 0) record(pid);
        return pid;
    }

    // Stops a recorded daemon with the command; expects it ended by SIGTERM
    // and took its PID file along.
    void stop_daemon(pid_t pid) {
        const auto r = cli({"stop", pid_file().string()});
        EXPECT_EQ(r.status, 0) << r.err;
        const int status = reaped(pid);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "wait status " << status;
        EXPECT_FALSE(exists(pid_file()));
    }

    static int failures() {
        return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
    }
};

// ---- two stops of one daemon ----------------------------------------------------

TEST_F(CliRace, TwoConcurrentStopsOfOneDaemon) {
    // Each stop finds the daemon running and stops it (0), or finds it gone,
    // its file removed or being removed by its keeper (1, "not running");
    // at least one stopped it. Never 4.
    const int n = rounds();
    int both_stopped = 0;
    int one_not_running = 0;
    int failed_rounds = 0;
    const auto t0 = clock::now();
    for (int round = 0; round < n && failed_rounds < max_failed_rounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        const int before = failures();
        const pid_t pid = start_ready({"ready-after", "0"});
        ASSERT_GT(pid, 0);
        // Launched together, or the second one as the program exits: while
        // its keeper removes the file, which is locked and names an exited
        // process for that instant.
        const std::vector<std::string> stop{"stop", pid_file().string()};
        const auto ran = round % 2 == 0 ? together({stop, stop}) : together({stop}, {stop}, watch_exit(pid).get());
        int stopped = 0;
        for (const auto& r : ran) {
            EXPECT_TRUE(r.result.status == 0 || r.result.status == 1) << describe(r);
            if (r.result.status == 0) {
                ++stopped;
                EXPECT_EQ(r.result.err, "") << describe(r);
            }
            if (r.result.status == 1) {
                EXPECT_TRUE(starts_with(r.result.err, "daemoniker: stop: not running")) << describe(r);
            }
        }
        EXPECT_GE(stopped, 1) << describe(ran[0]) << "; " << describe(ran[1]);
        if (stopped == 2) ++both_stopped;
        if (stopped == 1) ++one_not_running;
        const int status = reaped(pid);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << "wait status " << status;
        EXPECT_FALSE(exists(pid_file()));
        expect_nothing_left();
        if (failures() != before) ++failed_rounds;
    }
    figure("two stops: " + std::to_string(both_stopped) + " rounds both 0, " + std::to_string(one_not_running) +
           " rounds 0 and 1 (not running), " + std::to_string(failed_rounds) + " failed rounds, " +
           std::to_string(std::chrono::duration<double>(clock::now() - t0).count()) + " s");
}

// ---- a stop during a takeover of a stale file -------------------------------------

TEST_F(CliRace, StopRacingATakeoverOfAStaleFile) {
    // stop: 0 when it found the new daemon (and stopped it), 1 when nothing
    // ran yet (the stale file, removed or being taken over). start: 0, or 1
    // when the stop ended its program before start saw it run. Never 4, and
    // what runs afterwards agrees.
    const int n = rounds();
    std::map<std::string, int> outcomes;
    int failed_rounds = 0;
    const auto t0 = clock::now();
    for (int round = 0; round < n && failed_rounds < max_failed_rounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        const int before = failures();
        const pid_t stale = write_stale_file();
        const std::vector<std::string> start{"start", "--pid-file", pid_file().string(),
                                             "--",    program(),    "never-ready"};
        const std::vector<std::string> stop{"stop", pid_file().string()};
        // The stop launched with the start, before it, or once the start
        // rewrote the file (the start needs longer to reach the file).
        std::vector<Ran> ran;
        switch (round % 3) {
        case 0:
            ran = together({start, stop});
            break;
        case 1:
            ran = together({stop, start});
            std::swap(ran[0], ran[1]);
            break;
        default:
            ran = together({start}, {stop}, watch_writes().get());
            break;
        }
        const Ran& started = ran[0];
        const Ran& stopped = ran[1];
        const std::string both = describe(started) + "; " + describe(stopped);
        outcomes["start " + std::to_string(started.result.status) + ", stop " +
                 std::to_string(stopped.result.status)]++;

        EXPECT_TRUE(stopped.result.status == 0 || stopped.result.status == 1) << both;
        EXPECT_TRUE(started.result.status == 0 || (started.result.status == 1 && stopped.result.status == 0)) << both;
        if (stopped.result.status == 0) {
            EXPECT_EQ(stopped.result.err, "") << both;
        }
        if (stopped.result.status == 1) {
            // The stale file as it found it, or none (already removed).
            EXPECT_TRUE(
                stopped.result.err == "daemoniker: stop: not running (no PID file '" + pid_file().string() + "')\n" ||
                starts_with(stopped.result.err, "daemoniker: stop: not running: the PID file is not locked and pid " +
                                                    std::to_string(stale) + " has exited"))
                << both;
        }
        if (started.result.status == 0) {
            EXPECT_EQ(started.result.err, "") << both;
        }
        if (started.result.status == 1) {
            EXPECT_TRUE(starts_with(started.result.err, "daemoniker: start: the program (pid ") &&
                        contains(started.result.err, " was killed by SIGTERM right after it started"))
                << both;
        }

        const pid_t daemon = running_daemon();
        if (stopped.result.status == 0) {
            // It stopped the new daemon: nothing runs, no file, and the
            // program's keeper (unless start reaped it) mirrors a SIGTERM.
            EXPECT_EQ(daemon, -1) << both;
            EXPECT_FALSE(exists(pid_file())) << both;
            for (const auto& [keeper, how] : reap_ended(keeper_of(daemon))) {
#ifndef DAEMONIKER_PORTABLE_POSIX
                EXPECT_TRUE(started.result.status == 0 && ended_by_sigterm(how.status))
#else
                // Without a subreaper start never reaps the keeper: it is
                // this process's also when start reported the program's end.
                EXPECT_TRUE(ended_by_sigterm(how.status))
#endif
                    << "keeper " << keeper << ": wait status " << how.status << "; " << both;
            }
        } else if (started.result.status == 0) {
            // Nothing ran when it looked: the new daemon runs.
            EXPECT_GT(daemon, 0) << both;
        }
        if (daemon > 0) stop_daemon(daemon);
        expect_nothing_left();
        std::error_code ec;
        std::filesystem::remove(pid_file(), ec);
        if (failures() != before) ++failed_rounds;
    }
    std::string counts;
    for (const auto& [what, count] : outcomes)
        counts += (counts.empty() ? "" : ", ") + what + ": " + std::to_string(count);
    figure("stop during a takeover: " + counts + "; " + std::to_string(failed_rounds) + " failed rounds, " +
           std::to_string(std::chrono::duration<double>(clock::now() - t0).count()) + " s");
}

// ---- eight restarts at once ---------------------------------------------------------

TEST_F(CliRace, EightConcurrentRestarts) {
    // Each restart stops what runs (as stop) and starts the program (as
    // start, --wait-ready): 0 restarted; 2 already running (another one's
    // daemon won the file); 1 its program was stopped by another restart's
    // stop before it was ready. Never 4; afterwards exactly one daemon runs.
    constexpr int restarts = 8;
    const int n = rounds();
    const std::vector<std::string> restart{"restart", "--pid-file", pid_file().string(), "--wait-ready",
                                           "--",      program(),    "ready-after",       "0"};
    std::map<int, int> outcomes;
    int failed_rounds = 0;
    int failed_start_zombies = 0;
    int rounds_without_daemon = 0;
    const auto t0 = clock::now();
    pid_t daemon = start_ready({"ready-after", "0"});
    ASSERT_GT(daemon, 0);
    for (int round = 0; round < n && failed_rounds < max_failed_rounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        const int before = failures();
        const pid_t old_keeper = keeper_of(daemon);
        const auto ran = together(std::vector<std::vector<std::string>>(restarts, restart));
        int restarted = 0;
        int already_running = 0;
        for (const auto& r : ran) {
            ++outcomes[r.result.status];
            const auto& err = r.result.err;
            switch (r.result.status) {
            case 0:
                ++restarted;
                EXPECT_EQ(err, "") << describe(r);
                break;
            case 1:
#ifndef DAEMONIKER_PORTABLE_POSIX
                EXPECT_TRUE(starts_with(err, "daemoniker: restart: the program (pid ") &&
                            contains(err, " was killed by SIGTERM "))
#else
                // Also seen here, in 2 rounds of 100 of one run, not yet
                // explained (docs/platforms.md, open questions): the program
                // became ready after another restart's program had taken the
                // file; this restart says so and stops its own, so one daemon
                // remains (checked below).
                EXPECT_TRUE(starts_with(err, "daemoniker: restart: the program (pid ") &&
                            (contains(err, " was killed by SIGTERM ") ||
                             (contains(err, ") runs, but its PID file '") &&
                              contains(err, "' was replaced by another process (it names pid ") &&
                              contains(err, "); the program was stopped"))))
#endif
                    << describe(r);
                break;
            case 2:
                ++already_running;
                EXPECT_TRUE(starts_with(err, "daemoniker: restart: already running (pid ")) << describe(r);
                break;
            default:
                ADD_FAILURE() << describe(r);
            }
        }
        // At most one daemon: the file names a live program, started by a
        // restart that exited 0, and every other keeper ends: the old
        // daemon's and those of the programs stopped by a later restart
        // mirror a SIGTERM. None may run at all: a restart is a stop, then a
        // start, not one step, and the last start to look may have found a
        // program that another restart's stop was ending ("already
        // running"). The keeper of a start that found the file taken (2)
        // has exited with status 1, before its start did; the start
        // collects it (the command is a subreaper), and the few that land
        // here are counted.
        recorded_.erase(daemon);
        keepers_.erase(daemon);
        const pid_t now = running_daemon();
        if (now > 0) {
            EXPECT_GE(restarted, 1);
            EXPECT_NE(now, daemon);
        } else {
            ++rounds_without_daemon;
        }
        const auto ended = reap_ended(keeper_of(now));
        int zombies = 0;
        for (const auto& [keeper, how] : ended) {
            if (how.zombie && WIFEXITED(how.status) && WEXITSTATUS(how.status) == 1) {
                ++zombies;
                continue;
            }
            EXPECT_TRUE(ended_by_sigterm(how.status)) << "keeper " << keeper << ": wait status " << how.status;
        }
        EXPECT_LE(zombies, already_running);
        failed_start_zombies += zombies;
        EXPECT_TRUE(old_keeper <= 0 || ended.count(old_keeper) == 1)
            << "the old daemon's keeper " << old_keeper << " did not end";
        EXPECT_EQ(children(), now > 0 ? std::set<pid_t>{keeper_of(now)} : std::set<pid_t>{});
        if (failures() != before) ++failed_rounds;
        daemon = now > 0 ? now : start_ready({"ready-after", "0"});
        if (daemon <= 0) break;
    }
    if (daemon > 0 && keeper_of(daemon) > 0) stop_daemon(daemon);
    expect_nothing_left();
    std::string counts;
    for (const auto& [status, count] : outcomes)
        counts += (counts.empty() ? "" : ", ") + std::to_string(count) + " x " + std::to_string(status);
    figure("eight restarts: " + counts + "; " + std::to_string(rounds_without_daemon) +
           " rounds ended with no daemon; " + std::to_string(failed_start_zombies) +
           " zombie keepers of starts that found the file taken; " + std::to_string(failed_rounds) +
           " failed rounds, " + std::to_string(std::chrono::duration<double>(clock::now() - t0).count()) + " s");
}

// ---- status during a takeover -------------------------------------------------------

TEST_F(CliRace, StatusDuringATakeoverOfAStaleFile) {
    // Each status sees the stale file (1, naming the dead PID) or the new
    // daemon (0, naming its PID); 3 would mean no file at all. Never 4.
    constexpr int queries = 8;
    const int n = rounds();
    std::map<int, int> outcomes;
    int failed_rounds = 0;
    const auto t0 = clock::now();
    for (int round = 0; round < n && failed_rounds < max_failed_rounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        const int before = failures();
        const pid_t stale = write_stale_file();
        // Half the queries with the start, half once it rewrote the file:
        // between that write and its lock, and while it locks.
        const std::vector<std::string> status{"status", pid_file().string()};
        std::vector<std::vector<std::string>> first{
            {"start", "--pid-file", pid_file().string(), "--", program(), "never-ready"}};
        first.insert(first.end(), queries / 2, status);
        const auto ran = together(first, Commands(queries / 2, status), watch_writes().get());
        const Ran& started = ran[0];
        ASSERT_EQ(started.result.status, 0) << describe(started);
        const pid_t daemon = running_daemon();
        ASSERT_GT(daemon, 0);
        for (std::size_t i = 1; i < ran.size(); ++i) {
            const auto& r = ran[i].result;
            ++outcomes[r.status];
            const std::string line = pid_file().string() + ": ";
            switch (r.status) {
            case 0:
                EXPECT_TRUE(starts_with(r.out, line + running_pid(daemon)))
                    << describe(ran[i]);
                break;
            case 1:
                EXPECT_EQ(r.out, line + "dead, stale PID file: the PID file is not locked and pid " +
                                     std::to_string(stale) + " has exited\n")
                    << describe(ran[i]);
                break;
            case 3:
                EXPECT_EQ(r.out, line + "not running (no PID file)\n") << describe(ran[i]);
                break;
            default:
                ADD_FAILURE() << describe(ran[i]);
            }
            EXPECT_EQ(r.err, "") << describe(ran[i]);
        }
        stop_daemon(daemon);
        expect_nothing_left();
        if (failures() != before) ++failed_rounds;
    }
    std::string counts;
    for (const auto& [status, count] : outcomes)
        counts += (counts.empty() ? "" : ", ") + std::to_string(count) + " x " + std::to_string(status);
    figure("status during a takeover: " + counts + "; " + std::to_string(failed_rounds) + " failed rounds, " +
           std::to_string(std::chrono::duration<double>(clock::now() - t0).count()) + " s");
}

} // namespace
} // namespace test
