"""LaTeX math to readable Unicode text, for a terminal.

pylatexenc parses the formula and knows the symbols (Greek letters, ``\\times``, ``\\odot``,
accents, ``\\mathbf``); this module adds what a terminal reader needs on top of it:
sub- and superscripts as Unicode characters where every character has one (``h_{t-1}`` →
``hₜ₋₁``, ``h^2`` → ``h²``) and ``_x``/``^(…)`` otherwise (``W_{hy}`` → ``W_hy``: there is
no subscript y), fractions as ``a/b`` with brackets where needed, and roots as ``√x``.
Never raises: text it cannot parse comes back as it was written.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

__all__ = ["latex_to_unicode"]

MAX_TEX = 2000  # longer formulas are shown as written

_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW⊤′",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵀ′",
        strict=True,
    )
)
_SUBSCRIPTS = dict(
    zip(
        "0123456789+-−=()aehijklmnoprstuvxβγρφχ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ",
        strict=True,
    )
)
_OPERATORS = set(" +-−=<>≤≥×·⊙/,:;")
_UNSPACED = set("∂∇∞√∑∏∫¬′")  # math symbols that read as part of a term, not between two


def latex_to_unicode(tex: str) -> str:
    """Readable Unicode for one formula (without its ``$`` delimiters).

    Examples: ``h_t = \\tanh(W_{xh} x_t)`` → ``hₜ = tanh(Wₓₕ xₜ)``;
    ``\\frac{a+b}{2}`` → ``(a+b)/2``; ``\\sqrt{x}`` → ``√x``; ``0.9^{20}`` → ``0.9²⁰``.
    """
    return _convert(tex.strip())


@lru_cache(maxsize=4096)
def _convert(tex: str) -> str:
    if not tex or len(tex) > MAX_TEX or not _balanced(tex):
        return tex
    try:
        return " ".join(_converter().math_to_text(tex).split())
    except Exception:  # pylatexenc on malformed TeX, or recursion: show the source
        return tex


def _balanced(tex: str) -> bool:
    """Whether the unescaped braces of ``tex`` pair up (else pylatexenc guesses)."""
    depth = 0
    for i, ch in enumerate(tex):
        if ch in "{}" and not _escaped(tex, i):
            depth += 1 if ch == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def _escaped(text: str, index: int) -> bool:
    start = index
    while start > 0 and text[start - 1] == "\\":
        start -= 1
    return (index - start) % 2 == 1


def script(text: str, table: dict[str, str], mark: str) -> str:
    """``text`` as Unicode sub/superscript characters, or ``_x``/``_(x+1)`` when one lacks."""
    text = text.strip()
    if text and all(ch in table for ch in text):
        return "".join(table[ch] for ch in text)
    if len(text) <= 1 or text.isalnum():
        return mark + text
    return f"{mark}({text})"


def bracketed(text: str) -> str:
    """``text`` in brackets when it is not a single term (for fractions and roots)."""
    text = text.strip()
    if any(ch in _OPERATORS for ch in text) and not _wrapped(text):
        return f"({text})"
    return text


def _wrapped(text: str) -> bool:
    """Whether ``text`` is one bracketed group, as in ``(a+b)`` (not ``(a)+(b)``)."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and i < len(text) - 1:
            return False
    return True


@lru_cache(maxsize=1)
def _converter() -> Any:
    """The pylatexenc converter, built on first use (it takes ~50 ms to import)."""
    from pylatexenc import latexwalker
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    def frac(node: Any, l2tobj: Any) -> str:
        top, bottom = l2tobj.node_arg_to_text(node, 0), l2tobj.node_arg_to_text(node, 1)
        return f"{bracketed(top)}/{bracketed(bottom)}"

    def sqrt(node: Any, l2tobj: Any) -> str:
        args = node.nodeargd.argnlist if node.nodeargd else []
        index = l2tobj.node_arg_to_text(node, 0) if args and args[0] is not None else ""
        body = bracketed(l2tobj.node_arg_to_text(node, len(args) - 1)) if args else ""
        roots = {"": "√", "2": "√", "3": "∛", "4": "∜"}
        return (
            roots[index] + body
            if index in roots
            else script(index, _SUPERSCRIPTS, "^") + "√" + body
        )

    def text_arg(node: Any, l2tobj: Any) -> str:
        return l2tobj.node_arg_to_text(node, 0)

    def binom(node: Any, l2tobj: Any) -> str:
        top, bottom = l2tobj.node_arg_to_text(node, 0), l2tobj.node_arg_to_text(node, 1)
        return f"C({top}, {bottom})"

    context = get_default_latex_context_db().filter_context()  # a copy we may extend
    specs = [MacroTextSpec(name, simplify_repl=frac) for name in ("frac", "dfrac", "tfrac")]
    specs.append(MacroTextSpec("sqrt", simplify_repl=sqrt))
    specs.append(MacroTextSpec("binom", simplify_repl=binom))
    specs += [
        MacroTextSpec(name, simplify_repl=text_arg)
        for name in ("text", "textrm", "mathrm", "operatorname", "mbox", "textit")
    ]
    specs += [MacroTextSpec(name, simplify_repl=" ") for name in (",", ";", ":", "quad", "qquad")]
    symbols = {"cdot": "·", "times": "×", "odot": "⊙", "circ": "∘", "ne": "≠", "top": "⊤"}
    specs += [MacroTextSpec(name, simplify_repl=char) for name, char in symbols.items()]
    context.add_context_category("quizgen-terminal", macros=specs, prepend=True)

    class Converter(LatexNodes2Text):
        """LatexNodes2Text with sub/superscripts attached to what follows ``_`` and ``^``."""

        def math_to_text(self, tex: str) -> str:
            walker = latexwalker.LatexWalker(tex, tolerant_parsing=True)
            state = walker.make_parsing_state(in_math_mode=True)
            nodes, _, _ = walker.get_latex_nodes(parsing_state=state)
            return self.nodelist_to_text(nodes)

        def nodelist_to_text(self, nodelist: list[Any]) -> str:
            out: list[str] = []
            pending = ""  # "_" or "^" waiting for its argument
            for node in nodelist:
                if node is None:
                    continue
                if node.isNodeType(latexwalker.LatexCharsNode):
                    pending = self._chars(node.chars, pending, out)
                    continue
                text = self.node_to_text(node)
                if _is_operator(text):  # a relation or operator macro: space it out
                    text = f" {text} "
                if pending:
                    out.append(_script(pending, text))
                    pending = ""
                else:
                    out.append(text)
                if self._is_bare_macro_node(node) and node.macro_post_space and text[-1:].isalnum():
                    out.append(" ")
            if pending:
                out.append(pending)
            return "".join(out)

        def _chars(self, chars: str, pending: str, out: list[str]) -> str:
            i = 0
            while i < len(chars):
                ch = chars[i]
                if pending and not ch.isspace():
                    out.append(_script(pending, ch))
                    pending = ""
                elif ch in "_^" and not pending:
                    pending = ch
                elif not pending:
                    out.append(ch)
                i += 1
            return pending

    return Converter(latex_context=context, math_mode="text", strict_latex_spaces=True)


def _is_operator(text: str) -> bool:
    """One math symbol (Unicode Sm) that stands between terms: ×, ≤, ∈, →, …"""
    return (
        len(text) == 1 and unicodedata.category(text) == "Sm" and text not in _UNSPACED
    ) or text == "·"


def _script(mark: str, text: str) -> str:
    return script(text, _SUBSCRIPTS if mark == "_" else _SUPERSCRIPTS, mark)
