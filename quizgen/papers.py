"""Write a generated exam to a folder: papers, answer keys and the frozen ``key.json``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quizgen.output import write_text_atomic
from quizgen.variant import Exam

__all__ = ["file_stem", "key_json", "paper_stems", "write_exam"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(student_id: str) -> str:
    """A file-name-safe stem for a student id (``Ana María/3`` → ``Ana_Mar_a_3``)."""
    stem = _UNSAFE.sub("_", student_id).strip("._") or "student"
    return stem[:80]


def paper_stems(exam: Exam) -> list[str]:
    """Unique stems, in paper order (ids that clean up alike get a number suffix)."""
    seen: dict[str, int] = {}
    stems = []
    for paper in exam.papers:
        stem = file_stem(paper.student_id)
        n = seen.get(stem.lower(), 0)
        seen[stem.lower()] = n + 1
        stems.append(stem if n == 0 else f"{stem}-{n + 1}")
    return stems


def key_json(exam: Exam) -> str:
    """The frozen exam as stable, human-diffable JSON."""
    return exam.model_dump_json(indent=1) + "\n"


def write_exam(exam: Exam, out: Path, renderers: Sequence[Any]) -> int:
    """Write every paper in each renderer's format, the keys and key.json; return a file count."""
    count = 0
    stems = paper_stems(exam)
    for renderer in renderers:
        for paper, stem in zip(exam.papers, stems, strict=True):
            write_text_atomic(
                out / "papers" / f"{stem}{renderer.extension}", renderer.paper(exam, paper)
            )
            count += 1
        write_text_atomic(out / f"key{renderer.extension}", renderer.key(exam))
        count += 1
    count += _write_submission_templates(exam, out, stems)
    write_text_atomic(out / "key.json", key_json(exam))
    return count + 1


def _write_submission_templates(exam: Exam, out: Path, stems: list[str]) -> int:
    import json

    from quizgen.grade.submissions import template_for

    for paper, stem in zip(exam.papers, stems, strict=True):
        text = json.dumps(template_for(exam, paper), indent=2, ensure_ascii=False) + "\n"
        write_text_atomic(out / "submissions" / f"{stem}.json", text)
    return len(exam.papers)
