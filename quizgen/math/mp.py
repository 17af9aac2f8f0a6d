"""The numbers formulas compute with: exact ``int``/``Fraction``, else mpmath at 50 digits.

The evaluator (:mod:`quizgen.math.evaluate`) compiles sympy trees; these helpers only handle
its values, so drawing parameters and displaying values need mpmath but never sympy (a bank
without formulas loads no sympy). ``quizgen.math.evaluate`` re-exports every name here.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import mpmath

__all__ = ["EXACT", "MP", "Real", "context", "exact", "to_mpf"]

MP = mpmath.MPContext()
MP.dps = 50
_CONTEXTS: dict[int, Any] = {50: MP}
Real = Any  # int or Fraction (exact), or MP.mpf (50 digits); MP.mpc between complex steps
EXACT = (int, Fraction)


def exact(q: Fraction) -> int | Fraction:
    """A rational as an int when it is whole (ints are several times faster)."""
    return q.numerator if q.denominator == 1 else q


def to_mpf(value: Real, mp: Any = MP) -> Any:
    """The value as an mpmath number of ``mp`` (50 digits by default); an mpmath value is
    returned as it is."""
    if isinstance(value, int):
        return mp.mpf(value)
    if isinstance(value, Fraction):
        return mp.mpf(value.numerator) / value.denominator
    return value


def context(digits: int) -> Any:
    """An mpmath context working at ``digits`` significant digits, made once and never changed.

    Formulas compiled for it (:func:`~quizgen.math.evaluate.compile_expr`) compute at that
    precision; a context is never re-set to another precision, so a compiled formula gives
    the same value in every thread.
    """
    found = _CONTEXTS.get(digits)
    if found is None:
        found = mpmath.MPContext()
        found.dps = digits
        found = _CONTEXTS.setdefault(digits, found)
    return found
