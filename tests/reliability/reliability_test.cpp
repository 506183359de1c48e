// Reliability with real processes: racing starts watched by a
// concurrent reader, stale and hostile PID files, the original process
// killed while it waits, and the PID file's mode under every umask.
//
// Each test prints its figures on lines starting with "FIGURE " (collected
// into docs/reliability.md). DAEMONIKER_RACE_ROUNDS sets the rounds of the
// racing tests (default 3; scripts/soak runs more).

#include "../process/support.hpp"

#include <daemoniker/pid_file.hpp>
#include <daemoniker/signals.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace test {
namespace {

namespace fs = std::filesystem;
using clock = std::chrono::steady_clock;

void figure(const std::string& line) { std::cout << "FIGURE " << line << std::endl; }

// The environment of a child: ours without DAEMONIKER_TEST_* (no fault must
// leak in from outside), plus `extra`.
std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e)
        if (std::strncmp(*e, "DAEMONIKER_TEST_", 16) != 0) env.emplace_back(*e);
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Starts `argv` without waiting for it; its stdout and stderr go to files.
pid_t spawn(std::vector<std::string> argv, const fs::path& out, const fs::path& err,
            const std::vector<std::string>& env_extra = {}) {
    auto env = child_environment(env_extra);
    auto cargv = c_strings(argv);
    auto cenv = c_strings(env);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("posix_spawn: " + std::string(std::strerror(rc)));
    return pid;
}

// Waits until `pid` is stopped (SIGSTOP). It must be our child by then: a
// daemon becomes one when its intermediate process exits (we are a
// subreaper). SIGCHLD wakes us at each change of a child; the state is also
// checked every 50 ms, for a daemon that stopped before it was reparented
// to us (its stop was then reported to the intermediate process only).
bool wait_stopped(pid_t pid, std::chrono::milliseconds timeout) {
    sigset_t chld;
    sigset_t old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    ::pthread_sigmask(SIG_BLOCK, &chld, &old);
    const auto deadline = clock::now() + timeout;
    bool stopped = false;
    for (;;) {
        siginfo_t si{};
        if (::waitid(P_PID, static_cast<id_t>(pid), &si, WSTOPPED | WEXITED | WNOHANG | WNOWAIT) == 0 &&
            si.si_pid == pid) {
            stopped = si.si_code == CLD_STOPPED;
            break;
        }
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - clock::now());
        if (left.count() <= 0) break;
        const auto nap = std::min<std::chrono::nanoseconds>(left, 50ms);
        const timespec ts{0, static_cast<long>(nap.count())};
        ::sigtimedwait(&chld, nullptr, &ts);
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return stopped;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

std::string mode_of(const fs::path& p) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) return "none";
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return buf;
}

// ---- the concurrent reader --------------------------------------------------

// What a reader saw of the PID file while it looped.
struct ReaderStats {
    long reads = 0;   ///< open() attempts
    long absent = 0;  ///< ENOENT
    long whole = 0;   ///< content: a PID line "N\n" (later lines ignored)
    long empty = 0;   ///< opened, zero bytes
    long partial = 0; ///< opened, bytes but no complete PID line
    long errors = 0;  ///< any other failure
    std::set<long> pids;
    std::string sample; ///< one bad content, for the failure message
};

// Classifies one read of a PID file: the first line must be a complete
// decimal PID ended by '\n', exactly as the library writes it.
bool whole_pid_line(const char* buf, std::size_t n, long& pid) {
    const auto* nl = static_cast<const char*>(std::memchr(buf, '\n', n));
    if (nl == nullptr || nl == buf || buf[0] == '0') return false;
    long v = 0;
    for (const char* p = buf; p < nl; ++p) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10 + (*p - '0');
        if (v > 2147483647L) return false;
    }
    pid = v;
    return true;
}

// A forked process that reads `pid_file` in a tight loop until the pipe
// `stop` reaches EOF, then writes its counts to `out` and exits. It runs no
// assertion: the test reads its counts.
pid_t start_reader(const fs::path& pid_file, const int (&stop)[2], const fs::path& out) {
    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    ::close(stop[1]);
    const int stop_fd = stop[0];
    ReaderStats s;
    char buf[128];
    for (;;) {
        pollfd p{stop_fd, POLLIN, 0};
        if (::poll(&p, 1, 0) != 0) break;
        ++s.reads;
        const int fd = ::open(pid_file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            ++(errno == ENOENT ? s.absent : s.errors);
            continue;
        }
        const auto n = ::read(fd, buf, sizeof buf);
        ::close(fd);
        long v = 0;
        if (n < 0) ++s.errors;
        else if (n == 0) ++s.empty;
        else if (whole_pid_line(buf, static_cast<std::size_t>(n), v)) {
            ++s.whole;
            s.pids.insert(v);
        } else {
            ++s.partial;
            s.sample.assign(buf, static_cast<std::size_t>(n));
        }
    }
    std::ofstream f(out);
    f << s.reads << ' ' << s.absent << ' ' << s.whole << ' ' << s.empty << ' ' << s.partial << ' ' << s.errors << ' '
      << s.pids.size();
    for (long v : s.pids) f << ' ' << v;
    f << '\n' << s.sample;
    f.close();
    ::_exit(0);
}

