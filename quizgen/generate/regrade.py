"""Re-solve a frozen exam from edited banks, on purpose only, and say which keys changed.

``quizgen grade --regrade`` uses this; plain grading never re-reads a bank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from quizgen.bank.model import Bank
from quizgen.errors import UsageError
from quizgen.generate.exam import Student, build_exam
from quizgen.variant import Exam, Paper, Variant, answer_markdown

__all__ = ["KeyChange", "regrade_exam"]


class KeyChange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    """One difference between the frozen key and a re-solved one."""

    student_id: str
    question_id: str
    part_id: str = ""
    change: Literal["answer", "prompt", "added", "removed"]
    old: str = ""
    new: str = ""


def _check_banks(exam: Exam, banks: Sequence[Bank]) -> None:
    given = {b.id for b in banks}
    missing = [b.id for b in exam.banks if b.id not in given]
    if missing:
        raise UsageError(
            f"--regrade needs every bank of the exam; missing: {', '.join(missing)}",
            hint="pass the bank files the exam was generated from (edited as you wish)",
        )
    extra = sorted(given - {b.id for b in exam.banks})
    if extra:
        raise UsageError(f"--regrade: bank(s) not used by this exam: {', '.join(extra)}")


def _variant_changes(student: str, old: Variant, new: Variant) -> list[KeyChange]:
    changes = []
    if old.prompt != new.prompt:
        changes.append(KeyChange(student_id=student, question_id=old.question_id, change="prompt"))
    new_keys = {pid: key for pid, key, _ in new.gradable()}
    for pid, key, _ in old.gradable():
        fresh = new_keys.get(pid)
        if fresh is None or fresh.model_dump() != key.model_dump():
            before = answer_markdown(key)
            after = answer_markdown(fresh) if fresh is not None else ""
            if fresh is not None and before == after:  # e.g. only the tolerance changed
                before, after = _differences(key.model_dump(), fresh.model_dump())
            changes.append(
                KeyChange(
                    student_id=student,
                    question_id=old.question_id,
                    part_id=pid,
                    change="answer",
                    old=before,
                    new=after,
                )
            )
    return changes


def _differences(old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    """The fields of two key dumps that differ, each side as ``field: value; …``."""
    fields = [k for k in sorted({*old, *new}) if old.get(k) != new.get(k)]
    return (
        "; ".join(f"{k}: {_shown(old.get(k))}" for k in fields),
        "; ".join(f"{k}: {_shown(new.get(k))}" for k in fields),
    )


def _shown(value: Any) -> str:
    """A key field as a short text (a mapping as ``name=value`` of its set entries)."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v is not None) or "none"
    return "none" if value is None else str(value)


def _paper_changes(old: Paper, new: Paper) -> list[KeyChange]:
    before = {v.question_id: v for v in old.variants}
    after = {v.question_id: v for v in new.variants}
    changes = []
    for qid, variant in before.items():
        if qid in after:
            changes.extend(_variant_changes(old.student_id, variant, after[qid]))
        else:
            changes.append(KeyChange(student_id=old.student_id, question_id=qid, change="removed"))
    changes.extend(
        KeyChange(student_id=old.student_id, question_id=qid, change="added")
        for qid in after
        if qid not in before
    )
    return changes


def regrade_exam(exam: Exam, banks: Sequence[Bank]) -> tuple[Exam, list[KeyChange]]:
    """Re-solve ``exam`` from (possibly edited) banks and list what changed.

    The same seed and students give the same draws, so only what the bank edit changed
    moves. A changed ``prompt`` means the student saw other text than the new key assumes.

    Raises:
        UsageError: the banks are not exactly the exam's banks (by id).
        BankErrors: a bank does not compile or draw.
    """
    _check_banks(exam, banks)
    order = {b.id: i for i, b in enumerate(exam.banks)}
    ordered = sorted(banks, key=lambda b: order[b.id])
    students = [Student(p.student_id, p.name) for p in exam.papers]
    fresh = build_exam(ordered, students, exam.seed, pick=exam.pick, title=exam.title)
    # The exam keeps its name: submissions carry the fingerprint the papers showed.
    fresh = fresh.model_copy(update={"course": exam.course, "fingerprint": exam.fingerprint})
    changes = [
        c
        for old, new in zip(exam.papers, fresh.papers, strict=True)
        for c in _paper_changes(old, new)
    ]
    return fresh, changes
