// daemoniker start [options] -- program [args...]: the command line, shared
// by the platforms. What starting means is platform code: start.posix.cpp
// (the daemon executes the program) and start.windows.cpp (the daemon stays
// as the program's supervisor).

#include "command_line.hpp"
#include "commands.hpp"
#include "launch.hpp"
#include "limits.hpp"
#include "probe.hpp"
#include "start_line.hpp"

#include "daemoniker_internal.hpp" // the library's interface for the command

#include <daemoniker/daemonize.hpp>
#include <daemoniker/options.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <string_view>
#include <utility>

namespace daemoniker::cli {
namespace {

int parse_umask(const std::string& text) {
    if (text.empty() || text.size() > 4) throw UsageError("--umask: '" + text + "' is not an octal mask such as 027");
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '7') throw UsageError("--umask: '" + text + "' is not an octal mask such as 027");
        value = value * 8 + (c - '0');
    }
    if (value > 0777) throw UsageError("--umask: '" + text + "' is larger than 0777");
    return value;
}

// An empty path has no meaning for any of start's path options (and
// std::filesystem throws on it): a usage error that names the option.
std::filesystem::path path_option(const char* option, const std::string& text) {
    if (text.empty()) throw UsageError(std::string(option) + ": the path is empty");
    return path_arg(text);
}

bool same_file(const std::filesystem::path& a, const std::filesystem::path& b) {
    std::error_code ec;
    const auto x = std::filesystem::absolute(a, ec);
    if (ec) return false;
    const auto y = std::filesystem::absolute(b, ec);
    if (ec) return false;
    const auto cx = std::filesystem::weakly_canonical(x, ec);
    if (ec) return false;
    const auto cy = std::filesystem::weakly_canonical(y, ec);
    return !ec && cx == cy;
}

// The library names its options as the members of Options ("shielded_fds:
// descriptor 3 is not open"); the command's user typed flags. Each message of
// an OptionError begins with the option's name.
constexpr std::pair<std::string_view, std::string_view> flag_of_option[] = {
    {"PID file", "--pid-file"},   {"chdir", "--chdir"},   {"stdin_goto", "--stdin"},
    {"stdout_goto", "--stdout"},  {"stderr_goto", "--stderr"},  {"umask", "--umask"},
    {"shielded_fds", "--keep-fd"}, {"success_timeout", "--timeout"}, {"user", "--user"},
    {"group", "--group"},         {"chroot", "--chroot"}, {"core_dumps", "--core"},
};

// An OptionError of the library as the command's error: a usage error that
// names the flag, or, for what no flag of the command controls (threads in
// this process, which the library refuses to fork), a failure without the
// library's advice to set an Options member.
[[noreturn]] void throw_option_error(const OptionError& e) {
    const std::string_view what = e.what();
    for (const auto& [option, flag] : flag_of_option)
        if (what.rfind(option, 0) == 0 && what.size() > option.size() &&
            (what[option.size()] == ':' || what[option.size()] == ' '))
            throw UsageError(std::string(flag) + std::string(what.substr(option.size())));
    if (const auto member = what.find("Options::"); member != std::string_view::npos) {
        const auto cut = what.rfind("; ", member);
        throw Failure(exit_status::failed, std::string(what.substr(0, cut)));
    }
    throw UsageError(std::string(what));
}

} // namespace

process_id start_program(const std::filesystem::path& pid_file, const Options& options, const detail::ExecSpec& exec,
                         process_id* keeper) {
    try {
        return detail::daemonize_and_exec(pid_file, options, exec, keeper);
    } catch (const AlreadyRunning& e) {
        throw Failure(exit_status::still_running, e.what());
    } catch (const OptionError& e) {
        throw_option_error(e);
    } catch (const Error& e) {
        throw Failure(exit_status::failed, e.what());
    }
}

void refuse_unverified_daemon(const std::filesystem::path& pid_file) {
    const Probe p = probe(pid_file);
    if (p.verdict == Verdict::running_unverified)
        throw Failure(exit_status::still_running, "already running, unverified (pid " + std::to_string(p.pid) +
                                                      "): " + p.reason +
                                                      "; not started (stop it, or remove the file if it is not the "
                                                      "daemon's)");
}

StartBasics start_basics(const StartOptions& o) {
    StartBasics s;
    s.pid_file = path_option("--pid-file", o.pid_file);
    Options& options = s.options;
    if (o.chdir) options.chdir = path_option("--chdir", *o.chdir);
    if (o.stdin_path) options.stdin_goto = path_option("--stdin", *o.stdin_path);
    if (o.stdout_path) options.stdout_goto = path_option("--stdout", *o.stdout_path);
    if (o.stderr_path) options.stderr_goto = path_option("--stderr", *o.stderr_path);
    if (o.umask) options.umask = parse_umask(*o.umask);
    if (const auto& v = o.timeout) {
        const auto t = parse_seconds(*v);
        if (!t || t->count() == 0) throw UsageError("--timeout: '" + *v + "' is not a positive number of seconds");
        s.timeout = *t;
    }
    options.success_timeout = s.timeout;
    for (int fd : o.keep_fds)
        if (fd < 0) throw UsageError("--keep-fd: " + std::to_string(fd) + " is not a descriptor");
    options.shielded_fds = o.keep_fds;
    if (o.user) options.user = *o.user;
    if (o.group) options.group = *o.group;
    if (o.chroot) options.chroot = path_option("--chroot", *o.chroot);
    if (o.core) options.core_dumps = true;
    if (o.no_core) options.core_dumps = false;
    // A stream opened on the PID file would release its lock when closed, and mix up its content.
    for (const auto* stream : {&options.stdin_goto, &options.stdout_goto, &options.stderr_goto})
        if (*stream && same_file(stream->value(), s.pid_file))
            throw UsageError("a standard stream cannot go to the PID file '" + o.pid_file + "'");
    // The library's own checks (a path that names a directory or cannot be
    // made absolute), now: restart must refuse before it stops anything. The
    // re-launched supervisor (Windows) received what the original checked.
    if (!detail::is_relaunched()) try {
            s.identity = detail::resolve(s.pid_file, options).identity;
        } catch (const OptionError& e) {
            throw_option_error(e);
        } catch (const Error& e) {
            throw Failure(exit_status::failed, e.what());
        }

    return s;
}

void add_process_settings(const StartOptions& o, detail::ExecSpec& exec) {
    if (o.nice) exec.nice = parse_nice(*o.nice);
    if (o.iosched) exec.io_priority = parse_iosched(*o.iosched);
    for (const auto& text : o.rlimits) {
        exec.limits.push_back(parse_rlimit(text));
        // The core limit would be set twice, by --core/--no-core last.
        if (text.rfind("core=", 0) == 0 && (o.core || o.no_core))
            throw UsageError("--rlimit " + text + ": give either it or --core/--no-core");
    }
}

Command add_start(CLI::App& app) {
    auto* sub = app.add_subcommand("start", "Start a program as a daemon: detached, with a locked PID file holding "
                                            "its PID; return once it runs (or is ready)");
    auto options = std::make_shared<StartOptions>();
    add_start_options(*sub, *options);
    sub->footer("Example: daemoniker start --pid-file /run/app.pid --stdout /var/log/app.log -- /usr/bin/app --flag\n"
                "Exit status: 0 started (ready with --wait-ready); 1 the start failed (reason on stderr); "
                "2 already running; 64 bad usage.");
    return {sub, [options] { return PreparedStart(*options).run(); }};
}

} // namespace daemoniker::cli
