#pragma once
// The Windows handoff: what the original process writes down the inherited
// pipe and the re-launched daemon reads before anything else. Kept apart from
// daemonize.windows.cpp (and free of Win32) so the fuzzer tests this very code.
//
// Layout: a uint32 magic, the PID-file, chdir, stdin, stdout and stderr paths
// (absolute, resolved by the original), then the caller's encoded arguments
// as one string, with nothing after them.

#include "options.hpp"

#include <daemoniker/codec.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace daemoniker::detail {

inline constexpr std::uint32_t handoff_magic = 0x444d4e48; // "DMNH"

inline std::string encode_handoff(const Resolved& r, const std::string& payload) {
    std::string bytes;
    Encoder e(bytes);
    e.put(handoff_magic);
    e.put(r.pid_file);
    e.put(r.chdir);
    e.put(r.stdin_path);
    e.put(r.stdout_path);
    e.put(r.stderr_path);
    e.put(payload);
    return bytes;
}

/// Fills the paths of `r` and `payload`; throws DecodeError on malformed input.
inline void decode_handoff(std::string_view bytes, Resolved& r, std::string& payload) {
    Decoder d(bytes);
    if (d.get<std::uint32_t>() != handoff_magic) d.fail("not a daemoniker handoff");
    r.pid_file = d.get<std::filesystem::path>();
    r.chdir = d.get<std::filesystem::path>();
    r.stdin_path = d.get<std::filesystem::path>();
    r.stdout_path = d.get<std::filesystem::path>();
    r.stderr_path = d.get<std::filesystem::path>();
    payload = d.get<std::string>();
    if (d.remaining() != 0) d.fail("trailing bytes");
}

} // namespace daemoniker::detail
