#pragma once
// The daemon's standard streams: redirecting them during daemonization, and
// reopening them later (log rotation) on the same paths.

#include "options.hpp"

#include <daemoniker/errors.hpp>

#include <filesystem>
#include <string_view>
#include <system_error>

namespace daemoniker::detail {

/// "stdin", "stdout" or "stderr" for descriptor 0, 1 or 2.
std::string_view stream_name(int fd) noexcept;
/// The step that redirects descriptor 0, 1 or 2, and the path it goes to.
Step stream_step(int fd) noexcept;
const std::filesystem::path& stream_path(const Resolved& r, int fd) noexcept;

/// Points standard descriptor `fd` (0 stdin, 1 stdout, 2 stderr) — and on
/// Windows its C runtime stream and Win32 standard handle — at `path`:
/// stdin read-only and never created (ENOENT / ERROR_FILE_NOT_FOUND when
/// missing); stdout/stderr created if missing and opened for appending.
/// Returns 0 or the errno / Win32 error.
int redirect_stream(int fd, const std::filesystem::path& path) noexcept;

/// Every stream path `r` was given, by check_stream_path() (pid_file_internal.hpp):
/// throws like a failed redirection of that stream.
void check_stream_paths(const Resolved& r);

/// Records where the streams went, for reopen_streams(); with `only_given`,
/// only those that had a *_goto path (the foreground mode).
void remember_streams(const Resolved& r, bool only_given = false);
/// remember_streams() in two halves for the double fork: the paths are
/// copied before forking (not yet visible to reopen_streams()), and the
/// daemon only switches to them, which copies and allocates nothing.
void stage_streams(const Resolved& r);
void remember_staged_streams() noexcept;

/// "/dev/null" or "NUL".
std::filesystem::path null_device();

} // namespace daemoniker::detail
