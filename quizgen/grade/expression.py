"""Check an expression response for algebraic equivalence with the key, in three layers.

1. **canonical** — structural equality, then ``expand(response - key)``: zero means equal; a
   nonzero polynomial with rational coefficients means different. Most answers stop here.
2. **sampling** — both sides are evaluated at 12 seeded random points of the variables'
   domains by the one evaluator (:mod:`quizgen.math.evaluate`: exact rationals where the
   arithmetic stays rational, else 50-digit mpmath) under the :data:`AT_POINTS` policy. Points
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
from quizgen.math.evaluate import EXACT, Outcome, Policy, compile_expr, outcome, to_mpf
from quizgen.math.parse import parse_math
from quizgen.rng import Stream, stream_for
from quizgen.variant import ExpressionKey

__all__ = [
    "AT_POINTS",
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
REL_TOL = mpmath.mpf("1e-30")
ABS_TOL = mpmath.mpf("1e-40")

CORRECT = "Correct."
INCORRECT = "Not equivalent to the expected answer."

_NONFINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)
# Functions that can agree on every sampled point and still differ elsewhere.
_PIECEWISE = (sympy.Abs, sympy.Min, sympy.Max, sympy.floor, sympy.ceiling, sympy.sign)
# The evaluator's policy at sample points: a non-real step may lead to a real value
# (sqrt(x)*sqrt(x^3) at x < 0); overflows and huge exact powers are refused, not computed.
AT_POINTS = Policy(complex_steps=True, max_mag=MAX_MAG, exact_bits=EXACT_BITS)

Value = Any  # an int or Fraction, or an mpmath mpf
Point = Mapping[str, Fraction]  # variable name -> value
Fn = Callable[[Point], Value]


def agree(a: Value, b: Value) -> bool:
    """Equal when both are exact; else within 1e-30 relatively or 1e-40 absolutely."""
    if isinstance(a, EXACT) and isinstance(b, EXACT):
        return a == b
    x, y = to_mpf(a), to_mpf(b)
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
    domains: Mapping[str, str], stream: Stream, count: int
) -> list[dict[str, Fraction]]:
    """``count`` points (variable name -> value) of the variables' domains.

    Signs follow the bits of the point's index for the first five variables, in name order (so
    every sign pattern of those is visited), and are random for the others.
    """
    names = sorted(domains)
    points = []
    for i in range(count):
        point = {}
        for j, name in enumerate(names):
            negative = bool((i >> j) & 1) if j < 5 else bool(stream.below(2))
            point[name] = _sample(domains[name], stream, negative)
        points.append(point)
    return points


# --- prepared keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An expression to compare against (the key or a mistake) and its values at the points."""

    text: str
    expr: sympy.Expr
    values: tuple[Outcome, ...]


@dataclass(frozen=True)
class PreparedKey:
    """A parsed key: symbols, sample points, the key's and each mistake's values there."""

    symbols: dict[str, sympy.Symbol]
    points: tuple[dict[str, Fraction], ...]
    key: Target
    mistakes: tuple[tuple[Target, str, int], ...]  # (target, feedback, index in the key)


def _target(text: str, symbols: Mapping[str, sympy.Symbol], points: Sequence[Point]) -> Target:
    expr = parse_math(text, symbols, split_names=False)
    fn = compile_expr(expr, AT_POINTS)
    return Target(text, expr, tuple(outcome(fn, p) for p in points))


@lru_cache(maxsize=256)
def _prepare(
    value: str, variables: tuple[tuple[str, str], ...], mistakes: tuple[tuple[str, str], ...]
) -> PreparedKey:
    symbols = {name: domain_symbol(name, domain) for name, domain in variables}
    key_expr = parse_math(value, symbols, split_names=False)
    key_fn = compile_expr(key_expr, AT_POINTS)
    stream = stream_for("quizgen.grade.expression", value, variables)
    points, outcomes = [], []
    for point in sample_points(dict(variables), stream, MAX_CANDIDATES):
        found = outcome(key_fn, point)
        if found.value is not None:
            points.append(point)
            outcomes.append(found)
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
        got = outcome(fn, point)
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
    values = {
        s: sympy.Rational(point[s.name].numerator, point[s.name].denominator)
        for s in residual.free_symbols
        if s.name in point
    }
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
    sampled = _sampled(target, compile_expr(response, AT_POINTS), points)
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
