// daemoniker: start any program as a daemon, and stop, query, signal and
// restart it through its PID file. One file per subcommand; docs/cli.md is
// the manual.

#include "cli11.hpp"
#include "command_line.hpp"
#include "commands.hpp"
#include "signal_names.hpp"
#include "start_line.hpp"

#include <daemoniker/version.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace daemoniker::cli;

// CLI11 says "The following arguments were not expected: -- --bogus" when an
// unknown option precedes "--"; the "--" is noise there.
std::string tidy(std::string message) {
    const std::string noise = "expected: -- ";
    if (const auto at = message.find(noise); at != std::string::npos) message.erase(at + 10, 3);
    return message;
}

// The distance between two names: insertions, deletions, substitutions and
// swaps of neighbouring characters ("sned" is one from "send").
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
        for (std::size_t j = 1; j <= b.size(); ++j) {
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

// The name the user probably meant by `typed` (dashes included), or empty:
// the same name in another case, the one name it begins, or the nearest
// name when few of its letters differ.
std::string nearest(std::string_view typed, const std::vector<std::string>& names) {
    auto body = [](std::string_view name) {
        std::string out(name.substr(std::min(name.find_first_not_of('-'), name.size())));
        for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
    };
    const std::string t = body(typed);
    if (t.empty()) return {};
    std::vector<std::string> prefixed;
    std::string best;
    std::size_t best_distance = 3; // at most 2 edits
    for (const auto& name : names) {
        const std::string n = body(name);
        if (n == t) return name;
        if (t.size() >= 2 && n.rfind(t, 0) == 0) prefixed.push_back(name);
        if (const auto d = distance(t, n); d < best_distance && 2 * d < t.size()) {
            best_distance = d;
            best = name;
        }
    }
    return prefixed.size() == 1 ? prefixed.front() : best;
}

// Every command, in the order of the help.
struct CommandEntry {
    std::string_view name;
    Command (*add)(CLI::App&);
};
constexpr CommandEntry command_table[] = {
    {"start", add_start},     {"stop", add_stop},       {"status", add_status},
    {"send", add_send},       {"restart", add_restart}, {"service", add_service}};

// The commands to build a parser for. Building one costs more instructions
// than the whole daemonization of a `start` (CLI11 makes every option out
// of strings and std::functions), so when the first argument names a
// command, as it must for the command to run, only that one is built; the
// others are needed only for the help and the messages about a command line
// that names none.
std::vector<Command> add_commands(CLI::App& app, int argc, char** argv) {
    std::vector<Command> commands;
    const std::string_view first = argc > 1 && argv[1] != nullptr ? argv[1] : "";
    for (const auto& c : command_table)
        if (c.name == first) commands.push_back(c.add(app));
    if (commands.empty())
        for (const auto& c : command_table) commands.push_back(c.add(app));
    return commands;
}

// An argument that looks like an option: "-x", "--name", "--name=value";
// not "-", "--" or a negative number.
bool looks_like_option(const std::string& arg) {
    return arg.size() >= 2 && arg[0] == '-' && arg != "--" && !(arg[1] >= '0' && arg[1] <= '9');
}

std::string option_name(const std::string& arg) {
    return arg.rfind("--", 0) == 0 ? arg.substr(0, arg.find('=')) : arg;
}

// "unknown option '--name'" and the option of `app` the user probably meant,
// else `otherwise`.
std::string unknown_option(const std::string& arg, const CLI::App& app, const std::string& otherwise = {}) {
    const std::string name = option_name(arg);
    std::string meant;
    if (name.rfind("--", 0) == 0) {
        std::vector<std::string> names;
        for (const auto* option : app.get_options())
            for (const auto& l : option->get_lnames()) names.push_back("--" + l);
        meant = nearest(name, names);
    }
    return "unknown option '" + name + "'" + (meant.empty() ? otherwise : "; did you mean '" + meant + "'?");
}

// The message of a command line CLI11 refused. CLI11 reports what is missing
// before what it did not recognize, which points away from the mistake:
// "A subcommand is required" for `daemoniker bogus`, "--pid-file is
// required" for `daemoniker start --bogus`. What the user typed and nothing
// recognized is named first.
std::string usage_message(const CLI::App& app, const CLI::App* command, const CLI::ParseError& e) {
    std::vector<std::string> names;
    std::string list;
    for (const auto& c : command_table) {
        names.emplace_back(c.name);
        list += (list.empty() ? "" : ", ") + names.back();
    }
    list = "the commands are " + list;
    // Before a command's name (or with none at all).
    for (const auto& arg : app.remaining()) {
        if (arg == "--") continue;
        if (looks_like_option(arg))
            return unknown_option(arg, app, ": a command comes first, then its options; " + list);
        const auto meant = nearest(arg, names);
        std::string message = "'" + arg + "' is not a command";
        if (!meant.empty()) message += " (did you mean '" + meant + "'?)";
        message += "; ";
        message += list;
        return message;
    }
    if (command == nullptr) {
        if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) return "no command given; " + list;
        return tidy(e.what());
    }
    const auto extras = command->remaining();
    for (const auto& arg : extras)
        if (looks_like_option(arg)) return unknown_option(arg, *command);
    for (const auto& arg : extras)
        if (arg != "--") return "unexpected argument '" + arg + "'";
    return tidy(e.what());
}

