"""Benchmark: ``quizgen grade`` end to end, as a user runs it, on a 1,000-student class.

Builds the class once (``key.json`` from ``bench/bank-grade.yaml`` and one JSON submission
file per student, answered as in ``bench_grade.py``), then runs the real console script
three times in a subprocess and prints the median wall time and the largest peak memory.
Reading, checking and writing every output are all in the figure; this is the number that
shows what the bounded readers cost.

Run: ``python bench/bench_grade_cli.py [--class DIR] [--runs 3]``. With ``--class DIR`` the
class is built into DIR when DIR has no key.json yet, and reused otherwise, so that two
checkouts can be timed on the very same files.
"""

from __future__ import annotations

import argparse
import json
import resource
import runpy
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STUDENTS = 1000


def build_class(folder: Path) -> None:
    """key.json and submissions/<id>.json for STUDENTS students."""
    bench = runpy.run_path(str(HERE / "bench_grade.py"))
    from quizgen.bank.model import load_bank
    from quizgen.generate.exam import build_exam, numbered_students
    from quizgen.generate.write import key_json

    exam = build_exam([load_bank(HERE / "bank-grade.yaml")], numbered_students(STUDENTS), "b")
    (folder / "submissions").mkdir(parents=True, exist_ok=True)
    (folder / "key.json").write_text(key_json(exam), encoding="utf-8")
    for sub in bench["submissions"](exam):
        data = sub.model_dump(exclude_defaults=True)
        path = folder / "submissions" / f"{sub.student_id}.json"
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def run_once(folder: Path, out: Path) -> tuple[float, int, int]:
    """(wall seconds, peak RSS in MiB of the child, exit code) of one ``quizgen grade``."""
    command = ["quizgen", "grade", str(folder / "key.json"), str(folder / "submissions")]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--out", str(out), "--force"], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    return wall, peak, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--class", dest="folder", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp) / "class"
        if not (folder / "key.json").exists():
            build_class(folder)
        walls, peaks, codes = [], [], set()
        for i in range(args.runs):
            wall, peak, code = run_once(folder, Path(tmp) / f"out{i}")
            walls.append(wall)
            peaks.append(peak)
            codes.add(code)
        shown = ", ".join(f"{w:.2f}" for w in walls)
        median = statistics.median(walls)
        print(
            f"quizgen grade, {STUDENTS} students (JSON files): median {median:.2f} s wall "
            f"over {args.runs} runs ({shown}); peak RSS {max(peaks)} MiB; exit {codes}"
        )
    return 0


if __name__ == "__main__":
    main()
