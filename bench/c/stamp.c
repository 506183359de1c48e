/* The program that the exec-based daemonizers start (start-stop-daemon,
 * daemonize, daemon, daemoniker start, the C floor's exec mode):
 *
 *     stamp FIFO
 *
 * Takes the time first thing in main(), reports it (stamp.h), says READY=1
 * on NOTIFY_SOCKET when there is one (the sd_notify protocol, for
 * --notify-await and --wait-ready), then idles until SIGTERM. */
#define _GNU_SOURCE
#include "stamp.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

static int notify_ready(void) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == '\0') return 0;
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    const size_t len = strlen(path);
    if (len >= sizeof addr.sun_path) return -1;
    memcpy(addr.sun_path, path, len);
    if (path[0] == '@') addr.sun_path[0] = '\0'; /* abstract namespace */
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    static const char msg[] = "READY=1";
    const ssize_t n = sendto(fd, msg, sizeof msg - 1, 0, (const struct sockaddr *)&addr,
                             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
    close(fd);
    return n == (ssize_t)(sizeof msg - 1) ? 0 : -1;
}

int main(int argc, char **argv) {
    const long long t = bench_now_ns();
    if (argc != 2) return 64;
    if (bench_stamp(argv[1], t) != 0) return 1;
    if (notify_ready() != 0) return 1;
    bench_wait_for_stop();
    return 0;
}
