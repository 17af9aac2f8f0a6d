"""Read an LMS's own quiz response report: one row per student, one response per question.

Two reports, both downloaded by the instructor from the quiz:

* **Canvas** (classic quizzes) *Quiz Statistics → Student Analysis* CSV, as
  ``Quizzes::QuizStatistics::StudentAnalysis#to_csv`` writes it: ``name, id, [sis_id],
  [root_account], section, section_id, [section_sis_id], submitted, [attempt]``, then for
  every question a student saw a ``<question id>: <question text, tags stripped>`` column
  (the response, HTML turned into text) and a points column headed by its points possible,
  then ``n correct, n incorrect, score``. A question drawn from a group gets its own pair of
  columns; the cells of students who did not draw it are both empty.
* **Moodle** quiz *Results → Responses* report, downloaded as CSV with *Question text* and
  *Response* shown: the user columns (``Last name``/``Surname``, ``First name``, the identity
  fields such as ``Email address`` or ``ID number``), ``Status``/``State``, ``Started on``,
  ``Completed``, ``Time taken``/``Duration``, ``Grade/<max>``, then per slot ``Question N``
  (the question's summary), ``Response N`` and, if shown, ``Right answer N``.

Unknown columns are reported (never read as something else), and so is every row that cannot
name its student or is superseded by a later attempt of the same student.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from quizgen.errors import UsageError
from quizgen.grade.records import Rejection

__all__ = ["Answer", "LmsReport", "Row", "Student", "read_canvas", "read_moodle", "read_report"]


@dataclass(frozen=True)
class Student:
    """Who a row belongs to, with the ids the LMS's gradebook import matches on."""

    key: str  # the id graded under: Canvas's user id; Moodle's email, ID number or username
    name: str
    ids: tuple[tuple[str, str], ...] = ()  # other columns worth writing back (sis_id, …)


@dataclass(frozen=True)
class Answer:
    """One response cell and the question text that the report shows for it."""

    column: str  # the response column's header, for messages
    question: str
    response: str


@dataclass(frozen=True)
class Row:
    source: str  # file:line
    student: Student
    answers: tuple[Answer, ...]


@dataclass
class LmsReport:
    """A report's usable rows and what was refused in it."""

    lms: str
    key_column: str
    rows: list[Row] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def reject(self, source: str, reason: str, student: str | None = None) -> None:
        self.rejections.append(Rejection(source=source, reason=reason, student=student))


def _table(text: str, source: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        rows = list(reader)
    except csv.Error as exc:  # e.g. a cell over the csv module's size limit
        raise UsageError(
            f"{source}:{reader.line_num}: not a CSV report the LMS wrote ({exc})"
        ) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise UsageError(f"{source} is empty: expected the LMS's response report (CSV)")
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- Canvas ----------------------------------------------------------------------------------

CANVAS_COLUMNS = (
    "name", "id", "sis_id", "root_account", "section", "section_id", "section_sis_id",
    "submitted", "attempt", "n correct", "n incorrect", "score",
)  # fmt: skip
_CANVAS_QUESTION = re.compile(r"^([0-9]+): (.*)$", re.S)
_CANVAS_IDS = ("sis_id", "section")


def read_canvas(text: str, source: str) -> LmsReport:
    """Read a Canvas "Student Analysis" CSV.

    Raises:
        UsageError: the file is empty or has no ``id`` column (an anonymous survey's report
            cannot be graded per student).
    """
    table = _table(text, source)
    header = table[0]
    report = LmsReport("canvas", "id")
    fixed: dict[str, int] = {}
    questions: list[tuple[int, str]] = []  # (response column, question text)
    i = 0
    while i < len(header):
        name = header[i]
        found = _CANVAS_QUESTION.match(name)
        if found and i + 1 < len(header) and _is_number(header[i + 1]):
            questions.append((i, found.group(2)))
            i += 2
            continue
        if name in CANVAS_COLUMNS and name not in fixed:
            fixed[name] = i
        else:
            report.reject(f"{source}:1", f"unknown column {name!r} (column {i + 1}); ignored")
        i += 1
    if "id" not in fixed:
        raise UsageError(
            f"{source} has no 'id' column: not a Canvas Student Analysis report of a graded quiz"
        )
    latest: dict[str, tuple[int, Row]] = {}
    for line, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = _canvas_row(cells, fixed, questions, header, f"{source}:{line}", report)
        if row is None:
            continue
        attempt = _cell(cells, fixed.get("attempt"))
        number = int(attempt) if attempt.isdigit() else line
        _keep_latest(latest, row, number, report)
    report.rows = [row for _, row in latest.values()]
    return report


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index].strip() if index is not None and index < len(cells) else ""


def _canvas_row(
    cells: list[str],
    fixed: dict[str, int],
    questions: list[tuple[int, str]],
    header: list[str],
    source: str,
    report: LmsReport,
) -> Row | None:
    if len(cells) != len(header):
        report.reject(source, f"{len(cells)} cells where the header has {len(header)}")
        return None
    key = _cell(cells, fixed["id"])
    if not key:
        report.reject(source, "no Canvas user id (a logged-out or anonymous attempt)")
        return None
    ids = tuple((n, _cell(cells, fixed.get(n))) for n in _CANVAS_IDS if n in fixed)
    student = Student(key=key, name=_cell(cells, fixed.get("name")), ids=ids)
    answers = tuple(
        Answer(column=header[i], question=text, response=cells[i])
        for i, text in questions
        if cells[i + 1].strip()  # a points cell is empty only where the student had no such item
    )
    return Row(source=source, student=student, answers=answers)


