#pragma once
/// \file
/// Reading and checking PID files written by daemoniker (or by any tool that
/// writes "PID\n"). A PID file is trusted only while it is locked: a file
/// whose lock is free is stale, and its PID may already belong to another
/// process. And it is read at all only if nobody less privileged than the
/// caller could have written it: owned by the caller or root, not writable
/// by group or others, in directories only the caller or root may change
/// (or that have the sticky bit). docs/how-it-works.md has the model.

#include <daemoniker/errors.hpp>
#include <daemoniker/export.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>

namespace daemoniker {

enum class PidFileState {
    absent,  ///< no file at the path
    stale,   ///< the file exists but nobody holds its lock: its daemon is gone
    running, ///< the file is locked by a live daemon
};

struct PidFileInfo {
    PidFileState state = PidFileState::absent;
    /// The PID on the file's first line; 0 when absent or not a valid PID.
    process_id pid = 0;
};

/// Longest first line (without its newline) parse_pid() accepts.
inline constexpr std::size_t max_pid_line = 63;

/// Parses PID-file contents: optional ASCII blanks, a decimal PID in
/// 1..2^31-1 with no sign, optional blanks or a carriage return, then an
/// optional newline (anything after the first line is ignored). The first
/// line is at most max_pid_line bytes long. Returns std::nullopt for
/// anything else.
DAEMONIKER_API std::optional<process_id> parse_pid(std::string_view contents) noexcept;

/// Inspects `path` without modifying it and without taking its lock (so it
/// cannot make a starting daemon fail). `running` means locked by a daemon
/// whose process runs (its thread group: a main thread that ended while
/// others run still counts). Throws PidFileError when the file cannot be
/// read, is not a regular file (a symbolic link is refused), or fails the
/// trust rule (errc::untrusted_owner, errc::writable_by_others,
/// errc::unsafe_directory); when it carries a lock that is not a daemon's
/// (errc::foreign_lock); or when it stays locked while the process it names
/// has exited (errc::exited_holder: a process the daemon started holds the
/// file open).
///
/// Platform notes: POSIX tests the lock with F_OFD_GETLK (F_GETLK where OFD
/// locks do not exist) and pins the process with a pidfd where the system
/// has them. A locked file that names an exited process is read again for
/// up to two seconds (a start between its lock and its write, a daemon removing
/// its file) before it counts as errc::exited_holder. Without OFD locks
/// (macOS, the BSDs) the record lock is a classic fcntl lock, which belongs
/// to the process: called in the daemon on its own PID file, this reports
/// errc::foreign_lock and, by closing its descriptor of the file, drops the
/// daemon's record lock (its flock stays, so nobody takes the file over, but
/// readers no longer believe it); ask from another process. Without pidfds
/// an unreaped (zombie) process counts as running. Windows checks the
/// file's DACL for write access granted to everyone or all users.
DAEMONIKER_API PidFileInfo inspect_pid_file(const std::filesystem::path& path);
/// As above; on failure sets `ec` and returns {absent, 0}.
DAEMONIKER_API PidFileInfo inspect_pid_file(const std::filesystem::path& path, std::error_code& ec) noexcept;

} // namespace daemoniker
