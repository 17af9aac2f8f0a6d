"""Check an expression response for algebraic equivalence with the key, in three layers.

1. **canonical** — structural equality, then ``expand(response - key)``: zero means equal; a
   nonzero polynomial with rational coefficients means different. Most answers stop here.
2. **sampling** — both sides are evaluated at 12 seeded random points of the variables'
   domains (exact rationals where the arithmetic stays rational, else 50-digit mpmath). Points
   where the key is undefined or not real are skipped; a pole of the response is skipped too,
   but a response that is not real where the key is (``2*log(x)`` for ``log(x^2)`` at a
   negative x) is a mismatch. Any mismatch means different.
3. **symbolic** — when every point agreed, the difference must be brought to zero within
   :data:`CONFIRM_BUDGET` seconds: for a rational function, by its numerator over a common
   denominator; by rewriting trig and hyperbolic functions as exponentials and doing the
   same; or by ``simplify``. If what remains is a number sympy can tell apart from zero at
   one of the points (``evalf(strict=True)``), the answer is wrong. If it
   times out or cannot decide, the answer is accepted with method ``sampling``: 12 agreeing
   points at 50 digits, drawn from intervals with random denominators, are not met by chance.
   Except when the difference involves abs, min, max, floor, ceil or sign: such functions
   can agree on every sampled point and differ beyond them, so undecided means incorrect.

The verdict's ``method`` names the layer that decided. Known mistakes are matched with
layers 1–2 only (a mistake match changes the feedback, never the score).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import sympy

from quizgen.errors import MathSyntaxError
from quizgen.grade.limits import CheckTimeout, deadline, remaining, signals_usable
from quizgen.grade.verdict import Verdict
from quizgen.math.domains import domain_symbol
from quizgen.math.parse import parse_math
from quizgen.rng import Stream, stream_for
from quizgen.variant import ExpressionKey

__all__ = [
    "CONFIRM_BUDGET",
    "N_POINTS",
    "Comparison",
    "PreparedKey",
    "check_expression",
    "compare",
    "prepare_key",
    "sample_points",
]

N_POINTS = 12  # points at which both sides must agree
MAX_CANDIDATES = 60  # points tried to find N_POINTS where the key is defined and real
MIN_POINTS = 6  # fewer comparable points than this cannot decide
CONFIRM_BUDGET = 0.5  # seconds for the symbolic confirmation
EXPAND_LIMIT = 400  # estimated terms beyond which expand() is not attempted
EXACT_BITS = 200_000  # exact powers larger than this are computed in floating point
MAX_MAG = 100_000  # |log2| of a value beyond which it counts as an overflow (undefined)
DIGITS = 50
REL_TOL = mpmath.mpf("1e-30")
ABS_TOL = mpmath.mpf("1e-40")

CORRECT = "Correct."
INCORRECT = "Not equivalent to the expected answer."

_MP = mpmath.MPContext()
_MP.dps = DIGITS
_NONFINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)
# Functions that can agree on every sampled point and still differ elsewhere.
_PIECEWISE = (sympy.Abs, sympy.Min, sympy.Max, sympy.floor, sympy.ceiling, sympy.sign)

Value = Any  # a Fraction, or an mpmath mpf / mpc
Point = Mapping[sympy.Symbol, Fraction]
Fn = Callable[[Point], Value]


class _Undefined(Exception):
    """The expression has no value at this point (division by zero, log 0, ...)."""


# --- evaluation at a point ---------------------------------------------------------------------


def _mp(value: Value) -> Any:
    if isinstance(value, Fraction):
        return _MP.mpf(value.numerator) / value.denominator
    return value


def _finite(value: Any) -> Any:
    """``value``, unless it is infinite, NaN or beyond 2^MAX_MAG (treated as an overflow)."""
    if isinstance(value, Fraction):
        return value
    if not _MP.isfinite(value) or (value != 0 and abs(_MP.mag(value)) > MAX_MAG):
        raise _Undefined
    return value


def _add(fns: list[Fn]) -> Fn:
    def add(point: Point) -> Value:
        values = [f(point) for f in fns]
        if all(isinstance(v, Fraction) for v in values):
            return sum(values, Fraction(0))
        return _finite(_MP.fsum(_mp(v) for v in values))

    return add


def _mul(fns: list[Fn]) -> Fn:
    def mul(point: Point) -> Value:
        values = [f(point) for f in fns]
        if all(isinstance(v, Fraction) for v in values):
            out = Fraction(1)
            for v in values:
                out *= v
            return out
        out = _MP.mpf(1)
        for v in values:
            out *= _mp(v)
        return _finite(out)

    return mul


def _exact_power(base: Fraction, exponent: int) -> Fraction | None:
    """``base ** exponent`` exactly when the result is of a sane size, else None."""
    if base == 0:
        if exponent < 0:
            raise _Undefined
        return Fraction(0 if exponent else 1)
    bits = max(base.numerator.bit_length(), base.denominator.bit_length())
    if bits * abs(exponent) > EXACT_BITS:
        return None
    return base**exponent


def _refuse_overflow(base: Any, exponent: Any) -> None:
    """Raise ``_Undefined`` before computing a power far beyond 2^MAX_MAG (towers)."""
    size = abs(exponent)
    if size > MAX_MAG and base != 0:
        magnitude = abs(_MP.log(abs(base), 2))
        if size * magnitude > 4 * MAX_MAG:
            raise _Undefined


def _exp(fns: list[Fn]) -> Fn:
    def exp(point: Point) -> Value:
        x = _mp(fns[0](point))
        if _MP.re(x) > MAX_MAG:
            raise _Undefined
        return _finite(_MP.exp(x))

    return exp


def _pow(base_fn: Fn, exp_fn: Fn) -> Fn:
    def power(point: Point) -> Value:
        base, exponent = base_fn(point), exp_fn(point)
        if isinstance(base, Fraction) and isinstance(exponent, Fraction):
            if exponent.denominator == 1:
                exact = _exact_power(base, int(exponent))
                if exact is not None:
                    return exact
            elif base == 0:
                if exponent < 0:
                    raise _Undefined
                return Fraction(0)
        b, e = _mp(base), _mp(exponent)
        if b == 0 and _MP.re(e) <= 0:
            raise _Undefined
        _refuse_overflow(b, e)
        return _finite(_MP.power(b, e))

    return power


def _mp_function(name: str, fns: list[Fn]) -> Fn:
    func = getattr(_MP, name)

    def call(point: Point) -> Value:
        return _finite(func(*[_mp(f(point)) for f in fns]))

    return call


def _log(fns: list[Fn]) -> Fn:
    def log(point: Point) -> Value:
        x = _mp(fns[0](point))
        if x == 0:
            raise _Undefined
        value = _MP.log(x)
        if len(fns) > 1:  # log(x, base)
            base = _mp(fns[1](point))
            if base in (0, 1):
                raise _Undefined
            value = value / _MP.log(base)
        return _finite(value)

    return log


def _abs(fns: list[Fn]) -> Fn:
    def absolute(point: Point) -> Value:
        v = fns[0](point)
        return abs(v) if isinstance(v, Fraction) else _finite(_MP.fabs(v))

    return absolute


def _rounding(exact: Callable[[Fraction], int], name: str, fns: list[Fn]) -> Fn:
    def rounded(point: Point) -> Value:
        v = fns[0](point)
        if isinstance(v, Fraction):
            return Fraction(exact(v))
        return _finite(getattr(_MP, name)(_real(v)))

    return rounded


def _extremum(pick: Callable[..., Any], fns: list[Fn]) -> Fn:
    def extremum(point: Point) -> Value:
        values = [f(point) for f in fns]
        if all(isinstance(v, Fraction) for v in values):
            return pick(values)
        return pick(_real(_mp(v)) for v in values)

    return extremum


def _factorial(fns: list[Fn]) -> Fn:
    def factorial(point: Point) -> Value:
        v = fns[0](point)
        if isinstance(v, Fraction) and v.denominator == 1:
            if v < 0:
                raise _Undefined
            if v <= 2000:
                return Fraction(math.factorial(int(v)))
        x = _mp(v)
        if _MP.isint(x) and x < 0:
            raise _Undefined
        return _finite(_MP.gamma(x + 1))

    return factorial


def _real(value: Any) -> Any:
    if isinstance(value, _MP.mpc):
        if abs(value.imag) > ABS_TOL:
            raise _Undefined
        return value.real
    return value


_MPMATH_NAMES: dict[type, str] = {
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tan: "tan",
    sympy.cot: "cot",
    sympy.sec: "sec",
    sympy.csc: "csc",
    sympy.asin: "asin",
    sympy.acos: "acos",
    sympy.atan: "atan",
    sympy.acot: "acot",
    sympy.sinh: "sinh",
    sympy.cosh: "cosh",
    sympy.tanh: "tanh",
    sympy.coth: "coth",
    sympy.asinh: "asinh",
    sympy.acosh: "acosh",
    sympy.atanh: "atanh",
    sympy.gamma: "gamma",
    sympy.erf: "erf",
    sympy.sign: "sign",
    sympy.atan2: "atan2",
}
_CONSTANTS: dict[Any, Callable[[], Any]] = {
    sympy.pi: lambda: _MP.pi,
    sympy.E: lambda: _MP.e,
    sympy.EulerGamma: lambda: _MP.euler,
    sympy.GoldenRatio: lambda: _MP.phi,
}


def _sympy_fallback(expr: sympy.Expr) -> Fn:
    """Any other node: substitute exact values and let sympy evaluate numerically."""

    def by_sympy(point: Point) -> Value:
        values = {s: sympy.Rational(v.numerator, v.denominator) for s, v in point.items()}
        number = expr.xreplace(values).evalf(DIGITS)
        if number.has(*_NONFINITE) or not number.is_number:
            raise _Undefined
        re_part, im_part = number.as_real_imag()
        if not (re_part.is_Number and im_part.is_Number):
            raise _Undefined
        return _finite(_MP.mpc(str(re_part), str(im_part)) if im_part else _MP.mpf(str(re_part)))

    return by_sympy


def compile_expr(expr: sympy.Expr) -> Fn:
    """Compile ``expr`` into a function of a point (symbol → Fraction).

    The function returns a Fraction while the arithmetic stays rational, else an mpmath
    number at 50 digits; it raises ``_Undefined`` where the expression has no value.
    """
    if expr.is_Rational:
        value = Fraction(int(expr.p), int(expr.q))
        return lambda point: value
    if expr.is_Symbol:
        return lambda point: point[expr]
    if expr in _CONSTANTS:
        make = _CONSTANTS[expr]
        return lambda point: make()
    if expr.is_Float:
        value = _MP.mpf(str(expr))
        return lambda point: value
    return _compile_node(expr)


def _compile_node(expr: sympy.Expr) -> Fn:
    args = [compile_expr(a) for a in expr.args]
    if expr.is_Add:
        return _add(args)
    if expr.is_Mul:
        return _mul(args)
    if expr.is_Pow:
        return _pow(args[0], args[1])
    kind = type(expr)
    if kind is sympy.log:
        return _log(args)
    if kind is sympy.exp:
        return _exp(args)
    if kind is sympy.Abs:
        return _abs(args)
    if kind is sympy.floor:
        return _rounding(math.floor, "floor", args)
    if kind is sympy.ceiling:
        return _rounding(math.ceil, "ceil", args)
    if kind is sympy.Min:
        return _extremum(min, args)
    if kind is sympy.Max:
        return _extremum(max, args)
    if kind is sympy.factorial:
        return _factorial(args)
    if kind in _MPMATH_NAMES:
        return _mp_function(_MPMATH_NAMES[kind], args)
    return _sympy_fallback(expr)


@dataclass(frozen=True)
class _Outcome:
    """The value of an expression at one point: a number, a pole, or a non-real value."""

    value: Value | None = None
    undefined: bool = False
    complex: bool = False


def value_at(fn: Fn, point: Point) -> _Outcome:
    """Evaluate a compiled expression at ``point``, classifying poles and non-real values."""
    try:
        value = fn(point)
    except (_Undefined, ArithmeticError, ValueError, TypeError):
        return _Outcome(undefined=True)
    if isinstance(value, Fraction):
        return _Outcome(value)
    if isinstance(value, _MP.mpc):
        if abs(value.imag) > REL_TOL * abs(value) + ABS_TOL:
            return _Outcome(complex=True)
        value = value.real
    return _Outcome(value)


def agree(a: Value, b: Value) -> bool:
    """Equal when both are exact; else within 1e-30 relatively or 1e-40 absolutely."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    x, y = _mp(a), _mp(b)
    diff = abs(x - y)
    return diff <= ABS_TOL or diff <= REL_TOL * max(abs(x), abs(y))


