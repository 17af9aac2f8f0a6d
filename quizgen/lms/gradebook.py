"""The LMS's own grade import file for a regraded report, matched on the LMS's own ids.

Unlike ``quizgen grade --gradebook`` (which knows only quizgen's roster ids), the report
carries the ids the LMS matches on: Canvas's user id (and SIS id, section), Moodle's email
address, ID number or username. Layouts as each importer reads them (see
:mod:`quizgen.grade.write` for the sources): Canvas ``Student, ID, SIS User ID, SIS Login ID,
Section, <assignment>`` with a ``Points Possible`` row; Moodle ``<identity column>, Full name,
<assignment>``, mapped on import from that identity column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from quizgen.grade.pipeline import GradeReport, StudentGrade
from quizgen.lms.reports import Row

__all__ = ["gradebook_csv"]


def _num(value: float) -> str:
    return f"{round(value, 6):g}"


def _csv(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _graded(report: GradeReport) -> list[StudentGrade]:
    return [s for s in report.students if s.status == "graded"]


def canvas_gradebook(
    report: GradeReport, rows: dict[str, Row], assignment: str, points: float
) -> str:
    """Canvas's gradebook import CSV (Grades → Import), one row per graded student."""
    table = [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment],
        ["Points Possible", "", "", "", "", _num(points)],
    ]
    for s in _graded(report):
        ids = dict(rows[s.student_id].student.ids)
        table.append(
            [s.name, s.student_id, ids.get("sis_id", ""), "", ids.get("section", ""), _num(s.total)]
        )
    return _csv(table)


def moodle_gradebook(report: GradeReport, key_column: str, assignment: str) -> str:
    """Moodle's grade import CSV (Grades → Import → CSV file), mapped from ``key_column``."""
    table = [[key_column, "Full name", assignment]]
    table += [[s.student_id, s.name, _num(s.total)] for s in _graded(report)]
    return _csv(table)


def gradebook_csv(
    lms: str, report: GradeReport, rows: dict[str, Row], key_column: str, assignment: str,
    points: float,
) -> str:  # fmt: skip
    """The import file for ``lms`` ("canvas" or "moodle")."""
    if lms == "canvas":
        return canvas_gradebook(report, rows, assignment, points)
    return moodle_gradebook(report, key_column, assignment)
