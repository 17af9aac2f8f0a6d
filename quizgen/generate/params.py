"""Draw one question's parameters: distributions, derived values and ``where`` constraints.

A :class:`ParamSpace` holds what a bank's ``params``, ``let`` and ``where`` compile to. Drawing
is rejection sampling: every parameter is drawn from the :class:`~quizgen.rng.Stream` passed in
(randomness is never global), each ``let`` is evaluated exactly, and each constraint is tested
as soon as its names are known; a draw that breaks one is thrown away, at most
:data:`MAX_TRIES` times, after which the constraint that failed most is reported, located in
the bank file.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING, Any

from quizgen.bank import model as B
from quizgen.errors import BankError
from quizgen.math.mp import EXACT, exact, to_mpf
from quizgen.math.numbers import display, fraction_of
from quizgen.rng import Stream

if TYPE_CHECKING:  # formulas are sympy trees; drawing a bank without formulas loads no sympy
    import sympy

__all__ = [
    "MAX_TRIES",
    "Comparison",
    "ConstraintError",
    "DrawError",
    "Formula",
    "Param",
    "ParamSpace",
    "draw_error",
    "number_or_text",
    "param_from_spec",
]

Path = tuple[str | int, ...]
Values = dict[str, Any]  # name -> int | Fraction (exact) | mpmath number | str
MAX_TRIES = 1000
GRID_TABLE = 10_000  # range parameters with at most this many values draw from a table
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class DrawError(BankError):
    """A variant could not be drawn (constraint never met, division by zero, ...)."""


class ConstraintError(DrawError):
    """No draw met a ``where`` constraint; ``constraint`` is its text, ``where`` its path."""

    constraint: str = ""
    where: Path = ()


def draw_error(bank: B.Bank, path: Path, message: str) -> DrawError:
    """A :class:`DrawError` at ``path`` in ``bank``'s file (line and column when known)."""
    err = bank.error(path, message)
    return DrawError(err.message, err.file, err.line, err.column, err.path, err.detail)


@dataclass(frozen=True)
class Formula:
    """A parsed formula and its fast evaluator."""

    text: str
    expr: sympy.Expr
    path: Path
    fn: Callable[[Mapping[str, Any]], Fraction] = field(repr=False)

    def value(self, env: Mapping[str, Any]) -> Any:
        """The formula's exact value for the names in ``env``."""
        return self.fn(env)


#: Outcomes a costly comparison keeps (a question's constraint on three integers from -12 to
#: 12 has 15,625), bounded for one whose names take millions of values together.
HOLDS_MEMO_MAX = 16_384


@dataclass(frozen=True)
class Comparison:
    """``a < b`` or a chain ``0 < a < b``, from ``where`` or a truefalse answer.

    ``key``, given for a comparison that costs more to test than to look up (a function or
    a root: ``floor(sqrt(a^2 + b^2 + c^2))^2 == a^2 + b^2 + c^2``), makes the memo key of
    its names' values: the outcome is a pure function of them, and rejection sampling meets
    the same values again and again while the other parameters vary.
    """

    text: str
    sides: tuple[Formula, ...]
    ops: tuple[str, ...]
    path: Path
    key: Callable[[Mapping[str, Any]], tuple] | None = field(default=None, compare=False)
    memo: dict[tuple, bool] = field(default_factory=dict, repr=False, compare=False)

    def holds(self, env: Mapping[str, Any]) -> bool:
        """Whether every comparison of the chain holds (exactly, unless a side is irrational)."""
        if self.key is None:
            return self._holds(env)
        try:
            key = self.key(env)
        except KeyError:  # a name without a value: the formula says which
            return self._holds(env)
        memo = self.memo
        found = memo.get(key)
        if found is None:
            if len(memo) >= HOLDS_MEMO_MAX:
                memo.clear()
            found = memo[key] = self._holds(env)
        return found

    def _holds(self, env: Mapping[str, Any]) -> bool:
        values = [f.fn(env) for f in self.sides]
        for v in values:
            if v.__class__ is not int and not isinstance(v, EXACT):
                values = [to_mpf(v) for v in values]
                break
        if len(values) == 2:  # the common case: one comparison
            return _COMPARE[self.ops[0]](values[0], values[1])
        return all(
            _COMPARE[op](a, b) for op, a, b in zip(self.ops, values, values[1:], strict=False)
        )

    def names(self) -> set[str]:
        """The parameter and ``let`` names the comparison uses."""
        return {sym.name for f in self.sides for sym in f.expr.free_symbols}


