"""daemoniker: Python Daemoniker's API on the daemoniker C++ engine.

Daemonize with :func:`daemonize` or the :class:`Daemonizer` context manager,
handle signals in the daemon with :class:`SignalHandler1`, signal a daemon
through its PID file with :func:`send`. The original process exits 0 only
once the daemon is up; the PID file stays locked for the daemon's life, so
a stale one is recognised and taken over and ``send`` never signals a
reused PID. See docs/python.md in the daemoniker repository.
"""

import sys as _sys

if _sys.platform == "win32":
    raise ImportError(
        "daemoniker: the Python package does not support Windows yet; there, the engine will re-launch "
        "sys.executable with the script's arguments and carry the pickled arguments across "
        "(see docs/python.md)")

from . import exceptions
from ._daemonize import Daemonizer, daemonize
from ._signals import IGNORE_SIGNAL, SignalHandler1, is_running, send
from .exceptions import (SIGABRT, SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, AlreadyRunning,
                         DaemonikerException, DaemonikerSignal, OptionError, PidFileError, ReceivedSignal,
                         SignalError, StartupError, StartupTimeout)

__version__ = "0.3.0"

__all__ = [
    "Daemonizer",
    "daemonize",
    "SignalHandler1",
    "IGNORE_SIGNAL",
    "send",
    "is_running",
    "SIGINT",
    "SIGTERM",
    "SIGABRT",
    "SIGHUP",
    "SIGUSR1",
    "SIGUSR2",
    "exceptions",
    "DaemonikerException",
    "OptionError",
    "PidFileError",
    "AlreadyRunning",
    "StartupError",
    "StartupTimeout",
    "SignalError",
    "ReceivedSignal",
    "DaemonikerSignal",
]
