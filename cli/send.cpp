// daemoniker send PIDFILE SIGNAL: through daemoniker::send(), which refuses
// missing, malformed and stale (unlocked) PID files and pins the daemon
// before it signals, so a reused PID never receives the signal.

#include "command_line.hpp"
#include "commands.hpp"
#include "probe.hpp"
#include "process.hpp"
#include "signal_names.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <daemoniker/signals.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace daemoniker::cli {
namespace {

struct SendOptions {
    std::string pid_file;
    std::string signal;
};

// KILL where the library carries no such signal (Windows): TerminateProcess
// of the process the locked PID file names, pinned first, as stop does.
std::error_code kill_pinned(const std::filesystem::path& pid_file) {
    const Probe p = probe(pid_file);
    if (p.verdict == Verdict::absent) return make_error_code(errc::not_running);
    if (p.verdict != Verdict::running) return make_error_code(errc::stale_pid_file);
    return p.daemon.signal(kill_signal);
}

int run_send(const SendOptions& o) {
    const auto pid_file = pid_file_arg(o.pid_file);
    const auto number = parse_signal_name(o.signal);
    if (!number) throw UsageError("'" + o.signal + "' is not a signal");
    std::error_code ec;
    send(pid_file, *number, ec);
    if (ec == errc::invalid_signal && *number == kill_signal) ec = kill_pinned(pid_file);
    if (!ec) return exit_status::ok;
    const auto name = signal_name(*number);
    if (ec == errc::not_running)
        throw Failure(exit_status::failed, "not running (no PID file '" + o.pid_file + "'); " + name + " not sent");
    if (ec == errc::stale_pid_file) {
        // Say why the file does not count: gone, reused, or just unlocked.
        const Probe p = probe(pid_file);
        if (p.verdict == Verdict::running_unverified)
            throw Failure(exit_status::unknown, "refusing to signal: " + p.reason + "; " + name + " not sent");
        throw Failure(exit_status::failed,
                      "not running: " + (p.reason.empty() ? ec.message() : p.reason) + "; " + name + " not sent");
    }
    throw Failure(exit_status::unknown, "cannot send " + name + " through " + detail::refusal_reason(pid_file, ec));
}

} // namespace

Command add_send(CLI::App& app) {
    auto* sub = app.add_subcommand("send", "Send a signal to the daemon of a PID file (only if the file is locked)");
    auto options = std::make_shared<SendOptions>();
    sub->add_option("pidfile", options->pid_file, "the daemon's PID file")->required();
    sub->add_option("signal", options->signal, "HUP, SIGHUP, hup, 1, USR1, RTMIN+2, ...")->required();
    sub->footer("Example: daemoniker send /run/app.pid HUP\n"
                "Exit status: 0 sent; 1 not running (no PID file, or a stale one); 4 refused or failed "
                "(unreadable or unlocked PID file, no permission; on Windows also a SIGHUP/USR1/USR2 the "
                "daemon dropped); 64 bad usage, unknown signal.");
    return {sub, [options] { return run_send(*options); }};
}

} // namespace daemoniker::cli
