"""One TeX formula to sanitized MathML, for papers and feedback pages (no script, no network).

latex2mathml does the conversion; everything it writes is then whitelisted (tags, attributes,
attribute values), because bank TeX is untrusted: ``\\href``, ``\\style`` and friends must not
reach a page. TeX that cannot be converted is shown escaped in ``<code class="math-error">``.

The variants of a question differ in their numbers, so formulas that differ only in their
digits share one conversion (:func:`_shape`): the formula's *shape* is converted once and the
digits are put back where the conversion wrote them. A whole number that latex2mathml reads
as one token counts as one digit there (:func:`_folded`), so ``0.25`` and ``0.5`` share a shape
too, once a probe has shown that the shape writes any number in one piece.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from xml.etree.ElementTree import Element, tostring

__all__ = ["MATHML_NS", "clear_caches", "math_to_mathml"]

CACHE_SIZE = 4096
SHAPE_CACHE_SIZE = 4096
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
_DIGIT = re.compile(r"[0-9]")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)|([^<]+)")
_PROBE_BASE = 9  # probe digits are 1-9, so none can be taken for the shape's 0
_ZERO = re.compile("0")
# A number as latex2mathml's tokenizer reads it, and what makes it read one otherwise: a
# command just before (\\frac12 takes single digits) or a unit just after (a dimension).
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_COMMAND_END = re.compile(r"\\[A-Za-z]+$")
_UNIT = re.compile(r"\s*(?:in|mm|cm|pt|em|ex|pc|bp|dd|cc|sp|mu)")


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


def clear_caches() -> None:
    """Forget every cached conversion (benchmarks time a cold start; tests compare paths)."""
    _mathml.cache_clear()
    _shape.cache_clear()
    _whole_shape.cache_clear()


@lru_cache(maxsize=CACHE_SIZE)
def _mathml(tex: str, display: bool) -> str:
    if not tex or len(tex) > MAX_TEX or _REFUSED_TEX.search(tex):
        return _math_error(tex)
    digits = _DIGIT.findall(tex)
    if digits:
        skeleton, whole, numbers = _folded(tex)
        if len(numbers) < len(digits):  # a number of several digits: try it as one
            shape = _whole_shape(skeleton, display, whole)
            if shape is not None:
                return _fill(shape, numbers)
        shape = _shape(_DIGIT.sub("0", tex), display)
        if shape is not None:
            return _fill(shape, digits)
    return _convert(tex, display)


def _fill(shape: tuple[tuple[str, ...], tuple[int, ...]], values: list[str]) -> str:
    """A shape's MathML with ``values`` (the texts of its 0s, in TeX order) put back."""
    slots, order = shape
    pieces = [slots[0]]
    for index, slot in zip(order, slots[1:], strict=True):
        pieces += (values[index], slot)
    return "".join(pieces)


def _folded(tex: str) -> tuple[str, tuple[bool, ...], list[str]]:
    """The formula with each whole number that latex2mathml reads as one token as one 0.

    Returns (skeleton, whole, texts): for each 0 of the skeleton, whether it stands for a
    whole number and the text it stands for. A number is read as one token (``<mn>12.5</mn>``)
    unless a script or a command takes its first digit (``x^12``, ``\\frac12``), a dot
    starts it (``.5``) or a unit follows it (a dimension); there each digit is its own 0,
    as in :func:`_shape`.
    """
    pieces: list[str] = []
    whole: list[bool] = []
    texts: list[str] = []
    position = 0
    for match in _NUMBER.finditer(tex):
        number = match.group()
        pieces.append(tex[position : match.start()])
        before = tex[: match.start()].rstrip()
        if (
            before.endswith(("^", "_", "."))
            or _COMMAND_END.search(before)
            or _UNIT.match(tex, match.end())
        ):
            pieces.append(_DIGIT.sub("0", number))
            found = _DIGIT.findall(number)
            whole += [False] * len(found)
            texts += found
        else:
            pieces.append("0")
            whole.append(True)
            texts.append(number)
        position = match.end()
    pieces.append(tex[position:])
    return "".join(pieces), tuple(whole), texts


