"""The one Markdown+math pipeline: bank Markdown with ``$…$`` math to safe HTML.

Papers and feedback pages want math as MathML (offline, no script); an LMS wants TeX between
the MathJax delimiters its editor keeps (``\\(…\\)``, ``\\[…\\]``). Both go through here, and
differ only in the ``math`` style (:data:`MATH_STYLES`); everything else is shared:

* **one parser set-up**: CommonMark, XHTML output (``<br />``, so a QTI 2.1 item can embed it),
  pandoc's dollar rules (:func:`use_dollar_math`);
* **one link policy**: bank text is untrusted, so raw HTML comes out escaped, images are never
  rendered (a fetch), and only http, https and mailto links stay links;
* **one cache**: the variants of a question differ in their numbers, so texts that differ
  only in numbers share one parse of their shape (:mod:`quizgen.render.mdshape`), and whole
  texts are cached too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.common.utils import isWhiteSpace
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from quizgen.render import mathml, mdshape
from quizgen.render.mathml import math_to_mathml

__all__ = ["MATH_STYLES", "MathStyle", "clear_caches", "markdown_to_html", "use_dollar_math"]

MathStyle = Literal["mathml", "tex"]
CACHE_SIZE = 8192
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
# MathML math is left as a marker while digits are put back (private-use characters, which
# are removed from bank text first), and converted after: its markup depends on the digits.
_OPEN, _CLOSE = "\ue000", "\ue001"
_NO_MARKERS = str.maketrans({_OPEN: "\ufffd", _CLOSE: "\ufffd"})
_DEFERRED_MATH = re.compile("\ue000([IB])(.*?)\ue001", re.DOTALL)


def _identity(text: str) -> str:
    return text


def _mathml_marker(tex: str, display: bool) -> str:
    # quote=False: a quote escaped as "&#x27;" would write digits of its own into the parse.
    return f"{_OPEN}{'B' if display else 'I'}{html.escape(tex, quote=False)}{_CLOSE}"


def _convert_marker(match: re.Match[str]) -> str:
    return math_to_mathml(html.unescape(match[2]), display=match[1] == "B")


def _tex_span(tex: str, display: bool) -> str:
    opening, closing = ("\\[", "\\]") if display else ("\\(", "\\)")
    return f"{opening}{html.escape(tex.strip(), quote=False)}{closing}"


@dataclass(frozen=True)
class _Style:
    """How one math style writes a formula; the rest of the pipeline is shared."""

    span: Callable[[str, bool], str]  # (TeX, display) → what the parse writes in its place
    block: str  # how a ``$$…$$`` paragraph wraps its span
    prepare: Callable[[str], str] = _identity  # on the text, before parsing
    finish: Callable[[str], str] = _identity  # on the HTML, after the digits are back


MATH_STYLES: dict[str, _Style] = {
    # Papers: MathML, converted after the digits are back (a marker in the parse).
    "mathml": _Style(
        span=_mathml_marker,
        block="{}\n",
        prepare=lambda text: (
            text.translate(_NO_MARKERS) if _OPEN in text or _CLOSE in text else text
        ),
        finish=lambda out: _DEFERRED_MATH.sub(_convert_marker, out),
    ),
    # LMS: the TeX itself, which Canvas's and Moodle's MathJax render.
    "tex": _Style(span=_tex_span, block="<p>{}</p>\n"),
}


def markdown_to_html(text: str, *, inline: bool = False, math: MathStyle = "mathml") -> str:
    """Render bank Markdown to safe HTML.

    Args:
        text: CommonMark with ``$…$`` inline and ``$$…$$`` display math (pandoc's rules: no
            space inside the dollars, no digit right after the closing one, so "$5 and $6"
            stays text).
        inline: render without the paragraph wrapper (for option texts and short labels).
        math: ``"mathml"``: sanitized MathML (papers; TeX that cannot be converted becomes
            ``<code class="math-error">``); ``"tex"``: the TeX, escaped, between ``\\(…\\)``
            or ``\\[…\\]`` (an LMS's MathJax).

    Returns:
        XHTML in which raw HTML from ``text`` is escaped and only http, https and mailto links
        remain links.

    Raises:
        ValueError: an unknown ``math`` style.
    """
    if math not in MATH_STYLES:
        raise ValueError(f"unknown math style {math!r} (valid: {', '.join(MATH_STYLES)})")
    return _markdown(text, inline, math)


def clear_caches() -> None:
    """Forget every cached render, the MathML conversions included (benchmarks time a cold
    start with it)."""
    for cached in (_markdown, _slots, _parse):
        cached.cache_clear()
    mathml.clear_caches()


@lru_cache(maxsize=CACHE_SIZE)
def _markdown(text: str, inline: bool, math: str) -> str:
    style = MATH_STYLES[math]
    return style.finish(_with_digits(style.prepare(text), inline, math))


def _with_digits(text: str, inline: bool, math: str) -> str:
    """HTML for ``text``, sharing one parse among texts that differ only in their numbers.

    A Markdown parse costs far more than a substitution: the text's shape (its numbers
    replaced by ``0``, :mod:`quizgen.render.mdshape`) is parsed once and cut at its numbers
    (:func:`_slots`, cached), and the text's numbers are put back, in order. A shape whose
    numbers could matter to Markdown, or whose parse does not write them back one for one,
    is refused, and the text is parsed directly.
    """
    pieces = mdshape.split(text)  # text, number, text, …, number, text: one pass
    if len(pieces) == 1:
        return _parse(text, inline, math)
    shape = _slots(mdshape.shape(pieces), inline, math)
    if shape is None or (shape.markers and mdshape.marker_one(text)):
        return _parse(text, inline, math)
    return mdshape.fill(pieces, shape.slots)


@lru_cache(maxsize=CACHE_SIZE)
def _slots(skeleton: str, inline: bool, math: str) -> mdshape.Shape | None:
    """The parsed shape cut at each of its numbers; None if it cannot serve its texts."""
    return mdshape.slots(skeleton, lambda source: _render(source, inline, math))


@lru_cache(maxsize=CACHE_SIZE)
def _parse(text: str, inline: bool, math: str) -> str:
    return _render(text, inline, math)


def _render(text: str, inline: bool, math: str) -> str:
    """One parse of ``text`` by markdown-it (no cache, no shapes), stripped."""
    md = _parser(math)
    return (md.renderInline(text) if inline else md.render(text)).strip()


def _is_safe_link(url: str) -> bool:
    return url.strip().lower().startswith(_SAFE_SCHEMES)


def _escaped(src: str, index: int) -> bool:
    """Whether an odd number of backslashes precede ``src[index]``."""
    start = index
    while start > 0 and src[start - 1] == "\\":
        start -= 1
    return (index - start) % 2 == 1


def _closing_dollar(src: str, pos: int, double: bool) -> int:
    """Index of the unescaped closing ``$`` (or ``$$``) from ``pos``, or -1."""
    while (end := src.find("$", pos)) >= 0:
        if not _escaped(src, end) and (not double or src.startswith("$$", end)):
            return end
        pos = end + 1
    return -1


def _inline_math(state: StateInline, silent: bool) -> bool:
    """``$…$`` and ``$$…$$`` inside a paragraph, with pandoc's rules.

    Replaces the dollarmath plugin's inline rule, which reads ``src[-1]`` (the paragraph's
    last character) as "the character before" a ``$`` at the very start, so "$x$ is 5"
    stayed text.
    """
    src, start = state.src, state.pos
    if src[start] != "$" or _escaped(src, start) or (start > 0 and src[start - 1].isdigit()):
        return False
    double = src.startswith("$$", start)
    opening = start + (2 if double else 1)
    if opening >= len(src) or (not double and isWhiteSpace(ord(src[opening]))):
        return False
    end = _closing_dollar(src, opening, double)
    if end <= opening or (not double and isWhiteSpace(ord(src[end - 1]))):
        return False
    after = end + (2 if double else 1)
    if after < len(src) and src[after].isdigit():
        return False
    if not silent:
        token = state.push("math_inline_double" if double else "math_inline", "math", 0)
        token.content = src[opening:end]
        token.markup = "$$" if double else "$"
    state.pos = after
    return True


def use_dollar_math(md: MarkdownIt) -> MarkdownIt:
    """Teach ``md`` pandoc's ``$…$`` / ``$$…$$`` math, as every quizgen output reads it.

    The dollarmath plugin with pandoc's rules (no space inside the dollars, no digit right
    after the closing one), its inline rule replaced by a fixed one (see
    :func:`_inline_math`). Tokens: ``math_inline``, ``math_inline_double``, ``math_block``.

    Returns:
        ``md``, for chaining.
    """
    md.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        double_inline=True,
    )
    md.inline.ruler.at("math_inline", _inline_math)
    return md


def _math_rule(style: _Style, display: bool) -> Any:
    """A markdown-it render rule writing one formula in ``style``."""

    def rule(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        span = style.span(token.content, display)
        return style.block.format(span) if token.block else span

    return rule


@lru_cache(maxsize=len(MATH_STYLES))
def _parser(math: str) -> MarkdownIt:
    style = MATH_STYLES[math]
    md = use_dollar_math(MarkdownIt("commonmark", {"html": False, "xhtmlOut": True}))
    md.disable("image")  # an image would be a network fetch; its Markdown stays as text
    md.validateLink = _is_safe_link  # type: ignore[method-assign]
    md.add_render_rule("math_inline", _math_rule(style, False))
    md.add_render_rule("math_inline_double", _math_rule(style, True))
    md.add_render_rule("math_block", _math_rule(style, True))
    return md
