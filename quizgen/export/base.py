"""What every LMS exporter shares: the one Protocol, pools of distinct variants, warnings.

An export turns each (selected) question into a **pool** of N distinct variants from which the
LMS draws one per student. Pools are drawn here, once, from streams keyed by
``("pool", seed, bank id, question id, i)``, so the same banks, seed and N always give the same
pools, whatever the format. A format that cannot express something (an algebraic answer in an
LMS without a CAS, a scoring rule it lacks) says so through :class:`Notes` and uses its
documented fallback, both decided and worded by :mod:`quizgen.export.capabilities`; ``strict``
turns those notes into an :class:`ExportError`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from quizgen import collector
from quizgen.bank.model import Bank
from quizgen.errors import UsageError
from quizgen.generate.compile import CompiledQuestion, compile_bank
from quizgen.generate.exam import select_questions
from quizgen.generate.solve import draw_variant
from quizgen.rng import stable_hash, stream_for
from quizgen.variant import Variant

__all__ = [
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "ExportWarning",
    "Exporter",
    "Listed",
    "Notes",
    "Pool",
    "PoolStream",
    "build_pools",
    "distinct_variants",
    "draw_distinct",
    "draw_pool",
    "export_bytes",
    "export_questions",
    "ident",
    "is_small",
    "listed_questions",
    "pool_of",
    "run_export",
    "small_pools_warning",
    "write_pieces",
]

EXTRA_DRAWS = 20  # draws allowed beyond 2N when looking for N distinct variants
PICK_KEY = "lms-export"  # the "student" whose --pick choice an export uses


@dataclass(frozen=True)
class ExportWarning:
    """Something an export could not do as the bank asks.

    Attributes:
        question: ``bank-id/question-id``.
        message: what happened and what was done instead.
        cannot_express: True when the format lacks the feature (``--strict`` refuses these);
            False for a pool smaller than asked.
    """

    question: str
    message: str
    cannot_express: bool = False

    def __str__(self) -> str:
        return f"{self.question}: {self.message}" if self.question else self.message


class ExportError(UsageError):
    """``--strict`` export of questions that a format cannot express."""

    def __init__(self, fmt: str, warnings: Sequence[ExportWarning]) -> None:
        lines = "\n".join(f"  {w}" for w in warnings)
        super().__init__(
            f"{fmt} cannot express {len(warnings)} thing(s) the bank asks for:\n{lines}",
            hint="drop --strict to export them with the documented fallbacks (docs/export.md)",
        )
        self.warnings = list(warnings)


@dataclass(frozen=True)
class Pool:
    """One question's variants, from which the LMS draws one per student."""

    bank_id: str
    bank_title: str
    question_id: str
    title: str
    topic: str
    kind: str
    points: float
    variants: tuple[Variant, ...]

    @property
    def name(self) -> str:
        """``bank-id/question-id``: how warnings and categories name the question."""
        return f"{self.bank_id}/{self.question_id}"


@dataclass(frozen=True)
class ExportOptions:
    """Settings shared by every format."""

    title: str
    seed: str
    variants: int
    strict: bool = False
    template_dir: Path | None = None


@dataclass
class Notes:
    """Collects warnings while a format maps variants, each (question, message) once."""

    warnings: list[ExportWarning] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    def cannot_express(self, pool: Pool, message: str) -> None:
        """Record that the format lacks something this question needs (strict refuses it)."""
        self._add(ExportWarning(pool.name, message, cannot_express=True))

    def extend(self, warnings: Sequence[ExportWarning]) -> None:
        """Take warnings recorded elsewhere (a worker process's), each still once."""
        for warning in warnings:
            self._add(warning)

    def _add(self, warning: ExportWarning) -> None:
        key = (warning.question, warning.message)
        if key not in self._seen:
            self._seen.add(key)
            self.warnings.append(warning)


@dataclass(frozen=True)
class PoolStream:
    """The pools of one export as a format's writer takes them: one at a time, in order.

    Attributes:
        bank_ids: each pool's bank id, in order: known before any pool is drawn (a package's
            identifier is a hash of them, and some formats write it first).
        pools: each pool with its items (what :meth:`Exporter.item` made of each of its
            variants, in order), read once. A pool's ``variants`` may be empty here: writers count
            its items instead.
    """

    bank_ids: tuple[str, ...]
    pools: Iterable[tuple[Pool, list[Any]]]


