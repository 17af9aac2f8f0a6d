"""An export written as its pools are drawn: one pool at a time in memory, ``--jobs`` processes.

Each question of the banks is one task: compiled, pre-checked (the command line's
:func:`quizgen.check.quick_check`, question by question, when asked) and, if the export takes
it, its pool drawn and mapped to the format's items (:meth:`Exporter.item`). Tasks run in
forked worker processes (:func:`quizgen.pool.ordered_map`) and come back in question order,
so the format's writer receives the same pools, items and warnings whatever the number of
processes, and the file is byte for byte the one ``jobs=1`` writes. The writer consumes each
pool as it arrives, so memory holds the pools in flight (at most two per process), never the
export.

The pre-check runs beside the drawing, not before it, yet decides as if it had run first:
when it finds errors (or anything else fails), the questions whose check had not come back
are checked here, and every error of the check wins over what the drawing or writing said,
in the order ``quick_check`` gives them (:class:`CheckRefused`); the file is then never
written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from quizgen import collector
from quizgen.bank.model import Bank
from quizgen.errors import BankError, BankErrors, CheckRefused
from quizgen.export.base import (
    Exporter,
    ExportOptions,
    ExportWarning,
    Listed,
    Notes,
    Pool,
    PoolStream,
    distinct_variants,
    export_questions,
    pool_of,
    small_pools_warning,
)
from quizgen.generate.compile import CompiledQuestion, compile_question
from quizgen.pool import ordered_map

__all__ = ["MIN_PARALLEL", "CheckRefused", "StreamResult", "stream_export"]

#: Below this many variants in all, the pools are drawn in this process: forking workers
#: costs more than they would save.
MIN_PARALLEL = 400


@dataclass(frozen=True)
class _Job:
    """What a worker needs, set before the workers fork (they inherit it, unpickled)."""

    exporter: Exporter
    listed: Sequence[Listed]
    options: ExportOptions
    keep: bool
    check: bool


_JOB: _Job | None = None


@dataclass(frozen=True)
class _Drawn:
    """One pool drawn and mapped: the pool (its variants only if kept), items and warnings."""

    pool: Pool
    items: list[Any]
    warnings: list[ExportWarning]
    size: int
    small: bool


@dataclass(frozen=True)
class _Done:
    """One task's result: the pre-check's errors of its question, and its pool if drawn."""

    errors: list[BankError]
    drawn: _Drawn | None


def _task(index: int) -> _Done:
    """Pre-check question ``index`` of the job (when asked), compile it, then draw and map
    its pool if the export takes it (a worker's task). A question the check refuses is not
    drawn: the export will be refused. One that does not compile fails the export even when
    ``--pick`` leaves it out, as it did when every bank was compiled first."""
    job = _JOB
    assert job is not None, "stream_export sets the job before any task runs"
    listed = job.listed[index]
    try:
        question = compile_question(listed.bank, listed.index)
    except BankErrors as exc:
        if not job.check:
            raise
        return _Done(exc.errors, None)  # as the check reports a question that does not compile
    errors = _check(listed, question) if job.check else []
    if errors or not listed.drawn:
        return _Done(errors, None)
    return _Done(errors, _draw_and_map(question, job))


def _load_what_compiling_needs(first: Listed) -> None:
    """Compile the first drawn question here, before the workers fork, and drop it: the
    modules that compiling imports (sympy and the formula parser, when the question has a
    formula) are then loaded once and inherited, not imported again in every worker (~0.3 s
    of CPU each). Its formulas' parses are remembered too (``generate.compile``'s cache), so
    the task that compiles it again costs less. Anything it raises is ignored here: the
    task compiles the question again and reports it where it always did."""
    with contextlib.suppress(Exception):  # reported by the question's task, in its place
        compile_question(first.bank, first.index)


def _check(listed: Listed, question: CompiledQuestion | None = None) -> list[BankError]:
    """The pre-check's errors of one question, on ``question`` when it is compiled already
    (imported here: only a checked export runs it)."""
    from quizgen.check import quick_check_question

    return quick_check_question(listed.bank, listed.index, question)


def _draw_and_map(question: CompiledQuestion, job: _Job) -> _Drawn:
    """Draw ``question``'s pool and map it to the format's items.

    Each variant becomes its item as soon as it is drawn and is then let go (unless kept),
    so a pool costs its items, not its variants as well.
    """
    options, notes = job.options, Notes()
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


class _Refusal(Exception):
    """A task's pre-check found errors: stop writing, and settle what to report."""


