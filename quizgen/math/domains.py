"""The one table of variable domains, for bank formulas and student answers alike.

Sympy-free at import: the bank model and submission readers use the names and the type.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import sympy

__all__ = ["ASSUMPTIONS", "DOMAINS", "Domain", "domain_symbol"]

#: The domains a variable may be declared in, with the sympy assumptions each implies.
ASSUMPTIONS: MappingProxyType[str, dict[str, bool]] = MappingProxyType(
    {
        "real": {"real": True},
        "positive": {"positive": True},
        "nonnegative": {"nonnegative": True},
        "integer": {"integer": True},
        "positive integer": {"positive": True, "integer": True},
        "nonnegative integer": {"nonnegative": True, "integer": True},
    }
)
DOMAINS = tuple(ASSUMPTIONS)
Domain = Literal[
    "real", "positive", "nonnegative", "integer", "positive integer", "nonnegative integer"
]


def domain_symbol(name: str, domain: str = "real") -> sympy.Symbol:
    """The sympy symbol for a variable declared with ``domain``."""
    import sympy

    return sympy.Symbol(name, **ASSUMPTIONS[domain])
