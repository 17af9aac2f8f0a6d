"""quizgen: reproducible, auto-graded quizzes from YAML question banks.

The public API is small and stable; everything else may change. Names load lazily so that
``quizgen --help`` starts without importing sympy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Bank": "quizgen.bank",
    "load_bank": "quizgen.bank",
    "parse_bank": "quizgen.bank",
    "Exam": "quizgen.variant",
    "Variant": "quizgen.variant",
    "build_exam": "quizgen.generate.exam",
    "numbered_students": "quizgen.generate.exam",
    "read_roster": "quizgen.generate.exam",
    "check_bank": "quizgen.check",
    "check_answer": "quizgen.answer",
    "Verdict": "quizgen.grade.verdict",
    "parse_math": "quizgen.math.parse",
    "QuizgenError": "quizgen.errors",
    "BankError": "quizgen.errors",
    "MathSyntaxError": "quizgen.errors",
}

__all__ = [
    "Bank",
    "BankError",
    "Exam",
    "MathSyntaxError",
    "QuizgenError",
    "Variant",
    "Verdict",
    "__version__",
    "build_exam",
    "check_answer",
    "check_bank",
    "load_bank",
    "numbered_students",
    "parse_bank",
    "parse_math",
    "read_roster",
]

if TYPE_CHECKING:
    from quizgen.answer import check_answer
    from quizgen.bank.model import Bank, load_bank, parse_bank
    from quizgen.check import check_bank
    from quizgen.errors import BankError, MathSyntaxError, QuizgenError
    from quizgen.generate.exam import build_exam, numbered_students, read_roster
    from quizgen.grade.verdict import Verdict
    from quizgen.math.parse import parse_math
    from quizgen.variant import Exam, Variant


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'quizgen' has no attribute {name!r}")
    return getattr(import_module(module), name)