// Out of memory: the line is written without allocating.
int out_of_memory(std::string_view command) noexcept {
    char line[128];
    // (An empty view may hold a null pointer, which %.*s must not be given.)
    std::snprintf(line, sizeof line, "daemoniker: %.*s%sout of memory\n", static_cast<int>(command.size()),
                  command.empty() ? "" : command.data(), command.empty() ? "" : ": ");
    std::fputs(line, stderr);
    return exit_status::failed;
}

// Replaces std::terminate's default, which aborts (a core dump) after a line
// of the C++ runtime such as "terminate called without an active
// exception". Out of memory is what leads there: the static initializers
// (CLI11's validators) allocate before main() can catch anything, and under
// a tight limit (ulimit -v) libstdc++ had no memory for its emergency
// exception pool either, so even the std::bad_alloc cannot be allocated and
// __cxa_allocate_exception terminates. Otherwise an exception escaped a
// function that may not throw. Allocates nothing, except to rethrow (which
// may end here again, out of memory).
[[noreturn]] void on_terminate() noexcept {
    static bool entered = false;
    const std::exception_ptr escaped = std::exchange(entered, true) ? nullptr : std::current_exception();
    const char* what = nullptr; // lives as long as `escaped`
    if (escaped) try {
            std::rethrow_exception(escaped);
        } catch (const std::bad_alloc&) {
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
            what = "not a std::exception";
        }
    if (what == nullptr) {
        std::fputs("daemoniker: out of memory\n", stderr);
    } else {
        std::fputs("daemoniker: internal error: an exception escaped a function that may not throw: ", stderr);
        std::fputs(what, stderr);
        std::fputs("\n", stderr);
    }
    std::_Exit(exit_status::failed);
}

// Before the static initializers of every file of the command and of the
// library linked into it (101: the first priority left to programs), since
// those are where memory runs out first.
__attribute__((constructor(101))) void install_terminate_handler() noexcept { std::set_terminate(on_terminate); }

} // namespace

static int run_command(int argc, char** argv) try {
    std::vector<std::string> args = command_line(argc, argv);
    std::string name;
    try {
        // start runs on every start of a daemon: its plain command lines are
        // read without building CLI11's parser (start_line.hpp).
        if (args.size() > 1 && args[0] == "start")
            if (const auto start = read_start_line({args.begin() + 1, args.end()})) {
                name = "start";
                return PreparedStart(*start).run();
            }

        CLI::App app{"Start any program as a daemon with a locked PID file; stop, query, signal and restart it "
                     "through that file.",
                     "daemoniker"};
        app.set_version_flag("--version", std::string("daemoniker ") + daemoniker::version_string,
                             "print the version and exit");
        // For the shell completions and for users: what stop --signal, --retry
        // and send accept on this system.
        app.add_flag_callback(
            "--list-signals",
            [] {
                const std::string names = signal_name_list();
                std::fwrite(names.data(), 1, names.size(), stdout);
                throw CLI::Success();
            },
            "print the signal names that stop and send accept here, one per line, and exit");
        app.require_subcommand(1);
        app.footer("Run 'daemoniker <command> --help' for a command's options and exit statuses; docs/cli.md has "
                   "the manual.");
        const std::vector<Command> commands = add_commands(app, argc, argv);

        try {
            parse_verbatim(app, std::move(args));
        } catch (const CLI::CallForHelp& e) {
            return app.exit(e);
        } catch (const CLI::CallForAllHelp& e) {
            return app.exit(e);
        } catch (const CLI::CallForVersion& e) {
            return app.exit(e);
        } catch (const CLI::Success& e) {
            return app.exit(e);
        } catch (const CLI::ParseError& e) {
            const CLI::App* command = nullptr;
            for (const auto& c : commands)
                if (c.app->parsed()) command = c.app;
            const std::string where = command != nullptr ? command->get_name() : std::string();
            const std::string hint = command != nullptr ? "daemoniker " + where + " --help" : "daemoniker --help";
            print_error(where, unmarked(usage_message(app, command, e)) + " (see '" + hint + "')");
            return exit_status::usage;
        }
        for (const auto& c : commands)
            if (c.app->parsed()) {
                name = c.app->get_name();
                const int status = c.run();
                std::fflush(stdout);
                return status;
            }
        print_error("", "no command given (see 'daemoniker --help')");
        return exit_status::usage;
    } catch (const UsageError& e) {
        print_error(name, std::string(e.what()) + " (see 'daemoniker " + name + " --help')");
        return exit_status::usage;
    } catch (const Failure& e) {
        print_error(name, e.what(), e.details());
        return e.status();
    } catch (const std::bad_alloc&) {
        return out_of_memory(name);
    } catch (const std::exception& e) {
        print_error(name, e.what());
        return exit_status::failed;
    }
} catch (const std::bad_alloc&) { // setting the command line up failed
    return out_of_memory({});
} catch (const std::exception& e) {
    print_error("", e.what());
    return exit_status::failed;
}

int main(int argc, char** argv) {
    const int status = run_command(argc, argv);
    // What a command printed (help, --list-signals, messages) must have
    // reached its reader: a full disk or a closed pipe is a failure too.
    // (A command that failed has said why already.)
    if (status == exit_status::ok && (std::fflush(stdout) != 0 || std::ferror(stdout) != 0)) {
        const int error = errno;
        print_error("", std::string("cannot write to standard output: ") + std::strerror(error));
        return exit_status::failed;
    }
    return status;
}
