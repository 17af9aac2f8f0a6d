"""Benchmark: 20 questions × 200 variants exported to each LMS format.

The 20 questions are those of the shipped banks with the most parameter combinations (so that
their pools can hold 200 distinct variants); they cover numeric, choice, true/false,
expression and multipart questions. Drawing the pools is timed once (it is shared by every
format); each format is then timed from cold caches (Markdown and number caches cleared), as
the median of a few runs, in wall-clock and in CPU seconds (the CPU figure is the fair one on a
busy machine). Target: ≤ 2 s per format. Run: ``python bench/bench_export.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from quizgen.bank.model import load_bank
from quizgen.export import EXPORTERS, answers, qti21
from quizgen.export.base import ExportOptions, build_pools, run_export
from quizgen.generate.compile import compile_bank
from quizgen.render import mathtext

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = 20
VARIANTS = 200
REPEATS = 3


def _banks() -> list:
    """The shipped banks cut down to the QUESTIONS questions with the largest spaces."""
    banks = [load_bank(p) for p in sorted((ROOT / "banks").glob("*.yaml"))]
    sizes = [(q.space_size(), b.id, q.id) for b in banks for q in compile_bank(b)]
    keep = {(bank, qid) for _, bank, qid in sorted(sizes, reverse=True)[:QUESTIONS]}
    if len(keep) < QUESTIONS:
        sys.exit(
            f"the shipped banks hold only {len(keep)} questions; the benchmark needs {QUESTIONS}"
        )
    kept = []
    for bank in banks:
        questions = [q for q in bank.questions if (bank.id, q.id) in keep]
        if questions:
            copy = bank.model_copy(update={"questions": questions})
            copy._located = bank._located
            kept.append(copy)
    return kept


def _cold() -> None:
    """Forget every cached Markdown render and number, as in a fresh process."""
    mathtext.clear_caches()
    caches = (
        answers._target,
        answers._numeric_target,
        answers._numeric_mistakes,
        answers._skeleton_fn,
        answers._typed_forms,
        answers.decimal_text,
        qti21._var,  # the XML fragments each QTI 2.1 item of a pool repeats
        qti21._correct,
        qti21._base,
        qti21._add_score,
        qti21._points_times,
    )
    for cached in caches:
        cached.cache_clear()


def _export_time(fmt: str, pools: list, options: ExportOptions) -> tuple[float, float, int]:
    """Median wall-clock and CPU seconds of one export from cold caches, and its size."""
    wall, cpu, size = [], [], 0
    for _ in range(REPEATS):
        _cold()
        start, start_cpu = time.perf_counter(), time.process_time()
        size = len(run_export(EXPORTERS[fmt], pools, options).data)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu), size


def main() -> None:
    banks = _banks()
    start = time.perf_counter()
    pools, _ = build_pools(banks, "bench", VARIANTS)
    drawn = time.perf_counter() - start
    count = sum(len(p.variants) for p in pools)
    kinds = Counter(p.kind for p in pools)
    print(f"questions: {len(pools)} ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})")
    print(f"draw pools   {count} variants: {drawn:6.2f} s (shared by all formats)")
    options = ExportOptions(title="Benchmark", seed="bench", variants=VARIANTS)
    for fmt in sorted(EXPORTERS):
        seconds, cpu, size = _export_time(fmt, pools, options)
        verdict = "ok" if seconds <= 2 else "SLOW"
        print(
            f"export {fmt:6} {count} variants: {seconds:6.2f} s wall, {cpu:6.2f} s CPU"
            f"  {size / 1e6:5.1f} MB  {verdict}"
        )


if __name__ == "__main__":
    main()
