"""Pass 2: split normalized text into tokens whose spans point into the ORIGINAL text.

Tokens are scanned on demand, as the parser asks for them, so a long hostile text fails at
its first problem (``------...x`` at the 61st sign); after the Unicode pass, errors come in
reading order.
Brackets are matched and their nesting is counted here.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple, Protocol

from quizgen.errors import MathSyntaxError
from quizgen.math.limits import MAX_NAME_LENGTH, Limits
from quizgen.math.unicode import Normalized, normalize

__all__ = ["Token", "TokenKind", "TokenSource", "tokenize"]

TokenKind = Literal["num", "name", "op", "open", "close", "comma", "root", "end"]

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)(?:[eE]([+-]?)(\d+))?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_SPACE = frozenset(" \t\n\r")
_SIMPLE: dict[str, TokenKind] = {
    "+": "op",
    "-": "op",
    "/": "op",
    "^": "op",
    "!": "op",
    ",": "comma",
    "\u221a": "root",
}
_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {")": "(", "]": "[", "}": "{"}
# LaTeX commands students paste, read as the operator they mean.
_LATEX = {"\\cdot": "*", "\\times": "*", "\\ast": "*"}
_REFUSED = {
    "=": "'=' is not allowed; type only the expression, not an equation",
    "%": "'%' is not allowed; write 5/100 instead of 5%",
    '"': "quotes ('\"') are not allowed",
    "'": 'quotes ("\'") are not allowed',
    "`": "backticks ('`') are not allowed",
    ";": "';' is not allowed; type a single expression",
    "\\": "'\\' is not allowed; LaTeX is not supported except \\cdot and \\times (write 1/2,"
    " not \\frac{1}{2})",
    "$": "'$' is not allowed; LaTeX is not supported",
    "_": "names starting with '_' are not allowed",
    ".": "'.' is only allowed inside a number such as 0.5",
}


class Token(NamedTuple):
    """One token (a NamedTuple: immutable and cheap to create).

    Attributes:
        kind: what it is.
        text: its normalized text (``**`` is kept as typed but has kind ``op``).
        start: index of its first character in the original text.
        end: index just after its last character in the original text.
        value: numerator and denominator of a number token, else None.
    """

    kind: TokenKind
    text: str
    start: int
    end: int
    value: tuple[int, int] | None = None

    @property
    def width(self) -> int:
        """Number of original characters the token covers (at least 1)."""
        return max(1, self.end - self.start)

    def describe(self) -> str:
        """How an error message names this token."""
        return "end of input" if self.kind == "end" else f"'{self.text}'"


class _Scanner:
    """Single left-to-right scan of the normalized text."""

    def __init__(self, source: str, norm: Normalized, limits: Limits) -> None:
        self.source = source
        self.text = norm.text
        self.offsets = norm.offsets
        self.limits = limits
        self.tokens: list[Token] = []
        self.stack: list[Token] = []

    def error(self, message: str, start: int, end: int | None = None) -> MathSyntaxError:
        first = self.offsets[start]
        last = self.offsets[end] if end is not None else first + 1
        return MathSyntaxError(message, self.source, first, max(1, last - first))

    def emit(
        self, kind: TokenKind, start: int, end: int, value: tuple[int, int] | None = None
    ) -> Token:
        span_end = self.offsets[end - 1] + 1
        token = Token(kind, self.text[start:end], self.offsets[start], span_end, value)
        self.tokens.append(token)
        return token

    def finish(self) -> None:
        if self.stack:
            opener = self.stack[-1]
            closer = _PAIRS[opener.text]
            message = f"'{opener.text}' is never closed; expected '{closer}'"
            raise MathSyntaxError(message, self.source, opener.start)
        end = len(self.source)
        self.tokens.append(Token("end", "", end, end))

    def step(self, i: int) -> int:
        char = self.text[i]
        if char in _SPACE:
            return i + 1
        if char.isdigit() or (char == "." and self.text[i + 1 : i + 2].isdigit()):
            return self.number(i)
        if char.isalpha():
            return self.name(i)
        if char in _PAIRS:
            return self.open(i)
        if char in _CLOSERS:
            return self.close(i)
        return self.operator(i)

    def operator(self, i: int) -> int:
        char = self.text[i]
        if char == "*":
            width = 2 if self.text.startswith("**", i) else 1
            self.emit("op", i, i + width)
            return i + width
        if char == "!" and self.text.startswith("!!", i):
            raise self.error("'!!' (double factorial) is not allowed; write factorial(n)", i, i + 2)
        if char in _SIMPLE:
            self.emit(_SIMPLE[char], i, i + 1)
            return i + 1
        if char == "\\":
            for command in _LATEX:
                if (
                    self.text.startswith(command, i)
                    and not self.text[i + len(command) : i + len(command) + 1].isalpha()
                ):
                    end = i + len(command)
                    self.tokens.append(Token("op", "*", self.offsets[i], self.offsets[end - 1] + 1))
                    return end
        shown = self.source[self.offsets[i]]
        raise self.error(_REFUSED.get(char, f"character '{shown}' is not allowed"), i)

    def number(self, i: int) -> int:
        match = _NUMBER.match(self.text, i)
        assert match is not None
        mantissa, sign, exponent = match.group(1), match.group(2), match.group(3)
        end = match.end()
        digits = sum(c.isdigit() for c in mantissa)
        if digits > self.limits.max_digits:
            limit = self.limits.max_digits
            raise self.error(f"number has too many digits ({digits}; limit {limit})", i, end)
        power = self.exponent(sign, exponent, i, end)
        bits = (digits + abs(power)) * 3.33
        if bits > self.limits.max_result_bits:  # checked before 10**power is computed
            limit = self.limits.max_result_bits
            raise self.error(f"number too large: about {bits:.0f} bits (limit {limit})", i, end)
        whole, _, frac = mantissa.partition(".")
        numerator = int(whole + frac or "0")
        denominator = 10 ** len(frac)
        if power >= 0:
            numerator *= 10**power
        else:
            denominator *= 10**-power
        self.emit("num", i, end, (numerator, denominator))
        self.after_number(end)
        return end

    def exponent(self, sign: str | None, exponent: str | None, i: int, end: int) -> int:
        if exponent is None:
            return 0
        stripped = exponent.lstrip("0")
        limit = self.limits.max_exponent
        if len(stripped) > len(str(limit)) or int(stripped or "0") > limit:
            literal = self.source[self.offsets[i] : self.offsets[end - 1] + 1]
            raise self.error(f"exponent in {literal} is too large (limit {limit})", i, end)
        return -int(stripped or "0") if sign == "-" else int(stripped or "0")

    def after_number(self, end: int) -> None:
        following = self.text[end : end + 1]
        if following == ".":
            raise self.error("a number can have only one decimal point", end)
        if following == "_":
            raise self.error("'_' is not allowed in numbers; write 2000, not 2_000", end)

    def name(self, i: int) -> int:
        match = _NAME.match(self.text, i)
        assert match is not None
        end = match.end()
        word = match.group()
        if len(word) > MAX_NAME_LENGTH:
            raise self.error(f"name is too long (limit {MAX_NAME_LENGTH} characters)", i, end)
        if "__" in word:
            raise self.error("names containing '__' are not allowed", i, end)
        self.emit("name", i, end)
        if self.text[end : end + 1] == ".":
            raise self.error("'.' after a name is not allowed (there is no attribute access)", end)
        return end

    def open(self, i: int) -> int:
        token = self.emit("open", i, i + 1)
        self.stack.append(token)
        if len(self.stack) > self.limits.max_depth:
            raise self.error(f"nesting deeper than {self.limits.max_depth} levels", i)
        return i + 1

    def close(self, i: int) -> int:
        char = self.text[i]
        if not self.stack:
            raise self.error(f"'{char}' has no matching '{_CLOSERS[char]}' before it", i)
        opener = self.stack.pop()
        if opener.text != _CLOSERS[char]:
            wanted = _PAIRS[opener.text]
            raise self.error(f"expected '{wanted}' to close '{opener.text}', found '{char}'", i)
        self.emit("close", i, i + 1)
        return i + 1


class TokenSource(Protocol):
    """Indexable tokens; indexes past the end give the ``end`` token."""

    def __getitem__(self, index: int, /) -> Token:
        """The token at ``index``."""
        ...


class _Stream:
    """Tokens scanned on demand."""

    def __init__(self, scanner: _Scanner) -> None:
        self.scanner = scanner
        self.offset = 0
        self.done = False

    def __getitem__(self, index: int, /) -> Token:
        tokens = self.scanner.tokens
        if index < len(tokens):
            return tokens[index]
        while len(tokens) <= index and not self.done:
            if self.offset < len(self.scanner.text):
                self.offset = self.scanner.step(self.offset)
            else:
                self.scanner.finish()
                self.done = True
        return tokens[min(index, len(tokens) - 1)]


def tokenize(text: str, limits: Limits) -> TokenSource:
    """Normalize ``text`` and return its tokens, scanned as they are requested.

    The caller has already checked the length. Errors are raised when the offending token
    is requested (reading order); the last token is an ``end`` token.

    Args:
        text: the original input.
        limits: digit, exponent and nesting limits.

    Returns:
        The token source.

    Raises:
        MathSyntaxError: from normalization at once; from indexing, on a refused character,
            a malformed number or unbalanced brackets.
    """
    return _Stream(_Scanner(text, normalize(text), limits))
