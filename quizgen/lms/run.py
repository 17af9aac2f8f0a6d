"""``quizgen grade-lms`` as one library call: report + manifest in, graded folder out."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from quizgen.errors import UsageError
from quizgen.grade.pipeline import GradeReport, grade_exam
from quizgen.grade.write import write_grading
from quizgen.lms.gradebook import gradebook_csv
from quizgen.lms.manifest import Manifest
from quizgen.lms.regrade import LmsExam, build_exam
from quizgen.lms.reports import LmsReport, read_report
from quizgen.output import write_text_atomic
from quizgen.variant import Exam, Paper

__all__ = ["LmsGrading", "grade_lms", "read_roster", "write_lms_grading"]

#: The gradebook export's column holding each LMS's student key.
ROSTER_COLUMNS = {"canvas": "ID"}


@dataclass
class LmsGrading:
    """A graded report: the rebuilt exam, the grades, and the report it came from."""

    lms: LmsExam
    report: GradeReport
    source: LmsReport


def _read(path: Path, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text: save the {what} as CSV (UTF-8)") from None


def read_roster(lms: str, path: Path, key_column: str) -> set[str]:
    """The student keys in the LMS's gradebook export (Canvas: ``ID``; Moodle: the report's
    identity column, e.g. ``Email address``).

    Raises:
        UsageError: the file cannot be read or lacks that column.
    """
    column = ROSTER_COLUMNS.get(lms, key_column)
    rows = list(csv.DictReader(io.StringIO(_read(path, "gradebook export"))))
    if not rows or column not in rows[0]:
        raise UsageError(f"the gradebook export {path} has no {column!r} column")
    return {r[column].strip() for r in rows if (r[column] or "").strip()}


def grade_lms(
    manifest: Manifest,
    lms: str,
    responses: Path,
    *,
    roster: Path | None = None,
    timeout: float = 2.0,
) -> LmsGrading:
    """Grade an LMS's response report against the variants an export wrote.

    Raises:
        UsageError: the manifest is of another LMS, or a file cannot be read.
    """
    if manifest.lms != lms:
        raise UsageError(
            f"the manifest is of a {manifest.lms} export, but --from says {lms}",
            hint="give the manifest written with the export that this LMS imported",
        )
    source = read_report(lms, _read(responses, "response report"), str(responses))
    keys = read_roster(lms, roster, source.key_column) if roster is not None else None
    rebuilt = build_exam(manifest, source, keys)
    report = grade_exam(rebuilt.exam, rebuilt.submissions, timeout=timeout)
    return LmsGrading(rebuilt, report, source)


def write_lms_grading(
    out: Path,
    graded: LmsGrading,
    manifest: Manifest,
    *,
    assignment: str | None = None,
    feedback: Callable[[Exam, Paper, object], Mapping[str, str]] | None = None,
) -> list[Path]:
    """Write what ``quizgen grade`` writes, plus ``gradebook-<lms>.csv`` with the LMS's ids."""
    written = write_grading(out, graded.lms.exam, graded.report, feedback=feedback)
    points = sum(pool.points for pool in manifest.pools)
    text = gradebook_csv(
        manifest.lms,
        graded.report,
        graded.lms.students,
        graded.source.key_column,
        assignment or manifest.title,
        points,
    )
    path = out / f"gradebook-{manifest.lms}.csv"
    write_text_atomic(path, text)
    return [*written, path]