class Exporter(Protocol):
    """One LMS format: each pool's variants mapped to the format's items, then one file.

    The two halves are apart so that a file is written as its pools are drawn (memory holds
    a pool's items or two, never the export) and so that pools can be drawn and mapped in
    worker processes (:mod:`quizgen.export.stream`): :meth:`item` is a pure function of its
    variant.
    """

    name: str  # "canvas", "moodle", "gift", "qti21"
    suffix: str  # the usual file suffix: ".zip", ".xml", ".gift"

    def item(self, variant: Variant, pool: Pool, options: ExportOptions, notes: Notes) -> Any:
        """The format's item for one variant of ``pool`` (picklable plain data), reporting
        what it cannot express to ``notes``; ``pool.variants`` may be empty."""
        ...

    def write(self, stream: PoolStream, options: ExportOptions, out: BinaryIO) -> None:
        """Write the file to ``out`` as the stream's pools arrive."""
        ...


def write_pieces(
    pieces: Iterable[str], write: Callable[[bytes], None], size: int = 1 << 16
) -> None:
    """Write a template's output pieces as UTF-8, about ``size`` characters a write (a
    template yields thousands of short pieces; each is kept only until its batch is out)."""
    batch: list[str] = []
    held = 0
    for piece in pieces:
        batch.append(piece)
        held += len(piece)
        if held >= size:
            write("".join(batch).encode("utf-8"))
            batch.clear()
            held = 0
    write("".join(batch).encode("utf-8"))


def export_bytes(
    exporter: Exporter, pools: Sequence[Pool], options: ExportOptions, notes: Notes
) -> bytes:
    """The whole file of ``pools`` in ``exporter``'s format, in memory (small exports, tests)."""
    buffer = io.BytesIO()
    mapped = (
        (pool, [exporter.item(v, pool, options, notes) for v in pool.variants]) for pool in pools
    )
    exporter.write(PoolStream(tuple(p.bank_id for p in pools), mapped), options, buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class ExportResult:
    """The exported file and what was said while writing it."""

    format: str
    suffix: str
    data: bytes
    pools: tuple[Pool, ...]
    warnings: tuple[ExportWarning, ...]

    @property
    def variant_count(self) -> int:
        return sum(len(p.variants) for p in self.pools)


def ident(prefix: str, *parts: object) -> str:
    """A stable identifier: ``prefix`` and 32 hex digits of a hash of ``parts``.

    The prefix is a letter, so the result is a valid XML NCName and QTI identifier.
    """
    return prefix + stable_hash(*parts)


def draw_distinct(question: CompiledQuestion, seed: str, count: int) -> list[Variant]:
    """Up to ``count`` variants of ``question`` with distinct drawn values, in draw order.

    Draw ``i`` uses ``stream_for("pool", seed, bank id, question id, i)``. Drawing stops after
    ``2·count + 20`` draws, or as soon as every parameter combination has been seen.
    """
    return list(distinct_variants(question, seed, count))


def distinct_variants(question: CompiledQuestion, seed: str, count: int) -> Iterator[Variant]:
    """:func:`draw_distinct`'s variants one at a time, each as soon as it is drawn (only the
    drawn values of those already given are kept, to tell the next ones apart)."""
    limit = min(count, question.space_size())
    budget = 2 * count + EXTRA_DRAWS
    seen: set[tuple[tuple[str, str], ...]] = set()
    for i in range(budget):
        if len(seen) >= limit:
            break
        variant = draw_variant(question, stream_for("pool", seed, question.bank.id, question.id, i))
        values = tuple(sorted(variant.values.items()))
        if values not in seen:
            seen.add(values)
            yield variant


def build_pools(
    banks: Sequence[Bank],
    seed: str,
    count: int,
    pick: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Pool], list[ExportWarning]]:
    """Draw a pool of ``count`` distinct variants for every (picked) question.

    Args:
        banks: validated banks, in order.
        seed: the export seed.
        count: variants wanted per question.
        pick: questions per topic (chosen once, with the seed), or None for all.
        progress: called after each pool with (pools done, pools in all).

    Returns:
        The pools, and one warning naming every question with parameters that has fewer
        distinct variants than asked (a question without parameters has one, as expected).

    Raises:
        BankErrors: a formula or template problem in a bank.
        DrawError: a question's constraints were never met.
    """
    chosen = export_questions(banks, seed, pick)
    pools, small = [], []
    for q in chosen:
        pool = draw_pool(q, seed, count)
        if is_small(q, pool, count):
            small.append((pool.name, len(pool.variants)))
        pools.append(pool)
        if progress is not None:
            progress(len(pools), len(chosen))
    return pools, small_pools_warning(small, count)


