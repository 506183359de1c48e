/* The report every benchmark daemon sends once its own code runs: one line
 * "PID NANOSECONDS\n" (CLOCK_MONOTONIC, the clock of the harness) written
 * with a single write() to the FIFO the harness named. Shorter than
 * PIPE_BUF, so it arrives whole. */
#ifndef DAEMONIKER_BENCH_STAMP_H
#define DAEMONIKER_BENCH_STAMP_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long bench_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Returns 0, or -1 when the FIFO cannot be written (the harness then times
 * out and reports the contender as failed). */
static int bench_stamp(const char *fifo, long long t_ns) {
    char line[64];
    const int len = snprintf(line, sizeof line, "%ld %lld\n", (long)getpid(), t_ns);
    int fd;
    do fd = open(fifo, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) return -1;
    const ssize_t n = write(fd, line, (size_t)len);
    close(fd);
    return n == len ? 0 : -1;
}

/* Blocks until SIGTERM or SIGINT arrives; the caller then cleans up. */
static void bench_wait_for_stop(void) {
    sigset_t set;
    int sig = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    while (sigwait(&set, &sig) != 0) {
    }
}

#endif
