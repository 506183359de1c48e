// daemoniker status PIDFILE...: per PID file one line on stdout (or one JSON
// object with --json) and an LSB exit status. docs/cli.md has the schema.

#include "command_line.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "pid_file_facts.hpp"
#include "probe.hpp"
#include "process.hpp"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace daemoniker::cli {
namespace {

struct StatusOptions {
    std::vector<std::string> pid_files;
    bool strict = false;
    bool json = false;
};

// What status says about one PID file, in both output forms.
struct Report {
    const char* state = "unknown"; // running, stale, missing, refused, unknown
    int status = exit_status::unknown;
    bool verified = false; // running under a daemon's lock
    bool unlocked = false; // the file is known to carry no lock
    std::string line;      // the text after "PATH: "
    std::string reason;
    process_id pid = 0;
    std::optional<double> uptime; // seconds, of a process believed to be the daemon
};

std::string pid_and_uptime(process_id pid, const std::optional<double>& uptime) {
    std::string out = "pid " + std::to_string(pid);
    if (uptime) out += ", up " + format_duration(*uptime);
    return out;
}

Report assess(const Probe& p, bool strict) {
    Report r;
    r.pid = p.pid;
    r.reason = p.reason;
    switch (p.verdict) {
    case Verdict::running:
        if (const auto age = process_age(p.pid)) r.uptime = age->count();
        r.state = "running";
        r.status = exit_status::ok;
        r.verified = true;
        r.line = "running (" + pid_and_uptime(p.pid, r.uptime) + ")";
        break;
    case Verdict::running_unverified:
        if (const auto age = process_age(p.pid)) r.uptime = age->count();
        r.unlocked = true;
        r.state = strict ? "unknown" : "running";
        r.status = strict ? exit_status::unknown : exit_status::ok;
        r.line = (strict ? "unknown, " : "") + std::string("running, unverified (") + pid_and_uptime(p.pid, r.uptime) +
                 "): " + p.reason;
        break;
    case Verdict::stale:
        r.state = "stale";
        r.status = exit_status::failed;
        r.unlocked = true;
        r.line = "dead, stale PID file: " + p.reason;
        break;
    case Verdict::absent:
        r.state = "missing";
        r.status = exit_status::not_running;
        r.line = "not running (no PID file)";
        break;
    case Verdict::refused:
        r.state = "refused";
        r.line = "unknown: " + p.reason;
        break;
    case Verdict::unknown:
        r.line = "unknown: " + p.reason;
        break;
    }
    return r;
}

// "2026-11-30T18:20:01Z": when a process started that has run for `seconds`.
std::string utc_start_time(double seconds) {
    using namespace std::chrono;
    const auto started = floor<std::chrono::seconds>(system_clock::now() - duration_cast<system_clock::duration>(
                                                                               duration<double>(seconds)));
    const auto day = floor<days>(started);
    const year_month_day date{day};
    const hh_mm_ss time{started - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    return buf;
}

// One line of JSON; the keys, their order and their types are the stable
// schema of docs/cli.md.
std::string json_line(const std::string& path_text, const std::filesystem::path& path, const Report& r) {
    const auto text_or_null = [](const std::string& s) { return s.empty() ? std::string("null") : json_string(s); };
    std::string out = "{\"path\":" + json_string(path_text);
    out += ",\"path_bytes\":" + (is_utf8(path_text) ? std::string("null") : json_string(hex_bytes(path_text)));
    out += ",\"state\":" + json_string(r.state);
    out += ",\"status\":" + std::to_string(r.status);
    out += std::string(",\"verified\":") + (r.verified ? "true" : "false");
    out += ",\"reason\":" + text_or_null(r.reason);
    out += ",\"pid\":" + (r.pid > 0 ? std::to_string(r.pid) : std::string("null"));
    if (r.uptime) {
        char uptime[32];
        std::snprintf(uptime, sizeof uptime, "%.2f", *r.uptime);
        out += ",\"start_time\":" + json_string(utc_start_time(*r.uptime)) + ",\"uptime\":" + uptime;
    } else {
        out += ",\"start_time\":null,\"uptime\":null";
    }
    const auto owner = r.status == exit_status::not_running ? std::nullopt : file_owner(path);
    if (owner)
        out += ",\"owner\":{\"uid\":" + std::to_string(owner->uid) + ",\"user\":" + text_or_null(owner->user) + "}";
    else
        out += ",\"owner\":null";
    std::string lock = r.unlocked ? "none" : r.verified ? lock_kind(path) : std::string();
    out += ",\"lock\":" + text_or_null(lock);
    out += "}\n";
    return out;
}

// Several PID files: the status that matters most, whatever the order:
// 4 (cannot tell) over 1 (dead, stale file) over 3 (not running) over 0.
int rank(int status) {
    switch (status) {
    case exit_status::unknown: return 3;
    case exit_status::failed: return 2;
    case exit_status::not_running: return 1;
    default: return 0;
    }
}

int run_status(const StatusOptions& o) {
    // Every argument is checked before any file is read.
    std::vector<std::filesystem::path> paths;
    for (const auto& text : o.pid_files) paths.push_back(pid_file_arg(text));
    int status = exit_status::ok;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const Report r = assess(probe(paths[i]), o.strict);
        const std::string out =
            o.json ? json_line(o.pid_files[i], paths[i], r) : escape_controls(o.pid_files[i] + ": " + r.line) + '\n';
        std::fwrite(out.data(), 1, out.size(), stdout);
        if (rank(r.status) > rank(status)) status = r.status;
    }
    // A reader that got nothing must not take the exit status alone for the
    // answer: a status that was not written is unknown.
    if (std::fflush(stdout) != 0 || std::ferror(stdout) != 0)
        throw Failure(exit_status::unknown, std::string("cannot write the status to standard output: ") +
                                                std::strerror(errno));
    return status;
}

} // namespace

Command add_status(CLI::App& app) {
    auto* sub = app.add_subcommand(
        "status", "Tell whether the daemons of PID files run, with their PIDs and uptimes; one line per file");
    auto options = std::make_shared<StatusOptions>();
    sub->add_option("pidfile", options->pid_files, "the daemons' PID files")->required();
    sub->add_flag("--strict", options->strict,
                  "trust only a locked PID file: an unlocked one whose process is alive is status 4, not 0");
    sub->add_flag("--json", options->json,
                  "print one JSON object per PID file and line: path, state, status, pid, start time, uptime, "
                  "owner, lock kind (docs/cli.md has the schema)");
    sub->footer("Exit status (LSB): 0 running; 1 dead, but the PID file exists (stale); 3 not running (no PID file); "
                "4 unknown (unreadable or refused PID file; with --strict, an unlocked file of a live process); "
                "64 bad usage. For several PID files, the status of the one that matters most: 4, else 1, else 3, "
                "else 0.\n"
                "A PID file that is not locked (start-stop-daemon --make-pidfile writes such files) counts as running "
                "when its process is alive and started before the file was written; the line says 'unverified'.");
    return {sub, [options] { return run_status(*options); }};
}

} // namespace daemoniker::cli
