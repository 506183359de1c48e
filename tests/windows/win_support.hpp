#pragma once
// Support for the Windows tests under Wine: running the helper, waiting for
// files and processes with deadlines, probing the PID-file lock, and a
// fixture that leaves no process and no file behind.

#include <gtest/gtest.h>

#include <windows.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace wintest {

using namespace std::chrono_literals;

inline std::string utf8(const std::filesystem::path& p) {
    const auto s = p.u8string();
    return std::string(s.begin(), s.end());
}
inline std::filesystem::path from_utf8(std::string_view s) { return std::filesystem::path(std::u8string(s.begin(), s.end())); }

struct Result {
    DWORD exit_code = 0xffffffff;
    DWORD pid = 0;
    std::string out;
    std::string err;
    /// The process handle, held open: while it is, Windows gives nobody
    /// else this PID, so the PID stays safe to look up and to end.
    std::shared_ptr<void> process;
};

/// The helper next to the test executable.
std::filesystem::path helper_path();

/// The daemoniker command, copied next to the test executable by the build.
std::filesystem::path cli_path();

/// Runs `exe` with arguments and extra environment entries ("K=V"), stdout
/// and stderr captured through files; terminated at `timeout`.
Result run_program(const std::filesystem::path& exe, const std::vector<std::string>& args,
                   const std::vector<std::string>& env = {}, std::chrono::milliseconds timeout = 30s);

/// Runs the helper with arguments and extra environment entries ("K=V"),
/// stdout and stderr captured through files; terminated at `timeout`.
Result run_helper(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
                  std::chrono::milliseconds timeout = 30s);

/// Waits (change notifications, with a deadline) until `path` exists and,
/// if `needle` is given, contains it.
bool wait_for_file(const std::filesystem::path& path, const std::string& needle = "",
                   std::chrono::milliseconds timeout = 15s);

std::string slurp(const std::filesystem::path& path);
std::map<std::string, std::string> read_report(const std::filesystem::path& path);

/// The file's bytes as they are (slurp() reads CRLF as LF); "" if unreadable.
std::string bytes_of(const std::filesystem::path& path);
/// Writes exactly `bytes` (no CRLF translation).
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

/// Replaces the entries of `group` in the DACL of a file or directory by one
/// allowing `access`, with `inheritance` flags (SetEntriesInAclW with
/// SET_ACCESS, SetNamedSecurityInfoW). Returns the Win32 error, 0 on success.
DWORD set_access(const std::filesystem::path& path, WELL_KNOWN_SID_TYPE group, ACCESS_MASK access,
                 DWORD inheritance = 0 /* NO_INHERITANCE */);
/// Gives the file a NULL DACL (everyone full access). The Win32 error, or 0.
DWORD set_null_dacl(const std::filesystem::path& path);
/// Whether the file's DACL, read back, has an allowing ACE for `group` with
/// FILE_WRITE_DATA; and whether it is a NULL DACL.
bool dacl_allows_write(const std::filesystem::path& path, WELL_KNOWN_SID_TYPE group);
bool has_null_dacl(const std::filesystem::path& path);
/// The file's DACL in SDDL, for messages.
std::string dacl_text(const std::filesystem::path& path);

/// True when the PID file's lock byte is held (by the daemon).
bool lock_held(const std::filesystem::path& path);
bool alive(DWORD pid);
/// Waits for a process to exit; true if it did within `timeout`.
bool wait_exit(DWORD pid, std::chrono::milliseconds timeout = 15s);
/// Processes whose parent is `parent`, created at or after `not_before`
/// (100 ns units, as GetProcessTimes; older ones are orphans of an earlier
/// process that had the same PID), and that still run.
std::set<DWORD> live_children_of(DWORD parent, std::uint64_t not_before = 0);
/// When the process was created (100 ns units, as GetProcessTimes), 0 if unknown.
std::uint64_t created_at(HANDLE process);
/// TerminateProcess, and a bounded wait for the process to end.
void terminate(HANDLE process);

/// A fresh directory for the running test, under the temporary directory.
std::filesystem::path make_test_directory();
/// What every process test does at its end: ends the `recorded` processes,
/// gives children of the `launched` ones (daemons of failed starts end on
/// their own) a moment, fails the test for each still running and ends it,
/// then removes `dir`. Both maps are emptied.
void clean_up(std::map<DWORD, std::shared_ptr<void>>& recorded, std::map<DWORD, std::shared_ptr<void>>& launched,
              const std::filesystem::path& dir);

class WinProcessTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;
    /// `name` is UTF-8, like every string in these tests.
    std::filesystem::path path(const std::string& name) const { return dir_ / from_utf8(name); }
    std::string p(const std::string& name) const { return utf8(path(name)); }
    Result helper(const std::string& mode, std::vector<std::string> kv, const std::vector<std::string>& env = {});
    /// A daemon the test started: ended by TearDown if it still runs. Its
    /// handle is opened now, so TearDown never ends a process that only
    /// inherited the PID (Wine reuses PIDs at once).
    void record(DWORD pid);
    /// A process the test ran: TearDown fails the test if a process it
    /// started still runs.
    void launched(const Result& r) {
        if (r.pid != 0) launched_[r.pid] = r.process;
    }

    std::filesystem::path dir_;
    std::map<DWORD, std::shared_ptr<void>> recorded_;
    std::map<DWORD, std::shared_ptr<void>> launched_;
};

} // namespace wintest
