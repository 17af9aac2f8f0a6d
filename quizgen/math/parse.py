"""The one safe parser for student answers and instructor formulas.

Untrusted text becomes a sympy expression through a fixed pipeline of small passes, none of
which evaluates text as code::

    normalize (unicode.py) -> tokenize (tokens.py) -> parse (parser.py) -> build (build.py)

Every refusal is a :class:`quizgen.errors.MathSyntaxError` whose offset points into the
original text. The accepted syntax is documented in ``docs/math-syntax.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import sympy

from quizgen.errors import MathSyntaxError
from quizgen.math.build import build
from quizgen.math.functions import CONSTANTS, FUNCTIONS, SHADOWABLE
from quizgen.math.limits import DEFAULT_LIMITS, MAX_NAME_LENGTH, Limits
from quizgen.math.parser import Parser
from quizgen.math.tokens import tokenize

__all__ = ["CONSTANTS", "DEFAULT_LIMITS", "FUNCTIONS", "Limits", "free_names", "parse_math"]

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TOO_DEEP = "the expression is nested too deeply"


@lru_cache(maxsize=1024)
def _real_symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"symbol names must be strings, not {type(name).__name__}")
    if not _IDENTIFIER.fullmatch(name) or "__" in name or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"{name!r} is not a valid symbol name for a formula")
    if name in FUNCTIONS and name not in SHADOWABLE:
        raise ValueError(f"{name!r} is a function name and cannot be declared as a symbol")
    return name


def _symbol_table(symbols: Mapping[str, sympy.Symbol] | Iterable[str]) -> dict[str, sympy.Symbol]:
    if isinstance(symbols, str):
        raise TypeError("symbols must be a mapping or an iterable of names, not one string")
    if isinstance(symbols, Mapping):
        table = {_check_name(name): symbol for name, symbol in symbols.items()}
        for name, symbol in table.items():
            if not isinstance(symbol, sympy.Symbol):
                raise TypeError(f"symbols[{name!r}] must be a sympy.Symbol")
        return table
    return {_check_name(name): _real_symbol(name) for name in symbols}


def _check_text(text: str, limits: Limits) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if len(text) > limits.max_length:
        message = f"the input is too long ({len(text)} characters; limit {limits.max_length})"
        raise MathSyntaxError(message, text, limits.max_length)


def parse_math(
    text: str,
    symbols: Mapping[str, sympy.Symbol] | Iterable[str] = (),
    *,
    limits: Limits = DEFAULT_LIMITS,
    split_names: bool = True,
) -> sympy.Expr:
    """Parse untrusted math text into a sympy expression, without evaluating any code.

    Args:
        text: the student answer or instructor formula.
        symbols: the names the text may use: a mapping name -> prebuilt sympy.Symbol (used
            as given), or an iterable of names (each becomes ``Symbol(name, real=True)``).
            A declared ``e`` or ``pi`` hides the constant; function names cannot be declared.
        limits: resource limits; every check happens before the costly work.
        split_names: read an unknown name such as ``xy`` as ``x*y`` when it splits into
            declared names in exactly one way.

    Returns:
        The sympy expression (exact numbers: ``0.9`` is ``Rational(9, 10)``).

    Raises:
        MathSyntaxError: if the text is refused; ``offset`` points into ``text``.
        ValueError: if a declared symbol name is invalid or a function name.
        TypeError: if ``text`` is not a str or ``symbols`` has the wrong shape.
    """
    _check_text(text, limits)
    table = _symbol_table(symbols)
    try:
        tokens = tokenize(text, limits)
        tree = Parser(tokens, text, frozenset(table), split_names, limits).parse()
        return build(tree, text, table, limits)
    except RecursionError:  # a safety net: max_depth keeps recursion well below the limit
        raise MathSyntaxError(_TOO_DEEP, text, 0, len(text)) from None


def free_names(text: str, *, limits: Limits = DEFAULT_LIMITS) -> list[str]:
    """Names (identifiers that are not functions or constants) used by the formula.

    The text is only tokenized and parsed (no splitting of names, no evaluation), so value
    problems such as ``1/0`` are reported by :func:`parse_math`, not here.

    Args:
        text: an instructor formula.
        limits: resource limits.

    Returns:
        The names in order of first use.

    Raises:
        MathSyntaxError: on syntax errors, including calls of unknown functions.
    """
    _check_text(text, limits)
    parser = Parser(tokenize(text, limits), text, None, False, limits)
    try:
        parser.parse()
    except RecursionError:
        raise MathSyntaxError(_TOO_DEEP, text, 0, len(text)) from None
    return list(parser.names)