# --- one parameter -------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One parameter: a list of choices, or ``count`` values ``low + k·step``."""

    name: str
    choices: tuple[Any, ...] = ()
    low: int | Fraction = 0
    step: int | Fraction = 1
    count: int = 0

    def __post_init__(self) -> None:
        # A grid of a sane size is a list of choices: one index, no Fraction arithmetic.
        if not self.choices and 0 < self.count <= GRID_TABLE:
            object.__setattr__(self, "_grid", tuple(self.at(k) for k in range(self.count)))

    def draw(self, stream: Stream) -> Any:
        """One value, uniformly over the choices or the grid."""
        if self.choices:
            return stream.choice(self.choices)
        grid = self.__dict__.get("_grid")
        if grid is not None:
            return grid[stream.below(self.count)]
        return self.at(stream.below(self.count))

    def at(self, k: int) -> Any:
        """The ``k``-th value of the grid, ``low + k·step``."""
        value = self.low + self.step * k
        return value if isinstance(value, int) else exact(value)

    def size(self) -> int:
        """How many values the parameter can take."""
        return len(self.choices) or self.count


def number_or_text(value: Any) -> Any:
    """A bank value as an exact number, or as text when it is not a number."""
    if isinstance(value, str):
        try:
            return exact(fraction_of(value))
        except (ValueError, ZeroDivisionError):
            return value
    return exact(fraction_of(value))


def param_from_spec(name: str, spec: Any) -> Param:
    """The parameter a bank's ``params`` entry describes.

    Raises:
        ValueError: the range is empty or its step is not positive.
    """
    if isinstance(spec, B.ChoiceParam):
        return Param(name, choices=tuple(number_or_text(v) for v in spec.choice))
    if isinstance(spec, B.RangeParam):
        return _range_param(name, spec)
    value = spec.value if isinstance(spec, B.FixedParam) else spec
    return Param(name, choices=(number_or_text(value),))


def _range_param(name: str, spec: B.RangeParam) -> Param:
    low, high = fraction_of(spec.range[0]), fraction_of(spec.range[1])
    step = Fraction(1, 10**spec.places) if spec.places is not None else Fraction(1)
    if spec.step is not None:
        step = fraction_of(spec.step)
    if step <= 0:
        raise ValueError("step must be positive")
    if high < low:
        raise ValueError(f"range is empty: {display(low)} > {display(high)}")
    count = int((high - low) / step) + 1
    return Param(name, low=exact(low), step=exact(step), count=count)


# --- the whole draw ------------------------------------------------------------------------


