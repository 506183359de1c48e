"""SignalHandler1 and send(): Python Daemoniker's signal API on the
daemoniker engine's SignalHandler (see python/src/signals.cpp for how a
signal reaches the main thread)."""

from __future__ import annotations

import atexit
import os
import signal as _signal
import threading

from . import _engine
from .exceptions import DaemonikerException, ReceivedSignal, SignalError, _class_of

IGNORE_SIGNAL = 1793
"""Assign it as a handler to ignore the signal (Daemoniker 0.2.3's value)."""

# The signal the courier thread (python/src/signals.cpp) sends the main
# thread so that Python runs the queued handlers there. A real-time signal
# where there are some (nothing else sends it), else SIGURG (ignored by
# default). Its handler is installed before the engine's thread starts.
WAKE_SIGNAL = int(getattr(_signal, "SIGRTMAX", getattr(_signal, "SIGURG", 0)))

# typing is imported for type checkers only: it (and the re module it
# pulls in) would be a sizeable share of a daemon's start-up time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Optional, Union

    Handler = Union[None, int, Callable[[int], Any]]
    PidFile = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]


def _signum(signal: Any) -> int:
    # A signal class, an instance of one, or a number (signal.Signals is an
    # int); a bool is not a signal, nor is anything else int() would take.
    if isinstance(signal, type) and issubclass(signal, ReceivedSignal):
        return int(signal)  # through the metaclass
    if isinstance(signal, ReceivedSignal) or (isinstance(signal, int) and not isinstance(signal, bool)):
        return int(signal)
    raise TypeError(f"signal must be a ReceivedSignal class or instance (SIGTERM) or a signal number, "
                    f"not {type(signal).__name__}")


def send(pid_file: PidFile, signal: Any) -> None:
    """Sends ``signal`` to the daemon whose PID file is ``pid_file``.

    ``signal`` is a ReceivedSignal class (``SIGINT``), an instance
    (``SIGINT()``) or a signal number (``signal.SIGINT``). Raises
    SignalError, sending nothing, when the file is missing or malformed, no
    daemon holds its lock (a stale file: the PID may have been reused by an
    unrelated process), or someone less privileged than the caller could
    have written it.
    """
    number = _signum(signal)
    try:
        _engine.send(os.fsencode(pid_file), number)
    except SignalError as exc:
        if exc.path is None:
            exc.path = os.fsdecode(pid_file)
        raise
    except DaemonikerException as exc:
        raise SignalError(str(exc), step=exc.step, path=exc.path or os.fsdecode(pid_file), reason=exc.reason,
                          errno=exc.errno) from exc


def is_running(pid_file: PidFile) -> bool:
    """True when a live daemon holds the lock of ``pid_file``; False when the
    file is missing or stale. Raises PidFileError when it cannot be read or
    is refused (the rule send() applies)."""
    return bool(_engine.is_running(os.fsencode(pid_file)))


