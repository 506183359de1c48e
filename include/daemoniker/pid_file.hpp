#pragma once
/// \file
/// Reading and checking PID files written by daemoniker (or by any tool that
/// writes "PID\n"). A PID file is trusted only while it is locked: a file
/// whose lock is free is stale, and its PID may already belong to another
/// process.

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
/// cannot make a starting daemon fail). Throws PidFileError when the file
/// cannot be read or is not a regular file; a symbolic link is refused.
///
/// Platform notes: POSIX tests the lock with F_OFD_GETLK (F_GETLK where OFD
/// locks do not exist).
DAEMONIKER_API PidFileInfo inspect_pid_file(const std::filesystem::path& path);
/// As above; on failure sets `ec` and returns {absent, 0}.
DAEMONIKER_API PidFileInfo inspect_pid_file(const std::filesystem::path& path, std::error_code& ec) noexcept;

} // namespace daemoniker
