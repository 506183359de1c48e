// The baselines of the memory comparison: C++ programs built like
// daemonize_program that do nothing but report their stamp (stamp.hpp) and
// idle until SIGTERM.
//
//     empty_program FIFO              started directly
//     empty_program --forked FIFO     daemonized by a bare double fork first
//
// The second is the fair baseline for a daemon: after fork(), the kernel does
// not copy the page-table entries of file-backed mappings that were never
// written (they fault in again when touched), so a freshly forked daemon
// shows less resident memory than the same program started by exec. Both
// sides of the comparison are then forked alike, and what remains is the
// library's own cost.

#include "stamp.hpp"

#include <cstring>

int main(int argc, char** argv) {
    const bool forked = argc == 3 && std::strcmp(argv[1], "--forked") == 0;
    if (argc != 2 && !forked) return 64;
    const char* fifo = argv[argc - 1];
    if (forked) {
        // Bare double fork: the original exits at once, the intermediate
        // after setsid and the second fork.
        const pid_t child = ::fork();
        if (child < 0) return 1;
        if (child > 0) ::_exit(0);
        if (::setsid() < 0) ::_exit(1);
        const pid_t daemon = ::fork();
        if (daemon < 0) ::_exit(1);
        if (daemon > 0) ::_exit(0);
    }
    if (!bench::stamp(fifo, bench::now_ns())) return 1;
    bench::wait_for_stop();
    return 0;
}