class _HandlerAttribute:
    """One signal's handler as an attribute of SignalHandler1: it may be
    reassigned at any time (the engine is told at once) and deleted, which
    restores the default (None)."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, handler: Optional[SignalHandler1], owner: Optional[type] = None) -> Handler:
        if handler is None:
            return self  # type: ignore[return-value]  # the class's attribute itself
        return handler._handlers[self.name]

    def __set__(self, handler: SignalHandler1, value: Handler) -> None:
        handler._set(self.name, value)

    def __delete__(self, handler: SignalHandler1) -> None:
        handler._set(self.name, None)


# The handler that is started, if any: stop() is due at exit.
_started: Optional[SignalHandler1] = None


class SignalHandler1:
    """Handles SIGINT, SIGTERM and SIGABRT (and, where the platform has them,
    SIGHUP, SIGUSR1 and SIGUSR2) in the daemon.

    A handler is a callable taking the signal number, ``IGNORE_SIGNAL``, or
    ``None`` for the default. For SIGINT, SIGTERM and SIGABRT the default
    raises ``daemoniker.SIGINT`` / ``SIGTERM`` / ``SIGABRT`` in the main
    thread, also while it sleeps in ``time.sleep`` or waits in a blocking
    read; for SIGHUP, SIGUSR1 and SIGUSR2 it leaves the system's action
    (which ends the process). Custom handlers run in the main thread too.
    The attributes may be reassigned after start(); deleting one restores
    the default.

    Create and start it in the main thread. Only one can be started at a
    time in a process.
    """

    _NAMES = ("sigint", "sigterm", "sigabrt", "sighup", "sigusr1", "sigusr2")

    def __init__(self, pid_file: PidFile, sigint: Handler = None, sigterm: Handler = None,
                 sigabrt: Handler = None, *, sighup: Handler = None, sigusr1: Handler = None,
                 sigusr2: Handler = None) -> None:
        self._pid_file = pid_file
        self._numbers = {name: _engine.SIGNAL_NUMBERS[name.upper()] for name in self._NAMES}
        self._handlers: Dict[str, Handler] = {}
        self._engine: Optional[Any] = None
        self._old_wake: Any = None
        self._delivering = False
        for name, handler in zip(self._NAMES, (sigint, sigterm, sigabrt, sighup, sigusr1, sigusr2)):
            setattr(self, name, handler)

    # ---- handlers as attributes ------------------------------------------

    def _set(self, name: str, handler: Handler) -> None:
        if handler is not None and handler != IGNORE_SIGNAL and not callable(handler):
            raise TypeError(f"{name} handler must be callable, None or IGNORE_SIGNAL, not {handler!r}")
        self._handlers[name] = handler
        if self._engine is not None:
            self._engine.set(self._numbers[name], self._kind(name))

    def _kind(self, name: str) -> int:
        handler = self._handlers[name]
        if handler is None and name in ("sighup", "sigusr1", "sigusr2"):
            return _engine.SYSTEM_DEFAULT
        if handler is not None and not callable(handler) and handler == IGNORE_SIGNAL:
            return _engine.IGNORE
        return _engine.TO_PYTHON

    sigint = _HandlerAttribute("Handler of SIGINT.")
    sigterm = _HandlerAttribute("Handler of SIGTERM.")
    sigabrt = _HandlerAttribute("Handler of SIGABRT.")
    sighup = _HandlerAttribute("Handler of SIGHUP (None: the system's action).")
    sigusr1 = _HandlerAttribute("Handler of SIGUSR1 (None: the system's action).")
    sigusr2 = _HandlerAttribute("Handler of SIGUSR2 (None: the system's action).")

    # ---- start and stop ---------------------------------------------------

    def start(self) -> None:
        """Starts handling signals. Raises RuntimeError if this handler is
        already started, SignalError if another one is."""
        global _started
        if self._engine is not None:
            raise RuntimeError("SignalHandler is already running.")
        if threading.current_thread() is not threading.main_thread():
            raise SignalError("SignalHandler1.start() must be called from the main thread, where signals are handled")
        engine = _engine.SignalHandler(os.fsencode(self._pid_file), WAKE_SIGNAL)
        for name in self._NAMES:
            engine.set(self._numbers[name], self._kind(name))
        # The wake-up handler first: the engine's thread may send it as soon as it runs.
        old_wake = _signal.signal(WAKE_SIGNAL, self._deliver)
        try:
            engine.start()
        except BaseException:
            _signal.signal(WAKE_SIGNAL, old_wake)
            raise
        self._engine = engine
        self._old_wake = old_wake
        _started = self

    def stop(self) -> None:
        """Stops handling signals and restores the previous handlers.
        Idempotent; also called at interpreter exit."""
        global _started
        engine, self._engine = self._engine, None
        if engine is None:
            return
        engine.stop()
        if threading.current_thread() is threading.main_thread():
            _signal.signal(WAKE_SIGNAL, self._old_wake if self._old_wake is not None else _signal.SIG_DFL)
        if _started is self:
            _started = None

    # ---- in the main thread -------------------------------------------------

    def _deliver(self, _wake: int, _frame: Any) -> None:
        # One signal per call. Python may call this again from inside a
        # handler (a wake-up that arrives meanwhile): that nested call leaves
        # the queue alone, since an exception it raised would replace the one
        # in flight and lose a signal. The engine's courier repeats the
        # wake-up while signals are queued, so each is delivered in turn.
        engine = self._engine
        if engine is None or self._delivering:
            return
        self._delivering = True
        try:
            number = engine.take()
            if number is not None:
                self._dispatch(number)
        finally:
            self._delivering = False

    def _dispatch(self, number: int) -> None:
        name = next((n for n, v in self._numbers.items() if v == number), None)
        handler = self._handlers.get(name) if name is not None else None
        if handler is None:
            raise _class_of(number)()
        if callable(handler):
            handler(number)
        # Otherwise IGNORE_SIGNAL, the one other value _set() accepts: dropped.


@atexit.register
def _stop_at_exit() -> None:
    if _started is not None:
        _started.stop()


def _forget_in_child() -> None:
    # A child forked with os.fork() has neither the engine's signal thread
    # nor the courier; the engine gave it back the dispositions from before
    # start(). The handler is stopped there, so the child reacts to signals
    # as it would have before, and its exit does not wait for threads that
    # only its parent has.
    global _started
    handler, _started = _started, None
    if handler is not None:
        handler.stop()


os.register_at_fork(after_in_child=_forget_in_child)
