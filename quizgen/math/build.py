"""Pass 4: turn the syntax tree into a sympy expression, guarding every costly step.

Besides the sympy expression, each built node carries conservative estimates, so that work
sympy would do eagerly is refused *before* sympy starts it (see guards.py for the hazards):

* ``exact``: bits of the largest exact number sympy may materialize (2^1000 -> 1001);
* ``mag``: an upper bound of |log2|value|| (symbols count as 1), which bounds the precision
  that evaluating sin/floor/comparisons needs;
* ``roots``: total bits of exact numbers under fractional powers in one product, which sympy
  factors (trial division, perfect-power tests), slowly for large numbers;
* ``radicals``: the distinct numeric radicals involved; the product of their root degrees
  bounds the algebraic degree (``sqrt(2)+sqrt(3)``: 4), hence the cost of sympy's
  minimal-polynomial sign test;
* ``numeric``: no symbol occurs in the node.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import NamedTuple

import sympy

from quizgen.errors import MathSyntaxError
from quizgen.math import guards
from quizgen.math.functions import CONSTANTS, FUNCTIONS
from quizgen.math.limits import (
    EXP_ARG_BITS,
    FLOOR_ARG_BITS,
    MAX_DEGREE,
    ROOT_BITS,
    TRIG_ARG_BITS,
    Limits,
)
from quizgen.math.nodes import Add, Call, Const, Inv, Mul, Neg, Node, Num, Pow, Sym

__all__ = ["Built", "build"]

_UNDEFINED = frozenset({sympy.nan, sympy.zoo, sympy.oo, -sympy.oo})
_LOG2_E = 1.4426950408889634
_NOT_REAL = "is not a real number"
_ARC = frozenset({"asin", "acos", "arcsin", "arccos"})
MAX_FACTORIAL = 1000  # 1000! has 8530 bits, below the default max_result_bits


class Built(NamedTuple):
    """A built sympy expression and its cost estimates (see the module docstring)."""

    expr: sympy.Expr
    exact: float = 0.0
    mag: float = 0.0
    roots: float = 0.0
    radicals: frozenset[guards.Radical] = frozenset()
    numeric: bool = True


_HALF = Built(sympy.Rational(1, 2), 1.0, 1.0)


class _Builder:
    """Builds one tree; errors point into ``text``."""

    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol], limits: Limits) -> None:
        self.text = text
        self.symbols = symbols
        self.limits = limits
        self.dispatch: dict[type, Callable[..., Built]] = {
            Num: self.num,
            Sym: self.sym,
            Const: self.const,
            Neg: self.neg,
            Inv: self.inv,
            Add: self.add,
            Mul: self.mul,
            Pow: self.pow,
            Call: self.call,
        }

    # -- errors and checks -----------------------------------------------------------------

    def error(self, message: str, node: Node) -> MathSyntaxError:
        return MathSyntaxError(message, self.text, node.start, max(1, node.end - node.start))

    def sympy(self, node: Node, make: Callable[..., sympy.Expr], *args: sympy.Expr) -> sympy.Expr:
        """Call sympy; turn any failure or undefined result into a MathSyntaxError."""
        try:
            result = make(*args)
        except RecursionError:
            raise self.error("the expression is nested too deeply to evaluate", node) from None
        except Exception as exc:  # sympy raises many types on hostile input
            message = f"cannot evaluate this part ({type(exc).__name__})"
            raise self.error(message, node) from None
        if result in _UNDEFINED:
            raise self.error("the expression is undefined (division by zero?)", node)
        if (
            isinstance(result, sympy.Add)
            and guards.is_algebraic_number(result)
            and not guards.is_decidable(result)
        ):
            raise self.error("cannot evaluate this exactly: its terms cancel to ~0", node)
        return result

    def check_exact(self, bits: float, node: Node) -> None:
        limit = self.limits.max_result_bits
        if bits > limit:
            raise self.error(f"number too large: about {bits:.0f} bits (limit {limit})", node)

    def check_roots(self, bits: float, node: Node) -> None:
        if bits > ROOT_BITS:
            message = f"root of a number this large is not supported (limit {ROOT_BITS} bits)"
            raise self.error(message, node)

    def check_degree(self, radicals: frozenset[guards.Radical], node: Node) -> None:
        if guards.degree_of(radicals) > MAX_DEGREE:
            message = f"too many different roots of numbers (algebraic degree > {MAX_DEGREE})"
            raise self.error(message, node)

    def check_real(self, expr: sympy.Expr, node: Node) -> None:
        if expr.has(sympy.I):
            raise self.error(f"this {_NOT_REAL} (root or log of a negative number?)", node)

    def check_exponent_terms(
        self, exponent: sympy.Expr, node: Node, base_bits: float | None = None
    ) -> None:
        """Guard the numeric coefficients of a symbolic exponent (or of an exp argument).

        sympy turns b^(c*log(N)) and exp(c*log(N)) into N^c eagerly, and routines such as
        factor_terms split b^(c + x) into b^c * b^x. ``base_bits`` is None for exp(), whose
        plain coefficients are harmless (exp(10^6) stays symbolic).
        """
        limit = self.limits.max_exponent
        for term in sympy.Add.make_args(exponent):
            coeff, rest = term.as_coeff_Mul()
            has_log = rest.has(sympy.log)
            if base_bits is None and not has_log:
                continue
            if abs(coeff) > limit:
                raise self.error(f"exponent too large (limit {limit})", node)
            factor = float(abs(coeff))
            self.check_exact((base_bits or 0) * factor, node)
            if has_log:
                rationals = rest.atoms(sympy.Rational)
                bits = max((guards.rational_bits(r) for r in rationals), default=0)
                self.check_exact(bits * factor, node)
                if not coeff.is_Integer:
                    self.check_roots(bits, node)

    # -- leaves and arithmetic -------------------------------------------------------------

    def build(self, node: Node) -> Built:
        return self.dispatch[type(node)](node)

    def num(self, node: Num) -> Built:
        value = sympy.Rational(node.numerator, node.denominator)
        top, bottom = int(value.p).bit_length(), int(value.q).bit_length()
        self.check_exact(max(top, bottom), node)
        return Built(value, max(top, bottom), abs(top - bottom) + 1.0)

    def sym(self, node: Sym) -> Built:
        return Built(self.symbols[node.name], numeric=False)

    def const(self, node: Const) -> Built:
        return Built(CONSTANTS[node.name], mag=2.0)

    def neg(self, node: Neg) -> Built:
        inner = self.build(node.operand)
        return inner._replace(expr=self.sympy(node, sympy.Mul, sympy.S.NegativeOne, inner.expr))

    def inv(self, node: Inv) -> Built:
        inner = self.build(node.operand)
        if inner.expr is sympy.S.Zero:
            where = Inv(node.operand, node.op, node.op, node.end)
            raise self.error("the expression is undefined (division by zero)", where)
        return inner._replace(expr=self.sympy(node, sympy.Pow, inner.expr, sympy.S.NegativeOne))

    def combine(
        self, node: Add | Mul, parts: list[Built]
    ) -> tuple[float, frozenset[guards.Radical], bool]:
        """Common checks of a sum or product: exact bits, radicals, numeric."""
        exact = sum(p.exact for p in parts)
        self.check_exact(exact, node)
        radicals = frozenset().union(*(p.radicals for p in parts))
        self.check_degree(radicals, node)
        return exact, radicals, all(p.numeric for p in parts)

    def add(self, node: Add) -> Built:
        parts = [self.build(term) for term in node.terms]
        exact, radicals, numeric = self.combine(node, parts)
        mag = max(p.mag for p in parts) + math.log2(len(parts))
        expr = self.sympy(node, sympy.Add, *(p.expr for p in parts))
        return Built(expr, exact, mag, max(p.roots for p in parts), radicals, numeric)

    def mul(self, node: Mul) -> Built:
        parts = [self.build(factor) for factor in node.factors]
        exact, radicals, numeric = self.combine(node, parts)
        roots = sum(p.roots for p in parts)
        self.check_roots(roots, node)
        expr = self.sympy(node, sympy.Mul, *(p.expr for p in parts))
        return Built(expr, exact, sum(p.mag for p in parts), roots, radicals, numeric)

    # -- powers ----------------------------------------------------------------------------

    def pow(self, node: Pow) -> Built:
        return self.power(node, self.build(node.base), self.build(node.exponent), node.exponent)

    def power(self, node: Node, base: Built, exponent: Built, where: Node) -> Built:
        """``base ^ exponent`` for a Pow node or a square root (``where``: the exponent)."""
        if exponent.expr.is_Number:
            return self.numeric_power(node, base, exponent.expr, where)
        if exponent.mag > EXP_ARG_BITS:
            raise self.error("exponent too large to evaluate safely", where)
        self.check_exponent_terms(exponent.expr, where, base.exact)
        if not exponent.expr.free_symbols and guards.negative_or_complex(base.expr):
            raise self.error(f"a negative number to a non-integer power {_NOT_REAL}", node)
        mag = guards.scale(base.mag, 2.0**exponent.mag)
        expr = self.sympy(node, sympy.Pow, base.expr, exponent.expr)
        numeric = base.numeric and exponent.numeric
        return Built(expr, base.exact, mag, base.roots, base.radicals, numeric)

    def numeric_power(
        self, node: Node, base: Built, exponent: sympy.Rational, where: Node
    ) -> Built:
        limit = self.limits.max_exponent
        if abs(exponent.p) > limit * exponent.q:
            raise self.error(f"exponent too large (limit {limit})", where)
        if base.expr is sympy.S.Zero and exponent.is_negative:
            raise self.error("the expression is undefined (0 to a negative power)", node)
        factor = abs(float(exponent))
        exact = base.exact * factor
        self.check_exact(exact, node)
        if exponent.is_Integer:
            expr = self.sympy(node, sympy.Pow, base.expr, exponent)
            mag = guards.scale(base.mag, factor)
            return Built(expr, exact, mag, base.roots, base.radicals, base.numeric)
        return self.root(node, base, exponent, exact)

    def root(self, node: Node, base: Built, exponent: sympy.Rational, exact: float) -> Built:
        """A power with a non-integer rational exponent: radicand size, degree, reality."""
        roots = base.roots + base.exact
        self.check_roots(roots, node)
        numeric = base.numeric or not base.expr.free_symbols
        radicals = base.radicals
        if numeric:
            radicals = radicals | {(base.expr, int(exponent.q))}
        self.check_degree(radicals, node)
        if numeric and guards.negative_or_complex(base.expr):
            raise self.error(f"a negative number to a fractional power {_NOT_REAL}", node)
        expr = self.sympy(node, sympy.Pow, base.expr, exponent)
        self.check_real(expr, node)
        mag = guards.scale(base.mag, abs(float(exponent)))
        return Built(expr, exact, mag, roots, radicals, base.numeric)

    # -- function calls --------------------------------------------------------------------

    def call(self, node: Call) -> Built:
        spec = FUNCTIONS[node.name]
        args = [self.build(arg) for arg in node.args]
        if spec.hazard == "root":
            return self.power(node, args[0], _HALF, node)
        if spec.hazard == "nroot":
            return self.real_root(node, args)
        if spec.hazard == "integer":
            self.guard_integer(node, args)
        mag = self.guard_call(node, spec.hazard, args)
        numeric = all(a.numeric for a in args)
        exact = max(a.exact for a in args)
        roots = max(a.roots for a in args)
        if spec.hazard == "floor" and guards.is_algebraic_number(args[0].expr):
            floor = self.algebraic_floor(node, args[0])
            return Built(floor, exact + 1, mag, roots, numeric=numeric)
        if node.name in ("min", "max"):
            expr = self.lattice(node, spec.build, args)
        else:
            expr = self.sympy(node, spec.build, *(a.expr for a in args))
        if spec.hazard == "integer" and expr.is_Integer:  # 720! has 5800 bits, not 10
            exact = max(exact, float(int(expr).bit_length()))
            self.check_exact(exact, node)
        if spec.hazard in ("log", "trig", "real"):
            self.check_real(expr, node)
        if spec.hazard == "real" and numeric and not expr.free_symbols:
            self.check_real(expr.evalf(15), node)  # atanh(2) stays unevaluated: not real
        if node.name in ("abs", "min", "max"):  # the value is (minus) one of the arguments
            radicals = frozenset().union(*(a.radicals for a in args))
        elif guards.is_algebraic_number(expr):  # e.g. cos(pi/20) gives nested square roots
            radicals = guards.radicals_of(expr)
        else:
            radicals = frozenset()
        self.check_degree(radicals, node)
        return Built(expr, exact, mag, roots, radicals, numeric)

    def guard_call(self, node: Call, hazard: str, args: list[Built]) -> float:
        """Refuse arguments whose evaluation would be too costly; return the result's mag."""
        first = args[0]
        if hazard == "exp":
            if first.mag > EXP_ARG_BITS:
                raise self.error(f"the argument of {node.name}() is too large", node)
            self.check_exponent_terms(first.expr, node)
            return _LOG2_E * self.size_of(first)
        if hazard == "trig":
            self.guard_trig(node, first)
            return first.mag + 2
        if hazard == "floor":
            if not first.expr.is_Rational and first.mag > FLOOR_ARG_BITS:
                raise self.error(f"{node.name}() of a number this large is not supported", node)
            return first.mag + 1
        if hazard == "log":
            if any(a.expr is sympy.S.Zero for a in args):
                raise self.error("log(0) is undefined", node)
            return sum(a.mag if a.mag <= 64 else math.log2(a.mag) + 2 for a in args)
        if node.name in ("min", "max"):
            self.guard_compare(node, args)
        return max(a.mag for a in args)

    def real_root(self, node: Call, args: list[Built]) -> Built:
        """cbrt(x) and root(x, n): the real n-th root (odd n keeps the sign of x)."""
        degree = args[1].expr if len(args) > 1 else sympy.Integer(3)
        if not degree.is_Integer or not 1 <= degree <= MAX_DEGREE:
            message = f"the degree of root() must be a whole number from 1 to {MAX_DEGREE}"
            raise self.error(message, node)
        power = Built(sympy.Rational(1, int(degree)), float(int(degree).bit_length()), 1.0)
        base = args[0]
        if degree % 2 == 0:
            return self.power(node, base, power, node)
        root = self.power(node, base._replace(expr=sympy.Abs(base.expr)), power, node)
        sign = self.sympy(node, sympy.sign, base.expr)
        return root._replace(expr=self.sympy(node, sympy.Mul, sign, root.expr))

    def guard_integer(self, node: Call, args: list[Built]) -> None:
        """factorial and binomial of numbers: sympy computes them exactly, so bound them."""
        for arg in args:
            if arg.numeric and (not arg.expr.is_Integer or abs(arg.expr) > MAX_FACTORIAL):
                message = (
                    f"{node.name}() of a number needs a whole number of at most {MAX_FACTORIAL}"
                )
                raise self.error(message, node)

    @staticmethod
    def size_of(arg: Built) -> float:
        """An upper bound of ``|arg|``: its value when it is a number of modest size, else
        2^mag (nested exponentials would otherwise inflate the bound at every level)."""
        if arg.numeric and arg.mag <= 64:
            value = arg.expr.evalf(20)
            if value.is_Number and value.is_finite:
                return float(abs(value)) * (1 + 1e-9) + 1e-9
        return 2.0**arg.mag

    def guard_trig(self, node: Call, arg: Built) -> None:
        if arg.mag > TRIG_ARG_BITS:
            raise self.error(f"the argument of {node.name}() is too large to evaluate", node)
        if arg.expr.has(sympy.asin, sympy.acos, sympy.atan):  # tan(asin(t)) = t/sqrt(1 - t^2)
            self.check_roots(2 * arg.exact + arg.roots, node)
        if node.name in _ARC and not arg.expr.free_symbols:
            value = arg.expr.evalf(15)
            if not value.is_Number or abs(value) > 1:
                message = f"{node.name}() of a number outside [-1, 1] {_NOT_REAL}"
                raise self.error(message, node)

    def guard_compare(self, node: Call, args: list[Built]) -> None:
        """min/max compare their arguments: refuse algebraic values too close to tell apart."""
        values = [a.expr for a in args if a.expr.is_Rational or guards.is_algebraic_number(a.expr)]
        for index, first in enumerate(values):
            for second in values[index + 1 :]:
                difference = sympy.Add(first, -second)
                if guards.is_algebraic_number(difference) and not guards.is_decidable(difference):
                    message = f"{node.name}() cannot compare values this close to each other"
                    raise self.error(message, node)

    def lattice(self, node: Call, make: Callable[..., sympy.Expr], args: list[Built]) -> sympy.Expr:
        """min/max: sympy reduces the numeric arguments; symbolic ones stay unevaluated.

        (sympy's own simplification of symbolic min/max runs factor_terms on differences.)
        """
        numbers = [a.expr for a in args if not a.expr.free_symbols]
        others = [a.expr for a in args if a.expr.free_symbols]
        if len(numbers) > 1:
            numbers = [self.sympy(node, make, *numbers)]
        if not others:
            return numbers[0]
        return self.sympy(node, lambda *xs: make(*xs, evaluate=False), *numbers, *others)

    def algebraic_floor(self, node: Call, arg: Built) -> sympy.Integer:
        """floor/ceil of an algebraic number, computed here rather than by sympy."""
        sign = -1 if node.name == "ceil" else 1
        low = guards.algebraic_floor(arg.expr * sign, arg.mag)
        if low is None:
            message = f"{node.name}() of a number this close to an integer is not supported"
            raise self.error(message, node)
        return sympy.Integer(low * sign)


def build(node: Node, text: str, symbols: Mapping[str, sympy.Symbol], limits: Limits) -> sympy.Expr:
    """Build the sympy expression for a syntax tree.

    Args:
        node: the tree from the parser.
        text: the original text (for error messages).
        symbols: sympy Symbol for every name node in the tree.
        limits: result-size and exponent limits.

    Returns:
        The sympy expression.

    Raises:
        MathSyntaxError: if the value is undefined, not real, or too costly to build.
    """
    return _Builder(text, symbols, limits).build(node).expr
