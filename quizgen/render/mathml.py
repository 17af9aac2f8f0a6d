"""One TeX formula to sanitized MathML, for papers and feedback pages (no script, no network).

latex2mathml does the conversion; everything it writes is then whitelisted (tags, attributes,
attribute values), because bank TeX is untrusted: ``\\href``, ``\\style`` and friends must not
reach a page. TeX that cannot be converted is shown escaped in ``<code class="math-error">``.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from xml.etree.ElementTree import Element, tostring

__all__ = ["MATHML_NS", "math_to_mathml"]

CACHE_SIZE = 4096
MAX_TEX = 2000  # longer formulas are shown as TeX: nobody writes them by hand in a quiz
MATHML_NS = "http://www.w3.org/1998/Math/MathML"
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
    # Imported here: the terminal tutor reads the Markdown pipeline for its dollar-math rules
    # only, and latex2mathml (with the xml and http modules it pulls in) costs it ~0.1 s.
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
