#pragma once
// The stop schedule of start-stop-daemon's --retry: signals to send and
// seconds to wait for the process to exit, e.g. TERM/30/KILL/5.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace daemoniker::cli {

struct ScheduleItem {
    enum class Kind { signal, wait };
    Kind kind = Kind::signal;
    int signal = 0;                     ///< Kind::signal
    std::chrono::milliseconds wait{};   ///< Kind::wait
};

struct Schedule {
    std::vector<ScheduleItem> items;
    /// Where `forever` stood: the items from here on repeat until the
    /// process exits. Unset: the schedule runs once.
    std::optional<std::size_t> repeat_from;
};

/// The default: `signal`/30/KILL/5.
Schedule default_schedule(int signal);

/// Parses a schedule. Accepted forms (as start-stop-daemon, with fractional
/// seconds allowed):
///   N                      signal/N/KILL/N, `signal` being --signal (default TERM)
///   item/item/...          at least two items, each one of
///     SIG, -SIG            a signal name (TERM, SIGTERM, term) or -NUMBER (-15)
///     N                    wait up to N seconds for the process to exit
///     forever              repeat the items after it until the process exits
/// Refused, with `error` set: empty items, a bare signal number (it would read
/// as seconds), `forever` twice or last, a repeated part with no wait in it,
/// a schedule with no signal.
std::optional<Schedule> parse_schedule(std::string_view text, int signal, std::string& error);

/// The schedule written back, e.g. "SIGTERM/30/SIGKILL/5".
std::string to_string(const Schedule& schedule);

} // namespace daemoniker::cli
