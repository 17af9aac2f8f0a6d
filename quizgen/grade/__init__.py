"""Grading: check responses against frozen answer keys (``docs/grading.md``).

``check_response`` checks one response against a frozen key from ``key.json``
(:func:`quizgen.check_answer` does it for an answer section written as in a bank). Names load
lazily so that reading submissions (``quizgen schema --submission``, ``generate``) needs no sympy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["Verdict", "check_response"]

_EXPORTS = {
    "check_response": "quizgen.grade.checkers",
    "Verdict": "quizgen.grade.verdict",
}

if TYPE_CHECKING:
    from quizgen.grade.checkers import check_response
    from quizgen.grade.verdict import Verdict


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'quizgen.grade' has no attribute {name!r}")
    return getattr(import_module(module), name)
