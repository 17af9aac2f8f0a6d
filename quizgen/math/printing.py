"""Print sympy expressions as text that :mod:`quizgen.math.parse` reads back.

Keys store exact values and expressions as text; the grader re-reads them with the safe
parser, so the printer must only use that parser's syntax (``exp(1)``, not sympy's ``E``;
``abs``, not ``Abs``).
"""

from __future__ import annotations

import sympy
from sympy.printing.str import StrPrinter

__all__ = ["to_text"]


class _Printer(StrPrinter):
    def _print_Exp1(self, expr: sympy.Expr) -> str:
        return "exp(1)"

    def _print_Abs(self, expr: sympy.Expr) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_ceiling(self, expr: sympy.Expr) -> str:
        return f"ceil({self._print(expr.args[0])})"

    def _print_Min(self, expr: sympy.Expr) -> str:
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Max(self, expr: sympy.Expr) -> str:
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Heaviside(self, expr: sympy.Expr) -> str:
        # the parser builds heaviside(x) with H(0) = 1/2 only
        return f"heaviside({self._print(expr.args[0])})"


# order="none" prints sympy's canonical argument order (deterministic) and skips a costly
# re-sort of the terms.
_PRINTER = _Printer({"order": "none"})


def to_text(expr: sympy.Basic) -> str:
    """``expr`` as text in quizgen's math syntax (``^`` for powers, as people write them)."""
    return _PRINTER.doprint(expr).replace("**", "^")
