// PID-file contents: daemoniker::parse_pid() against an independent reading
// of its documented grammar, then the same bytes as a real file read by
// inspect_pid_file() (which must agree with parse_pid) and met by a starting
// daemon, which takes it over when it is a PID file (leaving exactly "PID\n")
// and leaves anything else byte for byte as it was.

#include "pid_file_internal.hpp"

#include <daemoniker/pid_file.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

using daemoniker::process_id;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "pid_file fuzzer: %s\n", what);
    std::abort();
}

// The grammar of parse_pid(), written plainly: the first line (up to '\n'),
// of at most max_pid_line bytes, is optional blanks (space, tab), decimal
// digits naming 1..2^31-1, optional blanks or carriage returns.
std::optional<process_id> reference(std::string_view in) {
    const auto nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    if (line.size() > daemoniker::max_pid_line) return std::nullopt;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) return std::nullopt;
    for (char c : line)
        if (c < '0' || c > '9') return std::nullopt;
    while (line.size() > 1 && line.front() == '0') line.remove_prefix(1);
    if (line.size() > 10) return std::nullopt;
    const auto v = std::stoll(std::string(line));
    if (v < 1 || v > 2147483647LL) return std::nullopt;
    return v;
}

// A private directory, removed when the fuzzer exits.
std::filesystem::path scratch_dir;

void remove_scratch() {
    std::error_code ec;
    std::filesystem::remove_all(scratch_dir, ec);
}

const std::filesystem::path& scratch() {
    if (scratch_dir.empty()) {
        char tmpl[] = "/tmp/daemoniker-fuzz-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) fail("mkdtemp");
        scratch_dir = tmpl;
        std::atexit(remove_scratch);
    }
    return scratch_dir;
}

void write_file(const std::filesystem::path& p, std::string_view bytes) {
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("open");
    if (::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) fail("write");
    ::close(fd);
}

std::string read_file(const std::filesystem::path& p) {
    std::string out;
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto pid = daemoniker::parse_pid(in);
    if (pid != reference(in)) fail("parse_pid disagrees with the grammar");
    if (pid && (*pid < 1 || *pid > 2147483647)) fail("PID out of range");

    // As a file nobody locks: stale, with the PID parse_pid reads.
    const auto file = scratch() / "f.pid";
    write_file(file, in);
    std::error_code ec;
    const auto info = daemoniker::inspect_pid_file(file, ec);
    if (ec) fail("inspect_pid_file failed on a regular file");
    if (info.state != daemoniker::PidFileState::stale) fail("an unlocked file is not stale");
    if (info.pid != pid.value_or(0)) fail("inspect_pid_file disagrees with parse_pid");

    // Taken over by a start only if it is a PID file (nothing, or one PID
    // line of at most 64 bytes): exactly our PID and a newline remain.
    // Anything else is refused and left as it was.
    const auto newline = in.find('\n');
    const bool pid_file =
        in.size() <= 64 && (in.empty() || (pid && (newline == std::string_view::npos || newline + 1 == in.size())));
    daemoniker::detail::HeldPidFile held;
    daemoniker::detail::Failure why;
    const process_id self = ::getpid();
    const bool taken = held.acquire(file, self, why);
    if (!pid_file) {
        if (taken) fail("a file that is not a PID file was taken over");
        if (why.detail != daemoniker::errc::not_a_pid_file) fail("a refused file was not called 'not a PID file'");
        if (read_file(file) != in) fail("a refused file was changed");
        std::filesystem::remove(file);
        return 0;
    }
    if (!taken) fail("a stale file was not taken over");
    if (read_file(file) != std::to_string(self) + "\n") fail("the taken-over file is not exactly 'PID\\n'");
    const auto running = daemoniker::inspect_pid_file(file, ec);
    if (ec || running.state != daemoniker::PidFileState::running || running.pid != self) fail("not running after takeover");
    held.release();
    if (std::filesystem::exists(file)) fail("release left the file");
    return 0;
}
