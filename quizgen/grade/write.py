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
import functools
import io
import multiprocessing
import os
import re
import signal
import tempfile
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain, compress, count, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from pydantic_core import to_json

from quizgen.errors import UsageError
from quizgen.grade.overrides import Mark, MarkBook
from quizgen.grade.pipeline import (
    RUN,
    GradeReport,
    GradeRun,
    HandMark,
    ItemResult,
    StudentGrade,
    missing_grade,
    response_text,
)
from quizgen.keyfile import StudentRow, papers_by_id, student_rows
from quizgen.output import file_stems, write_staged, write_text_atomic
from quizgen.pool import default_jobs
from quizgen.variant import Exam, Paper, assembled

__all__ = [
    "GRADEBOOKS",
    "GradebookRow",
    "GradingFolder",
    "GradingSummary",
    "canvas_csv",
    "grade_into",
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


_NO_CELL = ("manual", "missing")


def _cell(item: ItemResult) -> str:
    return "" if item.status in _NO_CELL else _num(item.earned)


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


def _to_grade_rows(
    student: StudentGrade, marks: Mapping[tuple[str, str], HandMark]
) -> list[list[str]]:
    rows = []
    for item in student.items:
        mark = marks.get((item.question_id, item.part_id)) if marks else None
        if (mark.replaced_status if mark else item.status) in ("manual", "invalid"):
            rows.append(_to_grade_row(item, mark))
    return rows


def _marks_by_student(
    report: GradeReport,
) -> dict[str, dict[tuple[str, str], HandMark]]:
    found: dict[str, dict[tuple[str, str], HandMark]] = {}
    for m in report.hand_marks:
        found.setdefault(m.student_id, {})[(m.question_id, m.part_id)] = m
    return found


def to_grade_csv(report: GradeReport) -> str:
    """``to-grade.csv``: every essay and every unreadable answer, ready for a person.

    A person fills in ``score`` (points, 0 to ``max``) and ``comment`` and passes the file
    to ``quizgen grade --overrides``. Items already marked are listed with their mark, so
    the file can be edited and passed again. Students write the responses, so no cell may
    start a spreadsheet formula.
    """
    marks = _marks_by_student(report)
    rows = [TO_GRADE_HEADER]
    for student in report.students:
        rows += _to_grade_rows(student, marks.get(student.student_id, {}))
    return _csv(rows)


TIMING_HEADER = ["student", "question", "part", "kind", "status", "method", "cached", "ms"]


def _timing_rows(student: StudentGrade) -> list[list[str]]:
    rows = []
    for i in student.items:
        if i.status in ("blank", "missing"):
            continue
        ms = f"{1000 * i.seconds:.3f}"
        cached = "yes" if i.cached else "no"
        rows.append(
            [student.student_id, i.question_id, i.part_id, i.kind, i.status, i.method, cached, ms]
        )
    return rows


def timing_csv(report: GradeReport) -> str:
    """``timing.csv``: how long each check took (the one output that differs between runs)."""
    return _csv([TIMING_HEADER, *(row for s in report.students for row in _timing_rows(s))])


_NO_TIMING = {"students": {"__all__": {"items": {"__all__": {"seconds"}}}}}


def grading_json(report: GradeReport) -> str:
    """``grading.json``: the whole report except check times (so reruns are identical)."""
    return report.model_dump_json(indent=1, exclude=_NO_TIMING) + "\n"


def grading_json_bytes(report: GradeReport) -> bytes:
    """:func:`grading_json` as UTF-8, serialized straight to bytes (no text copy: at 10,000
    students the text alone is ~200 MB)."""
    return report.__pydantic_serializer__.to_json(report, indent=1, exclude=_NO_TIMING) + b"\n"


# --- gradebooks ------------------------------------------------------------------------------


class GradebookRow(NamedTuple):
    """What a gradebook needs of one student."""

    student_id: str
    name: str
    grade: str  # the LMS's grade cell: blank for a missing submission


def _max_points(report: GradeReport) -> float:
    return max((s.max for s in report.students), default=0.0)


def _lms_grade(student: StudentGrade) -> str:
    """The grade an LMS receives; blank for a missing submission (the instructor decides)."""
    return "" if student.status == "missing" else _num(student.total)


def _gradebook_rows(report: GradeReport) -> list[GradebookRow]:
    return [GradebookRow(s.student_id, s.name, _lms_grade(s)) for s in report.students]


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
    return _canvas(_gradebook_rows(report), _max_points(report), assignment)


def _canvas(students: Iterable[GradebookRow], points: float, assignment: str) -> str:
    rows = [
        [*CANVAS_HEADER, assignment],
        ["Points Possible", "", "", "", "", _num(points)],
    ]
    for s in students:
        rows.append([s.name or s.student_id, "", s.student_id, "", "", s.grade])
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
    return _moodle(_gradebook_rows(report), _max_points(report), assignment)


def _moodle(students: Iterable[GradebookRow], points: float, assignment: str) -> str:
    rows = [[*MOODLE_HEADER, assignment]]
    rows += [[s.student_id, s.name, s.grade] for s in students]
    return _csv(rows)


GRADEBOOKS: dict[str, Callable[[GradeReport, str], str]] = {
    "canvas": canvas_csv,
    "moodle": moodle_csv,
}
#: The same gradebooks from their rows (id, name, grade) and the points possible.
_GRADEBOOK_ROWS: dict[str, Callable[[Iterable[GradebookRow], float, str], str]] = {
    "canvas": _canvas,
    "moodle": _moodle,
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


# --- the folder, student by student ----------------------------------------------------------

_NO_SECONDS = {"items": {"__all__": {"seconds"}}}
_STUDENTS = b'"students": []'


def _student_json(student: StudentGrade) -> bytes:
    """One student's entry in ``grading.json``, indented as it stands in the whole report.

    JSON strings escape their line breaks, so every line break is between tokens.
    """
    data = student.__pydantic_serializer__.to_json(student, indent=1, exclude=_NO_SECONDS)
    return b"  " + data.replace(b"\n", b"\n  ")


_ITEM_TEXTS = 50_000  # items' JSON kept (a few hundred bytes each); past it, afresh
_item_texts: dict[tuple[Any, ...], bytes] = {}  # an item's values but its student → its JSON
_ITEM_HEAD = b'    {\n     "student_id": '


def _item_json(item: ItemResult) -> bytes:
    """The item's entry in its student's entry (:func:`_student_json`) after its student
    id: pydantic's own dump, made once for all the students who gave the same answer (an
    item's values, its student's id aside, recur for most of a class)."""
    values = item.__dict__
    response = values["response"]
    key = (
        *_ITEM_KEY(values),
        type(response),
        tuple(response) if type(response) is list else response,
    )
    found = _item_texts.get(key)
    if found is None:
        data = item.__pydantic_serializer__.to_json(item, indent=1, exclude={"seconds"})
        data = b"    " + data.replace(b"\n", b"\n    ")
        found = data.split(b"\n", 2)[2]  # after '    {' and the student id's line
        if len(_item_texts) >= _ITEM_TEXTS:
            _item_texts.clear()
        _item_texts[key] = found
    return found


#: Every field of an item but its student, response (may be a list) and time, with the
#: types of the numbers (1 == 1.0 == True as keys, not as JSON).
_ITEM_KEY = itemgetter(
    *(f for f in ItemResult.model_fields if f not in ("student_id", "response", "seconds"))
)


def _student_json_quick(student: StudentGrade) -> bytes:
    """:func:`_student_json`, the items' JSON made once per distinct item (see
    :func:`_item_json`) and the student's own fields put around them: the same bytes."""
    if not student.items or not all(type(v) is float for v in _NUMBERS(student.__dict__)):
        return _student_json(student)
    sid = _json_text(student.student_id).encode()
    head = b",\n".join(_ITEM_HEAD + sid + b",\n" + _item_json(i) for i in student.items)
    source = student.source
    fields = (
        b'  {\n   "student_id": ' + sid,
        b'   "name": ' + _json_text(student.name).encode(),
        b'   "number": ' + str(student.number).encode(),
        b'   "status": ' + _json_text(student.status).encode(),
        b'   "source": ' + (b"null" if source is None else _json_text(source).encode()),
        b'   "total": ' + _float_json(student.total).encode(),
        b'   "max": ' + _float_json(student.max).encode(),
        b'   "percent": ' + _float_json(student.percent).encode(),
        b'   "manual": ' + str(student.manual).encode(),
        b'   "items": [\n' + head + b"\n   ]\n  }",
    )
    return b",\n".join(fields)


_NUMBERS = itemgetter("total", "max", "percent")


_MISSING_JSON = (
    "  {\n"
    '   "student_id": %s,\n'
    '   "name": %s,\n'
    '   "number": %d,\n'
    '   "status": "missing",\n'
    '   "source": null,\n'
    '   "total": 0.0,\n'
    '   "max": %s,\n'
    '   "percent": 0.0,\n'
    '   "manual": 0,\n'
    '   "items": []\n'
    "  }"
)


def _plainly_missing(student: StudentGrade) -> bool:
    return (
        student.status == "missing"
        and not student.items
        and student.source is None
        and student.total == 0.0
        and student.percent == 0.0
        and student.manual == 0
    )


_PLAIN_TEXT = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII but " and \


def _json_text(text: str) -> str:
    """``text`` as a JSON string, as pydantic writes it (quoted as is when nothing needs
    escaping, the usual student id)."""
    if _PLAIN_TEXT.fullmatch(text):
        return f'"{text}"'
    return to_json(text).decode()


@functools.lru_cache(maxsize=256)
def _float_json(value: float) -> str:
    return to_json(value).decode()


_cached_num = functools.lru_cache(maxsize=256)(_num)
_SAFE_IDS = re.compile(r"[A-Za-z0-9._\n-]*")
_EDGES = ("\n.", "\n_", ".\n", "_\n")  # an id that starts or ends with . or _ (inner ones)


def _unique_folded(joined: str, ids: list[str]) -> bool:
    """Whether ``ids`` (``joined`` by line breaks) stay unique with case folded."""
    lowered = joined.lower()
    if lowered == joined:  # no capitals (the usual roster): the ids' own hashes serve
        return len(set(ids)) == len(ids)
    return len(set(lowered.split("\n"))) == len(ids)


def _stems(ids: list[str]) -> list[str]:
    """:func:`~quizgen.output.file_stems` of ``ids``; at once when every id is already a
    unique file-safe stem (the usual roster: 100,000 ids checked in a few ms)."""
    joined = "\n".join(ids)
    plain = (
        all(ids)
        and joined.count("\n") == len(ids) - 1  # no id holds a line break
        and _SAFE_IDS.fullmatch(joined) is not None
        and joined[0] not in "._"  # joined is not empty: all(ids)
        and joined[-1] not in "._"
        and not any(edge in joined for edge in _EDGES)
        and max(map(len, ids), default=0) <= 80
        and _unique_folded(joined, ids)
    )
    return list(ids) if plain else file_stems(ids)


_MISSING_PIECES = re.split("%[sd]", _MISSING_JSON)  # around: id, name, number, max


def _missing_blocks(rows: Sequence[StudentRow], most: list[float]) -> str:
    """``",\n" + _MISSING_JSON % (id, name, number, max)`` of each row, joined: pieces
    put together in C, not 100,000 formattings (the usual ids and names need no escape)."""
    ids, names = [r.student_id for r in rows], [r.name for r in rows]
    plain = _PLAIN_TEXT.fullmatch("".join(ids)) and _PLAIN_TEXT.fullmatch("".join(names))
    q = '"' if plain else ""  # plain: quoted as pydantic quotes them, as they are
    before_id, before_name, before_number, before_max, end = _MISSING_PIECES
    pieces = zip(
        repeat(",\n" + before_id + q),
        ids if plain else map(_json_text, ids),
        repeat(q + before_name + q),
        names if plain else map(_json_text, names),
        repeat(q + before_number),
        map(str, map(_NUMBER, rows)),
        repeat(before_max),
        _each_formatted(most, _float_json),
        repeat(end),
    )
    return "".join(chain.from_iterable(pieces))


_NUMBER = itemgetter(3)  # StudentRow.number


def _each_formatted(values: list[float], form: Callable[[float], str]) -> list[str]:
    """``[form(v) for v in values]``, each distinct value formatted once."""
    done = {v: form(v) for v in set(values)}
    return list(map(done.__getitem__, values))


def _maxima(rows: Sequence[StudentRow]) -> list[float]:
    """Each row's points as :func:`~quizgen.grade.pipeline.missing_grade` rounds them
    (a class has a handful of distinct totals: each is rounded once)."""
    points = [r.points for r in rows]
    rounded = {p: round(float(p), 9) for p in set(points)}
    return [rounded[p] for p in points]


_CSV_PLAIN = re.compile(r'[^,"\r\n]*')  # a cell that no csv writer quotes


def _missing_csv(rows: Sequence[StudentRow], columns: int) -> str:
    """The grades.csv lines of students without a submission: what ``csv.writer`` writes
    of ``[id, name, "missing", "0", max, "0", "", …]`` with ``columns`` blank cells."""
    ids, names = [r.student_id for r in rows], [r.name for r in rows]
    most = _each_formatted(_maxima(rows), _num)
    blanks = "," * columns
    if not (_CSV_PLAIN.fullmatch("".join(ids)) and _CSV_PLAIN.fullmatch("".join(names))):
        buffer = io.StringIO()
        cells = [""] * columns
        csv.writer(buffer, lineterminator="\n").writerows(
            [i, n, "missing", "0", m, "0", *cells] for i, n, m in zip(ids, names, most, strict=True)
        )
        return buffer.getvalue()
    pieces = zip(ids, repeat(","), names, repeat(",missing,0,"), most, repeat(f",0{blanks}\n"))
    return "".join(chain.from_iterable(pieces))


def _missing_json(student: StudentGrade) -> bytes:
    """:func:`_student_json` of a student without a submission, without pydantic's walk of
    the model (a large class's key lists 100,000 of them): the same bytes."""
    ident, name = to_json(student.student_id).decode(), to_json(student.name).decode()
    return (_MISSING_JSON % (ident, name, student.number, _float_json(student.max))).encode()


class _Staged:
    """A file written in pieces under a hidden temporary name, renamed into place when done
    (so a failed run never leaves half a file where a whole one is expected)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self.tmp = Path(tmp)
        self.handle = os.fdopen(fd, "wb", buffering=1 << 20)

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def done(self) -> Path:
        self.handle.close()
        os.chmod(self.tmp, 0o666 & ~_umask())
        os.replace(self.tmp, self.path)
        return self.path

    def drop(self) -> None:
        self.handle.close()
        self.tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_STATE: dict[str, Any] = {}  # what forked workers inherit (see quizgen.pool)


class _Feedback:
    """The feedback files of the students added to a :class:`GradingFolder`, rendered and
    written as each one comes (ranges of a class rendered in workers: :func:`grade_into`)."""

    def __init__(self, out: Path, exam: Exam, feedback: FeedbackWriter, staged: bool) -> None:
        self.out, self.exam, self.feedback, self.staged = out, exam, feedback, staged
        self.stems: dict[str, str] | None = None
        self.papers: Any = None
        self.written: list[Path] = []

    def add(self, student: StudentGrade, paper: Paper | None) -> None:
        if self.stems is None:  # the first student with feedback: every id's file stem
            self.stems = _feedback_stems(self.out, student_rows(self.exam))
        todo = [(self.stems[student.student_id], student, paper)]
        self.written += _feedback_range(
            self.out, self.exam, self.feedback, todo, self._papers, self.staged
        )

    def _papers(self) -> Any:
        if self.papers is None:  # only for a student added without their paper
            self.papers = papers_by_id(self.exam)
        return self.papers


def _quiet() -> None:
    """Ctrl-C is the parent's to handle (it stops the work and removes the staged files)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _feedback_range(
    out: Path,
    exam: Exam,
    feedback: FeedbackWriter,
    todo: list[tuple[str, StudentGrade, Paper | None]],
    papers: Callable[[], Any],
    staged: bool = False,
) -> list[Path]:
    """Write the feedback files of ``todo`` (stem, grade, and the paper or None: then it is
    read through ``papers()``, a mapping id → paper); plainly when ``out`` is ``staged``."""
    write = write_staged if staged else write_text_atomic
    folder = out / "feedback"
    written = []
    for stem, student, paper in todo:
        if paper is None:
            paper = papers()[student.student_id]
        for suffix, text in feedback(exam, paper, student).items():
            path = folder / f"{stem}{suffix}"  # made once: 20,000 paths cost ~0.1 s each time
            write(path, text)
            written.append(path)
    return written


#: A student's grade as plain values: the student's fields but the items, and each item's.
_Packed = tuple[tuple[Any, ...], list[tuple[Any, ...]]]
_STUDENT_FIELDS = tuple(name for name in StudentGrade.model_fields if name != "items")
_ITEM_FIELDS = tuple(ItemResult.model_fields)


def _packed(student: StudentGrade) -> _Packed:
    """``student`` as plain tuples, for a feedback worker: pickling the pydantic models
    costs twice as much (~80 µs a student, in the busiest process; as dicts, more still)."""
    values = student.__dict__
    items = [tuple(map(item.__dict__.__getitem__, _ITEM_FIELDS)) for item in student.items]
    return tuple(map(values.__getitem__, _STUDENT_FIELDS)), items


def _unpacked(packed: _Packed) -> StudentGrade:
    """The :class:`StudentGrade` that was :func:`_packed`, with the same field values (its
    fields set are all its fields: rendering feedback never asks)."""
    values, items = packed
    made = [
        assembled(ItemResult, dict(zip(_ITEM_FIELDS, item, strict=True)), set(_ITEM_FIELDS))
        for item in items
    ]
    student = {**dict(zip(_STUDENT_FIELDS, values, strict=True)), "items": made}
    return assembled(StudentGrade, student, set(student))


def _spooled_row(student: StudentGrade) -> tuple[list[str], tuple[str, ...]]:
    """The student's spooled row (id, name, status, total, max, percent, LMS grade, column,
    cell, …) and the columns of their items, in paper order (none without a submission)."""
    status, lms = _student_status(student), _lms_grade(student)
    if not student.items:  # no submission (a large class's key is not read for these)
        return [student.student_id, student.name, status, "0", _num(student.max), "0", lms], ()
    sequence = tuple(map(_column, student.items))
    head = [student.student_id, student.name, status, _num(student.total)]
    numbers = [_num(student.max), _num(student.percent), lms]
    # _cell of each item; a class earns a handful of distinct scores: each formatted once
    cells = [
        x
        for column, item in zip(sequence, student.items, strict=True)
        for x in (column, "" if item.status in _NO_CELL else _cached_num(item.earned))
    ]
    return head + numbers + cells, sequence


class GradingFolder:
    """The output folder of a grading run, written as each student is graded.

    :meth:`add` each student in paper order, then :meth:`close`. ``grading.json``,
    ``to-grade.csv``, ``timing.csv`` and the feedback files are written as students come;
    the rows of ``grades.csv`` and of the gradebook wait in a temporary file for the last
    student (the columns are the union of every paper's, the points row the largest
    maximum). Nothing of a student is kept after :meth:`add`, so memory is flat in the size
    of the class, and the files are byte for byte what :func:`write_grading` writes of the
    whole report.
    """

    def __init__(
        self,
        out: Path,
        exam: Exam,
        head: GradeReport,
        *,
        gradebook: str | None = None,
        assignment: str | None = None,
        feedback: FeedbackWriter | None = None,
        staged: bool = False,
    ) -> None:
        """Open the files in ``out`` (which must exist).

        Args:
            out: the folder.
            exam: the exam graded (the feedback pages show its papers).
            head: gives the report's title, fingerprint, seed and key; its students and
                the rest come with :meth:`add` and :meth:`close`.
            gradebook: also write this LMS gradebook (``canvas``, ``moodle``).
            assignment: the gradebook's grade column (default: the exam's title).
            feedback: renders one student's feedback files.
            staged: ``out`` is a staged folder (:func:`~quizgen.output.staged_dir`), swapped
                in whole or removed: feedback files need not be written atomically.

        Raises:
            UsageError: no such gradebook.
        """
        gradebook_writer(gradebook) if gradebook else None  # an unknown name fails first
        self.out, self.exam, self.feedback = Path(out), exam, feedback
        self.gradebook, self.assignment = gradebook, assignment or exam.title
        self._columns: list[str] = []
        self._last: tuple[str, ...] = ()
        self._max = 0.0
        self._students = 0
        self._absent: list[Sequence[StudentRow]] = []  # the runs given to add_missing
        self._feedback = _Feedback(self.out, exam, feedback, staged) if feedback else None
        self._files: list[_Staged] = []
        self._spool = tempfile.TemporaryFile(  # noqa: SIM115 - closed by close() or abort()
            "w+", encoding="utf-8", newline="", dir=self.out
        )
        # Every cell quoted: a lone carriage return in a name, which the minimal quoting
        # leaves bare, would read back as the end of a row.
        self._rows = csv.writer(self._spool, lineterminator="\n", quoting=csv.QUOTE_ALL)
        try:
            self._json = self._open("grading.json")
            self._to_grade = self._open("to-grade.csv")
            self._timing = self._open("timing.csv")
        except BaseException:
            self.abort()
            raise
        dumped = grading_json_bytes(head.model_copy(update={"students": []}))
        self._json.write(dumped.split(_STUDENTS, 1)[0] + b'"students": [')
        self._to_grade.write(_csv([TO_GRADE_HEADER]).encode())
        self._timing.write(_csv([TIMING_HEADER]).encode())

    def _flush(self) -> None:
        """Nothing may wait in a buffer when workers are forked (they would inherit it)."""
        for staged in self._files:
            staged.handle.flush()
        self._spool.flush()

    def _open(self, name: str) -> _Staged:
        staged = _Staged(self.out / name)
        self._files.append(staged)
        return staged

    def add(
        self,
        student: StudentGrade,
        paper: Paper | None = None,
        marks: Mapping[tuple[str, str], HandMark] | None = None,
    ) -> None:
        """Write one student, the next in paper order.

        Args:
            student: the student's grade.
            paper: their paper, if it was read already (the feedback pages need it).
            marks: the hand marks that replaced some of their verdicts, by (question, part)
                (``to-grade.csv`` lists a marked item with its mark).
        """
        plain = _plainly_missing(student)
        block = _missing_json(student) if plain else _student_json(student)
        self._json.write((b",\n" if self._students else b"\n") + block)
        self._students += 1
        self._max = max(self._max, student.max)
        self._grades_row(student)
        if plain:
            return
        if to_grade := _to_grade_rows(student, marks or {}):
            self._to_grade.write(_csv(to_grade).encode())
        if timing := _timing_rows(student):
            self._timing.write(_csv(timing).encode())
        if self._feedback is not None and student.status != "missing":
            self._feedback.add(student, paper)

    def add_missing(self, rows: Sequence[StudentRow]) -> None:
        """Write students without a submission (the next in paper order) from their index
        rows: what :meth:`add` writes of :func:`~quizgen.grade.pipeline.missing_grade`,
        a run of them at once (a large class's key lists 100,000)."""
        if not rows:
            return
        most = _maxima(rows)
        text = _missing_blocks(rows, most)  # each block starts with ",\n"
        self._json.write(((",\n" if self._students else "\n") + text[2:]).encode())
        self._students += len(rows)
        self._max = max(self._max, *most)
        # The grades.csv rows are made at the end from the rows themselves (kept here: the
        # key's index holds them anyway); the spool gets one line that says which run.
        self._rows.writerow([str(len(self._absent))])
        self._absent.append(rows)

    def _grades_row(self, student: StudentGrade) -> None:
        """Spool the student's row (see :func:`_spooled_row`)."""
        row, sequence = _spooled_row(student)
        self._columns_of(sequence)
        self._rows.writerow(row)

    def _columns_of(self, sequence: tuple[str, ...]) -> None:
        """Merge a paper's item columns (in order) into the columns of ``grades.csv``."""
        if sequence and sequence != self._last:  # papers alike (no --pick): one merge
            _merge(self._columns, list(sequence))
            self._last = sequence

    def add_range(self, graded: _Graded, checked: set[Hashable]) -> set[tuple[int, int]]:
        """Write a range of students graded by :func:`_range_task` (the next in paper order).

        Each check that the range made afresh is settled here, in paper order: when an
        earlier student (of another range, graded in another process) had the same answer
        to the same key, the item's verdict counts as reused (``cached``, no time), as one
        process grading the whole class has it. ``checked`` holds the cache keys of the
        checks so far; it grows by the range's new ones.

        Returns:
            The (student, item) places in the range of the checks found made before.
        """
        again: set[tuple[int, int]] = set()
        cached: list[bytes] = []
        timed: list[str] = []
        for key, ms, student, item in graded.fresh:
            seen = key in checked
            if seen:
                again.add((student, item))
            else:
                checked.add(key)
            if ms is not None:  # a hole in the range's text (a hand mark leaves none)
                cached.append(b"true" if seen else b"false")
                timed.append("yes,0.000" if seen else f"no,{ms}")
        self._json.write((b",\n" if self._students else b"\n") + _filled(graded.json, cached))
        self._students += graded.students
        self._max = max(self._max, graded.most)
        self._spool.write(graded.spool)
        for sequence in graded.sequences:
            self._columns_of(sequence)
        if graded.to_grade:
            self._to_grade.write(graded.to_grade.encode())
        self._timing.write(_filled(graded.timing, timed).encode())
        return again

    def close(self, tail: GradeReport) -> list[Path]:
        """Finish every file and return the paths written.

        Args:
            tail: gives the rejections, hand marks, notes and stats (its students are
                ignored: they came with :meth:`add`).
        """
        try:
            dumped = grading_json_bytes(tail.model_copy(update={"students": []}))
            end = dumped.split(_STUDENTS, 1)[1]
            self._json.write((b"\n ]" if self._students else b"]") + end)
            written = [self._grades_csv(), self._json.done()]
            write_text_atomic(self.out / "rejected.csv", rejected_csv(tail))
            written += [self.out / "rejected.csv", self._to_grade.done(), self._timing.done()]
            if self.gradebook is not None:
                written.append(self._gradebook_csv())
            if self._feedback is not None:
                written += self._feedback.written
        except BaseException:
            self.abort()
            raise
        self._spool.close()
        return written

    def abort(self) -> None:
        """Remove the files not finished yet (feedback files already written stay)."""
        for staged in self._files:
            if not staged.handle.closed:
                staged.drop()
        self._spool.close()

    def _spooled(self) -> Iterator[list[str]]:
        self._spool.seek(0)
        return csv.reader(self._spool)

    def _grades_csv(self) -> Path:
        columns = self._columns
        staged = self._open("grades.csv")
        buffer = io.StringIO()
        rows = csv.writer(buffer, lineterminator="\n")
        rows.writerow(GRADES_HEADER + columns)
        blanks = [""] * len(columns)
        for row in self._spooled():
            if len(row) == 1:  # a run of students without a submission (add_missing)
                buffer.write(_missing_csv(self._absent[int(row[0])], len(columns)))
            elif len(row) == 7:
                rows.writerow(row[:6] + blanks)
            else:
                cells = dict(zip(row[7::2], row[8::2], strict=True))
                rows.writerow(row[:6] + [cells.get(c, "") for c in columns])
            if buffer.tell() > 1 << 20:
                staged.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
        staged.write(buffer.getvalue().encode())
        return staged.done()

    def _gradebook_csv(self) -> Path:
        assert self.gradebook is not None
        build = _GRADEBOOK_ROWS[self.gradebook]
        students = (
            student
            for row in self._spooled()
            for student in (
                [GradebookRow(r.student_id, r.name, "") for r in self._absent[int(row[0])]]
                if len(row) == 1  # a run of students without a submission: no grade
                else [GradebookRow(row[0], row[1], row[6])]
            )
        )
        path = self.out / f"gradebook-{self.gradebook}.csv"
        write_text_atomic(path, build(students, self._max, self.assignment))
        return path


# --- the whole report at once ----------------------------------------------------------------


def write_grading(
    out: Path,
    exam: Exam,
    report: GradeReport,
    *,
    gradebook: str | None = None,
    assignment: str | None = None,
    feedback: FeedbackWriter | None = None,
) -> list[Path]:
    """Write every output of a grading run into ``out`` (which must exist); return the paths.

    ``feedback`` renders one student's feedback files (suffix → text, e.g.
    :func:`quizgen.render.feedback.feedback_files`). Feedback is written only for students
    who submitted: the solutions are not sent to a student who may still sit the exam.
    Everything is written in this process (:func:`grade_into` grades a class in several).
    """
    folder = GradingFolder(
        out, exam, report, gradebook=gradebook, assignment=assignment, feedback=feedback
    )
    marks = _marks_by_student(report)
    try:
        for student in report.students:
            folder.add(student, marks=marks.get(student.student_id))
    except BaseException:
        folder.abort()
        raise
    return folder.close(report)


# --- grading into a folder -------------------------------------------------------------------


def _split_marked(
    rows: list[StudentRow], book: MarkBook
) -> Iterator[tuple[int, int, StudentRow | None]]:
    """``rows`` cut before each student that a mark names: (start, end, that student or
    None at the end); such a student goes through the marks (which refuse the mark)."""
    start = 0
    if book:
        for at, row in enumerate(rows):
            if book.marks_of(row.student_id):
                yield start, at, row
                start = at + 1
    yield start, len(rows), None


@dataclass(frozen=True)
class GradingSummary:
    """What a run graded into a folder reports: the run's report with only its first
    ``shown`` students (the whole class is in the files), and counts over every student."""

    report: GradeReport
    students: int
    graded: int
    manual: int
    written: list[Path]


def grade_into(
    out: Path,
    run: GradeRun,
    marks: list[Mark],
    *,
    gradebook: str | None = None,
    assignment: str | None = None,
    feedback: FeedbackWriter | None = None,
    jobs: int | None = None,
    staged: bool = False,
    shown: int = 40,
) -> GradingSummary:
    """Grade ``run`` into the folder ``out``, applying hand ``marks``.

    The files are those :func:`write_grading` writes of ``apply_marks(grade_exam(...))``,
    byte for byte, whatever ``jobs``. The class is cut into ranges of students
    (:func:`_plan`); each range is read, graded, marked and rendered (feedback files) by
    :func:`_range_task` in one of ``jobs`` forked processes (default: one per core), the
    first here (so that the workers inherit what checking and rendering import), and this
    process writes the ranges in paper order (:meth:`GradingFolder.add_range`). Students
    without a submission in long runs are written here from the key's index. ``staged``:
    ``out`` is a staged folder (see :class:`GradingFolder`). Memory stays flat in the class.

    Raises:
        UsageError: no such gradebook.
    """
    rows = student_rows(run.exam)
    # Without marks no student id is looked up (a large class's key lists 100,000).
    book = MarkBook(marks, dict.fromkeys(r.student_id for r in rows) if marks else ())
    folder = GradingFolder(
        out, run.exam, run.report([]), gradebook=gradebook, assignment=assignment, staged=staged
    )
    plan = _plan(rows, run.submitted())
    graded = [task for task in plan if task[2]]
    _STATE.update(
        run=run,
        rows=rows,
        book=book,
        feedback=feedback,
        out=folder.out,
        staged=staged,
        shown=shown,
        stems=_feedback_stems(folder.out, rows) if feedback and graded else {},
    )
    tally = _Tally(rows, book, folder, shown)
    try:
        first = plan.index(graded[0]) + 1 if graded else len(plan)
        for task in plan[:first]:  # up to the first range, here
            tally.add(task, _range_task(*task))
        folder._flush()  # the workers must not inherit what waits in a buffer
        _in_workers(plan[first:], jobs or default_jobs(), tally)
    except BaseException:
        folder.abort()
        raise
    finally:
        _STATE.clear()
    run.absorb(*tally.counts)
    applied, rejected = book.results()
    report = run.report(tally.first).model_copy(
        update={"rejections": [*run.checked.rejections, *rejected], "hand_marks": applied}
    )
    written = folder.close(report) + tally.written
    return GradingSummary(report, tally.students, tally.graded, tally.manual, written)


# --- ranges of students, graded in any process -----------------------------------------------

_RANGE = 50  # students who submitted, per range (a worker's task)
_GAP = 64  # students in a row without a submission past which they are written as a run

#: A range of the class's index rows: (start, end, whether anyone in it submitted).
_Task = tuple[int, int, bool]


def _plan(rows: list[StudentRow], submitted: Mapping[str, Any]) -> list[_Task]:
    """``rows`` cut into ranges of at most :data:`_RANGE` students who submitted (with the
    absent students among them) and runs of more than :data:`_GAP` absent students (at
    most :data:`~quizgen.grade.pipeline.RUN` each), in paper order."""
    ids = map(itemgetter(0), rows)  # StudentRow.student_id
    at_c_speed = compress(count(), map(submitted.__contains__, ids)) if submitted else ()
    plan: list[_Task] = []
    start = end = taken = 0  # the open range: rows[start:end], with `taken` who submitted

    def absent(first: int, last: int) -> None:
        plan.extend((cut, min(last, cut + RUN), False) for cut in range(first, last, RUN))

    for at in at_c_speed:
        if at - end > _GAP:  # a long run without submissions ends the open range
            if taken:
                plan.append((start, end, True))
            absent(end, at)
            start, taken = at, 0
        taken, end = taken + 1, at + 1
        if taken == _RANGE:
            plan.append((start, end, True))
            start, taken = end, 0
    if taken and len(rows) - end <= _GAP:
        plan.append((start, len(rows), True))
    else:
        if taken:
            plan.append((start, end, True))
        absent(end, len(rows))
    return plan


def _in_workers(tasks: list[_Task], jobs: int, tally: _Tally) -> None:
    """Run ``tasks`` in ``jobs`` forked processes and add them to ``tally`` in order.

    Here, without processes, when at most one of them is a range of students who
    submitted (the rest are runs of absent students, no work): e.g. 100 submissions
    against a 100,000-student key, whose first range was graded here already. Each task
    carries the verdicts checked afresh by the ranges added last (each worker takes one
    task in about ``jobs``), so that a worker does not check again what another checked
    for earlier students: all of them precede its range."""
    forkable = "fork" in multiprocessing.get_all_start_methods()
    graded = sum(task[2] for task in tasks)  # a run of absent students is no work for one
    if jobs <= 1 or graded <= 1 or not forkable:
        for task in tasks:
            tally.add(task, _range_task(*task))
        return
    context = multiprocessing.get_context("fork")
    recent: deque[list[tuple[Hashable, Any]]] = deque(maxlen=jobs)
    workers = min(jobs, graded)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_quiet) as pool:
        pending: deque[tuple[_Task, Future[_Graded | None]]] = deque()
        try:
            for task in tasks:
                news = [pair for batch in recent for pair in batch] if task[2] else []
                pending.append((task, pool.submit(_range_task, *task, news)))
                if len(pending) >= 2 * jobs:  # a window: results must not pile up
                    done, future = pending.popleft()
                    recent.append(tally.add(done, future.result()))
            while pending:
                done, future = pending.popleft()
                tally.add(done, future.result())
        except BaseException:  # Ctrl-C or a failed range: wait for no other range
            for _, future in pending:
                future.cancel()
            raise


