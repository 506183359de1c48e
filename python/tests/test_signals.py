"""SignalHandler1 and send() between real processes: the default handlers
raise in the main thread (out of time.sleep and blocking reads), custom
handlers get the number in the main thread, handlers change while running."""

import os
import signal
import textwrap

from conftest import alive, wait_until

DAEMON = """
import os, sys, time, signal, threading
import daemoniker
from daemoniker import SignalHandler1, IGNORE_SIGNAL, SIGINT, SIGTERM, SIGABRT
def mark(name, text=''):
    with open(os.path.join(HERE, name), 'a') as f:
        f.write(text + '\\n')
PID = os.path.join(HERE, 'd.pid')
daemoniker.daemonize(PID, chdir=HERE, stderr_goto=os.path.join(HERE, 'stderr'))
def in_main():
    return threading.current_thread() is threading.main_thread()
"""


def start_daemon(lab, body):
    program = lab.script("d.py", DAEMON + textwrap.dedent(body))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    pid = lab.daemon(lab.path("d.pid"))
    assert pid
    assert lab.wait_for_file("ready"), (lab.dir / "stderr").read_text()
    return pid


def send(lab, signal_expression):
    program = lab.script("send.py", "import daemoniker, signal, os\n"
                         f"daemoniker.send(os.path.join(HERE, 'd.pid'), {signal_expression})\n")
    result = lab.run(program)
    assert result.returncode == 0, result.stderr


def test_default_sigterm_raises_in_the_main_thread_out_of_time_sleep(lab):
    pid = start_daemon(lab, """
        h = SignalHandler1(PID); h.start()
        start = time.monotonic()
        try:
            mark('ready')  # inside the try: the signal may come at once
            time.sleep(60)
        except SIGTERM as e:
            mark('got', f'{type(e).__name__} {int(e)} {time.monotonic() - start < 30}')
        """)
    send(lab, "daemoniker.SIGTERM")
    assert lab.wait_for_file("got") == f"SIGTERM {int(signal.SIGTERM)} True\n"
    assert lab.wait_gone(pid)
    assert wait_until(lambda: not os.path.exists(lab.path("d.pid")))  # stop at exit; the file goes


def test_default_handlers_interrupt_a_blocking_read(lab):
    pid = start_daemon(lab, """
        h = SignalHandler1(PID); h.start()
        r, w = os.pipe()
        for expected in (SIGINT, SIGABRT):
            try:
                mark('ready')
                os.read(r, 1)      # nobody ever writes
            except expected as e:
                mark('got', type(e).__name__)
        """)
    send(lab, "daemoniker.SIGINT()")        # an instance
    assert lab.wait_for_file("got") == "SIGINT\n"
    send(lab, "signal.SIGABRT")             # a number
    assert lab.wait_for_file("got", "SIGABRT") == "SIGINT\nSIGABRT\n"
    assert lab.wait_gone(pid)


def test_an_unhandled_signal_ends_the_daemon_past_except_exception(lab):
    pid = start_daemon(lab, """
        h = SignalHandler1(PID); h.start()
        try:
            mark('ready')
            while True:
                try:
                    time.sleep(60)
                except Exception:
                    mark('swallowed')
        finally:
            mark('finally')
        """)
    send(lab, "daemoniker.SIGTERM")
    assert lab.wait_for_file("finally")
    assert lab.wait_gone(pid)
    assert not (lab.dir / "swallowed").exists()
    assert "daemoniker.exceptions.SIGTERM" in (lab.dir / "stderr").read_text()


def test_custom_handlers_get_the_number_in_the_main_thread_and_can_change(lab):
    pid = start_daemon(lab, """
        def custom(n): mark('custom', f'{n} {in_main()}')
        h = SignalHandler1(PID, sigint=custom, sigterm=IGNORE_SIGNAL)
        h.start()
        mark('ready')
        while not os.path.exists(os.path.join(HERE, 'phase2')):
            time.sleep(0.01)
        h.sigint = lambda n: mark('replaced', str(n))   # reassigned after start()
        del h.sigterm                                    # back to the default
        try:
            mark('ready2')
            time.sleep(60)
        except SIGTERM:
            mark('got', 'SIGTERM')
        """)
    send(lab, "daemoniker.SIGINT")
    assert lab.wait_for_file("custom") == f"{int(signal.SIGINT)} True\n"
    send(lab, "daemoniker.SIGTERM")     # ignored: the daemon lives on
    (lab.dir / "phase2").write_text("")
    assert lab.wait_for_file("ready2")
    assert alive(pid)
    send(lab, "daemoniker.SIGINT")
    assert lab.wait_for_file("replaced") == f"{int(signal.SIGINT)}\n"
    send(lab, "daemoniker.SIGTERM")
    assert lab.wait_for_file("got") == "SIGTERM\n"
    assert lab.wait_gone(pid)


