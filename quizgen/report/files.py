"""Read a grading run and its key; write the report and its CSV files (the I/O of the report).

Every failure to read is a :class:`~quizgen.errors.UsageError` naming the file and what was
expected (the CLI turns it into a message and exit code 2). Files are written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_core import from_json

from quizgen.collector import paused as gc_paused  # the name bench_report.py uses
from quizgen.errors import UsageError
from quizgen.keyfile import KEY_FORMAT, key_format
from quizgen.output import write_text_atomic
from quizgen.report.html import report_html
from quizgen.report.items import ItemAnalysis, analyse_run
from quizgen.report.records import (
    ExamRecord,
    RunRecord,
    keys_from_json,
    keys_from_v2,
    run_from_json,
)
from quizgen.report.tables import CSV_FILES

__all__ = [
    "GRADING_FILE",
    "build_report",
    "gc_paused",
    "load_run",
    "read_grading",
    "read_key",
    "write_report",
]

GRADING_FILE = "grading.json"


def _json(path: Path, what: str) -> Any:
    """Parse a JSON file with pydantic-core's parser (a third faster than ``json`` on keys)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        return from_json(data.removeprefix(b"\xef\xbb\xbf"))
    except ValueError as exc:  # its message names line and column
        raise UsageError(f"{path}: not valid JSON ({exc})") from None


def read_grading(grades_dir: Path) -> RunRecord:
    """Read ``grading.json`` from the folder ``quizgen grade --out`` wrote.

    Raises:
        UsageError: no such folder or file, not JSON, or not a quizgen grading file.
    """
    grades_dir = Path(grades_dir)
    hint = f"run `quizgen grade KEY SUBMISSIONS --out {grades_dir}` first"
    if not grades_dir.is_dir():
        raise UsageError(f"grades folder not found: {grades_dir}", hint=hint)
    path = grades_dir / GRADING_FILE
    if not path.is_file():
        raise UsageError(f"no {GRADING_FILE} in {grades_dir}", hint=hint)
    return run_from_json(_json(path, "grades"), str(path))


def read_key(path: Path) -> ExamRecord:
    """Read what the report needs of ``key.json``.

    Raises:
        UsageError: the file cannot be read, is not JSON, or is not a quizgen key.
    """
    try:
        v2 = key_format(Path(path)) == KEY_FORMAT
    except OSError as exc:
        raise UsageError(f"cannot read key {path}: {exc.strerror or exc}") from None
    if v2:
        return keys_from_v2(Path(path))
    return keys_from_json(_json(Path(path), "key"), str(path))


def load_run(grades_dir: Path, key: Path | None) -> tuple[RunRecord, ExamRecord]:
    """The grading run in ``grades_dir`` and the key it was graded against.

    Raises:
        UsageError: a file cannot be read, no key was given, or the key is another exam's.
    """
    run = read_grading(grades_dir)
    if key is None:
        raise UsageError(
            f"{Path(grades_dir) / GRADING_FILE} does not record which key.json it was graded "
            "against",
            hint="pass --key with the key.json you gave `quizgen grade`",
        )
    exam = read_key(key)
    if exam.fingerprint != run.exam:
        raise UsageError(
            f"{key} is exam {exam.fingerprint}, but the grades in {grades_dir} are for exam "
            f"{run.exam}",
            hint="pass the key.json these grades were graded against",
        )
    return run, exam


def _out_file(out: Path) -> Path:
    out = Path(out)
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file name such as {out / 'report.html'}")
    return out


def write_report(analysis: ItemAnalysis, out: Path, *, templates: Path | None = None) -> list[Path]:
    """Write ``out`` (the HTML report) and the four CSV files next to it; return the paths.

    Raises:
        UsageError: ``out`` is a folder.
    """
    out = _out_file(out)
    files = {out: report_html(analysis, templates)}
    files.update({out.parent / name: build(analysis) for name, build in CSV_FILES.items()})
    for path, text in files.items():
        write_text_atomic(path, text)
    return list(files)


def build_report(
    grades_dir: Path, key: Path | None, out: Path, *, templates: Path | None = None
) -> tuple[ItemAnalysis, list[Path]]:
    """Read, analyse and write: everything ``quizgen report`` does."""
    _out_file(out)  # a bad --out fails before the reading
    with gc_paused():
        run, exam = load_run(grades_dir, key)
        analysis = analyse_run(run, exam)
    return analysis, write_report(analysis, out, templates=templates)
