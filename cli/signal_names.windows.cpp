// Signal names on Windows: the six signals the library carries over its
// channel, under the numbers it gives them (SIGINT, SIGTERM and SIGABRT of
// the C runtime; SIGHUP, SIGUSR1 and SIGUSR2 under their Linux numbers), and
// KILL for stop's schedules, which means TerminateProcess.

#include "signal_names.hpp"

#include <daemoniker/signals.hpp>

#include <array>

namespace daemoniker::cli {

std::span<const SignalEntry> signal_table() noexcept {
    static const std::array<SignalEntry, 7> entries{{
        {"HUP", to_number(Signal::sighup)},
        {"INT", to_number(Signal::sigint)},
        {"KILL", kill_signal},
        {"USR1", to_number(Signal::sigusr1)},
        {"USR2", to_number(Signal::sigusr2)},
        {"TERM", to_number(Signal::sigterm)},
        {"ABRT", to_number(Signal::sigabrt)},
    }};
    return entries;
}

bool is_signal_number(int number) noexcept {
    for (const SignalEntry& e : signal_table())
        if (e.number == number) return true;
    return false;
}

std::optional<int> parse_realtime_signal(std::string_view) { return std::nullopt; } // none on Windows
std::optional<std::string> realtime_signal_name(int) { return std::nullopt; }

} // namespace daemoniker::cli
