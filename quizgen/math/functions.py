"""The one table of functions and constants a formula may use, for banks and students alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import sympy

__all__ = ["CONSTANTS", "FUNCTIONS", "HEADS", "SHADOWABLE", "FunctionSpec", "Hazard"]

#: How the builder guards a function's argument (see build.py).
Hazard = Literal["plain", "exp", "trig", "log", "floor", "root", "nroot", "real", "integer"]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One whitelisted function.

    Attributes:
        name: the name as typed.
        min_args: fewest arguments.
        max_args: most arguments (None: no upper bound).
        build: makes the sympy expression from already built arguments.
        hazard: which resource guard the builder applies to the arguments.
        heads: the sympy functions (by class name) that a built call can leave in a formula,
            besides + * ^: sympy rewrites some calls as it builds them (``tan(pi/2 - x)`` is
            ``cot(x)``, ``abs(exp(asin(x)))`` is ``exp(re(asin(x)))``). The evaluator knows
            exactly these (:data:`HEADS`).
    """

    name: str
    min_args: int
    max_args: int | None
    build: Callable[..., sympy.Expr]
    hazard: Hazard = "plain"
    heads: tuple[str, ...] = ()

    def __call__(self, *args: sympy.Expr) -> sympy.Expr:
        """Build the sympy expression (the argument count is the caller's business)."""
        return self.build(*args)

    def arity(self) -> str:
        """The accepted argument count in words, e.g. '1 or 2 arguments'."""
        if self.max_args == self.min_args:
            plural = "" if self.min_args == 1 else "s"
            return f"{self.min_args} argument{plural}"
        if self.max_args is None:
            return f"at least {self.min_args} arguments"
        return f"{self.min_args} or {self.max_args} arguments"


def _log(arg: sympy.Expr, base: sympy.Expr | None = None) -> sympy.Expr:
    return sympy.log(arg) if base is None else sympy.log(arg, base)


def _sigmoid(arg: sympy.Expr) -> sympy.Expr:
    return sympy.Pow(sympy.Add(sympy.Integer(1), sympy.exp(-arg)), sympy.Integer(-1))


def _spec(
    name: str, build: Callable[..., sympy.Expr], hazard: Hazard, heads: tuple[str, ...]
) -> FunctionSpec:
    return FunctionSpec(name, 1, 1, build, hazard, heads)


def _log_base(base: int) -> Callable[[sympy.Expr], sympy.Expr]:
    return lambda arg: sympy.log(arg, base)


def _relu(arg: sympy.Expr) -> sympy.Expr:
    return sympy.Max(sympy.Integer(0), arg)


def _softplus(arg: sympy.Expr) -> sympy.Expr:
    return sympy.log(sympy.Add(sympy.Integer(1), sympy.exp(arg)))


_THREE = sympy.Integer(3)


def _real_root(arg: sympy.Expr, degree: sympy.Expr = _THREE) -> sympy.Expr:
    """The real n-th root: odd degrees keep the sign (cbrt(-8) = -2), even ones need x >= 0.

    The builder checks that the degree is a positive integer before calling this.
    """
    power = sympy.Rational(1, int(degree))
    if int(degree) % 2 == 0:
        return sympy.Pow(arg, power)
    return sympy.Mul(sympy.sign(arg), sympy.Pow(sympy.Abs(arg), power))


def _heaviside(arg: sympy.Expr) -> sympy.Expr:
    return sympy.Heaviside(arg, sympy.S.Half)


# Real domains, for docs/math-syntax.md: sec/csc/cot are undefined where cos/sin/tan vanish;
# csch and coth at 0; acosh needs x >= 1, atanh |x| < 1; factorial and binomial take integers
# (factorial n >= 0); erf, sign, relu, softplus, heaviside and the rest are defined everywhere.
_RECIPROCAL_TRIG = {"sec": ("sec", "csc"), "csc": ("csc", "sec"), "cot": ("cot", "tan")}
_HYPERBOLIC = ("sech", "csch", "coth")
_INVERSE_HYPERBOLIC = ("asinh", "acosh", "atanh")


