"""Markdown by text shape: texts that differ only in their numbers share one parse.

The variants of a question differ almost only in their numbers ("$g = (2.5, -4.5)$" against
"$g = (-1, 3)$"), so their texts have one *shape*: the text with each number (a run of digits,
with its decimal point or thousands commas, and a leading minus where one is folded safely)
replaced by a single ``0``. The shape is parsed once, its HTML is cut at the ``0`` of each
number (:func:`slots`), and each text's numbers are put back, in order (:func:`fill`): the
HTML a parse of the text itself gives, byte for byte. Where that cannot be promised, the text
is parsed directly.

Why a ``0`` parses like a number, and where it does not:

* To the inline rules a digit is neither space nor punctuation: emphasis flanking and the
  dollar-math rules (no digit before an opening or after a closing ``$``) decide the same for
  ``0`` as for the number's first and last digits. A decimal point or comma between digits
  touches no delimiter. A leading minus is folded only after a space, a bracket, a comma or
  ``=``, so no ``*``, ``_``, ``$`` or backslash sees it turn into a digit.
* A number's *value* matters in three places. Only an ordered-list marker numbered 1 may
  interrupt a paragraph, and a ``0`` never does: such texts are parsed directly
  (:func:`marker_one`). A character reference (``&#49;``, ``&frac12;``) and an autolink (its
  length limits) read the digits: such shapes are refused (:func:`may_share`). A list that
  does form takes its number out of the text (into ``<ol start>``), and the cut refuses it.
* Shortening a number can only turn something too long into something valid (a reference
  label's 999 characters); then the shape's ``0`` lands in a tag or vanishes, and the cut
  refuses it, as it refuses a ``0`` copied into any attribute (a link, a code fence's
  language) or dropped (a reference definition, the words after a fence's language).

The cut checks the parse itself: every ``0`` of the shape is written once, as text, and
nothing else writes a digit. markdown-it drops text (reference definitions) but never moves
or copies it (images are off); the probes (each ``0`` numbered 2-9 instead) check that the
markup does not change with the values and that the numbers come out in their order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

__all__ = ["Shape", "fill", "marker_one", "may_share", "shape", "slots", "split"]

# A number: digits, with decimal points or thousands commas between digits, and a minus only
# after a space, an opening bracket, a comma or "=" (never after *, _, $, a backslash or a
# digit, where it would change emphasis, the dollar rules, an escape, or merge two numbers).
# The regex takes any minus (a lookbehind in it costs 3x on every text); split gives back
# the others.
_NUMBER = re.compile(r"(-?[0-9]+(?:[.,][0-9]+)*)")
_BEFORE_MINUS = frozenset("([{,=")
_DIGITS = re.compile(r"[0-9]+")
_ZERO = re.compile("0")
_HEADING = re.compile(r"</?h[1-6]>")  # the only tags whose digits are not the text's
_TAG_OR_DIGITS = re.compile(r"<[^>]*>|([0-9]+)")  # a tag, or a run of digits in the text
# Where a number's value matters (on the shape, whose numbers are all "0"): a character
# reference, and the inside of an autolink (no space, "<" or ">" inside, as markdown-it reads
# them).
_VALUE_MATTERS = re.compile(r"&#?[A-Za-z0-9]*0|<[^<>\x00-\x20]*0[^<>\x00-\x20]*>")
# An ordered-list marker at a line's start, after any container markers: in a shape (its
# number is 0), and numbered 1 in a text. Only 1 lets a list interrupt a paragraph, and the
# shape's 0 never does. markdown-it reads a lone CR as a line break too.
_MARKER = re.compile(r"(?:^|(?<=[\n\r]))[ \t>*+\-]*0[.)](?=[ \t\r\n]|$)")
_MARKER_ONE = re.compile(r"^[ \t>*+\-]*0*1[.)](?:[ \t\n]|$)", re.MULTILINE)
# Probe digits are 2-9: none can be taken for the shape's 0, and none is a list's 1.
_PROBE_BASE = 8


class Shape(NamedTuple):
    """A shape's parse cut at its numbers (:func:`slots`)."""

    slots: tuple[str, ...]  # the HTML between the numbers: one more than the numbers
    markers: bool  # a line may start with a list marker: a text's 1 is checked (marker_one)


