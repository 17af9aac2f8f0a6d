"""The practice loop: ask, read, grade, explain, record; I/O passed in.

The loop knows nothing of terminals: it reads lines from a :class:`Reader`, reports to a
:class:`View` and stores counted answers through a ``record`` callback, so tests and the
benchmark drive it with scripted input. Commands typed instead of an answer:

=======  =================================================================================
``?``    help
``s``    skip the question (nothing recorded)
``h``    hint: the first line of the solution; the answer then earns half its score
``sol``  show the answer and the worked solution (recorded as ``shown``, score 0)
``q``    quit (so do Ctrl-D and Ctrl-C); everything answered is already saved
=======  =================================================================================

An answer that cannot be read is shown with a caret and not counted: the student tries
again. A blank line asks again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from quizgen.errors import BankError, BankErrors, format_error
from quizgen.practice.session import (
    Item,
    Outcome,
    Scoreboard,
    Session,
    grade,
    hint_text,
    self_rated,
)

if TYPE_CHECKING:
    from quizgen.variant import AnswerKey, PartVariant, Variant

__all__ = ["COMMANDS", "Answer", "Quit", "Reader", "View", "run_loop"]

COMMANDS = {
    "?": "help",
    "s": "skip",
    "h": "hint (the answer then earns half its score)",
    "sol": "show the solution",
    "q": "quit",
}


class Reader(Protocol):
    """Where answers come from."""

    def read(self, prompt: str) -> str | None:
        """One line without its newline; None at the end of input."""
        ...


class View(Protocol):
    """Where the loop reports (a rich terminal, a plain transcript, JSON lines)."""

    def question(self, number: int, total: int, variant: Variant) -> None: ...
    def part(self, variant: Variant, part: PartVariant | None, key: AnswerKey) -> None: ...
    def verdict(self, answer: Answer) -> None: ...
    def reveal(self, key: AnswerKey, solution: str) -> None: ...
    def hint(self, text: str) -> None: ...
    def rubric(self, key: AnswerKey, model_answer: str) -> None: ...
    def help(self) -> None: ...
    def note(self, text: str) -> None: ...
    def score(self, board: Scoreboard) -> None: ...


@dataclass(frozen=True)
class Answer:
    """One graded answer, with what it was about."""

    number: int
    item: Item
    variant: Variant
    part_id: str
    key: AnswerKey
    response: str | None
    outcome: Outcome
    seconds: float


class Quit(Exception):
    """The student quit (``q`` or end of input)."""


class _Skip(Exception):
    """The student skipped the question."""


Record = Callable[[Answer], None]


def run_loop(
    plan: Sequence[Item],
    session: Session,
    reader: Reader,
    view: View,
    record: Record,
    clock: Callable[[], float] = time.monotonic,
    board: Scoreboard | None = None,
) -> Scoreboard:
    """Ask every question of ``plan`` in turn; return the final score (``board``, if given).

    Stops early at ``q`` or the end of input. KeyboardInterrupt passes through (the caller
    ends the session, its ``board`` up to date); every answer before it went to ``record``.
    """
    board = board if board is not None else Scoreboard()
    asker = _Asker(session, reader, view, record, clock, board)
    for number, item in enumerate(plan, start=1):
        try:
            variant = session.draw(item)
        except (BankErrors, BankError) as exc:  # one broken question must not end the session
            view.note(f"skipped {item.question.id}: {format_error(exc)}")
            continue
        view.question(number, len(plan), variant)
        try:
            asker.ask(number, item, variant)
        except _Skip:
            view.note("Skipped.")
        except Quit:
            break
    return board


@dataclass
class _Asker:
    session: Session
    reader: Reader
    view: View
    record: Record
    clock: Callable[[], float]
    board: Scoreboard

    def ask(self, number: int, item: Item, variant: Variant) -> None:
        parts: list[PartVariant | None] = list(variant.parts) or [None]
        missed = False
        for part in parts:
            key = part.answer if part is not None else variant.answer
            points = part.points if part is not None else variant.points
            self.view.part(variant, part, key)
            answer = self._answer(number, item, variant, part, key)
            self.record(answer)
            self.board.add(answer.outcome, points)
            self.view.verdict(answer)
            if answer.outcome.status not in ("correct", "shown") and key.kind != "essay":
                missed = True  # (an essay's model answer was shown before the self-rating)
                solution = part.solution if part is not None else variant.solution
                self.view.reveal(key, solution)
            self.view.score(self.board)
        if missed and variant.parts and variant.solution:
            self.view.reveal(None, variant.solution)

    def _answer(
        self,
        number: int,
        item: Item,
        variant: Variant,
        part: PartVariant | None,
        key: AnswerKey,
    ) -> Answer:
        """Read until a counted answer (or a command that ends the part)."""
        started = self.clock()
        hint = False
        part_id = part.id if part is not None else ""

        def answer(response: str | None, outcome: Outcome) -> Answer:
            seconds = self.clock() - started
            return Answer(number, item, variant, part_id, key, response, outcome, seconds)

        while True:
            line = self._line("answer")
            command = line.strip().casefold()
            if not command:
                continue
            if command == "?":
                self.view.help()
            elif command == "q":
                raise Quit
            elif command == "s":
                raise _Skip
            elif command == "h":
                hint = True
                self.view.hint(hint_text(variant, part))
            elif command == "sol":
                solution = part.solution if part is not None else variant.solution
                self.view.reveal(key, solution)
                return answer(None, Outcome("shown", 0.0, "solution shown", hint))
            elif key.kind == "essay":
                return answer(line, self._self_rating(key, variant, part, hint))
            else:
                outcome = grade(key, line, hint=hint)
                if outcome.counted:
                    return answer(line, outcome)
                self.view.verdict(answer(line, outcome))

    def _self_rating(
        self, key: AnswerKey, variant: Variant, part: PartVariant | None, hint: bool
    ) -> Outcome:
        model = (part.solution if part is not None else "") or variant.solution
        self.view.rubric(key, model)
        while True:
            line = self._line("rating")
            if line.strip().casefold() == "q":
                raise Quit
            outcome = self_rated(line, hint=hint)
            if outcome is not None:
                return outcome
            self.view.note("Rate your answer: y (all of the rubric), p (part of it), n (not yet).")

    def _line(self, prompt: str) -> str:
        line = self.reader.read(prompt)
        if line is None:
            raise Quit
        return line
