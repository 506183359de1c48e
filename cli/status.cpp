// daemoniker status PIDFILE: one line on stdout and an LSB exit status.

#include "command_line.hpp"
#include "commands.hpp"
#include "probe.hpp"
#include "process.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

namespace daemoniker::cli {
namespace {

struct StatusOptions {
    std::string pid_file;
    bool strict = false;
};

std::string pid_and_uptime(process_id pid) {
    std::string out = "pid " + std::to_string(pid);
    if (const auto age = process_age(pid)) out += ", up " + format_duration(age->count());
    return out;
}

int run_status(const StatusOptions& o) {
    const Probe p = probe(pid_file_arg(o.pid_file));
    std::string line = o.pid_file + ": ";
    int status = exit_status::unknown;
    switch (p.verdict) {
    case Verdict::running:
        line += "running (" + pid_and_uptime(p.pid) + ")";
        status = exit_status::ok;
        break;
    case Verdict::running_unverified:
        line += (o.strict ? "unknown, " : "") + std::string("running, unverified (") + pid_and_uptime(p.pid) +
                "): " + p.reason;
        status = o.strict ? exit_status::unknown : exit_status::ok;
        break;
    case Verdict::stale:
        line += "dead, stale PID file: " + p.reason;
        status = exit_status::failed;
        break;
    case Verdict::absent:
        line += "not running (no PID file)";
        status = exit_status::not_running;
        break;
    case Verdict::unknown:
        line += "unknown: " + p.reason;
        status = exit_status::unknown;
        break;
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
    return status;
}

} // namespace

Command add_status(CLI::App& app) {
    auto* sub = app.add_subcommand("status", "Tell whether the daemon of a PID file runs, with its PID and uptime");
    auto options = std::make_shared<StatusOptions>();
    sub->add_option("pidfile", options->pid_file, "the daemon's PID file")->required();
    sub->add_flag("--strict", options->strict,
                  "trust only a locked PID file: an unlocked one whose process is alive is status 4, not 0");
    sub->footer("Exit status (LSB): 0 running; 1 dead, but the PID file exists (stale); 3 not running (no PID file); "
                "4 unknown (unreadable or refused PID file; with --strict, an unlocked file of a live process); "
                "64 bad usage.\n"
                "A PID file that is not locked (start-stop-daemon --make-pidfile writes such files) counts as running "
                "when its process is alive and started before the file was written; the line says 'unverified'.");
    return {sub, [options] { return run_status(*options); }};
}

} // namespace daemoniker::cli
