"""LMS export: random pools of variants for Canvas, Moodle (XML and GIFT) and QTI 2.1.

One module per format behind one Protocol (:class:`~quizgen.export.base.Exporter`), listed in
:data:`EXPORTERS`; an unknown name lists the valid ones. :func:`export` is the whole job for a
caller: draw the pools once, write one format, and say what could not be expressed.
:func:`export_file` does the same straight into a file, pool by pool, in ``jobs`` processes:
what the command line runs, in memory that does not grow with the variants.

Example:
    >>> result = export([bank], "moodle", variants=50, seed="2025-midterm")
    >>> write_export(result, Path("midterm.xml"))
    >>> export_file([bank], "moodle", Path("midterm.xml"), variants=50, seed="2025-midterm")
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from quizgen.bank.model import Bank
from quizgen.errors import BankErrors, UsageError
from quizgen.export.base import (
    Exporter,
    ExportError,
    ExportOptions,
    ExportResult,
    ExportWarning,
    Pool,
    build_pools,
    listed_questions,
    run_export,
)
from quizgen.export.canvas import CanvasExporter
from quizgen.export.gift import GiftExporter
from quizgen.export.moodle import MoodleExporter
from quizgen.export.qti21 import Qti21Exporter
from quizgen.export.stream import CheckRefused, StreamResult, stream_export
from quizgen.output import atomic_file, missing_folders, remove_empty, write_bytes_atomic

__all__ = [
    "EXPORTERS",
    "MAX_VARIANTS",
    "CheckRefused",
    "ExportError",
    "ExportOptions",
    "ExportResult",
    "ExportWarning",
    "Exporter",
    "Pool",
    "build_pools",
    "check_output_path",
    "check_variants",
    "export",
    "export_file",
    "get_exporter",
    "write_export",
]

EXPORTERS: dict[str, Exporter] = {
    "canvas": CanvasExporter(),
    "gift": GiftExporter(),
    "moodle": MoodleExporter(),
    "qti21": Qti21Exporter(),
}


#: The most variants per question ``export`` writes (docs/export.md). A pool is for an LMS to
#: draw from: past a few hundred variants, more add nothing but file size, and an LMS's
#: import of a 20-question quiz of 100,000 variants already takes minutes.
MAX_VARIANTS = 5_000


def get_exporter(name: str) -> Exporter:
    """The exporter registered as ``name``.

    Raises:
        UsageError: ``name`` is not a known format; the message lists the valid ones.
    """
    exporter = EXPORTERS.get(name)
    if exporter is None:
        valid = ", ".join(sorted(EXPORTERS))
        raise UsageError(f"unknown export format '{name}' (valid: {valid})")
    return exporter


def check_variants(variants: int) -> None:
    """Refuse a number of variants per question below 1 or above :data:`MAX_VARIANTS`.

    Raises:
        UsageError: with the cap and what to do instead.
    """
    if variants < 1:
        raise UsageError("--variants must be at least 1")
    if variants > MAX_VARIANTS:
        raise UsageError(
            f"--variants {variants:,} is more than an LMS pool needs (at most "
            f"{MAX_VARIANTS:,} per question)",
            hint="a pool draws one variant per student: a few hundred already make sharing "
            "answers pointless; for one variant per student, `quizgen generate` the papers",
        )


def export(
    banks: Sequence[Bank],
    to: str,
    *,
    variants: int,
    seed: str,
    pick: int | None = None,
    strict: bool = False,
    title: str | None = None,
    template_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ExportResult:
    """Export ``banks`` as pools of ``variants`` distinct variants per question.

    Args:
        banks: validated banks; questions keep bank order.
        to: a format name (a key of :data:`EXPORTERS`).
        variants: variants wanted per question (fewer are exported, with a warning, when a
            question has fewer distinct ones).
        seed: fixes every draw: the same banks, seed and ``variants`` give the same bytes.
        pick: questions per topic, chosen once with the seed (None: all questions).
        strict: refuse, instead of warn about, anything the format cannot express.
        title: the quiz title (default: the first bank's title).
        template_dir: a folder of templates overriding the packaged ones by name.
        progress: called after each question's pool is drawn with (done, total).

    Returns:
        The file's bytes, the pools and the warnings.

    Raises:
        UsageError: unknown format, or ``variants`` below 1.
        ExportError: ``strict`` and the format cannot express something.
        BankErrors: a bank's formulas or templates do not compile.
    """
    exporter, options = _prepare(banks, to, variants, seed, strict, title, template_dir)
    pools, warnings = build_pools(banks, seed, variants, pick, progress)
    return run_export(exporter, pools, options, warnings)


def _prepare(
    banks: Sequence[Bank],
    to: str,
    variants: int,
    seed: str,
    strict: bool,
    title: str | None,
    template_dir: Path | None,
) -> tuple[Exporter, ExportOptions]:
    """The exporter and its options, once the arguments are known good (before any draw)."""
    exporter = get_exporter(to)
    check_variants(variants)
    if not banks:
        raise UsageError("no banks to export")
    options = ExportOptions(
        title=title or banks[0].title,
        seed=seed,
        variants=variants,
        strict=strict,
        template_dir=template_dir,
    )
    return exporter, options


def export_file(
    banks: Sequence[Bank],
    to: str,
    path: Path,
    *,
    variants: int,
    seed: str,
    pick: int | None = None,
    strict: bool = False,
    title: str | None = None,
    template_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    jobs: int = 1,
    keep_pools: bool = False,
    check: bool = False,
) -> StreamResult:
    """Export ``banks`` into the file ``path``, written as the pools are drawn.

    The file holds the bytes :func:`export` returns for the same arguments, whatever
    ``jobs``; it appears whole (atomically) or not at all. Arguments as for :func:`export`,
    and:

    Args:
        path: the file to write (its suffix must be the format's).
        jobs: processes to draw and map the pools in (small exports use one).
        keep_pools: keep the pools' variants in the result (a manifest needs them; memory
            then grows with the variants).
        check: also run :func:`quizgen.check.quick_check` on the banks, beside the drawing;
            its errors refuse the export as if it had run first.

    Returns:
        The pools (variants only if kept), the warnings and the number of variants.

    Raises:
        UsageError: unknown format, bad ``variants``, no banks, or a path that cannot be
            written.
        ExportError: ``strict`` and the format cannot express something (nothing is written).
        CheckRefused: ``check``, and the check finds errors (nothing is written).
        BankErrors: a bank's formulas or templates do not compile.
    """
    exporter, options = _prepare(banks, to, variants, seed, strict, title, template_dir)
    path = check_output_path(path, exporter.suffix)
    listed = listed_questions(banks, seed, pick)
    made = missing_folders(path.absolute().parent)
    try:
        with atomic_file(path) as out:
            result = stream_export(
                exporter,
                listed,
                options,
                out,
                jobs=jobs,
                progress=progress,
                keep_pools=keep_pools,
                check=check,
            )
            if strict and result.refused:
                raise ExportError(exporter.name, result.refused)  # and nothing is written
    except BankErrors:  # refused before anything is drawn, as if checked and compiled first
        remove_empty(made)
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(f"cannot write {path}: {reason}") from None
    return result


#: Suffixes a format's file may have besides its own: Moodle imports GIFT from ``.txt`` files.
OTHER_SUFFIXES: dict[str, tuple[str, ...]] = {".gift": (".txt",)}


def _check_suffix(path: Path, suffix: str) -> None:
    """Refuse a file name whose suffix says another format (``--to canvas --out f.xml``)."""
    allowed = (suffix, *OTHER_SUFFIXES.get(suffix, ()))
    if path.suffix.lower() not in allowed:
        shown = " or ".join(f"'{s}'" for s in allowed)
        raise UsageError(
            f"output file {path} must end in {shown} for this format "
            f"(it would be written as a {suffix} file)",
            hint=f"e.g. {path.with_suffix(suffix)}",
        )


def check_output_path(path: Path, suffix: str = "") -> Path:
    """Refuse, before any work is done, an output path that cannot be written.

    Args:
        path: the file to write.
        suffix: the format's file suffix (``.zip``, ``.xml``, ``.gift``); when given, the
            path must end in it (GIFT: or ``.txt``), so that a name never lies about the bytes.

    Raises:
        UsageError: ``path`` is a folder, its folder is a file, it is not writable, or its
            suffix is another format's.
    """
    path = Path(path)
    if path.is_dir():
        example = path / f"quiz{suffix}"
        raise UsageError(
            f"output path {path} is a folder", hint=f"give a file name, e.g. {example}"
        )
    if suffix:
        _check_suffix(path, suffix)
    folder = next((p for p in path.absolute().parents if p.exists()), None)
    if folder is not None and not folder.is_dir():
        raise UsageError(f"cannot write {path}: {folder} is a file, not a folder")
    if folder is not None and not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path}: folder {folder} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"cannot write {path}: the file is read-only")
    return path


def write_export(result: ExportResult, path: Path) -> Path:
    """Write an export atomically to ``path``.

    Raises:
        UsageError: ``path`` is a folder, cannot be written, or its suffix is another
            format's (the message says why).
    """
    path = check_output_path(path, result.suffix)
    try:
        write_bytes_atomic(path, result.data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(f"cannot write {path}: {reason}") from None
    return path
