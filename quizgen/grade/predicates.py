"""Named comparison predicates for numeric answers, each small and exact.

Every predicate takes exact ``Fraction``s (a tolerance written as ``0.01`` in a bank is the
decimal 1/100, not the float nearest to it), so a response exactly on the edge of a tolerance
is accepted on every machine. Rules:

=====================  ======================================================================
predicate              accepts ``x`` for target ``t`` when
=====================  ======================================================================
``equal``              ``x == t``
``within_absolute``    ``|x - t| <= tol``
``within_relative``    ``|x - t| <= rel * |t|``  (so ``t = 0`` needs ``x = 0``)
``within_sigfigs``     ``|x - t| <= 10^(floor(log10|t|) - n + 1) / 2``  (half a unit in the
                       n-th significant figure of ``t``; ``t = 0`` needs ``x = 0``)
=====================  ======================================================================

:func:`sigfigs_of` counts the significant figures a person wrote in a decimal string.
"""

from __future__ import annotations

import re
from fractions import Fraction

__all__ = [
    "decade",
    "equal",
    "sigfig_bounds",
    "sigfigs_of",
    "within_absolute",
    "within_relative",
    "within_sigfigs",
]

_DECIMAL = re.compile(
    r"^[+\-−]?(?P<int>[0-9]*)(?P<point>\.)?(?P<frac>[0-9]*)(?:[eE][+\-−]?[0-9]+)?$"
)


def equal(x: Fraction, target: Fraction) -> bool:
    """Exact equality of two rationals."""
    return x == target


def within_absolute(x: Fraction, target: Fraction, tol: Fraction) -> bool:
    """True when ``|x - target| <= tol``.

    Example: ``within_absolute(F("20.36"), F("20.35"), F("0.01"))`` is True (the edge counts).
    """
    return abs(x - target) <= tol


def within_relative(x: Fraction, target: Fraction, rel: Fraction) -> bool:
    """True when ``|x - target| <= rel * |target|``.

    Example: with ``rel = 0.01`` and target 200, any x in [198, 202] is accepted. A target of 0
    accepts only 0 (a relative error of 0 has no scale).
    """
    return abs(x - target) <= rel * abs(target)


def decade(q: Fraction) -> int:
    """``floor(log10(|q|))`` computed exactly, for ``q != 0``.

    Example: ``decade(F(20362)) == 4``, ``decade(F("0.05")) == -2``, ``decade(F(1000)) == 3``.
    """
    q = abs(q)
    if q == 0:
        raise ValueError("decade() of zero")
    k = len(str(q.numerator)) - len(str(q.denominator))  # within one of the answer
    while Fraction(10) ** k > q:
        k -= 1
    while Fraction(10) ** (k + 1) <= q:
        k += 1
    return k


def within_sigfigs(x: Fraction, target: Fraction, n: int) -> bool:
    """True when ``x`` agrees with ``target`` to ``n`` significant figures.

    The rule (PrairieLearn's): ``|x - t| <= 10^(floor(log10|t|) - n + 1) / 2``, i.e. ``x`` lies
    within half a unit of the n-th significant figure of ``t``. For ``t = 20362`` and ``n = 3``
    the unit is 100, so any x in [20312, 20412] is accepted: 20400 (``t`` rounded) is, 20300
    is not. A target of 0 accepts only 0.
    """
    if target == 0:
        return x == 0
    half_unit = Fraction(10) ** (decade(target) - n + 1) / 2
    return abs(x - target) <= half_unit


def _digits_written(text: str) -> tuple[str, str, bool] | None:
    """(integer digits, fraction digits, has point) of a plain decimal, or None."""
    match = _DECIMAL.match(text.strip())
    if match is None or not (match["int"] or match["frac"]):
        return None
    return match["int"], match["frac"], match["point"] is not None


def sigfig_bounds(text: str) -> tuple[int, int]:
    """The least and the most significant figures that ``text`` may have been written with.

    Trailing zeros of a whole number written without a decimal point are ambiguous: ``1200``
    may have 2, 3 or 4 significant figures, so this returns ``(2, 4)``. Everything else is
    unambiguous (``1200.`` → (4, 4), ``0.0120`` → (3, 3), ``1.20e3`` → (3, 3)).

    Raises:
        ValueError: ``text`` is not a decimal number.
    """
    parts = _digits_written(text)
    if parts is None:
        raise ValueError(f"not a decimal number: {text!r}")
    whole, frac, point = parts
    digits = (whole + frac).lstrip("0")
    if not digits:  # the value is zero: count the zeros written after the point
        n = max(1, len(frac))
        return n, n
    if frac or point:
        return len(digits), len(digits)
    stripped = digits.rstrip("0")
    return len(stripped), len(digits)


def sigfigs_of(text: str) -> int:
    """The number of significant figures written in the decimal string ``text``.

    Rules: leading zeros never count; every digit from the first non-zero one counts,
    including zeros after a decimal point (``2.50`` → 3); the trailing zeros of a whole number
    written without a point do not count (``1200`` → 2, ``1200.`` → 4); in scientific notation
    only the mantissa counts (``1.20e3`` → 3). A zero counts the zeros after its point, at
    least one (``0`` → 1, ``0.00`` → 2). See :func:`sigfig_bounds` for the ambiguous case.

    Raises:
        ValueError: ``text`` is not a decimal number.
    """
    return sigfig_bounds(text)[0]
