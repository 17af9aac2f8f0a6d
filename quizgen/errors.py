"""The project's one error tree; every user-facing failure is a QuizgenError.

Errors carry data (where, what, a hint); :func:`format_error` is the one place that turns
an error into the text a user reads, and the CLI maps the tree to exit codes.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "BankError",
    "BankErrors",
    "CheckRefused",
    "MathSyntaxError",
    "QuizgenError",
    "UsageError",
    "caret_line",
    "did_you_mean",
    "format_error",
]


class QuizgenError(Exception):
    """Base of every error quizgen reports to a user (exit code 2 unless said otherwise)."""

    exit_code = 2

    def __str__(self) -> str:
        return format_error(self)


class UsageError(QuizgenError):
    """A bad command-line argument, roster or output folder."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'conv-params'?"`` for the closest of ``choices``, or ``""``.

    Case is ignored when comparing, so ``RNN-count`` finds ``rnn-count``.
    """
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.casefold(), choice)
    close = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.75)
    return f"; did you mean '{by_folded[close[0]]}'?" if close else ""


def caret_line(text: str, offset: int, width: int = 1) -> str:
    """Return ``text`` and a second line with a caret under ``offset``.

    Tabs and newlines are shown as spaces so that the caret stays aligned.
    """
    shown = text.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    if len(shown) > 120:  # keep a window around the offset for long inputs
        start = max(0, offset - 60)
        shown = ("…" if start else "") + shown[start : start + 120]
        offset = offset - start + (1 if start else 0)
    offset = max(0, min(offset, len(shown)))
    return f"{shown}\n{' ' * offset}{'^' * max(1, width)}"


class MathSyntaxError(QuizgenError):
    """A formula or answer that the safe parser refuses.

    Attributes:
        message: what is wrong, in words.
        text: the text that was parsed.
        offset: index into ``text`` where the problem is.
    """

    def __init__(self, message: str, text: str, offset: int, width: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.text = text
        self.offset = offset
        self.width = width

    def with_caret(self) -> str:
        """The message followed by the text and a caret under the offending spot."""
        return f"{self.message}\n{caret_line(self.text, self.offset, self.width)}"


@dataclass
class BankError(QuizgenError):
    """One problem in a bank file, located by file, line, column and field path."""

    message: str
    file: str = "<bank>"
    line: int | None = None
    column: int | None = None
    path: str = ""
    detail: str = field(default="")  # e.g. a caret block for a formula

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


class BankErrors(QuizgenError):
    """Several bank problems found at once (so an author fixes them in one pass)."""

    def __init__(self, errors: list[BankError], partial: object = None) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors
        # The bank made of what validated (a quizgen.bank.model.Bank, or None), so that
        # `quizgen check` can run the later stages on it and report everything in one run.
        self.partial = partial


class CheckRefused(BankErrors):
    """The bank pre-check that ``generate`` and ``export`` run beside their drawing found
    errors (``quizgen.check.quick_check``'s, all of them, in its order); nothing was written."""


def format_error(error: BaseException) -> str:
    """Turn any quizgen error into the text a user reads (no traceback)."""
    if isinstance(error, BankErrors):
        return "\n".join(format_error(e) for e in error.errors)
    if isinstance(error, BankError):
        head = error.location() + ": "
        if error.path:
            head += error.path + ": "
        text = head + error.message
        if error.detail:
            text += "\n" + "\n".join("    " + line for line in error.detail.splitlines())
        return text
    if isinstance(error, MathSyntaxError):
        return error.with_caret()
    if isinstance(error, UsageError):
        return error.message + (f"\nhint: {error.hint}" if error.hint else "")
    return str(error.args[0]) if error.args else type(error).__name__
