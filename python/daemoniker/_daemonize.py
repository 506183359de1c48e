"""daemonize() and Daemonizer: Python Daemoniker's API, with the daemoniker
engine doing the work (daemoniker._engine)."""

from __future__ import annotations

import os
import pickle
import sys

from . import _engine
from .exceptions import DaemonikerException, OptionError

# typing is imported for type checkers only: it (and the re module it
# pulls in) would be a sizeable share of a daemon's start-up time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

    PathLike = Union[str, bytes, os.PathLike[str], os.PathLike[bytes]]

_DETACH = ("always", "never", "unless_supervised")


def _flush_standard_streams() -> None:
    # Buffered output must reach the terminal now: the original process
    # ends with os._exit, and the daemon's copy of the buffer would
    # otherwise be written a second time, into its log.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


def _optional_path(value: Optional[PathLike]) -> Optional[bytes]:
    return None if value is None else os.fsencode(value)


def _rescript(value: Union[None, str, Sequence[str]]) -> List[str]:
    # Daemoniker 0.2.3 took the script and its arguments as one string after
    # the interpreter; a sequence is the whole command line, program first.
    if value is None:
        return []
    if isinstance(value, str):
        import shlex

        return [sys.executable] + shlex.split(value)
    return [str(part) for part in value]


def _pickled(args: Tuple[Any, ...]) -> bytes:
    try:
        return pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # pickle raises several types for unpicklable objects
        raise OptionError(f"cannot start daemon: the arguments to preserve cannot be pickled: {exc}") from exc



# The engine's integers are C ints (a timeout: milliseconds in 64 bits); a
# value outside them is refused here, with its name, before the extension
# would print its arguments (the pickled ones among them) in a TypeError.
_INT_MAX = 2**31 - 1
_TIMEOUT_MS_MAX = 2**62


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise OptionError(f"cannot start daemon: {name} {value} is outside {low} to {high}")


