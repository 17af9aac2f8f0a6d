"""Run every benchmark in this folder: ``python bench/run.py``."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    chosen = sys.argv[1:]
    for script in sorted(HERE.glob("bench_*.py")):
        if chosen and not any(name in script.name for name in chosen):
            continue
        print(f"== {script.name}", flush=True)
        # The names given select benchmarks; they are not the benchmark's own arguments
        # (bench_grade_cli.py refused them).
        sys.argv = [str(script)]
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as exit:  # a benchmark's own exit status must not stop the others
            if exit.code not in (None, 0):
                print(f"{script.name} exited with {exit.code}")
        print(flush=True)
