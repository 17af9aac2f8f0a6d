"""`quizgen practice` and `quizgen progress` through the real console script.

The answers typed here come from tests/data/practice-bank.yaml, whose parameters are fixed
and whose answers were worked out by hand (6 × 7 = 42, 12² = 144, LSTM 4h(n+h+1), the
sigmoid is option B), never from quizgen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_hostile_answers import HOSTILE

pexpect = pytest.importorskip("pexpect", reason="pexpect drives the pseudo-terminal tests")

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "tests" / "data" / "practice-bank.yaml"
SHIPPED = ROOT / "banks"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|[\x08\r]")
TIMEOUT = 60  # seconds for one screen to appear: the machine may be loaded


def _command() -> list[str]:
    script = shutil.which("quizgen", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "quizgen"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "QUIZGEN_HISTORY"}
    return {**env, "PROMPT_TOOLKIT_NO_CPR": "1", **extra}


def _run(*args: str, stdin: str = "", env: dict[str, str] | None = None, timeout: float = 300):
    return subprocess.run(
        [*_command(), *args],
        input=stdin.encode("utf-8", "surrogateescape"),
        capture_output=True,
        env=env or _env(),
        timeout=timeout,
    )


def _attempts(history: Path) -> list[tuple]:
    with sqlite3.connect(history) as db:
        return db.execute(
            "SELECT question_id, part_id, response, status, score, hint FROM attempts ORDER BY id"
        ).fetchall()


# --- a real pseudo-terminal -----------------------------------------------------------------

RIGHT = {"A product": "42", "LSTM parameters": "4h(n+h+1)", "Gate range": "b"}


class Screen:
    """A practice session in a pseudo-terminal, read as plain text."""

    def __init__(self, *args: str, **env: str) -> None:
        command = _command()
        self.child = pexpect.spawn(
            command[0],
            [*command[1:], *args],
            env=_env(**env),
            encoding="utf-8",
            dimensions=(40, 80),
            timeout=TIMEOUT,
        )
        self.seen = ""

    def expect(self, pattern: str) -> re.Match[str]:
        """Wait until ``pattern`` (a regex over the text without escape codes) is on screen."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            match = re.search(pattern, ANSI.sub("", self.seen))
            if match:
                self.seen = ANSI.sub("", self.seen)[match.end() :]
                return match
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on screen; last: {self.seen[-600:]!r}")
            try:
                self.seen += self.child.read_nonblocking(4096, timeout=1)
            except pexpect.TIMEOUT:
                pass
            except pexpect.EOF:
                raise AssertionError(f"{pattern!r} not on screen: {self.seen[-1500:]!r}") from None

    def answer(self, text: str) -> None:
        self.expect("›")
        self.child.send(text + "\r")


def test_a_session_in_a_real_terminal_then_review(tmp_path: Path) -> None:
    history = tmp_path / "history.sqlite3"
    screen = Screen(
        "practice", str(BANK), "--topic", "arithmetic", "--topic", "lstm",
        "--count", "5", "--history", str(history),
    )  # fmt: skip
    for _ in range(4):
        title = screen.expect(r"Question \d of 5 · [a-z/]+ · ([A-Z][A-Za-z ]*[a-z])")[1]
        if title == "A square":  # wrong, with a known mistake
            screen.answer("24")
            screen.expect("✗ Incorrect")
            screen.expect("That is 2h; a square matrix of side h has h² entries")
            screen.expect(r"Answer: 144")
            screen.expect(r"Wₕₕ is 12 × 12, so it has 144 entries")
        elif title == "LSTM parameters":  # a syntax error first: shown, not counted
            screen.answer("4h(n+")
            screen.expect("Could not read that answer")
            screen.expect(r"4h\(n\+\s*\n\s*\^")
            screen.answer(RIGHT[title])
            screen.expect("✓ Correct")
        else:
            screen.answer(RIGHT[title])
            screen.expect("✓ Correct")
        screen.expect("Score")
    screen.expect("Question 5 of 5")
    screen.expect("›")
    screen.child.sendintr()
    screen.expect("Interrupted")
    screen.child.expect(pexpect.EOF)
    screen.child.close()
    assert screen.child.exitstatus == 130

    attempts = _attempts(history)
    assert sorted(attempts) == sorted(
        [
            ("gate-range", "", "b", "correct", 1.0, 0),
            ("lstm-count", "", "4h(n+h+1)", "correct", 1.0, 0),
            ("product", "", "42", "correct", 1.0, 0),
            ("square", "", "24", "incorrect", 0.0, 0),
        ]
    )

    review = _run("practice", str(BANK), "--review", "--history", str(history), stdin="q\n")
    out = review.stdout.decode()
    assert review.returncode == 0, review.stderr
    first = re.search(r"Question 1 of (\d+) · [a-z/]+ · (.+?) ─", out)
    assert first is not None, out
    assert first[2] == "A square"
    assert first[1] == "1"  # the right answers are due tomorrow, not today