ReaderStats read_stats(const fs::path& path) {
    ReaderStats s;
    std::istringstream in(slurp(path));
    std::size_t count = 0;
    in >> s.reads >> s.absent >> s.whole >> s.empty >> s.partial >> s.errors >> count;
    for (std::size_t i = 0; i < count; ++i) {
        long v = 0;
        in >> v;
        s.pids.insert(v);
    }
    in.get();
    std::getline(in, s.sample, '\0');
    return s;
}

// ---- racing starts --------------------------------------------------------------

struct RaceResult {
    int won = 0;
    int refused = 0;
    int other = 0;
    pid_t winner = -1;             ///< the PID in the file after the race
    pid_t reported = -1;           ///< the PID the winning daemon reported
    int naming_winner = 0;         ///< refusals that named the winner
    std::vector<std::string> errs; ///< stderr of each launcher
    std::vector<int> codes;        ///< exit code of each launcher (-1: did not exit)
    std::vector<double> ends;      ///< when each launcher was reaped, seconds after the release
    std::vector<int> reports;      ///< launchers whose daemon wrote a report
    ReaderStats reader;
    double seconds = 0;
};

// Every launcher's outcome, for failure messages.
std::string describe(const RaceResult& r) {
    std::ostringstream out;
    out << "winner " << r.winner << "; launchers:";
    for (std::size_t i = 0; i < r.codes.size(); ++i)
        out << "\n  #" << i << " exit " << r.codes[i] << " after " << r.ends[i] << " s: " << r.errs[i];
    return out.str();
}

class Reliability : public ProcessTest {
protected:
    fs::path pid_file() const { return path("d.pid"); }

    // Starts a daemon with the helper and waits for its report (by then it
    // blocks SIGTERM until it serves, so a SIGTERM can only stop it cleanly);
    // records it and returns its PID, or -1.
    pid_t start_daemon(const fs::path& file, const std::string& report, std::vector<std::string> kv = {}) {
        const auto r = run(helper("daemonize", file, path(report), std::move(kv)));
        EXPECT_EQ(r.status, 0) << r.err;
        if (r.status != 0) return -1;
        const auto rep = read_report(path(report));
        if (rep.count("pid") == 0) return -1;
        const pid_t pid = std::stoi(rep.at("pid"));
        record(pid);
        EXPECT_EQ(pid_in(file), pid);
        return pid;
    }

