"""The terminal edge of practice: reading answers, and the two commands' bodies.

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
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from quizgen.practice.loop import Answer, run_loop
from quizgen.practice.session import (
    Item,
    Scoreboard,
    Session,
    banks_of,
    new_seed,
    practice_order,
    select_items,
)
from quizgen.practice.views import JsonView, RichView, make_console, progress_table

if TYPE_CHECKING:
    from quizgen.practice.history import History

__all__ = ["practice", "show_progress"]

ECHO_LIMIT = 200  # characters of a piped answer echoed in the transcript
INTERRUPTED = 130  # the shell's exit status for Ctrl-C


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
        console.print(progress_table(report))
    console.print(Text(report.summary()))
    return 0
