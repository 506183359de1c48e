#pragma once
// The library's descriptor-closing code, forced onto each of its strategies
// (src/descriptors.posix.cpp picks the first that works on the system):
//
//   daemoniker::detail::close_inherited          close_range(2) here (Linux >= 5.9)
//   bench::close_by_directory                    the same source with close_range
//                                                hidden: the /proc/self/fd listing
//   bench::close_by_polling                      ... and /proc hidden too: the
//                                                poll()-batched loop to the limit
//   bench::close_by_dev_fd                       the portable build's: no close_range,
//                                                no /proc, the /dev/fd listing (macOS,
//                                                FreeBSD with fdescfs)
//
// The two forced variants compile src/descriptors.posix.cpp itself under
// other names (close_by_directory.cpp, close_by_polling.cpp), so they measure
// the library's code, not a copy of it.

namespace bench {

int close_by_directory(const int* keep, int keep_count, int fallback_limit) noexcept;
int close_by_polling(const int* keep, int keep_count, int fallback_limit) noexcept;
int close_by_dev_fd(const int* keep, int keep_count, int fallback_limit) noexcept;

/// The RLIMIT_NOFILE that close_by_polling sees (0: the real one), for
/// limits this machine does not let a process set.
void simulate_nofile(long limit) noexcept;

} // namespace bench
