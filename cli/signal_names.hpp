#pragma once
// Signal names for the command line. The library's parse_signal() knows only
// the six signals it handles on every platform; stop and send accept every
// signal of the system: TERM, SIGTERM, term, sigterm, 15, RTMIN+2. On
// Windows: the library's six under their Linux numbers, and KILL.

#include <csignal>
#include <optional>
#include <span>
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

/// The names this system's signals go by, one per line and without "SIG":
/// the table (aliases included), then RTMIN and RTMAX where real-time
/// signals exist (`daemoniker --list-signals`, for the shell completions).
std::string signal_name_list();

// The pieces the parsing above is made of; the platform half provides the
// table, the test of a number and the real-time signals (POSIX).
struct SignalEntry {
    const char* name; ///< without "SIG", upper case
    int number;
};
/// This system's named signals; an alias follows the name it aliases, so a
/// number prints as the first.
std::span<const SignalEntry> signal_table() noexcept;
/// True when `number` is a signal this system can send.
bool is_signal_number(int number) noexcept;
/// RTMIN, RTMIN+n, RTMAX, RTMAX-n (any case, "SIG" already removed).
std::optional<int> parse_realtime_signal(std::string_view text);
/// "SIGRTMIN" or "SIGRTMIN+n" for a real-time signal.
std::optional<std::string> realtime_signal_name(int number);
/// Case-insensitive comparison with an upper-case ASCII name.
bool equal_upper(std::string_view text, std::string_view upper) noexcept;
/// Plain decimal digits, leading zeros allowed ("015", as the library's
/// parse_signal() reads them); nullopt for anything else or above 9 digits.
std::optional<int> parse_decimal(std::string_view text);

} // namespace daemoniker::cli