@lru_cache(maxsize=SHAPE_CACHE_SIZE)
def _whole_shape(
    skeleton: str, display: bool, whole: tuple[bool, ...]
) -> tuple[tuple[str, ...], tuple[int, ...]] | None:
    """:func:`_shape` of a skeleton whose 0s stand for whole numbers where ``whole`` says.

    The shape is learned from digits, as any shape; it is kept only if a probe with numbers
    of several digits and a decimal part in the places of the whole numbers (``10.5``,
    ``11.5``, …) converts to exactly that shape filled with them: the conversion writes a
    whole number where it wrote its 0. Otherwise None, and the formula is taken digit by
    digit.
    """
    shape = _shape(skeleton, display)
    if shape is None:
        return None
    values = [f"{10 + i}.5" if w else "0" for i, w in enumerate(whole)]
    numbers = iter(values)
    probe = _ZERO.sub(lambda _: next(numbers), skeleton)
    return shape if _convert(probe, display) == _fill(shape, values) else None


@lru_cache(maxsize=SHAPE_CACHE_SIZE)
def _shape(skeleton: str, display: bool) -> tuple[tuple[str, ...], tuple[int, ...]] | None:
    """The MathML of a formula whose digits are all 0, cut at the digits it writes.

    Returns (slots, order): the MathML is ``slots[0]``, then the formula's digit number
    ``order[0]`` (counting from the left of the TeX), then ``slots[1]``, and so on. The
    order is learned from probes, the skeleton with its digits numbered (in base 9, digits
    1-9), so TeX that moves digits (``\\sqrt[3]{12}`` writes the 3 last) is read right. None,
    and the formula is converted directly, unless every probe writes the same markup with the
    digits in the same places, and every digit of the TeX once: then the conversion does not
    depend on the digits' values (a digit inside a tag, as ``\\hspace{3em}``, or one that
    vanishes, stops it).
    """
    count = skeleton.count("0")
    base = _cut(_convert(skeleton, display))
    if base is None or len(base[1]) != count or set(base[1]) - {"0"}:
        return None
    order = [0] * count
    weight = 1
    while weight == 1 or weight < count:  # at least one probe, and enough to number all
        cut = _cut(_convert(_numbered(skeleton, weight), display))
        if cut is None or cut[0] != base[0] or "0" in cut[1]:
            return None
        order = [n + (int(d) - 1) * weight for n, d in zip(order, cut[1], strict=True)]
        weight *= _PROBE_BASE
    return (base[0], tuple(order)) if sorted(order) == list(range(count)) else None


def _numbered(skeleton: str, weight: int) -> str:
    """The skeleton with its i-th digit replaced by the base-9 digit of i at ``weight`` (+1)."""
    numbers = iter(range(len(skeleton)))
    return _DIGIT.sub(lambda _: str(next(numbers) // weight % _PROBE_BASE + 1), skeleton)


def _cut(mathml: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """MathML cut at each digit in its text: (the pieces between, the digits), in order."""
    if mathml.startswith("<code"):
        return None
    slots: list[str] = []
    digits: list[str] = []
    current: list[str] = []
    for tag, body in _TAG_OR_TEXT.findall(mathml):
        if tag:
            current.append(tag)
            continue
        chunks = _DIGIT.split(body)
        digits += _DIGIT.findall(body)
        current.append(chunks[0])
        for chunk in chunks[1:]:
            slots.append("".join(current))
            current = [chunk]
    slots.append("".join(current))
    return tuple(slots), tuple(digits)


def _convert(tex: str, display: bool) -> str:
    """One formula converted and sanitized by latex2mathml (no cache, no shapes)."""
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
