// daemoniker stop PIDFILE [--signal SIG] [--retry SCHEDULE] [--process-group]
//
// Only a locked PID file that passes the trust rule names a daemon that may
// be signalled. The reading pins the daemon (a pidfd); the first signal goes
// through daemoniker::send(), the escalations to the pinned process, so they
// still reach it after it removed its PID file on the way out, and never
// reach another process that got its PID. Exit is detected on the pin, where
// a zombie counts as gone.
//
// By default only the daemon is signalled, as start-stop-daemon and
// systemd's KillMode=process do: a program that started workers usually
// stops them itself, and may need them to finish what they were doing.
// --process-group signals the whole group and waits for all of it.

#include "command_line.hpp"
#include "commands.hpp"
#include "probe.hpp"
#include "process.hpp"
#include "schedule.hpp"
#include "signal_names.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <daemoniker/signals.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <thread>

namespace daemoniker::cli {
namespace {

// Removes a stale PID file if it still names `pid` and nobody locks it.
std::string remove_stale(const std::filesystem::path& pid_file, process_id pid) {
    if (pid <= 0) return {};
    detail::remove_if_abandoned(pid_file, pid);
    std::error_code ec;
    return std::filesystem::exists(pid_file, ec) ? std::string() : "; removed the stale PID file";
}

// Where the schedule's signals go: the daemon alone, or its process group
// (the group's ID taken while the daemon was pinned and alive).
struct Target {
    const Process& daemon;
    process_id group = 0; ///< > 0: --process-group

