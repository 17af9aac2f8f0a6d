"""Benchmark: the item-analysis report for 1,000 students × 30 questions.

The exam is the first 30 questions of the shipped banks; answers are synthesised from a simple
ability model (each student's chance of a right answer falls with the item's difficulty;
wrong answers are a declared mistake, another option or a plain wrong value; a few blanks)
and graded with ``grade_exam``: that part is set-up, not timed. Then, as ``quizgen report``
runs them, with medians over repeats:

* read ``grading.json`` and what the report uses of ``key.json``,
* analyse (class, items, options, mistakes, parameter splits and their tests),
* render ``report.html`` and the four CSV files, and write them,
* all of it as ``build_report`` (what the command runs),
* and the command itself, ``quizgen report`` in a fresh process (imports included).

Wall and CPU time are both printed: the machine these figures come from is shared, and under
load the wall time grows while the process's own CPU time stays near an idle machine's.

Target (issue 12): the report renders in ≤ 3 s. Run: ``python bench/bench_report.py``.
"""

from __future__ import annotations

import math
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from quizgen.bank.model import load_bank
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.generate.write import key_json
from quizgen.grade.pipeline import grade_exam
from quizgen.grade.submissions import Submission, exam_fingerprint
from quizgen.grade.write import grading_json
from quizgen.keyfile import KeyWriter
from quizgen.report.files import build_report, gc_paused, load_run, write_report
from quizgen.report.html import report_html
from quizgen.report.items import analyse_run
from quizgen.report.tables import CSV_FILES
from quizgen.variant import ChoiceKey, Exam, ExpressionKey, NumericKey, TextKey, TrueFalseKey

ROOT = Path(__file__).resolve().parent.parent
STUDENTS = 1000
QUESTIONS = 30
REPEATS = 5
TARGET_SECONDS = 3.0


def _banks():
    # The shipped first bank, then the others, until QUESTIONS questions are taken.
    files = sorted((ROOT / "banks").glob("*.yaml"), key=lambda p: p.name != "rnn-lstm.yaml")
    kept, total = [], 0
    for bank in (load_bank(p) for p in files):
        take = bank.questions[: QUESTIONS - total]
        if take:
            kept.append(bank.model_copy(update={"questions": take}))
            kept[-1]._located = bank._located
            total += len(take)
    if total < QUESTIONS:
        sys.exit(f"the shipped banks hold only {total} questions; the benchmark needs {QUESTIONS}")
    return kept


def _wrong(rng: random.Random, key) -> object:
    mistakes = getattr(key, "mistakes", [])
    if mistakes and rng.random() < 0.4:
        m = rng.choice(mistakes)
        if isinstance(key, NumericKey):
            return m.display
        return m.value if isinstance(key, ExpressionKey) else m.answer
    if isinstance(key, ChoiceKey):
        wrong = [o.label for o in key.options if not o.correct]
        return rng.sample(wrong, 1) if key.kind == "multi" else rng.choice(wrong)
    if isinstance(key, TrueFalseKey):
        return not key.answer
    return "0" if not isinstance(key, TextKey) else "no idea"


def _right(key) -> object:
    if isinstance(key, NumericKey):
        return key.display
    if isinstance(key, ExpressionKey):
        return key.value
    if isinstance(key, ChoiceKey):
        labels = key.correct_labels()
        return labels if key.kind == "multi" else labels[0]
    if isinstance(key, TrueFalseKey):
        return key.answer
    if isinstance(key, TextKey):
        return key.answers[0] if key.answers else "text"
    return "An essay answer."


def submissions(exam: Exam, seed: int = 1) -> list[Submission]:
    """Answers from an ability model: P(right) = logistic(ability − difficulty)."""
    rng = random.Random(seed)
    fingerprint = exam_fingerprint(exam)
    difficulty: dict[str, float] = {}
    subs = []
    for paper in exam.papers:
        ability = rng.gauss(0.5, 1.0)
        answers: dict[str, object] = {}
        for variant in paper.variants:
            parts = {}
            for pid, key, _ in variant.gradable():
                b = difficulty.setdefault(f"{variant.question_id}.{pid}", rng.uniform(-1.5, 2))
                if rng.random() < 0.03:
                    parts[pid] = None
                elif rng.random() < 1 / (1 + math.exp(b - ability)):
                    parts[pid] = _right(key)
                else:
                    parts[pid] = _wrong(rng, key)
            answers[variant.question_id] = parts.get("", parts)
        subs.append(Submission(exam=fingerprint, student_id=paper.student_id, answers=answers))
    return subs


