// The Windows handoff: what a re-launched daemon reads from its inherited
// pipe before anything else (src/daemonize.windows.cpp, run_daemon): a
// uint32 magic, the PID-file, chdir, stdin, stdout and stderr paths, and the
// caller's encoded arguments as one string, with nothing after them. The
// daemon then decodes the arguments as daemonize() asked (here: the
// everyday int, string, vector<string>).
//
// The layout lives in src/handoff.hpp, shared with run_daemon: this fuzzes
// the daemon's own decoding.

#include "handoff.hpp"

#include <daemoniker/codec.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using daemoniker::detail::Resolved;

struct Handoff {
    Resolved r;
    std::string payload;
};

Handoff read_handoff(std::string_view bytes) {
    Handoff h;
    daemoniker::detail::decode_handoff(bytes, h.r, h.payload);
    return h;
}

std::string write_handoff(const Handoff& h) { return daemoniker::detail::encode_handoff(h.r, h.payload); }

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "handoff fuzzer: %s\n", what);
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    Handoff h;
    try {
        h = read_handoff(bytes);
    } catch (const daemoniker::DecodeError&) {
        return 0; // refused: the daemon reports "receive arguments" and exits
    }
    const std::string again = write_handoff(h);
    if (again.size() > bytes.size()) fail("the canonical handoff is longer than the input");
    try {
        const Handoff back = read_handoff(again);
        if (write_handoff(back) != again) fail("handoff encode/decode is not a fixed point");
    } catch (const daemoniker::DecodeError&) {
        fail("a handoff written by the original does not read back");
    }
    try {
        const auto args = daemoniker::decode<int, std::string, std::vector<std::string>>(h.payload);
        const std::string payload = std::apply([](const auto&... v) { return daemoniker::encode(v...); }, args);
        if (payload.size() > h.payload.size()) fail("the canonical payload is longer than the input");
    } catch (const daemoniker::DecodeError&) {
        // the daemon's daemonize() throws it to the caller's code
    }
    return 0;
}
