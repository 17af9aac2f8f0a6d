"""Time and size bounds for checks, so one pathological answer never stalls a batch.

Two mechanisms, picked per call by :func:`run_bounded`:

* **Main thread on POSIX** (the CLI): ``signal.setitimer(ITIMER_PROF)`` arms a timer whose
  handler raises a private exception inside the check. Arming and disarming cost a few
  microseconds. Deadlines nest (:func:`deadline`): an inner budget, such as the symbolic
  confirmation of an expression, ends without ending the outer check. Any SIGPROF timer the
  caller had set (a profiler's) is restored afterwards. Python runs signal handlers between
  bytecodes, so a single long C call (a gigantic integer power) is not interrupted: the
  parser's limits on literal and exponent size exist for that.
* **Any other thread, or no SIGPROF** (Windows): the check runs in a worker process (one per
  calling thread, started once with the ``forkserver`` context where available, else
  ``spawn``). Inside the worker the timer above applies; if the worker does not answer within
  three times the timeout plus a grace period of wall-clock time (one long C call, which no
  signal interrupts), it is killed and restarted, and the check is refused.

A refused check raises :class:`CheckTimeout`; the dispatcher turns it into an ``invalid``
verdict with a message.

Budgets are **CPU seconds of this process** (``time.process_time``, the profiling timer), not
seconds of the wall clock: a verdict must not depend on what else the machine is doing. With
wall-clock budgets, an expression check that takes 0.3 s on an idle machine ran out of time
when ten other processes shared its two cores, and the same answer was graded "undecided".
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE_CHARS",
    "MAX_TEXT_MATCH_CHARS",
    "CheckTimeout",
    "deadline",
    "remaining",
    "run_bounded",
    "signals_usable",
]

T = TypeVar("T")

DEFAULT_TIMEOUT = 2.0  # seconds per check
MAX_RESPONSE_CHARS = 2000  # longer responses are refused before anything else
MAX_TEXT_MATCH_CHARS = 200  # text answers are cut to this before a bank regex sees them
WORKER_GRACE = 1.0  # extra seconds a worker process gets before it is killed
# The worker keeps the CPU budget itself; the parent's wait, in wall-clock seconds, is only the
# backstop for one long C call that no signal interrupts, so it leaves room for a busy machine.
WORKER_WALL_FACTOR = 3
REFIRE = 0.05  # seconds between repeated alarms once a deadline has expired


class CheckTimeout(Exception):
    """A check did not finish within its time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s to check")
        self.seconds = seconds


class _Expired(BaseException):
    """Raised by the SIGPROF handler; carries the deadline that expired.

    A BaseException so that ``except Exception`` inside sympy or a checker cannot swallow it.
    """

    def __init__(self, token: object) -> None:
        super().__init__("deadline expired")
        self.token = token


_stack: list[tuple[float, object]] = []  # (expiry in process CPU time, token), innermost last

_TIMER = signal.ITIMER_PROF if hasattr(signal, "ITIMER_PROF") else None
_clock = time.process_time


def signals_usable() -> bool:
    """True when the setitimer mechanism works here (POSIX, main thread)."""
    return _TIMER is not None and threading.current_thread() is threading.main_thread()


def remaining() -> float | None:
    """CPU seconds left before the innermost active deadline, or None when none is active."""
    if not _stack:
        return None
    return max(0.0, min(expiry for expiry, _ in _stack) - _clock())


def _on_alarm(signum: int, frame: Any) -> None:
    now = _clock()
    due = [token for expiry, token in _stack if expiry <= now + 1e-4]
    if due:
        # Fire again soon in case code under check swallows the exception (a bare except).
        signal.setitimer(_TIMER, REFIRE)
        raise _Expired(due[0])  # the outermost expired deadline wins
    _arm()  # fired early (clock granularity): re-arm for the earliest deadline