# --- sample points -----------------------------------------------------------------------------


def _magnitude(stream: Stream, integer: bool) -> Fraction:
    """A positive sample size spread over scales; reals get a random denominator."""
    tier = stream.below(8)
    if integer:
        high = 6 if tier < 4 else 30 if tier < 7 else 200
        return Fraction(1 + stream.below(high))
    denominator = 1009 + stream.below(8990)
    high = 1 if tier < 3 else 10 if tier < 7 else 100
    return Fraction(1 + stream.below(high * denominator - 1), denominator)


def _sample(domain: str, stream: Stream, negative: bool) -> Fraction:
    integer = domain.endswith("integer")
    size = _magnitude(stream, integer)
    if domain.startswith(("positive", "nonnegative")):
        if domain == "nonnegative integer":
            return size - 1
        return size
    if integer:
        size -= 1  # integers include zero
    return -size if negative else size


def sample_points(
    domains: Mapping[sympy.Symbol, str], stream: Stream, count: int
) -> list[dict[sympy.Symbol, Fraction]]:
    """``count`` points of the variables' domains.

    Signs follow the bits of the point's index for the first five variables (so every sign
    pattern of those is visited) and are random for the others.
    """
    symbols = sorted(domains, key=lambda s: s.name)
    points = []
    for i in range(count):
        point = {}
        for j, symbol in enumerate(symbols):
            negative = bool((i >> j) & 1) if j < 5 else bool(stream.below(2))
            point[symbol] = _sample(domains[symbol], stream, negative)
        points.append(point)
    return points


