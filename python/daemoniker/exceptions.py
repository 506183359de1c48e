"""The exceptions of daemoniker.

``DaemonikerException`` is the base of every error the package raises. The
engine's failures are its subclasses and say what failed: ``step`` (for
example ``"chdir"`` or ``"pid file lock"``), ``path``, ``reason`` (the
system's message) and ``errno`` where the system gave one.

Signals are different: ``ReceivedSignal`` (also importable as
``DaemonikerSignal``, the name Daemoniker 0.2.3's code used for the same
class) and its subclasses ``SIGINT``, ``SIGTERM``, ... derive from
``BaseException``, not from ``DaemonikerException``, so that an ``except
Exception:`` in a work loop does not swallow the request to stop: an
unhandled ``SIGTERM`` ends the program, as it would without a handler.
"""

from __future__ import annotations

import signal as _signal

# typing is imported for type checkers only: it (and the re module it
# pulls in) would be a sizeable share of a daemon's start-up time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Optional

__all__ = [
    "DaemonikerException",
    "OptionError",
    "PidFileError",
    "AlreadyRunning",
    "StartupError",
    "StartupTimeout",
    "SignalError",
    "ReceivedSignal",
    "DaemonikerSignal",
    "SIGINT",
    "SIGTERM",
    "SIGABRT",
    "SIGHUP",
    "SIGUSR1",
    "SIGUSR2",
]


class DaemonikerException(Exception):
    """Base of every error daemoniker raises; catch it to catch them all.

    Attributes (``None`` where they do not apply): ``step``, the step of
    daemonization that failed; ``path``, the file or directory involved;
    ``reason``, why; ``errno``, the system's error number.
    """

    def __init__(self, message: str = "", *, step: Optional[str] = None, path: Optional[str] = None,
                 reason: Optional[str] = None, errno: Optional[int] = None, pid: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.step = step
        self.path = path
        self.reason = reason if reason is not None else message
        self.errno = errno
        if pid is not None:
            self.pid = pid

    def __str__(self) -> str:
        return self.message


class OptionError(DaemonikerException, ValueError):
    """An option or argument was refused before anything was started
    (including arguments to preserve that cannot be pickled)."""


class PidFileError(DaemonikerException):
    """The PID file could not be created, locked, read or written, or is of
    a kind the engine refuses (symbolic link, FIFO, unsafe directory, a file
    someone less privileged could have written)."""


class AlreadyRunning(PidFileError):
    """The PID file is locked by a live daemon; ``pid`` names it (0 if it
    could not be read)."""

    pid: int = 0


class StartupError(DaemonikerException):
    """A step of daemonization failed; ``step`` and ``path`` say which. No
    daemon and no PID file were left behind."""


class StartupTimeout(StartupError):
    """The daemon did not report within ``success_timeout``; it was killed."""


class SignalError(DaemonikerException, RuntimeError):
    """Sending or handling a signal failed, for example because the PID file
    is missing, stale (no daemon holds its lock) or untrusted."""


class _SignalMeta(type):
    """Lets ``int(SIGTERM)`` give the signal number, as ``int(SIGTERM())`` does."""

    SIGNUM: int

    def __int__(cls) -> int:
        return cls.SIGNUM

    def __index__(cls) -> int:
        return cls.SIGNUM


class ReceivedSignal(BaseException, metaclass=_SignalMeta):
    """Raised in the main thread by SignalHandler1's default handler.

    ``int()`` of the class or an instance gives the signal number, also in
    ``SIGNUM``. Raised directly (not as a subclass) only for a signal number
    without a class of its own.
    """

    SIGNUM = -1

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)

    def __int__(self) -> int:
        return self.SIGNUM

    def __index__(self) -> int:
        return self.SIGNUM


DaemonikerSignal = ReceivedSignal


class SIGINT(ReceivedSignal):
    """Raised upon receipt of SIGINT."""

    SIGNUM = int(_signal.SIGINT)


class SIGTERM(ReceivedSignal):
    """Raised upon receipt of SIGTERM."""

    SIGNUM = int(_signal.SIGTERM)


class SIGABRT(ReceivedSignal):
    """Raised upon receipt of SIGABRT."""

    SIGNUM = int(_signal.SIGABRT)


class SIGHUP(ReceivedSignal):
    """SIGHUP, for send(); SignalHandler1 raises it only when asked to
    (``sighup=None`` leaves the system's action)."""

    SIGNUM = int(getattr(_signal, "SIGHUP", 1))


class SIGUSR1(ReceivedSignal):
    """SIGUSR1 (see SIGHUP)."""

    SIGNUM = int(getattr(_signal, "SIGUSR1", 10))


class SIGUSR2(ReceivedSignal):
    """SIGUSR2 (see SIGHUP)."""

    SIGNUM = int(getattr(_signal, "SIGUSR2", 12))


def _class_of(signum: int) -> type:
    for cls in (SIGINT, SIGTERM, SIGABRT, SIGHUP, SIGUSR1, SIGUSR2):
        if cls.SIGNUM == signum:
            return cls
    return ReceivedSignal
