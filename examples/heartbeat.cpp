// The demo daemon: daemonizes, then logs a heartbeat line every
// --interval-ms until it is stopped.
//
//   heartbeat PIDFILE LOGFILE [INTERVAL_MS]
//
// SIGTERM (or SIGINT) ends it cleanly: it logs "stopping" and its PID file
// is removed. SIGHUP reopens the log file (log rotation). Setup code runs once in the original process (Daemonizer::is_setup), the
// interval travels to the daemon as a preserved argument, and the original
// process prints the daemon's PID file before it exits.

#include <daemoniker/daemoniker.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <string>
#include <string>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: heartbeat PIDFILE LOGFILE [INTERVAL_MS]\n";
        return 64;
    }
    const std::filesystem::path pid_file = argv[1];
    const std::filesystem::path log_file = argv[2];
    long interval_ms = 0;

    daemoniker::Daemonizer daemonizer;
    try {
        if (daemonizer.is_setup()) {
            interval_ms = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 500;
            if (interval_ms <= 0) {
                std::cerr << "heartbeat: INTERVAL_MS must be a positive number of milliseconds\n";
                return 64;
            }
        }
        // By default it detaches when run from a shell and stays in the
        // foreground when a service manager started it (systemd
        // Type=simple/notify, see examples/systemd/). HEARTBEAT_DETACH=always
        // or =never overrides that (Type=forking units need "always").
        const char* mode = std::getenv("HEARTBEAT_DETACH");
        const auto detach = mode == nullptr                  ? daemoniker::Detach::unless_supervised
                            : std::string(mode) == "always" ? daemoniker::Detach::always
                            : std::string(mode) == "never"  ? daemoniker::Detach::never
                                                            : daemoniker::Detach::unless_supervised;
        auto [is_parent, interval] = daemonizer(
            pid_file, {.chdir = "/", .stdout_goto = log_file, .stderr_goto = log_file, .detach = detach}, interval_ms);
        if (is_parent) {
            std::cout << "heartbeat: daemon started, PID file " << pid_file << "\n";
            return 0; // never reached: leaving the Daemonizer's scope ends the parent
        }
        interval_ms = interval;
    } catch (const daemoniker::Error& e) {
        std::cerr << "heartbeat: " << e.what() << "\n";
        return 1;
    }

    // SIGTERM, SIGINT and SIGABRT keep their default action: wait_for() throws
    // the matching exception here in the main thread. SIGHUP reopens the log,
    // for log rotation (logrotate's "postrotate: kill -HUP").
    daemoniker::SignalHandler signals(pid_file);
    signals.set(daemoniker::Signal::sighup, [](int) {
        daemoniker::reopen_streams();
        std::printf("heartbeat: log reopened\n");
        std::fflush(stdout);
    });
    signals.start();
    daemoniker::notify_ready(); // systemd Type=notify: started (a no-op otherwise)
    std::printf("heartbeat: started, every %ld ms\n", interval_ms);
    try {
        for (unsigned long beat = 1;; ++beat) {
            std::printf("heartbeat %lu at %ld\n", beat, static_cast<long>(std::time(nullptr)));
            std::fflush(stdout);
            signals.wait_for(std::chrono::milliseconds(interval_ms)); // sleeps, unless a signal arrives
        }
    } catch (const daemoniker::ReceivedSignal& e) {
        std::printf("heartbeat: stopping (%s)\n", e.what());
        daemoniker::notify_stopping();
    }
    return 0; // the normal exit path: the PID file is removed
}
