"""Hand grading: a person's marks, applied on top of the automatic verdicts.

``quizgen grade`` writes ``to-grade.csv`` (:func:`quizgen.grade.write.to_grade_csv`) with
every essay and every answer that could not be read (``invalid``), the student's text beside
each; a person fills in ``score`` (points earned, 0 to ``max``) and ``comment`` and passes
the file back with ``--overrides``. Each
mark replaces the item's verdict, is recorded in ``grading.json`` with who, when and why
(and the automatic verdict it replaced), and is applied again on every run, ``--regrade``
included, since the file is read each time. Reading the file is I/O; applying marks is pure.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

from quizgen.errors import UsageError, did_you_mean
from quizgen.grade.pipeline import GradeReport, HandMark, ItemResult, StudentGrade, item_name
from quizgen.grade.records import Rejection
from quizgen.inputs import (
    SUBMISSION_BYTES,
    CsvRecord,
    InputError,
    csv_header,
    csv_lines,
    csv_records,
    header_name,
    read_text,
)

__all__ = ["Mark", "MarkBook", "apply_marks", "read_marks"]

_NEEDED = ("student", "question", "score")


@dataclass(frozen=True)
class Mark:
    """One row of an overrides file: the points a person gives one item, and why."""

    student: str
    question: str  # "q" or "q.part"
    score: Decimal  # points earned
    comment: str
    grader: str
    graded_at: str
    source: str  # "file:line"


# --- reading ---------------------------------------------------------------------------------


def _who() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return ""


def _file_time(path: Path) -> str:
    stamp = datetime.fromtimestamp(os.stat(path).st_mtime, tz=timezone.utc)
    return stamp.replace(microsecond=0).isoformat()


def _columns(header: list[str], source: str) -> dict[str, int]:
    names = [header_name(h) for h in header]
    aliases = {"student id": "student", "id": "student", "graded at": "graded_at"}
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        columns.setdefault(aliases.get(name, name), i)
    missing = [c for c in _NEEDED if c not in columns]
    if missing:
        raise UsageError(
            f"{source}: no {', '.join(repr(c) for c in missing)} column in the first line",
            hint="use the to-grade.csv that `quizgen grade` wrote: student,question,max,score,…",
        )
    return columns


def _score(text: str) -> Decimal | str:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return f"score '{text.strip()}' is not a number of points (write 2.5, not 2,5)"
    if not value.is_finite() or value < 0:
        return f"score '{text.strip()}' must be a number of points, 0 or more"
    return value


def read_marks(path: Path) -> tuple[list[Mark], list[Rejection]]:
    """The marks of an overrides CSV, and a rejection for each row that cannot be used.

    Rows with an empty ``score`` are not graded yet and are skipped.

    Raises:
        UsageError: the file cannot be read or lacks a ``student``, ``question`` or
            ``score`` column.
    """
    try:
        text = read_text(Path(path), SUBMISSION_BYTES)
    except InputError as exc:
        raise UsageError(f"cannot read overrides {path}: {exc.message}", hint=exc.hint) from None
    lines = csv_lines(text.removeprefix("\ufeff"))
    if not lines:
        return [], []
    at, delimiter, header = csv_header(lines, lambda cells: "score" in map(header_name, cells))
    columns = _columns(header, str(path))
    defaults = {"grader": _who(), "graded_at": _file_time(Path(path))}
    marks, rejections = [], []
    for record in csv_records(lines, at + 1, delimiter, starts_row=lambda _line: False):
        found = _mark(record, columns, defaults, str(path))
        if isinstance(found, Mark):
            marks.append(found)
        elif found is not None:
            rejections.append(found)
    return marks, rejections


def _mark(
    record: CsvRecord, columns: dict[str, int], defaults: dict[str, str], path: str
) -> Mark | Rejection | None:
    where = f"{path}:{record.line}"
    if record.cells is None:
        return Rejection(source=where, reason=record.error)

    cells = record.cells

    def cell(name: str) -> str:
        i = columns.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    if not cell("score"):
        return None  # not graded yet
    score = _score(cell("score"))
    if isinstance(score, str):
        return Rejection(source=where, student=cell("student") or None, reason=score)
    return Mark(
        student=cell("student"),
        question=cell("question"),
        score=score,
        comment=cell("comment"),
        grader=cell("grader") or defaults["grader"],
        graded_at=cell("graded_at") or defaults["graded_at"],
        source=where,
    )


# --- applying --------------------------------------------------------------------------------


def _target(mark: Mark, student: StudentGrade | None, ids: Iterable[str]) -> tuple[int, int] | str:
    """The item index a mark applies to, or why it cannot apply."""
    if student is None:
        return f"unknown student '{mark.student}'" + did_you_mean(mark.student, ids)
    if student.status == "missing":
        return "no submission from this student: marks apply to submitted work"
    names = [item_name(i) for i in student.items]
    if mark.question not in names:
        return f"'{mark.question}' is not on this student's paper" + did_you_mean(
            mark.question, names
        )
    index = names.index(mark.question)
    points = Decimal(str(student.items[index].points))
    if mark.score > points:
        return f"score {mark.score} is more than the item's {points.normalize()} point(s)"
    return index


def _marked(item: ItemResult, mark: Mark) -> tuple[ItemResult, HandMark]:
    earned = float(mark.score)
    score = earned / item.points if item.points else 0.0
    record = HandMark(
        student_id=item.student_id,
        question_id=item.question_id,
        part_id=item.part_id,
        earned=earned,
        points=item.points,
        comment=mark.comment,
        grader=mark.grader,
        graded_at=mark.graded_at,
        source=mark.source,
        replaced_status=item.status,
        replaced_earned=item.earned,
    )
    shown = f"{earned:g} of {item.points:g} point(s), marked by hand"
    updated = item.model_copy(
        update={
            "status": "correct" if score >= 1 else "incorrect",
            "score": min(1.0, score),
            "earned": round(earned, 9),
            "feedback": f"{mark.comment}\n\n({shown})" if mark.comment else shown.capitalize(),
            "method": "hand",
            "cached": False,
        }
    )
    return updated, record


def _regraded(student: StudentGrade, items: list[ItemResult]) -> StudentGrade:
    total = round(sum(i.earned for i in items), 9)
    return student.model_copy(
        update={
            "items": items,
            "total": total,
            "percent": round(100 * total / student.max, 2) if student.max else 0.0,
            "manual": sum(i.status == "manual" for i in items),
        }
    )


class MarkBook:
    """Marks applied student by student, as a class is graded (see :func:`apply_marks`).

    Outcomes are kept in the order of the overrides file whatever the order of grading:
    :meth:`results` lists the marks applied and the rejections as one pass over the whole
    report would.
    """

    def __init__(self, marks: list[Mark], student_ids: Collection[str]) -> None:
        """Group ``marks`` by student; a mark for a student not in ``student_ids`` is
        rejected now."""
        self._by_student: dict[str, list[tuple[int, Mark]]] = {}
        self._outcomes: dict[int, HandMark | Rejection] = {}
        for at, mark in enumerate(marks):
            if mark.student in student_ids:
                self._by_student.setdefault(mark.student, []).append((at, mark))
            else:
                self._reject(at, mark, _target(mark, None, student_ids))

    def _reject(self, at: int, mark: Mark, reason: str) -> None:
        self._outcomes[at] = Rejection(source=mark.source, student=mark.student, reason=reason)

    def __bool__(self) -> bool:
        return bool(self._by_student or self._outcomes)

    def marks_of(self, student_id: str) -> bool:
        """Whether any mark names ``student_id``."""
        return student_id in self._by_student

    def apply(self, student: StudentGrade) -> tuple[StudentGrade, list[HandMark]]:
        """``student`` with their marks applied, and the marks applied to them."""
        todo = self._by_student.pop(student.student_id, [])
        if not todo:
            return student, []
        items = list(student.items)
        seen: dict[str, str] = {}
        applied = []
        for at, mark in todo:
            target = _target(mark, student, ())
            if isinstance(target, int) and mark.question in seen:
                first = seen[mark.question]
                target = f"a second mark for this item (the first, {first}, is applied)"
            if isinstance(target, str):
                self._reject(at, mark, target)
                continue
            seen[mark.question] = mark.source
            items[target], record = _marked(items[target], mark)
            self._outcomes[at] = record
            applied.append(record)
        return (_regraded(student, items) if applied else student), applied

    def apply_recorded(
        self, student: StudentGrade
    ) -> tuple[StudentGrade, list[HandMark], dict[int, HandMark | Rejection]]:
        """:meth:`apply`, and the outcome of each of the student's marks by its place in
        the file: what :meth:`record` takes (a copy of this book in another process applies
        the marks of the students it grades; this one records the outcomes)."""
        places = [at for at, _ in self._by_student.get(student.student_id, [])]
        marked, applied = self.apply(student)
        return marked, applied, {at: self._outcomes[at] for at in places}

    def record(self, student_id: str, outcomes: dict[int, HandMark | Rejection]) -> None:
        """Take the outcomes of ``student_id``'s marks as :meth:`apply_recorded` gave them."""
        self._by_student.pop(student_id, None)
        self._outcomes.update(outcomes)

    def results(self) -> tuple[list[HandMark], list[Rejection]]:
        """The marks applied and the marks rejected, in the order of the file."""
        outcomes = [self._outcomes[at] for at in sorted(self._outcomes)]
        applied = [o for o in outcomes if isinstance(o, HandMark)]
        return applied, [o for o in outcomes if isinstance(o, Rejection)]


def apply_marks(report: GradeReport, marks: list[Mark]) -> GradeReport:
    """``report`` with each mark replacing its item's verdict (pure).

    A mark that names an unknown student or item, a student without a submission, more
    points than the item has, or an item already marked, is a rejection instead.
    """
    book = MarkBook(marks, {s.student_id: None for s in report.students})
    students = [book.apply(s)[0] for s in report.students]
    applied, rejected = book.results()
    if not applied and not rejected:
        return report
    return report.model_copy(
        update={
            "students": students,
            "rejections": [*report.rejections, *rejected],
            "hand_marks": applied,
        }
    )
