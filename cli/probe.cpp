#include "probe.hpp"

#include "process.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <daemoniker/pid_file.hpp>

namespace daemoniker::cli {
namespace {
// Conditions of the file itself that the library's rules refuse (as opposed
// to failures to read it).
bool refused(std::error_code ec) {
    return ec.category() == category() && ec != errc::replaced && ec != errc::exited_holder &&
           ec != errc::malformed_pid_file;
}
} // namespace

Probe probe(const std::filesystem::path& pid_file) {
    DaemonReading info = read_daemon(pid_file);
    const auto pid = info.pid;
    const auto pid_text = "pid " + std::to_string(pid);
    if (info.error == errc::exited_holder)
        return {Verdict::unknown, pid, false,
                "the PID file is locked, but " + pid_text +
                    " has exited (a process it started may still hold the file open)", {}};
    if (info.error == errc::malformed_pid_file)
        return {Verdict::unknown, 0, false, "the PID file is locked but holds no valid PID", {}};
    if (info.error && refused(info.error))
        return {Verdict::refused, pid, false, "refusing PID file " + detail::refusal_reason(pid_file, info.error), {}};
    if (info.error)
        return {Verdict::unknown, pid, false, "cannot read PID file " + detail::refusal_reason(pid_file, info.error),
                {}};
    if (info.state == PidFileState::absent) return {Verdict::absent, 0, false, {}, {}};
    if (info.state == PidFileState::running) return {Verdict::running, pid, true, {}, std::move(info.process)};
    // A zombie is not alive; "cannot tell" (no /proc) counts as alive.
    const bool alive = pid > 0 && is_alive(pid) != false;
    if (pid == 0) return {Verdict::stale, 0, false, "the PID file is not locked and holds no valid PID", {}};
    if (!alive) return {Verdict::stale, pid, false, "the PID file is not locked and " + pid_text + " has exited", {}};
    // Alive, but nobody vouches for it: compare its start with the file's last write.
    const auto started = process_age(pid);
    const auto written = file_age(pid_file);
    // A second of slack: the two clocks are read apart, /proc counts in ticks.
    if (started && written && started->count() + 1.0 < written->count())
        return {Verdict::stale, pid, true,
                "the PID file is not locked and " + pid_text +
                    " belongs to a process that started after the file was written (the PID was reused)",
                {}};
    return {Verdict::running_unverified, pid, true,
            "the PID file is not locked (written by a tool that does not lock it?); " + pid_text + " is alive" +
                (started && written ? " and started before the file was written" : "") +
                ", but nothing proves it is the daemon",
            {}};
}

} // namespace daemoniker::cli