# --- prepared keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An expression to compare against (the key or a mistake) and its values at the points."""

    text: str
    expr: sympy.Expr
    values: tuple[_Outcome, ...]


@dataclass(frozen=True)
class PreparedKey:
    """A parsed key: symbols, sample points, the key's and each mistake's values there."""

    symbols: dict[str, sympy.Symbol]
    points: tuple[dict[sympy.Symbol, Fraction], ...]
    key: Target
    mistakes: tuple[tuple[Target, str, int], ...]  # (target, feedback, index in the key)


def _target(text: str, symbols: Mapping[str, sympy.Symbol], points: Sequence[Point]) -> Target:
    expr = parse_math(text, symbols, split_names=False)
    fn = compile_expr(expr)
    return Target(text, expr, tuple(value_at(fn, p) for p in points))


@lru_cache(maxsize=256)
def _prepare(
    value: str, variables: tuple[tuple[str, str], ...], mistakes: tuple[tuple[str, str], ...]
) -> PreparedKey:
    symbols = {name: domain_symbol(name, domain) for name, domain in variables}
    domains = {symbols[name]: domain for name, domain in variables}
    key_expr = parse_math(value, symbols, split_names=False)
    key_fn = compile_expr(key_expr)
    stream = stream_for("quizgen.grade.expression", value, variables)
    points, outcomes = [], []
    for point in sample_points(domains, stream, MAX_CANDIDATES):
        outcome = value_at(key_fn, point)
        if outcome.value is not None:
            points.append(point)
            outcomes.append(outcome)
            if len(points) == N_POINTS:
                break
    key = Target(value, key_expr, tuple(outcomes))
    prepared_mistakes = []
    for i, (text, feedback) in enumerate(mistakes):
        try:
            prepared_mistakes.append((_target(text, symbols, points), feedback, i))
        except MathSyntaxError:
            continue  # a broken mistake loses its feedback, not every student their grade
    return PreparedKey(symbols, tuple(points), key, tuple(prepared_mistakes))


