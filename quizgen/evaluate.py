"""Turn a parsed sympy expression into a fast exact evaluator.

sympy's ``subs`` costs hundreds of microseconds per call; a question is drawn thousands of
times. A formula is therefore compiled once into nested closures that compute with Python
``Fraction``s. Anything that leaves the rationals (sqrt of a non-square, exp, log, trig) is
handed back to sympy, exactly, for that one evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import sympy

__all__ = ["Irrational", "compile_expr", "evaluate"]

Env = Mapping[str, Any]
Fn = Callable[[Env], Fraction]


class Irrational(Exception):
    """The exact result is not rational; evaluate with sympy instead."""


def _const(value: Fraction) -> Fn:
    return lambda env: value


def _symbol(name: str) -> Fn:
    def get(env: Env) -> Fraction:
        value = env[name]
        if not isinstance(value, Fraction):
            raise Irrational(name)
        return value

    return get


def _add(fns: list[Fn]) -> Fn:
    return lambda env: sum((f(env) for f in fns), Fraction(0))


def _mul(fns: list[Fn]) -> Fn:
    def product(env: Env) -> Fraction:
        out = Fraction(1)
        for f in fns:
            out *= f(env)
        return out

    return product


def _pow(base: Fn, exponent: Fn) -> Fn:
    def power(env: Env) -> Fraction:
        b, e = base(env), exponent(env)
        if e.denominator != 1:
            raise Irrational("fractional power")
        if b == 0 and e < 0:
            raise ZeroDivisionError("zero to a negative power")
        if abs(e) > 100_000:
            raise Irrational("exponent too large for exact arithmetic")
        return b ** int(e)

    return power


def _minmax(pick: Callable[..., Fraction], fns: list[Fn]) -> Fn:
    return lambda env: pick(f(env) for f in fns)


def _unary(op: Callable[[Fraction], Fraction], fn: Fn) -> Fn:
    return lambda env: op(fn(env))


_UNARY: dict[type, Callable[[Fraction], Fraction]] = {
    sympy.Abs: abs,
    sympy.floor: lambda q: Fraction(math.floor(q)),
    sympy.ceiling: lambda q: Fraction(math.ceil(q)),
}


def compile_expr(expr: sympy.Expr) -> Fn:
    """Compile ``expr`` into a function of an environment of exact values.

    The function raises :class:`Irrational` when the result needs sympy.
    """
    if expr.is_Integer or expr.is_Rational:
        return _const(Fraction(int(expr.p), int(expr.q)))
    if expr.is_Symbol:
        return _symbol(expr.name)
    args = [compile_expr(a) for a in expr.args]
    if expr.is_Add:
        return _add(args)
    if expr.is_Mul:
        return _mul(args)
    if expr.is_Pow:
        return _pow(args[0], args[1])
    if isinstance(expr, sympy.Min):
        return _minmax(min, args)
    if isinstance(expr, sympy.Max):
        return _minmax(max, args)
    for kind, op in _UNARY.items():
        if isinstance(expr, kind):
            return _unary(op, args[0])

    def needs_sympy(env: Env) -> Fraction:
        raise Irrational(type(expr).__name__)

    return needs_sympy


def evaluate(expr: sympy.Expr, fn: Fn, env: Env) -> Any:
    """Exact value of ``expr``: a Fraction when rational, else a sympy number.

    Raises:
        ZeroDivisionError: the formula divides by zero for these values.
        ValueError: a value is text where a number is needed.
    """
    try:
        return fn(env)
    except Irrational:
        pass
    replacements = {}
    for symbol in expr.free_symbols:
        value = env[symbol.name]
        if isinstance(value, str):
            raise ValueError(f"'{symbol.name}' is text ({value!r}), not a number")
        if isinstance(value, Fraction):
            value = sympy.Rational(value.numerator, value.denominator)
        replacements[symbol] = value
    result = expr.xreplace(replacements)
    if result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ZeroDivisionError("the formula is undefined for these values")
    if result.is_Rational:
        return Fraction(int(result.p), int(result.q))
    if result.is_real is False:
        raise ValueError("the formula is not a real number for these values")
    return result
