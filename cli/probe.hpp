#pragma once
// What a PID file says about its daemon, as status, stop and send need it.
//
// The library's rules decide first (src/pid_file_internal.hpp, read_pid_file): a file
// that a user other than the caller and root could have written is refused;
// a file with a daemon's lock names a live daemon, which is pinned; an
// unlocked one is stale. An unlocked file whose PID is alive is what tools
// that do not lock their PID files leave (start-stop-daemon --make-pidfile,
// most init scripts); for those the command falls back to a liveness check
// that it labels as such: the process is believed to be the daemon only if it
// started before the file was last written (a PID reused later started after).

#include "process.hpp"

#include <daemoniker/errors.hpp>

#include <filesystem>
#include <string>

namespace daemoniker::cli {

enum class Verdict {
    absent,             ///< no PID file
    running,            ///< locked, and its PID is a live process
    running_unverified, ///< not locked, but its PID is a live process that started before the file was written
    stale,              ///< not locked, and its PID is gone or was reused
    refused,            ///< the library's trust rules refuse the file (owner, mode, directory, foreign lock)
    unknown,            ///< unreadable file, locked but naming no live process, ...
};

struct Probe {
    Verdict verdict = Verdict::unknown;
    process_id pid = 0; ///< the PID in the file, 0 when none could be read
    bool pid_alive = false; ///< a process with that PID runs (the daemon or not)
    std::string reason; ///< why, for every verdict but running and absent
    Process daemon;     ///< running: the daemon, pinned
};

Probe probe(const std::filesystem::path& pid_file);

} // namespace daemoniker::cli
