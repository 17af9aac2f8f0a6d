"""What a practice session shows: rich text for people, JSON lines for tools.

:class:`RichView` writes rich text at most 80 columns wide (a plain transcript when stdout
is not a terminal; rich honours ``NO_COLOR``); :class:`JsonView` writes one JSON object per
event. Bank text and typed answers are always printed as ``Text``, never as rich markup.
"""

from __future__ import annotations

import json
import shutil
import threading
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from quizgen.practice.loop import COMMANDS, Answer
from quizgen.practice.session import Scoreboard, answer_help
from quizgen.practice.text import inline_to_rich, markdown_to_plain, markdown_to_rich

if TYPE_CHECKING:
    from quizgen.variant import AnswerKey, PartVariant, Variant

__all__ = ["JsonView", "RichView", "make_console", "progress_table"]

WIDTH = 80
_MARKS = {
    "correct": ("✓ Correct", "bold green"),
    "partial": ("◐ Partly correct", "bold yellow"),
    "incorrect": ("✗ Incorrect", "bold red"),
    "shown": ("Solution shown: counted as not yet known", "yellow"),
    "invalid": ("Could not read that answer (not counted): try again", "bold magenta"),
    "undecided": (
        "? Not decided (not counted): quizgen could not tell whether this equals the answer; "
        "compare it with the solution (sol)",
        "bold magenta",
    ),
}


class RichView:
    """Human output: rich text on a terminal, a plain transcript elsewhere."""

    def __init__(self, console: Console, warm_up: bool) -> None:
        self.c = console
        self._warm_up = warm_up

    def start(self, count: int, banks: str, seed: str, review: bool) -> None:
        what = "review" if review else "practice"
        self.c.print(
            Text(f"quizgen {what}: {count} question(s) from {banks} · seed {seed}", style="bold")
        )
        self.c.print(Text(_help_line(), style="dim"))

    def question(self, number: int, total: int, variant: Variant) -> None:
        title = markdown_to_plain(variant.title or variant.question_id, width=10_000)
        self.c.print()
        self.c.rule(Text(f"Question {number} of {total} · {variant.topic} · {title}"), align="left")
        self.c.print(markdown_to_rich(variant.prompt))
        if self._warm_up:
            self._warm_up = False
            threading.Thread(target=_warm_up, daemon=True).start()

    def part(self, variant: Variant, part: PartVariant | None, key: AnswerKey) -> None:
        if part is not None:
            self.c.print()
            index = [p.id for p in variant.parts].index(part.id)
            grid = Table.grid(padding=(0, 1, 0, 0))
            grid.add_row(
                Text(f"({chr(ord('a') + index)})", style="bold"), markdown_to_rich(part.prompt)
            )
            self.c.print(grid)
        if key.kind in ("choice", "multi"):
            grid = Table.grid(padding=(0, 1, 0, 2))
            for option in key.options:
                grid.add_row(Text(f"{option.label}.", style="bold"), markdown_to_rich(option.text))
            self.c.print(grid)
        self.c.print(Text(f"Answer with {answer_help(key)} · ? for help", style="dim"))

    def verdict(self, answer: Answer) -> None:
        outcome = answer.outcome
        status = "undecided" if outcome.undecided else outcome.status
        mark, style = _MARKS.get(status, (status, "bold"))
        line = Text(mark, style=style)
        if outcome.status == "partial":
            line.append(f" ({outcome.score:.2g} of 1)")
        if outcome.hint and outcome.status == "correct":
            line.append(" (after a hint: half the score)")
        self.c.print(line)
        if outcome.status == "invalid":
            for row in outcome.feedback.splitlines():
                self.c.print(Text("  " + row), soft_wrap=True)
        elif outcome.feedback and outcome.status != "shown":
            self.c.print(markdown_to_rich(outcome.feedback))

    def reveal(self, key: AnswerKey | None, solution: str) -> None:
        from quizgen.variant import answer_markdown

        if key is not None and key.kind != "essay":
            answer = Text("Answer: ", style="bold")
            answer.append_text(inline_to_rich(answer_markdown(key)))
            self.c.print(answer)
        if solution.strip():
            title = "Solution" if key is not None else "Solution of the whole question"
            self.c.print(Text(title, style="bold underline"))
            self.c.print(markdown_to_rich(solution))

    def hint(self, text: str) -> None:
        self.c.print(Text("Hint", style="bold"))
        self.c.print(markdown_to_rich(text))

    def rubric(self, key: AnswerKey, model_answer: str) -> None:
        if getattr(key, "rubric", "").strip():
            self.c.print(Text("Rubric", style="bold underline"))
            self.c.print(markdown_to_rich(key.rubric))
        if model_answer.strip():
            self.c.print(Text("Model answer", style="bold underline"))
            self.c.print(markdown_to_rich(model_answer))
        self.c.print(Text("How did you do? y = all of the rubric, p = part of it, n = not yet"))

    def help(self) -> None:
        grid = Table.grid(padding=(0, 2, 0, 2))
        for command, meaning in COMMANDS.items():
            grid.add_row(Text(command, style="bold"), meaning)
        grid.add_row(Text("↑ ↓", style="bold"), "recall earlier answers (on a terminal)")
        grid.add_row(Text("Ctrl-D", style="bold"), "quit; every answer given is already saved")
        self.c.print(grid)
        self.c.print(
            Text("To answer with one of these letters, put it in brackets: (h)", style="dim")
        )

    def note(self, text: str) -> None:
        self.c.print(Text(text, style="dim"), soft_wrap=True)

    def score(self, board: Scoreboard) -> None:
        self.c.print(Text(board.line(), style="cyan"))

    def finish(self, board: Scoreboard, history: str, interrupted: bool) -> None:
        self.c.print()
        head = "Interrupted. " if interrupted else "Session over. "
        self.c.print(Text(head + board.line(), style="bold"))
        where = "not saved (--history :memory:)" if history == ":memory:" else f"saved in {history}"
        self.c.print(Text(f"Answers {where}.", style="dim"), soft_wrap=True)


