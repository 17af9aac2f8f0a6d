"""Reading input files under limits: size, encoding, nesting depth and number length.

Every file that a user or a student hands to quizgen (submissions, keys, rosters, banks) is
read through here first, so that a hostile or broken file becomes an :class:`InputError` with
a clear message, never a crash, a hang or a full memory. Callers decide what an error costs:
a rejected submission file, a located bank error, or exit code 2.

What is refused: anything but a regular file (a FIFO would block, a symbolic-link loop never
resolves), a file over the caller's byte limit (checked before reading), text that is neither
UTF-8 nor marked by a byte-order mark as UTF-16 or UTF-32, and binary files. JSON is parsed
with a bound on nesting and on the length of a number, and an object with a duplicate key is
refused (as a YAML bank's is). CSV is read record by record, so one bad row costs only that
row; a quoted cell that never closes is caught when it swallows the rows after it.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quizgen.errors import QuizgenError

__all__ = [
    "BANK_BYTES",
    "ID_ALIASES",
    "KEY_BYTES",
    "MAX_DEPTH",
    "MAX_NUMBER_CHARS",
    "ROSTER_BYTES",
    "SUBMISSION_BYTES",
    "CsvRecord",
    "InputError",
    "csv_delimiter",
    "csv_header",
    "csv_lines",
    "csv_records",
    "decode_text",
    "header_name",
    "load_json",
    "read_bytes",
    "read_text",
]

MB = 1024 * 1024
SUBMISSION_BYTES = 32 * MB  # a whole class's forms CSV with essays stays far below
ROSTER_BYTES = 16 * MB
BANK_BYTES = 8 * MB
KEY_BYTES = 1024 * MB  # key.json of 1,000 students × 20 questions is about 16 MB
MAX_DEPTH = 32  # a submission nests 6 levels; a bank about 10
MAX_NUMBER_CHARS = 1000  # below Python's 4,300-digit limit on int(str)
MAX_CELL = csv.field_size_limit()  # the csv module's own limit (131,072 characters)

# Column names that hold a student's id, after header_name(): quizgen's own two, then the
# names forms tools and LMS exports use.
ID_ALIASES = (
    "student id",
    "id",
    "sis user id",
    "sis id",
    "username",
    "user name",
    "login id",
    "sis login id",
    "student number",
)


class InputError(QuizgenError):
    """An input file that cannot be read safely; the message says why and where."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# --- bytes and text --------------------------------------------------------------------------