def _feedback_stems(out: Path, rows: list[StudentRow]) -> dict[str, str]:
    """Every student's feedback file stem, and the feedback folder made."""
    ids = [r.student_id for r in rows]
    (out / "feedback").mkdir(exist_ok=True)
    return dict(zip(ids, _stems(ids), strict=True))


@dataclass(slots=True)
class _Graded:
    """A range of students graded, marked and written as text by :func:`_range_task`.

    ``json`` (the range's ``grading.json`` entries) and ``timing`` (its ``timing.csv``
    rows) are cut at a hole for each check made afresh in the worker: ``fresh`` lists
    those checks in paper order as (cache key, the check's time in ms for its hole, or
    None when a hand mark replaced the item and left no hole, student, item), the student
    and item by their place in the range. :meth:`GradingFolder.add_range` fills the holes.
    """

    json: list[bytes]
    timing: list[str]
    fresh: list[tuple[Hashable, str | None, int, int]]
    to_grade: str
    spool: str  # the rows of grades.csv and the gradebook, as GradingFolder spools them
    sequences: list[tuple[str, ...]]  # each paper's columns, when they change
    most: float
    students: int
    graded: int
    manual: int
    counts: tuple[int, int, int, int]  # items, invalid, checks, cache hits
    first: list[tuple[int, _Packed]]  # the students the summary lists, by place in the range
    outcomes: list[tuple[str, dict[int, Any]]]  # hand marks: student id → outcomes
    written: list[Path]  # feedback files
    learned: list[tuple[Hashable, tuple[Any, ...]]]  # the verdicts of the fresh checks


