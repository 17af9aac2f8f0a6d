"""The one table of functions and constants a formula may use, for banks and students alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import sympy

__all__ = ["CONSTANTS", "FUNCTIONS", "FunctionSpec", "Hazard"]

#: How the builder guards a function's argument (see build.py).
Hazard = Literal["plain", "exp", "trig", "log", "floor", "root"]


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One whitelisted function.

    Attributes:
        name: the name as typed.
        min_args: fewest arguments.
        max_args: most arguments (None: no upper bound).
        build: makes the sympy expression from already built arguments.
        hazard: which resource guard the builder applies to the arguments.
    """

    name: str
    min_args: int
    max_args: int | None
    build: Callable[..., sympy.Expr]
    hazard: Hazard = "plain"

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


def _spec(name: str, build: Callable[..., sympy.Expr], hazard: Hazard = "plain") -> FunctionSpec:
    return FunctionSpec(name, 1, 1, build, hazard)


_SPECS = [
    _spec("sqrt", sympy.sqrt, "root"),
    _spec("exp", sympy.exp, "exp"),
    FunctionSpec("log", 1, 2, _log, "log"),
    _spec("ln", sympy.log, "log"),
    *(_spec(n, getattr(sympy, n), "trig") for n in ("sin", "cos", "tan")),
    _spec("sinh", sympy.sinh, "exp"),
    _spec("cosh", sympy.cosh, "exp"),
    _spec("tanh", sympy.tanh),
    *(_spec(n, getattr(sympy, n), "trig") for n in ("asin", "acos", "atan")),
    *(_spec("arc" + n, getattr(sympy, "a" + n), "trig") for n in ("sin", "cos", "tan")),
    _spec("sigmoid", _sigmoid, "exp"),
    _spec("abs", sympy.Abs),
    FunctionSpec("min", 2, None, sympy.Min),
    FunctionSpec("max", 2, None, sympy.Max),
    _spec("floor", sympy.floor, "floor"),
    _spec("ceil", sympy.ceiling, "floor"),
]

#: Whitelisted functions, name -> spec (a spec is callable on sympy arguments).
FUNCTIONS: MappingProxyType[str, FunctionSpec] = MappingProxyType({s.name: s for s in _SPECS})
#: Built-in constants; a declared symbol of the same name takes precedence.
CONSTANTS: MappingProxyType[str, sympy.Expr] = MappingProxyType({"pi": sympy.pi, "e": sympy.E})