@dataclass
class ParamSpace:
    """A question's parameters, derived values (``let``) and constraints (``where``).

    Attributes:
        bank: the bank, to locate errors in its file.
        params: drawn in this order.
        lets: evaluated in this order, each from the names before it.
        where: every constraint a draw must meet.
    """

    bank: B.Bank
    params: list[Param]
    lets: list[tuple[str, Formula]]
    where: list[Comparison]

    def size(self) -> int:
        """How many parameter combinations exist (before constraints)."""
        size = 1
        for p in self.params:
            size *= p.size()
        return size

    def draw(self, stream: Stream, fixed: Mapping[str, Any] | None = None) -> Values:
        """Draw parameters (``fixed`` ones given) and evaluate every ``let``.

        Raises:
            DrawError: no draw met the ``where`` constraints within :data:`MAX_TRIES`,
                or a formula failed for the values drawn.
        """
        return self.complete(self.draw_constrained(stream, fixed))

    def draw_constrained(self, stream: Stream, fixed: Mapping[str, Any] | None = None) -> Values:
        """Draw parameters as :meth:`draw` does, with only the ``let`` values that the
        constraints read (the first :attr:`constrained`); :meth:`complete` adds the others.

        The parameters fix every ``let``, so a caller that already holds what these
        parameters give (a solved variant) skips the rest: the stream is drawn from the same.

        Raises:
            DrawError: as :meth:`draw`, for the parameters and those ``let`` values.
        """
        failures: dict[int, int] = {}
        for _ in range(MAX_TRIES if self.where else 1):
            values, broken = self._attempt(stream, fixed)
            if broken is None:
                return values
            failures[broken] = failures.get(broken, 0) + 1
            if fixed and all(p.name in fixed for p in self.params):
                break  # nothing is left to redraw
        raise self._never_met(failures)

    def _attempt(
        self, stream: Stream, fixed: Mapping[str, Any] | None
    ) -> tuple[Values, int | None]:
        """One draw, and the index of the first constraint it breaks (None: all hold)."""
        values: Values = {}
        if fixed:
            for p in self.params:
                values[p.name] = (
                    number_or_text(fixed[p.name]) if p.name in fixed else p.draw(stream)
                )
        else:
            for p in self.params:
                values[p.name] = p.draw(stream)
        # Each constraint is tested as soon as its names are known, so a rejected draw
        # costs no 'let' it does not need (and a 'where' can guard a 'let').
        where, stages = self.where, self.stages
        for i in stages[0]:
            if not where[i].holds(values):
                return values, i
        for name, formula, stage in self._constrained_lets:
            values[name] = self.value(formula, values)
            for i in stage:
                if not where[i].holds(values):
                    return values, i
        return values, None

    def complete(self, values: Values) -> Values:
        """``values`` from :meth:`draw_constrained` with every other ``let`` evaluated,
        in order (as :meth:`draw` returns them).

        Raises:
            DrawError: a formula failed for these values.
        """
        for name, formula in self.lets[self.constrained :]:
            values[name] = self.value(formula, values)
        return values

    @cached_property
    def constrained(self) -> int:
        """How many ``let`` values (the first ones) a constraint reads, or one after them."""
        return max((k for k, stage in enumerate(self.stages) if stage), default=0)

    @cached_property
    def _constrained_lets(self) -> list[tuple[str, Formula, list[int]]]:
        """(name, formula, constraints tested once it is known) of the first
        :attr:`constrained` ``let`` values."""
        n = self.constrained
        staged = zip(self.lets[:n], self.stages[1 : n + 1], strict=True)
        return [(name, f, stage) for (name, f), stage in staged]

    def _never_met(self, failures: dict[int, int]) -> DrawError:
        worst = self.where[max(failures, key=failures.__getitem__)]
        draws = sum(failures.values())
        err = self.error(worst.path, f"constraint '{worst.text}' was never met in {draws} draws")
        found = ConstraintError(err.message, err.file, err.line, err.column, err.path)
        found.constraint, found.where = worst.text, worst.path
        return found

    @cached_property
    def stages(self) -> list[list[int]]:
        """For each point of the evaluation (after the parameters, then after each 'let'),
        the constraints whose names are all known by then."""
        known = {p.name for p in self.params}
        points = [set(known)]
        for name, _ in self.lets:
            known.add(name)
            points.append(set(known))
        stages: list[list[int]] = [[] for _ in points]
        for i, w in enumerate(self.where):
            names = w.names()
            stages[next(k for k, ready in enumerate(points) if names <= ready)].append(i)
        return stages

    def value(self, formula: Formula, values: Mapping[str, Any]) -> Any:
        """``formula`` at ``values``.

        Raises:
            DrawError: located at the formula, naming the values (division by zero, ...).
        """
        try:
            return formula.value(values)
        except (ZeroDivisionError, ValueError, OverflowError) as exc:
            shown = ", ".join(f"{k}={display(v)}" for k, v in values.items())
            raise self.error(formula.path, f"{exc} (with {shown})") from None

    def error(self, path: Path, message: str) -> DrawError:
        """A :class:`DrawError` at ``path`` in the bank's file."""
        return draw_error(self.bank, path, message)
