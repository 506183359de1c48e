#pragma once
// Closing inherited descriptors in the daemon.

namespace daemoniker::detail {

/// Closes every descriptor except those in `keep` (sorted ascending, unique),
/// in time proportional to the number of open descriptors where the system
/// allows it:
///   1. close_range(2) over the gaps between kept descriptors (Linux >= 5.9,
///      FreeBSD >= 12.2);
///   2. otherwise the descriptor directory (/proc/self/fd, then /dev/fd:
///      macOS, and FreeBSD where fdescfs is mounted on it),
///      closing only what is listed;
///   3. otherwise a loop to the RLIMIT_NOFILE soft limit (or `fallback_limit`
///      when that is infinite) that asks poll() about 1024 descriptors per
///      call and closes only the open ones.
/// Returns 0 or an errno. Safe after fork: no allocation except opendir's.
int close_inherited(const int* keep, int keep_count, int fallback_limit) noexcept;

} // namespace daemoniker::detail
