"""The public surface: names, the exception hierarchy, signal numbers, the
Windows import error, type information."""

import importlib.resources
import signal
import subprocess
import sys

import pytest

import daemoniker
from daemoniker import exceptions


def test_the_original_public_names_and_the_additions():
    for name in ("Daemonizer", "daemonize", "SignalHandler1", "IGNORE_SIGNAL", "send", "SIGINT", "SIGTERM",
                 "SIGABRT", "exceptions", "is_running", "SIGHUP", "SIGUSR1", "SIGUSR2"):
        assert hasattr(daemoniker, name), name
    assert daemoniker.IGNORE_SIGNAL == 1793
    for name in ("DaemonikerException", "SignalError", "ReceivedSignal", "DaemonikerSignal", "SIGINT", "SIGTERM",
                 "SIGABRT", "OptionError", "PidFileError", "AlreadyRunning", "StartupError", "StartupTimeout"):
        assert hasattr(exceptions, name), name
    assert daemoniker.SIGTERM is exceptions.SIGTERM


def test_exception_hierarchy():
    assert exceptions.DaemonikerSignal is exceptions.ReceivedSignal
    assert issubclass(exceptions.ReceivedSignal, BaseException)
    assert not issubclass(exceptions.ReceivedSignal, Exception)  # `except Exception` does not swallow a stop
    for cls in (exceptions.SIGINT, exceptions.SIGTERM, exceptions.SIGABRT, exceptions.SIGHUP):
        assert issubclass(cls, exceptions.ReceivedSignal)
    for cls in (exceptions.SignalError, exceptions.OptionError, exceptions.PidFileError, exceptions.StartupError):
        assert issubclass(cls, exceptions.DaemonikerException)
    assert issubclass(exceptions.AlreadyRunning, exceptions.PidFileError)
    assert issubclass(exceptions.StartupTimeout, exceptions.StartupError)
    assert issubclass(exceptions.SignalError, RuntimeError)
    e = exceptions.StartupError("m", step="chdir", path="/x", reason="r", errno=2)
    assert (str(e), e.step, e.path, e.reason, e.errno) == ("m", "chdir", "/x", "r", 2)
    assert exceptions.AlreadyRunning("m", pid=42).pid == 42


@pytest.mark.parametrize("cls,number", [(daemoniker.SIGINT, signal.SIGINT), (daemoniker.SIGTERM, signal.SIGTERM),
                                        (daemoniker.SIGABRT, signal.SIGABRT), (daemoniker.SIGHUP, signal.SIGHUP),
                                        (daemoniker.SIGUSR1, signal.SIGUSR1), (daemoniker.SIGUSR2, signal.SIGUSR2)])
def test_int_of_a_signal_class_or_instance_is_its_number(cls, number):
    assert int(cls) == int(number) == cls.SIGNUM == int(cls())


def test_handlers_must_be_callables_none_or_ignore():
    with pytest.raises(TypeError):
        daemoniker.SignalHandler1("x.pid", sigint="not callable")
    h = daemoniker.SignalHandler1("x.pid", sigterm=daemoniker.IGNORE_SIGNAL)
    assert h.sigterm == daemoniker.IGNORE_SIGNAL and h.sigint is None
    del h.sigterm
    assert h.sigterm is None
    h.stop()  # never started: nothing to do, no error


def test_importing_on_windows_says_it_is_not_supported():
    code = "import sys; sys.platform = 'win32'; import daemoniker"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    assert "ImportError: daemoniker: the Python package does not support Windows yet" in result.stderr


def test_type_information_is_installed():
    files = importlib.resources.files("daemoniker")
    assert files.joinpath("py.typed").is_file()
    assert files.joinpath("_engine.pyi").is_file()