def test_up_arrow_recalls_an_earlier_answer(tmp_path: Path) -> None:
    screen = Screen(
        "practice", str(BANK), "--question", "product", "--count", "2", "--history", ":memory:"
    )
    screen.answer("41")
    screen.expect("✗ Incorrect")
    screen.expect("Question 2 of 2")
    screen.expect("›")
    screen.child.send("\x1b[A")  # Up: brings back "41"
    screen.child.send("\x7f2\r")  # Backspace, then 2: "42"
    screen.expect("✓ Correct")
    screen.child.expect(pexpect.EOF)
    screen.child.close()
    assert screen.child.exitstatus == 0


def test_colour_on_a_terminal_and_none_with_no_color() -> None:
    colour = re.compile(r"\x1b\[[0-9;]*(?:3[0-9]|9[0-7])(?:;[0-9]+)*m")
    seen = {}
    for no_color in ("", "1"):
        env = {"NO_COLOR": no_color} if no_color else {"TERM": "xterm-256color"}
        screen = Screen("practice", str(BANK), "--question", "product", "--history", ":memory:",
                        **env)  # fmt: skip
        screen.child.expect("›")
        screen.child.send("42\r")
        screen.child.expect(pexpect.EOF)
        seen[no_color] = screen.child.before
        screen.child.close()
    assert colour.search(seen[""]) is not None
    assert colour.search(seen["1"]) is None, seen["1"][-500:]


# --- piped input -----------------------------------------------------------------------------


def test_piped_transcript_is_plain_and_reproducible(tmp_path: Path) -> None:
    args = ["practice", str(SHIPPED / "rnn-lstm.yaml"), "--seed", "1", "--history", ":memory:"]
    first = _run(*args, stdin="24083\nB\nq\n")
    second = _run(*args, stdin="24083\nB\nq\n")
    out = first.stdout.decode()
    assert first.returncode == 0, first.stderr
    assert "\x1b[" not in out  # no colour or cursor codes in a transcript
    assert "› 24083" in out and "› B" in out  # answers are echoed
    assert "Session over" in out
    assert all(len(line) <= 80 for line in out.splitlines())
    assert first.stdout == second.stdout  # same seed, same session
    other = _run(*args[:-4], "--seed", "2", "--history", ":memory:", stdin="q\n")
    assert other.stdout.decode().split("\n")[3] != out.split("\n")[3]


def test_without_a_seed_each_run_draws_anew() -> None:
    runs = [_run("practice", str(BANK), "--history", ":memory:", stdin="q\n") for _ in range(3)]
    seeds = {re.search(r"seed (\w+)", r.stdout.decode())[1] for r in runs}
    assert len(seeds) == 3


def test_no_tex_reaches_the_screen_for_the_shipped_banks() -> None:
    """Every shipped question's prompt (and options) as a student sees it: no $, no \\frac."""
    count = 70
    result = _run(
        "practice", str(SHIPPED), "--seed", "tex", "--count", str(count),
        "--history", ":memory:", stdin="s\n" * count,
    )  # fmt: skip
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr
    assert out.count("Skipped.") == count
    assert "$" not in out
    assert "\\frac" not in out
    assert re.search(r"\\[A-Za-z]+", out) is None, re.search(r".*\\[A-Za-z]+.*", out)[0]


