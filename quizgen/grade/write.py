"""Write a grading run into a folder: grades, verdicts, rejections, feedback, gradebooks.

Each file is built as a string by a pure function and written atomically. Everything except
``timing.csv`` is byte-identical when the same key and submissions are graded again.

Files (see docs/grading-pipeline.md): ``grades.csv``, ``grading.json``, ``rejected.csv``,
``to-grade.csv``, ``timing.csv``, ``feedback/<student>.html`` and ``.md`` (rendered by the caller's
``feedback`` writer), and with ``gradebook``
``gradebook-canvas.csv`` or ``gradebook-moodle.csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from quizgen.errors import UsageError
from quizgen.grade.pipeline import GradeReport, HandMark, ItemResult, StudentGrade, response_text
from quizgen.keyfile import papers_by_id, student_rows
from quizgen.output import file_stems, write_bytes_atomic, write_text_atomic
from quizgen.pool import ordered_map
from quizgen.variant import Exam, Paper

__all__ = [
    "GRADEBOOKS",
    "canvas_csv",
    "gradebook_writer",
    "grades_csv",
    "grading_json",
    "item_columns",
    "moodle_csv",
    "rejected_csv",
    "timing_csv",
    "to_grade_csv",
    "write_grading",
]


# --- small helpers ---------------------------------------------------------------------------


def _num(value: float) -> str:
    """A number for a CSV cell: at most 3 decimals, no trailing zeros (``2.5``, ``3``)."""
    text = f"{round(value, 3):.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _csv(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _column(item: ItemResult) -> str:
    return f"{item.question_id}.{item.part_id}" if item.part_id else item.question_id


def _merge(columns: list[str], sequence: list[str]) -> None:
    """Insert the new names of ``sequence`` into ``columns``, keeping both orders."""
    for i, name in enumerate(sequence):
        if name in columns:
            continue
        later = [columns.index(n) for n in sequence[i + 1 :] if n in columns]
        earlier = [columns.index(n) for n in sequence[:i] if n in columns]
        if earlier:
            columns.insert(max(earlier) + 1, name)
        elif later:
            columns.insert(min(later), name)
        else:
            columns.append(name)


def item_columns(report: GradeReport) -> list[str]:
    """One column per question (``q``) or part (``q.part``), in paper order.

    With ``--pick`` students have different questions; the columns are the union, with
    every paper's order kept.
    """
    columns: list[str] = []
    for student in report.students:
        _merge(columns, [_column(i) for i in student.items])
    return columns


def _student_status(student: StudentGrade) -> str:
    if student.status == "missing":
        return "missing"
    return "needs manual grading" if student.manual else "graded"


def _cell(item: ItemResult) -> str:
    return "" if item.status in ("manual", "missing") else _num(item.earned)


# --- CSV and JSON files ----------------------------------------------------------------------

GRADES_HEADER = ["id", "name", "status", "total", "max", "percent"]


def grades_csv(report: GradeReport) -> str:
    """``grades.csv``: one row per student, then the points earned on each item.

    A cell is empty when the item is not on the student's paper, still needs manual
    grading, or the student submitted nothing.
    """
    columns = item_columns(report)
    rows = [GRADES_HEADER + columns]
    blanks = [""] * len(columns)
    for s in report.students:
        if not s.items:  # no submission (a large class's key is not read for these)
            rows.append([s.student_id, s.name, _student_status(s), "0", _num(s.max), "0", *blanks])
            continue
        cells = {_column(i): _cell(i) for i in s.items}
        head = [s.student_id, s.name, _student_status(s), _num(s.total), _num(s.max)]
        rows.append(head + [_num(s.percent)] + [cells.get(c, "") for c in columns])
    return _csv(rows)


def _inert(text: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP "CSV injection")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rejected_csv(report: GradeReport) -> str:
    """``rejected.csv``: source, student, reason (only the header when nothing was rejected).

    Students write these values (a student id, a question name), so none may start a formula.
    """
    rows = [["source", "student", "reason"]]
    rows += [
        [_inert(r.source), _inert(r.student or ""), _inert(r.reason)] for r in report.rejections
    ]
    return _csv(rows)


TO_GRADE_HEADER = [
    "student",
    "question",
    "max",
    "score",
    "comment",
    "kind",
    "status",
    "response",
    "feedback",
]


def _to_grade_row(item: ItemResult, mark: HandMark | None) -> list[str]:
    return [
        _inert(item.student_id),
        _column(item),
        _num(item.points),
        _num(mark.earned) if mark else "",
        _inert(mark.comment) if mark else "",
        item.kind,
        mark.replaced_status if mark else item.status,
        _inert(response_text(item.response)),
        "" if mark else _inert(item.feedback),
    ]


def to_grade_csv(report: GradeReport) -> str:
    """``to-grade.csv``: every essay and every unreadable answer, ready for a person.

    A person fills in ``score`` (points, 0 to ``max``) and ``comment`` and passes the file
    to ``quizgen grade --overrides``. Items already marked are listed with their mark, so
    the file can be edited and passed again. Students write the responses, so no cell may
    start a spreadsheet formula.
    """
    marks = {(m.student_id, m.question_id, m.part_id): m for m in report.hand_marks}
    rows = [TO_GRADE_HEADER]
    for student in report.students:
        for item in student.items:
            mark = marks.get((item.student_id, item.question_id, item.part_id))
            if (mark.replaced_status if mark else item.status) in ("manual", "invalid"):
                rows.append(_to_grade_row(item, mark))
    return _csv(rows)


def timing_csv(report: GradeReport) -> str:
    """``timing.csv``: how long each check took (the one output that differs between runs)."""
    rows = [["student", "question", "part", "kind", "status", "method", "cached", "ms"]]
    for s in report.students:
        for i in s.items:
            if i.status in ("blank", "missing"):
                continue
            ms = f"{1000 * i.seconds:.3f}"
            cached = "yes" if i.cached else "no"
            rows.append(
                [s.student_id, i.question_id, i.part_id, i.kind, i.status, i.method, cached, ms]
            )
    return _csv(rows)


_NO_TIMING = {"students": {"__all__": {"items": {"__all__": {"seconds"}}}}}


def grading_json(report: GradeReport) -> str:
    """``grading.json``: the whole report except check times (so reruns are identical)."""
    return report.model_dump_json(indent=1, exclude=_NO_TIMING) + "\n"


def grading_json_bytes(report: GradeReport) -> bytes:
    """:func:`grading_json` as UTF-8, serialized straight to bytes (no text copy: at 10,000
    students the text alone is ~200 MB)."""
    return report.__pydantic_serializer__.to_json(report, indent=1, exclude=_NO_TIMING) + b"\n"


# --- gradebooks ------------------------------------------------------------------------------


def _max_points(report: GradeReport) -> float:
    return max((s.max for s in report.students), default=0.0)


def _lms_grade(student: StudentGrade) -> str:
    """The grade an LMS receives; blank for a missing submission (the instructor decides)."""
    return "" if student.status == "missing" else _num(student.total)


CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def canvas_csv(report: GradeReport, assignment: str) -> str:
    """A Canvas gradebook import file (Grades → Import).

    Layout, as Canvas's importer reads it (instructure/canvas-lms,
    ``app/models/gradebook_importer.rb``; Canvas Instructor Guide "How do I import grades in
    the Gradebook?", and Ohio State's "Import a CSV file to Carmen Grades"):

    * header ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>``: the importer
      wants ``Student`` then ``ID`` first and ``Section`` as the last student column;
      ``<assignment>`` is ``Name (id)`` to update an existing assignment, else a plain
      name, which creates a new one;
    * a ``Points Possible`` row, from which the importer sets a new assignment's points;
    * one row per student. Canvas matches a student by ID (Canvas's own user id, unknown
      here, left empty), then SIS User ID, then SIS Login ID, then name; quizgen writes the
      roster id as the SIS User ID and the roster name as Student.
    """
    rows = [
        [*CANVAS_HEADER, assignment],
        ["Points Possible", "", "", "", "", _num(_max_points(report))],
    ]
    for s in report.students:
        rows.append([s.name or s.student_id, "", s.student_id, "", "", _lms_grade(s)])
    return _csv(rows)


MOODLE_HEADER = ["ID number", "Full name"]


def moodle_csv(report: GradeReport, assignment: str) -> str:
    """A Moodle grade import file (Grades → Import → CSV file).

    Moodle maps columns when importing (MoodleDocs "Grade import"): choose *Map from*
    ``ID number`` and *Map to* ``useridnumber`` (or ``username``, if the roster ids are
    user names), then map the ``<assignment>`` column to a grade item or to a new one.
    Header: ``ID number,Full name,<assignment>``; the name is there for people and is
    ignored on import. No feedback column: importing one would overwrite the grade too.
    """
    rows = [[*MOODLE_HEADER, assignment]]
    rows += [[s.student_id, s.name, _lms_grade(s)] for s in report.students]
    return _csv(rows)


GRADEBOOKS: dict[str, Callable[[GradeReport, str], str]] = {
    "canvas": canvas_csv,
    "moodle": moodle_csv,
}


def gradebook_writer(name: str) -> Callable[[GradeReport, str], str]:
    """The function that writes gradebook ``name``.

    Raises:
        UsageError: no such gradebook (the message lists the valid names).
    """
    try:
        return GRADEBOOKS[name]
    except KeyError:
        valid = ", ".join(sorted(GRADEBOOKS))
        raise UsageError(f"unknown gradebook '{name}'; choose one of: {valid}") from None


#: Renders one student's feedback files: suffix (``.md``, ``.html``) → text.
FeedbackWriter = Callable[[Exam, Paper, StudentGrade], Mapping[str, str]]


# --- the folder ------------------------------------------------------------------------------


def write_grading(
    out: Path,
    exam: Exam,
    report: GradeReport,
    *,
    gradebook: str | None = None,
    assignment: str | None = None,
    feedback: FeedbackWriter | None = None,
    jobs: int = 1,
) -> list[Path]:
    """Write every output of a grading run into ``out`` (which must exist); return the paths.

    Feedback files are rendered in ``jobs`` processes (the files do not depend on it).

    ``feedback`` renders one student's feedback files (suffix → text, e.g.
    :func:`quizgen.render.feedback.feedback_files`). Feedback is written only for students
    who submitted: the solutions are not sent to a student who may still sit the exam.
    """
    build = gradebook_writer(gradebook) if gradebook else None
    files: dict[str, Callable[[], str | bytes]] = {
        "grades.csv": lambda: grades_csv(report),
        "grading.json": lambda: grading_json_bytes(report),
        "rejected.csv": lambda: rejected_csv(report),
        "to-grade.csv": lambda: to_grade_csv(report),
        "timing.csv": lambda: timing_csv(report),
    }
    if build is not None:
        files[f"gradebook-{gradebook}.csv"] = lambda: build(report, assignment or exam.title)
    written = []
    for name, render in files.items():  # one file's text in memory at a time
        data = render()
        write_bytes_atomic(out / name, data if isinstance(data, bytes) else data.encode())
        written.append(out / name)
    if feedback is not None:
        written.extend(_write_feedback(out, exam, report, feedback, jobs))
    return written


# --- feedback, by ranges of students, in processes -----------------------------------------

_FEEDBACK_CHUNK = 100  # students per task
_STATE: dict[str, Any] = {}  # what forked workers inherit (see quizgen.pool)


def _write_feedback(
    out: Path, exam: Exam, report: GradeReport, feedback: FeedbackWriter, jobs: int
) -> list[Path]:
    """Each submitting student's feedback files, written as they are rendered.

    Only the papers of those who submitted are read from the key: memory stays flat in the
    size of the class.
    """
    grades = {s.student_id: s for s in report.students if s.status != "missing"}
    rows = student_rows(exam)
    todo = [
        (row.student_id, stem)
        for row, stem in zip(rows, file_stems(r.student_id for r in rows), strict=True)
        if row.student_id in grades
    ]
    _STATE.update(out=out, exam=exam, grades=grades, feedback=feedback)
    tasks = [(todo[i : i + _FEEDBACK_CHUNK],) for i in range(0, len(todo), _FEEDBACK_CHUNK)]
    try:
        return [path for done in ordered_map(_feedback_range, tasks, jobs) for path in done]
    finally:
        _STATE.clear()


def _feedback_range(todo: list[tuple[str, str]]) -> list[Path]:
    out, exam, grades, feedback = (_STATE[k] for k in ("out", "exam", "grades", "feedback"))
    papers = papers_by_id(exam)
    written = []
    for student_id, stem in todo:
        for suffix, text in feedback(exam, papers[student_id], grades[student_id]).items():
            write_text_atomic(out / f"feedback/{stem}{suffix}", text)
            written.append(out / f"feedback/{stem}{suffix}")
    return written
