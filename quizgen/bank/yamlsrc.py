"""Read YAML into plain Python data while remembering where every value came from.

Bank errors must read ``file:line:column: field path: message``, so the loader keeps a map
from each value's path (a tuple of keys and indices) to its 1-based line and column.
Duplicate keys, which PyYAML would silently overwrite, are errors here, and so is anything
that could crash or exhaust the loader: too many values (alias bombs), nesting deeper than
:data:`quizgen.inputs.MAX_DEPTH` levels, a number longer than
:data:`quizgen.inputs.MAX_NUMBER_CHARS` characters, a file over 8 MB or not text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from quizgen.errors import BankError
from quizgen.inputs import BANK_BYTES, MAX_DEPTH, MAX_NUMBER_CHARS, InputError, read_text

__all__ = ["Located", "load_yaml_file", "load_yaml_text", "path_text", "read_bank_text"]

Path_ = tuple[str | int, ...]
MAX_NODES = 200_000  # guards against alias bombs ("billion laughs")
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _BoundedLoader(yaml.SafeLoader):
    """A SafeLoader whose composer refuses deep nesting before it recurses too far."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.MarkedYAMLError(
                    problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=mark
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


@dataclass
class Located:
    """YAML data plus the position of each value, keyed by its path."""

    data: Any
    file: str
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    errors: list[BankError] = field(default_factory=list)  # problems that skipped a value

    def where(self, path: Path_) -> tuple[int | None, int | None]:
        """Line and column of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (None, None))

    def error(self, path: Path_, message: str, detail: str = "") -> BankError:
        """A BankError located at ``path``."""
        line, column = self.where(path)
        return BankError(message, self.file, line, column, path_text(path), detail)


def path_text(path: Path_) -> str:
    """Render ``("questions", 3, "params", "h")`` as ``questions[3].params.h``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_MERGE_TAG = "tag:yaml.org,2002:merge"
_QUOTE_HINT = (
    "a value that starts with '{' is read by YAML as a mapping; put it in quotes "
    '(prompt: "{{ x }} ...") or use a block scalar (|)'
)


def _braces(node: yaml.MappingNode) -> bool:
    """Whether ``node`` is ``{{ … }}`` written unquoted (a flow mapping keyed by a mapping)."""
    return bool(node.flow_style) and any(isinstance(key, yaml.MappingNode) for key, _ in node.value)


class _Builder:
    """Builds plain data from YAML nodes; a bad key or tag is recorded, skipped, not fatal."""

    def __init__(self, loader: yaml.SafeLoader, file: str, text: str) -> None:
        self.loader = loader
        self.text = text
        self.file = file
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.errors: list[BankError] = []
        self.count = 0

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise BankError(
                f"the file has more than {MAX_NODES} values (too large for a bank)", self.file
            )
        mark = node.start_mark
        self.positions[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.MappingNode) and _braces(node):
            # `prompt: {{ x }}` is a mapping whose key is a mapping: keep the text as the
            # author meant it, so the later stages still check the template.
            self.errors.append(self._error(node, path, _QUOTE_HINT))
            return self.text[node.start_mark.index : node.end_mark.index]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _refuse_long_number(self, node: yaml.Node, path: Path_) -> None:
        # int("1" * 5000) raises and a long one is slow: refuse it before converting.
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            size = f"{len(node.value):,}"
            raise self._error(node, path, f"a number of {size} digits (at most {MAX_NUMBER_CHARS})")

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        self._refuse_long_number(node, path)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError:
            self.errors.append(
                self._error(node, path, f"unsupported YAML tag '{node.tag}'; remove the tag")
            )
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in out:
                self.errors.append(self._error(key_node, path, f"duplicate key '{key}'"))
                continue  # the first one counts, so that its checks still run
            out[key] = self.build(value_node, (*path, key))
            # Point at the key, where an author looks for the field.
            mark = key_node.start_mark
            self.positions[(*path, key)] = (mark.line + 1, mark.column + 1)
        return out

    def _key(self, key_node: yaml.Node, path: Path_) -> str | None:
        """The key's text, or None (error recorded) for a key a bank cannot have."""
        if not isinstance(key_node, yaml.ScalarNode):
            message = "a key must be a plain name, not a list or mapping"
            self.errors.append(self._error(key_node, path, message))
            return None
        if key_node.tag == _MERGE_TAG or key_node.value == "<<":
            message = "YAML merge keys ('<<') are not supported; write the fields out in full"
            self.errors.append(self._error(key_node, path, message))
            return None
        self._refuse_long_number(key_node, path)
        try:
            return str(self.loader.construct_object(key_node))
        except yaml.constructor.ConstructorError:
            message = f"unsupported YAML tag '{key_node.tag}'; remove the tag"
            self.errors.append(self._error(key_node, path, message))
            return None

    def _error(self, node: yaml.Node, path: Path_, message: str) -> BankError:
        mark = node.start_mark
        return BankError(message, self.file, mark.line + 1, mark.column + 1, path_text(path))


