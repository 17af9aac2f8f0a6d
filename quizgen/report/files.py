"""Read a grading run and its key; write the report and its CSV files (the I/O of the report).

Every failure to read is a :class:`~quizgen.errors.UsageError` naming the file and what was
expected (the CLI turns it into a message and exit code 2). Files are written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from quizgen.errors import UsageError
from quizgen.grade.pipeline import GRADES_FORMAT, GradeReport
from quizgen.grade.submissions import exam_fingerprint, read_key
from quizgen.output import write_text_atomic
from quizgen.report.html import report_html
from quizgen.report.items import ItemAnalysis, analyse
from quizgen.report.tables import CSV_FILES
from quizgen.variant import Exam

__all__ = ["GRADING_FILE", "build_report", "load_run", "read_grading", "write_report"]

GRADING_FILE = "grading.json"


def read_grading(grades_dir: Path) -> GradeReport:
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
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    try:
        return GradeReport.model_validate_json(text)
    except ValidationError as exc:
        raise _not_grades(path, text, exc) from None


def _format_of(text: str) -> object:
    """The ``format`` field of a JSON object, or None (read only when validation failed)."""
    data = json.loads(text)
    return data.get("format") if isinstance(data, dict) else None


def _not_grades(path: Path, text: str, exc: ValidationError) -> UsageError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    if first["type"] == "json_invalid":
        return UsageError(f"{path}: not valid JSON ({first['msg']})")
    hint = "pass the folder that `quizgen grade --out` wrote"
    found = _format_of(text)
    if found != GRADES_FORMAT:
        what = f"format {found!r}" if isinstance(found, str) else "no quizgen format field"
        return UsageError(
            f"{path}: not a quizgen grading file ({what}; expected {GRADES_FORMAT!r})",
            hint=hint,
        )
    where = ".".join(str(p) for p in first["loc"]) or "top level"
    return UsageError(f"{path}: not a quizgen grading file ({where}: {first['msg']})", hint=hint)


def load_run(grades_dir: Path, key: Path | None) -> tuple[GradeReport, Exam]:
    """The grading run in ``grades_dir`` and the key it was graded against.

    Raises:
        UsageError: a file cannot be read, no key was given, or the key is another exam's.
    """
    report = read_grading(grades_dir)
    if key is None:
        raise UsageError(
            f"{Path(grades_dir) / GRADING_FILE} does not record which key.json it was graded "
            "against",
            hint="pass --key with the key.json you gave `quizgen grade`",
        )
    exam = read_key(key)
    found = exam_fingerprint(exam)
    if found != report.exam:
        raise UsageError(
            f"{key} is exam {found}, but the grades in {grades_dir} are for exam {report.exam}",
            hint="pass the key.json these grades were graded against",
        )
    return report, exam


def write_report(analysis: ItemAnalysis, out: Path, *, templates: Path | None = None) -> list[Path]:
    """Write ``out`` (the HTML report) and the four CSV files next to it; return the paths.

    Raises:
        UsageError: ``out`` is a folder.
    """
    out = Path(out)
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file name such as {out / 'report.html'}")
    files = {out: report_html(analysis, templates)}
    files.update({out.parent / name: build(analysis) for name, build in CSV_FILES.items()})
    for path, text in files.items():
        write_text_atomic(path, text)
    return list(files)


def build_report(
    grades_dir: Path, key: Path | None, out: Path, *, templates: Path | None = None
) -> tuple[ItemAnalysis, list[Path]]:
    """Read, analyse and write: everything ``quizgen report`` does."""
    report, exam = load_run(grades_dir, key)
    analysis = analyse(report, exam)
    return analysis, write_report(analysis, out, templates=templates)
