"""What a practice session asks and how it grades: pure functions over banks and keys.

Questions are chosen from loaded banks (by topic prefix or id), put in a seeded order, and
drawn with the generator's own seeded streams (:func:`quizgen.rng.stream_for`), so
``--seed S`` repeats a session exactly. Each question is compiled the first time it is asked
(a session rarely needs a whole bank, and compiling one question takes milliseconds).
Answers are graded by :func:`quizgen.grade.checkers.check_response` against the variant's
frozen key, exactly as ``quizgen grade`` grades a submission.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quizgen.errors import UsageError
from quizgen.rng import stream_for

if TYPE_CHECKING:
    from quizgen.bank.model import Bank
    from quizgen.grade.verdict import Verdict
    from quizgen.variant import AnswerKey, PartVariant, Variant

__all__ = [
    "HINT_FACTOR",
    "Item",
    "Outcome",
    "Scoreboard",
    "Session",
    "answer_help",
    "grade",
    "hint_text",
    "matches_topic",
    "new_seed",
    "practice_order",
    "select_items",
    "self_rated",
]

HINT_FACTOR = 0.5  # a right answer after a hint earns half its score
RATINGS = {"y": 1.0, "yes": 1.0, "p": 0.5, "partly": 0.5, "n": 0.0, "no": 0.0}


@dataclass(frozen=True)
class Item:
    """One question of one bank, not yet drawn."""

    bank: Bank
    index: int

    @property
    def question(self) -> Any:
        return self.bank.questions[self.index]

    @property
    def key(self) -> tuple[str, str]:
        """(bank id, question id): how the history names a question."""
        return (self.bank.id, self.question.id)


def matches_topic(topic: str, prefixes: Sequence[str]) -> bool:
    """Whether ``topic`` is one of ``prefixes`` or lies under one (``rnn`` takes
    ``rnn/parameters``, not ``rnnx``). No prefixes: every topic."""
    if not prefixes:
        return True
    return any(topic == p.strip("/") or topic.startswith(p.strip("/") + "/") for p in prefixes if p)


def select_items(
    banks: Sequence[Bank], topics: Sequence[str] = (), questions: Sequence[str] = ()
) -> list[Item]:
    """The questions of ``banks`` in bank order, filtered by topic prefixes and ids.

    Raises:
        UsageError: a question id is in no bank, or nothing matches the filters.
    """
    items = [Item(b, i) for b in banks for i in range(len(b.questions))]
    known = {item.question.id for item in items}
    unknown = [q for q in questions if q not in known]
    if unknown:
        raise UsageError(
            f"no question with id {', '.join(map(repr, unknown))} in the banks given",
            hint="ids: " + ", ".join(sorted(known)[:12]) + (", …" if len(known) > 12 else ""),
        )
    chosen = [
        item
        for item in items
        if matches_topic(item.question.topic, topics)
        and (not questions or item.question.id in questions)
    ]
    if not chosen:
        all_topics = sorted({item.question.topic for item in items})
        raise UsageError(
            "no question matches --topic " + " ".join(topics),
            hint="topics: " + ", ".join(all_topics),
        )
    return chosen


def new_seed() -> str:
    """A fresh session seed (printed, so that a session can be repeated with ``--seed``)."""
    return secrets.token_hex(4)


def practice_order(items: Sequence[Item], seed: str, count: int | None) -> list[Item]:
    """``count`` questions (default: each once) in an order fixed by ``seed``.

    More than there are questions: each round asks every question once, in a new order.
    """
    total = len(items) if count is None else count
    order: list[Item] = []
    round_number = 0
    while len(order) < total and items:
        order += stream_for("practice-order", seed, round_number).shuffled(items)
        round_number += 1
    return order[:total]


@dataclass
class Session:
    """The draws of one session: the seed, the compiled questions, the rounds so far."""

    seed: str
    _compiled: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _rounds: Counter[tuple[str, str]] = field(default_factory=Counter, repr=False)

    def draw(self, item: Item) -> Variant:
        """A new variant of ``item``: the n-th time a question comes up, the n-th draw.

        Raises:
            BankErrors: the question does not compile (located in its bank file).
            DrawError: no variant could be drawn (located).
        """
        compiled = self._compiled.get(item.key)
        if compiled is None:
            # imported on the first draw: a session that never draws loads no drawing code
            from quizgen.generate.compile import compile_question

            compiled = self._compiled[item.key] = compile_question(item.bank, item.index)
        n = self._rounds[item.key]
        self._rounds[item.key] += 1
        from quizgen.generate.solve import draw_variant

        return draw_variant(compiled, stream_for("practice", self.seed, *item.key, n))


@dataclass(frozen=True)
class Outcome:
    """A graded answer as the student sees it.

    ``status`` is correct, partial, incorrect, invalid (not counted: try again) or manual.
    ``undecided`` marks an invalid answer that was read but that the checker could not judge
    (the grader's method ``undecided``): the student compares it with the solution.
    """

    status: str
    score: float
    feedback: str = ""
    hint: bool = False
    undecided: bool = False

    @property
    def counted(self) -> bool:
        return self.status != "invalid"


_GENERIC = {"Correct.", "Incorrect."}


def _outcome(verdict: Verdict, hint: bool) -> Outcome:
    feedback = "" if verdict.feedback in _GENERIC else verdict.feedback
    if verdict.status == "invalid" and verdict.method == "undecided":
        # The grader's words ("your instructor will check") are for a graded exam, not here.
        return Outcome("invalid", 0.0, "", undecided=True)
    if verdict.status == "invalid":
        return Outcome("invalid", 0.0, feedback)
    score = verdict.score * (HINT_FACTOR if hint else 1.0)
    if verdict.status == "correct":
        status = "correct"
    elif verdict.status == "incorrect" and verdict.score > 0:
        status = "partial"
    else:
        status = verdict.status
    return Outcome(status, score, feedback, hint)


def grade(key: AnswerKey, response: str, *, hint: bool = False) -> Outcome:
    """Grade one typed answer against a frozen key (never raises).

    A hint beforehand halves the score (:data:`HINT_FACTOR`); an unreadable answer is
    ``invalid``, with the parser's message and a caret, and is not counted.
    """
    from quizgen.grade.checkers import check_response

    return _outcome(check_response(key, response), hint)


def self_rated(rating: str, *, hint: bool = False) -> Outcome | None:
    """An essay's self-rating: y (all of the rubric), p (part of it), n (not yet); else None."""
    score = RATINGS.get(rating.strip().casefold())
    if score is None:
        return None
    status = {1.0: "correct", 0.5: "partial", 0.0: "incorrect"}[score]
    return Outcome(status, score * (HINT_FACTOR if hint else 1.0), "", hint)


def hint_text(variant: Variant, part: PartVariant | None) -> str:
    """The first line of the part's solution, else of the question's (Markdown)."""
    for text in (part.solution if part else "", variant.solution):
        lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
        if lines:
            return lines[0]
    return "No hint for this question."


def answer_help(key: AnswerKey) -> str:
    """How to type an answer for this kind of key, in a few words."""
    kind = key.kind
    if kind == "choice":
        labels = [o.label for o in key.options]
        return f"one letter, {labels[0]}–{labels[-1]}"
    if kind == "multi":
        return "every letter that applies, e.g. A C"
    if kind == "truefalse":
        return "true or false (t/f, yes/no)"
    if kind == "numeric":
        unit = f" in {key.unit}" if getattr(key, "unit", None) else ""
        return f"a number{unit}" + (" (fractions allowed)" if key.fractions else "")
    if kind == "expression":
        return "an expression in " + ", ".join(sorted(key.variables))
    if kind == "essay":
        return "a few sentences on one line; then rate yourself against the rubric"
    return "a word or short phrase"


@dataclass
class Scoreboard:
    """The running score: points earned and possible over counted answers."""

    earned: float = 0.0
    possible: float = 0.0
    answered: int = 0
    correct: int = 0

    def add(self, outcome: Outcome, points: float) -> None:
        """Count one graded answer worth ``points``."""
        self.earned += outcome.score * points
        self.possible += points
        self.answered += 1
        self.correct += outcome.status == "correct"

    def line(self) -> str:
        """``Score 3.5/5 · 3 of 5 right``."""
        return (
            f"Score {_num(self.earned)}/{_num(self.possible)} · "
            f"{self.correct} of {self.answered} right"
        )


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def banks_of(items: Iterable[Item]) -> list[dict[str, str]]:
    """The banks of ``items`` as the history records them (id, sha256, file)."""
    seen: dict[str, dict[str, str]] = {}
    for item in items:
        bank = item.bank
        seen.setdefault(bank.id, {"id": bank.id, "sha256": bank.sha256, "file": bank.source})
    return list(seen.values())
