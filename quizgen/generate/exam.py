"""Build an exam: pick questions and draw one variant per student and question.

Everything random here flows from the exam seed through :func:`quizgen.rng.stream_for`, so
the same banks, seed and roster always give the same exam. The seed is a secret: with it and
the bank (often public) anyone rebuilds the whole key. Without ``--seed`` a random 128-bit
seed is drawn (:func:`new_seed`); it is stored in ``key.json`` and nowhere a student sees.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from quizgen.bank.model import Bank
from quizgen.errors import BankError, UsageError
from quizgen.fingerprint import compute_fingerprint
from quizgen.generate.compile import CompiledQuestion, compile_bank
from quizgen.generate.solve import draw_variant
from quizgen.inputs import (
    ROSTER_BYTES,
    CsvRecord,
    InputError,
    csv_header,
    csv_lines,
    csv_records,
    header_name,
    read_text,
)
from quizgen.rng import stream_for, streams_for
from quizgen.variant import BankRef, Exam, Paper

__all__ = [
    "Draw",
    "Student",
    "build_exam",
    "draw_papers",
    "exam_head",
    "new_seed",
    "numbered_students",
    "read_roster",
    "select_questions",
    "weak_seed",
]

#: Called after each paper is drawn with (papers done, papers in all); the CLI's progress bar.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""


def numbered_students(count: int) -> list[Student]:
    """Anonymous students ``s001``, ``s002``, … for ``--count``."""
    if count < 1:
        raise UsageError("--count must be at least 1")
    width = max(3, len(str(count)))
    return [Student(f"s{i:0{width}d}") for i in range(1, count + 1)]


# Roster columns, compared after inputs.header_name(): the documented names win; otherwise
# one column named as forms tools and LMS exports name it.
_ROSTER_IDS = ("id", "student id")
_ROSTER_ID_ALIASES = (
    "sis user id",
    "sis id",
    "username",
    "user name",
    "login id",
    "student number",
)
_ROSTER_NAMES = ("name", "full name", "student name", "student")


def _roster_id_column(header: list[str]) -> int | str:
    """The index of the id column, or a reason why there is none (or several)."""
    names = [header_name(h) for h in header]
    for wanted in _ROSTER_IDS:
        if wanted in names:
            return names.index(wanted)
    found = [i for i, n in enumerate(names) if n in _ROSTER_ID_ALIASES]
    if len(found) == 1:
        return found[0]
    if found:
        listed = ", ".join(f"'{header[i].strip()}'" for i in found)
        return f"columns {listed} could each hold the student id"
    return "the first line must name the columns and include 'id'"


def parse_roster(text: str, source: str = "roster") -> list[Student]:
    """Students from CSV text with an ``id`` column (and optionally ``name``).

    The delimiter may be ``,``, ``;`` or a tab (a first line ``sep=;`` as Excel writes it is
    understood). Without an ``id`` column, one column named as an LMS export names it
    (``SIS User ID``, ``Username``, …) is taken; two such columns are an error.

    Raises:
        UsageError: no id column, an empty id, a duplicate id, a quote that is never
            closed, or an unreadable row (with the line number).
    """
    lines = csv_lines(text.removeprefix("\ufeff"))
    if not any(line.strip() for line in lines):
        raise UsageError(f"{source}: the roster is empty")
    at, delimiter, header = csv_header(lines, lambda c: isinstance(_roster_id_column(c), int))
    id_col = _roster_id_column(header)
    if isinstance(id_col, str):
        raise UsageError(
            f"{source}: {id_col}",
            hint="name the column of student ids 'id'; e.g. 'id,name' then one student a line",
        )
    names = [header_name(h) for h in header]
    name_col = next((names.index(n) for n in _ROSTER_NAMES if n in names), None)
    students, seen = [], {}
    # No roster cell holds a line break: a record spanning lines is a quote left open.
    for record in csv_records(lines, at + 1, delimiter, starts_row=lambda _line: True):
        student = _roster_student(record, id_col, name_col, source)
        if student is None:
            continue
        if student.id in seen:
            raise UsageError(
                f"{source}:{record.line}: duplicate student id '{student.id}' "
                f"(first on line {seen[student.id]})"
            )
        seen[student.id] = record.line
        students.append(student)
    if not students:
        raise UsageError(f"{source}: the roster lists no students")
    return students


def _roster_student(
    record: CsvRecord, id_col: int, name_col: int | None, source: str
) -> Student | None:
    """The student of one roster record; None for a blank line."""
    if record.cells is None:
        raise UsageError(f"{source}:{record.line}: {record.error}")
    cells = record.cells
    if not any(c.strip() for c in cells):
        return None
    sid = cells[id_col].strip() if id_col < len(cells) else ""
    if not sid:
        raise UsageError(f"{source}:{record.line}: empty student id")
    if len(sid) > 200:
        raise UsageError(f"{source}:{record.line}: a student id longer than 200 characters")
    name = cells[name_col].strip() if name_col is not None and name_col < len(cells) else ""
    return Student(sid, name)


def read_roster(path: Path) -> list[Student]:
    """Read a roster CSV file (see :func:`parse_roster`), at most 16 MB.

    UTF-8, or UTF-16/32 with a byte-order mark, as spreadsheets save "Unicode text".
    """
    try:
        text = read_text(Path(path), ROSTER_BYTES)
    except InputError as exc:
        raise UsageError(f"cannot read roster {path}: {exc.message}", hint=exc.hint) from None
    return parse_roster(text, str(path))


def new_seed() -> str:
    """A random 128-bit exam seed (32 hex digits), for ``generate`` without ``--seed``."""
    return secrets.token_hex(16)


MIN_SEED_CHARS = 20
MIN_SEED_DISTINCT = 10


def weak_seed(seed: str) -> str | None:
    """Why ``seed`` is guessable, or None.

    A student who has the bank can try seeds until one reproduces their own paper, then
    print everyone's key. A seed shorter than 20 characters, or made of fewer than 10
    different characters, falls to such a search (``7``, ``2026-midterm``, a date).
    """
    if len(seed) < MIN_SEED_CHARS:
        return f"only {len(seed)} character(s)"
    if len(set(seed)) < MIN_SEED_DISTINCT:
        return f"only {len(set(seed))} different characters"
    return None


def select_questions(
    questions: Sequence[CompiledQuestion], pick: int | None, seed: str, student: str
) -> list[CompiledQuestion]:
    """All questions, or ``pick`` per topic drawn for this student, in bank order."""
    if pick is None:
        return list(questions)
    by_topic: dict[str, list[CompiledQuestion]] = {}
    for q in questions:
        by_topic.setdefault(q.question.topic, []).append(q)
    chosen: set[int] = set()
    for topic, group in by_topic.items():
        stream = stream_for("pick", seed, student, topic)
        chosen.update(id(q) for q in stream.sample(group, min(pick, len(group))))
    return [q for q in questions if id(q) in chosen]


def exam_head(
    banks: Sequence[Bank], seed: str, *, pick: int | None = None, title: str | None = None
) -> Exam:
    """The exam without its papers (and without a fingerprint): what the key's header holds."""
    refs = [
        BankRef(id=b.id, title=b.title, file=Path(b.source).name, sha256=b.sha256) for b in banks
    ]
    return Exam(
        title=title or banks[0].title,
        course=banks[0].course,
        seed=seed,
        pick=pick,
        banks=refs,
        papers=[],
    )