class _RangeWriter:
    """Builds a :class:`_Graded` range, student by student (in a worker, or here)."""

    def __init__(self, start: int) -> None:
        self.start = start
        self.json: list[bytes] = []
        self.block = io.BytesIO()
        self.timing: list[str] = []
        self.times: list[str] = []  # the piece of timing.csv being written, line by line
        self.timed = csv.writer(_Lines(self.times), lineterminator="\n")
        self.fresh: list[tuple[Hashable, str | None, int, int]] = []
        self.to_grade = io.StringIO()
        self.spool = io.StringIO()
        self.rows = csv.writer(self.spool, lineterminator="\n", quoting=csv.QUOTE_ALL)
        self.sequences: list[tuple[str, ...]] = []
        self.most = 0.0
        self.students = self.graded = self.manual = 0
        self.counts = [0, 0, 0, 0]
        self.first: list[tuple[int, _Packed]] = []
        self.outcomes: list[tuple[str, dict[int, Any]]] = []
        self.written: list[Path] = []

    def absent(self, row: StudentRow, book: MarkBook, shown: int) -> None:
        """A student without a submission (a mark that names them is refused)."""
        student = missing_grade(row)
        if book.marks_of(row.student_id):
            student, _, outcomes = book.apply_recorded(student)
            self.outcomes.append((row.student_id, outcomes))
        self._separate()
        self.block.write(_missing_json(student))
        self._common(student, shown)

    def submitted(self, row: StudentRow, book: MarkBook, shown: int) -> None:
        """A student who submitted: graded, marked, written and their feedback rendered."""
        state = _STATE
        student, paper, fresh, checks, hits = state["run"].graded(row)
        counts = self.counts
        counts[0] += len(student.items)
        counts[1] += sum(i.status == "invalid" for i in student.items)
        counts[2] += checks
        counts[3] += hits
        marks: dict[tuple[str, str], HandMark] = {}
        marked = student
        if book.marks_of(row.student_id):
            marked, applied, outcomes = book.apply_recorded(student)
            self.outcomes.append((row.student_id, outcomes))
            marks = {(m.question_id, m.part_id): m for m in applied}
        holes = set()
        for i, key in fresh:
            hole = marked.items[i] is student.items[i]  # else a mark replaced the item
            ms = _ms(student.items[i].seconds) if hole else None
            self.fresh.append((key, ms, self.students, i))
            if hole:
                holes.add(i)
        self._separate()
        rest = _cut_json(_student_json_quick(marked), holes, self._cut)  # which starts a new block
        self.block.write(rest)
        self._common(marked, shown)
        self.graded += 1
        self.manual += marked.manual
        if rows := _to_grade_rows(marked, marks):
            self.to_grade.write(_csv(rows))
        self._timing(marked, holes)
        if state["feedback"] is not None:
            todo = [(state["stems"][row.student_id], marked, paper)]
            self.written += _feedback_range(
                state["out"], state["run"].exam, state["feedback"], todo, dict, state["staged"]
            )

    def _separate(self) -> None:
        if self.students:
            self.block.write(b",\n")

    def _common(self, student: StudentGrade, shown: int) -> None:
        """What every student of the range adds, once their entry is written."""
        row, sequence = _spooled_row(student)
        self.rows.writerow(row)
        if sequence and (not self.sequences or self.sequences[-1] != sequence):
            self.sequences.append(sequence)
        self.most = max(self.most, student.max)
        if self.start + self.students < shown:
            self.first.append((self.students, _packed(student)))
        self.students += 1

    def _cut(self, before: bytes) -> None:
        """End the current piece of ``grading.json`` at a hole."""
        self.block.write(before)
        self.json.append(self.block.getvalue())
        self.block = io.BytesIO()

    def _timing(self, student: StudentGrade, holes: set[int]) -> None:
        """The student's ``timing.csv`` rows; a check made afresh ends a piece of the text
        before its "cached,ms" cells (settled in paper order: a hole)."""
        sid, rows, times = student.student_id, [], self.times
        for i, item in enumerate(student.items):
            if item.status in ("blank", "missing"):
                continue
            cells = [sid, item.question_id, item.part_id, item.kind, item.status, item.method]
            if i not in holes:
                cells += ("yes" if item.cached else "no", _ms(item.seconds))
                rows.append(cells)
                continue
            self.timed.writerows(rows)
            rows = []
            self.timed.writerow(cells)
            times[-1] = times[-1][:-1] + ","  # the row so far, its line break taken off
            self.timing.append("".join(times))
            times[:] = ["\n"]
        self.timed.writerows(rows)

    def done(self) -> _Graded:
        learned = _STATE["run"].verdicts(key for key, *_ in self.fresh)
        self.json.append(self.block.getvalue())
        self.timing.append("".join(self.times))
        c = self.counts
        return _Graded(
            self.json,
            self.timing,
            self.fresh,
            self.to_grade.getvalue(),
            self.spool.getvalue(),
            self.sequences,
            self.most,
            self.students,
            self.graded,
            self.manual,
            (c[0], c[1], c[2], c[3]),
            self.first,
            self.outcomes,
            self.written,
            learned,
        )


