"""Work split over processes (``--jobs``), with results in the order of the work.

The workers are forked, so they share what the parent has loaded (compiled banks, the key,
templates) without pickling it; each task names only its range of students. Every task's
output is a pure function of its range, so files written with ``jobs=4`` are the bytes
written with ``jobs=1``. Where fork is unavailable, or the work is too small to pay for the
processes, the tasks run here, one after another.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["default_jobs", "ordered_map"]

T = TypeVar("T")


def default_jobs() -> int:
    """Processes to use by default: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def ordered_map(fn: Callable[..., T], tasks: Sequence[tuple[Any, ...]], jobs: int) -> Iterator[T]:
    """``fn(*task)`` for each task, yielded in task order; in ``jobs`` forked processes.

    ``fn`` must be a module-level function; what it needs beyond its arguments it finds in
    module state set before the call (inherited by the fork).
    """
    forkable = "fork" in multiprocessing.get_all_start_methods()
    if jobs <= 1 or len(tasks) <= 1 or not forkable:
        for task in tasks:
            yield fn(*task)
        return
    context = multiprocessing.get_context("fork")
    workers = min(jobs, len(tasks))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start) as pool:
        # A window of tasks in flight, not all of them: results that wait for the parent
        # would otherwise pile up in memory when it is the slower side.
        pending: deque[Future[T]] = deque()
        for task in tasks:
            pending.append(pool.submit(fn, *task))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _worker_start() -> None:
    """Ctrl-C is the parent's to handle (it stops the work and removes the staged files);
    a worker that took it too would print a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
