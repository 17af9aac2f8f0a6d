"""Signalling a console command mid-run, provably: for the tests that interrupt or kill one.

Two things made such tests fail in one place and pass everywhere else (session 13):

* **A suite started in the background by a script** (``pytest ... &`` in a non-interactive
  shell) runs with SIGINT ignored, as POSIX has such background jobs do. A child inherits
  an ignored signal, and Python then leaves Ctrl-C ignored: the command ran to its end and
  exited 0 instead of 130. :func:`start` gives the child SIGINT's default action back, as a
  terminal's foreground job has it (this is what failed 5 times in 6: it fails every time).
* **A race**: a test that waits for a sign of progress (papers in the staged folder) and
  then signals the process can, on a starved machine, signal it only after it finished,
  and a signal to a finished process does nothing. :func:`stop_when` stops the process
  (SIGSTOP) first, looks at the sign again while it cannot move, and returns only with the
  process stopped mid-run; it takes the signal the moment it continues, where it stopped.

Either way, a test that cannot interrupt the command says so, with the command's stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def _as_in_a_terminal() -> None:
    """In the child, before ``exec``: Ctrl-C acts as in a terminal's foreground job."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(command: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
    """Start ``command`` with its output captured and SIGINT at its default action."""
    return subprocess.Popen(
        command,
        env=env,
        stdout=kwargs.pop("stdout", subprocess.PIPE),
        stderr=kwargs.pop("stderr", subprocess.PIPE),
        text=True,
        preexec_fn=_as_in_a_terminal,
        **kwargs,
    )


def holds_back_ctrl_c(pid: int) -> bool:
    """True while the process's main thread blocks SIGINT: it is putting its files in place
    (``output._interrupts_deferred``) and will finish that before any signal but SIGKILL.
    False where ``/proc`` does not tell."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigBlk:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return False


def stop_when(
    process: subprocess.Popen,
    ready: Callable[[], bool],
    *,
    group: bool = False,
    timeout: float = 240,
) -> None:
    """Return with ``process`` stopped (SIGSTOP) at a moment when ``ready()`` holds and it
    is not putting its files in place; ``group``: stop its whole process group (its
    workers too; it must have been started with ``start_new_session=True``).

    Fails the test, showing the process's stderr, if it finishes first or is never ready.
    """
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            _fail(process, "finished before it could be stopped mid-run")
        if ready():
            _stop(process, group)
            if ready() and not holds_back_ctrl_c(process.pid):
                return
            (os.killpg if group else os.kill)(process.pid, signal.SIGCONT)
        if time.monotonic() > deadline:
            process.kill()
            _fail(process, f"not ready to be signalled within {timeout:g} s")
        time.sleep(0.02)


def signal_stopped(process: subprocess.Popen, signum: int, *, group: bool = False) -> None:
    """Send ``signum`` to a process :func:`stop_when` stopped, then let it continue."""
    send = os.killpg if group else os.kill
    send(process.pid, signum)
    send(process.pid, signal.SIGCONT)


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    """Wait for the process; its exit code (negative: the signal that ended it) and output."""
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout or "", stderr or ""


def _stop(process: subprocess.Popen, group: bool) -> None:
    (os.killpg if group else os.kill)(process.pid, signal.SIGSTOP)
    _, status = os.waitpid(process.pid, os.WUNTRACED)
    if not os.WIFSTOPPED(status):  # it ended first, and this wait reaped it: say how
        process.returncode = os.waitstatus_to_exitcode(status)
        _fail(process, "finished before it could be stopped mid-run")


def _fail(process: subprocess.Popen, what: str) -> None:
    code, stdout, stderr = finish(process)
    pytest.fail(f"{what} (exit {code})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}")
