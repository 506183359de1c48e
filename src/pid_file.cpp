// Platform-independent PID-file code: parsing and the throwing wrappers.

#include <daemoniker/pid_file.hpp>

#include <cstdint>

namespace daemoniker {

std::optional<process_id> parse_pid(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const std::size_t digits_start = i;
    std::int64_t pid = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        pid = pid * 10 + (s[i] - '0');
        if (pid > INT32_MAX) return std::nullopt; // pid_t and DWORD-as-PID both fit in 31 bits
        ++i;
    }
    if (i == digits_start || pid == 0) return std::nullopt;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    if (i < s.size() && s[i] != '\n') return std::nullopt;
    return pid;
}

PidFileInfo inspect_pid_file(const std::filesystem::path& path) {
    std::error_code ec;
    auto info = inspect_pid_file(path, ec);
    if (ec) throw PidFileError("cannot inspect PID file '" + path.string() + "': " + ec.message(), path, ec);
    return info;
}

} // namespace daemoniker