def _size(n: int) -> str:
    return f"{n / MB:.1f} MB" if n >= MB else f"{n:,} bytes"


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises:
        InputError: no such file, not a regular file (a folder, a FIFO, a device), a
            symbolic-link loop, unreadable, or larger than ``limit``.
    """
    try:
        info = os.stat(path)  # follows links; a loop raises ELOOP here
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file")
    if info.st_size > limit:
        raise InputError(f"too large: {_size(info.st_size)} (the limit is {_size(limit)})")
    try:
        with open(path, "rb") as handle:
            # read(n) allocates n bytes up front: ask for the size stat() gave, then for
            # the rest up to the limit only if the file grew meanwhile.
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:
                data += handle.read(limit + 1 - len(data))
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"too large: more than {_size(limit)}")
    return data


_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def decode_text(data: bytes, *, allow_nul: bool = False) -> str:
    """Text from bytes: UTF-8, or UTF-8/16/32 announced by a byte-order mark.

    Without a byte-order mark only UTF-8 is accepted: guessing a legacy encoding could read
    an answer wrongly, while an error tells the student or instructor how to fix the file.

    Raises:
        InputError: a binary file, text in another encoding, or (unless ``allow_nul``) a
            NUL character, which no text answer contains.
    """
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"not valid {name} text (byte {exc.start + len(bom)})") from None
            break
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            if b"\x00" in data[:8192]:
                raise InputError("a binary file, not text") from None
            raise InputError(
                f"not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8"
            ) from None
    if not allow_nul and "\x00" in text:
        line, column = _line_col(text, text.index("\x00"))
        raise InputError(f"a NUL character at line {line}, column {column}: is it a binary file?")
    return text


def read_text(path: Path, limit: int, *, allow_nul: bool = False) -> str:
    """:func:`read_bytes` then :func:`decode_text`."""
    return decode_text(read_bytes(path, limit), allow_nul=allow_nul)


# --- JSON ------------------------------------------------------------------------------------

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*+"|\\.', re.DOTALL)  # `\\.` keeps the scan linear
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")


class _DuplicateKey(ValueError):
    pass


def _too_deep(text: str, depth: int) -> bool:
    """Whether ``text`` nests arrays and objects more than ``depth`` levels.

    Works on the brackets outside strings, removing innermost pairs once per level: a few
    passes of C-speed regular expressions, never a recursion.
    """
    if text.count("[") + text.count("{") <= depth:
        return False
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _ in range(depth):
        brackets, removed = _INNERMOST.subn("", brackets)
        if not removed:
            return False
    return bool(_INNERMOST.search(brackets))


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) < len(pairs):
        seen: set[str] = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


def _number(convert: Callable[[str], Any]) -> Callable[[str], Any]:
    """A JSON number as a Python number, or as its text when it is absurdly long."""

    def parse(text: str) -> Any:
        return text if len(text) > MAX_NUMBER_CHARS else convert(text)

    return parse


def load_json(text: str, *, depth: int = MAX_DEPTH) -> Any:
    """Parse JSON ``text`` under limits.

    A number longer than :data:`MAX_NUMBER_CHARS` characters is returned as its text (no
    answer is that long; the grader then refuses it as a number, with a message), so no
    conversion can be slow or fail.

    Raises:
        InputError: not valid JSON (with line and column), nested deeper than ``depth``, or
            an object with a duplicate key.
    """
    if _too_deep(text, depth):
        raise InputError(f"not valid JSON: nested more than {depth} levels deep")
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique,
            parse_int=_number(int),
            parse_float=_number(float),
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except _DuplicateKey as exc:
        raise InputError(f"not valid JSON: duplicate key '{exc.args[0]}' in one object") from None
    except RecursionError:  # cannot happen after _too_deep; kept as a last guard
        raise InputError("not valid JSON: nested too deeply") from None


# --- CSV -------------------------------------------------------------------------------------


def header_name(name: str) -> str:
    """A column name as compared: case, spaces, ``_`` and ``-`` folded (``Student_ID`` →
    ``student id``)."""
    return " ".join(re.split(r"[\s_\-]+", name.strip().casefold())).strip()


def csv_lines(text: str) -> list[str]:
    """Physical lines with their endings, split as the csv module splits them."""
    lines = text.splitlines(keepends=True)
    if not any(ch in text for ch in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        return lines
    # str.splitlines also breaks at form feeds and Unicode separators; csv does not.
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)


def csv_delimiter(header: str, fits: Callable[[list[str]], bool]) -> str:
    """The delimiter of a CSV file from its first line: ``,``, ``;`` or a tab.

    The first delimiter (in that order) whose header ``fits`` (e.g. names an id column);
    ``,`` when none does, so that the caller's "no id column" message names the columns.
    """
    for delimiter in (",", ";", "\t"):
        cells = next(csv.reader([header], delimiter=delimiter), [])
        if len(cells) > 1 and fits(cells):
            return delimiter
    return ","


_SEP = re.compile(r"sep=(.)(?:\r\n|\r|\n)?\Z", re.IGNORECASE | re.DOTALL)


def csv_header(lines: list[str], fits: Callable[[list[str]], bool]) -> tuple[int, str, list[str]]:
    """(index of the header line, delimiter, header cells) of a CSV file's lines.

    A first line ``sep=;``, which Excel writes and reads, names the delimiter; otherwise it
    is found by :func:`csv_delimiter`.
    """
    at, forced = 0, None
    match = _SEP.match(lines[0]) if lines else None
    if match:
        at, forced = 1, match.group(1)
    if at >= len(lines):
        return at, forced or ",", []
    delimiter = forced or csv_delimiter(lines[at], fits)
    return at, delimiter, next(csv.reader([lines[at]], delimiter=delimiter), [])


@dataclass(frozen=True)
class CsvRecord:
    """One record of a CSV file: its first physical line (1-based) and its cells.

    ``cells`` is None and ``error`` says why when the record could not be read.
    """

    line: int
    cells: list[str] | None
    error: str = ""


class _Feed:
    """Lines from a list, counting how many the csv reader has taken."""

    __slots__ = ("_lines", "_next", "taken")

    def __init__(self, lines: list[str], start: int) -> None:
        self._lines, self._next, self.taken = lines, start, 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self._next >= len(self._lines):
            raise StopIteration
        self._next += 1
        self.taken += 1
        return self._lines[self._next - 1]


def _unclosed(first: int, swallowed: list[int]) -> str:
    shown = ", ".join(str(n) for n in swallowed[:5]) + (" …" if len(swallowed) > 5 else "")
    return (
        f"a quoted cell on line {first} is never closed: it runs into line(s) {shown}, which "
        "look like rows of their own and are read as such"
    )


def csv_records(
    lines: list[str], start: int, delimiter: str, starts_row: Callable[[str], bool]
) -> Iterator[CsvRecord]:
    """Read ``lines[start:]`` record by record.

    A quoted cell may span lines (an essay). When a record's later lines look like rows of
    their own (``starts_row``: e.g. they begin with a known student id), its quote was never
    closed: the record is reported and reading restarts on its second line, so the rows it
    swallowed are not lost. A record the csv module refuses (a cell over 131,072
    characters) is reported and skipped.
    """
    i = start
    while i < len(lines):
        feed = _Feed(lines, i)
        reader = csv.reader(feed, delimiter=delimiter)
        try:
            cells: list[str] | None = next(reader)
            error = ""
        except StopIteration:
            return
        except csv.Error as exc:
            cells, error = None, f"not valid CSV: {exc}"
        taken = max(feed.taken, 1)
        swallowed = [k + 1 for k in range(i + 1, i + taken) if starts_row(lines[k])]
        if swallowed:
            yield CsvRecord(i + 1, None, _unclosed(i + 1, swallowed))
            i += 1
            continue
        yield CsvRecord(i + 1, cells, error)
        i += taken
