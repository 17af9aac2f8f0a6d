"""Benchmark: grade 1,000 students × 20 questions (7 of them symbolic) in one batch.

The exam is drawn from ``bench/bank-grade.yaml``; submissions are synthesised the way a class
answers: mostly right (written in several equivalent forms), some known mistakes, some other
wrong answers, a few blanks and a few unreadable or hostile strings, with many students typing
the same thing. Prints the wall time of ``grade_exam``, checks per second, the cache hit rate,
and the median and p99 time of one expression check. Target: the batch in ≤ 5 s.

Run: ``python bench/bench_grade.py [--write]`` (``--write`` also times writing every output).
"""

from __future__ import annotations

import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from quizgen.bank.model import load_bank
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.grade.pipeline import grade_exam
from quizgen.grade.submissions import Submission, exam_fingerprint
from quizgen.grade.write import write_grading
from quizgen.render.feedback import feedback_files
from quizgen.variant import ChoiceKey, Exam, ExpressionKey, NumericKey, Paper, TextKey, Variant

HERE = Path(__file__).resolve().parent
STUDENTS = 1000
SEED = "bench-grade"
TARGET_SECONDS = 5.0

# Equivalent ways students write each expression answer ({name} = the variant's value).
CORRECT_FORMS: dict[str, list[str]] = {
    "e-lstm": ["4*(n*h + h^2 + h)", "4*h*(n+h+1)", "4nh + 4h^2 + 4h", "4 h (n + h + 1)"],
    "e-gru": ["3*(n*h + h^2 + h)", "3*h*(n+h+1)", "3nh + 3h² + 3h", "3(h n + h^2 + h)"],
    "e-bilstm": ["8*(n*h + h^2 + h)", "2*4*(n*h+h^2+h)", "8h(n+h+1)", "8nh+8h^2+8h"],
    "e-rnn": ["x*h + h^2 + h*y + h + y", "h(x+h+y+1)+y", "xh + h^2 + hy + h + y"],
    "e-decay": ["w^{k}", "w**{k}", "{w_product}"],
    "e-stacked": ["4*(n*h+h^2+h) + {Lm1}*4*(2*h^2+h)", "4*n*h + {h2}*h^2 + {h1}*h"],
    "e-sigmoid": ["s*(1-s)", "s - s^2", "s(1 − s)", "-s^2 + s"],
}
WRONG_FORMS = ["n*h + h^2", "4*n*h", "h^2", "2*s", "x + y", "w", "0"]
INVALID_FORMS = [
    "4*(n*h + h^2",
    "__import__('os').system('true')",
    "9^9^9^9",
    "factorial(10^9)",
    "n h )",
    "lambda: 0",
    "1e999999999",
]
TEXT_FORMS = [
    "vanishing gradient",
    "Vanishing gradients",
    "vanishing  gradient",
    "exploding gradient",
]


def _forms(variant: Variant) -> dict[str, str]:
    """Values the expression templates use, from the variant's drawn parameters."""
    values = {k: v for k, v in variant.values.items()}
    if "k" in values:
        values["w_product"] = "*".join(["w"] * int(values["k"]))
    if "L" in values:
        layers = int(values["L"])
        values.update(
            Lm1=str(layers - 1), h2=str(4 + 8 * (layers - 1)), h1=str(4 + 4 * (layers - 1))
        )
    return values


_PRODUCT = re.compile(r"(?<!\*)\*(?!\*)")  # a single '*', not part of '**'


def _jitter(rng: random.Random, text: str) -> str:
    """Retype ``text`` the way students vary it: spacing, power and product signs."""
    if rng.random() < 0.5:
        return text
    before, after = rng.choice([("", ""), (" ", " "), ("", " ")])
    for op in "+-":
        text = text.replace(f" {op} ", op).replace(op, f"{before}{op}{after}")
    if rng.random() < 0.3:
        text = _PRODUCT.sub(rng.choice(["·", "×", " * "]), text)
    if rng.random() < 0.3:
        text = text.replace("^", "**")
    return text


def _expression(rng: random.Random, variant: Variant, key: ExpressionKey, roll: float) -> str:
    if roll < 0.62:
        form = rng.choice(CORRECT_FORMS[variant.question_id]).format(**_forms(variant))
        return _jitter(rng, form)
    if roll < 0.80 and key.mistakes:
        return _jitter(rng, rng.choice(key.mistakes).value)
    if roll < 0.93:
        return rng.choice(WRONG_FORMS)
    return rng.choice(INVALID_FORMS)


