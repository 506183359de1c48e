// Platform-independent half of the streams: what was redirected where, and
// reopen_streams().

#include "streams.hpp"
#include "pid_file_internal.hpp"
#include "startup.hpp"

#include <daemoniker/daemonize.hpp>

#include <array>
#include <cstdio>
#include <mutex>

namespace daemoniker {
namespace detail {
namespace {
using StreamPaths = std::array<std::filesystem::path, 3>;
std::mutex remembered_mutex;
// Two sets, so that the daemon's can be filled before the fork and only
// switched to after it (stage_streams): the paths are not copied in the
// daemon, where a copy would run libstdc++ code for the first time.
std::array<StreamPaths, 2> stream_sets;
StreamPaths* remembered = &stream_sets[0]; // empty paths until daemonized
StreamPaths* staged = nullptr;

void fill(StreamPaths& paths, const Resolved& r, bool only_given) {
    for (int fd = 0; fd < 3; ++fd) {
        const auto i = static_cast<std::size_t>(fd);
        paths[i] = only_given && !r.stream_given[i] ? std::filesystem::path() : stream_path(r, fd);
    }
}
} // namespace

std::string_view stream_name(int fd) noexcept { return fd == 0 ? "stdin" : fd == 1 ? "stdout" : "stderr"; }

Step stream_step(int fd) noexcept {
    return fd == 0 ? Step::redirect_stdin : fd == 1 ? Step::redirect_stdout : Step::redirect_stderr;
}

const std::filesystem::path& stream_path(const Resolved& r, int fd) noexcept {
    return fd == 0 ? r.stdin_path : fd == 1 ? r.stdout_path : r.stderr_path;
}

void check_stream_paths(const Resolved& r) {
    for (int fd = 0; fd < 3; ++fd)
        if (r.stream_given[static_cast<std::size_t>(fd)])
            if (const auto ec = check_stream_path(stream_path(r, fd))) throw_failure(Failure::of(stream_step(fd), ec), r);
}

void remember_streams(const Resolved& r, bool only_given) {
    std::lock_guard lock(remembered_mutex);
    fill(*remembered, r, only_given);
}

void stage_streams(const Resolved& r) {
    std::lock_guard lock(remembered_mutex);
    StreamPaths* other = remembered == &stream_sets[0] ? &stream_sets[1] : &stream_sets[0];
    fill(*other, r, false);
    staged = other;
}

// Called in the forked daemon, which has one thread: no lock, since a thread
// of the original that held it at the fork would hold it there for ever.
// Threads the daemon starts later see the switch (thread creation orders it).
void remember_staged_streams() noexcept {
    if (staged != nullptr) remembered = staged;
    staged = nullptr;
}

} // namespace detail

bool reopen_streams() {
    std::lock_guard lock(detail::remembered_mutex);
    bool any = false;
    for (const auto& p : *detail::remembered) any = any || !p.empty();
    if (!any) return false;
    std::fflush(stdout); // what is buffered belongs to the old file
    std::fflush(stderr);
    for (int fd = 0; fd < 3; ++fd) {
        const auto& path = (*detail::remembered)[static_cast<std::size_t>(fd)];
        if (path.empty()) continue; // left alone (foreground mode without a path)
        if (const int e = detail::redirect_stream(fd, path)) {
            const std::error_code ec(e, std::system_category());
            throw Error("cannot reopen " + std::string(detail::stream_name(fd)) + " on '" + path.string() +
                            "': " + detail::describe(ec),
                        ec);
        }
    }
    return true;
}

} // namespace daemoniker
