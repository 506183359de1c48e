/* The floor: the least a correct daemonizer has to do, written for the
 * benchmark in plain C with no error messages and no options.
 *
 *     floor_daemon PIDFILE FIFO               the daemon reports its own stamp
 *     floor_daemon --exec PIDFILE PROG ARG... the daemon executes PROG
 *
 * fork; setsid; fork; umask; chdir("/"); PID file opened without following
 * links, OFD-locked, written; close_range() around the two descriptors kept;
 * stdin/stdout/stderr onto /dev/null; then the handshake: the original
 * process exits 0 only after the daemon reported success on a close-on-exec
 * pipe (in exec mode: after the pipe reached EOF without an error, i.e. the
 * exec succeeded), 1 otherwise. */
#define _GNU_SOURCE
#include "stamp.h"

#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void fail(int report, int error) {
    (void)write(report, &error, sizeof error);
    _exit(1);
}

static int close_range_raw(unsigned lo, unsigned hi) {
    return lo > hi ? 0 : (int)syscall(SYS_close_range, lo, hi, 0U);
}

int main(int argc, char **argv) {
    const int exec_mode = argc >= 4 && strcmp(argv[1], "--exec") == 0;
    if (!exec_mode && argc != 3) return 64;
    const char *pid_file = argv[exec_mode ? 2 : 1];

    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return 1;
    const pid_t child = fork();
    if (child < 0) return 1;
    if (child > 0) {
        close(report[1]);
        int error = -1;
        ssize_t n;
        do n = read(report[0], &error, sizeof error);
        while (n < 0 && errno == EINTR);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
        }
        if (exec_mode) return n == 0 ? 0 : 1;         /* EOF: the exec closed the pipe */
        return n == (ssize_t)sizeof error && error == 0 ? 0 : 1;
    }

    /* intermediate */
    close(report[0]);
    if (setsid() < 0) fail(report[1], errno);
    const pid_t daemon = fork();
    if (daemon < 0) fail(report[1], errno);
    if (daemon > 0) _exit(0);

    /* daemon */
    umask(027);
    if (chdir("/") != 0) fail(report[1], errno);
    const int pid_fd = open(pid_file, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
    if (pid_fd < 0) fail(report[1], errno);
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (fcntl(pid_fd, F_OFD_SETLK, &lock) != 0) fail(report[1], errno);
    char line[24];
    const int len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
    if (ftruncate(pid_fd, 0) != 0 || pwrite(pid_fd, line, (size_t)len, 0) != len) fail(report[1], errno);

    const int lo = pid_fd < report[1] ? pid_fd : report[1];
    const int hi = pid_fd < report[1] ? report[1] : pid_fd;
    if (close_range_raw(3, (unsigned)lo - 1) != 0 || close_range_raw((unsigned)lo + 1, (unsigned)hi - 1) != 0 ||
        close_range_raw((unsigned)hi + 1, UINT_MAX) != 0)
        fail(report[1], errno);
    const int null = open("/dev/null", O_RDWR | O_NOCTTY);
    if (null < 0) fail(report[1], errno);
    for (int fd = 0; fd < 3; ++fd)
        if (null != fd && dup2(null, fd) < 0) fail(report[1], errno);
    if (null > 2) close(null);

    if (exec_mode) {
        /* The program keeps the PID file, and so its lock, across the exec. */
        if (fcntl(pid_fd, F_SETFD, 0) != 0) fail(report[1], errno);
        execv(argv[3], argv + 3);
        fail(report[1], errno);
    }
    const int ok = 0;
    if (write(report[1], &ok, sizeof ok) != (ssize_t)sizeof ok) _exit(1);
    close(report[1]);

    const long long t = bench_now_ns();
    if (bench_stamp(argv[2], t) != 0) return 1;
    bench_wait_for_stop();
    unlink(pid_file);
    return 0;
}