def _numeric(rng: random.Random, key: NumericKey, roll: float) -> str:
    if roll < 0.65:
        return key.display
    if roll < 0.80 and key.mistakes:
        return rng.choice(key.mistakes).display
    if roll < 0.95:
        return str(round(key.approx) + rng.choice([-10, -1, 1, 2, 100]))
    return rng.choice(["twenty", "1,2,3", "20362.", "1e999999999"])


def _choice(rng: random.Random, key: ChoiceKey, roll: float) -> str | list[str]:
    labels = [o.label for o in key.options]
    right = key.correct_labels()
    if key.kind == "multi":
        if roll < 0.6:
            return right
        return sorted(rng.sample(labels, rng.randint(1, len(labels))))
    return right[0] if roll < 0.7 else rng.choice(labels)


def _response(rng: random.Random, variant: Variant, key) -> object:
    roll = rng.random()
    if roll > 0.97:
        return None  # left blank
    if isinstance(key, ExpressionKey):
        return _expression(rng, variant, key, roll)
    if isinstance(key, NumericKey):
        return _numeric(rng, key, roll)
    if isinstance(key, ChoiceKey):
        return _choice(rng, key, roll)
    if isinstance(key, TextKey):
        return rng.choice(TEXT_FORMS)
    return roll < 0.8  # true/false


def submissions(exam: Exam, seed: int = 1) -> list[Submission]:
    """One synthesised submission per student."""
    rng = random.Random(seed)
    fingerprint = exam_fingerprint(exam)

    def one(paper: Paper) -> Submission:
        answers = {}
        for variant in paper.variants:
            parts = {pid: _response(rng, variant, key) for pid, key, _ in variant.gradable()}
            answers[variant.question_id] = parts.get("", parts)
        return Submission(exam=fingerprint, student_id=paper.student_id, answers=answers)

    return [one(p) for p in exam.papers]


def _timed(func: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = func()
    return time.perf_counter() - start, time.process_time() - cpu, result


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main(write: bool = False) -> int:
    bank = load_bank(HERE / "bank-grade.yaml")
    exam = build_exam([bank], numbered_students(STUDENTS), SEED)
    subs = submissions(exam)
    items = sum(len(v.gradable()) for p in exam.papers for v in p.variants)
    expr = sum(
        isinstance(k, ExpressionKey)
        for p in exam.papers
        for v in p.variants
        for _, k, _ in v.gradable()
    )
    print(
        f"exam: {STUDENTS} students × {len(bank.questions)} questions = {items} items "
        f"({expr} expression, {100 * expr / items:.0f} %)"
    )
    wall, cpu, report = _timed(lambda: grade_exam(exam, subs))
    stats = report.stats
    checked = [
        i.seconds
        for s in report.students
        for i in s.items
        if i.kind == "expression" and not i.cached and i.status not in ("blank", "missing")
    ]
    hit_rate = stats.cache_hits / max(1, stats.cache_hits + stats.checks)
    verdict = "OK" if wall <= TARGET_SECONDS else "OVER"
    print(
        f"grade_exam: {wall:.2f} s wall, {cpu:.2f} s CPU ({verdict}: target {TARGET_SECONDS:g} s)"
    )
    print(
        f"  checks run: {stats.checks}  ({stats.checks / wall:,.0f} checks/s; "
        f"{items / wall:,.0f} items/s)"
    )
    print(f"  cache: {stats.cache_hits} hits, hit rate {100 * hit_rate:.1f} %")
    if checked:
        print(
            f"  expression check (uncached, n={len(checked)}): "
            f"median {1000 * statistics.median(checked):.2f} ms, "
            f"p99 {1000 * _percentile(checked, 0.99):.2f} ms, "
            f"max {1000 * max(checked):.1f} ms"
        )
    statuses: dict[str, int] = {}
    for s in report.students:
        for i in s.items:
            statuses[i.status] = statuses.get(i.status, 0) + 1
    print("  verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    if write:
        with tempfile.TemporaryDirectory() as tmp:
            t_write, c_write, files = _timed(
                lambda: write_grading(Path(tmp), exam, report, feedback=feedback_files)
            )
            print(f"write_grading: {t_write:.2f} s wall, {c_write:.2f} s CPU, {len(files)} files")
    return 0 if wall <= TARGET_SECONDS else 1


if __name__ == "__main__":
    status = main(write="--write" in sys.argv)
    if status:  # only a failing run exits early (bench/run.py runs the scripts in one process)
        sys.exit(status)
