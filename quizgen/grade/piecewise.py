"""Decide, exactly, whether a difference built with abs / min / max / sign is zero.

``(x + abs(x))/2`` is ``max(0, x)``, but sympy cannot show it, and sampling is no evidence for
piecewise functions (``min(x, 100)`` agrees with ``x`` wherever the points fall). Such
functions are piecewise smooth: on each *sign region* of their arguments every call is one of
its arguments. So the difference is split region by region, innermost call first:

* ``abs(u)`` is ``u`` where ``u > 0`` and ``-u`` where ``u < 0``;
* ``max(a, b, …)`` is ``a`` where ``a > b, …`` (one region per argument); ``min`` likewise;
* ``sign(u)`` is 1, -1 and ``heaviside(u)`` 1, 0 (at ``u = 0``, by substitution when ``u`` is
  a variable; a jump where a compound argument vanishes, a set without interior, is not
  looked at).

The difference is zero everywhere when it is zero on every region (abs, min and max are
continuous, so the boundaries between open regions follow). It is nonzero somewhere when a
region with a nonempty interior (an exact linear program, ``sympy.solvers.simplex``) has a
nonzero piece there: a rational witness point inside the region proves it, and the original
difference is evaluated exactly at it. Pieces that are not linear, integer variables and too
many regions leave the question undecided (None).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from fractions import Fraction

import sympy
from sympy.solvers.simplex import InfeasibleLPError, UnboundedLPError, linprog

__all__ = ["MAX_REGIONS", "PIECEWISE", "decide"]

PIECEWISE = (sympy.Abs, sympy.Min, sympy.Max, sympy.sign, sympy.Heaviside)
_STEPS = (sympy.sign, sympy.Heaviside)  # discontinuous where the argument is 0
MAX_REGIONS = 256

Region = tuple[tuple[sympy.Expr, ...], sympy.Expr]  # (expressions that are > 0, piece)


class _TooMany(Exception):
    """More regions than MAX_REGIONS, or a call that cannot be split here."""


def _innermost(expr: sympy.Expr) -> sympy.Expr | None:
    for node in sympy.postorder_traversal(expr):
        if isinstance(node, PIECEWISE):
            return node
    return None


def _cases(call: sympy.Expr) -> Iterator[tuple[tuple[sympy.Expr, ...], sympy.Expr]]:
    """(conditions > 0, value) for each open region of one call."""
    if isinstance(call, sympy.Abs):
        (u,) = call.args
        yield (u,), u
        yield (-u,), -u
    elif isinstance(call, sympy.sign):
        (u,) = call.args
        yield (u,), sympy.Integer(1)
        yield (-u,), sympy.Integer(-1)
    elif isinstance(call, sympy.Heaviside):
        u = call.args[0]
        yield (u,), sympy.Integer(1)
        yield (-u,), sympy.Integer(0)
    else:
        args = call.args
        for i, chosen in enumerate(args):
            if isinstance(call, sympy.Max):
                conditions = tuple(chosen - other for j, other in enumerate(args) if j != i)
            else:
                conditions = tuple(other - chosen for j, other in enumerate(args) if j != i)
            yield conditions, chosen


def regions(expr: sympy.Expr, conditions: tuple[sympy.Expr, ...] = ()) -> list[Region]:
    """Split ``expr`` into pieces free of abs/min/max/sign, each with its open region.

    Raises:
        _TooMany: more than MAX_REGIONS regions.
    """
    call = _innermost(expr)
    if call is None:
        return [(conditions, expr)]
    out: list[Region] = []
    for more, value in _cases(call):
        piece = expr.xreplace({call: value})
        out.extend(regions(piece, conditions + more))
        if len(out) > MAX_REGIONS:
            raise _TooMany
    return out


def _affine(expr: sympy.Expr, symbols: list[sympy.Symbol]) -> bool:
    if not symbols:
        return expr.is_Rational
    try:
        poly = sympy.Poly(expr, *symbols)
    except sympy.PolynomialError:
        return False
    return poly.total_degree() <= 1 and all(c.is_Rational for c in poly.coeffs())


def _interval_point(
    conditions: list[sympy.Expr], symbol: sympy.Symbol
) -> dict[sympy.Symbol, sympy.Rational] | None:
    """One variable: intersect the half-lines a*x + b > 0 (the linear program's fast path)."""
    low, high = None, None
    for condition in conditions:
        a, b = condition.diff(symbol), condition.xreplace({symbol: 0})
        if a == 0:
            if b <= 0:
                return None
            continue
        bound = -b / a
        if a > 0:
            low = bound if low is None else max(low, bound)
        else:
            high = bound if high is None else min(high, bound)
    if low is not None and high is not None:
        return {symbol: (low + high) / 2} if low < high else None
    if low is not None:
        return {symbol: low + 1}
    if high is not None:
        return {symbol: high - 1}
    return {symbol: sympy.Integer(0)}


def _interior_point(
    conditions: list[sympy.Expr], symbols: list[sympy.Symbol]
) -> dict[sympy.Symbol, sympy.Rational] | None:
    """A point where every condition is > 0, or None when the region has no interior.

    The exact linear program: maximize t subject to condition_i(x) >= t and t <= 1, in the
    matrix form of ``sympy.solvers.simplex.linprog`` (its relational form simplifies every
    inequality first, hundreds of times slower).
    """
    if len(symbols) == 1:
        return _interval_point(conditions, symbols[0])
    n = len(symbols)
    rows, bounds = [], []
    for condition in conditions:
        coefficients, constant = sympy.linear_eq_to_matrix([condition], symbols)
        # a·x + d >= t  <=>  -a·x + t <= d   (linear_eq_to_matrix moves d to the right: -d)
        rows.append([*(-c for c in coefficients.row(0)), sympy.Integer(1)])
        bounds.append(-constant[0])
    rows.append([sympy.Integer(0)] * n + [sympy.Integer(1)])
    bounds.append(sympy.Integer(1))
    objective = sympy.Matrix([[0] * n + [-1]])
    try:
        best, solution = linprog(
            objective, sympy.Matrix(rows), sympy.Matrix(bounds), bounds=(None, None)
        )
    except (InfeasibleLPError, UnboundedLPError):
        return None
    if -best <= 0:
        return None
    return {s: sympy.Rational(v) for s, v in zip(symbols, solution, strict=False)}


def _witness(
    conditions: list[sympy.Expr], piece: sympy.Expr, symbols: list[sympy.Symbol]
) -> dict[sympy.Symbol, sympy.Rational] | None:
    """A point inside the region where the (affine, not identically zero) piece is nonzero."""
    point = _interior_point(conditions, symbols)
    if point is None:
        return None
    gradient = {s: piece.diff(s) for s in symbols}
    step = Fraction(1)
    for _ in range(60):  # move along the gradient until off the piece's zero set
        if piece.xreplace(point) != 0 and all(c.xreplace(point) > 0 for c in conditions):
            return point
        point = {
            s: v + sympy.Rational(step.numerator, step.denominator) * gradient[s]
            for s, v in point.items()
        }
        step /= 2
    return None


def decide(
    difference: sympy.Expr,
    domains: Mapping[sympy.Symbol, str],
    is_zero: Callable[[sympy.Expr], bool],
) -> bool | None:
    """True: ``difference`` is 0 on the whole domain; False: it is not (proven by a witness);
    None: cannot tell.

    Args:
        difference: response minus key.
        domains: each free symbol's declared domain (``real``, ``positive``, …).
        is_zero: an exact zero test for expressions free of piecewise functions.
    """
    symbols = sorted(difference.free_symbols, key=lambda s: s.name)
    try:
        pieces = regions(difference)
    except _TooMany:
        return None
    signs = [s for s in symbols if isinstance(domains.get(s), str)]
    bounds = [s for s in signs if domains[s].startswith(("positive", "nonnegative"))]
    integer = any(domains.get(s, "real").endswith("integer") for s in symbols)
    undecided = False
    for conditions, piece in pieces:
        signs = _signs(conditions)
        if any(c.xreplace(signs).is_nonpositive for c in conditions):
            continue  # an empty region: x > 0 and -x^3 > 0
        if is_zero(piece) or is_zero(piece.xreplace(signs)):
            continue
        region = [*conditions, *bounds]
        if integer or not all(_affine(e, symbols) for e in (*region, piece)):
            undecided = True
            continue
        point = _witness(region, piece, symbols)
        if point is None:
            continue  # the region has no interior: nothing to compare there
        value = difference.xreplace(point)
        if value.is_number and value != 0:
            return False
        undecided = True
    if undecided:
        return None
    return _boundaries_agree(difference, domains, is_zero)


def _signs(conditions: tuple[sympy.Expr, ...]) -> dict[sympy.Symbol, sympy.Expr]:
    """Each variable the region's conditions make positive (``x > 0``) or negative
    (``-x > 0``), to be replaced by a positive symbol or its negative, so that sympy may use
    the sign (``log(x^2) - 2*log(x)`` is 0 for x > 0; ``-x^3 > 0`` is false for x > 0)."""
    signs: dict[sympy.Symbol, sympy.Expr] = {}
    for condition in conditions:
        if condition.is_Symbol:
            signs[condition] = sympy.Dummy(condition.name, positive=True)
        elif (-condition).is_Symbol:
            signs[-condition] = -sympy.Dummy((-condition).name, positive=True)
    return signs


def _boundaries_agree(
    difference: sympy.Expr,
    domains: Mapping[sympy.Symbol, str],
    is_zero: Callable[[sympy.Expr], bool],
) -> bool | None:
    """sign(x) and heaviside(x) jump at x = 0, which the open regions do not reach: for a
    variable argument, the difference there must be 0 too (or undefined: a pole of the
    response, skipped as everywhere). A jump of another argument (sign(x - y)) happens on a
    set without interior, which is not looked at (docs/grading.md)."""
    steps = [c.args[0] for c in difference.atoms(*_STEPS) if c.args[0].is_Symbol]
    for symbol in dict.fromkeys(steps):
        at_zero = difference.xreplace({symbol: sympy.Integer(0)})
        if at_zero.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
            continue
        if decide(at_zero, domains, is_zero) is not True:
            return None
    return True
