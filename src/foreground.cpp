// The foreground mode (Options::detach): the steps of daemonization that
// still make sense without detaching, in this very process.

#include "foreground.hpp"
#include "pid_file_internal.hpp"
#include "startup.hpp"
#include "streams.hpp"
#include "sys.hpp"

namespace daemoniker::detail {

bool stays_in_foreground(const Options& options) {
    switch (options.detach) {
    case Detach::always: return false;
    case Detach::never: return true;
    case Detach::unless_supervised: return supervised();
    }
    return false;
}

void run_foreground(const Resolved& r) {
    foreground_umask(r.umask);
    // With a chroot, chdir names a directory inside the new root: it comes after it.
    if (r.chroot.empty())
        if (const auto e = foreground_chdir(r.chdir)) throw_failure(Failure::of(Step::chdir, e), r);
    check_stream_paths(r);
    HeldPidFile file;
    Failure why;
    if (!file.acquire(r.pid_file, current_pid(), why)) throw_failure(why, r);
    keep_for_life(std::move(file));
    for (int fd = 0; fd < 3; ++fd) {
        if (!r.stream_given[static_cast<std::size_t>(fd)]) continue; // the service manager's stream stays
        int e = sys::injected(stream_step(fd));
        if (e == 0) e = redirect_stream(fd, stream_path(r, fd));
        if (e != 0) {
            if (HeldPidFile* held = held_for_life()) held->release();
            throw_failure({stream_step(fd), e}, r);
        }
    }
    remember_streams(r, true);
    if (!foreground_confine(r, why)) {
        if (HeldPidFile* held = held_for_life()) held->release();
        throw_failure(why, r);
    }
}

} // namespace daemoniker::detail
