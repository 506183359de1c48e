/* libdaemon (Debian libdaemon-dev) as its own example program uses it:
 *
 *     libdaemon_daemon PIDFILE FIFO
 *
 * reset and unblock signals, refuse a running instance, daemon_fork() with
 * the return-value pipe, then in the daemon daemon_close_all(),
 * daemon_pid_file_create() and daemon_retval_send(0); the original process
 * waits for that value (daemon_retval_wait) before it exits. */
#define _GNU_SOURCE
#include "stamp.h"

#include <libdaemon/dfork.h>
#include <libdaemon/dpid.h>

static const char *pid_file_path;

static const char *pid_file_proc(void) { return pid_file_path; }

int main(int argc, char **argv) {
    if (argc != 3) return 64;
    pid_file_path = argv[1];
    daemon_pid_file_proc = pid_file_proc;
    if (daemon_reset_sigs(-1) < 0 || daemon_unblock_sigs(-1) < 0) return 1;
    if (daemon_pid_file_is_running() >= 0) return 1;
    if (daemon_retval_init() < 0) return 1;
    const pid_t pid = daemon_fork();
    if (pid < 0) {
        daemon_retval_done();
        return 1;
    }
    if (pid > 0) return daemon_retval_wait(20) == 0 ? 0 : 1;

    if (daemon_close_all(-1) < 0) {
        daemon_retval_send(1);
        return 1;
    }
    if (daemon_pid_file_create() < 0) {
        daemon_retval_send(2);
        return 1;
    }
    daemon_retval_send(0);

    const long long t = bench_now_ns();
    if (bench_stamp(argv[2], t) != 0) return 1;
    bench_wait_for_stop();
    daemon_pid_file_remove();
    return 0;
}
