"""The practice loop over scripted input: selection, order, grading, commands, recording.

Answers come from tests/data/practice-bank.yaml, worked out by hand (6 × 7 = 42, 12² = 144).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizgen.bank import load_banks
from quizgen.errors import UsageError
from quizgen.practice.loop import Answer, run_loop
from quizgen.practice.session import (
    HINT_FACTOR,
    Outcome,
    Scoreboard,
    Session,
    grade,
    matches_topic,
    practice_order,
    select_items,
    self_rated,
)

BANK = Path(__file__).resolve().parent / "data" / "practice-bank.yaml"


@pytest.fixture(scope="module")
def bank():
    return load_banks([BANK])[0]


class Script:
    """A reader that types the given lines, then ends the input."""

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)

    def read(self, prompt: str) -> str | None:
        return self.lines.pop(0) if self.lines else None


class Log:
    """A view that keeps what the loop reported."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def __getattr__(self, name: str):
        return lambda *args: self.events.append((name, *args))

    def kinds(self) -> list[str]:
        return [e[0] for e in self.events]

    def verdicts(self) -> list[Answer]:
        return [e[1] for e in self.events if e[0] == "verdict"]


def _run(bank, questions: list[str], *lines: str, count: int | None = None):
    plan = practice_order(select_items([bank], questions=questions), "s", count)
    recorded: list[Answer] = []
    view = Log()
    board = run_loop(plan, Session("s"), Script(*lines), view, recorded.append)
    return board, recorded, view


@pytest.mark.parametrize(
    ("topic", "prefixes", "expected"),
    [
        ("rnn/parameters", ["rnn"], True),
        ("rnn/parameters", ["rnn/"], True),
        ("rnn/parameters", ["rnn/parameters"], True),
        ("rnn", ["rnn"], True),
        ("rnnx/parameters", ["rnn"], False),
        ("lstm/gates", ["rnn", "lstm"], True),
        ("lstm/gates", [], True),
        ("lstm/gates", ["rnn/parameters"], False),
    ],
)
def test_topic_prefixes(topic: str, prefixes: list[str], expected: bool) -> None:
    assert matches_topic(topic, prefixes) is expected


def test_select_by_topic_and_id(bank) -> None:
    ids = [i.question.id for i in select_items([bank], topics=["arithmetic"])]
    assert ids == ["product", "square"]
    ids = [i.question.id for i in select_items([bank], questions=["square", "product"])]
    assert ids == ["product", "square"]
    with pytest.raises(UsageError, match="no question matches --topic geometry"):
        select_items([bank], topics=["geometry"])
    with pytest.raises(UsageError, match="'cube'"):
        select_items([bank], questions=["cube"])


def test_order_is_fixed_by_the_seed_and_covers_each_question_per_round(bank) -> None:
    items = select_items([bank])
    first = practice_order(items, "seed-1", 16)
    assert first == practice_order(items, "seed-1", 16)
    assert [i.key for i in first] != [i.key for i in practice_order(items, "seed-2", 16)]
    n = len(items)
    for start in (0, n):  # every round asks each question once
        assert sorted(i.question.id for i in first[start : start + n]) == sorted(
            i.question.id for i in items
        )
    assert len(practice_order(items, "x", None)) == n


def test_draws_repeat_with_the_seed_and_differ_by_round() -> None:
    bank = load_banks([Path(__file__).resolve().parent.parent / "banks" / "rnn-lstm.yaml"])[0]
    item = select_items([bank], questions=["rnn-param-count"])[0]
    one, two = Session("a"), Session("a")
    values = [one.draw(item).values for _ in range(4)]
    assert values == [two.draw(item).values for _ in range(4)]
    assert len({tuple(sorted(v.items())) for v in values}) > 1  # a new variant each round
    other = Session("b")
    assert [other.draw(item).values for _ in range(4)] != values


@pytest.mark.parametrize(
    ("question", "response", "status", "score", "feedback"),
    [
        ("product", "42", "correct", 1.0, ""),
        ("product", "42.0", "correct", 1.0, ""),
        ("product", "13", "incorrect", 0.0, "You added the numbers; multiply them."),
        ("product", "41", "incorrect", 0.0, ""),
        ("product", "forty-two", "invalid", 0.0, "^"),
        ("lstm-count", "4h(n+h+1)", "correct", 1.0, ""),
        ("lstm-count", "3h(n+h+1)", "incorrect", 0.0, "That is a GRU; an LSTM has four gates."),
        ("lstm-count", "4h(n+", "invalid", 0.0, "^"),
        ("gate-range", "b", "correct", 1.0, ""),
        ("gate-range", "A", "incorrect", 0.0, ""),
        ("gate-range", "Z", "invalid", 0.0, "A–C"),
        ("shared-weights", "yes", "correct", 1.0, ""),
        ("shared-weights", "f", "incorrect", 0.0, ""),
        ("recurrent-ones", "A C", "correct", 1.0, ""),
        ("recurrent-ones", "a,c", "correct", 1.0, ""),
        ("recurrent-ones", "A", "partial", 0.5, "1 of 2 correct options chosen"),
        ("recurrent-ones", "A B C", "partial", 0.5, "no recurrence"),
        ("recurrent-ones", "A D", "invalid", 0.0, "A–C"),
        ("erasing-gate", "Forget gate.", "correct", 1.0, ""),
        ("erasing-gate", "input", "incorrect", 0.0, "The input gate writes"),
    ],
)
def test_grade(bank, question, response, status, score, feedback) -> None:
    item = select_items([bank], questions=[question])[0]
    key = Session("g").draw(item).answer
    outcome = grade(key, response)
    assert (outcome.status, outcome.score) == (status, score)
    assert feedback in outcome.feedback
    assert outcome.counted == (status != "invalid")


