"""Reading a CSV of submissions, one row per student, as forms tools and LMSs export it.

Each row gets its own verdict: a bad row is rejected and the rest are read. The student
column may be named ``student_id``, ``id`` or as forms tools and LMS exports name it
(``Student ID``, ``SIS User ID``, ``Username``…); the delimiter may be ``,``, ``;`` or a tab.
A quoted cell that is never closed is caught when it runs into rows of known students, so
those students are not silently merged into one cell.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from quizgen.errors import did_you_mean
from quizgen.grade.records import (
    Received,
    Rejection,
    Response,
    Submission,
    Submissions,
    pydantic_reason,
)
from quizgen.inputs import (
    ID_ALIASES,
    CsvRecord,
    csv_header,
    csv_lines,
    csv_records,
    header_name,
)
from quizgen.variant import ChoiceKey, Exam

__all__ = ["META_COLUMNS", "parse_csv_submissions"]

# Columns a forms tool or an LMS adds that are not answers (compared after header_name);
# anything else unknown is reported.
META_COLUMNS = {
    "timestamp",
    "name",
    "student",
    "full name",
    "first name",
    "last name",
    "email",
    "email address",
    "section",
    "section id",
    "score",
    "total score",
    "exam",
    "start time",
    "completion time",
    "last modified time",
    "submitted",
    "submitted at",
    "attempt",
    "integration id",
    *ID_ALIASES,  # the id columns not chosen as the student's
}
# Where a submission time may be (ISO 8601 only: '3/1/2025' is a different day in the US).
TIME_COLUMNS = ("submitted at", "timestamp", "completion time", "submitted")
_MULTI_SPLIT = re.compile(r"[,;]")


@dataclass(frozen=True)
class _Column:
    index: int
    question: str
    part: str = ""


@dataclass(frozen=True)
class _Layout:
    id_col: int
    exam_col: int | None
    time_col: int | None
    columns: list[_Column]
    multi: set[tuple[str, str]]


def _question_parts(exam: Exam) -> dict[str, set[str]]:
    """Every question id in the exam → the union of its part ids."""
    found: dict[str, set[str]] = {}
    for paper in exam.papers:
        for v in paper.variants:
            found.setdefault(v.question_id, set()).update(p.id for p in v.parts)
    return found


def _classify(header: str, known: Mapping[str, set[str]]) -> tuple[str, str] | str | None:
    """(question, part) for an answer column, a reason for a bad one, None to ignore it."""
    name = header.strip()
    if name in known:
        return name, ""
    qid, dot, part = name.rpartition(".")
    if dot and qid in known:
        if part in known[qid]:
            return qid, part
        return f"column '{name}': question '{qid}' has no part '{part}'" + did_you_mean(
            part, known[qid]
        )
    if header_name(name) in META_COLUMNS or not name:
        return None
    names = [*known, *(f"{q}.{p}" for q, parts in known.items() for p in parts)]
    return f"column '{name}' is not a question of this exam" + did_you_mean(name, names)


def _id_candidates(header: list[str]) -> list[int]:
    """Columns that may hold the student id, the documented names first."""
    names = [header_name(h) for h in header]
    found = [(ID_ALIASES.index(n), i) for i, n in enumerate(names) if n in ID_ALIASES]
    return [i for _, i in sorted(found)]


def _choose_id(
    header: list[str], candidates: list[int], records: list[CsvRecord], students: set[str]
) -> int | str:
    """The id column: the only candidate, ``student_id``, or the one whose values are ids.

    A forms export may hold several (a response number ``ID`` beside ``Student ID``, or
    Canvas's own ``id`` beside ``sis_id``); the one whose cells name this exam's students
    is meant. Returns a reason when two match equally well.
    """
    first = candidates[0]
    if len(candidates) == 1 or header_name(header[first]) == "student id":
        return first

    def hits(col: int) -> int:
        return sum(
            1
            for r in records
            if r.cells is not None and col < len(r.cells) and r.cells[col].strip() in students
        )

    counts = {col: hits(col) for col in candidates}
    best = max(counts.values())
    winners = [col for col in candidates if counts[col] == best]
    if best == 0 or len(winners) == 1:
        return winners[0] if best else first
    listed = ", ".join(f"'{header[c].strip()}'" for c in winners)
    return f"columns {listed} both hold ids of this exam's students"


def _layout(header: list[str], id_col: int, exam: Exam, source: str) -> tuple[_Layout, list]:
    names = [header_name(h) for h in header]
    exam_col = names.index("exam") if "exam" in names else None
    time_col = next((names.index(n) for n in TIME_COLUMNS if n in names), None)
    known = _question_parts(exam)
    columns, rejections = [], []
    for i, name in enumerate(header):
        if i in (id_col, exam_col, time_col):
            continue
        kind = _classify(name, known)
        if isinstance(kind, tuple):
            columns.append(_Column(i, *kind))
        elif isinstance(kind, str):
            rejections.append(Rejection(source=source, reason=kind))
    return _Layout(id_col, exam_col, time_col, columns, _multi_items(exam)), rejections


def _multi_items(exam: Exam) -> set[tuple[str, str]]:
    return {
        (v.question_id, part_id)
        for paper in exam.papers
        for v in paper.variants
        for part_id, key, _ in v.gradable()
        if isinstance(key, ChoiceKey) and key.kind == "multi"
    }


def _cell(value: str, multi: bool) -> Response:
    text = value.strip()
    if not text:
        return None
    if multi:
        return [x.strip() for x in _MULTI_SPLIT.split(text) if x.strip()]
    return text


def _time(cells: list[str], col: int | None) -> datetime | None:
    """The row's submission time if its cell is ISO 8601; any other form is ignored."""
    if col is None or col >= len(cells):
        return None
    try:
        return datetime.fromisoformat(cells[col].strip())
    except ValueError:
        return None


def _row_submission(cells: list[str], layout: _Layout) -> Submission:
    answers: dict[str, Any] = {}
    for col in layout.columns:
        value = cells[col.index] if col.index < len(cells) else ""
        response = _cell(value, (col.question, col.part) in layout.multi)
        if col.part:
            answers.setdefault(col.question, {})[col.part] = response
        elif response is not None or col.question not in answers:
            answers[col.question] = response
    exam_col = layout.exam_col
    exam_value = cells[exam_col].strip() if exam_col is not None and exam_col < len(cells) else ""
    return Submission(
        student_id=cells[layout.id_col].strip(),
        exam=exam_value or None,
        submitted_at=_time(cells, layout.time_col),
        answers=answers,
    )


def _row(record: CsvRecord, layout: _Layout, source: str) -> Received | Rejection | None:
    """The verdict on one row; None for a blank one."""
    where = f"{source}:{record.line}"
    cells = record.cells
    if cells is None:
        return Rejection(source=where, reason=record.error)
    if not any(cell.strip() for cell in cells):
        return None
    student = cells[layout.id_col].strip()[:200] if layout.id_col < len(cells) else ""
    if not student:
        return Rejection(source=where, reason="empty student id")
    if any("\x00" in cell for cell in cells):
        reason = "a NUL character in the row: is the file binary, or damaged?"
        return Rejection(source=where, student=student, reason=reason)
    try:
        return Received(_row_submission(cells, layout), where)
    except ValidationError as exc:
        return Rejection(source=where, student=student, reason=pydantic_reason(exc))


def _no_id_column(header: list[str], delimiter: str) -> str:
    shown = "tab" if delimiter == "\t" else f"'{delimiter}'"
    return (
        f"no 'student_id' (or 'id') column in the first line (read with {shown} between "
        f"columns: {', '.join(repr(h.strip()) for h in header[:6])}"
        f"{' …' if len(header) > 6 else ''}); name the column of student ids 'student_id'"
    )


def parse_csv_submissions(text: str, source: str, exam: Exam) -> Submissions:
    """Submissions from the text of a CSV file, one row per student.

    The exam tells answer columns (``question`` or ``question.part``) from the columns a
    forms tool adds; a multi question's cell is split on commas or semicolons. Every row
    gets its own verdict, with its line (``file:7``) as the source.
    """
    lines = csv_lines(text.removeprefix("\ufeff"))
    if not any(line.strip() for line in lines):
        return Submissions(rejections=[Rejection(source=source, reason="the CSV file is empty")])
    at, delimiter, header = csv_header(lines, lambda cells: bool(_id_candidates(cells)))
    head = f"{source}:{at + 1}"
    candidates = _id_candidates(header)
    if not candidates:
        return Submissions(
            rejections=[Rejection(source=head, reason=_no_id_column(header, delimiter))]
        )
    students = {p.student_id for p in exam.papers}
    records = list(
        csv_records(lines, at + 1, delimiter, _row_start(candidates, delimiter, students))
    )
    id_col = _choose_id(header, candidates, records, students)
    if isinstance(id_col, str):
        reason = f"{id_col}: rename the one that holds the student ids to 'student_id'"
        return Submissions(rejections=[Rejection(source=head, reason=reason)])
    layout, rejections = _layout(header, id_col, exam, head)
    out = Submissions(rejections=rejections)
    for record in records:
        found = _row(record, layout, source)
        if isinstance(found, Received):
            out.received.append(found)
        elif found is not None:
            out.rejections.append(found)
    return out


def _row_start(candidates: list[int], delimiter: str, students: set[str]) -> Callable[[str], bool]:
    """A test for whether a line, alone, is a row of a known student (see csv_records)."""

    def starts_row(line: str) -> bool:
        cells = next(csv.reader([line], delimiter=delimiter), [])
        return any(c < len(cells) and cells[c].strip() in students for c in candidates)

    return starts_row
