// --nice, --iosched, --rlimit on Windows: not supported (no such settings for
// a process there that the supervisor could apply the same way).

#include "limits.hpp"

#include "common.hpp"

namespace daemoniker::cli {

int parse_nice(const std::string&) { throw UsageError("--nice: not supported on Windows"); }

detail::IoPriority parse_iosched(const std::string&) { throw UsageError("--iosched: not supported on Windows"); }

detail::ResourceLimit parse_rlimit(const std::string&) { throw UsageError("--rlimit: not supported on Windows"); }

} // namespace daemoniker::cli