def prepare_key(key: ExpressionKey) -> PreparedKey:
    """Parse the key (and its mistakes) and evaluate them at the sample points, once.

    Cached: thousands of students share one key.

    Raises:
        MathSyntaxError: the key's text does not parse (a broken key file).
    """
    variables = tuple(sorted(key.variables.items()))
    mistakes = tuple((m.value, m.feedback) for m in key.mistakes)
    return _prepare(key.value, variables, mistakes)


# --- the layers ----------------------------------------------------------------------------------


def _expand_size(expr: sympy.Expr) -> int:
    """A cheap overestimate of the number of terms ``expand(expr)`` produces."""
    if expr.is_Atom:
        return 1
    if expr.is_Add:
        return sum(_expand_size(a) for a in expr.args)
    if expr.is_Mul:
        size = 1
        for a in expr.args:
            size = min(size * _expand_size(a), 10**9)
        return size
    if expr.is_Pow and expr.exp.is_Integer:
        k, n = _expand_size(expr.base), abs(int(expr.exp))
        if k == 1:
            return 1
        if n > 10_000 or k > 1000:
            return 10**9
        return min(math.comb(n + k - 1, k - 1), 10**9)
    return max((_expand_size(a) for a in expr.args), default=1)


def _is_rational_polynomial(expr: sympy.Expr, symbols: set[sympy.Symbol]) -> bool:
    """True when ``expr`` is a polynomial in ``symbols`` with rational coefficients."""
    if expr.is_Rational or expr in symbols:
        return True
    if expr.is_Add or expr.is_Mul:
        return all(_is_rational_polynomial(a, symbols) for a in expr.args)
    if expr.is_Pow:
        return expr.base in symbols and expr.exp.is_Integer and expr.exp > 0
    return False


