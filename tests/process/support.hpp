#pragma once
// Support for tests that run real processes: spawning the helper, waiting
// for files and exits with deadlines, probing PID-file locks, and a fixture
// that leaves no process and no file behind.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace test {

using namespace std::chrono_literals;

struct Result {
    int status = -1; ///< exit status, or 128 + signal
    pid_t pid = -1;  ///< the process that ran
    std::string out;
    std::string err;
};

/// Runs `argv` with extra environment entries, capturing stdout and stderr
/// until both are closed and the process exited; kills it at `timeout`.
Result run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
           std::chrono::milliseconds timeout = 20s);

/// Path of the helper binary, and a command line for one of its modes.
std::vector<std::string> helper(const std::string& mode, const std::filesystem::path& pid_file,
                                const std::filesystem::path& report, std::vector<std::string> kv = {});

/// Waits (inotify, with a deadline) until `path` exists.
bool wait_for_file(const std::filesystem::path& path, std::chrono::milliseconds timeout = 10s);

/// Waits (inotify, with a deadline) until the file contains `needle`.
bool wait_for_content(const std::filesystem::path& path, const std::string& needle,
                      std::chrono::milliseconds timeout = 10s);

std::string slurp(const std::filesystem::path& path);
std::map<std::string, std::string> read_report(const std::filesystem::path& path);

/// "dev:ino" of a file, as the helper reports descriptors.
std::string identity(const std::filesystem::path& path);

/// True when someone holds a lock on the file (probed with F_OFD_GETLK,
/// independently of the library's own code).
bool lock_held(const std::filesystem::path& path);

/// The first line of the file as a PID, or -1.
pid_t pid_in(const std::filesystem::path& path);

/// The current parent of `pid` (from /proc), or -1.
pid_t parent_of(pid_t pid);

/// Waits for our child `pid` (daemons become our children: the test process
/// is a child subreaper) to exit, with a pidfd; returns its wait status.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout = 10s);

/// Our live (not zombie) children, after reaping every zombie.
std::set<pid_t> live_children();

/// Makes the test process a child subreaper and a fresh temporary directory
/// for the test; "" if either fails.
std::filesystem::path make_test_directory();
/// What every process test does at its end: kills the `recorded` daemons,
/// gives every other child a moment to exit (daemons of failed starts exit
/// on their own), fails the test for each still running and kills it (our
/// own child: started by this test), then removes `dir`. `recorded` is
/// emptied.
void clean_up(std::set<pid_t>& recorded, const std::filesystem::path& dir);

/// A real, unprivileged system user made for one test (useradd: no home, no
/// login shell, a group of its own) and removed again (userdel) when this is
/// destroyed: destroy it only once no process of the user runs. Needs root
/// and useradd; otherwise `skip` says why and nothing was made.
class TestUser {
public:
    /// The name is "dmnk-test-<pid><suffix>": tests run in parallel
    /// processes, and each removes its own.
    explicit TestUser(const std::string& suffix = "");
    ~TestUser();
    TestUser(const TestUser&) = delete;
    TestUser& operator=(const TestUser&) = delete;

    std::string skip;  ///< non-empty: why no user was made (skip the test)
    std::string error; ///< non-empty: useradd failed (fail the test)
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;

private:
    bool created_ = false;
};

/// Each test gets a temporary directory and becomes a child subreaper. At the
/// end it kills the daemons it recorded, waits for every child, fails the
/// test if an unrecorded process is left, and removes the directory.
class ProcessTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    std::filesystem::path path(const std::string& name) const { return dir_ / name; }
    /// Records a daemon so TearDown kills it if the test did not stop it.
    void record(pid_t pid) { recorded_.insert(pid); }
    /// Stops a recorded daemon with SIGTERM and waits for it; returns the wait status.
    std::optional<int> stop(pid_t pid);

    std::filesystem::path dir_;
    std::set<pid_t> recorded_;
};

} // namespace test
