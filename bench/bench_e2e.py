"""Benchmark: the console commands end to end, as a user runs them (issue 14).

Each step runs the installed ``quizgen`` script in a subprocess and reports its wall time,
its CPU time (user + system, the process and every worker it waited for) and its peak
resident memory (the largest single process, from ``os.wait4``). Steps:

- ``generate`` 1,000 and 10,000 students of ``banks/rnn-lstm.yaml`` (100,000 with
  ``--large``), both formats, ``--jobs 1`` and the default (one process per core); at 1,000
  also ``--key-only`` (the drawing side alone: pre-check, drawing, ``key.json``);
- ``grade`` 1,000 and 10,000 JSON submissions of ``bench/bank-grade.yaml`` (answered as in
  ``bench_grade.py``: right, wrong, known mistakes, blanks, invalid), with feedback files;
  the smaller class also with ``--jobs 1`` (what the processes give at that size);
- ``grade`` 100 submissions against a 100,000-student key (the key is assembled from 1,000
  drawn papers under 100,000 ids: reading it costs what a drawn one's would, since grading
  seeks to the 100 papers and reads the index, whatever the variants hold);
- ``export`` the 20 questions of ``banks/attention.yaml`` × 200 and × 5,000 variants to each
  format (``--jobs`` the cores; at 200 also ``--jobs 1``);
- ``startup``: small jobs, where loading the code is most of the cost (medians of 5 runs):
  ``--help``, checking and drawing 100 papers of ``bench/bank-words.yaml`` (no formulas, so
  no sympy), 100 papers of the one-expression ``tests/data/answer-bank.yaml`` and rendering
  them again from its ``key.json``.

Run: ``python bench/bench_e2e.py [generate|grade|export|startup ...] [--large] [--quick]
[--classes DIR] [--again] [--repeat N]`` (``--quick``: the smallest size of each step only;
``--classes DIR``: build the grading classes and the 100,000-student key in DIR once and reuse
them; ``--again``: grade each class, and generate each class with the cores, a second time
into its first run's folder, replacing its files, as a regrade or a regenerated exam does;
``--repeat N``: the 200-variant exports N times each, formats in turn, medians shown). The
machine is shared: quote medians of several runs and the load average printed with each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GEN_BANK = ROOT / "banks" / "rnn-lstm.yaml"
GRADE_BANK = HERE / "bank-grade.yaml"
EXPORT_BANK = ROOT / "banks" / "attention.yaml"
WORDS_BANK = HERE / "bank-words.yaml"
ANSWER_BANK = ROOT / "tests" / "data" / "answer-bank.yaml"
SEED = "bench-e2e-0123456789abcdefghij"
FORMATS = {"canvas": "zip", "moodle": "xml", "gift": "gift", "qti21": "zip"}


def run(*args: object) -> dict[str, float]:
    """Run ``quizgen *args``; wall s, CPU s and peak RSS MiB of the process tree."""
    start = time.perf_counter()
    child = subprocess.Popen(
        ["quizgen", *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    error = child.stderr.read().decode("utf-8", "replace") if child.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # grade exits 1 when it rejects a submission: still a run
        sys.exit(f"quizgen {' '.join(map(str, args))} failed ({code}):\n{error}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss": usage.ru_maxrss / 1024,
        "load": os.getloadavg()[0],
    }


def show(what: str, m: dict[str, float], work: int, unit: str) -> None:
    rate = work / m["wall"]
    print(
        f"{what:<48} wall {m['wall']:7.2f} s  cpu {m['cpu']:7.2f} s  peak RSS {m['rss']:6.0f} MiB"
        f"  {rate:9,.0f} {unit}/s wall  (load {m['load']:.1f})",
        flush=True,
    )


def _questions(bank: Path) -> int:
    from quizgen.bank import load_banks

    return len(load_banks([bank])[0].questions)


def bench_generate(tmp: Path, sizes: list[int], again: bool = False) -> None:
    """Generate each class size into a new folder (``--jobs 1`` and the cores up to 1,000
    students); with ``again``, the cores' run a second time into its own folder with
    ``--force``, which replaces every file of the first run, as a regenerated exam does."""
    per = _questions(GEN_BANK)
    for n in sizes:
        for jobs in [1, None] if n <= 1000 else [None]:
            out = tmp / f"gen-{n}-{jobs}"
            extra = ["--jobs", jobs] if jobs else []
            command = ["generate", GEN_BANK, "--count", n, "--seed", SEED, "--out", out, *extra]
            m = run(*command)
            key = (out / "key.json").stat().st_size / 1e6
            label = f"generate {n:,} × {per} q (--jobs {jobs or 'cores'}), key {key:.0f} MB"
            show(label, m, n * per, "variants")
            if again and jobs is None:
                show(
                    "  the same again into its folder (--force)",
                    run(*command, "--force"),
                    n * per,
                    "variants",
                )
            subprocess.run(["rm", "-rf", str(out)], check=True)
        if n <= 1000:  # the drawing side alone: pre-check, draw, key.json (no rendering)
            out = tmp / f"gen-{n}-key"
            m = run("generate", GEN_BANK, "--count", n, "--seed", SEED, "--out", out, "--key-only")
            show(f"generate {n:,} × {per} q --key-only (--jobs cores)", m, n * per, "variants")
            subprocess.run(["rm", "-rf", str(out)], check=True)


def _class(folder: Path, n: int) -> int:
    """Generate a class of ``n`` (bank-grade) and write one answered submission each."""
    run("generate", GRADE_BANK, "--count", n, "--seed", SEED, "--out", folder, "--format", "md")
    bench = runpy.run_path(str(HERE / "bench_grade.py"))
    from quizgen.keyfile import open_key

    subs = folder / "answered"
    subs.mkdir()
    answers = 0
    for sub in bench["submissions"](open_key(folder / "key.json")):
        data = sub.model_dump(exclude_defaults=True)
        answers += sum(len(a) if isinstance(a, dict) else 1 for a in sub.answers.values())
        (subs / f"{sub.student_id}.json").write_text(json.dumps(data), encoding="utf-8")
    return answers


def _big_key(folder: Path, n: int, drawn: int = 1000) -> None:
    """A v2 key of ``n`` students assembled from ``drawn`` drawn papers, renamed."""
    from quizgen.bank.model import load_bank
    from quizgen.fingerprint import Fingerprinter
    from quizgen.generate.exam import draw_papers, exam_head, numbered_students
    from quizgen.keyfile import KeyWriter

    banks = [load_bank(GRADE_BANK)]
    papers = list(draw_papers(banks, numbered_students(drawn), SEED))
    head = exam_head(banks, SEED)
    hasher, writer = Fingerprinter(head), KeyWriter(folder / "key.json", head)
    width = len(str(n))
    for i in range(n):
        paper = papers[i % drawn].model_copy(
            update={"student_id": f"s{i + 1:0{width}d}", "number": i + 1}
        )
        hasher.add(paper)
        writer.add(paper)
    writer.close(hasher.hexdigest())


def _answered_100k(folder: Path) -> Path:
    """A 100,000-student key and the submissions of its first 100 students, in ``folder``
    (made once: with ``--classes`` they are kept and reused)."""
    subs = folder / "answered"
    if subs.is_dir():
        return subs
    folder.mkdir(parents=True, exist_ok=True)
    _big_key(folder, 100_000)
    bench = runpy.run_path(str(HERE / "bench_grade.py"))
    from quizgen.keyfile import open_key

    exam = open_key(folder / "key.json")
    subs.mkdir()
    head = exam.model_copy(update={"papers": exam.papers[:100]})
    for sub in bench["submissions"](head):
        data = sub.model_dump(exclude_defaults=True)
        (subs / f"{sub.student_id}.json").write_text(json.dumps(data), encoding="utf-8")
    return subs


def bench_grade(
    tmp: Path, sizes: list[int], classes: Path | None = None, again: bool = False
) -> None:
    """Grade classes of ``sizes`` and 100 of a 100,000-student key; with ``classes`` the
    classes are built there once and reused (paired runs of two checkouts grade the same
    files), else in ``tmp``. Each run writes a new folder; with ``again`` each class is
    also graded a second time into the first run's folder (``--force``), which replaces
    (and so deletes) every file of the first run."""
    home = classes or tmp
    for n in sizes:
        folder = home / f"class-{n}"
        if (folder / "answered").is_dir():
            subs = list((folder / "answered").glob("*.json"))
            answers = sum(_answer_count(path) for path in subs)
        else:
            answers = _class(folder, n)
        command = ["grade", folder / "key.json", folder / "answered", "--out", tmp / f"g-{n}"]
        m = run(*command)
        show(f"grade {n:,} submissions ({answers:,} answers), feedback", m, answers, "answers")
        if again:
            m = run(*command, "--force")
            show("  the same again into its folder (--force)", m, answers, "answers")
        if n == min(sizes):  # what the processes give at a small class (new folder too)
            alone = [*command[:-1], tmp / f"g-{n}-jobs1", "--jobs", "1"]
            show("  the same in one process (--jobs 1)", run(*alone), answers, "answers")
    folder = home / "class-100k"
    subs = _answered_100k(folder)
    key_mb = (folder / "key.json").stat().st_size / 1e6
    m = run("grade", folder / "key.json", subs, "--out", tmp / "g-100k")
    show(f"grade 100 submissions, 100,000-student key ({key_mb:.0f} MB)", m, 100, "submissions")


def _answer_count(path: Path) -> int:
    answers = json.loads(path.read_text(encoding="utf-8")).get("answers", {})
    return sum(len(a) if isinstance(a, dict) else 1 for a in answers.values())


def bench_export(tmp: Path, sizes: list[int], repeat: int = 1) -> None:
    """Each format at each size with the default ``--jobs`` (the cores); the smallest size
    also with ``--jobs 1``, to show what the second process gives. The smallest size runs
    ``repeat`` times, formats in turn, and shows the medians (its goal is ≤ 2 s wall)."""
    per = _questions(EXPORT_BANK)
    for n in sizes:
        for jobs in ["1", ""] if n == min(sizes) else [""]:
            runs: dict[str, list[dict[str, float]]] = {fmt: [] for fmt in FORMATS}
            for _ in range(repeat if n == min(sizes) else 1):
                for fmt, ext in FORMATS.items():
                    out = tmp / f"export-{n}.{fmt}.{ext}"
                    args = ["--variants", n, "--seed", "1", "--out", out]
                    extra = ["--jobs", jobs] if jobs else []
                    runs[fmt].append(run("export", EXPORT_BANK, "--to", fmt, *args, *extra))
            for fmt, ext in FORMATS.items():
                size = (tmp / f"export-{n}.{fmt}.{ext}").stat().st_size / 1e6
                what = f"export {per} q × {n:,} → {fmt} ({size:.1f} MB) jobs {jobs or 'cores'}"
                if len(runs[fmt]) > 1:
                    what += f", median of {len(runs[fmt])}"
                show(what, _medians(runs[fmt]), per * n, "variants")


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    """Each figure's median over the runs."""
    return {name: statistics.median(m[name] for m in runs) for name in runs[0]}


