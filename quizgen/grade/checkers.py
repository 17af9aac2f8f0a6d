"""The dispatcher: one response against one frozen answer key, bounded, never raising.

:func:`check_response` is what the grading pipeline calls for every part of every paper. It
turns every failure into a :class:`~quizgen.grade.verdict.Verdict`:

==========================================  =====================================================
situation                                   verdict
==========================================  =====================================================
no response, empty or only whitespace       ``incorrect``, score 0, "no answer"
essay                                       ``manual``, score 0, with the rubric
longer than ``MAX_RESPONSE_CHARS``          ``invalid``, refused before any parsing
unreadable (syntax, unknown name, format)   ``invalid``, the parser's message with a caret
over the time limit                         ``invalid``, "took longer than 2 s to check …"
any other failure inside a checker          ``invalid``, "could not check this answer: …"
==========================================  =====================================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from functools import cache
from typing import Any

from quizgen.errors import MathSyntaxError
from quizgen.grade.choice import check_choice, check_multi, check_truefalse
from quizgen.grade.limits import (
    DEFAULT_TIMEOUT,
    MAX_RESPONSE_CHARS,
    CheckTimeout,
    run_bounded,
)
from quizgen.grade.numeric import check_numeric, exact_target
from quizgen.grade.text import check_essay, check_text
from quizgen.grade.verdict import Verdict
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    ExpressionKey,
    NumericKey,
    TextKey,
    TrueFalseKey,
)

__all__ = ["Response", "check_response", "load_for"]

Response = str | Sequence[str] | bool | int | float | None

NO_ANSWER = "no answer"


def _is_empty(response: Response) -> bool:
    if response is None:
        return True
    if isinstance(response, str):
        return not response.strip()
    if isinstance(response, (list, tuple)):
        return all(_is_empty(r) for r in response)
    return False


def _length(response: Response) -> int:
    if isinstance(response, str):
        return len(response)
    if isinstance(response, (list, tuple)):
        return sum(len(r) if isinstance(r, str) else len(repr(r)) for r in response)
    return 0


def _as_text(response: Response) -> str:
    """One text answer: a number becomes its shortest text; a one-item list its item."""
    if isinstance(response, bool):
        return "true" if response else "false"
    if isinstance(response, (int, float)):
        return repr(response)
    if isinstance(response, (list, tuple)):
        items = [r for r in response if not _is_empty(r)]
        if len(items) != 1:
            text = ", ".join(map(str, items))
            raise MathSyntaxError("expected a single answer", text, 0, max(1, len(text)))
        return _as_text(items[0])
    return str(response)


def _as_list(response: Response) -> str | list[str]:
    if isinstance(response, (list, tuple)):
        return [str(r) for r in response if not _is_empty(r)]
    return _as_text(response)


def _check_choice_kind(key: ChoiceKey, response: Response) -> Verdict:
    if key.kind == "multi":
        return check_multi(key, _as_list(response))
    return check_choice(key, _as_list(response))


def _check_truefalse(key: TrueFalseKey, response: Response) -> Verdict:
    return check_truefalse(key, response if isinstance(response, bool) else _as_text(response))


@cache
def _expression_checker() -> Callable[[ExpressionKey, str], Verdict]:
    """The expression checker, imported on first use: it loads sympy (about a second), which
    grading without expression questions, the report and practice start-up do not need.
    ``sympy.tensor`` too, which sympy imports on the first sum it builds (~0.1 s): else
    inside the first check's time bound."""
    import sympy.tensor.tensor  # noqa: F401

    from quizgen.grade.expression import check_expression

    return check_expression


_CHECKERS: dict[type, Callable[[Any, Response], Verdict]] = {
    NumericKey: lambda key, r: check_numeric(key, _as_text(r)),
    ExpressionKey: lambda key, r: _expression_checker()(key, _as_text(r)),
    ChoiceKey: _check_choice_kind,
    TrueFalseKey: _check_truefalse,
    TextKey: lambda key, r: check_text(key, _as_text(r)),
    EssayKey: lambda key, r: check_essay(key, _as_text(r)),
}


def _check_unbounded(key: AnswerKey, response: Response) -> Verdict:
    """Run the key's checker, turning every failure except a timeout into a verdict.

    Module-level (not a closure) so that a worker process can receive it.
    """
    try:
        return _CHECKERS[type(key)](key, response)
    except MathSyntaxError as exc:
        if not _about_response(exc, response):  # the key's own text: do not blame the student
            return _could_not("the answer key could not be read")
        return Verdict(status="invalid", score=0, feedback=exc.with_caret(), method="parse")
    except RecursionError:
        return _could_not("the answer is nested too deeply")
    except Exception as exc:  # sympy, mpmath or a bug: never crash the batch
        return _could_not(f"{type(exc).__name__}: {exc}"[:300])


def _about_response(exc: MathSyntaxError, response: Response) -> bool:
    """Whether a parse error is about the response (and not about the key's text)."""
    if isinstance(response, (list, tuple)):
        return exc.text in map(str, response) or exc.text == ", ".join(map(str, response))
    return exc.text == _as_text_lenient(response) or exc.text == str(response)


def _could_not(reason: str) -> Verdict:
    return Verdict(
        status="invalid", score=0, feedback=f"could not check this answer: {reason}", method="error"
    )


def load_for(key: AnswerKey) -> None:
    """Import (and cache) what the check of ``key`` needs, before its time bound starts, so
    that loading sympy (about a second) is never counted against a student's answer, nor in
    the time a caller reports for the check (``timing.csv``)."""
    if isinstance(key, ExpressionKey):
        _expression_checker()
    elif isinstance(key, NumericKey):
        for value in (key.value, *(m.value for m in key.mistakes)):
            with suppress(MathSyntaxError, ValueError):  # the check itself reports them
                exact_target(value)


def check_response(
    key: AnswerKey, response: Response, *, timeout: float = DEFAULT_TIMEOUT
) -> Verdict:
    """Grade one response against one frozen answer key.

    Args:
        key: the part's answer key from ``key.json`` (``Variant.gradable()``).
        response: what the student gave: text, a list of labels (multi), a bool (true/false),
            a number, or None.
        timeout: seconds the check may take; a slower check is stopped and graded invalid.

    Returns:
        The verdict; this function does not raise for any response.
    """
    if _is_empty(response):
        return Verdict(status="incorrect", score=0, feedback=NO_ANSWER, method="empty")
    if isinstance(key, EssayKey):  # recorded whatever its length; a person reads it
        return check_essay(key, _as_text_lenient(response))
    length = _length(response)
    if length > MAX_RESPONSE_CHARS:
        return Verdict(
            status="invalid",
            score=0,
            feedback=f"answer too long ({length} characters; at most {MAX_RESPONSE_CHARS})",
            method="limit",
        )
    load_for(key)
    try:
        return run_bounded(_check_unbounded, (key, response), timeout)
    except CheckTimeout as exc:
        return Verdict(
            status="invalid",
            score=0,
            feedback=f"{exc}; write the answer in a simpler form",
            method="timeout",
        )
    except Exception as exc:  # a worker process that failed: still never crash the batch
        return _could_not(f"{type(exc).__name__}: {exc}"[:300])


def _as_text_lenient(response: Response) -> str:
    if isinstance(response, (list, tuple)):
        return "\n".join(map(str, response))
    return str(response)
