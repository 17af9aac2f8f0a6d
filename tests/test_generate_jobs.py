"""`quizgen generate` without ``--jobs`` stays in one process for a small exam.

Forking workers costs more than they save below :data:`~quizgen.generate.write.MIN_PARALLEL`
question variants (docs/performance.md); an explicit ``--jobs N`` is always obeyed. Whether
workers were started is seen at the pool's executor, replaced here by one that refuses to run.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from quizgen import pool
from quizgen.cli import app
from quizgen.generate import write
from quizgen.pool import default_jobs as cores


class _NoPool:
    """Stands in for the executor: notes that workers were asked for, and starts none."""

    asked: ClassVar[list[int]] = []

    def __init__(self, *args, **kwargs) -> None:
        self.asked.append(1)
        raise RuntimeError("no worker in this test")


@pytest.mark.parametrize(
    ("students", "questions", "expected"),
    [
        (1, 1, 1),
        (100, 1, 1),  # the small job of docs/performance.md
        (49, 40, 1),
        (50, 40, None),  # 2,000 variants: the cores
        (1000, 40, None),
        (write.MIN_PARALLEL, 1, None),
    ],
)
def test_the_default_is_one_process_below_min_parallel(students, questions, expected) -> None:
    assert write.default_jobs(students, questions) == (expected or cores())


def test_a_small_exam_forks_no_worker_unless_jobs_is_given(
    runner, monkeypatch, tmp_path: Path, core_bank: Path
) -> None:
    monkeypatch.setattr(pool, "ProcessPoolExecutor", _NoPool)
    monkeypatch.setattr(pool, "default_jobs", lambda: 2)  # as on a 2-core machine
    monkeypatch.setattr(write, "MIN_PARALLEL", 10**6)
    args = ["generate", str(core_bank), "--count", "120", "--seed", "small-exam-seed-000000"]
    monkeypatch.setattr(_NoPool, "asked", [])
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "default")])
    assert result.exit_code == 0, result.output
    assert _NoPool.asked == []
    forced = runner.invoke(app, [*args, "--out", str(tmp_path / "two"), "--jobs", "2"])
    assert forced.exit_code != 0 and _NoPool.asked == [1]  # the control: --jobs 2 asks
    monkeypatch.setattr(write, "MIN_PARALLEL", 0)
    large = runner.invoke(app, [*args, "--out", str(tmp_path / "large")])
    assert large.exit_code != 0 and _NoPool.asked == [1, 1]  # a large exam asks too
