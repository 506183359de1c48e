// Soak: start -> send -> stop cycles through the library (the helper
// daemonizes itself) and through the `daemoniker` command, with the
// controlling process (this one, a child subreaper) watched for zombies,
// leaked descriptors, leftover files and memory growth; and a storm of
// signals at one daemon.
//
// The default suite runs a short version. The long one (scripts/soak) sets
//   DAEMONIKER_SOAK_CYCLES   cycles per test (default 50)
//   DAEMONIKER_SOAK_SIGNALS  signals in the storm (default 10000)
// Figures are printed on lines starting with "FIGURE ".

#include "../process/support.hpp"

#include <daemoniker/pid_file.hpp>
#include <daemoniker/signals.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iostream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define DAEMONIKER_SOAK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DAEMONIKER_SOAK_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define DAEMONIKER_SOAK_SANITIZED 1
#endif

namespace test {
namespace {

namespace fs = std::filesystem;
using clock = std::chrono::steady_clock;

void figure(const std::string& line) { std::cout << "FIGURE " << line << std::endl; }

long env_number(const char* name, long fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    return std::strtol(v, nullptr, 10);
}

long cycles() { return env_number("DAEMONIKER_SOAK_CYCLES", 50); }

// Open descriptors of this process (the directory's own excluded).
int open_descriptors() {
    int count = 0;
    DIR* d = ::opendir("/proc/self/fd");
    if (d == nullptr) return -1;
    while (const dirent* e = ::readdir(d))
        if (e->d_name[0] != '.') ++count;
    ::closedir(d);
    return count - 1;
}

// VmRSS of this process, in KiB.
long rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
    return -1;
}

// Our children by state, without reaping any: zombies are counted, not hidden.
struct Children {
    int zombies = 0;
    int alive = 0;
};
Children children() {
    Children c;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator("/proc/self/task", ec)) {
        std::istringstream in(slurp(task.path() / "children"));
        pid_t p = 0;
        while (in >> p) {
            const auto stat = slurp("/proc/" + std::to_string(p) + "/stat");
            const auto close = stat.rfind(')');
            const char state = close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
            if (state == 'Z' || state == 'X') ++c.zombies;
            else ++c.alive;
        }
    }
    return c;
}

std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}

// What the controlling process looks like; compared before and after.
struct Snapshot {
    int fds = 0;
    long rss = 0;
};
Snapshot snapshot() { return {open_descriptors(), rss_kib()}; }

// Memory may grow by this much over a soak (allocator caches, first-touch of
// pages); a leak of even 100 bytes per cycle exceeds it at 1,000 cycles.
[[maybe_unused]] constexpr long rss_slack_kib = 96;

class Soak : public ProcessTest {
protected:
    fs::path pid_file() const { return path("d.pid"); }
    fs::path report() const { return path("report"); }
    fs::path log() const { return path("log"); }

    // Counters over all cycles.
    long zombies_ = 0;
    long stray_children_ = 0;
    long files_left_ = 0;
    long done_ = 0;
    double slowest_ = 0;

    // After a cycle: no zombie, no child, nothing in the directory but what
    // the test itself wrote (removed here).
    void after_cycle(long i) {
        const auto c = children();
        zombies_ += c.zombies;
        stray_children_ += c.alive;
        EXPECT_EQ(c.zombies, 0) << "cycle " << i;
        EXPECT_EQ(c.alive, 0) << "cycle " << i;
        std::error_code ec;
        fs::remove(report(), ec);
        fs::remove(log(), ec);
        const auto left = entries(dir_);
        files_left_ += static_cast<long>(left.size());
        EXPECT_TRUE(left.empty()) << "cycle " << i << " left: " << joined(left);
    }

