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


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.count = 0

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise BankError(f"document has more than {MAX_NODES} values", self.file)
        mark = node.start_mark
        self.positions[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path_) -> Any:
        # int("1" * 5000) raises and a long one is slow: refuse it before converting.
        if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
            size = f"{len(node.value):,}"
            raise self._error(node, path, f"a number of {size} digits (at most {MAX_NUMBER_CHARS})")
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._error(key_node, path, "mapping keys must be plain names")
            key = self._scalar(key_node, path)
            if key == "<<":
                raise self._error(key_node, path, "YAML merge keys ('<<') are not supported")
            key = str(key)
            if key in out:
                raise self._error(key_node, path, f"duplicate key '{key}'")
            out[key] = self.build(value_node, (*path, key))
            # Point at the key, where an author looks for the field.
            mark = key_node.start_mark
            self.positions[(*path, key)] = (mark.line + 1, mark.column + 1)
        return out

    def _error(self, node: yaml.Node, path: Path_, message: str) -> BankError:
        mark = node.start_mark
        return BankError(message, self.file, mark.line + 1, mark.column + 1, path_text(path))


def load_yaml_text(text: str, file: str = "<bank>") -> Located:
    """Parse YAML ``text`` (one document) into data with positions.

    Raises:
        BankError: the text is not valid YAML, has duplicate keys or is too large.
    """
    try:
        loader = _BoundedLoader(text)  # refuses control characters (a NUL) at once
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        char = f"U+{code:04X}"
        raise BankError(f"invalid YAML: a control character ({char})", file, line, column) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return Located({}, file, {(): (1, 1)})
        builder = _Builder(loader, file)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise BankError(f"invalid YAML: {problem}", file, line, column) from None
    except yaml.YAMLError as exc:
        raise BankError(f"invalid YAML: {exc}", file) from None
    finally:
        loader.dispose()
    return Located(data, file, builder.positions)


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
