// daemoniker service on POSIX: the service managers there are systemd and
// launchd, which run `daemoniker start` (or the program itself) from a unit;
// docs/cli.md shows the units. The verbs exist on Windows only.

#include "commands.hpp"

#include <CLI/CLI.hpp>

namespace daemoniker::cli {

Command add_service(CLI::App& app) {
    auto* sub = app.add_subcommand("service", "Windows only: install, start, stop and query a Windows service "
                                              "(on POSIX, a systemd or launchd unit: docs/cli.md, \"systemd\")");
    // Whatever follows is refused below as a whole, not argument by argument.
    sub->prefix_command();
    sub->allow_extras();
    return {sub, [] {
                print_error("service", "Windows services only: here the service manager is systemd (or launchd), "
                                       "and docs/cli.md, section \"systemd\", shows a unit for your program");
                return exit_status::usage;
            }};
}

} // namespace daemoniker::cli