def test_json_prints_one_verdict_per_answer(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    result = _run(
        "practice", str(BANK), "--question", "product", "--count", "2",
        "--seed", "7", "--json", "--history", str(history), stdin="x\n42\n13\n",
    )  # fmt: skip
    events = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert result.returncode == 0
    verdicts = [e for e in events if e["event"] == "verdict"]
    questions = [e["question"] for e in events if e["event"] == "question"]
    assert [v["status"] for v in verdicts] == ["invalid", "correct", "incorrect"]
    assert [v["counted"] for v in verdicts] == [False, True, True]
    assert verdicts[0]["response"] == "x" and "^" in verdicts[0]["feedback"]
    assert verdicts[2]["feedback"] == "You added the numbers; multiply them."
    assert questions == ["product", "product"]
    solutions = [e for e in events if e["event"] == "solution"]
    assert [(e["answer"], e["solution"]) for e in solutions] == [("42", "6 × 7 = 42, the product.")]
    assert events[-1]["event"] == "end" and events[-1]["answered"] == 2
    assert len(_attempts(history)) == 2


UNDECIDED_BANK = """\
id: undecided
title: An answer the checker cannot judge
questions:
  - id: cube
    kind: expression
    variables: [x]
    answer: x^3
    prompt: Write $x^3$.
    solution: It is $x^3$.
"""


def test_an_undecided_answer_is_not_counted_and_says_to_compare_with_the_solution(
    tmp_path: Path,
) -> None:
    """min(x^3, 10^12) equals x^3 wherever the checker samples, but not for large x, and no
    exact decision exists: the grader says 'undecided'. A student practising alone must not be
    told it is unreadable, nor that an instructor will check it."""
    bank = tmp_path / "undecided.yaml"
    bank.write_text(UNDECIDED_BANK, encoding="utf-8")
    base = ["practice", str(bank), "--count", "1", "--seed", "1", "--history", ":memory:"]
    result = _run(*base, "--json", stdin="min(x^3, 10^12)\nx^3\n")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.decode().splitlines()]
    verdicts = [e for e in events if e["event"] == "verdict"]
    assert [(v["status"], v["counted"], v["undecided"]) for v in verdicts] == [
        ("invalid", False, True),
        ("correct", True, False),
    ]
    assert verdicts[0]["feedback"] == ""
    shown = _run(*base, stdin="min(x^3, 10^12)\nq\n").stdout.decode()
    assert "Not decided (not counted)" in shown and "compare it with the solution" in shown
    assert "Could not read" not in shown and "instructor" not in shown


