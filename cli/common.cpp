#include "common.hpp"

#include "command_line.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace daemoniker::cli {

std::filesystem::path pid_file_arg(const std::string& text) {
    if (text.empty()) throw UsageError("pidfile: the path is empty");
    return path_arg(text);
}

std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text, double max_seconds) {
    // Digits with at most one '.', nothing else: no sign, exponent, "inf" or
    // "nan". Read as decimal digits, not as a binary double, so that a
    // duration rounds up to the next millisecond exactly ("2.007" is 2007 ms,
    // "2.0071" 2008 ms) and prints back as it was read.
    const auto dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    auto digits = [](std::string_view part) {
        for (char c : part)
            if (c < '0' || c > '9') return false;
        return true;
    };
    if (whole.empty() && fraction.empty()) return std::nullopt;
    // Whole seconds stay below 2^63 / 1000 so that the milliseconds fit.
    constexpr double limit = 9.2e15;
    if (!(max_seconds >= 0)) return std::nullopt; // NaN or negative: nothing fits
    if (max_seconds > limit) max_seconds = limit;
    if (!digits(whole) || !digits(fraction)) return std::nullopt;
    std::int64_t seconds = 0;
    for (char c : whole) {
        seconds = seconds * 10 + (c - '0');
        if (static_cast<double>(seconds) > max_seconds) return std::nullopt;
    }
    std::int64_t ms = 0;
    for (std::size_t k = 0; k < 3; ++k) ms = ms * 10 + (k < fraction.size() ? fraction[k] - '0' : 0);
    if (fraction.size() > 3 && fraction.substr(3).find_first_not_of('0') != std::string_view::npos) ++ms;
    const std::int64_t total = seconds * 1000 + ms;
    if (static_cast<double>(total) > max_seconds * 1000.0) return std::nullopt;
    return std::chrono::milliseconds(total);
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

std::size_t utf8_sequence(std::string_view text) noexcept {
    if (text.empty()) return 0;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    char32_t code = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
        code = lead & 0x1fu;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        code = lead & 0x0fu;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        code = lead & 0x07u;
    } else {
        return 0;
    }
    if (text.size() < length) return 0;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(i) & 0xc0u) != 0x80) return 0;
        code = code << 6 | (byte(i) & 0x3fu);
    }
    const char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
    return length;
}

namespace {

void append_hex(std::string& out, unsigned char byte) {
    constexpr char digits[] = "0123456789abcdef";
    out += "\\x";
    out += digits[byte >> 4];
    out += digits[byte & 0x0f];
}

} // namespace

std::string escape_controls(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        const std::size_t length = utf8_sequence(text);
        const auto lead = static_cast<unsigned char>(text[0]);
        // U+0080..U+009F (C2 80..C2 9F) are the C1 controls: some terminals act on them.
        const bool control = length == 0 || lead < 0x20 || lead == 0x7f ||
                             (length == 2 && lead == 0xc2 && static_cast<unsigned char>(text[1]) < 0xa0);
        const std::size_t taken = length == 0 ? 1 : length;
        if (control)
            for (std::size_t i = 0; i < taken; ++i) append_hex(out, static_cast<unsigned char>(text[i]));
        else
            out += text.substr(0, taken);
        text.remove_prefix(taken);
    }
    return out;
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