    // Gone when the daemon has exited and, for a group, no member runs.
    [[nodiscard]] bool gone() const { return daemon.exited() && (group <= 0 || !group_alive(group)); }
    bool wait(clock::time_point deadline) const {
        if (!daemon.wait_exit(deadline)) return false;
        while (group > 0 && group_alive(group)) {
            if (clock::now() >= deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return true;
    }
};

StopResult run_schedule(const std::filesystem::path& pid_file, const Target& target, const Schedule& schedule) {
    const Process& daemon = target.daemon;
    const auto pid_text = "pid " + std::to_string(daemon.pid()) +
                          (target.group > 0 ? " (process group " + std::to_string(target.group) + ")" : "");
    bool first = true;
    bool gone = false;
    for (std::size_t i = 0; !gone;) {
        if (i == schedule.items.size()) {
            if (!schedule.repeat_from) break;
            i = *schedule.repeat_from;
        }
        const auto& item = schedule.items[i++];
        if (item.kind == ScheduleItem::Kind::wait) {
            gone = target.wait(clock::now() + item.wait);
            continue;
        }
        if (target.gone()) {
            gone = true;
            continue;
        }
        std::error_code ec;
        if (target.group > 0) {
            ec = signal_group(target.group, item.signal);
        } else if (first) {
            first = false;
            send(pid_file, item.signal, ec);
            // A daemon on its way out may have removed its file already: the
            // pin still reaches it. (Windows: KILL is no library signal.)
            if (ec == errc::stale_pid_file || ec == errc::not_running || ec == errc::invalid_signal ||
                ec == errc::exited_holder)
                ec = daemon.signal(item.signal);
        } else {
            ec = daemon.signal(item.signal);
        }
        // Windows: a SIGHUP/USR1/USR2 the daemon drops had no effect, as a
        // POSIX signal it ignores: the schedule goes on (to KILL, typically).
        if (ec == errc::signal_dropped) ec.clear();
        if (ec == std::errc::no_such_process) gone = target.gone();
        else if (ec)
            return {exit_status::unknown,
                    "cannot send " + signal_name(item.signal) + " to " + pid_text + ": " + ec.message()};
    }
    if (!gone && !target.gone())
        return {exit_status::still_running, pid_text + " is still running after the schedule " + to_string(schedule)};
    // The daemon's lock keeper removes the file once the daemon has ended;
    // reading it waits for that (a locked file naming an ended process is
    // read again until it changes). What remains, a crashed daemon's file,
    // is removed here.
    const Probe after = probe(pid_file);
    if (after.verdict == Verdict::stale && after.pid == daemon.pid())
        detail::remove_if_abandoned(pid_file, daemon.pid());
    return {exit_status::ok, {}};
}

} // namespace

void add_stop_options(CLI::App& sub, StopOptions& o) {
    sub.add_option("--signal,-s", o.signal, "the signal to send first: TERM, SIGTERM, term, 15 ... (default TERM)");
    o.retry_opt = sub.add_option("--retry,-R", o.retry,
                                 "what to do until the daemon exits: SIG/SECONDS/SIG/SECONDS..., or SECONDS meaning "
                                 "SIGNAL/SECONDS/KILL/SECONDS (default SIGNAL/30/KILL/5)");
    sub.add_flag("--process-group", o.process_group,
                 "send every signal to the daemon's process group (the program and the children it did not move "
                 "to a group of their own), and wait until none of them runs (POSIX)");
}

StopResult stop_daemon(const std::filesystem::path& pid_file, const StopOptions& o) {
    const auto signal = parse_signal_name(o.signal);
    if (!signal) throw UsageError("--signal: '" + o.signal + "' is not a signal");
    Schedule schedule = default_schedule(*signal);
    if (o.retry_opt != nullptr && o.retry_opt->count() > 0) {
        std::string error;
        auto parsed = parse_schedule(o.retry, *signal, error);
        if (!parsed) throw UsageError("--retry: " + error);
        schedule = std::move(*parsed);
    }
    if (o.process_group && !has_process_groups())
        throw UsageError("--process-group: Windows has no process groups (the supervisor's job ends the program's "
                         "children with it)");
    const Probe p = probe(pid_file);
    switch (p.verdict) {
    case Verdict::absent: return {exit_status::failed, "not running (no PID file '" + pid_file.string() + "')"};
    case Verdict::stale:
        // A file whose PID now belongs to another process stays: only the
        // library's rule (unlocked) says it is stale, and start takes it over.
        return {exit_status::failed, "not running: " + p.reason + (p.pid_alive ? "" : remove_stale(pid_file, p.pid))};
    case Verdict::refused:
    case Verdict::unknown: return {exit_status::unknown, p.reason};
    case Verdict::running_unverified: return {exit_status::unknown, "refusing to signal: " + p.reason};
    case Verdict::running: break;
    }
    Target target{p.daemon, 0};
    if (o.process_group) {
        std::error_code ec;
        target.group = process_group_of(p.daemon, ec);
        if (ec == std::errc::no_such_process) return {exit_status::ok, {}}; // it ended meanwhile
        if (ec)
            return {exit_status::unknown, "--process-group: cannot signal the process group of pid " +
                                              std::to_string(p.pid) + ": " + ec.message()};
        // Only what the program itself could signal: a group that also holds
        // another user's process (the program joined its keeper's group, say)
        // is not the program's to stop.
        if (!group_members_checked())
            return {exit_status::unknown, "--process-group: cannot tell which processes the process group " +
                                              std::to_string(target.group) + " of pid " + std::to_string(p.pid) +
                                              " holds on this system (no /proc), and root's signal would reach "
                                              "them all; nothing was sent (refused)"};
        const auto uid = process_uid(p.pid);
        if (const auto other = uid ? foreign_member_uid(target.group, *uid) : std::nullopt)
            return {exit_status::unknown, "--process-group: the process group " + std::to_string(target.group) +
                                              " of pid " + std::to_string(p.pid) + " (uid " + std::to_string(*uid) +
                                              ") also holds a process of uid " + std::to_string(*other) +
                                              "; nothing was sent (refused)"};
    }
    return run_schedule(pid_file, target, schedule);
}

Command add_stop(CLI::App& app) {
    auto* sub = app.add_subcommand("stop", "Stop the daemon of a PID file: signal it, wait for it to exit, "
                                           "escalate on a schedule, remove the PID file");
    auto pid_file = std::make_shared<std::string>();
    auto options = std::make_shared<StopOptions>();
    sub->add_option("pidfile", *pid_file, "the daemon's PID file")->required();
    add_stop_options(*sub, *options);
    sub->footer("Example: daemoniker stop /run/app.pid --retry TERM/10/KILL/5\n"
                "Exit status: 0 stopped; 1 not running (nothing to stop; a stale PID file is removed); "
                "2 still running after the schedule; 4 refused or failed (unreadable or unlocked PID file, "
                "no permission); 64 bad usage.");
    return {sub, [pid_file, options] {
                const auto result = stop_daemon(pid_file_arg(*pid_file), *options);
                if (result.status != exit_status::ok) throw Failure(result.status, result.message);
                return exit_status::ok;
            }};
}

} // namespace daemoniker::cli