JSON_WIDTH = 1000  # tools get paragraphs unwrapped


def _plain(markdown: str) -> str:
    return markdown_to_plain(markdown, width=JSON_WIDTH)


class JsonView:
    """One JSON object per line on stdout, for tools."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def emit(self, event: str, **data: Any) -> None:
        self.stream.write(json.dumps({"event": event, **data}, ensure_ascii=False) + "\n")
        self.stream.flush()

    def start(self, count: int, banks: str, seed: str, review: bool) -> None:
        self.emit("start", questions=count, banks=banks, seed=seed, review=review)

    def question(self, number: int, total: int, variant: Variant) -> None:
        self.emit(
            "question",
            number=number,
            total=total,
            bank=variant.bank_id,
            question=variant.question_id,
            topic=variant.topic,
            kind=variant.kind,
            prompt=_plain(variant.prompt),
        )

    def part(self, variant: Variant, part: PartVariant | None, key: AnswerKey) -> None:
        options = [{"label": o.label, "text": _plain(o.text)} for o in getattr(key, "options", [])]
        self.emit(
            "part",
            question=variant.question_id,
            part=part.id if part else "",
            prompt=_plain(part.prompt) if part else "",
            kind=key.kind,
            options=options,
            answer_help=answer_help(key),
        )

    def verdict(self, answer: Answer) -> None:
        outcome = answer.outcome
        feedback = outcome.feedback
        if outcome.status != "invalid" and feedback:
            feedback = _plain(feedback)
        self.emit(
            "verdict",
            number=answer.number,
            bank=answer.item.bank.id,
            question=answer.variant.question_id,
            part=answer.part_id,
            response=answer.response,
            status=outcome.status,
            score=outcome.score,
            counted=outcome.counted,
            undecided=outcome.undecided,
            hint=outcome.hint,
            feedback=feedback,
            seconds=round(answer.seconds, 3),
        )

    def reveal(self, key: AnswerKey | None, solution: str) -> None:
        from quizgen.variant import answer_markdown

        answer = _plain(answer_markdown(key)) if key is not None else None
        self.emit("solution", answer=answer, solution=_plain(solution))

    def hint(self, text: str) -> None:
        self.emit("hint", text=_plain(text))

    def rubric(self, key: AnswerKey, model_answer: str) -> None:
        self.emit(
            "rubric",
            rubric=_plain(getattr(key, "rubric", "")),
            model_answer=_plain(model_answer),
            rate="y, p or n",
        )

    def help(self) -> None:
        self.emit("help", commands=COMMANDS)

    def note(self, text: str) -> None:
        self.emit("note", text=text)

    def score(self, board: Scoreboard) -> None:
        pass  # the end event carries the score

    def finish(self, board: Scoreboard, history: str, interrupted: bool) -> None:
        self.emit(
            "end",
            earned=round(board.earned, 4),
            possible=board.possible,
            answered=board.answered,
            correct=board.correct,
            interrupted=interrupted,
            history=history,
        )


def _help_line() -> str:
    return "? help · s skip · h hint · sol solution · q quit · answers are saved as you go"


def _warm_up() -> None:
    """Load the graders (sympy and all) while the student reads the first question."""
    try:
        import prompt_toolkit.shortcuts  # noqa: F401

        import quizgen.grade.checkers  # noqa: F401
    except Exception:  # never let a background import disturb the session
        pass


def make_console(stream: IO[str] | None = None) -> Console:
    """A console at most 80 columns wide (rich honours ``NO_COLOR`` and pipes by itself)."""
    width = min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns)
    return Console(file=stream, width=width, highlight=False, emoji=False)


_SPARKS = "▁▂▃▄▅▆▇█"


def _spark(trend: list[int]) -> str:
    bars = "".join(_SPARKS[round(p / 100 * (len(_SPARKS) - 1))] for p in trend)
    arrow = ""
    if len(trend) > 1:
        arrow = "↑" if trend[-1] > trend[0] else "↓" if trend[-1] < trend[0] else "→"
    return f"{bars}{arrow} {trend[-1]}%" if trend else ""


def progress_table(report: Any) -> Table:
    table = Table(title=f"Practice: {report.answers} answers in {report.sessions} session(s)")
    table.title_justify = "left"
    for name in ("topic", "seen", "right", "box", "last seen", "due", "trend"):
        numeric = name in ("seen", "right", "box", "due")
        table.add_column(
            name,
            justify="right" if numeric else "left",
            no_wrap=name != "topic",
            overflow="fold" if name == "topic" else "ellipsis",
        )
    for t in report.topics:
        table.add_row(
            Text(t.topic),
            str(t.questions),
            f"{t.correct}/{t.answers}",
            f"{t.box:.1f} · {t.interval_days}d",
            t.last_seen,
            str(t.due) if t.due else "",
            _spark(t.trend),
        )
    return table
