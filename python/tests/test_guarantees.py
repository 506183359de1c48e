"""The engine's guarantees, seen from Python programs: one daemon per PID
file (also when eight start at once), a killed daemon's file taken over, a
stale or foreign file never believed, a failed start leaving nothing."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import alive, daemons_running, read_pid, wait_until

DAEMON = """
import os, sys, time
import daemoniker
PID = os.path.join(HERE, 'd.pid')
daemoniker.daemonize(PID, chdir=HERE)
with open(os.path.join(HERE, 'started'), 'a') as f:
    f.write(str(os.getpid()) + '\\n')
daemoniker.SignalHandler1(PID).start()
try:
    time.sleep(30)
except daemoniker.SIGTERM:
    pass
"""


def test_a_second_start_exits_1_naming_the_running_daemon(lab):
    program = lab.script("d.py", DAEMON)
    assert lab.run(program).returncode == 0
    first = lab.daemon(lab.path("d.pid"))
    second = lab.run(program)
    assert second.returncode == 1
    assert second.stderr == f"daemoniker: already running (pid {first}): PID file '{lab.path('d.pid')}' is locked\n"
    assert read_pid(lab.path("d.pid")) == first
    assert lab.wait_for_file("started") == f"{first}\n"  # no second daemon ever ran
    assert daemons_running(lab.dir) == [first]


def test_the_file_of_a_kill_9d_daemon_is_taken_over(lab):
    program = lab.script("d.py", DAEMON)
    assert lab.run(program).returncode == 0
    first = lab.daemon(lab.path("d.pid"))
    os.kill(first, signal.SIGKILL)
    assert lab.wait_gone(first)
    assert read_pid(lab.path("d.pid")) == first  # left behind, stale
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    second = lab.daemon(lab.path("d.pid"))
    assert second and second != first and alive(second)


def test_eight_racing_starts_make_exactly_one_daemon(lab):
    program = lab.script("d.py", DAEMON)
    starts = [lab.start(program) for _ in range(8)]
    outcomes = [(p.wait(timeout=60), p.stderr.read()) for p in starts]
    for p in starts:
        p.stdout.close()
        p.stderr.close()
    winner = lab.daemon(lab.path("d.pid"))
    lab.daemon_pids.update(daemons_running(lab.dir))  # for the cleanup, should there be more
    statuses = sorted(status for status, _ in outcomes)
    assert statuses == [0] + [1] * 7, outcomes
    for status, err in outcomes:
        if status == 1:
            assert err == f"daemoniker: already running (pid {winner}): PID file '{lab.path('d.pid')}' is locked\n", err
    assert winner and alive(winner)
    assert wait_until(lambda: daemons_running(lab.dir) == [winner]), daemons_running(lab.dir)
    assert lab.wait_for_file("started") == f"{winner}\n"


def test_send_refuses_a_file_naming_a_live_unrelated_process(lab):
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pid_file = lab.path("fake.pid")
        with open(pid_file, "w") as f:
            f.write(f"{bystander.pid}\n")
        os.chmod(pid_file, 0o644)
        program = lab.script("send.py", textwrap.dedent(f"""
            import daemoniker
            print(daemoniker.is_running({pid_file!r}))
            try:
                daemoniker.send({pid_file!r}, daemoniker.SIGTERM)
            except daemoniker.SignalError as e:
                print(type(e).__name__, '|', e)
            """))
        result = lab.run(program)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "False"
        assert lines[1].startswith("SignalError | ") and "stale" in lines[1] and pid_file in lines[1], lines[1]
        assert bystander.poll() is None  # not signalled
        assert open(pid_file).read() == f"{bystander.pid}\n"  # and its file untouched
    finally:
        bystander.kill()
        bystander.wait()


def test_send_refuses_a_missing_file(lab):
    program = lab.script("send.py", textwrap.dedent("""
        import daemoniker
        try:
            daemoniker.send('missing.pid', 15)
        except daemoniker.SignalError as e:
            print(e.path, '|', e)
        """))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("missing.pid | cannot send SIGTERM through PID file 'missing.pid': "
                             "no PID file: the daemon is not running\n")


def test_a_missing_chdir_exits_1_naming_it_and_leaves_nothing(lab):
    program = lab.script("d.py", textwrap.dedent("""
        import os, daemoniker
        daemoniker.daemonize(os.path.join(HERE, 'd.pid'), chdir=os.path.join(HERE, 'no', 'such', 'dir'))
        open(os.path.join(HERE, 'started'), 'w').close()
        """))
    result = lab.run(program)
    assert result.returncode == 1
    missing = lab.path(os.path.join("no", "such", "dir"))
    assert result.stderr == f"daemoniker: cannot start daemon: chdir '{missing}': No such file or directory\n"
    assert sorted(os.listdir(lab.dir)) == ["d.py"]  # no PID file, nothing started
    assert daemons_running(lab.dir) == []


def test_send_refuses_what_is_not_a_signal_and_the_daemon_survives(lab):
    import daemoniker
    program = lab.script("d.py", DAEMON)
    assert lab.run(program).returncode == 0
    pid = lab.daemon(lab.path("d.pid"))
    for not_a_signal in (True, False, 15.9, "TERM", None):
        with pytest.raises(TypeError):
            daemoniker.send(lab.path("d.pid"), not_a_signal)
    assert alive(pid)
    daemoniker.send(lab.path("d.pid"), signal.SIGTERM)  # a number (an IntEnum) still works
    assert lab.wait_gone(pid)


def test_a_path_that_is_not_utf8_is_named_in_a_one_line_error(lab):
    program = lab.script("bad.py", """
        import os, daemoniker
        daemoniker.daemonize(os.path.join(os.fsencode(HERE), b'\\xff', b'd.pid'))
    """)
    result = lab.run(program)
    assert result.returncode == 1
    assert result.stderr.startswith("daemoniker: ") and result.stderr.count("\n") == 1, result.stderr
    assert "\\xff" in result.stderr
    import daemoniker
    with pytest.raises(daemoniker.exceptions.SignalError) as caught:
        daemoniker.send(os.fsencode(lab.path("")) + b"\xff/d.pid", 15)
    assert "\\xff" in str(caught.value)


@pytest.mark.parametrize("option", ["umask=2**40", "success_timeout=1e300", "fd_fallback_limit=-1",
                                    "shielded_fds=[2**40]"])
def test_an_out_of_range_option_is_named_without_the_preserved_arguments(lab, option):
    program = lab.script("opt.py", f"""
        import os, daemoniker
        daemoniker.daemonize(os.path.join(HERE, 'd.pid'), 'the-secret-argument', {option})
    """)
    result = lab.run(program)
    assert result.returncode == 1, result.stderr
    name = option.split("=")[0]
    assert name in result.stderr and "the-secret-argument" not in result.stderr, result.stderr
    assert result.stderr.startswith("daemoniker: ") and result.stderr.count("\n") == 1, result.stderr
    assert not os.path.exists(lab.path("d.pid"))