def test_progress_json_and_table(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    for question, answer in (("product", "42"), ("square", "24")):
        done = _run("practice", str(BANK), "--question", question, "--history", str(history),
                    stdin=answer + "\n")  # fmt: skip
        assert done.returncode == 0
    result = _run("progress", "--json", "--history", str(history))
    data = json.loads(result.stdout)
    assert result.returncode == 0
    topics = {t["topic"]: t for t in data["topics"]}
    assert set(topics) == {"arithmetic/powers", "arithmetic/products"}
    assert (topics["arithmetic/products"]["correct"], topics["arithmetic/products"]["box"]) == (
        1,
        2.0,
    )
    assert (topics["arithmetic/powers"]["correct"], topics["arithmetic/powers"]["box"]) == (0, 1.0)
    assert (data["answers"], data["sessions"]) == (2, 2)
    assert (data["due_today"], data["due_missed"]) == (1, 1)
    table = _run("progress", "--history", str(history))
    text = table.stdout.decode()
    assert "arithmetic/powers" in text
    assert "Due today: 1 question(s) (1 missed last time) in arithmetic/powers" in text


def test_progress_with_no_history_yet(tmp_path: Path) -> None:
    result = _run("progress", "--history", str(tmp_path / "new.sqlite3"))
    assert result.returncode == 0
    assert "No practice yet" in result.stdout.decode()


def test_quizgen_history_variable_sets_the_file(tmp_path: Path) -> None:
    history = tmp_path / "from-env.sqlite3"
    _run("practice", str(BANK), "--question", "product", stdin="42\n",
         env=_env(QUIZGEN_HISTORY=str(history)))  # fmt: skip
    assert [a[0] for a in _attempts(history)] == ["product"]


# --- hostile answers, killed sessions, broken history files ------------------------------------


@pytest.mark.parametrize(("question", "right"), [("lstm-count", "4h(n+h+1)"), ("product", "42")])
def test_every_hostile_answer_typed_at_the_prompt(
    question: str, right: str, tmp_path: Path
) -> None:
    marker = tmp_path / "MARKER"
    lines = [a.replace("{m}", str(marker)) if len(a) < 10_000 else a for a in HOSTILE]
    typed = "\n".join(lines) + f"\n{right}\n"
    count = typed.count("\n") + 1
    history = tmp_path / "h.sqlite3"
    result = _run(
        "practice", str(BANK), "--question", question, "--count", str(count), "--json",
        "--history", str(history), stdin=typed, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert b"Traceback" not in result.stderr
    verdicts = [json.loads(x) for x in result.stdout.splitlines()]
    verdicts = [v for v in verdicts if v["event"] == "verdict"]
    assert verdicts[-1]["response"] == right and verdicts[-1]["status"] == "correct"
    assert all(v["status"] in ("invalid", "incorrect") for v in verdicts[:-1])
    assert all(v["feedback"].strip() for v in verdicts if v["status"] == "invalid")
    assert not marker.exists()
    assert len(_attempts(history)) == sum(v["counted"] for v in verdicts)


def test_sigkill_mid_question_keeps_every_earlier_answer(tmp_path: Path) -> None:
    history = tmp_path / "h.sqlite3"
    screen = Screen("practice", str(BANK), "--question", "product", "--count", "9",
                    "--history", str(history))  # fmt: skip
    for answer in ("42", "13", "42"):
        screen.answer(answer)
        screen.expect("Score")
    screen.expect("Question 4 of 9")
    screen.expect("›")
    screen.child.send("4")  # half-typed
    os.kill(screen.child.pid, signal.SIGKILL)
    screen.child.expect(pexpect.EOF)
    screen.child.close()
    assert screen.child.signalstatus == signal.SIGKILL
    with sqlite3.connect(history) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert [(a[2], a[3]) for a in _attempts(history)] == [
        ("42", "correct"),
        ("13", "incorrect"),
        ("42", "correct"),
    ]
    again = _run("progress", "--json", "--history", str(history))
    assert json.loads(again.stdout)["answers"] == 3


@pytest.mark.parametrize(
    "content", [b"this is not a database\n" * 50, b"SQLite format 3\x00" + b"\xff" * 4000]
)
def test_a_corrupt_history_is_reported_in_one_line_and_left_alone(
    content: bytes, tmp_path: Path
) -> None:
    history = tmp_path / "history.sqlite3"
    history.write_bytes(content)
    for command in (["practice", str(BANK)], ["progress"]):
        result = _run(*command, "--history", str(history), stdin="42\n")
        err = result.stderr.decode()
        assert result.returncode == 2
        assert len(err.strip().splitlines()) == 1, err
        assert str(history) in err and "--history :memory:" in err
        assert "Traceback" not in err
        assert history.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.sqlite3"]
    result = _run("practice", str(BANK), "--question", "product", "--history", ":memory:",
                  stdin="42\n")  # fmt: skip
    assert result.returncode == 0  # what the message suggests works
    assert "✓ Correct" in result.stdout.decode()


def test_a_folder_as_history_is_refused(tmp_path: Path) -> None:
    result = _run("practice", str(BANK), "--history", str(tmp_path), stdin="q\n")
    assert result.returncode == 2
    assert "it is a folder" in result.stderr.decode()


def test_bad_arguments_are_usage_errors() -> None:
    result = _run("practice", str(BANK), "--topic", "nope", "--history", ":memory:")
    assert result.returncode == 2
    assert "no question matches --topic nope" in result.stderr.decode()
    assert "arithmetic/powers" in result.stderr.decode()  # the topics are listed
    result = _run("practice", str(BANK), "--question", "nope", "--history", ":memory:")
    assert result.returncode == 2 and "'nope'" in result.stderr.decode()