class _Lines:
    """A file for ``csv.writer`` that keeps each row's text as an item of ``lines``."""

    def __init__(self, lines: list[str]) -> None:
        self.write = lines.append


@functools.lru_cache(maxsize=4096)
def _ms(seconds: float) -> str:
    """A check's time in ms as ``timing.csv`` shows it (most are 0: a reused verdict)."""
    return f"{1000 * seconds:.3f}"


_CACHED = b'"cached": '


def _cut_json(block: bytes, holes: set[int], cut: Callable[[bytes], None]) -> bytes:
    """``block`` (a student's entry) with the ``cached`` value of each item in ``holes``
    taken out: ``cut`` gets the text up to each hole, the rest is returned. In JSON a
    quote inside a string is escaped, so ``"cached": `` is found only as an item's key."""
    if not holes:
        return block
    pieces = block.split(_CACHED)
    text = pieces[0]
    for i, piece in enumerate(pieces[1:]):
        if i in holes:
            if not piece.startswith(b"false"):
                raise AssertionError(f"item {i} was not checked afresh")
            cut(text + _CACHED)
            text = piece[5:]
        else:
            text += _CACHED + piece
    return text


def _filled(pieces: Sequence[Any], holes: Sequence[Any]) -> Any:
    """``pieces`` joined with ``holes`` between them (one fewer hole than pieces)."""
    if not holes:
        return pieces[0]
    joined = [pieces[0]]
    for hole, piece in zip(holes, pieces[1:], strict=True):
        joined += (hole, piece)
    return pieces[0][:0].join(joined)