# The names of the table before issue 10 (these can never be declared as names).
_FIRST_TABLE = frozenset(
    [
        "sqrt",
        "exp",
        "log",
        "ln",
        "sin",
        "cos",
        "tan",
        "sinh",
        "cosh",
        "tanh",
        "asin",
        "acos",
        "atan",
        "arcsin",
        "arccos",
        "arctan",
        "sigmoid",
        "abs",
        "min",
        "max",
        "floor",
        "ceil",
    ]
)
_TRIG_HEADS = {"sin": ("sin", "cos"), "cos": ("cos", "sin"), "tan": ("tan", "cot")}
_SPECS = [
    _spec("sqrt", sympy.sqrt, "root", ("Abs",)),  # sqrt(x^2) is abs(x)
    _spec("exp", sympy.exp, "exp", ("exp",)),
    FunctionSpec("log", 1, 2, _log, "log", ("log",)),
    _spec("ln", sympy.log, "log", ("log",)),
    # sin(x + pi/2) is cos(x), tan(pi/2 - x) is cot(x)
    *(_spec(n, getattr(sympy, n), "trig", heads) for n, heads in _TRIG_HEADS.items()),
    _spec("sinh", sympy.sinh, "exp", ("sinh",)),
    _spec("cosh", sympy.cosh, "exp", ("cosh",)),
    _spec("tanh", sympy.tanh, "plain", ("tanh",)),
    *(_spec(n, getattr(sympy, n), "trig", (n,)) for n in ("asin", "acos", "atan")),
    *(_spec("arc" + n, getattr(sympy, "a" + n), "trig", ("a" + n,)) for n in ("sin", "cos", "tan")),
    _spec("sigmoid", _sigmoid, "exp", ("exp",)),
    # |b^z| for a negative b is |b|^re(z) * exp(-pi*im(z)); |exp(z)| is exp(re(z))
    _spec("abs", sympy.Abs, "plain", ("Abs", "re", "im", "exp")),
    FunctionSpec("min", 2, None, sympy.Min, "plain", ("Min",)),
    FunctionSpec("max", 2, None, sympy.Max, "plain", ("Max",)),
    _spec("floor", sympy.floor, "floor", ("floor",)),
    _spec("ceil", sympy.ceiling, "floor", ("ceiling",)),
    # issue 10: what banks, textbooks and calculators write
    *(_spec(n, getattr(sympy, n), "trig", heads) for n, heads in _RECIPROCAL_TRIG.items()),
    *(_spec(n, getattr(sympy, n), "plain", (n,)) for n in _HYPERBOLIC),
    *(_spec(n, getattr(sympy, n), "real", (n,)) for n in _INVERSE_HYPERBOLIC),
    *(_spec("ar" + n[1:], getattr(sympy, n), "real", (n,)) for n in _INVERSE_HYPERBOLIC),
    *(_spec("arc" + n[1:], getattr(sympy, n), "real", (n,)) for n in _INVERSE_HYPERBOLIC),
    _spec("log10", _log_base(10), "log", ("log",)),
    _spec("log2", _log_base(2), "log", ("log",)),
    # |b^z| for a negative b rewrites as for abs
    _spec("cbrt", _real_root, "nroot", ("sign", "Abs", "re", "im", "exp")),
    FunctionSpec("root", 2, 2, _real_root, "nroot", ("sign", "Abs", "re", "im", "exp")),
    _spec("sign", sympy.sign, "plain", ("sign",)),
    _spec("sgn", sympy.sign, "plain", ("sign",)),
    _spec("factorial", sympy.factorial, "integer", ("factorial",)),
    FunctionSpec("binomial", 2, 2, sympy.binomial, "integer", ("binomial",)),
    FunctionSpec("nCr", 2, 2, sympy.binomial, "integer", ("binomial",)),
    _spec("erf", sympy.erf, "plain", ("erf",)),
    _spec("relu", _relu, "plain", ("Max",)),
    _spec("softplus", _softplus, "exp", ("log", "exp")),
    _spec("heaviside", _heaviside, "plain", ("Heaviside",)),
]

#: Whitelisted functions, name -> spec (a spec is callable on sympy arguments).
FUNCTIONS: MappingProxyType[str, FunctionSpec] = MappingProxyType({s.name: s for s in _SPECS})
#: Functions added to the table after banks existed (issue 10). A bank may still use these
#: words as names (attention.yaml has ``root: sqrt(d)``): a declared symbol of the same name
#: hides the function, and a bank formula's free names include them when they are not called.
SHADOWABLE: frozenset[str] = frozenset({s.name for s in _SPECS if s.name not in _FIRST_TABLE})
#: Built-in constants; a declared symbol of the same name takes precedence.
CONSTANTS: MappingProxyType[str, sympy.Expr] = MappingProxyType({"pi": sympy.pi, "e": sympy.E})
#: Heads the operators themselves can build: e^x is exp(x), (x^2)^(1/2) is abs(x).
_OPERATOR_HEADS = ("exp", "Abs")
#: Every sympy function (by class name) a parsed formula can contain: what the evaluator knows.
HEADS: frozenset[str] = frozenset(
    {head for spec in _SPECS for head in spec.heads} | set(_OPERATOR_HEADS)
)
