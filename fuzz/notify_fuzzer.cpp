// The readiness datagram parser of `daemoniker start --wait-ready`
// (cli/notify.cpp, the sd_notify protocol): one datagram a program sends to
// NOTIFY_SOCKET. Whatever the bytes, it must not crash, and what it reports
// must follow from the assignments it kept, as its header documents.

#include "notify_message.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "notify fuzzer: %s\n", what);
    std::abort();
}

bool valid_key(std::string_view key) {
    if (key.empty()) return false;
    for (char c : key)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

// Decimal text without its leading zeros: "007" -> "7", "0" -> "0".
std::string decimal(const std::string& s) {
    const auto first = s.find_first_not_of('0');
    return first == std::string::npos ? "0" : s.substr(first);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto m = daemoniker::cli::parse_notify(in);

    if (in.find('\0') != std::string_view::npos) {
        // Refused as a whole, like systemd does.
        if (m.valid || m.ready || m.stopping || m.reloading || m.error || m.status || m.main_pid || !m.fields.empty() ||
            m.malformed != 0)
            fail("a datagram with a NUL byte was not refused as a whole");
        return 0;
    }
    if (!m.valid) fail("a datagram without NUL was refused");

    // Every line is empty, kept or counted as malformed.
    std::size_t lines = 0;
    std::size_t empty = 0;
    for (std::string_view rest = in; !rest.empty();) {
        const auto end = rest.find('\n');
        const auto line = rest.substr(0, end);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
        ++lines;
        if (line.empty()) ++empty;
    }
    if (m.fields.size() + m.malformed + empty != lines) fail("lines lost or counted twice");

    // The known keys follow from their last kept assignment.
    bool ready = false, stopping = false, reloading = false;
    const std::string* status = nullptr;
    const std::string* error = nullptr;
    const std::string* main_pid = nullptr;
    for (const auto& [key, value] : m.fields) {
        if (!valid_key(key)) fail("a field with an invalid key was kept");
        if (key.size() + 1 + value.size() > in.size()) fail("a field longer than the datagram");
        if (value.find('\n') != std::string::npos) fail("a value spans lines");
        if (key == "READY") ready = value == "1";
        if (key == "STOPPING") stopping = value == "1";
        if (key == "RELOADING") reloading = value == "1";
        if (key == "STATUS") status = &value;
        if (key == "ERRNO") error = &value;
        if (key == "MAINPID") main_pid = &value;
    }
    if (m.ready != ready || m.stopping != stopping || m.reloading != reloading) fail("READY/STOPPING/RELOADING wrong");
    if (m.status.has_value() != (status != nullptr) || (status && *m.status != *status)) fail("STATUS wrong");
    if (m.error.has_value() != (error != nullptr) || (error && std::to_string(*m.error) != decimal(*error)))
        fail("ERRNO wrong");
    if (m.error && *m.error < 0) fail("negative ERRNO");
    if (m.main_pid.has_value() != (main_pid != nullptr) || (main_pid && std::to_string(*m.main_pid) != decimal(*main_pid)))
        fail("MAINPID wrong");
    if (m.main_pid && (*m.main_pid < 1 || *m.main_pid > 2147483647)) fail("MAINPID out of range");
    return 0;
}
