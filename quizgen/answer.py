"""``check_answer``: check one response against an answer section written as in a bank.

There is one path from bank text to an answer key: the section is validated as a one-question
bank, compiled and drawn exactly as ``quizgen generate`` does, and the resulting key is checked
by :func:`~quizgen.grade.checkers.check_response`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from quizgen.bank.model import KINDS, Bank
from quizgen.bank.yamlsrc import path_text
from quizgen.errors import BankError, BankErrors, QuizgenError
from quizgen.generate.compile import compile_question
from quizgen.generate.solve import draw_variant
from quizgen.grade.checkers import Response, check_response
from quizgen.grade.limits import DEFAULT_TIMEOUT
from quizgen.grade.verdict import Verdict
from quizgen.rng import stream_for
from quizgen.variant import AnswerKey

__all__ = ["answer_key", "check_answer"]

_WHERE = "<answer>"
_PREFIX = ("questions", 0)
_TAGS = frozenset(KINDS)


def _infer_kind(answer: Mapping[str, Any]) -> str:
    """The ``kind`` of a section that omits it, from the fields it has."""
    if "variables" in answer:
        return "expression"
    if "options" in answer:
        correct = [o for o in answer["options"] if isinstance(o, Mapping) and o.get("correct")]
        return "choice" if len(correct) == 1 else "multi"
    if "answers" in answer or "regex" in answer:
        return "text"
    if "rubric" in answer:
        return "essay"
    if isinstance(answer.get("answer"), bool):
        return "truefalse"
    return "numeric"


def _bank_data(answer: Mapping[str, Any]) -> dict[str, Any]:
    question = {"id": "q", "prompt": "-", **answer}
    question.setdefault("kind", _infer_kind(answer))
    if question["kind"] in ("choice", "multi"):
        question.setdefault("shuffle", False)  # labels A, B, … follow the order written
    return {"id": "api", "title": "api", "questions": [question]}


def _relative(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic location without the bank wrapping and the union member names."""
    if loc[: len(_PREFIX)] == _PREFIX:
        loc = loc[len(_PREFIX) :]
    return tuple(p for p in loc if not (isinstance(p, str) and (p in _TAGS or "[" in p)))


def _errors(exc: ValidationError) -> BankErrors:
    errors = []
    for err in exc.errors(include_url=False):
        path = path_text(_relative(err["loc"]))
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "union_tag_invalid":
            tag = err.get("ctx", {}).get("tag", "?")
            path, message = (
                "kind",
                f"unknown kind {tag!r}; expected one of: {', '.join(sorted(_TAGS))}",
            )
        errors.append(BankError(message, _WHERE, path=path))
    return BankErrors(errors)


def _unwrapped(exc: BankErrors) -> BankErrors:
    """Compilation errors with the one-question bank's path prefix removed."""
    prefix = path_text(_PREFIX)
    return BankErrors(
        [
            BankError(
                e.message,
                _WHERE,
                path=e.path.removeprefix(prefix).lstrip("."),
                detail=e.detail,
            )
            for e in exc.errors
        ]
    )


@lru_cache(maxsize=256)
def _key_from_json(text: str) -> AnswerKey:
    data = _bank_data(json.loads(text))
    try:
        bank = Bank.model_validate(data)
    except ValidationError as exc:
        raise _errors(exc) from None
    try:
        variant = draw_variant(compile_question(bank, 0), stream_for("check_answer"))
    except BankErrors as exc:
        raise _unwrapped(exc) from None
    except BankError as exc:  # a draw that failed (a constraint never met, ...)
        raise BankErrors([BankError(exc.message, _WHERE, path=exc.path)]) from None
    if variant.answer is None:
        raise QuizgenError("check_answer takes one answer section, not a multipart question")
    return variant.answer


def answer_key(answer: Mapping[str, Any]) -> AnswerKey:
    """The frozen answer key that a bank's answer section produces (cached).

    Raises:
        BankErrors: the section is not valid (each error names the field).
        QuizgenError: the section cannot be checked on its own (multipart).
    """
    if not isinstance(answer, Mapping):
        raise QuizgenError(f"an answer section is a mapping, not {type(answer).__name__}")
    try:
        text = json.dumps(answer, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise QuizgenError(f"an answer section holds plain data only: {exc}") from None
    return _key_from_json(text)


def check_answer(
    answer: Mapping[str, Any], response: Response, *, timeout: float = DEFAULT_TIMEOUT
) -> Verdict:
    """Check ``response`` against an answer section written exactly as in a bank.

    Example::

        >>> check_answer({"kind": "expression", "answer": "4*(n*h + h^2 + h)",
        ...               "variables": ["n", "h"]}, "4h(n+h+1)").status
        'correct'

    Args:
        answer: a question's answer fields, e.g. ``{"kind": "numeric", "answer": "20362",
            "tolerance": 0}``. Without ``kind``, it is inferred: ``variables`` → expression,
            ``options`` → choice (one correct) or multi, ``answers``/``regex`` → text,
            ``rubric`` → essay, a boolean ``answer`` → truefalse, else numeric. Options keep
            the order written (labels A, B, …) unless the section sets ``shuffle: true``.
        response: the student's answer (text; a list of labels for multi; a bool for
            truefalse).
        timeout: seconds the check may take (default 2).

    Returns:
        A verdict with ``status`` (correct, incorrect, invalid, manual), ``score`` (0 to 1),
        ``feedback`` and ``method``.

    Raises:
        BankErrors: ``answer`` is not a valid answer section.
        QuizgenError: ``answer`` is not plain data or is a multipart question.
    """
    return check_response(answer_key(answer), response, timeout=timeout)
