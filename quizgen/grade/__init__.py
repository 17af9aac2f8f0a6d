"""Grading: check responses against frozen answer keys (``docs/grading.md``).

``check_answer`` checks one response against an answer section written as in a bank;
``check_response`` checks one against a frozen key from ``key.json``.
"""

from __future__ import annotations

from quizgen.grade.api import answer_key, check_answer
from quizgen.grade.checkers import check_response
from quizgen.grade.verdict import Verdict

__all__ = ["Verdict", "answer_key", "check_answer", "check_response"]
