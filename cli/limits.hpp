#pragma once
// start's --nice, --iosched and --rlimit: parsed into what the program's
// process sets before it executes the program (detail::ExecSpec). Platform
// code: the resource names and the I/O classes exist on POSIX systems (the
// I/O classes on Linux only); Windows refuses the three.

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <string>

namespace daemoniker::cli {

/// --nice N: an absolute nice value, -20 to 19. Throws UsageError.
int parse_nice(const std::string& text);

/// --iosched CLASS[:LEVEL]: real-time, best-effort or idle (start-stop-daemon's
/// names; also rt, be), LEVEL 0 to 7 (default 4; idle takes none). Throws
/// UsageError, also where the system has no I/O scheduling classes.
detail::IoPriority parse_iosched(const std::string& text);

/// --rlimit NAME=SOFT[:HARD]: NAME as prlimit(1) names it (core, nofile,
/// nproc, as, cpu, fsize, data, stack, memlock, ...), values a number or
/// "unlimited"/"infinity"; one value sets both limits (as systemd's
/// LimitNOFILE=); ":HARD" alone or "SOFT:" alone is refused. Throws UsageError.
detail::ResourceLimit parse_rlimit(const std::string& text);

} // namespace daemoniker::cli
