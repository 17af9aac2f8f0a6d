"""Turn a parsed sympy expression into a fast evaluator of exact values.

sympy's ``subs`` and ``evalf`` cost hundreds of microseconds per call, and a question is
drawn thousands of times. A formula is therefore compiled once into nested closures that
compute with Python ``Fraction``s, exactly, as long as the result stays rational. A step that
leaves the rationals (``exp``, ``tanh``, a square root of a non-square, …) continues in
mpmath at 50 significant digits; such values are kept and stored to 40 digits, so rounding
happens only for display.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import mpmath
import sympy

__all__ = ["EXACT", "MP", "Real", "compile_expr", "exact", "to_mpf"]

MP = mpmath.MPContext()
MP.dps = 50
Real = Any  # int or Fraction (exact), or MP.mpf (50 digits)
EXACT = (int, Fraction)
Env = Mapping[str, Any]
Fn = Callable[[Env], Real]


def exact(q: Fraction) -> int | Fraction:
    """A rational as an int when it is whole (ints are several times faster)."""
    return q.numerator if q.denominator == 1 else q


def to_mpf(value: Real) -> Any:
    """The value as a 50-digit mpmath number."""
    if isinstance(value, int):
        return MP.mpf(value)
    if isinstance(value, Fraction):
        return MP.mpf(value.numerator) / value.denominator
    return value


def _real(value: Any) -> Real:
    if isinstance(value, MP.mpc):
        if value.imag != 0:
            raise ValueError("the formula is not a real number for these values")
        return value.real
    if MP.isnan(value) or MP.isinf(value):
        raise ZeroDivisionError("the formula is undefined for these values")
    return value


def _const(value: Real) -> Fn:
    return lambda env: value


def _symbol(name: str) -> Fn:
    def get(env: Env) -> Real:
        value = env[name]
        if isinstance(value, str):
            raise ValueError(f"'{name}' is text ({value!r}), not a number")
        return value

    return get


def _add(fns: list[Fn]) -> Fn:
    def total(env: Env) -> Real:
        values = [f(env) for f in fns]
        kinds = {type(v) for v in values}
        if kinds == {int}:
            return sum(values)
        if kinds <= {int, Fraction}:
            return exact(sum(values, Fraction(0)))
        return MP.fsum(to_mpf(v) for v in values)

    return total


def _mul(fns: list[Fn]) -> Fn:
    def product(env: Env) -> Real:
        out: Real = 1
        for f in fns:
            v = f(env)
            if isinstance(out, EXACT) and isinstance(v, EXACT):
                out = out * v
            else:
                out = to_mpf(out) * to_mpf(v)
        return exact(out) if isinstance(out, Fraction) else out

    return product


def _exact_root(q: Fraction, n: int) -> Fraction | None:
    if q < 0:
        return None
    num, den = round(q.numerator ** (1 / n)), round(q.denominator ** (1 / n))
    for a in (num - 1, num, num + 1):
        for b in (den - 1, den, den + 1):
            if a >= 0 and b > 0 and Fraction(a, b) ** n == q:
                return Fraction(a, b)
    return None


def _pow(base: Fn, exponent: Fn) -> Fn:
    def power(env: Env) -> Real:
        b, e = base(env), exponent(env)
        if isinstance(b, EXACT) and isinstance(e, EXACT):
            if b == 0 and e < 0:
                raise ZeroDivisionError("division by zero")
            if isinstance(e, int) and abs(e) <= 100_000:
                return b**e if e >= 0 else exact(Fraction(1) / Fraction(b) ** -e)
            e = Fraction(e)
            if e.denominator <= 16 and abs(e.numerator) <= 1000:
                root = _exact_root(Fraction(b), e.denominator)
                if root is not None:
                    return exact(root**e.numerator) if root or e > 0 else 0
        if to_mpf(b) < 0 and not isinstance(e, int):
            raise ValueError("a negative number to a fractional power is not real")
        if to_mpf(b) == 0 and to_mpf(e) < 0:
            raise ZeroDivisionError("division by zero")
        return _real(MP.power(to_mpf(b), to_mpf(e)))

    return power


# Exact values of functions at the arguments where they are rational.
_EXACT_AT: dict[str, dict[int, int]] = {
    "exp": {0: 1},
    "log": {1: 0},
    "sin": {0: 0},
    "cos": {0: 1},
    "tan": {0: 0},
    "tanh": {0: 0},
    "sinh": {0: 0},
    "cosh": {0: 1},
    "asin": {0: 0},
    "atan": {0: 0},
}
_MPMATH = {
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tan: "tan",
    sympy.tanh: "tanh",
    sympy.sinh: "sinh",
    sympy.cosh: "cosh",
    sympy.asin: "asin",
    sympy.acos: "acos",
    sympy.atan: "atan",
}


def _function(name: str, arg: Fn) -> Fn:
    table = _EXACT_AT.get(name, {})
    mp_function = getattr(MP, name)

    def apply(env: Env) -> Real:
        x = arg(env)
        if isinstance(x, EXACT) and x in table:
            return table[x]
        if name == "log" and to_mpf(x) <= 0:
            raise ValueError("log of a number that is not positive")
        return _real(mp_function(to_mpf(x)))

    return apply


def _rounding(op: Callable[[float], int], arg: Fn) -> Fn:
    def apply(env: Env) -> Real:
        x = arg(env)
        if isinstance(x, EXACT):
            return op(x)
        return int(MP.floor(x) if op is math.floor else MP.ceil(x))

    return apply


def _minmax(pick: Callable[..., Any], fns: list[Fn]) -> Fn:
    return lambda env: pick((f(env) for f in fns), key=to_mpf)


def compile_expr(expr: sympy.Basic) -> Fn:
    """Compile ``expr`` into a function of an environment of values.

    The function returns a Fraction when the result is rational and an mpmath number
    otherwise. It raises ZeroDivisionError or ValueError (with a message) when the formula is
    undefined or not real for the values given.
    """
    if expr.is_Rational:
        return _const(exact(Fraction(int(expr.p), int(expr.q))))
    if expr is sympy.pi:
        return _const(+MP.pi)
    if expr is sympy.E:
        return _const(+MP.e)
    if expr.is_Symbol:
        return _symbol(expr.name)
    args = [compile_expr(a) for a in expr.args]
    if expr.is_Add:
        return _add(args)
    if expr.is_Mul:
        return _mul(args)
    if expr.is_Pow:
        return _pow(args[0], args[1])
    for kind, name in _MPMATH.items():
        if isinstance(expr, kind):
            return _function(name, args[0])
    if isinstance(expr, sympy.Abs):
        return lambda env: abs(args[0](env))
    if isinstance(expr, sympy.floor):
        return _rounding(math.floor, args[0])
    if isinstance(expr, sympy.ceiling):
        return _rounding(math.ceil, args[0])
    if isinstance(expr, sympy.Min):
        return _minmax(min, args)
    if isinstance(expr, sympy.Max):
        return _minmax(max, args)
    if expr.is_Number:  # a Float or other number sympy produced while building
        return _const(MP.mpf(str(expr.evalf(50))))
    raise ValueError(f"cannot evaluate {type(expr).__name__} in a formula")
