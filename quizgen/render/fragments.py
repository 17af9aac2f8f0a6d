"""The ``{% cached %}`` tag of output templates: a block's output remembered per input.

A thousand papers repeat the same few thousand questions (students who draw the same values
share one question view), yet a template runs its whole per-question loop for every paper.
Written around a loop's body, ``{% cached %}…{% endcached %}`` renders the body once per
distinct input and gives the remembered text after that::

    {% for q in paper.questions %}
    {% cached %}
    … everything that shows q …
    {% endcached %}
    {% endfor %}

The cache key is never written by the template's author, so it cannot be wrong: it is made
from every name the block reads from outside itself, found by jinja's own compiler when
the template is compiled (the names a block sets for itself are not inputs). At each
render each such name's value goes into the key:

- a plain value (``str``, :class:`~markupsafe.Markup`, ``int``, ``bool``, ``None``, a tuple
  of these) by type and value (``"1"`` and ``Markup("1")`` print differently, so the type
  counts; floats are left out: ``0.0 == -0.0`` prints two ways);
- a view object of a type registered with :func:`register_frozen` (immutable all the way
  down) by identity, and the entry holds the object, so its id cannot be reused while the
  entry lives;
- an undefined name by its type: a name the block sets on some of its paths only is read
  from outside too, and undefined there it behaves the same at every render;
- anything else (a list, a dict, a loop, a macro, …): the block renders
  as it would without the tag, and nothing is remembered.

A block whose output could differ with the same inputs is never remembered either: one that
includes or imports another template (it would read the whole context), defines or
overrides a block, or uses the ``random`` filter or the ``lipsum`` global. The jinja
globals that make values (``range``, ``dict``, ``namespace``, ``cycler``, ``joiner``) are
not inputs while they are the environment's own. Names set inside the block are local to it
(as in a ``{% call %}`` block), so a block has no effect but its output. Each block keeps at
most :data:`BLOCK_SIZE` entries (least recently used dropped first), so memory is flat in
the size of the class. A template without the tag renders exactly as before.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any

from jinja2 import TemplateAssertionError, Undefined, nodes
from jinja2.compiler import Frame
from jinja2.ext import Extension
from jinja2.meta import TrackingCodeGenerator
from jinja2.parser import Parser
from jinja2.utils import pass_eval_context
from markupsafe import Markup

__all__ = ["BLOCK_SIZE", "FragmentCache", "block_inputs", "register_frozen"]

#: Entries each ``{% cached %}`` block keeps (a key page of 100 students shows ~2,300
#: distinct questions; each entry holds one question's text, 1-3 KB).
BLOCK_SIZE = 4096

_PLAIN = frozenset({str, Markup, int, bool, type(None)})
_FROZEN: set[type] = set()
# Globals that make a value from their arguments and nothing else: not inputs while they
# are the environment's own (``lipsum`` is random, so it is not here).
_MAKERS = frozenset({"range", "dict", "namespace", "cycler", "joiner"})
_NEVER = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends, nodes.Block)
_RANDOM_FILTERS = frozenset({"random"})
_UNCACHED = -1  # the block id of a block that is never remembered
_BLOCK_IDS = itertools.count()


def register_frozen(*types: type) -> None:
    """Declare ``types`` immutable all the way down: a cached block keys them by identity.

    Only for types whose instances never change and hold only plain values and other such
    instances (frozen dataclasses of strings, numbers and tuples of these), so that the
    same object always prints the same way.
    """
    _FROZEN.update(types)


class _Reads(TrackingCodeGenerator):
    """jinja's compiler walking a block to find the names it loads from outside it."""

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        self.names: set[str] = set()

    def enter_frame(self, frame: Frame) -> None:
        """Remember every name a frame resolves from the context, globals included."""
        super().enter_frame(frame)
        for action, param in frame.symbols.loads.values():
            if action == "resolve":
                self.names.add(param)


def block_inputs(body: list[nodes.Node], environment: Any) -> tuple[str, ...] | None:
    """The names ``body`` reads from outside itself, sorted; None if it is never cached.

    Args:
        body: the statements of a block, as jinja's parser made them.
        environment: the environment the template is compiled in.

    Returns:
        The names, or None for a block whose output does not follow from them alone
        (it includes, imports, extends or defines a block, or draws a random value).
    """
    for top in body:  # find_all walks what is below a node, not the node itself
        if isinstance(top, _NEVER) or any(True for _ in top.find_all(_NEVER)):
            return None
        if any(f.name in _RANDOM_FILTERS for f in top.find_all(nodes.Filter)):
            return None
    template = nodes.Template(list(body))
    template.set_environment(environment)
    reads = _Reads(environment)
    try:
        reads.visit(template)
    except TemplateAssertionError:  # the template's own compiling says where, and why
        return None
    if "lipsum" in reads.names:
        return None
    return tuple(sorted(reads.names))


