// daemoniker: start any program as a daemon, and stop, query, signal and
// restart it through its PID file. One file per subcommand; docs/cli.md is
// the manual.

#include "command_line.hpp"
#include "commands.hpp"

#include <daemoniker/version.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
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

// Out of memory: the line is written without allocating.
int out_of_memory(std::string_view command) noexcept {
    char line[128];
    std::snprintf(line, sizeof line, "daemoniker: %.*s%sout of memory\n", static_cast<int>(command.size()),
                  command.data(), command.empty() ? "" : ": ");
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

int main(int argc, char** argv) try {
    CLI::App app{"Start any program as a daemon with a locked PID file; stop, query, signal and restart it "
                 "through that file.",
                 "daemoniker"};
    app.set_version_flag("--version", std::string("daemoniker ") + daemoniker::version_string,
                         "print the version and exit");
    app.require_subcommand(1);
    app.footer("Run 'daemoniker <command> --help' for a command's options and exit statuses; docs/cli.md has "
               "the manual.");
    const std::vector<Command> commands{add_start(app), add_stop(app), add_status(app), add_send(app),
                                        add_restart(app)};

    std::string name;
    try {
        try {
            // CLI11 takes the arguments last-first when given as a vector.
            std::vector<std::string> args = command_line(argc, argv);
            std::reverse(args.begin(), args.end());
            app.parse(std::move(args));
        } catch (const CLI::CallForHelp& e) {
            return app.exit(e);
        } catch (const CLI::CallForAllHelp& e) {
            return app.exit(e);
        } catch (const CLI::CallForVersion& e) {
            return app.exit(e);
        } catch (const CLI::ParseError& e) {
            std::string where;
            std::string hint = "daemoniker --help";
            for (const auto& c : commands)
                if (c.app->parsed()) {
                    where = c.app->get_name();
                    hint = "daemoniker " + where + " --help";
                }
            print_error(where, tidy(e.what()) + " (see '" + hint + "')");
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