    // Forks `n` launchers that each exec the helper to daemonize on the same
    // PID file. They all block on one pipe and are released together when
    // its write end closes (EOF reaches every one at once). A reader process
    // reads the PID file throughout.
    RaceResult race(int n, const std::string& tag) {
        RaceResult res;
        int stop[2];
        if (::pipe2(stop, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        const auto reader_out = path("reader-" + tag);
        const pid_t reader = start_reader(pid_file(), stop, reader_out);
        ::close(stop[0]);
        // Made after the reader forked, so that it holds no write end of it.
        int gate[2];
        if (::pipe2(gate, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");

        std::vector<pid_t> launchers;
        std::vector<std::vector<std::string>> argvs;
        std::vector<fs::path> errs;
        for (int i = 0; i < n; ++i) {
            errs.push_back(path("err-" + tag + "-" + std::to_string(i)));
            argvs.push_back(helper("daemonize", pid_file(), path("report-" + tag + "-" + std::to_string(i))));
        }
        for (int i = 0; i < n; ++i) {
            auto cargv = c_strings(argvs[static_cast<std::size_t>(i)]);
            const char* err = errs[static_cast<std::size_t>(i)].c_str();
            const pid_t p = ::fork();
            if (p < 0) throw std::runtime_error("fork");
            if (p == 0) {
                ::close(gate[1]);
                char c;
                if (::read(gate[0], &c, 1) != 0) ::_exit(97); // EOF is the start signal
                const int fd = ::open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0 || ::dup2(fd, 2) != 2) ::_exit(96);
                ::execv(cargv[0], cargv.data());
                ::_exit(98);
            }
            launchers.push_back(p);
        }
        ::close(gate[0]);
        const auto start = clock::now();
        ::close(gate[1]); // go
        for (pid_t p : launchers) {
            auto status = wait_exit(p, 30s);
            res.ends.push_back(std::chrono::duration<double>(clock::now() - start).count());
            if (!status) {
                ++res.other;
                res.codes.push_back(-1);
                ADD_FAILURE() << "launcher " << p << " did not exit";
                continue;
            }
            const int code = exit_code(*status);
            res.codes.push_back(code);
            if (code == 0) ++res.won;
            else if (code == 1) ++res.refused;
            else ++res.other;
        }
        res.seconds = std::chrono::duration<double>(clock::now() - start).count();
        ::close(stop[1]); // the reader stops
        if (auto st = wait_exit(reader, 10s); !st || exit_code(*st) != 0) ADD_FAILURE() << "reader failed";
        res.reader = read_stats(reader_out);

        // The winning daemon writes its report after its original exited.
        for (std::size_t i = 0; i < res.codes.size(); ++i) {
            if (res.codes[i] != 0) continue;
            const auto rep = read_report(path("report-" + tag + "-" + std::to_string(i)));
            if (rep.count("pid") != 0) res.reported = std::stoi(rep.at("pid"));
        }
        res.winner = pid_in(pid_file());
        if (res.winner > 0) record(res.winner);
        if (res.reported > 0 && res.reported != res.winner) record(res.reported);
        const std::string named = "already running (pid " + std::to_string(res.winner) + ")";
        for (int i = 0; i < n; ++i) {
            res.errs.push_back(slurp(errs[static_cast<std::size_t>(i)]));
            if (res.errs.back().find(named) != std::string::npos) ++res.naming_winner;
            if (fs::exists(path("report-" + tag + "-" + std::to_string(i)))) res.reports.push_back(i);
        }
        return res;
    }

    void expect_one_winner(const RaceResult& r, int n) {
        SCOPED_TRACE(describe(r));
        EXPECT_EQ(r.won, 1);
        EXPECT_EQ(r.refused, n - 1);
        EXPECT_EQ(r.other, 0);
        ASSERT_GT(r.winner, 0);
        EXPECT_EQ(r.reported, r.winner);
        EXPECT_EQ(r.naming_winner, n - 1);
        for (const auto& e : r.errs) {
            if (e.empty()) continue; // the winner's original prints nothing
            EXPECT_EQ(e, "daemoniker: already running (pid " + std::to_string(r.winner) + "): PID file '" +
                             pid_file().string() + "' is locked\n");
        }
        ASSERT_EQ(r.reports.size(), 1u); // exactly one daemon got as far as its report
        EXPECT_TRUE(lock_held(pid_file()));
        const auto info = daemoniker::inspect_pid_file(pid_file());
        EXPECT_EQ(info.state, daemoniker::PidFileState::running);
        EXPECT_EQ(info.pid, r.winner);
        // What the reader saw: never an empty or partial file.
        EXPECT_EQ(r.reader.empty, 0) << "reader saw an empty PID file";
        EXPECT_EQ(r.reader.partial, 0) << "reader saw a partial PID file: '" << r.reader.sample << "'";
        EXPECT_EQ(r.reader.errors, 0);
        EXPECT_GT(r.reader.whole, 0);
    }
};

constexpr int racers = 32;
// Rounds per race test: 3 in the default suite, more in scripts/soak.
const int race_rounds = [] {
    const char* v = std::getenv("DAEMONIKER_RACE_ROUNDS");
    const int n = v != nullptr ? std::atoi(v) : 0;
    return n > 0 ? n : 3;
}();

TEST_F(Reliability, RacingStartsYieldExactlyOneDaemonAndReadersNeverSeeAPartialFile) {
    long reads = 0;
    long whole = 0;
    long absent = 0;
    long won = 0;
    long refused = 0;
    long named = 0;
    for (int round = 0; round < race_rounds; ++round) {
        const auto r = race(racers, "fresh" + std::to_string(round));
        expect_one_winner(r, racers);
        won += r.won;
        refused += r.refused;
        named += r.naming_winner;
        // A new file is published complete: the reader saw no PID but the winner's.
        EXPECT_EQ(r.reader.pids, std::set<long>{r.winner});
        reads += r.reader.reads;
        whole += r.reader.whole;
        absent += r.reader.absent;
        figure("race fresh round " + std::to_string(round) + ": " + std::to_string(r.won) + " won, " +
               std::to_string(r.refused) + " refused naming the winner " + std::to_string(r.naming_winner) +
               ", reader " + std::to_string(r.reader.reads) + " reads (" + std::to_string(r.reader.whole) +
               " whole, " + std::to_string(r.reader.absent) + " absent, " + std::to_string(r.reader.empty) +
               " empty, " + std::to_string(r.reader.partial) + " partial), " + std::to_string(r.seconds) + " s");
        if (HasFailure()) return;
        // Stop the winner; its normal exit removes the file for the next round.
        ASSERT_TRUE(stop(r.winner).has_value());
        EXPECT_FALSE(fs::exists(pid_file()));
    }
    figure("race fresh total: " + std::to_string(race_rounds) + " rounds x " + std::to_string(racers) + " starts: " +
           std::to_string(won) + " won, " + std::to_string(refused) + " refused (" + std::to_string(named) +
           " naming the winner); reader " + std::to_string(reads) + " reads, " + std::to_string(whole) + " whole, " +
           std::to_string(absent) + " absent, 0 empty, 0 partial");
}

TEST_F(Reliability, RacingTakeoversOfAStaleFileYieldExactlyOneDaemon) {
    // A daemon killed with SIGKILL leaves its (unlocked) file behind; each
    // round races 32 starts on it, and the winner is killed again.
    pid_t stale = start_daemon(pid_file(), "report0");
    ASSERT_GT(stale, 0);
    long reads = 0;
    long whole = 0;
    long won = 0;
    long refused = 0;
    long named = 0;
    for (int round = 0; round < race_rounds; ++round) {
        ASSERT_EQ(::kill(stale, SIGKILL), 0);
        ASSERT_TRUE(wait_exit(stale).has_value());
        recorded_.erase(stale);
        ASSERT_EQ(daemoniker::inspect_pid_file(pid_file()).state, daemoniker::PidFileState::stale);

        const auto r = race(racers, "stale" + std::to_string(round));
        expect_one_winner(r, racers);
        won += r.won;
        refused += r.refused;
        named += r.naming_winner;
        // The file is rewritten in place: a reader may still see the dead
        // daemon's PID, never anything else but the winner's.
        for (long v : r.reader.pids) EXPECT_TRUE(v == stale || v == r.winner) << v;
        reads += r.reader.reads;
        whole += r.reader.whole;
        figure("race stale round " + std::to_string(round) + ": " + std::to_string(r.won) + " won, " +
               std::to_string(r.refused) + " refused naming the winner " + std::to_string(r.naming_winner) +
               ", reader " + std::to_string(r.reader.reads) + " reads (" + std::to_string(r.reader.whole) +
               " whole, " + std::to_string(r.reader.empty) + " empty, " + std::to_string(r.reader.partial) +
               " partial), " + std::to_string(r.seconds) + " s");
        if (HasFailure()) return;
        stale = r.winner;
    }
    figure("race stale total: " + std::to_string(race_rounds) + " rounds x " + std::to_string(racers) +
           " takeovers: " + std::to_string(won) + " won, " + std::to_string(refused) + " refused (" +
           std::to_string(named) + " naming the winner); reader " + std::to_string(reads) + " reads, " +
           std::to_string(whole) + " whole, 0 empty, 0 partial");
    ASSERT_TRUE(stop(stale).has_value());
    EXPECT_FALSE(fs::exists(pid_file()));
}

// ---- stale PID files ----------------------------------------------------------

#ifdef DAEMONIKER_CLI
Result cli(std::vector<std::string> args) {
    args.insert(args.begin(), DAEMONIKER_CLI);
    return run(args);
}
#endif

TEST_F(Reliability, KilledDaemonLeavesAStaleFileThatANewStartTakesOver) {
    const pid_t first = start_daemon(pid_file(), "report");
    ASSERT_GT(first, 0);
    EXPECT_EQ(daemoniker::inspect_pid_file(pid_file()).state, daemoniker::PidFileState::running);

    // SIGKILL: no cleanup runs, the file stays, and its lock goes with the
    // process. Checked both while the daemon is an unreaped zombie (as under
    // a PID 1 that does not reap) and after it was reaped.
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    siginfo_t si{};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(first), &si, WEXITED | WNOWAIT), 0); // zombie, not reaped
    for (const char* when : {"zombie", "reaped"}) {
        SCOPED_TRACE(when);
        std::error_code ec;
        const auto info = daemoniker::inspect_pid_file(pid_file(), ec);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(info.state, daemoniker::PidFileState::stale);
        EXPECT_EQ(info.pid, first);
        EXPECT_FALSE(daemoniker::is_running(pid_file()));
        daemoniker::send(pid_file(), daemoniker::Signal::sigterm, ec);
        EXPECT_EQ(ec, daemoniker::errc::stale_pid_file);
#ifdef DAEMONIKER_CLI
        const auto status = cli({"status", pid_file().string()});
#ifdef DAEMONIKER_PORTABLE_POSIX
        // Without pidfds or /proc the command tells a zombie from a live
        // process only by kill(pid, 0), which succeeds on a zombie: the
        // weaker guarantee is that it never calls the file the daemon's (the
        // library's readers above do not either), but it cannot say "dead"
        // until the zombie is reaped, as an init that reaps does at once.
        if (std::string(when) == "zombie") {
            EXPECT_EQ(status.status, 0) << status.out << status.err;
            EXPECT_NE(status.out.find("running, unverified (pid " + std::to_string(first) +
                                      "): the PID file is not locked"),
                      std::string::npos)
                << status.out;
        } else
#endif
        {
            EXPECT_EQ(status.status, 1) << status.out << status.err;
            EXPECT_NE(status.out.find("dead, stale PID file"), std::string::npos) << status.out;
        }
#endif
        if (std::string(when) == "zombie") {
            ASSERT_TRUE(wait_exit(first).has_value());
            recorded_.erase(first);
        }
    }
    EXPECT_EQ(pid_in(pid_file()), first); // still there, naming the dead daemon

    const pid_t second = start_daemon(pid_file(), "report2");
    ASSERT_GT(second, 0);
    EXPECT_NE(second, first);
    const auto info = daemoniker::inspect_pid_file(pid_file());
    EXPECT_EQ(info.state, daemoniker::PidFileState::running);
    EXPECT_EQ(info.pid, second);
#ifdef DAEMONIKER_CLI
    const auto status = cli({"status", pid_file().string()});
    EXPECT_EQ(status.status, 0) << status.out << status.err;
#endif
    ASSERT_TRUE(stop(second).has_value());
    EXPECT_FALSE(fs::exists(pid_file()));
}

// A process that is not a daemon and must never be signalled: every
// catchable signal is blocked, so one that arrives stays pending; when its
// pipe closes it exits 0 if nothing is pending, 1 otherwise. SIGKILL or
// SIGSTOP would show in its wait status instead.
class Victim {
public:
    Victim() {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(p[1]);
            sigset_t all;
            sigfillset(&all);
            ::sigprocmask(SIG_BLOCK, &all, nullptr);
            char c;
            while (::read(p[0], &c, 1) != 0) {
            }
            sigset_t pending;
            sigemptyset(&pending);
            ::sigpending(&pending);
            for (int s = 1; s < NSIG; ++s)
                if (sigismember(&pending, s) == 1) ::_exit(1);
            ::_exit(0);
        }
        ::close(p[0]);
        release_ = p[1];
    }
    ~Victim() { finish(); }
    Victim(const Victim&) = delete;
    Victim& operator=(const Victim&) = delete;
    [[nodiscard]] pid_t pid() const { return pid_; }
    /// Ends it; its wait status (exit 0: never signalled).
    std::optional<int> finish() {
        if (release_ < 0) return result_;
        ::close(release_);
        release_ = -1;
        result_ = wait_exit(pid_);
        if (!result_) {
            ::kill(pid_, SIGKILL);
            wait_exit(pid_);
        }
        return result_;
    }

private:
    pid_t pid_ = -1;
    int release_ = -1;
    std::optional<int> result_;
};

