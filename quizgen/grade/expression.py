"""Check an expression response for algebraic equivalence with the key, in three layers.

1. **canonical** — structural equality, then ``expand(response - key)``: zero means equal; a
   nonzero polynomial with rational coefficients means different. Most answers stop here.
2. **sampling** — both sides are evaluated by the one evaluator (:mod:`quizgen.math.evaluate`)
   at 12 points of a balanced design over the variables' domains (:mod:`.points`). Exact
   values must be equal; inexact ones are computed at two precisions and :func:`judge`d: a
   difference that stays put is real, noise shrinks, and an undecided point (cancellation) is
   retried with twice the digits up to :data:`MAX_DIGITS`. Points where the key is undefined
   or not real are skipped; a pole of the response is skipped too, but a response that is not
   real where the key is (``2*log(x)`` for ``log(x^2)`` at a negative x) is a mismatch. Any
   point judged different means different.
3. **symbolic** — otherwise the difference must be proven zero within :data:`CONFIRM_BUDGET`
   seconds: piecewise functions region by region (:mod:`.piecewise`, which may also find a
   witness that it is not), then a rational function's numerator, trig and hyperbolic
   functions as exponentials, factored radicands, ``simplify``; a remainder that sympy tells
   apart from zero at a point means different.

Without a proof, a response every point agreed with (at two precisions) is accepted with
method ``sampling`` unless the difference holds a piecewise function (abs, min, max, floor,
ceil, sign, heaviside, factorial, binomial), which can agree at every point and differ
elsewhere. Everything else is **undecided**: status ``invalid``, "could not decide; your
instructor will check", method ``undecided`` — never ``correct``.

The verdict's ``method`` names the layer that decided. Known mistakes are matched with
layers 1–2 only (a mistake match changes the feedback, never the score).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath
import sympy

from quizgen.errors import MathSyntaxError
from quizgen.grade import piecewise
from quizgen.grade.limits import CheckTimeout, deadline, remaining, signals_usable
from quizgen.grade.points import sample_points as _design
from quizgen.grade.verdict import Verdict
from quizgen.math.domains import domain_symbol
from quizgen.math.evaluate import (
    EXACT,
    Outcome,
    Policy,
    compile_expr,
    context,
    outcome,
    to_mpf,
)
from quizgen.math.limits import BANK_LIMITS
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
CONFIRM_BUDGET = 1.0  # seconds for the symbolic confirmation (of the 2 s limit per check)
EXPAND_LIMIT = 400  # estimated terms beyond which expand() is not attempted
EXACT_BITS = 200_000  # exact powers larger than this are computed in floating point
MAX_MAG = 100_000  # |log2| of a value beyond which it counts as an overflow (undefined)
#: The two working precisions (significant digits) every inexact value is computed at; an
#: answer without variables starts higher. Undecided points retry, doubling, up to MAX_DIGITS.
DIGITS = (50, 100)
CONSTANT_DIGITS = (100, 200)
MAX_DIGITS = 1600
#: An answer accepted without a proof is first checked again at these precisions.
RECHECK_DIGITS = (200, 400)
RECHECK_POINTS = 4
STABLE = mpmath.mpf("1e-6")  # a difference that moves less than this with the precision is real

CORRECT = "Correct."
INCORRECT = "Not equivalent to the expected answer."
UNDECIDED = "could not decide; your instructor will check"

_NONFINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)
# Functions that can agree on every sampled point and still differ elsewhere: an answer that
# uses them is accepted on a proof only.
_PIECEWISE = (
    sympy.Abs,
    sympy.Min,
    sympy.Max,
    sympy.floor,
    sympy.ceiling,
    sympy.sign,
    sympy.Heaviside,
    sympy.factorial,
    sympy.binomial,
)
# The evaluator's policy at sample points: a non-real step may lead to a real value
# (sqrt(x)*sqrt(x^3) at x < 0); overflows and huge exact powers are refused, not computed.
AT_POINTS = Policy(complex_steps=True, max_mag=MAX_MAG, exact_bits=EXACT_BITS, cancellation=True)

Value = Any  # an int or Fraction, or an mpmath mpf
Point = Mapping[str, Fraction]  # variable name -> value
Fn = Callable[[Point], Value]


def judge(low: tuple[Value, Value], high: tuple[Value, Value], digits: tuple[int, int]) -> str:
    """Compare key and response values computed at two precisions: 'equal', 'different', or
    '' (undecided: retry with more digits).

    * different: the difference is nonzero and the same (to 6 digits) at both precisions, so
      it is not rounding noise (``p + ln(1 + 10^-40)`` against ``p``);
    * equal: it is zero at both, or it is small (below 10^-(0.6·d) relative at d digits) and
      shrank with the precision as rounding noise does. A difference that does not shrink
      enough (cancellation: ``cosh(x)^2 - sinh(x)^2`` at x = 200, where the terms have 170
      digits) is retried at a higher precision, never called unequal.
    """
    if all(isinstance(v, EXACT) for v in (*low, *high)):
        return "equal" if high[0] == high[1] else "different"
    mp = context(digits[1])
    d_low = to_mpf(low[1], mp) - to_mpf(low[0], mp)
    d_high = to_mpf(high[1], mp) - to_mpf(high[0], mp)
    if d_high != 0 and abs(d_low - d_high) <= STABLE * abs(d_high):
        return "different"
    if d_high == 0 and d_low == 0:
        return "equal"
    scale = max(abs(to_mpf(high[0], mp)), abs(to_mpf(high[1], mp)), 1)
    small = abs(d_high) <= mp.mpf(10) ** (-int(0.6 * digits[0])) * scale
    shrank = abs(d_high) <= abs(d_low) * mp.mpf(10) ** (-(digits[1] - digits[0]) // 2)
    return "equal" if small and shrank else ""


def sample_points(
    domains: Mapping[str, str], stream: Stream, count: int
) -> list[dict[str, Fraction]]:
    """``count`` points of the variables' domains (see :mod:`quizgen.grade.points`)."""
    return _design(domains, stream, count)


