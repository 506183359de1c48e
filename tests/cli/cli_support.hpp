#pragma once
// Support for the tests of the `daemoniker` command: a fixture that runs the
// real binary, and the test program it starts (tests/helpers/notify_program.cpp).

#include "../process/support.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

// Sanitizer runtimes need memory and descriptors of their own (ASan reserves
// terabytes of address space; UBSan's checks open a pipe), so tests that
// starve the command of either cannot run under them.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DAEMONIKER_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DAEMONIKER_TEST_SANITIZED 1
#endif
#endif

namespace test {

class Cli : public ProcessTest {
protected:
    using clock = std::chrono::steady_clock;

    /// Runs the command (by default the shipped build) with `args`.
    static Result cli(std::vector<std::string> args, const std::vector<std::string>& env = {},
                      std::chrono::milliseconds timeout = 30s, const char* binary = DAEMONIKER_CLI) {
        args.insert(args.begin(), binary);
        return run(args, env, timeout);
    }
    static std::string program() { return DAEMONIKER_NOTIFY_PROGRAM; }
    std::filesystem::path pid_file() const { return path("d.pid"); }

    /// `daemoniker start --pid-file d.pid --wait-ready [options] -- program args`;
    /// expects success, records the daemon and returns its PID.
    pid_t start_ready(const std::vector<std::string>& program_args, const std::vector<std::string>& options = {}) {
        std::vector<std::string> args{"start", "--pid-file", pid_file().string(), "--wait-ready"};
        args.insert(args.end(), options.begin(), options.end());
        args.push_back("--");
        args.push_back(program());
        args.insert(args.end(), program_args.begin(), program_args.end());
        const auto r = cli(args);
        EXPECT_EQ(r.status, 0) << r.err;
        EXPECT_EQ(r.err, "");
        const pid_t pid = pid_in(pid_file());
        EXPECT_GT(pid, 0);
        if (pid > 0) record(pid);
        return pid;
    }

    /// Records a program the command started, and its lock keeper: the
    /// program is the keeper's child, and the keeper (reparented to this
    /// subreaper) ends right after it, with its wait status.
    void record(pid_t pid) {
        ProcessTest::record(pid);
        const pid_t keeper = parent_of(pid);
        if (keeper > 1 && keeper != ::getpid()) keepers_[pid] = keeper;
    }
    /// The lock keeper recorded for a program, or -1.
    pid_t keeper_of(pid_t pid) const {
        const auto k = keepers_.find(pid);
        return k == keepers_.end() ? -1 : k->second;
    }

    /// Runs the command while this process, the subreaper of the daemons,
    /// reaps `orphans` (its children once reparented) as soon as they exit,
    /// as the init of a BSD or macOS system does. Needed only where the
    /// command waits for a process by kill(pid, 0), which succeeds on a
    /// zombie: without pidfds and /proc (the portable build) it would wait
    /// for a zombie that this process, like the PID 1 of these machines,
    /// does not reap on its own. reaped() then returns the status taken here.
    Result cli_reaping(const std::vector<std::string>& args, [[maybe_unused]] const std::vector<pid_t>& orphans) {
#ifndef DAEMONIKER_PORTABLE_POSIX
        return cli(args);
#else
        std::atomic<bool> done{false};
        std::map<pid_t, int> statuses;
        std::thread reaper([&] {
            std::set<pid_t> left(orphans.begin(), orphans.end());
            while (!left.empty()) {
                const bool last_round = done;
                for (auto it = left.begin(); it != left.end();) {
                    int status = 0;
                    if (::waitpid(*it, &status, WNOHANG) == *it) {
                        statuses[*it] = status;
                        it = left.erase(it);
                    } else {
                        ++it;
                    }
                }
                if (last_round) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        });
        auto r = cli(args);
        done = true;
        reaper.join();
        reaped_early_.insert(statuses.begin(), statuses.end());
        return r;
#endif
    }

    /// Waits for a recorded daemon that is expected to end; returns its wait
    /// status (a program's, as its keeper mirrors it).
    int reaped(pid_t pid) {
        const pid_t waited = keeper_of(pid) > 0 ? keeper_of(pid) : pid;
        if (const auto early = reaped_early_.find(waited); early != reaped_early_.end()) {
            keepers_.erase(pid);
            recorded_.erase(pid);
            return early->second;
        }
        std::optional<int> status;
        if (const pid_t keeper = keeper_of(pid); keeper > 0) {
            status = wait_exit(keeper);
            if (status) keepers_.erase(pid);
        } else {
            status = wait_exit(pid);
        }
        EXPECT_TRUE(status.has_value()) << "pid " << pid << " did not exit";
        if (!status) return -1;
        recorded_.erase(pid);
        return *status;
    }

    std::map<pid_t, pid_t> keepers_;
    std::map<pid_t, int> reaped_early_; // by cli_reaping()

    /// The descriptors above 2 listed in a report's "fds" line.
    static std::vector<int> extra_fds(const std::map<std::string, std::string>& report) {
        std::vector<int> out;
        const auto it = report.find("fds");
        if (it == report.end()) return out;
        std::string list = it->second + ",";
        for (std::size_t pos = 0, comma; (comma = list.find(',', pos)) != std::string::npos; pos = comma + 1)
            if (comma > pos && std::stoi(list.substr(pos, comma - pos)) > 2) out.push_back(std::stoi(list.substr(pos, comma - pos)));
        return out;
    }

    /// Checks a report of the test program for "it inherited 0-2 and
    /// nothing else": not even the PID file, which its lock keeper holds.
    void expect_only_standard_fds(const std::map<std::string, std::string>& report) {
        EXPECT_TRUE(extra_fds(report).empty()) << report.at("fds");
    }

    static std::size_t lines(const std::string& s) {
        return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
    }
    static bool exists(const std::filesystem::path& p) { return std::filesystem::exists(p); }

    /// Runs: exists, and is not a zombie (by /proc).
    static bool runs(pid_t pid) {
        const auto stat = slurp("/proc/" + std::to_string(pid) + "/stat");
        const auto close = stat.rfind(')');
        return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' &&
               stat[close + 2] != 'X';
    }

    /// How `status` begins to describe a running daemon with PID `pid`, up
    /// to where its age follows: "running (pid N, up 3s ...)". Without /proc
    /// (the portable build; BSD and macOS) the command cannot tell a
    /// process's age and says only "running (pid N)".
    static std::string running_pid(pid_t pid) {
#ifdef DAEMONIKER_PORTABLE_POSIX
        return "running (pid " + std::to_string(pid) + ")";
#else
        return "running (pid " + std::to_string(pid) + ", up ";
#endif
    }

    /// How start and restart say that the program ended before it was
    /// ready, `how` being "with status 3" or "was killed by SIGTERM" (the
    /// text that follows "exited" or replaces it). The command learns how the
    /// program ended from the wait status of its lock keeper, its child.
    static std::string ended_before_ready(const std::string& how) {
        return how.rfind("with ", 0) == 0 ? ") exited " + how + " before it was ready" : ") " + how + " before it was ready";
    }

    /// A PID that is certainly not running now: a child that exited and was reaped.
    static pid_t dead_pid() {
        const pid_t child = ::fork();
        if (child == 0) ::_exit(0);
        ::waitpid(child, nullptr, 0);
        return child;
    }
};

} // namespace test
