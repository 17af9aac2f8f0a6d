"""The one factory for jinja environments: sandboxed, StrictUndefined.

Bank prompts and solutions are untrusted text, so they render in a sandbox; a name that is
not defined is an error, never an empty string. Filters format exact numbers.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from quizgen.numbers import Num, display

__all__ = ["bank_environment", "compile_text", "template_names"]


def _exact(value: Any) -> Any:
    return value.exact if isinstance(value, Num) else value


def _sig(value: Any, digits: int = 3) -> str:
    """Round to ``digits`` significant figures."""
    return display(_exact(value), sig=digits)


def _fixed(value: Any, places: int = 2) -> str:
    """Round to ``places`` decimals."""
    return display(_exact(value), places=places)


def _thousands(value: Any) -> str:
    """Group an integer's digits: 20362 → 20,362."""
    exact = _exact(value)
    if isinstance(exact, int):
        return f"{exact:,}"
    if isinstance(exact, Fraction) and exact.denominator == 1:
        return f"{exact.numerator:,}"
    return str(value)


def _tex(value: Any) -> str:
    """LaTeX for a value: 3/7 → \\frac{3}{7} (use inside $…$)."""
    exact = _exact(value)
    if isinstance(exact, Fraction) and exact.denominator != 1:
        sign = "-" if exact < 0 else ""
        return f"{sign}\\frac{{{abs(exact.numerator)}}}{{{exact.denominator}}}"
    return str(value)


@lru_cache(maxsize=1)
def bank_environment() -> jinja2.Environment:
    """The sandboxed environment for bank text (Markdown, so no autoescape)."""
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(sig=_sig, fixed=_fixed, thousands=_thousands, tex=_tex)
    return env


def compile_text(text: str) -> jinja2.Template:
    """Compile bank text; raises jinja2.TemplateSyntaxError on bad syntax."""
    return bank_environment().from_string(text)


def template_names(text: str) -> set[str]:
    """Names a template reads from its context (to check them before rendering)."""
    from jinja2 import meta

    env = bank_environment()
    return set(meta.find_undeclared_variables(env.parse(text)))
