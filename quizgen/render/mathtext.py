"""Turn bank Markdown with ``$…$`` math into safe HTML with MathML.

Bank text is untrusted: raw HTML comes out escaped, links are kept only for http, https and
mailto, images are never fetched, and every math span becomes sanitized MathML (or, if
latex2mathml cannot read it, the escaped TeX in ``<code class="math-error">``). The same
strings repeat across thousands of variants, so conversions are cached.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import Element, tostring

from markdown_it import MarkdownIt
from markdown_it.common.utils import isWhiteSpace
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

__all__ = ["markdown_to_html", "math_to_mathml", "use_dollar_math"]

CACHE_SIZE = 4096
MAX_TEX = 2000  # longer formulas are shown as TeX: nobody writes them by hand in a quiz
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
# Macro definitions can expand exponentially; bank authors never need them.
_REFUSED_TEX = re.compile(
    r"\\(?:newcommand|renewcommand|providecommand|def|gdef|edef|xdef|newenvironment"
    r"|renewenvironment|DeclareMathOperator)(?![A-Za-z])"
)
_TAG_NAMES = (
    "math mrow mi mn mo ms mtext mspace mfrac msqrt mroot mstyle merror mpadded mphantom"
    " menclose msub msup msubsup munder mover munderover mmultiscripts mprescripts none"
    " mtable mtr mtd semantics annotation"
)
_ATTRIBUTE_NAMES = (
    "display mathvariant stretchy fence separator lspace rspace minsize maxsize"
    " movablelimits largeop symmetric accent accentunder columnalign rowalign columnlines"
    " rowlines columnspacing rowspacing frame framespacing displaystyle scriptlevel"
    " linethickness mathsize mathcolor mathbackground width height depth voffset notation"
    " columnspan rowspan form linebreak"
)
_MATHML_TAGS = frozenset(_TAG_NAMES.split())
_MATHML_ATTRS = frozenset(_ATTRIBUTE_NAMES.split())
_SAFE_VALUE = re.compile(r"[\w#%.+\- ]{0,64}")
# Math is rendered as a marker first (private-use characters, removed from bank text).
_OPEN, _CLOSE = "\ue000", "\ue001"
_NO_MARKERS = str.maketrans({_OPEN: "\ufffd", _CLOSE: "\ufffd"})
_DEFERRED_MATH = re.compile("\ue000([IB])(.*?)\ue001", re.DOTALL)
_DIGIT = re.compile(r"[0-9]")
# Where a digit's value matters to Markdown: links and autolinks copy it into an attribute,
# character references read it, and only "1." may start a list that interrupts a paragraph.
_DIGITS_MATTER = re.compile(r"[\[<&]|^[ \t>*+\-]*[0-9]+[.)]", re.MULTILINE)
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)|([^<]+)")


def math_to_mathml(tex: str, display: bool = False) -> str:
    """Convert one TeX formula to a sanitized ``<math>`` element.

    Args:
        tex: the formula, without its ``$`` delimiters.
        display: True for a display (block) formula, False for inline.

    Returns:
        ``<math display="inline|block">…</math>``; for TeX that latex2mathml cannot
        convert, ``<code class="math-error">`` holding the escaped TeX instead. Never raises.
    """
    return _mathml(tex.strip(), display)


@lru_cache(maxsize=CACHE_SIZE)
def _mathml(tex: str, display: bool) -> str:
    if not tex or len(tex) > MAX_TEX or _REFUSED_TEX.search(tex):
        return _math_error(tex)
    # Imported here: the terminal tutor reads this module for its dollar-math rules only,
    # and latex2mathml (with the xml and http modules it pulls in) costs it ~0.1 s.
    from latex2mathml.converter import convert_to_element

    try:
        root = convert_to_element(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many types (even RecursionError) on bad TeX
        return _math_error(tex)
    _sanitize(root)
    return tostring(root, encoding="unicode")


def _math_error(tex: str) -> str:
    return f'<code class="math-error" title="formula not understood">{html.escape(tex)}</code>'


def _sanitize(root: Element) -> None:
    """Whitelist tags and attributes, and turn latex2mathml's entity text into characters.

    latex2mathml writes entities such as ``&#x0003C;`` into text nodes and unescapes its own
    serialization, which would let ``\\text{<script>}`` through as markup; here the text is
    decoded once and :func:`tostring` escapes it properly.
    """
    for element in root.iter():
        if element.tag not in _MATHML_TAGS:
            element.tag = "mrow"
        for name, value in list(element.attrib.items()):
            if name == "xmlns" and value == MATHML_NS:
                continue
            if name not in _MATHML_ATTRS or not _SAFE_VALUE.fullmatch(value):
                del element.attrib[name]  # drops href, style, on* and odd values
        if element.text:
            element.text = html.unescape(element.text)
        if element.tail:
            element.tail = html.unescape(element.tail)


def markdown_to_html(text: str, *, inline: bool = False) -> str:
    """Render bank Markdown to safe HTML, math as MathML.

    Args:
        text: CommonMark with ``$…$`` inline and ``$$…$$`` display math (pandoc's rules: no
            space inside the dollars, no digit right after the closing one, so "$5 and $6"
            stays text).
        inline: render without the paragraph wrapper (for option texts and short labels).

    Returns:
        HTML in which raw HTML from ``text`` is escaped and only http, https and mailto links
        remain links.
    """
    return _markdown(text, inline)


@lru_cache(maxsize=CACHE_SIZE)
def _markdown(text: str, inline: bool) -> str:
    text = text.translate(_NO_MARKERS)
    return _DEFERRED_MATH.sub(_convert_deferred, _with_digits(text, inline))


def _with_digits(text: str, inline: bool) -> str:
    """HTML for ``text`` (math still deferred), sharing one parse among texts that differ only
    in their digits.

    The variants of a question differ in their numbers, and a Markdown parse costs far more
    than a substitution. Every digit becomes ``0`` (still a digit: the dollar rules and
    emphasis rules decide the same, and lengths are kept), the skeleton is parsed once
    (cached) and the digits are put back, in order, into its text. Texts where a digit's
    value matters (:data:`_DIGITS_MATTER`) are parsed directly, as is any text whose digits
    do not come back one for one (a code block's info string, say).
    """
    digits = _DIGIT.findall(text)
    if not digits or _DIGITS_MATTER.search(text):
        return _parse(text, inline)
    filled = _refill(_parse(_DIGIT.sub("0", text), inline), digits)
    return filled if filled is not None else _parse(text, inline)


def _refill(skeleton: str, digits: list[str]) -> str | None:
    """Put ``digits`` back into the text between the tags of ``skeleton``, one per ``0``.

    Returns None when they do not fit one for one, or when a tag holds a ``0``.
    """
    pieces: list[str] = []
    queue = iter(digits)
    for tag, body in _TAG_OR_TEXT.findall(skeleton):
        if tag:
            if "0" in tag:
                return None
            pieces.append(tag)
            continue
        chunks = body.split("0")
        pieces.append(chunks[0])
        for chunk in chunks[1:]:
            digit = next(queue, None)
            if digit is None:
                return None
            pieces += (digit, chunk)
    return None if next(queue, None) is not None else "".join(pieces)


@lru_cache(maxsize=CACHE_SIZE)
def _parse(text: str, inline: bool) -> str:
    md = _parser()
    return (md.renderInline(text) if inline else md.render(text)).strip()


def _convert_deferred(match: re.Match[str]) -> str:
    return math_to_mathml(html.unescape(match[2]), display=match[1] == "B")


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


def _defer_math(display: bool) -> Any:
    """A render rule that leaves a marker; the TeX is converted after the digits are back."""
    kind = "B" if display else "I"

    def rule(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        marker = f"{_OPEN}{kind}{html.escape(tokens[idx].content)}{_CLOSE}"
        return f"{marker}\n" if tokens[idx].block else marker

    return rule


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


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = use_dollar_math(MarkdownIt("commonmark", {"html": False}))
    md.disable("image")  # an image would be a network fetch; its Markdown stays as text
    md.validateLink = _is_safe_link  # type: ignore[method-assign]
    md.add_render_rule("math_inline", _defer_math(False))
    md.add_render_rule("math_inline_double", _defer_math(True))
    md.add_render_rule("math_block", _defer_math(True))
    return md