def stream_export(
    exporter: Exporter,
    listed: Sequence[Listed],
    options: ExportOptions,
    out: BinaryIO,
    *,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
    keep_pools: bool = False,
    check: bool = False,
) -> StreamResult:
    """Draw each listed question's pool and write the file to ``out`` as the pools arrive.

    Args:
        exporter: the format.
        listed: every question of the banks, in order
            (:func:`quizgen.export.base.listed_questions`): those the export takes get a pool
            each; all are compiled, and pre-checked when ``check``.
        options: the export's settings (``options.variants`` per pool, ``options.seed``).
        out: a binary file to write to.
        jobs: worker processes to draw and map pools in (1: in this process); the bytes
            written are the same for any number.
        progress: called after each pool is handed to the writer with (done, total).
        keep_pools: keep every pool's variants in the result (for a manifest); otherwise
            they are dropped as soon as the pool is written.
        check: run :func:`quizgen.check.quick_check`'s checks of every question beside the
            drawing.

    Raises:
        CheckRefused: ``check``, and the check found errors (whatever else failed).
        BankErrors: a formula or template of a bank does not compile (as
            :func:`~quizgen.export.base.export_questions` says it, whatever else failed).
        DrawError: a question's constraints were never met.
        TemplateError: a template override failed.
    """
    global _JOB
    result = StreamResult()
    small: list[tuple[str, int]] = []
    drawn = [i for i, entry in enumerate(listed) if entry.drawn]
    if options.variants * len(drawn) < MIN_PARALLEL:
        jobs = 1
    if check:  # imported once here, not once in every worker
        import quizgen.check
        import quizgen.grade.checkers  # noqa: F401
    if jobs > 1 and drawn:
        _load_what_compiling_needs(listed[drawn[0]])
    _JOB = _Job(exporter, listed, options, keep_pools, check)
    checked: dict[int, list[BankError]] = {}
    tasks = ordered_map(_task, [(i,) for i in range(len(listed))], jobs)
    try:

        def pools() -> Iterator[tuple[Pool, list[Any]]]:
            for index, done in enumerate(tasks):
                checked[index] = done.errors
                if done.errors:
                    raise _Refusal
                if done.drawn is None:
                    continue
                notes.extend(done.drawn.warnings)
                if done.drawn.small:
                    small.append((done.drawn.pool.name, done.drawn.size))
                result.variant_count += done.drawn.size
                result.pools.append(done.drawn.pool)
                if progress is not None:
                    progress(len(result.pools), len(drawn))
                yield done.drawn.pool, done.drawn.items

        notes = Notes()  # one Notes, so warnings dedupe as when written in one pass
        stream = PoolStream(tuple(listed[i].bank.id for i in drawn), pools())
        # Paused for the whole stream, drawing included (workers fork with it paused): the
        # live heap is a pool or two, and at 5,000 variants a question memory still levels
        # off (docs/performance.md).
        try:
            with collector.paused():
                exporter.write(stream, options, out)
        except Exception as exc:
            tasks.close()  # the workers stop (after the tasks in flight)
            _settle(listed, checked, check, options.seed, exc)
            raise
        if check and len(checked) < len(listed):  # a writer that stopped early
            _settle(listed, checked, check, options.seed, None)
    finally:
        _JOB = None
    result.warnings = [*small_pools_warning(small, options.variants), *notes.warnings]
    return result


def _settle(
    listed: Sequence[Listed],
    checked: dict[int, list[BankError]],
    check: bool,
    seed: str,
    failure: BaseException | None,
) -> None:
    """Say what an export that stopped reports, as if the check and the compiling of every
    question had come first (they did, before the drawing ran beside them).

    Raises:
        CheckRefused: ``check``, and some question's check finds errors (those not checked
            yet are checked here).
        BankErrors: not ``check``, and a bank does not compile (as ``export_questions`` says).
    """
    if check:
        errors = [
            e
            for i, entry in enumerate(listed)
            for e in (checked[i] if i in checked else _check(entry))
        ]
        if errors:
            raise CheckRefused(errors) from None
    elif failure is not None:
        # compile_bank's errors, of the first bank that has any (picking comes after it)
        export_questions(_banks_of(listed), seed, None)


def _banks_of(listed: Sequence[Listed]) -> list[Bank]:
    """The banks of the listed questions, in order, each once."""
    return list({id(entry.bank): entry.bank for entry in listed}.values())
