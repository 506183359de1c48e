"""The daemoniker Python package (python/), the same program as
python_daemon.py but daemonized with daemoniker.daemonize():

    python python_daemoniker.py PIDFILE FIFO

The original process exits only once the daemon has reported that its PID
file is locked and written, its directory changed, inherited descriptors
closed and streams redirected. The daemon reports its stamp (see
c/stamp.h) and idles until SIGTERM, which SignalHandler1's default handler
raises as daemoniker.SIGTERM in the main thread; the PID file goes at exit.
"""

import os
import sys
import time

import daemoniker


def main():
    pid_file, fifo = sys.argv[1], sys.argv[2]
    daemoniker.daemonize(pid_file, chdir="/", umask=0o027)
    t = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    fd = os.open(fifo, os.O_WRONLY | os.O_CLOEXEC)
    os.write(fd, f"{os.getpid()} {t}\n".encode())
    os.close(fd)
    signals = daemoniker.SignalHandler1(pid_file)
    signals.start()
    try:
        while True:
            time.sleep(3600)
    except daemoniker.SIGTERM:
        pass


if __name__ == "__main__":
    main()
