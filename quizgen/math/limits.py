"""Resource limits of the math parser (all checked before any expensive work)."""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = [
    "BANK_LIMITS",
    "DEFAULT_LIMITS",
    "EXP_ARG_BITS",
    "FLOOR_ARG_BITS",
    "HARD_MAX_DEPTH",
    "MAX_DEGREE",
    "MAX_NAME_LENGTH",
    "ROOT_BITS",
    "TRIG_ARG_BITS",
    "Limits",
]

#: Longest identifier accepted.
MAX_NAME_LENGTH = 40
#: ``max_depth`` may not exceed this (the parser and sympy recurse once per level).
HARD_MAX_DEPTH = 100
#: Largest |argument| of exp/sinh/cosh/sigmoid (and of a non-numeric exponent), as log2.
EXP_ARG_BITS = 256
#: Largest |argument| of sin/cos/tan and their inverses, as log2.
TRIG_ARG_BITS = 2000
#: Largest |argument| of floor/ceil when it is not an exact fraction, as log2.
FLOOR_ARG_BITS = 256
#: Largest total size (bits) of exact numbers under fractional powers in one product.
ROOT_BITS = 400
#: Largest algebraic degree of the numeric constants in one sum or product (sqrt(2)+sqrt(3): 4).
MAX_DEGREE = 16


@dataclass(frozen=True)
class Limits:
    """Resource limits for :func:`quizgen.math.parse_math`.

    Attributes:
        max_length: characters of input.
        max_depth: nesting of parentheses, function calls, signs and powers (at most 100).
        max_digits: digits in one numeric literal.
        max_exponent: largest |exponent| of a power whose exponent is a number, and of the
            ``e`` part of scientific notation.
        max_result_bits: largest exact number (in bits) a power, product or sum may produce;
            estimated before sympy computes it.
        max_nodes: syntax-tree nodes.
    """

    max_length: int = 1000
    max_depth: int = 60
    max_digits: int = 60
    max_exponent: int = 1000
    max_result_bits: int = 14000
    max_nodes: int = 2000

    def __post_init__(self) -> None:
        """Refuse non-positive limits and a depth beyond what recursion allows."""
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Limits.{item.name} must be a positive integer, not {value!r}")
        if self.max_depth > HARD_MAX_DEPTH:
            raise ValueError(f"Limits.max_depth may be at most {HARD_MAX_DEPTH}")


DEFAULT_LIMITS = Limits()
#: Instructor formulas (bank formulas, keys): larger exponents and exact numbers, as a key
#: such as (x - a)^6000 needs; the evaluator and the grader's expand bound keep time bounded.
#: (max_result_bits stays: an exact number must still print as text in key.json.)
BANK_LIMITS = Limits(max_length=5000, max_exponent=100_000)