# --- prepared keys -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An expression to compare against (the key or a mistake) and its values at the points.

    ``values`` are at the first working precision; values at higher ones are computed when a
    comparison needs them, once (``cache``).
    """

    text: str
    expr: sympy.Expr
    values: tuple[Outcome, ...]
    digits: tuple[int, int] = DIGITS
    cache: dict[tuple[int, int], Outcome] = field(default_factory=dict, compare=False, repr=False)
    compiled: dict[int, Fn] = field(default_factory=dict, compare=False, repr=False)

    def fn(self, digits: int) -> Fn:
        """The expression compiled at ``digits`` significant digits."""
        found = self.compiled.get(digits)
        if found is None:
            found = self.compiled.setdefault(digits, _compile(self.expr, digits))
        return found

    def at(self, index: int, point: Point, digits: int) -> Outcome:
        """The value at point ``index`` computed with ``digits`` digits."""
        if digits == self.digits[0]:
            return self.values[index]
        found = self.cache.get((index, digits))
        if found is None:
            found = self.cache.setdefault((index, digits), outcome(self.fn(digits), point))
        return found


def _compile(expr: sympy.Expr, digits: int) -> Fn:
    return compile_expr(expr, AT_POINTS, context(digits))


@dataclass(frozen=True)
class PreparedKey:
    """A parsed key: symbols, sample points, the key's and each mistake's values there."""

    symbols: dict[str, sympy.Symbol]
    points: tuple[dict[str, Fraction], ...]
    key: Target
    mistakes: tuple[tuple[Target, str, int], ...]  # (target, feedback, index in the key)
    domains: dict[str, str] = field(default_factory=dict)


def _target(
    text: str, symbols: Mapping[str, sympy.Symbol], points: Sequence[Point], digits: tuple[int, int]
) -> Target:
    expr = parse_math(text, symbols, split_names=False, limits=BANK_LIMITS)
    fn = _compile(expr, digits[0])
    return Target(text, expr, tuple(outcome(fn, p) for p in points), digits)


@lru_cache(maxsize=256)
def _prepare(
    value: str, variables: tuple[tuple[str, str], ...], mistakes: tuple[tuple[str, str], ...]
) -> PreparedKey:
    symbols = {name: domain_symbol(name, domain) for name, domain in variables}
    digits = DIGITS if variables else CONSTANT_DIGITS
    key_expr = parse_math(value, symbols, split_names=False, limits=BANK_LIMITS)
    key_fn = _compile(key_expr, digits[0])
    stream = stream_for("quizgen.grade.expression", value, variables)
    points, outcomes = [], []
    for point in sample_points(dict(variables), stream, MAX_CANDIDATES):
        found = outcome(key_fn, point)
        if found.value is not None or found.imprecise:
            points.append(point)
            outcomes.append(found)
            if len(points) == N_POINTS:
                break
    key = Target(value, key_expr, tuple(outcomes), digits)
    for index, point in enumerate(points):  # the second precision too, once for the class
        key.at(index, point, digits[1])
    prepared_mistakes = []
    for i, (text, feedback) in enumerate(mistakes):
        try:
            prepared_mistakes.append((_target(text, symbols, points, digits), feedback, i))
        except MathSyntaxError:
            continue  # a broken mistake loses its feedback, not every student their grade
    return PreparedKey(symbols, tuple(points), key, tuple(prepared_mistakes), dict(variables))


def prepare_key(key: ExpressionKey) -> PreparedKey:
    """Parse the key (and its mistakes) and evaluate them at the sample points, once.

    Cached: thousands of students share one key. Keys are parsed under the bank's limits
    (:data:`quizgen.math.limits.BANK_LIMITS`), which allow larger exponents than a student's.

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


