// The foreground mode (Options::detach): the steps of daemonization that
// still make sense without detaching, in this very process.

#include "pid_file.hpp"
#include "startup.hpp"
#include "streams.hpp"
#include "sys.hpp"

namespace daemoniker::detail {

namespace {
std::error_code code_of(const PidFileFailure& why) {
    if (why.detail != errc{}) return make_error_code(why.detail);
    return {why.error, std::system_category()};
}
} // namespace

void run_foreground(const Resolved& r) {
    foreground_umask(r.umask);
    if (const auto e = foreground_chdir(r.chdir)) throw_failure(Step::chdir, r, e, 0);
    check_stream_paths(r);
    HeldPidFile file;
    PidFileFailure why;
    if (!file.acquire(r.pid_file, current_pid(), why)) throw_failure(why.step, r, code_of(why), why.holder);
    keep_for_life(std::move(file));
    for (int fd = 0; fd < 3; ++fd) {
        if (!r.stream_given[static_cast<std::size_t>(fd)]) continue; // the service manager's stream stays
        int e = sys::injected(stream_step(fd));
        if (e == 0) e = redirect_stream(fd, stream_path(r, fd));
        if (e != 0) {
            if (HeldPidFile* held = held_for_life()) held->release();
            throw_failure(stream_step(fd), r, {e, std::system_category()}, 0);
        }
    }
    remember_streams(r, true);
}

} // namespace daemoniker::detail