def _canonical(key: sympy.Expr, response: sympy.Expr, symbols: set[sympy.Symbol]) -> bool | None:
    """Layer 1: True/False when a cheap normal form decides, None otherwise."""
    if response == key:
        return True
    if _expand_size(key) + _expand_size(response) > EXPAND_LIMIT:
        return None
    difference = sympy.expand(response - key)
    if difference == 0:
        return True
    if _is_rational_polynomial(difference, symbols):
        return False
    return None


def _sampled(target: Target, fn: Fn, points: Sequence[Point]) -> bool | None:
    """Layer 2: False on a mismatch, True when enough points agree, None when too few do."""
    compared = 0
    for point, expected in zip(points, target.values, strict=True):
        got = value_at(fn, point)
        if got.complex:
            return False
        if got.undefined:
            continue  # a pole of the response (a removable singularity, say)
        if not agree(expected.value, got.value):
            return False
        compared += 1
    return True if compared >= min(MIN_POINTS, len(points)) and compared else None


def _numerator(expr: sympy.Expr) -> sympy.Expr:
    """The expanded numerator of ``expr`` over one common denominator: zero iff ``expr`` is."""
    return sympy.expand(sympy.numer(sympy.together(expr)))


def _as_rational_function(difference: sympy.Expr) -> sympy.Expr:
    """For a rational function, its numerator over a common denominator; else unchanged."""
    return _numerator(difference) if difference.is_rational_function() else difference


def _in_exponentials(difference: sympy.Expr) -> sympy.Expr:
    """Trig, hyperbolic and exp rewritten as exponentials, then over a common denominator."""
    if not difference.has(sympy.exp, *_TRANSCENDENTAL):
        return difference
    # Only these functions: a bare rewrite(exp) would also turn x**2 into exp(2*log(x)).
    return _numerator(sympy.expand(difference.rewrite(_TRANSCENDENTAL, sympy.exp)))


_TRANSCENDENTAL = (
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
)
_ATTEMPTS: tuple[Callable[[sympy.Expr], sympy.Expr], ...] = (
    _as_rational_function,  # exact and fast for rational functions
    _in_exponentials,  # sigmoid, tanh, trig identities: a few milliseconds
    sympy.simplify,  # everything else: slow, bounded by the budget
)