EQUAL, DIFFERENT, UNDECIDED_POINTS, TOO_FEW = "equal", "different", "undecided", "few"


class _Response:
    """A response compiled lazily at each precision a comparison asks for."""

    def __init__(self, expr: sympy.Expr) -> None:
        self.expr = expr
        self.compiled: dict[int, Fn] = {}

    def at(self, point: Point, digits: int) -> Outcome:
        fn = self.compiled.get(digits)
        if fn is None:
            fn = self.compiled[digits] = _compile(self.expr, digits)
        return outcome(fn, point)


def _compare_point(
    target: Target,
    response: _Response,
    index: int,
    point: Point,
    low: tuple[Outcome, Outcome],
    digits: tuple[int, int] | None = None,
) -> str:
    """'equal', 'different' or '' at one point, retrying with more digits while undecided.

    ``low`` holds the values at ``digits[0]`` (by default the target's first precision).
    """
    values = (low[0].value, low[1].value)
    if isinstance(values[0], EXACT) and isinstance(values[1], EXACT):
        return EQUAL if values[0] == values[1] else DIFFERENT
    digits = digits or target.digits
    while True:
        high = (target.at(index, point, digits[1]), response.at(point, digits[1]))
        if any(o.undefined or o.complex for o in high):
            return ""  # real at one precision, not at the other: no decision from here
        if not any(o.imprecise for o in (*low, *high)):
            verdict = judge((low[0].value, low[1].value), (high[0].value, high[1].value), digits)
            if verdict:
                return verdict
        if digits[1] >= MAX_DIGITS:
            return ""
        digits, low = (digits[1], 2 * digits[1]), high


def _sampled(target: Target, expr: sympy.Expr, points: Sequence[Point]) -> str:
    """Layer 2: DIFFERENT on a mismatch; EQUAL when enough points agree (each decided at two
    precisions); UNDECIDED_POINTS when a point stays undecided at MAX_DIGITS; TOO_FEW."""
    response = _Response(expr)
    compared = undecided = 0
    for index, (point, expected) in enumerate(zip(points, target.values, strict=True)):
        got = response.at(point, target.digits[0])
        if got.complex:
            return DIFFERENT
        if got.undefined:
            continue  # a pole of the response (a removable singularity, say)
        verdict = _compare_point(target, response, index, point, (expected, got))
        if verdict == DIFFERENT:
            return DIFFERENT
        if verdict == EQUAL:
            compared += 1
        else:
            undecided += 1
    if undecided:
        return UNDECIDED_POINTS
    return EQUAL if compared and compared >= min(MIN_POINTS, len(points)) else TOO_FEW


def _numerator(expr: sympy.Expr) -> sympy.Expr:
    """The expanded numerator of ``expr`` over one common denominator: zero iff ``expr`` is."""
    return sympy.expand(sympy.numer(sympy.together(expr)))


def _as_rational_function(difference: sympy.Expr) -> sympy.Expr:
    """For a rational function, its numerator over a common denominator; else unchanged."""
    return _numerator(difference) if difference.is_rational_function() else difference


