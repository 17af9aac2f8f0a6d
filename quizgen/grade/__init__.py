"""Grading: check responses against frozen answer keys (``docs/grading.md``).

``check_answer`` checks one response against an answer section written as in a bank;
``check_response`` checks one against a frozen key from ``key.json``. Names load lazily so
that reading submissions (``quizgen schema --submission``, ``generate``) needs no sympy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["Verdict", "answer_key", "check_answer", "check_response"]

_EXPORTS = {
    "answer_key": "quizgen.grade.api",
    "check_answer": "quizgen.grade.api",
    "check_response": "quizgen.grade.checkers",
    "Verdict": "quizgen.grade.verdict",
}

if TYPE_CHECKING:
    from quizgen.grade.api import answer_key, check_answer
    from quizgen.grade.checkers import check_response
    from quizgen.grade.verdict import Verdict


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'quizgen.grade' has no attribute {name!r}")
    return getattr(import_module(module), name)