    // Runs `cycle` n times; checks descriptors, memory and leftovers; prints figures.
    template <class Cycle>
    void soak(const std::string& name, long n, Cycle cycle) {
        const long warmup = std::min<long>(5, n);
        Snapshot before{};
        long rss_max = 0;
        const auto start = clock::now();
        auto measured_start = start;
        for (long i = 0; i < n; ++i) {
            if (i == warmup) {
                before = snapshot();
                measured_start = clock::now();
            }
            const auto t0 = clock::now();
            cycle(i);
            slowest_ = std::max(slowest_, std::chrono::duration<double>(clock::now() - t0).count());
            after_cycle(i);
            rss_max = std::max(rss_max, rss_kib());
            if (HasFailure()) {
                ADD_FAILURE() << name << ": stopped at cycle " << i;
                break;
            }
            ++done_;
        }
        const auto after = snapshot();
        const double seconds = std::chrono::duration<double>(clock::now() - start).count();
        if (n > warmup) {
            EXPECT_EQ(after.fds, before.fds) << "descriptors leaked";
#ifndef DAEMONIKER_SOAK_SANITIZED // sanitizers keep freed memory in quarantine; they check leaks themselves
            EXPECT_LE(after.rss - before.rss, rss_slack_kib) << "memory grew";
#endif
        }
        const double per_cycle =
            n > warmup ? std::chrono::duration<double>(clock::now() - measured_start).count() / static_cast<double>(n - warmup)
                       : 0.0;
        std::ostringstream f;
        f << name << ": " << done_ << "/" << n << " cycles in " << seconds << " s (" << per_cycle * 1000
          << " ms per cycle, slowest " << slowest_ * 1000 << " ms); zombies " << zombies_ << ", stray children "
          << stray_children_ << ", files left " << files_left_ << "; descriptors " << before.fds << " -> "
          << after.fds << "; VmRSS " << before.rss << " -> " << after.rss << " KiB (max " << rss_max << ")";
        figure(f.str());
    }

    // Reaps a daemon that is expected to end normally; for a program the
    // command started, through its lock keeper (this process's child),
    // which ends right after it with its status.
    void expect_clean_exit(pid_t pid, long i, pid_t keeper = -1) {
        const auto status = keeper > 0 ? wait_exit(keeper) : wait_exit(pid);
        ASSERT_TRUE(status.has_value()) << "cycle " << i << ": daemon " << pid << " did not exit";
        recorded_.erase(pid);
        EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "cycle " << i << ": status " << *status;
        EXPECT_FALSE(fs::exists(pid_file())) << "cycle " << i;
    }
};

TEST_F(Soak, LibraryStartSendStopCycles) {
    soak("soak library", cycles(), [&](long i) {
        auto r = run(helper("signals", pid_file(), report(), {"usr1=record", "log=" + log().string()}));
        ASSERT_EQ(r.status, 0) << "cycle " << i << ": " << r.err;
        const auto rep = read_report(report());
        ASSERT_FALSE(rep.empty()) << "cycle " << i;
        const pid_t pid = std::stoi(rep.at("pid"));
        record(pid);
        ASSERT_EQ(pid_in(pid_file()), pid);
        daemoniker::send(pid_file(), daemoniker::Signal::sigusr1);
        ASSERT_TRUE(wait_for_content(log(), "handled usr1 " + std::to_string(SIGUSR1))) << "cycle " << i;
        daemoniker::send<daemoniker::SigTerm>(pid_file()); // the stop
        expect_clean_exit(pid, i);
        EXPECT_NE(slurp(log()).find("caught received SIGTERM"), std::string::npos) << "cycle " << i;
    });
}

#ifdef DAEMONIKER_CLI
// The command's private socket directories ($TMPDIR) go to the test's
// directory, so that one left behind counts as a file left.
Result cli(std::vector<std::string> args, const fs::path& tmpdir) {
    args.insert(args.begin(), DAEMONIKER_CLI);
    return run(args, {"TMPDIR=" + tmpdir.string()});
}
#endif