def export_questions(
    banks: Sequence[Bank], seed: str, pick: int | None = None
) -> list[CompiledQuestion]:
    """The compiled questions an export draws pools of, in order (``pick``: per topic).

    Raises:
        BankErrors: a formula or template problem in a bank.
    """
    questions = [q for bank in banks for q in compile_bank(bank)]
    return select_questions(questions, pick, seed, PICK_KEY)


@dataclass(frozen=True)
class Listed:
    """One question of a bank as an export lists it, before it is compiled.

    Attributes:
        bank: the question's bank.
        index: its index in ``bank.questions``.
        drawn: True when the export takes it (``--pick`` may leave it out).
    """

    bank: Bank
    index: int
    drawn: bool = True

    @property
    def question(self) -> Any:
        """The bank's question (what picking by topic reads)."""
        return self.bank.questions[self.index]


def listed_questions(banks: Sequence[Bank], seed: str, pick: int | None = None) -> list[Listed]:
    """Every question of ``banks`` in order, marked as :func:`export_questions` picks it.

    The same choice without compiling anything: picking reads only each question's topic
    and place, so the questions can be compiled later, in the processes that draw them.
    """
    every = [Listed(bank, i) for bank in banks for i in range(len(bank.questions))]
    # select_questions reads .question.topic and the order, which a Listed has too.
    chosen = {id(q) for q in select_questions(cast(Any, every), pick, seed, PICK_KEY)}
    return [replace(entry, drawn=id(entry) in chosen) for entry in every]


def draw_pool(question: CompiledQuestion, seed: str, count: int) -> Pool:
    """The pool of up to ``count`` distinct variants of one question.

    Raises:
        DrawError: the question's constraints were never met.
    """
    variants = draw_distinct(question, seed, count)
    return replace(pool_of(question, variants[0]), variants=tuple(variants))


def pool_of(question: CompiledQuestion, first: Variant) -> Pool:
    """The pool of ``question`` without its variants; ``first`` is its first variant."""
    return Pool(
        bank_id=question.bank.id,
        bank_title=question.bank.title,
        question_id=question.id,
        title=question.question.title or question.id,
        topic=question.question.topic,
        kind=question.question.kind,
        points=first.points,
        variants=(),
    )


def is_small(question: CompiledQuestion, pool: Pool, count: int) -> bool:
    """True when a question with parameters has fewer distinct variants than asked (one
    without parameters has one, as expected)."""
    return len(pool.variants) < count and bool(question.params)


def small_pools_warning(small: Sequence[tuple[str, int]], count: int) -> list[ExportWarning]:
    """The one warning naming every pool smaller than ``count`` (none: no warning).

    Args:
        small: (pool name, variants in it) of each small pool, in export order.
        count: the variants asked per question.
    """
    if not small:
        return []
    # One warning per export, not one per question: it is one decision (--variants).
    named = ", ".join(f"{name} ({size})" for name, size in small)
    message = (
        f"{len(small)} question(s) have fewer distinct variants than the {count} asked; "
        f"exporting what exists: {named}"
    )
    return [ExportWarning("", message)]


def run_export(
    exporter: Exporter,
    pools: Sequence[Pool],
    options: ExportOptions,
    pool_warnings: Sequence[ExportWarning] = (),
) -> ExportResult:
    """Run one exporter over ready pools.

    Raises:
        ExportError: ``options.strict`` and the format cannot express something.
    """
    notes = Notes()
    with collector.paused():  # writing: many acyclic objects
        data = export_bytes(exporter, pools, options, notes)
    refused = [w for w in notes.warnings if w.cannot_express]
    if options.strict and refused:
        raise ExportError(exporter.name, refused)
    return ExportResult(
        format=exporter.name,
        suffix=exporter.suffix,
        data=data,
        pools=tuple(pools),
        warnings=(*pool_warnings, *notes.warnings),
    )
