// Signal names for the command line: the parsing and printing every
// platform shares, over the platform's table (signal_names.<platform>.cpp).

#include "signal_names.hpp"

#include <charconv>

namespace daemoniker::cli {

bool equal_upper(std::string_view text, std::string_view upper) noexcept {
    if (text.size() != upper.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c) != upper[i]) return false;
    }
    return true;
}

std::optional<int> parse_decimal(std::string_view text) {
    if (text.empty()) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    while (text.size() > 1 && text[0] == '0') text.remove_prefix(1);
    if (text.size() > 9) return std::nullopt; // no signal number is that large
    int value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

std::optional<int> parse_signal_name(std::string_view text) {
    if (auto n = parse_decimal(text)) return is_signal_number(*n) ? n : std::nullopt;
    if (text.size() > 3 && equal_upper(text.substr(0, 3), "SIG")) text.remove_prefix(3);
    for (const SignalEntry& e : signal_table())
        if (equal_upper(text, e.name)) return e.number;
    return parse_realtime_signal(text);
}

std::string signal_name(int number) {
    for (const SignalEntry& e : signal_table())
        if (e.number == number) return std::string("SIG") + e.name;
    if (auto name = realtime_signal_name(number)) return *name;
    return "signal " + std::to_string(number);
}

std::string signal_name_list() {
    std::string out;
    for (const SignalEntry& e : signal_table()) out += std::string(e.name) + '\n';
    for (const char* name : {"RTMIN", "RTMAX"})
        if (parse_realtime_signal(name)) out += std::string(name) + '\n';
    return out;
}

} // namespace daemoniker::cli
