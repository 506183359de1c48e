#pragma once
// Signal names for the command line. The library's parse_signal() knows only
// the six signals it handles on every platform; stop and send accept every
// signal of the system: TERM, SIGTERM, term, sigterm, 15, RTMIN+2. On
// Windows: the library's six under their Linux numbers, and KILL.

#include <csignal>
#include <optional>
#include <string>
#include <string_view>

namespace daemoniker::cli {

/// The number of KILL in `stop --retry` schedules: SIGKILL; on Windows, where
/// it means TerminateProcess, its Linux number 9.
#ifdef _WIN32
inline constexpr int kill_signal = 9;
#else
inline constexpr int kill_signal = SIGKILL;
#endif

/// The signal number for a name (with or without "SIG", any case) or a
/// decimal number; std::nullopt when it names no signal of this system
/// (0 included: it is not a signal).
std::optional<int> parse_signal_name(std::string_view text);

/// "SIGTERM", "SIGRTMIN+2", or "signal 77" for a number without a name.
std::string signal_name(int number);

} // namespace daemoniker::cli
