"""The one evaluator of formulas: a parsed sympy expression compiled into a fast function.

sympy's ``subs`` and ``evalf`` cost hundreds of microseconds per call, and a question is drawn
thousands of times and a response checked at a dozen points. A formula is therefore compiled
once into nested closures of an environment (name -> value). They compute with ``int`` and
``Fraction``, exactly, as long as the result stays rational; a step that leaves the rationals
(``exp``, ``tanh``, a square root of a non-square, …) continues in mpmath at 50 significant
digits, so rounding happens only for display.

Where a formula has no finite real value, the caller's :class:`Policy` decides:

* :data:`STRICT` (bank formulas, and the default) raises :class:`NotReal` or
  :class:`Undefined` at the step that leaves the finite reals, with a message for the bank
  author;
* a policy with ``complex_steps`` (the grader's sample points) carries non-real intermediate
  values on (``sqrt(x)*sqrt(x^3)`` is real again at a negative x), treats values beyond
  ``2^max_mag`` as undefined, and :func:`outcome` classifies the end result as a value,
  undefined or complex.

The evaluator knows exactly the sympy functions that the parser's function table can build
(:data:`quizgen.math.functions.HEADS`): a function the parser accepts is always evaluable, and
no rule exists for one it cannot produce.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import sympy
from mpmath.ctx_mp_python import _mpc

from quizgen.math.functions import HEADS
from quizgen.math.mp import EXACT, MP, Real, context, exact, to_mpf

__all__ = [
    "EXACT",
    "MP",
    "STRICT",
    "Imprecise",
    "NotReal",
    "Outcome",
    "Policy",
    "Real",
    "Undefined",
    "compile_expr",
    "context",
    "exact",
    "outcome",
    "to_mpf",
]

Env = Mapping[str, Any]
Fn = Callable[[Env], Real]

MAX_EXACT_EXPONENT = 100_000  # larger integer exponents are computed in floating point
# An exact fractional power b^(p/q) is tried when q and |p| are at most these.
MAX_ROOT_DEGREE = 16
MAX_ROOT_POWER = 1000
# Imaginary parts this small are rounding noise of complex steps, not a non-real value.
IMAG_ABS = mpmath.mpf("1e-40")
IMAG_REL = mpmath.mpf("1e-30")

_NONFINITE = frozenset({sympy.zoo, sympy.oo, -sympy.oo, sympy.nan})
_CONSTANTS = {sympy.pi: "pi", sympy.E: "e"}
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
    "sec": {0: 1},
    "sech": {0: 1},
    "asinh": {0: 0},
    "acosh": {1: 0},
    "atanh": {0: 0},
    "erf": {0: 0},
}
# sympy heads whose mpmath function has another name.
_MP_NAMES = {"Abs": "fabs"}
# floor/ceiling of a square root take the whole root (math.isqrt) of an exact radicand up to
# this many bits (numerator × denominator): at 50 digits (166 bits), mpmath's correctly
# rounded root is far closer to the true one than any whole number is, so its floor is the
# same; ``floor(sqrt(a^2 + b^2 + c^2))^2 == a^2 + b^2 + c^2`` tests a square without mpmath.
WHOLE_ROOT_BITS = 100
_WHOLE_ROOTS = {"floor": False, "ceiling": True}  # head -> rounds up
# Functions with a pole at 0 (mpmath raises ZeroDivisionError there; the evaluator says why).
_POLE_AT_ZERO = frozenset({"cot", "csc", "coth", "csch"})
MAX_FACTORIAL = 10_000  # larger whole numbers: factorial is computed in floating point


class Undefined(ZeroDivisionError):
    """The formula has no value here: a division by zero, ``log(0)``, an overflow."""


class NotReal(ValueError):
    """The formula, or a step of it, is not a real number here."""


class Imprecise(ArithmeticError):
    """A sum cancelled (almost) every digit of the working precision: its value is noise."""


@dataclass(frozen=True)
class Policy:
    """What the evaluator does where a formula leaves the finite real numbers.

    Attributes:
        complex_steps: carry a non-real intermediate value on, for :func:`outcome` to judge
            the result, instead of raising :class:`NotReal` at the step that produced it.
        max_mag: a value beyond ``2**max_mag`` in size is an overflow (:class:`Undefined`),
            refused before a power or ``exp`` computes it; None: no bound.
        exact_bits: an exact power whose result would exceed this many bits is computed in
            floating point instead; None: no bound.
        cancellation: raise :class:`Imprecise` when an inexact sum loses all but a few
            digits of the working precision (``cosh(x)^2 - sinh(x)^2`` at x = 200 in 50
            digits), so that the caller retries with more digits.
    """

    complex_steps: bool = False
    max_mag: int | None = None
    exact_bits: int | None = None
    cancellation: bool = False


#: Bank formulas: every step real and finite, or an error with a message for the author.
STRICT = Policy()


@dataclass(frozen=True)
class Outcome:
    """The value of a formula at one point: a number, undefined there, or not real there."""

    value: Real | None = None
    undefined: bool = False
    complex: bool = False
    imprecise: bool = False


_UNDEFINED = Outcome(undefined=True)
_COMPLEX = Outcome(complex=True)
_IMPRECISE = Outcome(imprecise=True)


def compile_expr(expr: sympy.Basic, policy: Policy = STRICT, mp: Any = MP) -> Fn:
    """Compile ``expr`` into a function of an environment (name -> value).

    The function returns an int or Fraction while the result is rational and a 50-digit
    mpmath number otherwise (or a number of the precision of ``mp``, a :func:`context`).
    Under :data:`STRICT` it raises :class:`Undefined` (a
    ZeroDivisionError) or :class:`NotReal` (a ValueError), with a message, where the formula
    has no real value for the values given, and ValueError for a variable that holds text.

    Raises:
        ValueError: the expression holds something the evaluator does not know (only a tree
            the safe parser did not build can), or is undefined everywhere (``0^(-y)``).
    """
    return _Compiler(policy, mp).visit(expr)


def outcome(fn: Fn, env: Env) -> Outcome:
    """Evaluate a compiled formula at ``env``, classifying poles and non-real values."""
    try:
        value = fn(env)
    except NotReal:
        return _COMPLEX
    except Imprecise:
        return _IMPRECISE
    except (ArithmeticError, ValueError, TypeError):  # Undefined, and mpmath's own refusals
        return _UNDEFINED
    if isinstance(value, _mpc):
        if abs(value.imag) > IMAG_REL * abs(value) + IMAG_ABS:
            return _COMPLEX
        value = value.real
    return Outcome(value)


# --- checks after a step that may leave the finite reals ------------------------------------


def _real(value: Any) -> Any:
    if isinstance(value, _mpc):
        if value.imag != 0:
            raise NotReal("the formula is not a real number for these values")
        return value.real
    if MP.isnan(value) or MP.isinf(value):
        raise Undefined("the formula is undefined for these values")
    return value


def _checker(policy: Policy, mp: Any) -> Callable[[Any], Any]:
    """The check every inexact step's result passes: real (unless complex steps), finite,
    and within ``2^max_mag`` (when bounded)."""
    bound = policy.max_mag
    if bound is None and not policy.complex_steps:
        return _real
    strict = not policy.complex_steps

    def check(value: Any) -> Any:
        if strict:
            value = _real(value)
        if not mp.isfinite(value) or (
            bound is not None and value != 0 and abs(mp.mag(value)) > bound
        ):
            raise Undefined("the value is not finite, or too large")
        return value

    return check


def _real_part(value: Any) -> Any:
    """A value that must be real (compared, rounded): rounding noise in its imaginary part is
    dropped; a truly complex value has no place in a comparison (Undefined)."""
    if isinstance(value, _mpc):
        if abs(value.imag) > IMAG_ABS:
            raise Undefined("a comparison or rounding of a value that is not real")
        return value.real
    return value


def _check_cancellation(mp: Any, terms: list[Any], value: Any) -> None:
    """Raise Imprecise when the sum kept fewer than 20 bits of the working precision."""
    top = max((mp.mag(t) for t in terms if t != 0), default=None)
    if top is None:
        return
    if value == 0 or top - mp.mag(value) > mp.prec - 20:
        raise Imprecise("the terms cancel beyond the working precision")


def _bits(q: int | Fraction) -> int:
    return max(q.numerator.bit_length(), q.denominator.bit_length())


def _exact_root(q: int | Fraction, n: int) -> Fraction | None:
    """The exact non-negative n-th root of ``q``, when it is rational."""
    if q.numerator < 0:  # (an int has a numerator too; a Fraction keeps its sign there)
        return None
    top, whole = _integer_root(q.numerator, n)
    if not whole:
        return None
    bottom, whole = _integer_root(q.denominator, n)
    return Fraction(top, bottom) if whole else None


def _integer_root(x: int, n: int) -> tuple[int, bool]:
    """sympy's ``integer_nthroot``: the whole n-th root of ``x >= 0`` and whether it is exact
    (square roots, the common case, by :func:`math.isqrt`: ten times faster)."""
    if n == 2:
        root = math.isqrt(x)
        return root, root * root == x
    return sympy.integer_nthroot(x, n)


def _is_square_root(expr: sympy.Basic) -> bool:
    return bool(expr.is_Pow) and expr.args[1] == sympy.S.Half


def _sign(value: int | Fraction) -> int:
    return (value > 0) - (value < 0)


def _is_integer(value: Real) -> bool:
    return isinstance(value, int) or (isinstance(value, Fraction) and value.denominator == 1)


# --- the compiler ---------------------------------------------------------------------------


def _const(value: Real) -> Fn:
    return lambda env: value


def _symbol(name: str) -> Fn:
    def get(env: Env) -> Real:
        value = env[name]
        if isinstance(value, str):
            raise ValueError(f"'{name}' is text ({value!r}), not a number")
        return value

    return get


def _refuse_overflow(base: Any, exponent: Any, bound: int, mp: Any) -> None:
    """Raise Undefined before computing a power far beyond ``2^bound`` (towers)."""
    size = abs(exponent)
    if size > bound and base != 0:
        magnitude = abs(mp.log(abs(base), 2))
        if size * magnitude > 4 * bound:
            raise Undefined("the power is too large")


class _Compiler:
    """Compiles trees under one policy; one method per kind of node."""

    def __init__(self, policy: Policy, mp: Any = MP) -> None:
        self.policy = policy
        self.mp = mp
        # Every step that can leave the finite reals (powers, functions) is checked. Sums,
        # products and absolute values of finite values stay finite: they are checked (for
        # overflow) only under a policy with a bound on magnitudes.
        self.check = _checker(policy, mp)
        self.check_arithmetic = None if policy.max_mag is None else self.check
        # Whole roots only where the generic path is the same (see WHOLE_ROOT_BITS): no bound
        # on magnitudes or exact sizes that could refuse the root, and enough precision.
        self.whole_roots = policy == STRICT and mp.prec >= WHOLE_ROOT_BITS + 32
        self.special: dict[str, Callable[[list[Fn]], Fn]] = {
            "exp": self.exp,
            "log": self.log,
            "Abs": self.absolute,
            "re": lambda args: self.function("re", args, on_exact=lambda x: x),
            "im": lambda args: self.function("im", args, on_exact=lambda x: 0),
            "floor": lambda args: self.rounding(math.floor, mp.floor, args),
            "ceiling": lambda args: self.rounding(math.ceil, mp.ceil, args),
            "Min": lambda args: self.extremum(min, args),
            "Max": lambda args: self.extremum(max, args),
            "sign": lambda args: self.function("sign", args, on_exact=_sign),
            "factorial": self.factorial,
            "binomial": self.binomial,
            "Heaviside": self.heaviside,
            **{name: self.pole_at_zero(name) for name in _POLE_AT_ZERO},
        }

    def visit(self, expr: sympy.Basic) -> Fn:
        if expr.is_Rational:
            return _const(exact(Fraction(int(expr.p), int(expr.q))))
        if expr.is_Symbol:
            return _symbol(expr.name)
        if expr in _CONSTANTS:
            return _const(+getattr(self.mp, _CONSTANTS[expr]))
        if expr in _NONFINITE:  # the parser builds 0^(-y) as zoo^y
            raise ValueError("the formula is undefined (it divides by zero)")
        args = [self.visit(a) for a in expr.args]
        if expr.is_Add:
            return self.add(args)
        if expr.is_Mul:
            return self.mul(args)
        if expr.is_Pow:
            return self.power(args[0], args[1])
        head = _HEAD_NAMES.get(type(expr))
        if head is None:
            raise ValueError(f"cannot evaluate {type(expr).__name__} in a formula")
        if head in _WHOLE_ROOTS and self.whole_roots and _is_square_root(expr.args[0]):
            radicand = self.visit(expr.args[0].args[0])
            return self.whole_root(_WHOLE_ROOTS[head], radicand, self.special[head](args))
        special = self.special.get(head)
        return special(args) if special else self.function(head, args)

    # -- arithmetic ----------------------------------------------------------------------------

    def add(self, fns: list[Fn]) -> Fn:
        check, mp = self.check_arithmetic, self.mp
        guard = self.policy.cancellation

        def total(env: Env) -> Real:
            values = [f(env) for f in fns]
            kinds = {type(v) for v in values}
            if kinds == {int}:
                return sum(values)
            if kinds <= {int, Fraction}:
                return exact(sum(values, Fraction(0)))
            terms = [to_mpf(v, mp) for v in values]
            value = mp.fsum(terms)
            if guard:
                _check_cancellation(mp, terms, value)
            return value if check is None else check(value)

        return total

    def mul(self, fns: list[Fn]) -> Fn:
        check, mp = self.check_arithmetic, self.mp

        def product(env: Env) -> Real:
            out: Real = 1
            for f in fns:
                v = f(env)
                if isinstance(out, EXACT) and isinstance(v, EXACT):
                    out = out * v
                else:
                    out = to_mpf(out, mp) * to_mpf(v, mp)
            if isinstance(out, Fraction):
                return exact(out)
            return out if isinstance(out, int) or check is None else check(out)

        return product

    def power(self, base: Fn, exponent: Fn) -> Fn:
        exact_power, inexact_power = self.exact_power, self.inexact_power
        unbounded = self.policy.exact_bits is None

        def power(env: Env) -> Real:
            b, e = base(env), exponent(env)
            # the common cases first, inline: x^2, h^2, 0.9^T (exact and of any size)
            if (
                type(e) is int
                and unbounded
                and 0 < e <= MAX_EXACT_EXPONENT
                and (type(b) is int or (type(b) is Fraction and b.denominator != 1))
            ):
                return b**e
            if isinstance(b, EXACT) and isinstance(e, EXACT):
                value = exact_power(b, e)
                if value is not None:
                    return value
            return inexact_power(b, e)

        return power

    def exact_power(self, b: int | Fraction, e: int | Fraction) -> int | Fraction | None:
        """``b^e`` exactly, or None when it is irrational or too large to compute exactly."""
        if type(e) is not int and e.denominator == 1:
            e = e.numerator
        if b == 0:
            if e < 0:
                raise Undefined("division by zero")
            return 1 if e == 0 else 0
        if type(e) is not int:
            return self.exact_root(b, e)
        if abs(e) > MAX_EXACT_EXPONENT or self.too_large(b, e):
            return None
        if e < 0:
            return exact(Fraction(1) / Fraction(b) ** -e)
        value = b**e
        return value if type(value) is int or value.denominator != 1 else value.numerator

    def exact_root(self, b: int | Fraction, e: Fraction) -> int | Fraction | None:
        """``b^(p/q)`` for a nonzero ``b``, when it is rational and of a sane size."""
        if e.denominator > MAX_ROOT_DEGREE or abs(e.numerator) > MAX_ROOT_POWER:
            return None
        root = _exact_root(b, e.denominator)
        if root is None or self.too_large(root, e.numerator):
            return None
        return exact(root**e.numerator)

    def too_large(self, base: int | Fraction, exponent: int) -> bool:
        limit = self.policy.exact_bits
        return limit is not None and _bits(base) * abs(exponent) > limit

    def inexact_power(self, b: Real, e: Real) -> Real:
        mp = self.mp
        base, exponent = to_mpf(b, mp), to_mpf(e, mp)
        if not self.policy.complex_steps and base < 0 and not _is_integer(e):
            raise NotReal("a negative number to a fractional power is not real")
        if base == 0 and mp.re(exponent) < 0:
            raise Undefined("division by zero")
        if self.policy.max_mag is not None:
            _refuse_overflow(base, exponent, self.policy.max_mag, mp)
        return self.check(mp.power(base, exponent))

    # -- functions -----------------------------------------------------------------------------

    def function(
        self,
        name: str,
        args: list[Fn],
        guard: Callable[[Any], None] | None = None,
        on_exact: Callable[[Any], Real] | None = None,
    ) -> Fn:
        """A function of one argument that mpmath computes under the same name.

        ``guard`` sees the argument first and may refuse it; ``on_exact`` computes the value
        of an exact argument (else the table of exact values is used, then mpmath).
        """
        (arg,) = args
        table = _EXACT_AT.get(name, {})
        mp = self.mp
        mp_function = getattr(mp, _MP_NAMES.get(name, name))
        check = self.check

        def apply(env: Env) -> Real:
            x = arg(env)
            if isinstance(x, EXACT):
                if on_exact is not None:
                    return on_exact(x)
                if x in table:
                    return table[x]
            x = to_mpf(x, mp)
            if guard is not None:
                guard(x)
            return check(mp_function(x))

        return apply

    def exp(self, args: list[Fn]) -> Fn:
        bound, mp = self.policy.max_mag, self.mp

        def refuse_overflow(x: Any) -> None:  # before mpmath computes exp(10^6)
            if mp.re(x) > bound:
                raise Undefined("exp of a number this large")

        return self.function("exp", args, None if bound is None else refuse_overflow)

    def log(self, args: list[Fn]) -> Fn:
        complex_steps = self.policy.complex_steps

        def refuse(x: Any) -> None:
            if not complex_steps and x <= 0:
                raise NotReal("log of a number that is not positive")
            if x == 0:
                raise Undefined("log(0) is undefined")

        return self.function("log", args, refuse)

    def absolute(self, args: list[Fn]) -> Fn:
        (arg,) = args
        check = self.check_arithmetic

        def absolute(env: Env) -> Real:
            x = arg(env)
            return abs(x) if isinstance(x, EXACT) or check is None else check(abs(x))

        return absolute

    def rounding(
        self, exact_op: Callable[[Any], int], mp_op: Callable[[Any], Any], args: list[Fn]
    ) -> Fn:
        (arg,) = args

        def rounded(env: Env) -> Real:
            x = arg(env)
            if isinstance(x, EXACT):
                return exact_op(x)
            return int(mp_op(_real_part(x)))

        return rounded

    def whole_root(self, up: bool, radicand: Fn, generic: Fn) -> Fn:
        """floor (or, ``up``, ceiling) of the square root of ``radicand``: by
        :func:`math.isqrt` when the radicand is exact, not negative and small enough
        (:data:`WHOLE_ROOT_BITS`), the same whole number mpmath's root would round to;
        otherwise ``generic``, the rounding of the root as any other function's."""

        def rounded(env: Env) -> Real:
            x = radicand(env)
            kind = x.__class__
            if kind is int:
                top, bottom = x, 1
            elif kind is Fraction:
                top, bottom = x.numerator * x.denominator, x.denominator
            else:
                return generic(env)
            if top < 0 or top.bit_length() > WHOLE_ROOT_BITS:
                return generic(env)
            root = math.isqrt(top)  # floor(sqrt(p/q)) = floor(isqrt(p*q) / q)
            if up and root * root != top:
                root += 1
            return -(-root // bottom) if up else root // bottom

        return rounded

    def pole_at_zero(self, name: str) -> Callable[[list[Fn]], Fn]:
        def refuse(x: Any) -> None:
            if x == 0:
                raise Undefined(f"{name}(0) is undefined")

        def make(args: list[Fn]) -> Fn:
            if len(args) != 1:
                raise ValueError(f"{name} takes one argument")
            guarded = self.function(name, args, refuse)
            (arg,) = args

            def apply(env: Env) -> Real:
                x = arg(env)
                if isinstance(x, EXACT) and x == 0:
                    raise Undefined(f"{name}(0) is undefined")
                return guarded(env)

            return apply

        return make

    def factorial(self, args: list[Fn]) -> Fn:
        """n! for a whole n >= 0 (exact up to MAX_FACTORIAL); undefined elsewhere."""
        (arg,) = args
        mp, check = self.mp, self.check

        def factorial(env: Env) -> Real:
            n = _real_part(arg(env))
            if not _is_integer(n) or n < 0:
                if isinstance(n, EXACT) or not mp.isint(n) or n < 0:
                    raise Undefined("factorial is defined for whole numbers n >= 0")
                n = int(n)
            n = int(n)
            if n <= MAX_FACTORIAL:
                return math.factorial(n)
            return check(mp.factorial(n))

        return factorial

    def binomial(self, args: list[Fn]) -> Fn:
        """C(n, k): exact for whole numbers (0 when k < 0 or k > n >= 0), else mpmath."""
        top, bottom = args
        mp, check = self.mp, self.check

        def binomial(env: Env) -> Real:
            n, k = _real_part(top(env)), _real_part(bottom(env))
            if _is_integer(n) and _is_integer(k) and abs(n) <= MAX_FACTORIAL:
                n, k = int(n), int(k)
                if k < 0 or (n >= 0 and k > n):
                    return 0
                if n >= 0:
                    return math.comb(n, k)
            return check(mp.binomial(to_mpf(n, mp), to_mpf(k, mp)))

        return binomial

    def heaviside(self, args: list[Fn]) -> Fn:
        """H(x): 0 below zero, 1 above, the second argument (sympy's H0, here 1/2) at zero."""
        arg, at_zero = args[0], (args[1] if len(args) > 1 else _const(Fraction(1, 2)))

        def heaviside(env: Env) -> Real:
            x = _real_part(arg(env))
            if x == 0:
                return at_zero(env)
            return 1 if x > 0 else 0

        return heaviside

    def extremum(self, pick: Callable[..., Any], fns: list[Fn]) -> Fn:
        mp = self.mp

        def extremum(env: Env) -> Real:
            values = [_real_part(f(env)) for f in fns]
            if all(isinstance(v, EXACT) for v in values):
                return pick(values)  # exactly: two values may agree to 50 digits
            return pick(values, key=lambda v: to_mpf(v, mp))

        return extremum


# The sympy class of every head a parsed formula can contain.
_HEAD_NAMES: dict[type, str] = {getattr(sympy, head): head for head in HEADS}