def _arm() -> None:
    if _stack:
        left = min(expiry for expiry, _ in _stack) - _clock()
        # An already expired deadline has been raised once; give its unwinding time.
        signal.setitimer(_TIMER, left if left > 0 else REFIRE)
    else:
        signal.setitimer(_TIMER, 0)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`CheckTimeout` in the body if it uses more than ``seconds`` of CPU.

    Main thread on POSIX only (see :func:`signals_usable`). Deadlines nest: when an outer one
    expires inside an inner one, the outer one is the one reported.

    Raises:
        CheckTimeout: the body ran out of time.
        RuntimeError: signals cannot be used in this thread.
    """
    if not signals_usable():
        raise RuntimeError("deadline() needs the main thread on a POSIX system")
    token = object()
    outermost = not _stack
    if outermost:
        previous_handler = signal.signal(signal.SIGPROF, _on_alarm)
        previous_timer = (0.0, 0.0)
    started = _clock()
    _stack.append((started + seconds, token))
    try:
        if outermost:  # armed for the whole budget at once; the caller's timer comes back
            previous_timer = signal.setitimer(_TIMER, seconds)
        else:
            _arm()
        yield
    except _Expired as exc:
        if exc.token is not token:
            raise
        raise CheckTimeout(seconds) from None
    finally:
        _stack.pop()
        if outermost:
            signal.setitimer(_TIMER, 0)
            # None: a handler installed from C; the default is the best we can give back.
            signal.signal(signal.SIGPROF, previous_handler or signal.SIG_DFL)
            _restore_timer(previous_timer, started)
        else:
            _arm()


def _restore_timer(previous: tuple[float, float], started: float) -> None:
    """Give back a caller's SIGPROF timer, shortened by the CPU time we held it (since
    ``started``)."""
    delay, interval = previous
    if delay > 0:
        signal.setitimer(_TIMER, max(delay - (_clock() - started), 1e-5), interval)


def run_bounded(fn: Callable[..., T], args: tuple[Any, ...], timeout: float) -> T:
    """Call ``fn(*args)`` with a limit of ``timeout`` seconds of CPU time.

    In the main thread on POSIX this uses a timer signal; elsewhere ``fn`` and ``args`` must be
    picklable, since the call runs in a worker process.

    Raises:
        CheckTimeout: the call ran out of time (the worker, if any, was stopped).
    """
    if signals_usable():
        try:
            with deadline(timeout):
                return fn(*args)
        except _Expired:  # a repeated alarm that landed while the deadline was unwinding
            raise CheckTimeout(timeout) from None
    return _worker().call(fn, args, timeout)


# --- worker processes (threads other than the main one, platforms without SIGPROF) ---------


def _serve(conn: Any) -> None:
    """Worker loop: receive (fn, args, timeout), answer (ok, value)."""
    conn.send(("ready", None))
    while True:
        try:
            fn, args, timeout = conn.recv()
        except EOFError:
            return
        try:
            value = run_bounded(fn, args, timeout)
            conn.send((True, value))
        except CheckTimeout as exc:
            conn.send((False, exc.seconds))
        except Exception as exc:  # the call failed: say so rather than die
            conn.send((None, f"{type(exc).__name__}: {exc}"))


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class _Worker:
    """One long-lived worker process; restarted when it has to be killed."""

    def __init__(self) -> None:
        self._process: Any = None
        self._conn: Any = None

    def _start(self) -> None:
        ctx = _context()
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        child.close()
        self._conn.recv()  # wait until it is ready, so start-up never counts against a check

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(5)
            self._conn.close()
        self._process = self._conn = None

    def call(self, fn: Callable[..., T], args: tuple[Any, ...], timeout: float) -> T:
        if self._process is None or not self._process.is_alive():
            self._start()
        self._conn.send((fn, args, timeout))
        if not self._conn.poll(WORKER_WALL_FACTOR * timeout + WORKER_GRACE):
            self._stop()
            raise CheckTimeout(timeout)
        try:
            ok, value = self._conn.recv()
        except EOFError:  # the worker died (out of memory, killed)
            self._stop()
            raise CheckTimeout(timeout) from None
        if ok is None:
            raise RuntimeError(f"the worker process failed: {value}")
        if not ok:
            raise CheckTimeout(value)
        return value


_local = threading.local()


def _worker() -> _Worker:
    worker = getattr(_local, "worker", None)
    if worker is None:
        worker = _local.worker = _Worker()
    return worker
