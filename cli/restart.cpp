// daemoniker restart [stop options] [start options] -- program [args...]
//
// The start arguments are given again on the command line (nothing is stored
// next to the PID file): restart runs from the same place that ran start
// (a unit file, an init script, a Makefile), which has them. The daemon of
// --pid-file is stopped as by stop, then the program is started as by start.
// A daemon that was not running is simply started.

#include "command_line.hpp"
#include "commands.hpp"
#include "start_line.hpp"
#include "daemoniker_internal.hpp" // the library's interface for the command

#include <daemoniker/daemonize.hpp>

#include <CLI/CLI.hpp>

#include <memory>

namespace daemoniker::cli {

Command add_restart(CLI::App& app) {
    auto* sub = app.add_subcommand("restart", "Stop the daemon of --pid-file (if it runs), then start the program "
                                              "with the same options as start");
    struct RestartOptions {
        StartOptions start;
        StopOptions stop;
    };
    auto options = std::make_shared<RestartOptions>();
    add_stop_options(*sub, options->stop);
    add_start_options(*sub, options->start);
    sub->footer("Example: daemoniker restart --retry 10 --pid-file /run/app.pid -- /usr/bin/app --flag\n"
                "Exit status: as start (0 started; 1 the start failed; 2 already running), and also 2 when the "
                "old daemon was still running after the stop schedule, 4 when it could not be stopped "
                "(refused or failed), 64 bad usage.");
    return {sub, [options] {
                PreparedStart start(options->start); // bad start options fail before anything is stopped
                // Windows re-launches this very command line as the daemon:
                // there, the stop was done by the original, and a second one
                // could stop a daemon someone else started meanwhile.
                if (!detail::is_relaunched()) {
                    const auto stopped = stop_daemon(path_arg(options->start.pid_file), options->stop);
                    if (stopped.status == exit_status::still_running || stopped.status == exit_status::unknown)
                        throw Failure(stopped.status, "cannot stop the running daemon: " + stopped.message);
                }
                return start.run();
            }};
}

} // namespace daemoniker::cli
