#pragma once
// The sd_notify datagram protocol, parsed: one datagram is a list of
// newline-separated KEY=VALUE assignments (READY=1, STATUS=..., ERRNO=...,
// MAINPID=...). Kept free of I/O so it can be fuzzed on its own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace daemoniker::cli {

struct NotifyMessage {
    /// False for a datagram systemd would refuse as a whole (it contains a
    /// NUL byte); every other field is then empty.
    bool valid = true;
    bool ready = false;                 ///< READY=1
    bool stopping = false;              ///< STOPPING=1
    bool reloading = false;             ///< RELOADING=1
    std::optional<int> error;           ///< ERRNO=<decimal errno>
    std::optional<std::string> status;  ///< STATUS=<free text>
    std::optional<std::int64_t> main_pid; ///< MAINPID=<pid in 1..2^31-1>
    /// Every well-formed assignment, in order, the known ones included.
    std::vector<std::pair<std::string, std::string>> fields;
    /// Lines that are not KEY=VALUE with KEY made of A-Z, 0-9 and '_', and
    /// known keys with a value that does not parse (ERRNO=abc). Ignored.
    std::size_t malformed = 0;
};

/// Largest datagram accepted, as systemd's own limit (longer ones are dropped).
inline constexpr std::size_t notify_datagram_max = 4096;

/// Parses one datagram. Empty lines are ignored; when a key repeats, its last
/// value counts. Never throws on any input except std::bad_alloc.
NotifyMessage parse_notify(std::string_view datagram);

} // namespace daemoniker::cli