def test_a_hint_halves_the_score(bank) -> None:
    key = Session("g").draw(select_items([bank], questions=["product"])[0]).answer
    assert grade(key, "42", hint=True) == Outcome("correct", HINT_FACTOR, "", True)


@pytest.mark.parametrize(
    ("rating", "status", "score"),
    [("y", "correct", 1.0), ("P", "partial", 0.5), (" no ", "incorrect", 0.0)],
)
def test_self_rating(rating: str, status: str, score: float) -> None:
    assert self_rated(rating) == Outcome(status, score)
    assert self_rated("maybe") is None


def test_invalid_answers_are_not_counted_and_the_retry_is(bank) -> None:
    board, recorded, view = _run(bank, ["lstm-count"], "4h(n+", "", "4h(n+h+1)")
    assert [a.response for a in recorded] == ["4h(n+h+1)"]
    assert [v.outcome.status for v in view.verdicts()] == ["invalid", "correct"]
    assert (board.answered, board.correct, board.earned) == (1, 1, 1.0)


def test_a_wrong_answer_shows_the_answer_and_solution_of_that_variant(bank) -> None:
    _, recorded, view = _run(bank, ["square"], "24")
    assert recorded[0].outcome.feedback.startswith("That is $2h$")
    reveal = next(e for e in view.events if e[0] == "reveal")
    assert reveal[1].display == "144"
    assert "so it has **144** entries" in reveal[2]


def test_commands(bank) -> None:
    board, recorded, view = _run(bank, ["product"], "?", "h", "42", "s", "sol", "Q", count=4)
    kinds = view.kinds()
    assert "help" in kinds and "hint" in kinds
    assert [(a.response, a.outcome.status, a.outcome.score) for a in recorded] == [
        ("42", "correct", HINT_FACTOR),
        (None, "shown", 0.0),
    ]
    assert kinds.count("question") == 4  # product, skipped, shown, then quit at the 4th
    assert ("note", "Skipped.") in view.events
    assert (board.answered, board.earned) == (2, 0.5)


def test_end_of_input_stops_the_session(bank) -> None:
    board, recorded, _ = _run(bank, ["product"], "42", count=3)
    assert len(recorded) == 1 and board.answered == 1


def test_scoreboard_line() -> None:
    board = Scoreboard()
    board.add(Outcome("correct", 1.0), 2)
    board.add(Outcome("partial", 0.25), 2)
    assert board.line() == "Score 2.5/4 · 1 of 2 right"


def _modules_after(code: str) -> set[str]:
    import subprocess
    import sys

    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_the_core_never_imports_practice() -> None:
    core = "import quizgen.generate.exam, quizgen.grade.checkers, quizgen.render, quizgen.check"
    modules = _modules_after(core)
    assert not {m for m in modules if m.startswith(("quizgen.practice", "prompt_toolkit"))}


def test_practice_loads_sympy_and_prompt_toolkit_only_when_needed() -> None:
    modules = _modules_after("import quizgen.practice.terminal")
    assert "sympy" not in modules and "prompt_toolkit" not in modules
    text = _modules_after("from quizgen.practice.text import markdown_to_plain as m; m('$x$')")
    assert "quizgen.render.mathtext" in text and "quizgen.render.html" not in text


SHIPPED = Path(__file__).resolve().parent.parent / "banks"


def test_a_multipart_question_is_asked_part_by_part() -> None:
    bank = load_banks([SHIPPED / "rnn-lstm.yaml"])[0]
    board, recorded, view = _run(bank, ["rnn-param-breakdown"], "1", "1", "1", "1", "1")
    assert [a.part_id for a in recorded] == ["w_xh", "w_hh", "w_hy", "total", "unroll"]
    parts = [e[2].id for e in view.events if e[0] == "part"]
    assert parts == ["w_xh", "w_hh", "w_hy", "total", "unroll"]
    assert len(view.verdicts()) == 5
    assert board.possible == sum(p.points for p in recorded[0].variant.parts)


def test_an_essay_shows_rubric_and_model_answer_then_takes_a_self_rating() -> None:
    bank = load_banks([SHIPPED / "gates.yaml"])[0]
    _, recorded, view = _run(bank, ["gates-activation-essay"], "Gates are fractions.", "maybe", "p")
    rubric = next(e for e in view.events if e[0] == "rubric")
    assert "fraction let" in rubric[1].rubric and "switches" in rubric[2]
    assert ("note", "Rate your answer: y (all of the rubric), p (part of it), n (not yet).") in (
        view.events
    )
    assert "reveal" not in view.kinds()  # the model answer was shown once, before the rating
    [answer] = recorded
    assert (answer.response, answer.outcome.status, answer.outcome.score) == (
        "Gates are fractions.",
        "partial",
        0.5,
    )


def test_a_question_that_does_not_compile_is_skipped_with_its_location(tmp_path: Path) -> None:
    bank_file = tmp_path / "broken.yaml"
    bank_file.write_text(
        "id: broken\ntitle: Broken\nquestions:\n"
        "  - {id: good, kind: numeric, prompt: 'What is 2+2?', answer: 4}\n"
        "  - {id: bad, kind: numeric, params: {a: 1}, prompt: 'What is {{ b }}?', answer: a}\n",
        encoding="utf-8",
    )
    bank = load_banks([bank_file])[0]
    _board, recorded, view = _run(bank, [], "4", "4")
    assert [a.item.question.id for a in recorded] == ["good"]
    notes = [e[1] for e in view.events if e[0] == "note"]
    assert len(notes) == 1
    assert notes[0].startswith(f"skipped bad: {bank_file}:5:")
    assert "undefined name(s): b" in notes[0]
