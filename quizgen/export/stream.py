"""An export written as its pools are drawn: one pool at a time in memory, ``--jobs`` processes.

Each question's pool is drawn and mapped to the format's items (:meth:`Exporter.items`) as
one task; tasks run in forked worker processes (:func:`quizgen.pool.ordered_map`) and come
back in question order, so the format's writer receives the same pools, items and warnings
whatever the number of processes, and the file is byte for byte the one ``jobs=1`` writes. The
writer consumes each pool as it arrives, so memory holds the pools in flight (at most two per
process), never the export.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from quizgen.export.base import (
    Exporter,
    ExportOptions,
    ExportWarning,
    Notes,
    Pool,
    PoolStream,
    cycle_collector_paused,
    distinct_variants,
    pool_of,
    small_pools_warning,
)
from quizgen.generate.compile import CompiledQuestion
from quizgen.pool import ordered_map

__all__ = ["MIN_PARALLEL", "StreamResult", "stream_export"]

#: Below this many variants in all, the pools are drawn in this process: forking workers
#: costs more than they would save.
MIN_PARALLEL = 400


@dataclass(frozen=True)
class _Job:
    """What a worker needs, set before the workers fork (they inherit it, unpickled)."""

    exporter: Exporter
    questions: Sequence[CompiledQuestion]
    options: ExportOptions
    keep: bool


_JOB: _Job | None = None


@dataclass(frozen=True)
class _Drawn:
    """One task's result: a pool (its variants only if kept), its items and warnings."""

    pool: Pool
    items: list[Any]
    warnings: list[ExportWarning]
    size: int
    small: bool


def _draw_and_map(index: int) -> _Drawn:
    """Draw question ``index``'s pool and map it to the format's items (a worker's task).

    Each variant becomes its item as soon as it is drawn and is then let go (unless kept),
    so a pool costs its items, not its variants as well.
    """
    job = _JOB
    assert job is not None, "stream_export sets the job before any task runs"
    question, options, notes = job.questions[index], job.options, Notes()
    pool: Pool | None = None
    items, kept = [], []
    for variant in distinct_variants(question, options.seed, options.variants):
        pool = pool or pool_of(question, variant)
        items.append(job.exporter.item(variant, pool, options, notes))
        if job.keep:
            kept.append(variant)
    assert pool is not None, "a question always has a variant"
    size = len(items)
    small = size < options.variants and bool(question.params)
    return _Drawn(replace(pool, variants=tuple(kept)), items, notes.warnings, size, small)


@dataclass
class StreamResult:
    """What was said and counted while an export streamed to its file.

    Attributes:
        pools: the pools, with their variants when ``keep_pools`` was asked (a manifest
            needs them), else without.
        warnings: the warnings, in the order :func:`quizgen.export.export` gives them.
        variant_count: variants written in all.
        refused: the warnings ``--strict`` refuses (the format cannot express them).
    """

    pools: list[Pool] = field(default_factory=list)
    warnings: list[ExportWarning] = field(default_factory=list)
    variant_count: int = 0

    @property
    def refused(self) -> list[ExportWarning]:
        return [w for w in self.warnings if w.cannot_express]


def stream_export(
    exporter: Exporter,
    questions: Sequence[CompiledQuestion],
    options: ExportOptions,
    out: BinaryIO,
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    keep_pools: bool = False,
) -> StreamResult:
    """Draw each question's pool and write the file to ``out`` as the pools arrive.

    Args:
        exporter: the format.
        questions: the compiled questions to export, in order (one pool each).
        options: the export's settings (``options.variants`` per pool, ``options.seed``).
        out: a binary file to write to.
        jobs: worker processes to draw and map pools in (1: in this process); the bytes
            written are the same for any number.
        progress: called after each pool is handed to the writer with (done, total).
        keep_pools: keep every pool's variants in the result (for a manifest); otherwise
            they are dropped as soon as the pool is written.

    Raises:
        DrawError: a question's constraints were never met.
        TemplateError: a template override failed.
    """
    global _JOB
    result = StreamResult()
    small: list[tuple[str, int]] = []
    if options.variants * len(questions) < MIN_PARALLEL:
        jobs = 1
    _JOB = _Job(exporter, questions, options, keep_pools)
    try:

        def pools() -> Iterator[tuple[Pool, list[Any]]]:
            tasks = [(i,) for i in range(len(questions))]
            for done, drawn in enumerate(ordered_map(_draw_and_map, tasks, jobs), 1):
                notes.extend(drawn.warnings)
                if drawn.small:
                    small.append((drawn.pool.name, drawn.size))
                result.variant_count += drawn.size
                result.pools.append(drawn.pool)
                if progress is not None:
                    progress(done, len(questions))
                yield drawn.pool, drawn.items

        notes = Notes()  # one Notes, so warnings dedupe as when written in one pass
        stream = PoolStream(tuple(q.bank.id for q in questions), pools())
        # Paused for the whole stream, drawing included (workers fork with it paused): the
        # live heap is a pool or two, and at 5,000 variants a question memory still levels
        # off (docs/performance.md).
        with cycle_collector_paused():
            exporter.write(stream, options, out)
    finally:
        _JOB = None
    result.warnings = [*small_pools_warning(small, options.variants), *notes.warnings]
    return result
