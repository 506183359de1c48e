// The Windows handoff: what a re-launched daemon reads from its inherited
// pipe before anything else (src/daemonize.windows.cpp, run_daemon): a
// uint32 magic, the PID-file, chdir, stdin, stdout and stderr paths, and the
// caller's encoded arguments as one string, with nothing after them. The
// daemon then decodes the arguments as daemonize() asked (here: the
// everyday int, string, vector<string>).
//
// The layout is repeated here, in the order run_daemon reads it, because
// that code is compiled only for Windows. Keep them in step.

#include <daemoniker/codec.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::uint32_t handoff_magic = 0x444d4e48; // "DMNH", as in daemonize.windows.cpp

struct Handoff {
    std::filesystem::path pid_file, chdir, stdin_path, stdout_path, stderr_path;
    std::string payload;
};

// run_daemon's reading, step for step; throws DecodeError.
Handoff read_handoff(std::string_view bytes) {
    daemoniker::Decoder d(bytes);
    if (d.get<std::uint32_t>() != handoff_magic) d.fail("not a daemoniker handoff");
    Handoff h;
    h.pid_file = d.get<std::filesystem::path>();
    h.chdir = d.get<std::filesystem::path>();
    h.stdin_path = d.get<std::filesystem::path>();
    h.stdout_path = d.get<std::filesystem::path>();
    h.stderr_path = d.get<std::filesystem::path>();
    h.payload = d.get<std::string>();
    if (d.remaining() != 0) d.fail("trailing bytes");
    return h;
}

// The original's writing (run_original).
std::string write_handoff(const Handoff& h) {
    std::string out;
    daemoniker::Encoder e(out);
    e.put(handoff_magic);
    e.put(h.pid_file);
    e.put(h.chdir);
    e.put(h.stdin_path);
    e.put(h.stdout_path);
    e.put(h.stderr_path);
    e.put(h.payload);
    return out;
}

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