TEST_F(Reliability, PidFileNamingALiveUnrelatedProcessIsNeverSignalled) {
    Victim victim;
    ASSERT_GT(victim.pid(), 0);
    // Unlocked, and naming a live process: what a crash plus PID reuse leaves.
    std::ofstream(pid_file()) << victim.pid() << "\n";
    std::error_code ec;
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGKILL, SIGSTOP}) {
        daemoniker::send(pid_file(), sig, ec);
        EXPECT_EQ(ec, daemoniker::errc::stale_pid_file) << sig;
    }
    EXPECT_THROW(daemoniker::send<daemoniker::SigTerm>(pid_file()), daemoniker::SignalError);
    EXPECT_FALSE(daemoniker::is_running(pid_file()));
    EXPECT_EQ(daemoniker::inspect_pid_file(pid_file()).state, daemoniker::PidFileState::stale);
#ifdef DAEMONIKER_CLI
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"stop", pid_file().string()},
          std::vector<std::string>{"stop", pid_file().string(), "--signal", "KILL"},
          std::vector<std::string>{"send", pid_file().string(), "TERM"},
          std::vector<std::string>{"send", pid_file().string(), "KILL"}}) {
        const auto r = cli(args);
        EXPECT_NE(r.status, 0) << args[0] << ": " << r.err;
        EXPECT_NE(r.err.find("refusing to signal"), std::string::npos) << r.err;
    }