def split(text: str) -> list[str]:
    """``text`` cut at its numbers: text, number, text, …, number, text (one piece if none)."""
    pieces = _NUMBER.split(text)
    for index in range(1, len(pieces), 2):
        number = pieces[index]
        if number[0] == "-":
            before = pieces[index - 1]
            # At the text's start, after a space or ( [ { , =; not after the number before,
            # a letter, *, _, $, a backslash …, where the minus stays text.
            if not (before[-1].isspace() or before[-1] in _BEFORE_MINUS if before else index == 1):
                pieces[index - 1] = before + "-"
                pieces[index] = number[1:]
    return pieces


def shape(pieces: list[str]) -> str:
    """The shape of a :func:`split` text: its numbers replaced by ``0``."""
    return "0".join(pieces[::2])


def fill(pieces: list[str], cut: tuple[str, ...]) -> str:
    """The HTML of a :func:`split` text from its shape's :func:`slots`.

    Args:
        pieces: the text's pieces, as :func:`split` gives them (changed in place).
        cut: the slots of the text's shape (one more than the text's numbers).
    """
    pieces[::2] = cut  # the numbers stay where they are, between the shape's cut pieces
    return "".join(pieces)


def marker_one(text: str) -> bool:
    """Whether ``text`` has an ordered-list marker numbered 1 (then it is parsed directly)."""
    return _MARKER_ONE.search(text.replace("\r", "\n")) is not None


def may_share(skeleton: str) -> bool:
    """Whether a shape's parse may serve its texts: no number where its value matters."""
    return _VALUE_MATTERS.search(skeleton) is None


def slots(skeleton: str, parse: Callable[[str], str]) -> Shape | None:
    """The HTML of a shape cut at each of its numbers, or None where it cannot be shared.

    Args:
        skeleton: a :func:`shape` (its only digits are the lone ``0`` of each number).
        parse: text to HTML, the parse the texts would get directly.

    Returns:
        The pieces of the shape's HTML between its numbers, and whether its texts must be
        checked by :func:`marker_one`; None when the shape is refused by :func:`may_share`,
        or its parse, or a probe's, does not write each number once, as text, in order,
        around the same markup.
    """
    count = skeleton.count("0")
    if not may_share(skeleton):
        return None
    base = _cut(parse(skeleton))
    if base is None or base[1] != ("0",) * count:
        return None
    weight = 1
    while weight == 1 or weight < count:  # at least one probe, and enough to number all
        probe = _cut(parse(_numbered(skeleton, weight)))
        if probe is None or probe != (base[0], _probe_digits(count, weight)):
            return None
        weight *= _PROBE_BASE
    return Shape(base[0], _MARKER.search(skeleton) is not None)


def _numbered(skeleton: str, weight: int) -> str:
    """The shape with its i-th number written as the base-8 digit of i at ``weight`` (+2)."""
    numbers = iter(range(len(skeleton)))
    return _ZERO.sub(lambda _: str(next(numbers) // weight % _PROBE_BASE + 2), skeleton)


def _probe_digits(count: int, weight: int) -> tuple[str, ...]:
    return tuple(str(n // weight % _PROBE_BASE + 2) for n in range(count))


def _cut(markup: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """HTML cut at each run of digits in its text: (the pieces between, the runs), in order;
    None if a tag holds a digit other than a heading's level."""
    pieces: list[str] = []
    runs: list[str] = []
    start = 0
    for match in _TAG_OR_DIGITS.finditer(markup):
        run = match[1]
        if run is None:  # a tag
            if _DIGITS.search(match[0]) and not _HEADING.fullmatch(match[0]):
                return None
            continue
        pieces.append(markup[start : match.start()])
        runs.append(run)
        start = match.end()
    pieces.append(markup[start:])
    return tuple(pieces), tuple(runs)
