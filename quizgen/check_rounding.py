"""The rounding-robustness sweep of ``quizgen check``: would a careful student be marked wrong?

A careful student works a numeric question the way its worked solution does, writing down the
intermediate values to the figures the solution (or the prompt) shows them with, and reusing
their own rounded answers to earlier parts. They round the final answer to the figures the
tolerance asks for. This module recomputes every numeric answer along that path and grades it
against the frozen key.

The path is the question's ``let`` chain, evaluated in order: a ``let`` value that a prompt or
solution displays is replaced by its displayed rounding before the next ``let`` uses it (when it
is displayed several ways, by the coarsest one), and a ``let`` that is the answer to an earlier
part is replaced by that answer rounded as its tolerance asks. The answer's own ``let`` is not
rounded. The responses graded for each numeric answer are the recomputed value in full, and
rounded to each precision its tolerance implies: ``n`` significant figures for
``require_sigfigs: n`` or ``sigfigs: n``; for ``relative: r`` the fewest figures ``n`` whose
half unit, ``½·10^(1−n)``, is at most ``r``; for ``absolute: a`` the fewest decimals ``d`` with
``½·10^(−d) ≤ a``. A variant fails when any of them is marked wrong.

How a template displays each value is found by rendering it again with values that record
how they are formatted (``{{ f | sig(4) }}`` records four significant figures, ``{{ f }}`` the
default display rule), so macros and ``{% if %}`` branches are followed as the variant takes
them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.runtime

from quizgen.generate.compile import CompiledQuestion
from quizgen.math.mp import exact, to_mpf
from quizgen.math.numbers import Num, display, fraction_of
from quizgen.templating import bank_environment
from quizgen.variant import NumericKey, Variant, answer_markdown

if TYPE_CHECKING:
    import sympy

__all__ = ["RoundingSweep", "asked_roundings", "shown"]

# How a value is displayed: ("sig", n), ("places", n) or ("default", 0) — the display rule.
Rounding = tuple[str, int]
DEFAULT: Rounding = ("default", 0)
MAX_PLACES = 15


def shown(value: Any, how: Rounding) -> Fraction:
    """``value`` as a student reads it off the page: displayed as ``how`` says, read back."""
    kind, n = how
    if kind == "sig":
        text = display(value, sig=n)
    elif kind == "places":
        text = display(value, places=n)
    else:
        text = display(value)
    return fraction_of(text)


def asked_roundings(key: NumericKey) -> list[Rounding]:
    """The precisions a careful student may give the final answer in (module docstring)."""
    asked: list[Rounding] = []
    if key.require_sigfigs:
        asked.append(("sig", key.require_sigfigs))
    tolerance = key.tolerance
    if tolerance.sigfigs:
        asked.append(("sig", tolerance.sigfigs))
    if tolerance.relative:
        r = fraction_of(tolerance.relative)
        n = 1
        while Fraction(1, 2 * 10 ** (n - 1)) > r and n < MAX_PLACES:
            n += 1
        asked.append(("sig", n))
    if tolerance.absolute:
        a = fraction_of(tolerance.absolute)
        d = 0
        while Fraction(1, 2 * 10**d) > a and d < MAX_PLACES:
            d += 1
        asked.append(("places", d))
    return asked


# --- how templates display each value ------------------------------------------------------


class _Traced(Num):
    """A template value that records how it is displayed."""

    __slots__ = ("log", "name")

    def __init__(self, exact_value: Any, name: str, log: dict[str, set[Rounding]]) -> None:
        super().__init__(exact_value)
        self.name = name
        self.log = log

    def __str__(self) -> str:
        self.log.setdefault(self.name, set()).add(DEFAULT)
        return super().__str__()


def _tracing(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that records its rounding, then formats as ``function`` does."""
    defaults = [p.default for p in list(inspect.signature(function).parameters.values())[1:]]

    def traced(value: Any, *args: Any) -> Any:
        if isinstance(value, _Traced):
            digits = args[0] if args else (defaults[0] if defaults else 0)
            how = {"sig": ("sig", digits), "fixed": ("places", digits)}.get(name, DEFAULT)
            value.log.setdefault(value.name, set()).add(how)
        return function(value, *args)

    return traced


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The bank environment with filters that record how each value is rounded."""
    base = bank_environment()
    env = base.overlay()
    env.filters = {**base.filters}
    for name in ("sig", "fixed", "thousands", "tex"):
        env.filters[name] = _tracing(name, base.filters[name])
    return env


@lru_cache(maxsize=4096)
def _template(source: str) -> jinja2.Template:
    return _environment().from_string(source)


def _render(source: str, context: Mapping[str, Any]) -> None:
    """Render ``source`` for the record its values keep; the text itself is not needed."""
    if "{" not in source:
        return
    template = _template(source)
    ctx = jinja2.runtime.Context(template.environment, dict(context), None, template.blocks)
    try:
        "".join(template.root_render_func(ctx))
    except Exception:  # the sweep of check reports template failures, located; here a text
        return  # that cannot render only shows nothing, so nothing in it is rounded


# --- the sweep -----------------------------------------------------------------------------


@dataclass
class RoundingSweep:
    """The sweep of one question: feed it each distinct variant, then read the share."""

    compiled: CompiledQuestion
    checked: int = 0
    failed: int = 0
    first_failure: str | None = None
    _texts: list[str] = field(default_factory=list)
    _targets: list[tuple[str, Any, str | None]] = field(default_factory=list)
    _upstream: dict[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        q = self.compiled.question
        self._texts = [q.prompt, q.solution]
        for part in getattr(q, "parts", []):
            self._texts += [part.prompt, part.solution or ""]
        # (part id, answer formula, the 'let' it names when it is a bare name)
        specs = (
            [("", self.compiled.spec)]
            if self.compiled.spec is not None
            else [(p.part.id, p.spec) for p in self.compiled.parts]
        )
        for part_id, spec in specs:
            formula = spec.formula if spec is not None else None
            if formula is None or spec.answer.kind != "numeric":
                self._targets.append((part_id, None, None))
                continue
            import sympy  # loaded already: the formula is a sympy tree

            name = formula.expr.name if isinstance(formula.expr, sympy.Symbol) else None
            self._targets.append((part_id, formula, name))
            self._upstream[part_id] = self._needs(formula.expr)

    def _needs(self, expr: sympy.Expr) -> frozenset[str]:
        """The 'let' names an expression depends on, directly or through other lets."""
        lets = {name: formula.expr for name, formula in self.compiled.space.lets}
        needed: set[str] = set()
        todo = [s.name for s in expr.free_symbols]
        while todo:
            name = todo.pop()
            if name in lets and name not in needed:
                needed.add(name)
                todo.extend(s.name for s in lets[name].free_symbols)
        return frozenset(needed)

    @property
    def applies(self) -> bool:
        """Whether the question has a numeric answer to sweep."""
        return any(formula is not None for _, formula, _ in self._targets)

    @property
    def share(self) -> float:
        """The share of swept variants a careful student fails (0 to 1)."""
        return self.failed / self.checked if self.checked else 0.0

    def add(self, variant: Variant) -> None:
        """Sweep one variant."""
        if not self.applies:
            return
        self.checked += 1
        problem = self._problem(variant)
        if problem is not None:
            self.failed += 1
            if self.first_failure is None:
                self.first_failure = problem

    def _problem(self, variant: Variant) -> str | None:
        params = {p.name: _param_value(variant.values[p.name]) for p in self.compiled.space.params}
        try:
            rounding = self._displayed(variant, params)
        except (ArithmeticError, ValueError) as exc:
            return f"the values could not be recomputed ({exc})"
        keys = {part_id: key for part_id, key, _ in variant.gradable()}
        reused: dict[str, list[Rounding]] = {}
        for part_id, formula, name in self._targets:
            key = keys[part_id]
            if formula is not None and isinstance(key, NumericKey):
                try:
                    upstream = self._upstream[part_id]
                    ways = {n: [*rounding.get(n, ()), *reused.get(n, ())] for n in upstream}
                    ways.pop(name or "", None)  # the answer itself is rounded only at the end
                    problem = self._grade(variant, params, key, formula, ways)
                except (ArithmeticError, ValueError) as exc:
                    problem = f"the rounded values break a formula ({exc})"
                if problem is not None and part_id:
                    problem = f"part '{part_id}': {problem}"
                if problem is not None:
                    return problem
                if name is not None:  # later parts may reuse this answer as the student gave it
                    reused.setdefault(name, []).extend(asked_roundings(key) or [DEFAULT])
        return None

    def _displayed(self, variant: Variant, params: dict[str, Any]) -> dict[str, set[Rounding]]:
        """How each value is displayed in the prompts and solutions of this variant."""
        log: dict[str, set[Rounding]] = {}
        context: dict[str, Any] = {}
        for name, value in self._exact_values(params):
            context[name] = value if isinstance(value, str) else _Traced(value, name, log)
        shown_answers = {p: answer_markdown(k, labels=False) for p, k, _ in variant.gradable()}
        context["answer"] = shown_answers.get("", "")
        for source in self._texts:
            _render(source, context)
        return log

    def _exact_values(self, params: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        env = dict(params)
        yield from params.items()
        for name, formula in self.compiled.space.lets:
            env[name] = formula.value(env)
            yield name, env[name]

    def _grade(
        self,
        variant: Variant,
        params: dict[str, Any],
        key: NumericKey,
        formula: Any,
        ways: dict[str, list[Rounding]],
    ) -> str | None:
        """Recompute one answer along the careful student's path and grade what they type.

        ``ways`` holds, for each 'let' the answer depends on, how the student may have it
        written down; the coarsest of those is used.
        """
        from quizgen.grade.checkers import check_response

        env = dict(params)
        notes = []
        for name, let in self.compiled.space.lets:
            value = let.value(env)
            if ways.get(name):
                rounded = max((shown(value, w) for w in ways[name]), key=lambda s: _gap(s, value))
                if _gap(rounded, value) > 0:
                    notes.append(f"{name} ≈ {display(rounded)}")
                value = exact(rounded)
            env[name] = value
        if not notes:
            # Nothing was rounded on the way: the student's value is the key itself, which the
            # self-grade accepts typed in full and which every asked rounding keeps in
            # tolerance (asked_roundings picks only roundings the tolerance accepts).
            return None
        value = formula.value(env)
        responses = [_typed(value)] + [display(value, **_kw(w)) for w in asked_roundings(key)]
        for response in responses:
            verdict = check_response(key, response)
            if verdict.score != 1:
                used = f" (from {', '.join(notes)})" if notes else ""
                values = ", ".join(f"{p}={display(v)}" for p, v in params.items())
                return f"{response}{used} is marked wrong (key {key.display}) when {values}"
        return None


def _kw(how: Rounding) -> dict[str, int]:
    return {"sig": how[1]} if how[0] == "sig" else {"places": how[1]}


def _param_value(text: str) -> Any:
    try:
        return exact(fraction_of(text))
    except (ValueError, ZeroDivisionError):
        return text  # a text parameter


def _gap(a: Any, b: Any) -> Any:
    return abs(to_mpf(a) - to_mpf(b))


def _typed(value: Any) -> str:
    """A value in full, as a student's calculator would give it."""
    if isinstance(value, (int, Fraction)):
        text = display(Fraction(value))
        return text if fraction_of(text) == value else repr(float(value))
    return repr(float(value))
