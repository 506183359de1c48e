// Signal names on Windows: the six signals the library carries over its
// channel, under the numbers it gives them (SIGINT, SIGTERM and SIGABRT of
// the C runtime; SIGHUP, SIGUSR1 and SIGUSR2 under their Linux numbers), and
// KILL for stop's schedules, which means TerminateProcess.

#include "signal_names.hpp"

#include <daemoniker/signals.hpp>

#include <array>
#include <cctype>
#include <charconv>

namespace daemoniker::cli {
namespace {

struct Entry {
    const char* name;
    int number;
};

const std::array<Entry, 7>& table() {
    static const std::array<Entry, 7> entries{{
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

bool equal_upper(std::string_view a, std::string_view upper) {
    if (a.size() != upper.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(a[i])) != upper[i]) return false;
    return true;
}

} // namespace

std::optional<int> parse_signal_name(std::string_view text) {
    int number = 0;
    if (!text.empty() && text.front() != '+') {
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (ec == std::errc() && end == text.data() + text.size()) {
            for (const Entry& e : table())
                if (e.number == number) return number;
            return std::nullopt;
        }
    }
    if (text.size() > 3 && equal_upper(text.substr(0, 3), "SIG")) text.remove_prefix(3);
    for (const Entry& e : table())
        if (equal_upper(text, e.name)) return e.number;
    return std::nullopt;
}

std::string signal_name(int number) {
    for (const Entry& e : table())
        if (e.number == number) return std::string("SIG") + e.name;
    return "signal " + std::to_string(number);
}

} // namespace daemoniker::cli
