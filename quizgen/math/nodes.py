"""The parser's own small syntax tree (pass 3 output, pass 4 input).

Every node records the span it covers in the ORIGINAL text, for carets in error messages.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Add", "Call", "Const", "Inv", "Mul", "Neg", "Node", "Num", "Pow", "Sym"]


@dataclass(frozen=True, slots=True)
class Num:
    """An exact number ``numerator / denominator``."""

    numerator: int
    denominator: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sym:
    """A declared (or, for free_names, any non-reserved) name."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Const:
    """A built-in constant: ``pi`` or ``e``."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus, or a subtracted term; ``op`` is the offset of the '-'."""

    operand: Node
    op: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Inv:
    """A divisor (``a / b`` is Mul(a, Inv(b))); ``op`` is the offset of the '/'."""

    operand: Node
    op: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Add:
    """A sum of two or more terms."""

    terms: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Mul:
    """A product of two or more factors (explicit or implicit multiplication)."""

    factors: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Pow:
    """``base ^ exponent``; ``op`` is the offset of the '^'."""

    base: Node
    exponent: Node
    op: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a whitelisted function."""

    name: str
    args: tuple[Node, ...]
    start: int
    end: int


Node = Num | Sym | Const | Neg | Inv | Add | Mul | Pow | Call
