"""A class to grade in tests: an exam from tests/data/grade-bank.yaml and honest answers.

Answers come from each student's own key, so a test can count exactly what must be kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quizgen.bank.model import load_bank
from quizgen.generate.exam import Student, build_exam
from quizgen.generate.write import key_json
from quizgen.grade.submissions import exam_fingerprint
from quizgen.variant import ChoiceKey, Exam, Paper

DATA = Path(__file__).resolve().parent / "data"
BANK = DATA / "grade-bank.yaml"
SEED = "classroom-tests-0123456789abcdef"  # long enough not to be warned about


def students(count: int, width: int = 1) -> list[Student]:
    """s1, s2, … (or s0001 … with ``width``), each with a name."""
    return [Student(f"s{i:0{width}d}", f"Student {i}") for i in range(1, count + 1)]


def make_exam(count: int = 6, width: int = 1) -> Exam:
    return build_exam([load_bank(BANK)], students(count, width), SEED)


def write_key(exam: Exam, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "key.json"
    path.write_text(key_json(exam), encoding="utf-8")
    return path


def paper(exam: Exam, student: str) -> Paper:
    return next(p for p in exam.papers if p.student_id == student)


def _keys(p: Paper) -> dict[str, Any]:
    return {
        f"{v.question_id}.{pid}" if pid else v.question_id: key
        for v in p.variants
        for pid, key, _ in v.gradable()
    }


def right_answers(p: Paper) -> dict[str, Any]:
    """One right answer per item (the essay gets text a person will grade)."""
    k = _keys(p)
    choice: ChoiceKey = k["variant-choice"]
    return {
        "rnn-count": k["rnn-count"].display,
        "lstm-formula": "4*h*(n + h + 1)",
        "variant-choice": choice.correct_labels()[0],
        "gates-multi": k["gates-multi"].correct_labels(),
        "shared-weights": True,
        "vanishing-name": "vanishing gradient",
        "why-gates": "The forget gate keeps the cell state.",
        "forget-zero": {"a": k["forget-zero.a"].display, "b": True},
    }


ITEMS = 9  # items per paper: 8 questions, one of them with two parts
RIGHT_POINTS = 10  # every item right but the essay, which waits for a person


def submission(exam: Exam, student: str, answers: dict[str, Any] | None = None, **extra: Any):
    """A submission dict for ``student`` (right answers unless given)."""
    given = right_answers(paper(exam, student)) if answers is None else answers
    return {"exam": exam_fingerprint(exam), "student_id": student, "answers": given, **extra}


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def csv_row(exam: Exam, student: str) -> dict[str, str]:
    """A forms-tool row for ``student``: one column per item, right answers as text."""
    a = right_answers(paper(exam, student))
    return {
        "rnn-count": a["rnn-count"],
        "lstm-formula": a["lstm-formula"],
        "variant-choice": a["variant-choice"],
        "gates-multi": ", ".join(a["gates-multi"]),
        "shared-weights": "true",
        "vanishing-name": a["vanishing-name"],
        "why-gates": a["why-gates"],
        "forget-zero.a": a["forget-zero"]["a"],
        "forget-zero.b": "true",
    }
