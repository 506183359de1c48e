#include "start_line.hpp"

#include "cli11.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <cstddef>
#include <string_view>

namespace daemoniker::cli {
namespace {

// What an option takes, as add_start_options() declares it to CLI11.
enum class Takes {
    pid_file,    // one value, into StartOptions::pid_file
    value,       // one value, into a std::optional<std::string>
    values,      // one or more, into a std::vector<std::string>
    descriptors, // one or more integers: --keep-fd
    flag,        // none
};

struct OptionSpec {
    std::string_view name;       // without its dashes
    std::string_view short_name; // "" or one letter
    Takes takes;
    std::optional<std::string> StartOptions::*value = nullptr;
    std::vector<std::string> StartOptions::*values = nullptr;
    bool StartOptions::*flag = nullptr;
};

constexpr std::array specs{
    OptionSpec{"pid-file", "p", Takes::pid_file},
    OptionSpec{"chdir", "d", Takes::value, &StartOptions::chdir},
    OptionSpec{"stdin", "", Takes::value, &StartOptions::stdin_path},
    OptionSpec{"stdout", "", Takes::value, &StartOptions::stdout_path},
    OptionSpec{"stderr", "", Takes::value, &StartOptions::stderr_path},
    OptionSpec{"umask", "", Takes::value, &StartOptions::umask},
    OptionSpec{"keep-fd", "", Takes::descriptors},
    OptionSpec{"timeout", "", Takes::value, &StartOptions::timeout},
    OptionSpec{"user", "u", Takes::value, &StartOptions::user},
    OptionSpec{"group", "g", Takes::value, &StartOptions::group},
    OptionSpec{"chroot", "", Takes::value, &StartOptions::chroot},
    OptionSpec{"core", "", Takes::flag, nullptr, nullptr, &StartOptions::core},
    OptionSpec{"no-core", "", Takes::flag, nullptr, nullptr, &StartOptions::no_core},
    OptionSpec{"nice", "", Takes::value, &StartOptions::nice},
    OptionSpec{"iosched", "", Takes::value, &StartOptions::iosched},
    OptionSpec{"rlimit", "", Takes::values, nullptr, &StartOptions::rlimits},
    OptionSpec{"env-file", "", Takes::values, nullptr, &StartOptions::env_files},
    OptionSpec{"env", "e", Takes::values, nullptr, &StartOptions::env},
    OptionSpec{"wait-ready", "", Takes::flag, nullptr, nullptr, &StartOptions::wait_ready},
};

// The option an argument names, by "--name" or "-x" exactly.
const OptionSpec* find(std::string_view arg) {
    for (const auto& spec : specs) {
        if (arg.size() == spec.name.size() + 2 && arg.substr(0, 2) == "--" && arg.substr(2) == spec.name) return &spec;
        if (!spec.short_name.empty() && arg.size() == 2 && arg[0] == '-' && arg.substr(1) == spec.short_name)
            return &spec;
    }
    return nullptr;
}

// A descriptor number as CLI11 would convert it, for the plain decimal
// forms only ("3", "10"; not "03", "0x3", "+3" or one beyond int).
std::optional<int> plain_descriptor(const std::string& text) {
    if (text.empty() || text.size() > 9 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

// An option whose absence means a default of the library or of the platform.
CLI::Option* add_optional(CLI::App& sub, const std::string& name, std::optional<std::string>& to,
                          const std::string& description) {
    return sub.add_option_function<std::string>(name, [&to](const std::string& value) { to = value; }, description);
}

} // namespace

void add_start_options(CLI::App& sub, StartOptions& o) {
    sub.add_option("--pid-file,-p", o.pid_file,
#ifdef _WIN32
                   "PID file: created, locked for the program's whole life, holding the PID of its supervisor "
                   "(daemoniker itself, which passes signals on to the program)")
#else
                   "PID file: created, locked by the program for its whole life, holding the program's PID")
#endif
        ->required();
    add_optional(sub, "--chdir,-d", o.chdir, "working directory of the program (default: the current one)");
    add_optional(sub, "--stdin", o.stdin_path, "file for standard input (default /dev/null)");
    add_optional(sub, "--stdout", o.stdout_path, "file for standard output, appended to, created if missing "
                                                 "(default /dev/null)");
    add_optional(sub, "--stderr", o.stderr_path, "file for standard error, likewise (default /dev/null)");
    add_optional(sub, "--umask", o.umask, "file-creation mask, octal (default 027)");
    sub.add_option("--keep-fd", o.keep_fds, "descriptor the program inherits (repeatable; 0-2 always are)");
    add_optional(sub, "--timeout", o.timeout, "seconds to wait for the start, with --wait-ready for readiness too; "
                                              "fractions allowed (default 30)");
    add_optional(sub, "--user,-u", o.user, "run as this user (name or uid; with its groups, HOME, USER and LOGNAME); "
                                           "needs root");
    add_optional(sub, "--group,-g", o.group, "run with this group (name or gid); needs root");
    add_optional(sub, "--chroot", o.chroot, "change the program's root directory to this one (needs root); the PID "
                                            "file and --stdin/--stdout/--stderr are opened before it, --chdir and "
                                            "the program are inside it");
    auto* core = sub.add_flag("--core", o.core, "allow core dumps (soft limit raised to the hard one) (default: as "
                                                "inherited)");
    auto* no_core = sub.add_flag("--no-core", o.no_core, "prevent core dumps (limit 0) (default: as inherited)");
    core->excludes(no_core);
    add_optional(sub, "--nice", o.nice, "run the program with this nice value, -20 to 19");
    add_optional(sub, "--iosched", o.iosched, "I/O scheduling CLASS[:LEVEL]: real-time, best-effort (LEVEL 0-7, "
                                              "default 4) or idle (Linux)");
    sub.add_option("--rlimit", o.rlimits, "resource limit NAME=SOFT[:HARD] (core, nofile, nproc, as, cpu, fsize, "
                                          "data, stack, memlock, ...; a number or 'unlimited'; repeatable)");
    sub.add_option("--env-file", o.env_files, "read NAME=value lines from FILE (systemd's EnvironmentFile= "
                                              "format; '-FILE': skipped when missing; repeatable; --env wins)");
    sub.add_option("--env,-e", o.env, "set NAME=value in the program's environment (repeatable)");
    sub.add_flag("--wait-ready", o.wait_ready, "return only once the program sent READY=1 to NOTIFY_SOCKET "
                                               "(the sd_notify protocol of systemd Type=notify services)");
    sub.add_option("program", o.command, "the program, then its arguments: everything after the program's "
                                         "name (or after --) is passed to it")
        ->required();
    // Everything after the program's name belongs to the program, as with env(1).
    sub.positionals_at_end();
}

std::optional<StartOptions> read_start_line(const std::vector<std::string>& args) {
    StartOptions o;
    std::array<bool, specs.size()> seen{};
    bool pid_file = false;
    std::size_t i = 0;
    while (i < args.size()) {
        const std::string& arg = args[i];
        if (arg == "--") {
            ++i;
            break;
        }
        // CLI11 ends the subcommand at "++" and refuses an empty argument here.
        if (arg.empty() || arg == "++") return std::nullopt;
        if (arg[0] != '-') break; // the program's name
        // "--name=value" or "--name", "-x".
        const auto equals = arg.rfind("--", 0) == 0 ? arg.find('=') : std::string::npos;
        const OptionSpec* spec = find(std::string_view(arg).substr(0, equals));
        if (spec == nullptr) return std::nullopt;
        const auto index = static_cast<std::size_t>(spec - specs.data());
        const bool list = spec->takes == Takes::values || spec->takes == Takes::descriptors;
        if (seen[index] && !list) return std::nullopt; // CLI11 refuses it, or has a rule for it
        seen[index] = true;
        ++i;
        if (spec->takes == Takes::flag) {
            if (equals != std::string::npos) return std::nullopt;
            o.*(spec->flag) = true;
            continue;
        }
        std::string value;
        if (equals != std::string::npos) {
            value = arg.substr(equals + 1);
            if (value.empty()) return std::nullopt;
        } else {
            if (i == args.size() || args[i].empty() || args[i][0] == '-') return std::nullopt;
            value = args[i++];
        }
        // CLI11 gives a list option every following argument up to the next
        // option or "--", and there "--" ends the list, not the options: the
        // line is plain when an option comes next, or "--" and the program.
        if (list && i < args.size()) {
            const std::string& next = args[i];
            if (next == "--") {
                if (i + 1 == args.size() || args[i + 1].empty() || args[i + 1][0] == '-') return std::nullopt;
            } else if (next.rfind("--", 0) != 0 && find(next) == nullptr) {
                return std::nullopt;
            }
        }
        switch (spec->takes) {
        case Takes::pid_file:
            o.pid_file = std::move(value);
            pid_file = true;
            break;
        case Takes::value: o.*(spec->value) = std::move(value); break;
        case Takes::values: (o.*(spec->values)).push_back(std::move(value)); break;
        case Takes::descriptors: {
            const auto fd = plain_descriptor(value);
            if (!fd) return std::nullopt;
            o.keep_fds.push_back(*fd);
            break;
        }
        case Takes::flag: break;
        }
    }
    if (!pid_file || i == args.size() || (o.core && o.no_core)) return std::nullopt;
    o.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    return o;
}

std::optional<StartOptions> cli11_start_line(const std::vector<std::string>& args) {
    CLI::App app;
    StartOptions o;
    add_start_options(*app.add_subcommand("start"), o);
    app.require_subcommand(1);
    std::vector<std::string> line{"start"};
    line.insert(line.end(), args.begin(), args.end());
    try {
        parse_verbatim(app, std::move(line));
    } catch (const CLI::ParseError&) {
        return std::nullopt;
    }
    return o;
}

} // namespace daemoniker::cli