def _range_task(
    start: int, end: int, graded: bool, news: Sequence[tuple[Hashable, Any]] = ()
) -> _Graded | None:
    """Grade ``rows[start:end]`` of the class in :data:`_STATE` (None for a run of absent
    students: the parent writes those from the key's index). ``news``: verdicts checked
    in other processes for earlier students (see :meth:`GradeRun.learn`)."""
    if not graded:
        return None
    state = _STATE
    state["run"].learn(news)
    writer = _RangeWriter(start)
    book, shown, rows = state["book"], state["shown"], state["rows"]
    submitted = state["run"].submitted()
    with state["run"].frozen():
        for row in rows[start:end]:
            if row.student_id in submitted:
                writer.submitted(row, book, shown)
            else:
                writer.absent(row, book, shown)
    return writer.done()


class _Tally:
    """What :func:`grade_into` adds up over the ranges, in paper order."""

    def __init__(
        self, rows: list[StudentRow], book: MarkBook, folder: GradingFolder, shown: int
    ) -> None:
        self.rows, self.book, self.folder, self.shown = rows, book, folder, shown
        self.checked: set[Hashable] = set()
        self.first: list[StudentGrade] = []
        self.written: list[Path] = []
        self.students = self.graded = self.manual = 0
        self.counts = [0, 0, 0, 0]  # items, invalid, checks, cache hits

    def add(self, task: _Task, done: _Graded | None) -> list[tuple[Hashable, Any]]:
        """Write a task's students; return the verdicts its range checked afresh."""
        start, end, _ = task
        if done is None:
            self._absent(self.rows[start:end])
            return []
        again = self.folder.add_range(done, self.checked)
        for student_id, outcomes in done.outcomes:
            self.book.record(student_id, outcomes)
        items, invalid, checks, hits = done.counts
        c = self.counts
        c[0], c[1] = c[0] + items, c[1] + invalid
        c[2], c[3] = c[2] + checks - len(again), c[3] + hits + len(again)
        self.students += done.students
        self.graded += done.graded
        self.manual += done.manual
        self.written += done.written
        for at, packed in done.first:
            student = _unpacked(packed)
            if again:
                student = _reused(student, {i for s, i in again if s == at})
            self.first.append(student)
        return done.learned

    def _absent(self, rows: list[StudentRow]) -> None:
        """A run of students without a submission (cut where a mark names one)."""
        self.students += len(rows)
        for start, end, marked in _split_marked(rows, self.book):
            self.folder.add_missing(rows[start:end])  # written at once
            room = max(0, min(end - start, self.shown - len(self.first)))
            self.first += [missing_grade(r) for r in rows[start : start + room]]
            if marked is not None:  # a mark for a student who sent nothing: refused
                student, _ = self.book.apply(missing_grade(marked))
                self.folder.add(student)
                if len(self.first) < self.shown:
                    self.first.append(student)


def _reused(student: StudentGrade, items: set[int]) -> StudentGrade:
    """``student`` with the verdicts of ``items`` counted as reused (cached, no time)."""
    made = list(student.items)
    for i in items:
        if made[i].method != "hand":  # a hand mark's item is not cached
            made[i] = made[i].model_copy(update={"cached": True, "seconds": 0.0})
        else:
            made[i] = made[i].model_copy(update={"seconds": 0.0})
    return student.model_copy(update={"items": made})