#endif
    // A start takes the file over: the unrelated process is no obstacle.
    const pid_t daemon = start_daemon(pid_file(), "report");
    ASSERT_GT(daemon, 0);
    EXPECT_NE(daemon, victim.pid());
    ASSERT_TRUE(stop(daemon).has_value());

    const auto status = victim.finish();
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "the unrelated process was signalled (wait status " << *status << ")";
}

// ---- hostile PID files ------------------------------------------------------------

struct Hostile {
    const char* name;
    daemoniker::errc code;
    const char* reason; ///< the message part that names the refusal
};

void PrintTo(const Hostile& h, std::ostream* os) { *os << h.name; }

class HostilePidFile : public Reliability, public ::testing::WithParamInterface<Hostile> {
protected:
    // Creates the hostile file; returns the PID-file path to use.
    fs::path make(const std::string& kind) {
        if (kind == "symlink") {
            // A link to a file naming a live process; following it would be
            // a way to make us signal, or overwrite, whatever it names.
            std::ofstream(path("target")) << ::getpid() << "\n";
            fs::create_symlink(path("target"), path("d.pid"));
            return path("d.pid");
        }
        if (kind == "dangling symlink") {
            fs::create_symlink(path("created-through-link"), path("d.pid"));
            return path("d.pid");
        }
        if (kind == "fifo") {
            if (::mkfifo(path("d.pid").c_str(), 0644) != 0) throw std::runtime_error("mkfifo");
            return path("d.pid");
        }
        if (kind == "directory") {
            fs::create_directory(path("d.pid"));
            return path("d.pid");
        }
        if (kind == "group writable file") {
            std::ofstream(path("d.pid")) << ::getpid() << "\n";
            ::chmod(path("d.pid").c_str(), 0664);
            return path("d.pid");
        }
        if (kind == "file of another user") {
            // A uid nobody has (no passwd entry): the test needs no account.
            std::ofstream(path("d.pid")) << ::getpid() << "\n";
            if (::chown(path("d.pid").c_str(), 54321, 54321) != 0) throw std::runtime_error("chown (needs root)");
            return path("d.pid");
        }
        // A directory others may write, without the sticky bit: they could
        // replace the file with one naming any process.
        fs::create_directory(path("open"));
        ::chmod(path("open").c_str(), kind == "group writable directory" ? 0770 : 0777);
        std::ofstream(path("open/d.pid")) << ::getpid() << "\n";
        return path("open/d.pid");
    }
};