def _keep_latest(latest: dict[str, tuple[int, Row]], row: Row, number: int, report: LmsReport):
    """Keep the highest-numbered attempt of each student; report the others."""
    key = row.student.key
    if key in latest:
        old_number, old = latest[key]
        dropped, kept = (old, row) if number >= old_number else (row, old)
        latest[key] = (max(number, old_number), kept)
        report.reject(dropped.source, f"superseded: a later attempt ({kept.source}) is graded", key)
    else:
        latest[key] = (number, row)


# --- Moodle ----------------------------------------------------------------------------------

MOODLE_COLUMNS = (
    "Last name", "Surname", "First name", "Email address", "ID number", "Username",
    "Institution", "Department", "Phone", "Mobile phone", "City/town", "Country",
    "Status", "State", "Started on", "Started", "Completed", "Time taken", "Duration",
)  # fmt: skip
MOODLE_KEYS = ("Email address", "ID number", "Username")  # what the gradebook import maps
_MOODLE_SLOT = re.compile(r"^(Question|Response|Right answer) ([0-9]+)$")
_MOODLE_GRADE = re.compile(r"^Grade/[0-9.,]+$")
NO_RESPONSE = "-"  # what the report shows for a question left unanswered


def read_moodle(text: str, source: str) -> LmsReport:
    """Read a Moodle quiz "Responses" report downloaded as CSV.

    Raises:
        UsageError: no identity column to match students on, or responses without the
            question text that tells which variant each student drew.
    """
    table = _table(text, source)
    header = [h.strip() for h in table[0]]
    fixed, slots, unknown = _moodle_columns(header)
    key_column = next((k for k in MOODLE_KEYS if k in fixed), None)
    if key_column is None:
        raise UsageError(
            f"{source} has none of the columns {', '.join(MOODLE_KEYS)} to match students on",
            hint="show an identity field (Site administration → Users → Show user identity)",
        )
    report = LmsReport("moodle", key_column)
    for i in unknown:
        report.reject(f"{source}:1", f"unknown column {header[i]!r} (column {i + 1}); ignored")
    pairs = _moodle_pairs(slots, source)
    latest: dict[str, tuple[int, Row]] = {}
    for line, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = _moodle_row(cells, header, fixed, pairs, key_column, f"{source}:{line}", report)
        if row is not None:
            _keep_latest(latest, row, line, report)
    report.rows = [row for _, row in latest.values()]
    return report


def _moodle_columns(header: list[str]) -> tuple[dict[str, int], dict[tuple[str, int], int], list]:
    fixed: dict[str, int] = {}
    slots: dict[tuple[str, int], int] = {}
    unknown = []
    for i, name in enumerate(header):
        slot = _MOODLE_SLOT.match(name)
        if slot:
            slots[slot.group(1), int(slot.group(2))] = i
        elif name in MOODLE_COLUMNS and name not in fixed:
            fixed[name] = i
        elif _MOODLE_GRADE.match(name) and "grade" not in fixed:
            fixed["grade"] = i
        else:
            unknown.append(i)
    return fixed, slots, unknown


def _moodle_pairs(slots: dict[tuple[str, int], int], source: str) -> list[tuple[int, int, int]]:
    """(slot, question column, response column) for every slot with both."""
    numbers = sorted({n for kind, n in slots if kind == "Response"})
    if not numbers:
        raise UsageError(f"{source} has no 'Response N' columns: not a Moodle Responses report")
    missing = [n for n in numbers if ("Question", n) not in slots]
    if missing:
        raise UsageError(
            f"{source} has no 'Question {missing[0]}' column: the question text tells which "
            "variant each student drew",
            hint="in the Responses report tick 'Question text' and 'Response', then download",
        )
    return [(n, slots["Question", n], slots["Response", n]) for n in numbers]


def _moodle_row(
    cells: list[str],
    header: list[str],
    fixed: dict[str, int],
    pairs: list[tuple[int, int, int]],
    key_column: str,
    source: str,
    report: LmsReport,
) -> Row | None:
    if len(cells) != len(header):
        report.reject(source, f"{len(cells)} cells where the header has {len(header)}")
        return None
    key = _cell(cells, fixed[key_column])
    if not key:
        shown = " ".join(c for c in cells[:2] if c.strip()) or "this row"
        report.reject(source, f"no {key_column} for {shown!r} (not a student's attempt)")
        return None
    last = _cell(cells, fixed.get("Last name", fixed.get("Surname")))
    name = " ".join(p for p in (_cell(cells, fixed.get("First name")), last) if p)
    answers = tuple(
        Answer(
            column=header[r],
            question=cells[q],
            response="" if cells[r].strip() == NO_RESPONSE else cells[r],
        )
        for _, q, r in pairs
        if cells[q].strip()
    )
    return Row(source=source, student=Student(key=key, name=name), answers=answers)


READERS = {"canvas": read_canvas, "moodle": read_moodle}


def read_report(lms: str, text: str, source: str) -> LmsReport:
    """Read ``lms``'s response report.

    Raises:
        UsageError: an unknown LMS name, or a report that cannot be read (says why).
    """
    reader = READERS.get(lms)
    if reader is None:
        raise UsageError(f"unknown LMS '{lms}' (valid: {', '.join(sorted(READERS))})")
    return reader(text, source)
