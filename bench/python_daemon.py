"""python-daemon (Debian python3-daemon) as its documentation shows it:

    python3 python_daemon.py PIDFILE FIFO

DaemonContext with a TimeoutPIDLockFile. The original process exits inside
DaemonContext.open() right after the first fork, before the daemon has done
anything that can fail, so the caller learns nothing about the daemon.
The daemon reports its stamp (see c/stamp.h) and idles until SIGTERM, which
python-daemon's default signal map turns into SystemExit, closing the context
and removing the PID file.
"""

import os
import signal
import sys
import time

import daemon
import daemon.pidfile


def main():
    pid_file, fifo = sys.argv[1], sys.argv[2]
    context = daemon.DaemonContext(
        working_directory="/",
        umask=0o027,
        pidfile=daemon.pidfile.TimeoutPIDLockFile(pid_file, acquire_timeout=5),
    )
    with context:
        t = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        fd = os.open(fifo, os.O_WRONLY | os.O_CLOEXEC)
        os.write(fd, f"{os.getpid()} {t}\n".encode())
        os.close(fd)
        while True:
            signal.pause()


if __name__ == "__main__":
    main()
