"""Exact numbers and how they are shown.

Answers are exact (Python ``Fraction`` for rationals, a sympy expression otherwise) and
rounded only for display. This module owns the display rules so every renderer, exporter and
feedback message prints a value the same way.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any

__all__ = ["Num", "display", "exact_text", "fraction_of", "round_sig", "to_decimal_text"]

MAX_DECIMALS = 10  # terminating decimals up to this many places are shown exactly
DEFAULT_SIG = 6


def fraction_of(value: Any) -> Fraction:
    """An exact Fraction for an int, a YAML float (by its shortest repr) or a decimal string."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))
    if isinstance(value, str):
        return Fraction(value.strip())
    raise TypeError(f"not a number: {value!r}")


def _terminating_places(q: Fraction) -> int | None:
    """Decimal places of ``q`` if its expansion terminates, else None."""
    d = q.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    return max(twos, fives) if d == 1 else None


def _exact_decimal(q: Fraction, places: int) -> str:
    """A terminating ``q`` written out exactly with ``places`` decimals (integer arithmetic)."""
    scaled = abs(q.numerator) * (10**places // q.denominator)
    digits = str(scaled).rjust(places + 1, "0")
    sign = "-" if q < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}" if places else f"{sign}{digits}"


def to_decimal_text(q: Fraction, places: int) -> str:
    """``q`` rounded half-even to ``places`` decimals, as text."""
    with localcontext() as ctx:
        ctx.prec = 200
        value = Decimal(q.numerator) / Decimal(q.denominator)
        quantum = Decimal(1).scaleb(-places)
        text = str(value.quantize(quantum, rounding=ROUND_HALF_EVEN))
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text  # no "-0.00"


def round_sig(x: float | Fraction, sig: int) -> str:
    """``x`` rounded to ``sig`` significant figures, written without an exponent.

    An exponent appears only outside 1e-6 ≤ |x| < 1e15, where positional notation would be
    unreadable (and inside ``$…$`` ``9.5e-7`` would typeset as a subtraction anyway).
    """
    q = x if type(x) is Fraction else Fraction(x)
    if q == 0:
        return "0"
    magnitude = abs(float(q))
    if not 1e-6 <= magnitude < 1e15:
        mantissa, exp = f"{float(q):.{sig - 1}e}".split("e")
        return f"{mantissa}e{int(exp)}"
    with localcontext() as ctx:
        ctx.prec = 200
        value = Decimal(q.numerator) / Decimal(q.denominator)
        exponent = value.adjusted()
        quantum = Decimal(1).scaleb(exponent - sig + 1)
        rounded = value.quantize(quantum, rounding=ROUND_HALF_EVEN)
        return format(rounded, "f")  # trailing zeros stay: they are significant


def display(value: Any, places: int | None = None, sig: int | None = None) -> str:
    """How an exact value is shown to people.

    Integers print whole; rationals with a terminating expansion of at most
    ``MAX_DECIMALS`` places print exactly; anything else is rounded (to ``places`` decimals if
    given, else to ``sig`` or 6 significant figures).
    """
    if type(value) is int and places is None and sig is None:  # the common case, fast
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, Fraction)):
        # (Fraction() of a Fraction is a copy, slow for its checks of abstract number types)
        q = value if type(value) is Fraction else Fraction(value)
        if places is not None:
            return to_decimal_text(q, places)
        if sig is not None:
            return round_sig(q, sig)
        if q.denominator == 1:
            return str(q.numerator)
        exact_places = _terminating_places(q)
        if exact_places is not None and exact_places <= MAX_DECIMALS:
            return _exact_decimal(q, exact_places)
        return round_sig(q, DEFAULT_SIG)
    # An irrational value, computed to 50 digits (see quizgen.math.evaluate); a float carries
    # enough digits to show it.
    approx = float(value)
    if places is not None:
        return to_decimal_text(Fraction(approx), places)
    return _round_sig_float(approx, sig or DEFAULT_SIG)


def _round_sig_float(x: float, sig: int) -> str:
    """:func:`round_sig` for a float, without the exact Decimal arithmetic."""
    if x == 0 or not 1e-6 <= abs(x) < 1e15:
        return round_sig(Fraction(x), sig)
    decimals = sig - 1 - math.floor(math.log10(abs(x)))
    if decimals >= 0:
        return f"{x:.{decimals}f}"
    return str(int(round(x, decimals)))


def exact_text(value: Any) -> str:
    """The exact value as text the safe parser reads back (``20362``, ``3/7``, ``sqrt(2)/2``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        return str(value)
    return _digits(value)


def _digits(value: Any) -> str:
    """An irrational value to 40 significant digits (mpmath's notation, which parses back)."""
    from quizgen.math.mp import MP

    return MP.nstr(value, 40, strip_zeros=True)


class Num:
    """A value as templates see it: prints as :func:`display`, keeps the exact value."""

    __slots__ = ("_text", "exact")

    def __init__(self, exact: Any) -> None:
        self.exact = exact
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = display(self.exact)
        return self._text

    def __html__(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return f"Num({self.exact!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Num):
            return self.exact == other.exact
        return self.exact == other

    def __hash__(self) -> int:
        return hash(self.exact)

    def __float__(self) -> float:
        return float(self.exact)

    def __lt__(self, other: Any) -> bool:
        return float(self) < float(other)

    def __gt__(self, other: Any) -> bool:
        return float(self) > float(other)
