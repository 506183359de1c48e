/* glibc daemon(3) as a program would use it:
 *
 *     glibc_daemon PIDFILE FIFO
 *
 * daemon(0, 0) forks once and the parent exits at once, so the caller
 * learns nothing about the daemon; the daemon then writes its PID file. */
#define _DEFAULT_SOURCE
#include "stamp.h"

#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 3) return 64;
    if (daemon(0, 0) != 0) return 1;
    const long long t = bench_now_ns();
    FILE *f = fopen(argv[1], "we");
    if (f == NULL) return 1;
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
    if (bench_stamp(argv[2], t) != 0) return 1;
    bench_wait_for_stop();
    unlink(argv[1]);
    return 0;
}