def _provably_nonzero(residual: sympy.Expr, point: Point) -> bool:
    """True when ``residual`` at ``point`` is a number sympy can tell apart from zero.

    ``evalf(strict=True)`` raises rather than guess when cancellation leaves no certain digit,
    so a tiny but real difference (``10^-45*exp(x)``) is caught and rounding noise is not.
    """
    values = {s: sympy.Rational(v.numerator, v.denominator) for s, v in point.items()}
    try:
        number = residual.xreplace(values).evalf(30, strict=True)
    except (sympy.core.evalf.PrecisionExhausted, ArithmeticError, ValueError, TypeError):
        return False
    return bool(number.is_number and number.is_comparable and number != 0)


def _confirmed(difference: sympy.Expr, points: Sequence[Point]) -> bool | None:
    """Layer 3: True when proven zero, False when proven nonzero somewhere, else None."""
    reduced = difference
    for attempt in _ATTEMPTS:
        reduced = attempt(difference)
        if reduced == 0:
            return True
    checks = points if reduced.free_symbols else [{}]
    if any(_provably_nonzero(reduced, point) for point in checks):
        return False
    return None


def _confirm_within_budget(difference: sympy.Expr, points: Sequence[Point]) -> bool | None:
    if not signals_usable():
        return None  # no way to bound sympy here; sampling decides
    left = remaining()
    budget = CONFIRM_BUDGET if left is None else min(CONFIRM_BUDGET, 0.8 * left)
    try:
        with deadline(budget):
            return _confirmed(difference, points)
    except CheckTimeout:
        return None


@dataclass(frozen=True)
class Comparison:
    """Whether two expressions are equivalent, and which layer decided."""

    equal: bool
    method: str


def compare(
    target: Target,
    response: sympy.Expr,
    points: Sequence[Point],
    symbols: set[sympy.Symbol],
    *,
    confirm: bool = True,
) -> Comparison:
    """Decide whether ``response`` is equivalent to ``target`` (module docstring layers)."""
    decided = _canonical(target.expr, response, symbols)
    if decided is not None:
        return Comparison(decided, "canonical")
    sampled = _sampled(target, compile_expr(response), points)
    if sampled is False:
        return Comparison(False, "sampling")
    if not confirm:
        return Comparison(bool(sampled), "sampling")
    difference = response - target.expr
    proof = _confirm_within_budget(difference, points)
    if proof is not None:
        return Comparison(proof, "symbolic")
    if difference.has(*_PIECEWISE):
        # min(x, 100) agrees with x wherever the points fall: sampling is no evidence here.
        return Comparison(False, "sampling")
    return Comparison(bool(sampled), "sampling")


# --- the check ----------------------------------------------------------------------------------


def parse_response(text: str, symbols: Mapping[str, sympy.Symbol]) -> sympy.Expr:
    """Parse a student's expression in the declared variables.

    Raises:
        MathSyntaxError: a syntax error, an unknown name, or a value that is not finite.
    """
    expr = parse_math(text, symbols, split_names=True)
    if not isinstance(expr, sympy.Expr):
        raise MathSyntaxError("not an expression", text, 0, max(1, len(text)))
    if expr.has(*_NONFINITE):
        raise MathSyntaxError(
            "not a finite expression (division by zero or infinity)", text, 0, max(1, len(text))
        )
    return expr


def check_expression(key: ExpressionKey, response: str) -> Verdict:
    """Grade an expression response against the key (module docstring for the layers).

    Raises:
        MathSyntaxError: the response does not parse or uses an undeclared name.
    """
    prepared = prepare_key(key)
    expr = parse_response(response, prepared.symbols)
    symbols = set(prepared.symbols.values())
    result = compare(prepared.key, expr, prepared.points, symbols)
    if result.equal:
        return Verdict(status="correct", score=1, feedback=CORRECT, method=result.method)
    for mistake, feedback, i in prepared.mistakes:
        if compare(mistake, expr, prepared.points, symbols, confirm=False).equal:
            return Verdict(
                status="incorrect", score=0, feedback=feedback, method=result.method, mistake=i
            )
    return Verdict(status="incorrect", score=0, feedback=INCORRECT, method=result.method)
