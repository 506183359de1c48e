#include "notify_message.hpp"

#include <charconv>

namespace daemoniker::cli {
namespace {

bool valid_key(std::string_view key) noexcept {
    if (key.empty()) return false;
    for (char c : key)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

// Plain decimal digits (no sign, no blanks) in [min, max].
std::optional<std::int64_t> decimal(std::string_view text, std::int64_t min, std::int64_t max) noexcept {
    if (text.empty() || text.size() > 18) return std::nullopt;
    for (char c : text)
        if (c < '0' || c > '9') return std::nullopt;
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    if (value < min || value > max) return std::nullopt;
    return value;
}

} // namespace

NotifyMessage parse_notify(std::string_view datagram) {
    NotifyMessage m;
    if (datagram.find('\0') != std::string_view::npos) {
        m.valid = false;
        return m;
    }
    while (!datagram.empty()) {
        const auto end = datagram.find('\n');
        const auto line = datagram.substr(0, end);
        datagram.remove_prefix(end == std::string_view::npos ? datagram.size() : end + 1);
        if (line.empty()) continue;
        const auto eq = line.find('=');
        if (eq == std::string_view::npos || !valid_key(line.substr(0, eq))) {
            ++m.malformed;
            continue;
        }
        const auto key = line.substr(0, eq);
        const auto value = line.substr(eq + 1);
        bool ok = true;
        if (key == "READY") m.ready = value == "1";
        else if (key == "STOPPING") m.stopping = value == "1";
        else if (key == "RELOADING") m.reloading = value == "1";
        else if (key == "STATUS") m.status = std::string(value);
        else if (key == "ERRNO") {
            const auto e = decimal(value, 0, 2147483647);
            if (e) m.error = static_cast<int>(*e);
            ok = e.has_value();
        } else if (key == "MAINPID") {
            const auto p = decimal(value, 1, 2147483647);
            if (p) m.main_pid = *p;
            ok = p.has_value();
        }
        if (!ok) {
            ++m.malformed;
            continue;
        }
        m.fields.emplace_back(std::string(key), std::string(value));
    }
    return m;
}

} // namespace daemoniker::cli
