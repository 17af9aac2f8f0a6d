"""Bank Markdown to the HTML an LMS shows: math stays TeX, between MathJax delimiters.

Canvas and Moodle render ``\\(…\\)`` and ``\\[…\\]`` with MathJax, so ``$…$`` becomes
``\\(…\\)`` and ``$$…$$`` becomes ``\\[…\\]``; the paper renderer (:mod:`quizgen.render.mathtext`)
writes MathML instead, which these LMS editors do not keep. The Markdown rules and the safety
rules are the same as there: raw HTML is escaped, images are not rendered, only http, https
and mailto links stay links. Output is XHTML (``<br />``), so it can also be embedded as XML in
a QTI 2.1 item body.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from quizgen.render.mathtext import use_dollar_math

__all__ = ["lms_html", "plain_text"]

CACHE_SIZE = 8192
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
# Texts that differ only in their numbers share one Markdown parse (see _skeleton_render).
_DIGITS = re.compile(r"[0-9]+")
_ORDERED_ITEM = re.compile(r"^[ \t>]*[0-9]{1,9}[.)](?:[ \t]|$)", re.MULTILINE)
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)|([^<]+)")


def lms_html(text: str, *, inline: bool = False) -> str:
    """Render bank Markdown to LMS HTML with ``\\(…\\)``/``\\[…\\]`` math.

    Args:
        text: CommonMark with ``$…$`` and ``$$…$$`` math (pandoc's dollar rules, as in
            :func:`quizgen.render.mathtext.markdown_to_html`).
        inline: render without the paragraph wrapper (option texts, short labels).

    Returns:
        XHTML in which any HTML written in ``text`` is escaped.
    """
    if not text:
        return ""
    return _skeleton_render(text, inline)


def plain_text(text: str) -> str:
    """A one-line plain-text form of short Markdown (titles, names): math keeps its TeX."""
    return " ".join(text.replace("$", "").split())


def _skeleton_render(text: str, inline: bool) -> str:
    """Render ``text``, reusing the parse of texts that differ from it only in their digits.

    The variants of one question differ in their numbers, and a Markdown parse costs far more
    than a string substitution. Every run of digits becomes ``0`` (still a digit, so pandoc's
    dollar rules decide the same), the skeleton is rendered once (cached), and the runs are
    put back, in order, into the text between tags. Texts where a number could change the
    structure or be copied into an attribute (ordered lists, links, character references)
    are rendered directly; so is any text whose runs do not come back one for one.
    """
    if _ORDERED_ITEM.search(text) or "[" in text or "<" in text or "&" in text:
        return _render(text, inline)
    runs = _DIGITS.findall(text)
    if not runs:
        return _render(text, inline)
    literals = _slots(_DIGITS.sub("0", text), inline)
    if len(literals) != len(runs) + 1:
        return _render(text, inline)
    pieces = [literals[0]]
    for run, literal in zip(runs, literals[1:], strict=True):
        pieces += (run, literal)
    return "".join(pieces)


@lru_cache(maxsize=CACHE_SIZE)
def _slots(skeleton_text: str, inline: bool) -> tuple[str, ...]:
    """The rendered skeleton cut at each ``0`` of its text nodes (never inside a tag)."""
    literals, current = [], []
    for match in _TAG_OR_TEXT.finditer(_render(skeleton_text, inline)):
        tag, body = match.groups()
        if tag is not None:
            current.append(tag)
            continue
        parts = _DIGITS.split(body)
        current.append(parts[0])
        for part in parts[1:]:
            literals.append("".join(current))
            current = [part]
    literals.append("".join(current))
    return tuple(literals)


@lru_cache(maxsize=CACHE_SIZE)
def _render(text: str, inline: bool) -> str:
    md = _parser()
    if inline:
        return md.renderInline(text).strip()
    return md.render(text).strip()


def _is_safe_link(url: str) -> bool:
    return url.strip().lower().startswith(_SAFE_SCHEMES)


def _math_rule(display: bool) -> Any:
    opening, closing = ("\\[", "\\]") if display else ("\\(", "\\)")

    def rule(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        tex = html.escape(token.content.strip(), quote=False)
        if token.block:
            return f"<p>{opening}{tex}{closing}</p>\n"
        return f"{opening}{tex}{closing}"

    return rule


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # The same $…$ rules as papers (the plain plugin misses "$h$ × 12" at a line's start).
    md = use_dollar_math(MarkdownIt("commonmark", {"html": False, "xhtmlOut": True}))
    md.disable("image")  # an LMS import must not depend on fetching a file
    md.validateLink = _is_safe_link  # type: ignore[method-assign]
    md.add_render_rule("math_inline", _math_rule(False))
    md.add_render_rule("math_inline_double", _math_rule(True))
    md.add_render_rule("math_block", _math_rule(True))
    return md
