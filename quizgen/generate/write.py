"""Write a generated exam to a folder: papers, answer keys and the frozen ``key.json``."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from quizgen.output import file_stems, write_text_atomic
from quizgen.variant import Exam

__all__ = ["key_json", "stale_files", "write_exam"]


def key_json(exam: Exam) -> str:
    """The frozen exam as stable, human-diffable JSON."""
    return exam.model_dump_json(indent=1) + "\n"


def write_exam(
    exam: Exam,
    out: Path,
    renderers: Sequence[Any],
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write every paper in each renderer's format, the keys and key.json.

    ``progress`` is called after each file with (files done, files in all).

    Returns:
        The files written, in order.
    """
    written: list[Path] = []
    total = (len(exam.papers) + 1) * (len(renderers) + 1)

    def write(path: Path, text: str) -> None:
        write_text_atomic(path, text)
        written.append(path)
        if progress is not None:
            progress(len(written), total)

    stems = file_stems(p.student_id for p in exam.papers)
    for renderer in renderers:
        for paper, stem in zip(exam.papers, stems, strict=True):
            write(out / "papers" / f"{stem}{renderer.extension}", renderer.paper(exam, paper))
        write(out / f"key{renderer.extension}", renderer.key(exam))
    for paper, stem in zip(exam.papers, stems, strict=True):
        write(out / "submissions" / f"{stem}.json", _submission_template(exam, paper))
    write(out / "key.json", key_json(exam))
    return written


def stale_files(out: Path, written: Sequence[Path]) -> list[Path]:
    """Files in the papers/ and submissions/ folders that this run did not write.

    With ``--force`` an earlier exam's papers can remain beside the new ones; an instructor
    must not hand one out by mistake.
    """
    fresh = set(written)
    return sorted(
        p
        for folder in ("papers", "submissions")
        if (out / folder).is_dir()
        for p in (out / folder).iterdir()
        if p.is_file() and p not in fresh
    )


def _submission_template(exam: Exam, paper: Any) -> str:
    from quizgen.grade.submissions import template_for

    return json.dumps(template_for(exam, paper), indent=2, ensure_ascii=False) + "\n"