TEST_P(HostilePidFile, IsRefusedWithAClearErrorByEveryEntryPoint) {
    if (std::string(GetParam().name) == "file of another user" && ::geteuid() != 0) GTEST_SKIP() << "needs root";
    const Hostile h = GetParam();
    const fs::path file = make(h.name);
    const std::string before = mode_of(file) + identity(file);
    // "%D": the directory the rule refused; "%U": this process's user.
    std::string reason = h.reason;
    if (const auto at = reason.find("%D"); at != std::string::npos) reason.replace(at, 2, file.parent_path().string());
    if (const auto at = reason.find("%U"); at != std::string::npos) {
        const passwd* pw = ::getpwuid(::geteuid());
        reason.replace(at, 2, "uid " + std::to_string(::geteuid()) + (pw != nullptr ? " (" + std::string(pw->pw_name) + ")" : ""));
    }

    // daemonize(), through the helper: one line, exit 1, no daemon (TearDown checks).
    auto r = run(helper("daemonize", file, path("report")));
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "daemoniker: cannot start daemon: open PID file '" + file.string() + "': " + reason + "\n");
    EXPECT_FALSE(fs::exists(path("report")));

    // send(): nothing sent, the reason in the code and in the message.
    std::error_code ec;
    daemoniker::send(file, daemoniker::Signal::sigterm, ec);
    EXPECT_EQ(ec, h.code) << ec.message();
    try {
        daemoniker::send(file, daemoniker::Signal::sigterm);
        ADD_FAILURE() << "send did not throw";
    } catch (const daemoniker::SignalError& e) {
        EXPECT_EQ(std::string(e.what()), "cannot send SIGTERM through PID file '" + file.string() + "': " + reason);
    }
    // inspect_pid_file() and is_running().
    const auto info = daemoniker::inspect_pid_file(file, ec);
    EXPECT_EQ(ec, h.code) << ec.message();
    EXPECT_EQ(info.state, daemoniker::PidFileState::absent);
    try {
        (void)daemoniker::inspect_pid_file(file);
        ADD_FAILURE() << "inspect_pid_file did not throw";
    } catch (const daemoniker::PidFileError& e) {
        EXPECT_EQ(std::string(e.what()), "cannot inspect PID file '" + file.string() + "': " + reason);
        EXPECT_EQ(e.path(), file);
    }
    EXPECT_FALSE(daemoniker::is_running(file, ec));
    EXPECT_EQ(ec, h.code);
#ifdef DAEMONIKER_CLI
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"status", file.string()}, std::vector<std::string>{"send", file.string(), "TERM"},
          std::vector<std::string>{"stop", file.string()}}) {
        const auto c = cli(args);
        EXPECT_EQ(c.status, 4) << args[0] << ": " << c.out << c.err;
        EXPECT_NE((c.out + c.err).find(reason), std::string::npos) << args[0] << ": " << c.out << c.err;
    }
#endif
    // Nothing was followed, created, replaced or removed.
    EXPECT_EQ(mode_of(file) + identity(file), before);
    EXPECT_FALSE(fs::exists(path("created-through-link")));
    if (fs::exists(path("target"))) {
        EXPECT_EQ(slurp(path("target")), std::to_string(::getpid()) + "\n");
    }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, HostilePidFile,
    ::testing::Values(Hostile{"symlink", daemoniker::errc::symbolic_link, "is a symbolic link (refused)"},
                      Hostile{"dangling symlink", daemoniker::errc::symbolic_link, "is a symbolic link (refused)"},
                      Hostile{"fifo", daemoniker::errc::not_regular_file, "not a regular file (refused)"},
                      Hostile{"directory", daemoniker::errc::not_regular_file, "not a regular file (refused)"},
                      Hostile{"unsafe directory", daemoniker::errc::unsafe_directory,
                              "its directory '%D' (owner %U, mode 0777) may be written by a user other than you "
                              "and root, who could replace the file (refused)"},
                      Hostile{"group writable directory", daemoniker::errc::unsafe_directory,
                              "its directory '%D' (owner %U, mode 0770) may be written by a user other than you "
                              "and root, who could replace the file (refused)"},
                      Hostile{"group writable file", daemoniker::errc::writable_by_others,
                              "mode 0664: writable by its group or by other users, who could make it name any "
                              "process (refused)"},
                      Hostile{"file of another user", daemoniker::errc::untrusted_owner,
                              "owned by uid 54321, a user other than you and root, who could make it name any "
                              "process (refused)"}),
    [](const ::testing::TestParamInfo<Hostile>& param) {
        std::string n = param.param.name;
        std::replace(n.begin(), n.end(), ' ', '_');
        return n;
    });

