"""When Python's cycle collector may run: paused over work that allocates much and makes
no reference cycles.

Parsing a large key, writing an export or reading a grading run allocates hundreds of
thousands of short-lived, acyclic objects that reference counting frees at once; the
collections those allocations trigger would each walk every live object (sympy's caches,
the banks, the parsed files) for nothing. Pausing the collector over such work halved an
export and cut reading a 100,000-student index by a third (:func:`paused`); what a command
loads to start is frozen out of its sight once loaded (:func:`frozen_once_loaded`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["frozen_once_loaded", "paused"]


@contextmanager
def paused() -> Iterator[None]:
    """Keep the cycle collector off inside the block; afterwards it is as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def frozen_once_loaded() -> Iterator[Callable[[], None]]:
    """Python's cycle collector kept off what sympy, the models and the banks allocate.

    Loading them allocates about a million objects that live as long as the command. Every
    collection triggered while they load walks all of them again, and so does the first
    collection after (they all wait in the youngest generation): 0.1-0.2 s each way, of
    the part of an export no worker can share. So the collector is paused until the
    caller calls the function yielded (once loaded), which freezes what is there (the
    collector never looks at it again) and lets it run; frozen objects are handed back to
    it when the block ends (a process that runs more commands, a test's, collects them).
    """
    enabled = gc.isenabled()
    gc.disable()

    def loaded() -> None:
        gc.freeze()
        if enabled:
            gc.enable()

    try:
        yield loaded
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