def draw_papers(
    banks: Sequence[Bank],
    students: Sequence[Student],
    seed: str,
    *,
    pick: int | None = None,
    start: int = 1,
    compiled: Sequence[CompiledQuestion] | None = None,
) -> Iterator[Paper]:
    """Draw the papers of ``students`` one at a time, numbered from ``start``.

    Nothing is kept between papers but the solver's bounded caches, so a class of any size
    streams through in flat memory. The same arguments always yield the same papers.
    ``compiled`` are the banks' questions compiled already (by :attr:`Draw.compiled`).
    """
    questions = compiled if compiled is not None else [q for b in banks for q in compile_bank(b)]
    for number, student in enumerate(students, start=start):
        chosen = select_questions(questions, pick, seed, student.id)
        streams = streams_for("variant", seed, student.id)  # stream_for(..., bank, question)
        variants = [draw_variant(q, streams(q.bank.id, q.id)) for q in chosen]
        yield Paper(student_id=student.id, name=student.name, number=number, variants=variants)


@dataclass(frozen=True)
class Draw:
    """The papers of a class, to be drawn: by :func:`draw_papers` in order, or by ranges of
    students in several processes (:func:`quizgen.generate.write.write_stream`).

    With ``check``, the bank pre-check (:func:`quizgen.check.quick_check`) is part of the
    draw: question by question (:meth:`check_question`) on the questions compiled for the
    drawing, before any paper is handed on; :meth:`refusal` is the check run whole, for the
    paths that stop early.
    """

    banks: Sequence[Bank]
    students: Sequence[Student]
    seed: str
    pick: int | None = None
    check: bool = False

    def __len__(self) -> int:
        return len(self.students)

    @functools.cached_property
    def compiled(self) -> list[CompiledQuestion]:
        """The questions, compiled once (forked workers inherit them)."""
        return [q for b in self.banks for q in compile_bank(b)]

    @property
    def checks(self) -> int:
        """How many questions the pre-check checks (none without ``check``)."""
        return len(self._checked) if self.check else 0

    @functools.cached_property
    def _checked(self) -> list[tuple[Bank, int]]:
        """(bank, question index) of every question, in the pre-check's order."""
        return [
            (bank, index)
            for bank in self.banks
            for index, question in enumerate(bank.questions)
            if question is not None
        ]

    def check_question(self, number: int) -> list[BankError]:
        """The pre-check's errors of the ``number``-th question (in the check's order), on
        the question as compiled for the drawing: compiled once for both."""
        from quizgen.check import quick_check_question

        bank, index = self._checked[number]
        return quick_check_question(bank, index, self._compiled_at.get((id(bank), index)))

    @functools.cached_property
    def _compiled_at(self) -> dict[tuple[int, int], CompiledQuestion]:
        return {(id(q.bank), q.index): q for q in self.compiled}

    def refusal(self) -> list[BankError]:
        """The whole pre-check's errors, every question checked here (and compiled again):
        what ``quick_check`` reports before anything is drawn."""
        from quizgen.check import quick_check

        return quick_check(list(self.banks)) if self.check else []

    def __iter__(self) -> Iterator[Paper]:
        return self.papers(0, len(self.students))

    def papers(self, first: int, end: int) -> Iterator[Paper]:
        """The papers of students ``first``..``end`` (0-based, end excluded), numbered."""
        chosen = self.students[first:end]
        return draw_papers(
            self.banks, chosen, self.seed, pick=self.pick, start=first + 1, compiled=self.compiled
        )


def build_exam(
    banks: Sequence[Bank],
    students: Sequence[Student],
    seed: str,
    *,
    pick: int | None = None,
    title: str | None = None,
    progress: Progress | None = None,
) -> Exam:
    """Draw every student's paper, in memory (a large class streams: :func:`draw_papers`).

    Args:
        banks: validated banks; questions appear in bank order.
        students: who gets a paper (one paper each).
        seed: the exam seed; with the banks and the student id it fixes every draw.
        pick: questions per topic for each student (None: all questions).
        title: the exam title (default: the first bank's title).
        progress: called after each paper with (done, total).

    Returns:
        The exam, with its fingerprint (:mod:`quizgen.fingerprint`) computed.
    """
    papers = []
    for paper in draw_papers(banks, students, seed, pick=pick):
        papers.append(paper)
        if progress is not None:
            progress(paper.number, len(students))
    head = exam_head(banks, seed, pick=pick, title=title)
    exam = head.model_copy(update={"papers": papers})
    return exam.model_copy(update={"fingerprint": compute_fingerprint(exam)})