# PyYAML's problems, in an author's words (the first fragment that matches wins).
_YAML_PROBLEMS = [
    (f"nested more than {MAX_DEPTH} levels deep", f"nested more than {MAX_DEPTH} levels deep"),
    ("mapping values are not allowed", "a ': ' inside a value; put the value in quotes"),
    (
        "cannot start any token",
        "a tab or a reserved character here; indent with spaces and "
        "quote values that start with @, ` or %",
    ),
    ("found undefined alias", "an alias (*name) with no anchor (&name) before it"),
    ("could not find expected ':'", "a line without 'key: value' (or a quote left open)"),
    ("found unexpected end of stream", "the file ends inside a quote or a bracket"),
    ("expected ',' or '}'", "a '{' or '[' is not closed where expected; quote the value"),
    ("expected ',' or ']'", "a '{' or '[' is not closed where expected; quote the value"),
    ("expected <block end>", "this line's indentation does not match the lines above"),
    ("did not find expected", "this line's indentation does not match the lines above"),
    (
        "found unknown escape character",
        "an unknown escape in a double-quoted value; use single quotes or write \\\\",
    ),
]


def _yaml_problem(problem: str, line_text: str) -> str:
    """PyYAML's ``problem`` as a sentence; a hint to quote a line holding ``{{``."""
    if "{{" in line_text or "{%" in line_text:
        return "invalid YAML: a value with '{{ }}' or '{% %}' must be in quotes"
    words = next((said for raw, said in _YAML_PROBLEMS if raw in problem), None)
    words = words or "the file is not valid YAML here; check quotes, colons and indentation"
    return f"invalid YAML: {words}"


def load_yaml_text(text: str, file: str = "<bank>") -> Located:
    """Parse YAML ``text`` (one document) into data with positions.

    Duplicate keys, merge keys and unknown tags are recorded in ``Located.errors`` and skipped,
    so that the rest of the bank is still checked.

    Raises:
        BankError: the text is not valid YAML, or is too large.
    """
    fast = _load_with_libyaml(text, file)
    return fast if fast is not None else _load_in_python(text, file)


_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)
_OPENING = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSING = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _load_with_libyaml(text: str, file: str) -> Located | None:
    """:func:`_load_in_python`'s result, built from libyaml's nodes (C: a bank reads in a
    tenth of the time), or None where the Python path must speak.

    Only a text both parsers accept takes this path: anything libyaml refuses, a character
    PyYAML's reader refuses, or nesting past :data:`MAX_DEPTH` (checked on the event stream
    first: libyaml's composer recurses in C, without Python's recursion guard) falls back
    to the Python parser, whose errors and positions are the documented ones. The nodes of
    a valid text are the same either way (``tests/test_yaml_fast.py`` compares them).
    """
    if not hasattr(yaml, "CSafeLoader") or _NON_PRINTABLE.search(text):
        return None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, _NODE_EVENTS) and depth + 1 > MAX_DEPTH:
                return None
            if isinstance(event, _OPENING):
                depth += 1
            elif isinstance(event, _CLOSING):
                depth -= 1
        loader = yaml.CSafeLoader(text)
    except (yaml.YAMLError, ValueError):  # ValueError: a lone surrogate cannot be UTF-8
        return None
    try:
        return _compose(loader, text, file)
    except (yaml.YAMLError, ValueError):
        return None
    finally:
        loader.dispose()


def _compose(loader: yaml.SafeLoader | yaml.CSafeLoader, text: str, file: str) -> Located:
    """The one document of ``loader``'s text as data with positions (either parser's nodes)."""
    node = loader.get_single_node()
    if node is None:
        return Located({}, file, {(): (1, 1)})
    builder = _Builder(loader, file, text)
    return Located(builder.build(node, ()), file, builder.positions, builder.errors)


def _load_in_python(text: str, file: str) -> Located:
    """PyYAML's pure-Python parser, guarded: every error message and position is this one's."""
    try:
        loader = _BoundedLoader(text)  # refuses control characters (a NUL) at once
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        char = f"U+{code:04X}"
        raise BankError(f"invalid YAML: a control character ({char})", file, line, column) from None
    try:
        return _compose(loader, text, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        lines = text.splitlines()
        line_text = lines[line - 1] if line and line <= len(lines) else ""
        message = _yaml_problem(exc.problem or exc.context or "", line_text)
        raise BankError(message, file, line, column) from None
    except yaml.YAMLError:
        raise BankError(_yaml_problem("", ""), file) from None
    finally:
        loader.dispose()


def read_bank_text(path: Path) -> str:
    """The text of a bank file: at most 8 MB, UTF-8 (or UTF-16/32 with a byte-order mark).

    Raises:
        BankError: the file cannot be read, is too large or is not text.
    """
    try:
        return read_text(Path(path), BANK_BYTES)
    except InputError as exc:
        raise BankError(exc.message, str(path)) from None


def load_yaml_file(path: Path) -> Located:
    """Read and parse a YAML file; unreadable files become BankErrors."""
    return load_yaml_text(read_bank_text(path), str(path))
