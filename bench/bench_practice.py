"""Practice: start-up to the first question, and Enter to verdict.

1. Start-up: ``quizgen practice banks/rnn-lstm.yaml`` in a pseudo-terminal (pexpect), timed
   from spawn until the first question and its answer line are on screen; ``quizgen --help``
   is timed the same way as the floor (Python, typer and rich). Goal: ≤ 1 s.
2. Enter to verdict: the practice loop in this process with a rich console writing to
   memory, answering the shipped bank's numeric and expression questions (right, a known
   mistake, plainly wrong, in turn); timed from the moment the answer line is handed over to
   the moment the verdict is printed. The first answer waits 1 s, as a student reading the
   question would, so that the graders load in the background as they do for a person.
   Goals: median ≤ 50 ms (numeric), ≤ 100 ms (expression).

Run: ``python bench/run.py practice``.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BANK = ROOT / "banks" / "rnn-lstm.yaml"
STARTS = 7
ANSWERS = 150


def _spawn_until(command: list[str], *patterns: str) -> list[float]:
    """Seconds from spawning ``command`` in a pseudo-terminal until each pattern shows."""
    import pexpect

    env = {**os.environ, "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    child = pexpect.spawn(command[0], command[1:], env=env, encoding="utf-8", timeout=120)
    times = []
    for pattern in patterns:
        child.expect(pattern)
        times.append(time.perf_counter() - start)
    child.terminate(force=True)
    return times


def startup() -> None:
    quizgen = [sys.executable, "-m", "quizgen"]
    practice = [*quizgen, "practice", str(BANK), "--history", ":memory:"]
    floor = [_spawn_until([*quizgen, "--help"], "Commands")[0] for _ in range(STARTS)]
    runs = [_spawn_until(practice, "Answer with", "›") for _ in range(STARTS)]
    print(f"start-up, {STARTS} runs each (median, min–max):")
    print(f"  quizgen --help                   {_spread(floor)}")
    print(f"  practice: first question shown   {_spread([r[0] for r in runs])}   goal ≤ 1 s")
    print(f"  practice: answer prompt ready    {_spread([r[1] for r in runs])}")


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):6.3f} s ({min(values):.3f}–{max(values):.3f})"


class _Answers:
    """Types the right answer, a known mistake and a wrong one in turn; records the time."""

    def __init__(self) -> None:
        self.key = None
        self.n = 0
        self.sent = 0.0
        self.times: list[float] = []

    def read(self, prompt: str) -> str | None:
        if self.n >= ANSWERS:
            return None
        if self.n == 0:
            time.sleep(1.0)  # a student reads the first question
        answer = self._answer(self.key, self.n % 3)
        self.n += 1
        self.sent = time.perf_counter()
        return answer

    @staticmethod
    def _answer(key, turn: int) -> str:
        mistakes = [m.display for m in key.mistakes]
        if key.kind == "numeric":
            choices = [key.display, mistakes[0] if mistakes else "1", str(int(key.approx) + 7)]
        else:
            wrong = " + ".join(sorted(key.variables))
            choices = [key.value, mistakes[0] if mistakes else wrong, wrong]
        return choices[turn]


def _view(answers: _Answers, console):
    from quizgen.practice.views import RichView

    class TimedView(RichView):
        def part(self, variant, part, key) -> None:
            answers.key = key
            super().part(variant, part, key)

        def verdict(self, answer) -> None:
            super().verdict(answer)
            answers.times.append(time.perf_counter() - answers.sent)

    return TimedView(console, warm_up=True)


def enter_to_verdict(kind: str) -> None:
    from quizgen.bank import load_banks
    from quizgen.practice.loop import run_loop
    from quizgen.practice.session import Session, practice_order, select_items
    from quizgen.practice.views import make_console

    bank = load_banks([BANK])[0]
    ids = [q.id for q in bank.questions if q.kind == kind]
    plan = practice_order(select_items([bank], questions=ids), "bench", ANSWERS)
    answers = _Answers()
    console = make_console(io.StringIO())
    run_loop(plan, Session("bench"), answers, _view(answers, console), lambda a: None)
    ms = sorted(1000 * t for t in answers.times)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    first = answers.times[0] * 1000
    print(
        f"  {kind:<10} {len(ms)} answers over {len(ids)} questions: median "
        f"{statistics.median(ms):6.1f} ms, p99 {p99:6.1f} ms, first {first:.1f} ms"
    )


if __name__ == "__main__":
    startup()
    print("Enter to verdict (in process, rich console to memory):")
    for kind in ("numeric", "expression"):
        pid = os.fork()  # each kind in a fresh process: its first answer pays its imports
        if pid == 0:
            enter_to_verdict(kind)
            sys.stdout.flush()
            os._exit(0)
        os.waitpid(pid, 0)
