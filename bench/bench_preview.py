"""Benchmark: from saving a bank to the re-rendered ``quizgen preview --watch`` page.

For each shipped bank, starts ``quizgen preview BANK --watch`` (the real console script) on a
copy, then edits the copy's title ROUNDS times and measures from the write to the moment the
served page holds the new title (the server notices the save by polling every 0.1 s, loads,
checks and renders the bank; the open page then reloads itself, which this does not count).
The first render and the first edit warm the process (imports, sympy caches) and are untimed.

Target: median ≤ 1 s per shipped bank.

Run: ``python bench/bench_preview.py [--rounds N]``.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 5


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def _save_to_page(url: str, bank: Path, text: str, marker: str) -> float:
    """Seconds from writing ``bank`` (its title set to ``marker``) to a page showing it."""
    edited = re.sub(r"^title: .*$", f"title: {marker}", text, count=1, flags=re.M)
    start = time.perf_counter()
    bank.write_text(edited, encoding="utf-8")
    while marker not in _get(url):
        time.sleep(0.01)
    return time.perf_counter() - start


def bench_bank(source: Path) -> list[float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-preview-"))
    bank = folder / source.name
    shutil.copy(source, bank)
    text = bank.read_text(encoding="utf-8")
    script = Path(sys.executable).parent / "quizgen"
    proc = subprocess.Popen(
        [str(script), "preview", str(bank), "--watch", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)[0]  # type: ignore[index]
        _save_to_page(url, bank, text, "warm-up")
        return [_save_to_page(url, bank, text, f"edit-{i}") for i in range(ROUNDS)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    print(f"save -> re-rendered preview page, {ROUNDS} edits per bank (seconds)")
    worst = 0.0
    for source in sorted((ROOT / "banks").glob("*.yaml")):
        times = bench_bank(source)
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"{source.name:22} median {median:.3f}  min {min(times):.3f}  max {max(times):.3f}")
    print(f"worst median {worst:.3f} s (target <= 1 s)")