def _median(func: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``func`` over ``repeats`` runs, and its result.

    CPU time is this process's own: on a machine shared with other work it stays close to what
    an idle machine would take, while wall time grows with the load.
    """
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        result = func()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def _cli_seconds(grades: Path, key: Path, out: Path, repeats: int = 3) -> float:
    script = Path(sys.executable).with_name("quizgen")
    command = [str(script), "report", str(grades), "--key", str(key), "--out", str(out)]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _write_v2(exam: Exam, path: Path) -> None:
    writer = KeyWriter(path, exam.model_copy(update={"papers": []}))
    for paper in exam.papers:
        writer.add(paper)
    writer.close(exam.fingerprint or "")


def main() -> int:
    start = time.perf_counter()
    exam = build_exam(_banks(), numbered_students(STUDENTS), "bench-report")
    report = grade_exam(exam, submissions(exam))
    items = sum(len(s.items) for s in report.students)
    print(
        f"set-up: {STUDENTS} students × {QUESTIONS} questions = {items} items, drawn and "
        f"graded in {time.perf_counter() - start:.1f} s (not timed below)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        grades, key = root / "grades", root / "key.json"
        grades.mkdir()
        (grades / "grading.json").write_text(grading_json(report), encoding="utf-8")
        _write_v2(exam, key)  # what `quizgen generate` writes (quizgen-exam/2)
        old = root / "key-v1.json"
        old.write_text(key_json(exam), encoding="utf-8")
        sizes = (grades / "grading.json").stat().st_size, key.stat().st_size
        print(
            f"grading.json {sizes[0] / 1e6:.1f} MB, key.json {sizes[1] / 1e6:.1f} MB "
            f"(as quizgen-exam/1: {old.stat().st_size / 1e6:.1f} MB)"
        )

        def paused(func: Callable[[], object]) -> Callable[[], object]:
            def run() -> object:
                with gc_paused():  # as `quizgen report` runs them
                    return func()

            return run

        t_read = _median(paused(lambda: load_run(grades, key)))
        t_read_v1 = _median(paused(lambda: load_run(grades, old)))
        graded, frozen = t_read[2]
        t_analyse = _median(paused(lambda: analyse_run(graded, frozen)))
        analysis = t_analyse[2]
        t_html = _median(lambda: report_html(analysis))
        t_csv = _median(lambda: [build(analysis) for build in CSV_FILES.values()])
        t_write = _median(lambda: write_report(analysis, grades / "report.html"))
        t_all = _median(lambda: build_report(grades, key, grades / "report.html"))
        cli = _cli_seconds(grades, key, grades / "report.html")
        page = t_html[2]
    print(
        f"analysis: {len(analysis.items)} items, {len(analysis.options)} option rows, "
        f"{len(analysis.mistakes)} mistake rows, {len(analysis.params)} parameter splits "
        f"({sum(p.significant for p in analysis.params)} flagged); report.html "
        f"{len(page) / 1e3:.0f} kB"
    )
    print(f"{'median of ' + str(REPEATS):32} {'wall':>7} {'CPU':>7}")
    rows = [
        ("read grading.json + key.json", t_read),
        ("  the same, a quizgen-exam/1 key", t_read_v1),
        ("analyse", t_analyse),
        ("render report.html", t_html),
        ("render the four CSV files", t_csv),
        ("render + write all five files", t_write),
    ]
    for label, (wall, cpu, _) in rows:
        print(f"{label:32} {wall:6.2f}s {cpu:6.2f}s")
    wall, cpu, _ = t_all
    verdict = "OK" if wall <= TARGET_SECONDS else "OVER"
    print(
        f"{'all: read, analyse, write':32} {wall:6.2f}s {cpu:6.2f}s  ({verdict} on wall time: "
        f"target {TARGET_SECONDS:g} s)"
    )
    print(f"{'`quizgen report`, fresh process':32} {cli:6.2f}s          (imports included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
