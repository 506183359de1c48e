"""Shared helpers: each test writes a small program into its own temporary
directory and runs it with this interpreter, so every daemon is a real
process that daemonized itself with the package. Every daemon a test
started is ended at teardown (only PIDs read from the test's own PID files,
and only while they still run the test's own script), even if it failed."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

DEADLINE = 10.0  # seconds any single wait may take


def wait_until(predicate, timeout=DEADLINE, interval=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def alive(pid):
    """True while `pid` runs and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def read_pid(path):
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return None
    return int(text) if text.strip().isdigit() else None


class Lab:
    """A test's directory, its programs and the daemons they became."""

    def __init__(self, tmp_path):
        self.dir = tmp_path
        self.daemon_pids = set()
        self.pid_files = set()

    def path(self, name):
        return str(self.dir / name)

    def script(self, name, body):
        """Writes a program; `body` is dedented. HERE is its directory."""
        program = self.dir / name
        program.write_text("HERE = " + repr(str(self.dir)) + "\n" + textwrap.dedent(body))
        return str(program)

    def run(self, program, *args, timeout=DEADLINE * 3, cwd=None, env=None):
        """Runs a program to its end (the original process) and returns the
        CompletedProcess with its text output."""
        return subprocess.run([sys.executable, program, *args], capture_output=True, text=True,
                              timeout=timeout, cwd=cwd or str(self.dir), env=env)

    def start(self, program, *args, cwd=None):
        return subprocess.Popen([sys.executable, program, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=cwd or str(self.dir))

    def daemon(self, pid_file):
        """The PID in `pid_file`, recorded for cleanup; None without one."""
        self.pid_files.add(str(pid_file))
        pid = read_pid(pid_file)
        if pid:
            self.daemon_pids.add(pid)
        return pid

    def wait_for_file(self, name, contains=""):
        """The text of a file the programs write whole lines to, once it
        has a complete line (and `contains`); None if it never does."""
        path = Path(self.path(name))

        def ready():
            text = path.read_text() if path.exists() else ""
            return text if text.endswith("\n") and contains in text else None

        return wait_until(ready)

    def wait_gone(self, pid, timeout=DEADLINE):
        return wait_until(lambda: not alive(pid), timeout)

    def cleanup(self):
        for pid_file in self.pid_files:
            pid = read_pid(pid_file)
            if pid:
                self.daemon_pids.add(pid)
        for pid in self.daemon_pids:
            # Ours only: the PID must still run a program from this test's directory.
            if alive(pid) and str(self.dir) in cmdline(pid):
                os.kill(pid, signal.SIGKILL)
                wait_until(lambda: not alive(pid), 5)


@pytest.fixture
def lab(tmp_path):
    # A short directory name: PID file paths appear in messages and /proc.
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        lab.cleanup()
        leftover = [pid for pid in lab.daemon_pids if alive(pid) and str(lab.dir) in cmdline(pid)]
        assert not leftover, f"daemons left running: {leftover}"


def daemons_running(directory):
    """PIDs of processes whose command line names a program in `directory`
    (observation only: tests never signal what this finds)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and entry != str(os.getpid()) and alive(int(entry)) and str(directory) in cmdline(int(entry)):
            found.append(int(entry))
    return found
