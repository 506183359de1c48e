#include "common.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace daemoniker::cli {

std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text, double max_seconds) {
    // Digits with at most one '.', nothing else: no sign, exponent, "inf" or "nan".
    bool digit = false;
    int dots = 0;
    for (char c : text) {
        if (c >= '0' && c <= '9') digit = true;
        else if (c == '.') ++dots;
        else return std::nullopt;
    }
    if (!digit || dots > 1) return std::nullopt;
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0) || value > max_seconds)
        return std::nullopt;
    // Up to the next millisecond, but "2.007" (2007.0000000000002 in binary
    // floating point) is 2007 ms: ignore a nanosecond of representation error.
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(value * 1000.0 - 1e-6)));
}

std::string format_duration(double seconds) {
    if (seconds < 0) seconds = 0;
    char buf[64];
    if (seconds < 10) {
        std::snprintf(buf, sizeof buf, "%.1fs", seconds);
        return buf;
    }
    const auto total = static_cast<long long>(seconds);
    const long long days = total / 86400;
    const long long hours = total % 86400 / 3600;
    const long long minutes = total % 3600 / 60;
    const long long secs = total % 60;
    if (days > 0) std::snprintf(buf, sizeof buf, "%lldd %02lldh %02lldm %02llds", days, hours, minutes, secs);
    else if (hours > 0) std::snprintf(buf, sizeof buf, "%lldh %02lldm %02llds", hours, minutes, secs);
    else if (minutes > 0) std::snprintf(buf, sizeof buf, "%lldm %02llds", minutes, secs);
    else std::snprintf(buf, sizeof buf, "%llds", secs);
    return buf;
}

void print_error(std::string_view command, std::string_view what, std::string_view details) {
    std::string line = "daemoniker: ";
    if (!command.empty()) {
        line += command;
        line += ": ";
    }
    // One line, whatever the message holds.
    for (char c : what) line += (c == '\n' || c == '\r') ? ' ' : c;
    line += '\n';
    while (!details.empty()) {
        const auto end = details.find('\n');
        line += "  ";
        line += details.substr(0, end);
        line += '\n';
        details.remove_prefix(end == std::string_view::npos ? details.size() : end + 1);
    }
    std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace daemoniker::cli