def _start(pid_file: PathLike, args: Tuple[Any, ...], mode: str, *, chdir: Optional[PathLike],
           stdin_goto: Optional[PathLike], stdout_goto: Optional[PathLike], stderr_goto: Optional[PathLike],
           umask: int, shielded_fds: Optional[Iterable[int]], fd_fallback_limit: int,
           success_timeout: float, strip_cmd_args: bool, explicit_rescript: Union[None, str, Sequence[str]],
           detach: str, allow_threads: bool) -> Optional[Tuple[Any, ...]]:
    if detach not in _DETACH:
        raise OptionError(f"cannot start daemon: detach must be one of {', '.join(map(repr, _DETACH))}, "
                          f"not {detach!r}")
    if isinstance(success_timeout, bool) or not isinstance(success_timeout, (int, float)):
        raise TypeError(f"success_timeout must be a number of seconds, not {type(success_timeout).__name__}")
    if not 0 < success_timeout < float("inf"):  # also refuses NaN
        raise OptionError(f"cannot start daemon: success_timeout {success_timeout} s is not positive and finite")
    _check_int("umask", umask, -_INT_MAX - 1, _INT_MAX)  # the engine names its own range
    _check_int("fd_fallback_limit", fd_fallback_limit, 0, _INT_MAX)
    fds = [] if shielded_fds is None else list(shielded_fds)
    for fd in fds:
        _check_int("shielded_fds", fd, 0, _INT_MAX)
    timeout_ms = max(1, int(-(-success_timeout * 1000 // 1)))  # rounded up
    if timeout_ms > _TIMEOUT_MS_MAX:
        raise OptionError(f"cannot start daemon: success_timeout {success_timeout} s is too long")
    payload = _pickled(args)
    _flush_standard_streams()
    carried = _engine.daemonize(
        os.fsencode(pid_file), payload, mode,
        chdir=_optional_path(chdir),
        stdin_goto=_optional_path(stdin_goto),
        stdout_goto=_optional_path(stdout_goto),
        stderr_goto=_optional_path(stderr_goto),
        umask=umask,
        shielded_fds=fds,
        fd_fallback_limit=fd_fallback_limit,
        success_timeout_ms=timeout_ms,
        strip_cmd_args=bool(strip_cmd_args),
        explicit_rescript=_rescript(explicit_rescript),
        allow_threads=bool(allow_threads),
        detach=detach,
    )
    if carried is None:
        return None
    preserved: Tuple[Any, ...] = pickle.loads(carried)
    return preserved


def daemonize(pid_file: PathLike, *args: Any, chdir: Optional[PathLike] = None,
              stdin_goto: Optional[PathLike] = None, stdout_goto: Optional[PathLike] = None,
              stderr_goto: Optional[PathLike] = None, umask: int = 0o027,
              shielded_fds: Optional[Iterable[int]] = None, fd_fallback_limit: int = 1024,
              success_timeout: float = 30, strip_cmd_args: bool = False,
              explicit_rescript: Union[None, str, Sequence[str]] = None, detach: str = "always",
              allow_threads: bool = False) -> Tuple[Any, ...]:
    """Turns the running program into a daemon whose PID is written to, and
    locked in, ``pid_file``; returns ``args`` in the daemon, as a tuple.

    The original process does not return: it exits with status 0 once the
    daemon reported that every step succeeded (PID file locked and written,
    directory changed, descriptors closed, streams redirected), or with
    status 1 and one line on stderr naming the step, the path and the reason
    (already running, a missing directory, arguments that cannot be
    pickled, ...). Nothing is left behind on failure.

    ``args`` travel to the daemon pickled, so each must be picklable; the
    daemon gets copies. Call it before starting any thread (or pass
    ``allow_threads=True``). ``detach="never"`` stays in the foreground (for
    systemd ``Type=simple`` services and containers); ``"unless_supervised"``
    does so only when a service manager started the program.

    ``success_timeout`` (seconds) applies on every platform;
    ``strip_cmd_args`` and ``explicit_rescript`` matter only where the
    program is re-launched (Windows). Relative paths are taken from the
    current directory, not from ``chdir``.
    """
    try:
        result = _start(pid_file, args, "ends_or_throws", chdir=chdir, stdin_goto=stdin_goto,
                        stdout_goto=stdout_goto, stderr_goto=stderr_goto, umask=umask,
                        shielded_fds=shielded_fds, fd_fallback_limit=fd_fallback_limit,
                        success_timeout=success_timeout, strip_cmd_args=strip_cmd_args,
                        explicit_rescript=explicit_rescript, detach=detach, allow_threads=allow_threads)
    except DaemonikerException as exc:
        _flush_standard_streams()
        os.write(2, f"daemoniker: {exc}\n".encode(errors="backslashreplace"))
        os._exit(1)
    assert result is not None  # the original process exits instead of returning
    return result


class Daemonizer:
    """``with Daemonizer() as (is_setup, daemonizer):`` — setup code that runs
    once, then daemonization, then parent-only code.

    ``is_setup`` is true in the original process (always, on POSIX).
    ``daemonizer(pid_file, *args, **options)`` takes what :func:`daemonize`
    takes and returns ``(is_parent, *args)``; in the original process,
    ``is_parent`` is true and every arg is replaced by ``None``. If
    daemonization fails, it raises the engine's error (``AlreadyRunning``,
    ``StartupError``, ...) in the original process, which carries on.

    Leaving the block in the original process after a successful
    daemonization ends it with ``os._exit(0)``, or, when parent-only code
    raised, prints the exception to stderr and ends it with status 2. Code
    after the block runs only in the daemon.
    """

    def __init__(self) -> None:
        self._entered = False
        self._called = False
        self._is_parent = False

    def _daemonize(self, pid_file: PathLike, *args: Any, **options: Any) -> Tuple[Any, ...]:
        carried = _start(pid_file, args, "is_parent", **_with_defaults(options))
        self._called = True
        if carried is None:
            self._is_parent = True
            return (True,) + (None,) * len(args)
        return (False,) + tuple(carried)

    def __enter__(self) -> Tuple[bool, Callable[..., Tuple[Any, ...]]]:
        self._entered = True
        self._called = False
        self._is_parent = False
        return True, self._daemonize

    def __exit__(self, exc_type: Any, exc_value: Any, exc_tb: Any) -> Optional[bool]:
        if not self._entered:
            raise RuntimeError("Daemonizer exited without being entered")
        self._entered = False
        if not self._is_parent:
            return None  # the daemon, or daemonizer() was never called or failed: carry on
        if exc_type is not None:
            import traceback

            traceback.print_exception(exc_type, exc_value, exc_tb, file=sys.stderr)
            _flush_standard_streams()
            os._exit(2)
        _flush_standard_streams()
        os._exit(0)


_DEFAULTS = dict(chdir=None, stdin_goto=None, stdout_goto=None, stderr_goto=None, umask=0o027,
                 shielded_fds=None, fd_fallback_limit=1024, success_timeout=30, strip_cmd_args=False,
                 explicit_rescript=None, detach="always", allow_threads=False)


def _with_defaults(options: Dict[str, Any]) -> Dict[str, Any]:
    unknown = sorted(set(options) - set(_DEFAULTS))
    if unknown:
        raise TypeError(f"daemonizer() got unexpected keyword argument(s): {', '.join(unknown)}")
    return {**_DEFAULTS, **options}
