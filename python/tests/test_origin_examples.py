"""Every code example of Python Daemoniker's documentation (the documents
this project started from), run verbatim with this package. Each example
is a string exactly as documented; only paths are substituted, and a
prelude defines the placeholder functions the examples call, which record
what ran in files the test reads. The index page's only example is not
daemoniker code (it manipulates a Hypergolix object) and is not run."""

import textwrap

from conftest import alive, read_pid, wait_until

PRELUDE = """
import os, sys, time
def mark(name, text=''):
    with open(os.path.join(HERE, name), 'a') as f:
        f.write(text + '\\n')
def do_things_here(): mark('setup', str(os.getpid()))
def do_no_things_here(): mark('else-branch')
def run_some_parent_code_here(): mark('parent', str(os.getpid()))
def code_continues_here(a, b): mark('daemon', f'{os.getpid()} {a!r} {b!r}')
def program_continues_here(a, b): mark('daemon', f'{os.getpid()} {a!r} {b!r}')
def code_goes_here():
    from daemoniker import send, SIGTERM
    send(os.path.join(HERE, 'nobody.pid'), SIGTERM)
def handle_error_here(): mark('handled')
my_arg1, my_arg2 = 'first', 'second'
daemonize_kwargs = {'chdir': HERE}
"""

# api-1-daemons: daemonize()
DAEMONIZE = """
>>> from daemoniker import daemonize
>>> daemonize('pid.pid')
"""

# api-1-daemons: Daemonizer, the first example (its `...,` stands for "more
# arguments" and is dropped: as Python, the Ellipsis would be one more
# preserved argument than the three names it is unpacked into)
DAEMONIZER = """
from daemoniker import Daemonizer

with Daemonizer() as (is_setup, daemonizer):
    if is_setup:
        # This code is run before daemonization.
        do_things_here()

    # We need to explicitly pass resources to the daemon; other variables
    # may not be correct    
    is_parent, my_arg1, my_arg2 = daemonizer(
        'path/to/pid/file.pid', 
        my_arg1, 
        my_arg2,
        ...,
        **daemonize_kwargs
    )

    # This allows us to run parent-only post-daemonization code
    if is_parent:
        run_some_parent_code_here()

# We are now daemonized and the parent has exited.
code_continues_here(my_arg1, my_arg2)
"""

# api-1-daemons: the note on `else` after is_setup
ELSE_NOTE = """
from daemoniker import Daemonizer

with Daemonizer() as (is_setup, daemonizer):
    if is_setup:
        # This code is run before daemonization.
        do_things_here()
    else:
        # This code will never run on Unix systems.
        do_no_things_here()

    ...
"""

# api-1-daemons: Daemonizer.__enter__
ENTER = """
from daemoniker import Daemonizer

with Daemonizer() as (is_setup, daemonizer):
    if is_setup:
        my_arg1 = 'foo'
        my_arg2 = 'bar'

    is_parent, my_arg1, my_arg2 = daemonizer(
        'path/to/pid/file.pid',
        my_arg1,
        my_arg2
    )

    # This code will only be run in the parent process
    if is_parent:
        # These will return True
        my_arg1 == None
        my_arg2 == None

    # This code will only be run in the daemonized child process
    else:
        # These will return True
        my_arg1 == 'foo'
        my_arg2 == 'bar'

# The parent has now exited. All following code will only be run in
# the daemonized child process.
program_continues_here(my_arg1, my_arg2)
"""

# api-2-signals: SignalHandler1 and send()
SIGNAL_HANDLER = """
>>> from daemoniker import SignalHandler1
>>> sighandler = SignalHandler1('pid.pid')
"""
SEND = """
>>> from daemoniker import send
>>> from daemoniker import SIGINT
>>> send('pid.pid', SIGINT)
"""

# api-3-exceptions
EXCEPTIONS = """
try:
    code_goes_here()

except DaemonikerException:
    handle_error_here()
"""


def doctest_code(example):
    """The statements of a `>>>` example."""
    return "\n".join(line[4:] for line in example.strip().splitlines() if line.startswith(">>> "))


def substituted(example, lab):
    return example.replace("'path/to/pid/file.pid'", repr(lab.path("file.pid")))


def drop_ellipsis_argument(example):
    return example.replace("        ...,\n", "")


def test_daemonize_example(lab):
    # Relative 'pid.pid' is taken from the current directory: the lab's.
    program = lab.script("example.py", PRELUDE + doctest_code(DAEMONIZE) + "\nmark('daemon', str(os.getpid()))\n"
                         "time.sleep(0.5)\n")
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    pid = lab.daemon(lab.path("pid.pid"))
    assert pid and pid != 0
    assert lab.wait_for_file("daemon", str(pid))
    assert wait_until(lambda: not alive(pid))
    assert wait_until(lambda: read_pid(lab.path("pid.pid")) is None), "the daemon's PID file outlived it"


def test_daemonizer_example(lab):
    program = lab.script("example.py", PRELUDE + substituted(drop_ellipsis_argument(DAEMONIZER), lab))
    result = lab.run(program)
    lab.daemon(lab.path("file.pid"))
    assert result.returncode == 0, result.stderr
    original = int(lab.wait_for_file("setup").split()[0])
    assert int(lab.wait_for_file("parent").split()[0]) == original
    daemon = lab.wait_for_file("daemon", "'first' 'second'")
    assert daemon and int(daemon.split()[0]) != original
    assert lab.wait_for_file("setup").count("\n") == 1  # setup ran once
    assert not (lab.dir / "else-branch").exists()


def test_else_branch_never_runs(lab):
    program = lab.script("example.py", PRELUDE + ELSE_NOTE + "\nmark('after')\n")
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    assert (lab.dir / "setup").exists()
    assert not (lab.dir / "else-branch").exists()
    assert (lab.dir / "after").exists()  # no daemonizer() call: the original simply carries on


def test_enter_example(lab):
    program = lab.script("example.py", PRELUDE + substituted(ENTER, lab) + textwrap.dedent("""
        mark('checks', f'{is_parent} {my_arg1 == "foo"} {my_arg2 == "bar"}')
        """))
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    assert lab.wait_for_file("daemon", "'foo' 'bar'")
    assert lab.wait_for_file("checks", "False True True")
    lab.daemon(lab.path("file.pid"))


def test_signal_handler_and_send_examples(lab):
    # A daemon made with the SignalHandler1 example, then the send example
    # from another process: the default SIGINT handler raises SIGINT in the
    # daemon's main thread.
    daemon_program = lab.script("daemon.py", PRELUDE + textwrap.dedent("""
        from daemoniker import daemonize, SIGINT
        daemonize(os.path.join(HERE, 'pid.pid'), chdir=HERE)
        """) + doctest_code(SIGNAL_HANDLER) + textwrap.dedent("""
        sighandler.start()
        mark('ready')
        try:
            time.sleep(30)
        except SIGINT:
            mark('got', 'SIGINT')
        """))
    assert lab.run(daemon_program).returncode == 0
    pid = lab.daemon(lab.path("pid.pid"))
    assert lab.wait_for_file("ready")
    sender = lab.script("sender.py", doctest_code(SEND))
    result = lab.run(sender)
    assert result.returncode == 0, result.stderr
    assert lab.wait_for_file("got", "SIGINT")
    assert lab.wait_gone(pid)


def test_exceptions_example(lab):
    program = lab.script("example.py", PRELUDE + "from daemoniker.exceptions import DaemonikerException\n" + EXCEPTIONS)
    result = lab.run(program)
    assert result.returncode == 0, result.stderr
    assert (lab.dir / "handled").exists()
