"""daemonize() and Daemonizer: what the original process and the daemon
see, in real processes."""

import os
import textwrap

from conftest import alive, read_pid, wait_until

HEADER = """
import os, sys, time, json, threading
import daemoniker
def mark(name, text=''):
    with open(os.path.join(HERE, name), 'a') as f:
        f.write(text + '\\n')
PID = os.path.join(HERE, 'd.pid')
"""


def test_daemon_gets_picklable_arguments_as_copies_and_outlives_the_original(lab):
    program = lab.script("d.py", HEADER + textwrap.dedent("""
        class Endpoint:
            def __init__(self, host, port): self.host, self.port = host, port
        big = list(range(100000))
        print('before daemonize')
        got = daemoniker.daemonize(PID, 'text', {'k': [1, 2.5, None]}, Endpoint('h', 80), big,
                                   chdir='/', stdout_goto=os.path.join(HERE, 'out.log'))
        print('in the daemon', flush=True)
        text, mapping, endpoint, numbers = got
        mark('args', json.dumps([type(got).__name__, text, mapping, endpoint.host, endpoint.port,
                                 numbers == list(range(100000)), numbers is big, os.getcwd(), os.getppid() != 0]))
        time.sleep(0.3)
        """))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "before daemonize\n"  # printed once, by the original
    pid = lab.daemon(lab.path("d.pid"))
    # The startup contract: once the original has exited, the daemon is up and holds its PID file.
    assert pid and alive(pid)
    assert lab.wait_for_file("args") == '["tuple", "text", {"k": [1, 2.5, null]}, "h", 80, true, false, "/", true]\n'
    assert lab.wait_for_file("out.log") == "in the daemon\n"  # the original's buffered line is not repeated
    assert lab.wait_gone(pid)
    assert wait_until(lambda: not os.path.exists(lab.path("d.pid")))


def test_unpicklable_argument_ends_the_original_with_one_line_and_leaves_nothing(lab):
    program = lab.script("d.py", HEADER + "daemoniker.daemonize(PID, lambda: 0)\nmark('continued')\n")
    result = lab.run(program)
    assert result.returncode == 1
    assert result.stderr.startswith("daemoniker: cannot start daemon: the arguments to preserve cannot be pickled")
    assert result.stderr.count("\n") == 1
    assert not os.path.exists(lab.path("d.pid"))
    assert not os.path.exists(lab.path("continued"))


def test_daemonizer_returns_is_parent_and_nones_in_the_original(lab):
    program = lab.script("d.py", HEADER + textwrap.dedent("""
        with daemoniker.Daemonizer() as (is_setup, daemonizer):
            mark('is_setup', str(is_setup))
            result = daemonizer(PID, 'a', [1], chdir=HERE)
            mark('result', f'{os.getpid()} {result!r}')
            if result[0]:
                print('parent says bye')
        mark('after', str(os.getpid()))
        """))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "parent says bye\n"  # flushed before os._exit
    lab.daemon(lab.path("d.pid"))
    lines = lab.wait_for_file("result", "False").splitlines()
    assert len(lines) == 2
    by_role = {line.split(" ", 1)[1]: int(line.split(" ", 1)[0]) for line in lines}
    assert set(by_role) == {"(True, None, None)", "(False, 'a', [1])"}
    after = lab.wait_for_file("after")
    assert after.split() == [str(by_role["(False, 'a', [1])"])]  # only the daemon passes the block
    assert lab.wait_for_file("is_setup") == "True\n"


def test_daemonizer_parent_code_that_raises_exits_2_with_the_traceback(lab):
    program = lab.script("d.py", HEADER + textwrap.dedent("""
        with daemoniker.Daemonizer() as (is_setup, daemonizer):
            is_parent, = daemonizer(PID, chdir=HERE)
            if is_parent:
                raise KeyError('parent trouble')
        mark('daemon', str(os.getpid()))
        """))
    result = lab.run(program)
    lab.daemon(lab.path("d.pid"))
    assert result.returncode == 2
    assert "KeyError: 'parent trouble'" in result.stderr
    assert lab.wait_for_file("daemon")  # the daemon is not affected


def test_daemonizer_raises_the_engines_error_in_the_original(lab):
    program = lab.script("d.py", HEADER + textwrap.dedent("""
        with daemoniker.Daemonizer() as (is_setup, daemonizer):
            try:
                daemonizer(PID, chdir=os.path.join(HERE, 'missing'))
            except daemoniker.StartupError as e:
                mark('error', json.dumps([type(e).__name__, e.step, e.path, e.errno, str(e)]))
        mark('carried on', str(os.getpid()))
        """))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    name, step, path, errno, message = __import__("json").loads(lab.wait_for_file("error"))
    assert (name, step, path, errno) == ("StartupError", "chdir", lab.path("missing"), 2)
    assert lab.path("missing") in message and "No such file or directory" in message
    assert lab.wait_for_file("carried on")
    assert not os.path.exists(lab.path("d.pid"))