def bench_startup(tmp: Path, repeats: int = 5) -> None:
    """Small jobs, where start-up is most of the cost: the median of ``repeats`` runs each."""
    drawn = tmp / "start-answer"
    seeded = ["--count", 100, "--seed", SEED, "--force", "--out"]
    steps = [
        ("quizgen --help", ["--help"]),
        ("check bench/bank-words.yaml (no formulas)", ["check", WORDS_BANK]),
        ("generate bank-words × 100 (no formulas)", ["generate", WORDS_BANK, *seeded, tmp / "w"]),
        ("generate answer-bank × 100 (one expression)", ["generate", ANSWER_BANK, *seeded, drawn]),
        (
            "render answer-bank × 100 from key.json",
            ["render", drawn / "key.json", "--force", "--out", tmp / "rendered"],
        ),
    ]
    for what, args in steps:
        runs = [run(*args) for _ in range(repeats)]
        m = _medians(runs)
        print(
            f"{what:<48} wall {m['wall']:7.2f} s  cpu {m['cpu']:7.2f} s  "
            f"peak RSS {m['rss']:6.0f} MiB  (median of {repeats}, load {m['load']:.1f})",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("steps", nargs="*", default=["generate", "grade", "export", "startup"])
    parser.add_argument("--large", action="store_true", help="generate 100,000 students too")
    parser.add_argument("--quick", action="store_true", help="the smallest size of each step")
    parser.add_argument(
        "--repeat", type=int, default=1, help="export: runs of the smallest size (medians)"
    )
    parser.add_argument(
        "--classes",
        type=Path,
        help="grade: build the classes and the 100,000-student key here once, reuse them after",
    )
    parser.add_argument(
        "--again",
        action="store_true",
        help="grade, generate: also run each class again into its first run's folder (--force)",
    )
    args = parser.parse_args()
    steps = {"generate", "grade", "export", "startup"}
    args.steps = [s for s in args.steps if s in steps] or sorted(steps)
    print(f"{os.cpu_count()} cores; quizgen from {ROOT}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if "generate" in args.steps:
            sizes = [1000] if args.quick else [1000, 10_000]
            bench_generate(Path(tmp), [100_000] if args.large else sizes, args.again)
        if "grade" in args.steps:
            sizes = [1000] if args.quick else [1000, 10_000]
            bench_grade(Path(tmp), sizes, args.classes, args.again)
        if "export" in args.steps:
            bench_export(Path(tmp), [200] if args.quick else [200, 5000], args.repeat)
        if "startup" in args.steps:
            bench_startup(Path(tmp), 1 if args.quick else 5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
