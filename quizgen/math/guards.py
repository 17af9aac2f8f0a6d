"""Pure helpers that decide, cheaply, whether handing a value to sympy is safe.

sympy evaluates eagerly, and a few of its automatic steps are unbounded on hostile input:

* exact arithmetic on huge numbers (``9^9^9``) and factoring of large radicands (``sqrt(N)``);
* high-precision evaluation of functions of huge arguments (``sin(exp(10^6)) + 1``);
* sign tests on algebraic numbers that cancel to within 10^-100: sympy then computes a
  minimal polynomial whose cost explodes with the degree (``(1+10^-120)^(1/1000) - 1``).

The builder estimates sizes before calling sympy and uses these helpers for the rest.
"""

from __future__ import annotations

import math

import sympy

__all__ = [
    "Radical",
    "algebraic_floor",
    "as_float",
    "degree_of",
    "is_algebraic_number",
    "is_decidable",
    "negative_or_complex",
    "radicals_of",
    "rational_bits",
    "scale",
]

_NEAR = sympy.Float(2) ** -40
_DIGITS_PER_BIT = 0.302


def rational_bits(value: sympy.Rational) -> int:
    """Bits of the larger of numerator and denominator."""
    return max(int(value.p).bit_length(), int(value.q).bit_length())


def as_float(value: int) -> float:
    """``float(value)``, but infinity instead of OverflowError for huge integers."""
    return float(value) if value.bit_length() < 1000 else math.inf


def scale(mag: float, factor: float) -> float:
    """``mag * factor`` where a zero factor wins over an infinite magnitude."""
    return 0.0 if factor == 0 else mag * factor


def is_algebraic_number(expr: sympy.Expr) -> bool:
    """True for a symbol-free, non-rational expression that sympy may treat as algebraic."""
    if expr.is_Rational or expr.free_symbols:
        return False
    return not expr.has(sympy.Function, sympy.pi, sympy.E)


def is_decidable(expr: sympy.Expr) -> bool:
    """Whether a 2-digit evalf (sympy's first sign test) finds a significant digit."""
    try:
        value = expr.evalf(2)
    except (ValueError, TypeError, ArithmeticError):  # sympy's sign test gives up likewise
        return True
    return getattr(value, "_prec", 2) > 1  # a Float of precision 1 has no significant digit


Radical = tuple[sympy.Expr, int]


def radicals_of(expr: sympy.Expr) -> frozenset[Radical]:
    """The distinct radicals (base, root degree) occurring in an expression."""
    return frozenset(
        (power.base, int(power.exp.q))
        for power in expr.atoms(sympy.Pow)
        if power.exp.is_Rational and not power.exp.is_Integer
    )


def degree_of(radicals: frozenset[Radical]) -> float:
    """Upper bound of the degree of the field the radicals generate (product of degrees)."""
    return math.prod(as_float(q) for _, q in radicals)


def negative_or_complex(expr: sympy.Expr) -> bool:
    """True if a symbol-free expression is negative or not real (False if it has symbols)."""
    if expr.is_Rational:
        return bool(expr.is_negative)
    if expr.free_symbols:
        return False
    value = expr.evalf(15)
    return not value.is_Number or bool(value < 0)


def algebraic_floor(expr: sympy.Expr, mag: float) -> int | None:
    """floor() of an algebraic number, or None if it is too close to an integer to tell.

    Args:
        expr: a value for which :func:`is_algebraic_number` holds.
        mag: an upper bound of log2 of its absolute value.

    Returns:
        The floor, or None (also when the value is not real).
    """
    value = expr.evalf(int(mag * _DIGITS_PER_BIT) + 30)
    if not value.is_Number:
        return None
    low = int(sympy.floor(value))
    if value - low < _NEAR:
        return _side(expr, low, low, low - 1)
    if low + 1 - value < _NEAR:
        return _side(expr, low + 1, low + 1, low)
    return low


def _side(expr: sympy.Expr, point: int, above: int, below: int) -> int | None:
    difference = expr - point
    if not is_decidable(difference):
        return None
    return above if difference.evalf(2) > 0 else below
