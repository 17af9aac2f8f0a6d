"""Build an exam: pick questions and draw one variant per student and question.

Everything random here flows from the exam seed through :func:`quizgen.rng.stream_for`, so
the same banks, seed and roster always give the same exam.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from quizgen.bank.model import Bank
from quizgen.errors import UsageError
from quizgen.generate.compile import CompiledQuestion, compile_bank
from quizgen.generate.solve import draw_variant
from quizgen.rng import stream_for
from quizgen.variant import BankRef, Exam, Paper

__all__ = ["Student", "build_exam", "numbered_students", "read_roster", "select_questions"]


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


def parse_roster(text: str, source: str = "roster") -> list[Student]:
    """Students from CSV text with an ``id`` column (and optionally ``name``).

    Raises:
        UsageError: no id column, an empty id, or a duplicate id (with the line number).
    """
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "id" not in fields:
        raise UsageError(
            f"{source}: the first line must name the columns and include 'id'",
            hint="e.g. 'id,name' then one student per line",
        )
    reader.fieldnames = fields
    students, seen = [], {}
    for row in reader:
        line = reader.line_num
        sid = (row.get("id") or "").strip()
        if not sid:
            raise UsageError(f"{source}:{line}: empty student id")
        if sid in seen:
            raise UsageError(
                f"{source}:{line}: duplicate student id '{sid}' (first on line {seen[sid]})"
            )
        seen[sid] = line
        students.append(Student(sid, (row.get("name") or "").strip()))
    if not students:
        raise UsageError(f"{source}: the roster lists no students")
    return students


def read_roster(path: Path) -> list[Student]:
    """Read a roster CSV file (see :func:`parse_roster`)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read roster {path}: {exc}") from None
    return parse_roster(text, str(path))


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


def build_exam(
    banks: Sequence[Bank],
    students: Sequence[Student],
    seed: str,
    *,
    pick: int | None = None,
    title: str | None = None,
) -> Exam:
    """Draw every student's paper.

    Args:
        banks: validated banks; questions appear in bank order.
        students: who gets a paper (one paper each).
        seed: the exam seed; with the banks and the student id it fixes every draw.
        pick: questions per topic for each student (None: all questions).
        title: the exam title (default: the first bank's title).
    """
    compiled = [(b, q) for b in banks for q in compile_bank(b)]
    questions = [q for _, q in compiled]
    papers = []
    for number, student in enumerate(students, start=1):
        chosen = select_questions(questions, pick, seed, student.id)
        variants = [
            draw_variant(q, stream_for("variant", seed, student.id, q.bank.id, q.id))
            for q in chosen
        ]
        papers.append(
            Paper(student_id=student.id, name=student.name, number=number, variants=variants)
        )
    refs = [
        BankRef(id=b.id, title=b.title, file=Path(b.source).name, sha256=b.sha256) for b in banks
    ]
    return Exam(
        title=title or banks[0].title,
        course=banks[0].course,
        seed=seed,
        pick=pick,
        banks=refs,
        papers=papers,
    )
