#pragma once
// The daemon's standard streams: redirecting them during daemonization, and
// reopening them later (log rotation) on the same paths.

#include "options.hpp"

#include <daemoniker/errors.hpp>

#include <filesystem>

namespace daemoniker::detail {

/// The step that redirects descriptor 0, 1 or 2, and the path it goes to.
Step stream_step(int fd) noexcept;
const std::filesystem::path& stream_path(const Resolved& r, int fd) noexcept;

/// Points standard descriptor `fd` (0 stdin, 1 stdout, 2 stderr) — and on
/// Windows its C runtime stream and Win32 standard handle — at `path`:
/// created if missing; stdin read-only, stdout/stderr opened for appending.
/// Returns 0 or the errno / Win32 error.
int redirect_stream(int fd, const std::filesystem::path& path) noexcept;

/// Records where the streams went, for reopen_streams().
void remember_streams(const Resolved& r);

} // namespace daemoniker::detail