TEST_F(Reliability, WorkerThatOutlivesTheDaemonDoesNotKeepItsPidFileLocked) {
    // The daemon forks a worker, then dies: the worker must not carry the
    // daemon's lock on, or the file would name a dead PID under a lock, and
    // once that PID is reused the lock would vouch for a stranger.
    const auto worker_file = path("worker");
    const pid_t daemon = start_daemon(pid_file(), "report", {"worker=" + worker_file.string()});
    ASSERT_GT(daemon, 0);
    const pid_t worker = pid_in(worker_file);
    ASSERT_GT(worker, 0);
    record(worker);
    ASSERT_EQ(::kill(daemon, SIGKILL), 0);
    ASSERT_TRUE(wait_exit(daemon).has_value());
    recorded_.erase(daemon);
    EXPECT_EQ(::kill(worker, 0), 0) << "the worker should still run";
    EXPECT_FALSE(lock_held(pid_file()));
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(pid_file(), ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(info.state, daemoniker::PidFileState::stale);
    EXPECT_EQ(info.pid, daemon);
    // And a new start takes the file over.
    const pid_t next = start_daemon(pid_file(), "report2");
    ASSERT_GT(next, 0);
    ASSERT_TRUE(stop(next).has_value());
}

TEST_F(Reliability, WorldWritableDirectoryWithTheStickyBitIsAccepted) {
    // The control case of the "unsafe directory" refusal: /tmp-like.
    fs::create_directory(path("sticky"));
    ASSERT_EQ(::chmod(path("sticky").c_str(), 01777), 0);
    const auto file = path("sticky/d.pid");
    const pid_t pid = start_daemon(file, "report");
    ASSERT_GT(pid, 0);
    std::error_code ec;
    EXPECT_TRUE(daemoniker::is_running(file, ec)) << ec.message();
    daemoniker::send(file, daemoniker::Signal::sigterm);
    ASSERT_TRUE(wait_exit(pid).has_value());
    recorded_.erase(pid);
    EXPECT_FALSE(fs::exists(file));
}

// ---- the PID file's mode under any umask ---------------------------------------

class PidFileMode : public Reliability, public ::testing::WithParamInterface<int> {};

TEST_P(PidFileMode, IsNeverGroupOrWorldWritable) {
    const int mask = GetParam();
    char opt[32];
    std::snprintf(opt, sizeof opt, "umask=0%o", static_cast<unsigned>(mask));
    // New file, under the caller's umask given to the daemon.
    pid_t pid = start_daemon(pid_file(), "report", {opt});
    ASSERT_GT(pid, 0);
    struct stat st {};
    ASSERT_EQ(::stat(pid_file().c_str(), &st), 0);
    const unsigned expected = 0644u & ~static_cast<unsigned>(mask);
    EXPECT_EQ(st.st_mode & 07777, expected) << opt;
    EXPECT_EQ(st.st_mode & 0022, 0u) << opt;
    ASSERT_TRUE(stop(pid).has_value());

    // A stale file that others may write is not believed, so not taken
    // over either: refused, and left as it was.
    std::ofstream(pid_file()) << "12345\n";
    ASSERT_EQ(::chmod(pid_file().c_str(), 0666), 0);
    const auto r = run(helper("daemonize", pid_file(), path("report2"), {opt}));
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("mode 0666: writable by its group or by other users"), std::string::npos) << r.err;
    ASSERT_EQ(::stat(pid_file().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0666u) << opt;
    EXPECT_EQ(slurp(pid_file()), "12345\n");
}

INSTANTIATE_TEST_SUITE_P(Umasks, PidFileMode, ::testing::Values(0, 02, 020, 022, 027, 077, 0777, 0666),
                         [](const ::testing::TestParamInfo<int>& param) {
                             char name[16];
                             std::snprintf(name, sizeof name, "umask_%04o", static_cast<unsigned>(param.param));
                             return std::string(name);
                         });

// ---- the original process killed while it waits --------------------------------

std::string step_name(const ::testing::TestParamInfo<const char*>& param) { return param.param; }

class OriginalKilled : public Reliability, public ::testing::WithParamInterface<const char*> {};

TEST_P(OriginalKilled, DaemonGivesUpAndRemovesItsPidFile) {
    // The daemon stops itself right before a step (the test build's
    // DAEMONIKER_TEST_PAUSE); meanwhile the original waits for its report
    // and is killed. Resumed, the daemon finds nobody to report to (EPIPE):
    // it must remove its PID file and exit.
    const std::string step = GetParam();
    const pid_t original = spawn(helper("daemonize", pid_file(), path("report")), path("out"), path("err"),
                                 {"DAEMONIKER_TEST_PAUSE=" + step});
    ASSERT_TRUE(wait_for_file(pid_file())) << slurp(path("err"));
    const pid_t daemon = pid_in(pid_file());
    ASSERT_GT(daemon, 0);
    record(daemon);
    ASSERT_TRUE(wait_stopped(daemon, 10s)) << "the daemon did not pause before '" << step << "'";
    EXPECT_TRUE(lock_held(pid_file()));
    EXPECT_FALSE(wait_exit(original, 0ms).has_value()); // still waiting for the report

    ASSERT_EQ(::kill(original, SIGKILL), 0);
    const auto killed = wait_exit(original);
    ASSERT_TRUE(killed.has_value());
    EXPECT_TRUE(WIFSIGNALED(*killed) && WTERMSIG(*killed) == SIGKILL);

    ASSERT_EQ(::kill(daemon, SIGCONT), 0);
    const auto status = wait_exit(daemon);
    ASSERT_TRUE(status.has_value()) << "the daemon kept running without its original";
    recorded_.erase(daemon);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << *status;
    EXPECT_FALSE(fs::exists(pid_file()));
    EXPECT_FALSE(fs::exists(path("report"))); // the daemon never ran the caller's code
    // TearDown: no process left (the intermediate was reaped, by the
    // original or by us once the original was gone).
}

INSTANTIATE_TEST_SUITE_P(Steps, OriginalKilled, ::testing::Values("close_fds", "redirect_stdin", "report"), step_name);

// ---- a crash or a hang at every step after the first fork ------------------------

// The steps that run in the intermediate process or in the daemon.
const char* const child_steps[] = {"setsid",        "fork_again",     "chdir",           "pid_file_open",
                                   "pid_file_lock", "pid_file_write", "close_fds",       "redirect_stdin",
                                   "redirect_stdout", "redirect_stderr", "report"};

bool in_intermediate(const std::string& step) { return step == "setsid" || step == "fork_again"; }

// Whether a daemon that dies or hangs right before `step` leaves its PID
// file behind. With O_TMPFILE never: the file appears at its path written
// and locked. Without (the portable build, BSD, macOS) the file is created
// empty with O_EXCL and written next: a death between the two leaves an
// empty file that names nobody, so the original cannot tell it is the
// daemon's and leaves it. The weaker guarantee, checked below: the file is
// empty and unlocked, and every reader and the next start treat it as stale.
bool leaves_an_empty_file([[maybe_unused]] const std::string& step) {
#ifdef DAEMONIKER_PORTABLE_POSIX
    return step == "pid_file_lock" || step == "pid_file_write";
#else
    return false;
#endif
}

void expect_nothing_or_an_empty_stale_file(const std::string& step, const fs::path& pid_file) {
    if (!leaves_an_empty_file(step)) {
        EXPECT_FALSE(fs::exists(pid_file));
        return;
    }
    ASSERT_TRUE(fs::exists(pid_file));
    EXPECT_EQ(fs::file_size(pid_file), 0u);
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(pid_file, ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(info.state, daemoniker::PidFileState::stale);
    EXPECT_EQ(info.pid, 0);
}

class CrashAtStep : public Reliability, public ::testing::WithParamInterface<const char*> {};

TEST_P(CrashAtStep, OriginalReportsItAndNothingIsLeft) {
    // SIGSEGV right before the step (DAEMONIKER_TEST_CRASH): no cleanup code
    // runs in the crashed process; the original must notice (EOF on the
    // report pipe), remove a PID file the daemon left, and say what happened.
    const std::string step = GetParam();
    auto r = run(helper("daemonize", pid_file(), path("report")), {"DAEMONIKER_TEST_CRASH=" + step});
    EXPECT_EQ(r.status, 1) << r.err;
    const std::string expected = in_intermediate(step)
                                     ? "the intermediate process killed by signal 11 before forking the daemon"
                                     : "died before reporting success";
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    expect_nothing_or_an_empty_stale_file(step, pid_file());
    EXPECT_FALSE(fs::exists(path("report")));
    // TearDown: no process left.
}

INSTANTIATE_TEST_SUITE_P(Steps, CrashAtStep, ::testing::ValuesIn(child_steps), step_name);

class StallAtStep : public Reliability, public ::testing::WithParamInterface<const char*> {};

TEST_P(StallAtStep, TimeoutKillsTheDaemonAndNothingIsLeft) {
    // The step never finishes (DAEMONIKER_TEST_STALL): after success_timeout
    // the original kills what it started and removes its PID file.
    const std::string step = GetParam();
    auto r = run(helper("daemonize", pid_file(), path("report"), {"timeout_ms=300"}), {"DAEMONIKER_TEST_STALL=" + step});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("no report from the daemon"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("within 300 ms; it was killed"), std::string::npos) << r.err;
    expect_nothing_or_an_empty_stale_file(step, pid_file());
    EXPECT_FALSE(fs::exists(path("report")));
}

INSTANTIATE_TEST_SUITE_P(Steps, StallAtStep, ::testing::ValuesIn(child_steps), step_name);

TEST_F(Reliability, OriginalKilledAfterTheReportWasSentLeavesAWorkingDaemon) {
    // The other side of the window: the report is already in the pipe when
    // the original dies without reading it (its wait stalls). The daemon
    // cannot know; it runs with a valid, locked PID file and can be stopped.
    const pid_t original = spawn(helper("daemonize", pid_file(), path("report")), path("out"), path("err"),
                                 {"DAEMONIKER_TEST_STALL=wait"});
    const auto rep = read_report(path("report")); // the daemon ran past daemonize()
    ASSERT_FALSE(rep.empty());
    const pid_t daemon = std::stoi(rep.at("pid"));
    record(daemon);
    ASSERT_EQ(::kill(original, SIGKILL), 0);
    ASSERT_TRUE(wait_exit(original).has_value());
    const auto info = daemoniker::inspect_pid_file(pid_file());
    EXPECT_EQ(info.state, daemoniker::PidFileState::running);
    EXPECT_EQ(info.pid, daemon);
    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    const auto status = wait_exit(daemon);
    ASSERT_TRUE(status.has_value());
    recorded_.erase(daemon);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
    EXPECT_FALSE(fs::exists(pid_file()));
}

} // namespace
} // namespace test
