// The library's contender: a small program that calls daemoniker::daemonize().
//
//     daemonize_program start   PIDFILE FIFO   the daemon reports its stamp, idles
//     daemonize_program signals PIDFILE FIFO   ... with a SignalHandler running
//
// The original process exits inside daemonize() once the daemon reported
// success. The daemon takes the time as soon as daemonize() returns there,
// reports it (stamp.hpp) and idles until SIGTERM; returning from main removes
// the PID file.

#include "stamp.hpp"

#include <daemoniker/daemonize.hpp>
#include <daemoniker/signals.hpp>

#include <cstdio>
#include <exception>
#include <string_view>

namespace {

int run(int argc, char** argv) {
    if (argc != 4) return 64;
    const std::string_view mode = argv[1];
    const char* pid_file = argv[2];
    const char* fifo = argv[3];
    daemoniker::daemonize(pid_file, {.chdir = "/"});
    const auto t = bench::now_ns();
    if (mode == "signals") {
        daemoniker::SignalHandler handler(pid_file);
        handler.start();
        if (!bench::stamp(fifo, t)) return 1;
        try {
            handler.wait();
        } catch (const daemoniker::SigTerm&) {
        } catch (const daemoniker::SigInt&) {
        }
        return 0;
    }
    if (!bench::stamp(fifo, t)) return 1;
    bench::wait_for_stop();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) { // in the daemon: SignalHandler could not start
        std::fprintf(stderr, "daemonize_program: %s\n", e.what());
        return 1;
    }
}
