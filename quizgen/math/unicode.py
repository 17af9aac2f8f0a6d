"""Pass 1: map the few Unicode characters we accept to ASCII, keeping an offset map.

The table is explicit (no NFKC, no unidecode): anything not listed here and not printable
ASCII is refused with the character's Unicode name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from types import MappingProxyType

from quizgen.errors import MathSyntaxError

__all__ = ["REPLACEMENTS", "SUPERSCRIPTS", "Normalized", "describe_char", "normalize"]

_SPACES = "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
# times, middle dot, dot/star/bullet operators, and the element-wise products ⊙ and ∘
_TIMES = "\u00d7\u00b7\u22c5\u2217\u2219\u2299\u2218"
_MINUS = "\u2212\u2010\u2012\u2013\u2014"  # minus sign, hyphen, figure/en/em dash
_DIVIDE = "\u00f7\u2215\u2044"  # division sign, division slash, fraction slash


def _fullwidth() -> dict[str, str]:
    """Full-width digits, letters and the operators we accept (as typed by CJK keyboards)."""
    table = {chr(ord(c) + 0xFEE0): c for c in "0123456789+-*/()[]^.,"}
    for start in (ord("A"), ord("a")):
        for code in range(start, start + 26):
            table[chr(code + 0xFEE0)] = chr(code)
    return table


_TABLE: dict[str, str] = {
    **dict.fromkeys(_SPACES, " "),
    **dict.fromkeys(_TIMES, "*"),
    **dict.fromkeys(_MINUS, "-"),
    **dict.fromkeys(_DIVIDE, "/"),
    "\u03c0": " pi ",  # π (spaces keep it a separate word: 2π, xπ)
    "\u03c3": " sigmoid ",  # σ(z), as machine-learning texts write the logistic function
    "\u221a": "\u221a",  # √ stays; the tokenizer reads it as a prefix square root
    **_fullwidth(),
}
#: Every accepted non-ASCII character and its replacement (superscripts are separate).
REPLACEMENTS = MappingProxyType(_TABLE)
#: Superscript characters; a run of them becomes ``^(...)``.
SUPERSCRIPTS = MappingProxyType(
    {
        "\u2070": "0",
        "\u00b9": "1",
        "\u00b2": "2",
        "\u00b3": "3",
        **{chr(0x2070 + d): str(d) for d in range(4, 10)},
        "\u207a": "+",
        "\u207b": "-",
    }
)
_ASCII_OK = frozenset(chr(c) for c in range(0x20, 0x7F)) | {"\t", "\n", "\r"}
_INVISIBLE = ("C", "Z", "M")  # control/format, separators, combining marks


@dataclass(frozen=True, slots=True)
class Normalized:
    """ASCII text (plus '√') and, for each of its characters, the index in the original.

    ``offsets`` has one extra entry at the end: the original length.
    """

    text: str
    offsets: tuple[int, ...]


def describe_char(char: str) -> str:
    """Name a character for an error message, never printing invisible ones raw."""
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    if unicodedata.category(char)[0] in _INVISIBLE:
        return f"{code} ({name})" if name else code
    return f"'{char}' ({name})" if name else f"'{char}' ({code})"


def _refuse(text: str, index: int) -> MathSyntaxError:
    char = text[index]
    hint = "; type letters on a plain English (ASCII) keyboard layout"
    tail = hint if unicodedata.category(char).startswith("L") else ""
    return MathSyntaxError(f"character {describe_char(char)} is not allowed{tail}", text, index)


def _superscript_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] in SUPERSCRIPTS:
        end += 1
    return end


def normalize(text: str) -> Normalized:
    """Map accepted Unicode characters to ASCII and refuse all other non-ASCII ones.

    Args:
        text: the original input.

    Returns:
        The normalized text and its offset map into ``text``.

    Raises:
        MathSyntaxError: on a character outside printable ASCII and the table.
    """
    if text.isascii() and text.isprintable():
        return Normalized(text, tuple(range(len(text) + 1)))
    out: list[str] = []
    offsets: list[int] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in _ASCII_OK:
            out.append(char)
            offsets.append(i)
        elif char in SUPERSCRIPTS:
            end = _superscript_run(text, i)
            body = "".join(SUPERSCRIPTS[c] for c in text[i:end])
            out.append(f"^({body})")
            offsets.extend([i, i, *range(i, end), end - 1])
            i = end
            continue
        elif char in _TABLE:
            replacement = _TABLE[char]
            out.append(replacement)
            offsets.extend([i] * len(replacement))
        else:
            raise _refuse(text, i)
        i += 1
    offsets.append(len(text))
    return Normalized("".join(out), tuple(offsets))
