"""The terminal edge of practice: readers, views, and the two commands' bodies.

On a terminal, answers are read with prompt_toolkit (line editing, Up-arrow recalls earlier
answers) and output is rich text at most 80 columns wide. When stdin or stdout is not a
terminal, lines are read plainly and echoed, so a piped session prints a plain transcript;
rich writes no colour there, and ``NO_COLOR`` turns colour off everywhere. ``--json``
prints one JSON object per event instead (``question``, ``verdict``, ``end``).

Start-up is kept short: sympy loads only to draw the first question, and the graders and
prompt_toolkit load in a background thread while the student reads it.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from quizgen.practice.loop import COMMANDS, Answer, run_loop
from quizgen.practice.session import (
    Item,
    Scoreboard,
    Session,
    answer_help,
    banks_of,
    new_seed,
    practice_order,
    select_items,
)
from quizgen.practice.text import inline_to_rich, markdown_to_plain, markdown_to_rich

if TYPE_CHECKING:
    from quizgen.practice.history import History
    from quizgen.variant import AnswerKey, PartVariant, Variant

__all__ = ["practice", "show_progress"]

WIDTH = 80
ECHO_LIMIT = 200  # characters of a piped answer echoed in the transcript
INTERRUPTED = 130  # the shell's exit status for Ctrl-C
_MARKS = {
    "correct": ("✓ Correct", "bold green"),
    "partial": ("◐ Partly correct", "bold yellow"),
    "incorrect": ("✗ Incorrect", "bold red"),
    "shown": ("Solution shown: counted as not yet known", "yellow"),
    "invalid": ("Could not read that answer (not counted): try again", "bold magenta"),
}


# --- readers --------------------------------------------------------------------------------


class LineReader:
    """Plain lines from a stream (piped input); echoes them so the transcript shows them."""

    def __init__(self, stream: IO[str], console: Console | None) -> None:
        self.stream = stream
        self.console = console

    def read(self, prompt: str) -> str | None:
        line = self.stream.readline()
        if not line:
            return None
        line = line.rstrip("\r\n")
        if self.console is not None:
            shown = line if len(line) <= ECHO_LIMIT else line[:ECHO_LIMIT] + "…"
            self.console.print(Text(f"{_prompt(prompt)}{shown}"), soft_wrap=True)
        return line


class PromptReader:
    """prompt_toolkit's line editor, with this session's answers as its history."""

    def __init__(self) -> None:
        self._session: Any = None

    def read(self, prompt: str) -> str | None:
        if self._session is None:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import InMemoryHistory

            self._session = PromptSession(history=InMemoryHistory())
        try:
            return self._session.prompt(_prompt(prompt))
        except EOFError:
            return None


def _prompt(kind: str) -> str:
    return "rating › " if kind == "rating" else "› "


# --- views ----------------------------------------------------------------------------------


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
        mark, style = _MARKS.get(outcome.status, (outcome.status, "bold"))
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


# --- the commands ---------------------------------------------------------------------------


def practice(
    paths: Sequence[Path],
    *,
    topics: Sequence[str] = (),
    questions: Sequence[str] = (),
    count: int | None = None,
    seed: str | None = None,
    history_path: str | None = None,
    review: bool = False,
    as_json: bool = False,
) -> int:
    """Run ``quizgen practice``; return the exit code (0, or 130 after Ctrl-C).

    Raises:
        QuizgenError: a bank, an argument or the history file is unusable (before any
            question is asked).
    """
    from quizgen.bank import load_banks
    from quizgen.practice.history import open_history

    history = open_history(history_path)
    try:
        items = select_items(load_banks(list(paths)), topics, questions)
        seed = seed if seed is not None else new_seed()
        plan = _plan(items, history, seed, count, review)
        view, reader = _edges(as_json)
        names = ", ".join(dict.fromkeys(item.bank.id for item in items))
        view.start(len(plan), names, seed, review)
        if not plan:
            view.note(_nothing_due(history))
            view.finish(Scoreboard(), history.path, False)
            return 0
        recorder = _Recorder(history, seed, "review" if review else "practice", plan)
        board, interrupted = Scoreboard(), False
        try:
            run_loop(plan, Session(seed), reader, view, recorder, board=board)
        except KeyboardInterrupt:
            interrupted = True
        view.finish(board, history.path, interrupted)
        return INTERRUPTED if interrupted else 0
    finally:
        history.close()


def _plan(
    items: list[Item], history: History, seed: str, count: int | None, review: bool
) -> list[Item]:
    if not review:
        return practice_order(items, seed, count)
    from quizgen.practice.review import due_items, showings

    current = {item.bank.id: item.bank.sha256 for item in items}
    shown = showings(history.attempts())
    due = due_items(items, lambda item: item.key, shown, current, date.today())
    return due if count is None else due[:count]


def _nothing_due(history: History) -> str:
    from quizgen.practice.progress import progress

    return progress(history.attempts(), date.today()).summary()


def _edges(as_json: bool) -> tuple[Any, Any]:
    """The view and the reader for this run's stdin and stdout."""
    stdin = sys.stdin
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="replace")  # a stray byte is a wrong answer, not a crash
    if as_json:
        return JsonView(sys.stdout), LineReader(stdin, None)
    console = make_console()
    interactive = stdin.isatty() and sys.stdout.isatty()
    reader = PromptReader() if interactive else LineReader(stdin, console)
    return RichView(console, warm_up=True), reader


class _Recorder:
    """Stores each counted answer, opening the session's row at the first one."""

    def __init__(self, history: History, seed: str, mode: str, plan: list[Item]) -> None:
        self.history = history
        self.seed = seed
        self.mode = mode
        self.plan = plan
        self.session_id: int | None = None

    def __call__(self, answer: Answer) -> None:
        from quizgen.practice.history import Attempt, now_utc

        if self.session_id is None:
            self.session_id = self.history.start_session(self.seed, self.mode, banks_of(self.plan))
        variant, item = answer.variant, answer.item
        self.history.record(
            Attempt(
                session_id=self.session_id,
                ask=answer.number,
                time=now_utc(),
                bank_id=item.bank.id,
                bank_sha256=item.bank.sha256,
                question_id=variant.question_id,
                part_id=answer.part_id,
                topic=variant.topic,
                kind=answer.key.kind,
                variant_uid=variant.uid,
                params=variant.values,
                response=answer.response,
                status=answer.outcome.status,
                score=answer.outcome.score,
                seconds=round(answer.seconds, 3),
                hint=answer.outcome.hint,
            )
        )


def show_progress(history_path: str | None = None, *, as_json: bool = False) -> int:
    """Run ``quizgen progress``: the table (or JSON) and the due summary; return 0."""
    from quizgen.practice.history import open_history
    from quizgen.practice.progress import progress

    history = open_history(history_path)
    try:
        report = progress(history.attempts(), date.today())
    finally:
        history.close()
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) + "\n")
        return 0
    console = make_console()
    if report.topics:
        console.print(_progress_table(report))
    console.print(Text(report.summary()))
    return 0


_SPARKS = "▁▂▃▄▅▆▇█"


def _spark(trend: list[int]) -> str:
    bars = "".join(_SPARKS[round(p / 100 * (len(_SPARKS) - 1))] for p in trend)
    arrow = ""
    if len(trend) > 1:
        arrow = "↑" if trend[-1] > trend[0] else "↓" if trend[-1] < trend[0] else "→"
    return f"{bars}{arrow} {trend[-1]}%" if trend else ""


def _progress_table(report: Any) -> Table:
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
