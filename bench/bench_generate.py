"""Benchmark: a 1,000-student, 20-question exam drawn, solved and rendered in both formats.

Prints question variants per second for drawing+solving and for rendering (HTML and Markdown
separately), as medians over repeats. Run: ``python bench/bench_generate.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from quizgen.bank import load_bank
from quizgen.exam import build_exam, numbered_students
from quizgen.render import get_renderer

ROOT = Path(__file__).resolve().parent.parent
STUDENTS = 1000
QUESTIONS = 20


def _banks():
    # The shipped first bank, then the others, until QUESTIONS questions are taken.
    files = sorted((ROOT / "banks").glob("*.yaml"), key=lambda p: p.name != "rnn-lstm.yaml")
    banks = [load_bank(p) for p in files]
    kept, total = [], 0
    for bank in banks:  # the first QUESTIONS questions across the shipped banks
        take = bank.questions[: QUESTIONS - total]
        if take:
            kept.append(bank.model_copy(update={"questions": take}))
            kept[-1]._located = bank._located
            total += len(take)
    if total < QUESTIONS:
        sys.exit(f"the shipped banks hold only {total} questions; the benchmark needs {QUESTIONS}")
    return kept


def _median_time(func, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(repeats: int = 3) -> None:
    banks = _banks()
    students = numbered_students(STUDENTS)
    variants = STUDENTS * QUESTIONS
    t_build, exam = _median_time(lambda: build_exam(banks, students, "bench"), repeats)
    print(
        f"draw+solve   {variants} variants: {t_build:6.2f} s  {variants / t_build:9.0f} variants/s"
    )
    for name in ("html", "md"):
        renderer = get_renderer(name)
        t_render, _ = _median_time(
            lambda r=renderer: [r.paper(exam, p) for p in exam.papers], repeats
        )
        print(
            f"render {name:5} {variants} variants: {t_render:6.2f} s  {variants / t_render:9.0f} variants/s"
        )
    t_json, _ = _median_time(lambda: exam.model_dump_json(indent=1), repeats)
    print(f"key.json     {variants} variants: {t_json:6.2f} s")


if __name__ == "__main__":
    main()
