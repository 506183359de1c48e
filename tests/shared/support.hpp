#pragma once
// Support for the tests both platforms share (tests/shared/): running the
// helper and the command, waiting for files and processes with deadlines,
// probing the PID-file lock, and a fixture that leaves no process and no file
// behind. One interface, one implementation per platform
// (support.posix.cpp, support.windows.cpp), so that the test bodies read the
// same on both.
//
// Strings are UTF-8 everywhere; paths are converted with from_utf8()/utf8().

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace shared {

using namespace std::chrono_literals;

/// A process ID, as either platform has them.
using Pid = std::int64_t;

struct Result {
    /// The exit status (0-255; POSIX: 128 + signal for a killed process).
    int exit_code = -1;
    Pid pid = 0; ///< the process that ran
    std::string out; ///< standard output, line ends as LF
    std::string err; ///< standard error, line ends as LF
};

std::string utf8(const std::filesystem::path& p);
std::filesystem::path from_utf8(std::string_view s);

/// The helper (tests/helpers/helper.cpp) and the daemoniker command.
std::filesystem::path helper_path();
std::filesystem::path cli_path();

/// The file's text, CRLF read as LF; "" if unreadable.
std::string slurp(const std::filesystem::path& path);
/// The file's bytes as they are; "" if unreadable.
std::string bytes_of(const std::filesystem::path& path);
/// Writes exactly `bytes`.
void write_bytes(const std::filesystem::path& path, const std::string& bytes);
/// The helper's report (key=value lines), once it holds "pid="; fails the
/// test (and returns an empty map) if none comes within the deadline.
std::map<std::string, std::string> read_report(const std::filesystem::path& path);

/// Waits (change notifications, with a deadline) until `path` exists and,
/// if `needle` is given, contains it.
bool wait_for_file(const std::filesystem::path& path, const std::string& needle = "",
                   std::chrono::milliseconds timeout = 15s);
/// Waits (with a deadline) until `path` no longer exists.
bool wait_gone(const std::filesystem::path& path, std::chrono::milliseconds timeout = 5s);

/// True when someone holds the lock of the PID file, probed the way the
/// platform locks (POSIX: F_OFD_GETLK; Windows: the byte at 2^40), not with
/// the library's own code.
bool lock_held(const std::filesystem::path& path);
/// Waits until nobody holds the lock (released with the holder's death, a
/// moment later under Wine).
bool wait_unlocked(const std::filesystem::path& path, std::chrono::milliseconds timeout = 5s);

/// The PID in the first line of a PID file, or -1.
Pid pid_in(const std::filesystem::path& path);
/// A well-formed PID file of this platform that names no running process.
std::string stale_pid_file_text();

/// Lets every user of the system write the file (POSIX: mode 0666;
/// Windows: an ACE allowing Everyone to write); true if it took effect.
bool let_everyone_write(const std::filesystem::path& path);
/// Takes that away again (POSIX: mode 0644; Windows: Everyone may read).
bool let_only_owner_write(const std::filesystem::path& path);

/// Every reader of the library (inspect_pid_file, is_running, send, with
/// and without error_code) refuses `file` with errc::writable_by_others.
void expect_not_believed(const std::filesystem::path& file);

/// The system's text for "no such file or directory" as the library reports
/// it for a missing directory (POSIX: ENOENT; Windows: ERROR_PATH_NOT_FOUND
/// or ERROR_FILE_NOT_FOUND, the one the system gives).
std::string not_found_message(const std::filesystem::path& missing_directory);

/// Each test gets a fresh directory. Processes it runs and daemons it records
/// are tracked: TearDown ends recorded daemons, fails the test if any other
/// process it started is still running (and ends it), and removes the
/// directory.
/// The system's text for the error that opening `directory` for writing
/// gives (POSIX: EISDIR; Windows: what CreateFileW reports), as the library
/// words it.
std::string write_open_error_message(const std::filesystem::path& directory);

class ProcessTest : public ::testing::Test {
protected:
    ProcessTest();
    ~ProcessTest() override;
    void SetUp() override;
    void TearDown() override;

    /// `name` is UTF-8, like every string in these tests.
    std::filesystem::path path(const std::string& name) const { return dir_ / from_utf8(name); }
    std::string p(const std::string& name) const { return utf8(path(name)); }

    /// Runs `exe` with arguments and extra environment entries ("K=V"),
    /// capturing its output; ended (and the test failed) at `timeout`.
    Result run(const std::filesystem::path& exe, const std::vector<std::string>& args,
               const std::vector<std::string>& env = {}, std::chrono::milliseconds timeout = 30s);
    /// `helper MODE <dir>/d.pid <dir>/report KV...`, after removing an
    /// earlier report (a daemon writes its report after its launcher
    /// returned: an old one must not be read in its place).
    Result helper(const std::string& mode, const std::vector<std::string>& kv = {},
                  const std::vector<std::string>& env = {});
    /// The daemoniker command with `args`.
    Result cli(const std::vector<std::string>& args);

    /// A daemon the test started: TearDown ends it if it still runs. Where
    /// the platform allows, the process is pinned now, so that TearDown
    /// never ends a process that only inherited the PID.
    void record(Pid pid);
    /// The test saw the recorded daemon end.
    void forget(Pid pid);
    /// Ends a recorded daemon at once, without its cleanup (POSIX: SIGKILL;
    /// Windows: TerminateProcess), and waits for it.
    bool kill_recorded(Pid pid);
    /// Whether a recorded daemon still runs (POSIX: not a zombie either).
    bool alive(Pid pid);
    /// Waits until a recorded daemon exited; true if it did in time.
    bool wait_exit(Pid pid, std::chrono::milliseconds timeout = 15s);
    /// The exit status of a daemon that wait_exit() saw end, as Result has
    /// it; -1 if unknown (POSIX: the process was not this test's child).
    int exit_code(Pid pid) const;

    std::filesystem::path dir_;

private:
    struct Tracked;
    std::unique_ptr<Tracked> tracked_;
};

} // namespace shared