def _in_exponentials(difference: sympy.Expr) -> sympy.Expr:
    """Trig, hyperbolic and exp rewritten as exponentials, then over a common denominator."""
    if difference.has(*_INVERSE_HYPERBOLIC):  # asinh(x) = log(x + sqrt(x^2 + 1)), ...
        difference = difference.rewrite(_INVERSE_HYPERBOLIC, sympy.log)
    if not difference.has(sympy.exp, *_TRANSCENDENTAL):
        return _as_rational_function(difference)
    # Only these functions: a bare rewrite(exp) would also turn x**2 into exp(2*log(x)).
    return _numerator(sympy.expand(difference.rewrite(_TRANSCENDENTAL, sympy.exp)))


_TRANSCENDENTAL = (
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.sinh,
    sympy.cosh,
    sympy.tanh,
    sympy.sec,
    sympy.csc,
    sympy.cot,
    sympy.sech,
    sympy.csch,
    sympy.coth,
)
_INVERSE_HYPERBOLIC = (sympy.asinh, sympy.acosh, sympy.atanh)


def _factored_radicands(difference: sympy.Expr) -> sympy.Expr:
    """Radicands factored, so sympy's own rules apply: sqrt(x^2 + 2x + 1) is |x + 1|."""
    roots = [
        p
        for p in difference.atoms(sympy.Pow)
        if p.exp.is_Rational and not p.exp.is_Integer and p.base.is_polynomial()
    ]
    if not roots:
        return difference
    factored = difference.xreplace({p: sympy.factor(p.base) ** p.exp for p in roots})
    return _as_rational_function(factored)


def _combinatorial(difference: sympy.Expr) -> sympy.Expr:
    """factorial(n + 1) as (n + 1)*factorial(n), binomials as products, then expanded."""
    if not difference.has(sympy.factorial, sympy.binomial):
        return difference
    return sympy.expand(sympy.expand_func(difference))