def _part(value: Any) -> Any:
    """One input's part of the key; None if the value cannot be keyed."""
    kind = type(value)
    if kind in _PLAIN:
        return (kind, value)
    if kind in _FROZEN:
        return (kind, id(value))
    if kind is tuple:
        parts = tuple(_part(v) for v in value)
        return None if None in parts else (tuple, parts)
    if isinstance(value, Undefined):
        # A name set on some of the block's paths only is also read from outside. Undefined,
        # it prints nothing or fails (then nothing is remembered), whatever the render.
        return (kind, None)
    return None


class _Pending:
    """What a lookup that found nothing returns: where to remember the block's output."""

    __slots__ = ("entries", "key", "values")

    def __init__(self, entries: OrderedDict | None, key: tuple | None, values: tuple) -> None:
        self.entries = entries  # None: the inputs cannot be keyed, nothing is remembered
        self.key = key
        self.values = values


# The filters and the test a cached block compiles to. Their names have a space, so no
# template can write them: only the tag reaches them. They are compiled as direct calls,
# which costs a fraction of a sandboxed call of a macro.
_LOOKUP = "cached lookup"
_STORE = "cached store"
_PENDING = "cached pending"


class FragmentCache(Extension):
    """The ``{% cached %}…{% endcached %}`` tag (see the module's docstring)."""

    tags = frozenset({"cached"})  # type: ignore[assignment]

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        # block id -> (input names, which of them are value-making globals, entries);
        # shared by an overlay's copy of the extension: ids are unique per compiled block
        self.blocks: dict[int, tuple[tuple[str, ...], tuple[bool, ...], OrderedDict]] = {}
        environment.filters[_LOOKUP] = self._lookup
        environment.filters[_STORE] = _store
        environment.tests[_PENDING] = _pending

    def parse(self, parser: Parser) -> nodes.Node | list[nodes.Node]:
        """``{% cached %}`` body ``{% endcached %}`` → look up, else render and remember.

        Compiles to ``{% set found = (block, inputs…) | lookup %}{% if found is pending %}
        {% set out %}body{% endset %}{{ out | store(found) }}{% else %}{{ found }}{% endif %}``,
        with names no template can write. The body's own names stay inside it, as in a
        ``{% set %}…{% endset %}`` block (and, never cached, in a scope of its own).
        """
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endcached",), drop_needle=True)
        names = block_inputs(body, self.environment)
        if names is None:
            return nodes.Scope(body, lineno=lineno)
        block = next(_BLOCK_IDS)
        self.blocks[block] = (names, tuple(n in _MAKERS for n in names), OrderedDict())
        found, out = f"_cached_{block}", f"_cached_{block}_out"
        inputs = [nodes.Name(name, "load", lineno=lineno) for name in names]
        lookup = nodes.Filter(nodes.Const(block), _LOOKUP, inputs, [], None, None)
        pending = nodes.Test(nodes.Name(found, "load"), _PENDING, [], [], None, None)
        store = nodes.Filter(
            nodes.Name(out, "load"), _STORE, [nodes.Name(found, "load")], [], None, None
        )
        miss = [
            nodes.AssignBlock(nodes.Name(out, "store"), None, body),
            nodes.Output([store]),
        ]
        hit = [nodes.Output([nodes.Name(found, "load")])]
        result = [
            nodes.Assign(nodes.Name(found, "store"), lookup),
            nodes.If(pending, miss, [], hit),
        ]
        for node in result:
            node.set_lineno(lineno)
        return result

    @pass_eval_context
    def _lookup(self, eval_ctx: nodes.EvalContext, block: int, *values: Any) -> Any:
        """The block's remembered output for these inputs, else a :class:`_Pending`."""
        names, makers, entries = self.blocks[block]
        key = self.key(names, makers, values, eval_ctx.autoescape)
        if key is None:
            return _Pending(None, None, values)
        found = entries.get(key)
        if found is None:
            return _Pending(entries, key, values)
        entries.move_to_end(key)
        return found[1]

    def key(
        self, names: tuple[str, ...], makers: tuple[bool, ...], values: tuple, autoescape: bool
    ) -> tuple | None:
        """The key of one render of a block: its inputs' parts; None if one has none."""
        parts: list[Any] = [autoescape]
        made = self.environment.globals
        for name, maker, value in zip(names, makers, values, strict=True):
            if maker and value is made.get(name):
                continue
            part = _part(value)
            if part is None:
                return None
            parts.append(part)
        return tuple(parts)


def _pending(value: Any) -> bool:
    return type(value) is _Pending


def _store(output: Any, pending: _Pending) -> Any:
    """Remember a block's output (with the inputs that pin the ids in its key)."""
    entries = pending.entries
    if entries is not None:
        entries[pending.key] = (pending.values, output)
        if len(entries) > BLOCK_SIZE:
            entries.popitem(last=False)
    return output