def test_sighup_and_sigusr1_custom_handlers(lab):
    pid = start_daemon(lab, """
        h = SignalHandler1(PID, sighup=lambda n: mark('hup', str(n)), sigusr1=lambda n: mark('usr1', str(n)))
        h.start()
        try:
            mark('ready')
            time.sleep(60)
        except SIGTERM:
            pass
        """)
    send(lab, "daemoniker.SIGHUP")
    assert lab.wait_for_file("hup") == f"{int(signal.SIGHUP)}\n"
    send(lab, "signal.SIGUSR1")
    assert lab.wait_for_file("usr1") == f"{int(signal.SIGUSR1)}\n"
    send(lab, "daemoniker.SIGTERM")
    assert lab.wait_gone(pid)


def test_stop_is_idempotent_and_restores_the_previous_handlers(lab):
    pid = start_daemon(lab, """
        signal.signal(signal.SIGTERM, lambda n, f: mark('previous', str(n)))
        h = SignalHandler1(PID)
        h.start()
        try:
            h.start()
        except RuntimeError:
            mark('second start', 'RuntimeError')
        try:
            SignalHandler1(PID).start()
        except daemoniker.SignalError:
            mark('other start', 'SignalError')
        h.stop(); h.stop()
        mark('ready')
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(HERE, 'previous')) and time.monotonic() < deadline:
            time.sleep(0.01)
        h.start()                                 # a stopped handler starts again
        try:
            mark('restarted')
            time.sleep(60)
        except SIGTERM:
            mark('got', 'SIGTERM')
        """)
    assert lab.wait_for_file("second start") == "RuntimeError\n"
    assert lab.wait_for_file("other start") == "SignalError\n"
    send(lab, "signal.SIGTERM")
    assert lab.wait_for_file("previous") == f"{int(signal.SIGTERM)}\n"
    assert lab.wait_for_file("restarted")
    send(lab, "signal.SIGTERM")
    assert lab.wait_for_file("got") == "SIGTERM\n"
    assert lab.wait_gone(pid)


def test_signals_queued_behind_a_raising_handler_are_not_lost(lab):
    # Two default-handled signals back to back: each is raised once. The
    # second may land while the first's exception is on its way (as with
    # Python's own handlers), so both are read from the exception chain.
    pid = start_daemon(lab, """
        h = SignalHandler1(PID, sigint=lambda n: mark('sigint', str(n)))
        h.start()
        names = []
        try:
            try:
                mark('ready')
                time.sleep(60)
            finally:
                time.sleep(60)
        except daemoniker.ReceivedSignal as e:
            while e is not None:
                names.append(type(e).__name__)
                e = e.__context__
        mark('got', ' '.join(sorted(names)))
        """)
    program = lab.script("burst.py", "import daemoniker, os\np = os.path.join(HERE, 'd.pid')\n"
                         "daemoniker.send(p, daemoniker.SIGTERM); daemoniker.send(p, daemoniker.SIGABRT)\n")
    assert lab.run(program).returncode == 0
    assert lab.wait_for_file("got") == "SIGABRT SIGTERM\n"
    assert lab.wait_gone(pid)


def test_start_outside_the_main_thread_is_refused(lab):
    program = lab.script("t.py", textwrap.dedent("""
        import threading, daemoniker
        out = []
        def run():
            try:
                daemoniker.SignalHandler1('x.pid').start()
            except daemoniker.SignalError as e:
                out.append(str(e))
        t = threading.Thread(target=run); t.start(); t.join()
        print(out[0])
        """))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    assert "main thread" in result.stdout


def test_a_started_handler_is_stopped_at_interpreter_exit(lab):
    # atexit runs its functions last-registered first: this one, registered
    # before daemoniker is imported, sees the state after daemoniker's.
    program = lab.script("t.py", textwrap.dedent("""
        import atexit, signal
        def check():
            print(h._engine is None, signal.getsignal(daemoniker._signals.WAKE_SIGNAL) == signal.SIG_DFL)
        atexit.register(check)
        import daemoniker, daemoniker._signals
        h = daemoniker.SignalHandler1('t.pid')
        h.start()
        """))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "True True\n"


def test_a_child_forked_by_the_daemon_exits_normally_and_the_daemon_keeps_its_handler(lab):
    pid = start_daemon(lab, """
        h = SignalHandler1(PID)
        h.start()
        child = os.fork()
        if child == 0:
            mark('child', str(h._engine is None))
            sys.exit(0)          # runs atexit, which must not wait for the parent's threads
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done, status = os.waitpid(child, os.WNOHANG)
            if done:
                mark('child exit', str(os.waitstatus_to_exitcode(status)))
                break
            time.sleep(0.01)
        try:
            mark('ready')
            time.sleep(60)
        except SIGTERM:
            mark('got', 'SIGTERM')
        """)
    assert lab.wait_for_file("child") == "True\n"
    assert lab.wait_for_file("child exit") == "0\n"
    send(lab, "daemoniker.SIGTERM")
    assert lab.wait_for_file("got") == "SIGTERM\n"
    assert lab.wait_gone(pid)