_ATTEMPTS: tuple[Callable[[sympy.Expr], sympy.Expr], ...] = (
    _as_rational_function,  # exact and fast for rational functions
    _in_exponentials,  # sigmoid, tanh, trig identities: a few milliseconds
    _factored_radicands,  # square roots of squares
    _combinatorial,  # n! and binomials
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


def _confirmed(
    difference: sympy.Expr,
    points: Sequence[Point],
    attempts: Sequence[Callable[[sympy.Expr], sympy.Expr]] = _ATTEMPTS,
) -> bool | None:
    """Layer 3: True when proven zero, False when proven nonzero somewhere, else None."""
    reduced = difference
    for attempt in attempts:
        reduced = attempt(difference)
        if reduced == 0:
            return True
    checks = points if reduced.free_symbols else [{}]
    if any(_provably_nonzero(reduced, point) for point in checks):
        return False
    return None


def _within_budget(work: Callable[[], bool | None]) -> bool | None:
    """``work()``, or None when the time for the symbolic layer runs out (or cannot be bounded)."""
    if not signals_usable():
        return None  # no way to bound sympy here; sampling decides
    left = remaining()
    budget = CONFIRM_BUDGET if left is None else min(CONFIRM_BUDGET, 0.8 * left)
    try:
        with deadline(budget):
            return work()
    except CheckTimeout:
        return None


def _is_zero(expr: sympy.Expr) -> bool:
    """An exact, quick zero test for an expression free of abs/min/max/sign."""
    return any(attempt(expr) == 0 for attempt in (sympy.expand, *_ATTEMPTS[:-1]))


def _domain_of(symbol: sympy.Symbol) -> str:
    integer = "integer" if symbol.is_integer else ""
    if symbol.is_positive:
        return f"positive {integer}".strip()
    if symbol.is_nonnegative:
        return f"nonnegative {integer}".strip()
    return integer or "real"


def _symbolic(difference: sympy.Expr, points: Sequence[Point], full: bool) -> bool | None:
    """Layer 3: piecewise functions region by region, then the attempts of :func:`_confirmed`
    (``simplify``, the slow one, only when ``full``)."""
    if difference.has(*piecewise.PIECEWISE):
        domains = {s: _domain_of(s) for s in difference.free_symbols}
        decided = piecewise.decide(difference, domains, _is_zero)
        if decided is not None:
            return decided
    if not full:  # sampling agreed everywhere: one point for sympy's adaptive nonzero test
        return _confirmed(difference, points[:1], _ATTEMPTS[:-1])
    return _confirmed(difference, points)


@dataclass(frozen=True)
class Comparison:
    """Whether two expressions are equivalent (None: undecided), and which layer decided."""

    equal: bool | None
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
    sampled = _sampled(target, response, points)
    if sampled == DIFFERENT:
        return Comparison(False, "sampling")
    if not confirm:
        return Comparison(sampled == EQUAL, "sampling")
    difference = response - target.expr
    # simplify (up to the whole budget) only when sampling alone could not accept: when every
    # point agreed at two precisions, the cheap attempts, the nonzero test and the recheck
    # at 200/400 digits decide (issue 10: p99 time per check)
    full = sampled != EQUAL or difference.has(*_PIECEWISE)
    proof = _within_budget(lambda: _symbolic(difference, points, full))
    if proof is not None:
        return Comparison(proof, "symbolic")
    if sampled == EQUAL and not difference.has(*_PIECEWISE):
        final = _recheck(target, response, points)
        if final != EQUAL:
            return Comparison(
                False if final == DIFFERENT else None, "sampling" if final else "undecided"
            )
        return Comparison(True, "sampling")
    # min(x, 100) agrees with x wherever the points fall; a point whose difference stays
    # below every precision tried is no evidence either: a person decides.
    return Comparison(None, "undecided")


def _recheck(target: Target, expr: sympy.Expr, points: Sequence[Point]) -> str:
    """Before accepting without a proof: the first RECHECK_POINTS points again at
    RECHECK_DIGITS, so that only a difference below 10^-(0.6*200) of the values at every
    point, which no proof caught either, could slip through (``x*tanh(u^2 + 200)``)."""
    response = _Response(expr)
    for index, point in enumerate(points[:RECHECK_POINTS]):
        digits = RECHECK_DIGITS[0]
        low = (target.at(index, point, digits), response.at(point, digits))
        if any(o.undefined or o.complex for o in low):
            continue  # a pole here: the other points speak
        verdict = _compare_point(target, response, index, point, low, RECHECK_DIGITS)
        if verdict != EQUAL:
            return verdict
    return EQUAL


# --- the check ----------------------------------------------------------------------------------

# 'P = 4h(x+h+1)', 'c_t = ...': a plain name, '=', the answer.
_EQUATION = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*=(?!=)")
_TRAILING_STOP = re.compile(r"(?<![0-9])\.\s*$")


def _as_typed(text: str) -> tuple[str, str | None]:
    """The text to parse and the left side of an equation it started with (if any).

    The equation's left side and a final full stop become spaces, so error offsets still
    point into what the student typed.
    """
    name = None
    match = _EQUATION.match(text)
    if match:
        name = match.group(1)
        text = " " * match.end() + text[match.end() :]
    stop = _TRAILING_STOP.search(text)
    if stop and text[: stop.start()].strip():
        text = text[: stop.start()] + " " * (len(text) - stop.start())
    return text, name


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


def _parse_typed(text: str, symbols: Mapping[str, sympy.Symbol]) -> tuple[sympy.Expr, str]:
    """Parse what the student typed; the note says when only an equation's right side was."""
    cleaned, name = _as_typed(text)
    try:
        expr = parse_response(cleaned, symbols)
    except MathSyntaxError as error:
        if cleaned == text:
            raise
        raise MathSyntaxError(error.message, text, error.offset, error.width) from None
    note = f" (graded the right side of '{name} = …')" if name else ""
    return expr, note


def check_expression(key: ExpressionKey, response: str) -> Verdict:
    """Grade an expression response against the key (module docstring for the layers).

    Raises:
        MathSyntaxError: the response does not parse or uses an undeclared name.
    """
    prepared = prepare_key(key)
    expr, note = _parse_typed(response, prepared.symbols)
    symbols = set(prepared.symbols.values())
    result = compare(prepared.key, expr, prepared.points, symbols)
    if result.equal is None:
        return Verdict(status="invalid", score=0, feedback=UNDECIDED + note, method=result.method)
    if result.equal:
        return Verdict(status="correct", score=1, feedback=CORRECT + note, method=result.method)
    for mistake, feedback, i in prepared.mistakes:
        if compare(mistake, expr, prepared.points, symbols, confirm=False).equal:
            return Verdict(
                status="incorrect", score=0, feedback=feedback, method=result.method, mistake=i
            )
    return Verdict(status="incorrect", score=0, feedback=INCORRECT + note, method=result.method)