def test_fork_safety_threading_logging_and_imports_work_in_the_daemon(lab):
    program = lab.script("d.py", HEADER + textwrap.dedent("""
        import logging
        logging.basicConfig(filename=os.path.join(HERE, 'log'), level=logging.INFO)
        logging.info('before')
        # Inherited descriptors are closed in the daemon, except shielded ones.
        log_fd = logging.getLogger().handlers[0].stream.fileno()
        daemoniker.daemonize(PID, chdir=HERE, shielded_fds=[log_fd])
        def work(): logging.info('from a thread')
        t = threading.Thread(target=work); t.start(); t.join(5)
        import decimal, xml.dom.minidom  # fresh imports after the fork
        logging.info('main %s %s', threading.current_thread() is threading.main_thread(), decimal.Decimal('1.5'))
        mark('done', str(threading.active_count()))
        """))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    lab.daemon(lab.path("d.pid"))
    assert lab.wait_for_file("done") == "1\n"
    log = lab.wait_for_file("log", "main")
    assert "INFO:root:before" in log and "INFO:root:from a thread" in log and "INFO:root:main True 1.5" in log


def test_the_interpreters_fork_hooks_run_around_the_engines_fork(lab):
    # os.register_at_fork callbacks run only through PyOS_BeforeFork and
    # friends, which the engine's fork hooks call: before and after_in_parent
    # in the original, after_in_child in the daemon, once each.
    program = lab.script("d.py", HEADER + textwrap.dedent("""
        os.register_at_fork(before=lambda: mark('hooks', f'before {os.getpid()}'),
                            after_in_parent=lambda: mark('hooks', f'after_in_parent {os.getpid()}'),
                            after_in_child=lambda: mark('hooks', f'after_in_child {os.getpid()}'))
        mark('original', str(os.getpid()))
        daemoniker.daemonize(PID, chdir=HERE)
        mark('daemon', str(os.getpid()))
        """))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    lab.daemon(lab.path("d.pid"))
    original = lab.wait_for_file("original").strip()
    daemon = lab.wait_for_file("daemon").strip()
    hooks = lab.wait_for_file("hooks", "after_in_child").splitlines()
    assert sorted(hooks) == sorted([f"before {original}", f"after_in_parent {original}", f"after_in_child {daemon}"])


def test_the_daemon_keeps_pythons_signal_dispositions(lab):
    # Python ignores SIGPIPE so a closed pipe raises BrokenPipeError rather than killing the program.
    program = lab.script("d.py", HEADER + textwrap.dedent("""
        import signal
        daemoniker.daemonize(PID, chdir=HERE)
        r, w = os.pipe(); os.close(r)
        try:
            os.write(w, b'x')
        except BrokenPipeError:
            mark('pipe', 'BrokenPipeError')
        mark('sigint', str(signal.getsignal(signal.SIGINT) is signal.default_int_handler))
        try:
            os.kill(os.getpid(), signal.SIGINT); time.sleep(5)
        except KeyboardInterrupt:
            mark('sigint', 'KeyboardInterrupt')
        """))
    assert lab.run(program).returncode == 0
    lab.daemon(lab.path("d.pid"))
    assert lab.wait_for_file("pipe") == "BrokenPipeError\n"
    assert lab.wait_for_file("sigint", "KeyboardInterrupt") == "True\nKeyboardInterrupt\n"


def test_threads_running_before_daemonize_are_a_clear_error_unless_allowed(lab):
    program = lab.script("d.py", HEADER + textwrap.dedent("""
        stop = threading.Event()
        threading.Thread(target=stop.wait, daemon=True).start()
        daemoniker.daemonize(PID, allow_threads=len(sys.argv) > 1, chdir=HERE)
        mark('daemon', str(os.getpid()))
        """))
    refused = lab.run(program)
    assert refused.returncode == 1
    assert refused.stderr == ("daemoniker: cannot daemonize: the process already runs 1 other thread(s), which "
                              "fork() does not copy (their locks would stay locked forever); daemonize before "
                              "starting threads, or pass allow_threads=True to accept the risk\n")
    assert not os.path.exists(lab.path("d.pid")) and not os.path.exists(lab.path("daemon"))
    allowed = lab.run(program, "allow")
    assert allowed.returncode == 0, allowed.stderr
    lab.daemon(lab.path("d.pid"))
    assert lab.wait_for_file("daemon")


def test_detach_never_stays_in_the_foreground_with_the_pid_file(lab):
    program = lab.script("d.py", HEADER + textwrap.dedent("""
        daemoniker.daemonize(PID, 'x', detach='never')
        mark('fg', f'{os.getpid()} {open(PID).read().strip()} {daemoniker.is_running(PID)}')
        """))
    proc = lab.start(program)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert lab.wait_for_file("fg") == f"{proc.pid} {proc.pid} True\n"
    assert not os.path.exists(lab.path("d.pid"))


def test_options_are_checked_before_anything_starts(lab):
    for option, expected in (("umask=0o1000", "umask 01000 is outside 0 to 0777"),
                             ("success_timeout=0", "success_timeout 0 s is not positive"),
                             ("detach='sometimes'", "detach must be one of"),
                             ("shielded_fds=[99]", "shielded_fds: descriptor 99 is not open")):
        program = lab.script("d.py", HEADER + f"daemoniker.daemonize(PID, {option})\nmark('continued')\n")
        result = lab.run(program)
        assert result.returncode == 1, option
        assert result.stderr.startswith("daemoniker: ") and expected in result.stderr, result.stderr
        assert result.stderr.count("\n") == 1
        assert not os.path.exists(lab.path("d.pid")) and not os.path.exists(lab.path("continued"))