TEST_F(Soak, CommandStartSendStopCycles) {
#ifndef DAEMONIKER_CLI
    GTEST_SKIP() << "the daemoniker command is not built";
#else
    soak("soak command", cycles(), [&](long i) {
        auto r = cli({"start", "--pid-file", pid_file().string(), "--wait-ready", "--", DAEMONIKER_SOAK_PROGRAM,
                      pid_file().string(), log().string()},
                     dir_);
        ASSERT_EQ(r.status, 0) << "cycle " << i << ": " << r.err;
        const pid_t pid = pid_in(pid_file());
        ASSERT_GT(pid, 0) << "cycle " << i;
        record(pid);
        const pid_t keeper = parent_of(pid);
        r = cli({"send", pid_file().string(), "USR1"}, dir_);
        ASSERT_EQ(r.status, 0) << "cycle " << i << ": " << r.err;
        ASSERT_TRUE(wait_for_content(log(), "usr1 1\n")) << "cycle " << i;
        r = cli({"stop", pid_file().string()}, dir_);
        ASSERT_EQ(r.status, 0) << "cycle " << i << ": " << r.err;
        expect_clean_exit(pid, i, keeper);
    });
#endif
}

// Thousands of signals at a daemon with custom handlers: it keeps running,
// handles the signal sent after the storm, and ends cleanly on SIGTERM.
TEST_F(Soak, SignalStormAtADaemon) {
    const long total = env_number("DAEMONIKER_SOAK_SIGNALS", 10000);
    auto r = run(helper("signals", pid_file(), report(),
                        {"usr1=record", "hup=record", "usr2=record", "log=" + log().string()}));
    ASSERT_EQ(r.status, 0) << r.err;
    const auto rep = read_report(report());
    ASSERT_FALSE(rep.empty());
    const pid_t pid = std::stoi(rep.at("pid"));
    record(pid);
    const Snapshot before = snapshot();

    const auto start = clock::now();
    long sent = 0;
    for (long i = 0; i < total; ++i) {
        std::error_code ec;
        daemoniker::send(pid_file(), i % 2 == 0 ? daemoniker::Signal::sigusr1 : daemoniker::Signal::sighup, ec);
        ASSERT_FALSE(ec) << "signal " << i << ": " << ec.message();
        ++sent;
    }
    const double send_seconds = std::chrono::duration<double>(clock::now() - start).count();
    // The marker after the storm: handled once every earlier signal was dealt with.
    daemoniker::send(pid_file(), daemoniker::Signal::sigusr2);
    ASSERT_TRUE(wait_for_content(log(), "handled usr2 " + std::to_string(SIGUSR2), 30s));
    const double handled_seconds = std::chrono::duration<double>(clock::now() - start).count();
    EXPECT_TRUE(daemoniker::is_running(pid_file()));

    const auto text = slurp(log());
    auto count = [&](const std::string& needle) {
        long n = 0;
        for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
        return n;
    };
    const long usr1 = count("handled usr1 ");
    const long hup = count("handled hup ");
    EXPECT_GE(usr1, 1);
    EXPECT_GE(hup, 1);
    EXPECT_LE(usr1 + hup, sent);
    EXPECT_EQ(count("on main thread"), 0); // handlers run on the signal thread only

    daemoniker::send(pid_file(), daemoniker::Signal::sigterm);
    const auto status = wait_exit(pid);
    ASSERT_TRUE(status.has_value());
    recorded_.erase(pid);
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
    EXPECT_FALSE(fs::exists(pid_file()));
    EXPECT_NE(slurp(log()).find("caught received SIGTERM"), std::string::npos);
    const Snapshot after = snapshot();
    EXPECT_EQ(after.fds, before.fds);
    std::ostringstream f;
    f << "signal storm: " << sent << " signals sent by send() in " << send_seconds << " s, handler calls " << usr1
      << " SIGUSR1 + " << hup << " SIGHUP (" << sent - usr1 - hup << " coalesced), marker handled after "
      << handled_seconds << " s, daemon exited 0, PID file removed";
    figure(f.str());
}

} // namespace
} // namespace test
