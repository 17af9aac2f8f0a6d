"""The jinja environments: StrictUndefined always, the sandbox wherever the code is not ours.

Bank prompts and solutions are untrusted text, and an instructor's template folder is code
nobody reviewed, so both render in the same sandbox (:func:`sandboxed_environment`): no
attribute that starts with ``_``, no method that changes a value, and a name that is not
defined is an error, never an empty string. The packaged output templates are this project's
reviewed code, and untrusted text reaches them only as values, never as template source, so
they render in a plain environment with the same options (:func:`reviewed_environment`): the
sandbox guards against a template's code, which there is ours. Bank text gets filters that
format exact numbers (:func:`bank_environment`); output templates get a loader and
autoescaping (:mod:`quizgen.render.templates`).
"""

from __future__ import annotations

import re
import sys
from collections import ChainMap
from collections.abc import Callable, Mapping
from fractions import Fraction
from functools import lru_cache, partial
from types import TracebackType
from typing import Any, NoReturn

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, new_context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

try:  # MarkupSafe 3: the C routine behind escape() for a str, without its Python wrapper
    from markupsafe._speedups import _escape_inner
except ImportError:  # pragma: no cover - MarkupSafe 2 or a build without the speed-ups
    _escape_inner = None

from quizgen.errors import UsageError
from quizgen.math.numbers import Num, display

__all__ = [
    "Piece",
    "TemplateError",
    "bank_environment",
    "compile_text",
    "render_pieces",
    "reviewed_environment",
    "sandboxed_environment",
    "simple_pieces",
    "template_names",
]


class TemplateError(UsageError):
    """A template file (packaged or an instructor's override) that fails to compile or render.

    The message names the file and line; the sandbox's refusals read as such.
    """


_PLAIN_DATA = frozenset({str, Markup, int, float, bool, tuple, list, dict, type(None)})


class _FileErrors:
    """The one place where a template file's failure becomes a :class:`TemplateError`
    naming its file and line (mixed into both environments, before jinja's class).

    An environment without a loader (bank text) keeps jinja's own errors.
    """

    loader: jinja2.BaseLoader | None

    def handle_exception(self, source: str | None = None) -> NoReturn:
        """jinja's hook for an error in a template: re-raised as ``file:line: …``."""
        error = sys.exc_info()[1]
        if self.loader is None or not isinstance(error, jinja2.TemplateError):
            super().handle_exception(source)  # type: ignore[misc]
        where = _template_location(error, sys.exc_info()[2])
        message, hint = error.message, ""
        if isinstance(error, SecurityError):
            hint = "templates are presentation only: they may show the values they are given"
        elif isinstance(error, jinja2.UndefinedError):
            hint = "the values each template receives are listed in docs/rendering.md"
        elif isinstance(error, jinja2.TemplateNotFound):
            message = f"no template named {error.name!r}"
        raise TemplateError(f"{where}: template failed: {message}", hint=hint) from None


class _Sandbox(_FileErrors, ImmutableSandboxedEnvironment):
    """The sandbox: bank text, and an instructor's template folder (with the packaged
    templates that its files include or extend, or that include them).

    Bank text (no loader) keeps jinja's own errors: the bank loader locates them in the YAML.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._safe: dict[type, set[str]] = {}  # attributes known to be safe, by type

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """jinja's verdict, remembered per (type, attribute): it depends on nothing else."""
        if attr in self._safe.get(type(obj), ()):
            return True
        safe = super().is_safe_attribute(obj, attr, value)
        if safe:
            self._safe.setdefault(type(obj), set()).add(attr)
        return safe

    def getattr(self, obj: Any, attribute: str) -> Any:
        """jinja's sandboxed ``obj.attribute``, with a short path for plain data.

        Templates read a few attributes of view objects hundreds of thousands of times per
        export, and jinja's checks cost an export about a tenth of its time. A value of
        a plain data type cannot be a ``str.format`` method (the one value jinja wraps), so
        once the (type, attribute) pair is known to be safe it is returned at once; anything
        else takes jinja's own path.
        """
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            return super().getattr(obj, attribute)
        if type(value) in _PLAIN_DATA and attribute in self._safe.get(type(obj), ()):
            return value
        return super().getattr(obj, attribute)


class _Reviewed(_FileErrors, jinja2.Environment):
    """A plain environment for the packaged output templates: this project's code."""


# Makes a Markup of a str without Markup.__new__'s ``__html__`` check (a str has none).
_markup = partial(str.__new__, Markup)


# Pages print the same few hundred plain strings again and again (question numbers, kinds,
# points, ids): each is escaped once. Bounded; emptied when full.
_ESCAPED: dict[str, Markup] = {}
_ESCAPED_SIZE = 4096


def _page_escape(value: Any) -> Markup:
    """markupsafe's ``escape``, the same result for every value, faster for the two kinds
    a page template prints hundreds of thousands of times.

    A :class:`~markupsafe.Markup` is returned as it is (``escape`` makes an equal copy: a
    Markup is immutable, so the page's text is the same); a ``str`` is escaped by the routine
    ``escape`` itself calls, once per distinct string while it is remembered. Anything else,
    a Markup subclass included, goes to ``escape``.
    """
    kind = type(value)
    if kind is Markup:
        return value
    if kind is str and _escape_inner is not None:
        found = _ESCAPED.get(value)
        if found is None:
            if len(_ESCAPED) >= _ESCAPED_SIZE:
                _ESCAPED.clear()
            found = _ESCAPED[value] = _markup(_escape_inner(value))
        return found
    return escape(value)


class _PageTemplate(jinja2.Template):
    """A template file of an output format: autoescaped output goes through
    :func:`_page_escape`.

    jinja compiles ``{{ value }}`` in an autoescaped template to ``escape(value)``, a name
    of the template module's own namespace; it is rebound there once, when the file is
    compiled. Only the cost changes: the sandbox, the undefined and the output are jinja's.
    """

    @classmethod
    def from_code(
        cls,
        environment: jinja2.Environment,
        code: Any,
        globals: Any,  # jinja's name for the template's globals
        uptodate: Callable[[], bool] | None = None,
    ) -> jinja2.Template:
        """jinja's, then ``escape`` rebound in the compiled module's namespace."""
        template = super().from_code(environment, code, globals, uptodate)
        namespace = template.root_render_func.__globals__
        if namespace.get("escape") is escape:
            namespace["escape"] = _page_escape
        return template

    def new_context(
        self,
        vars: dict[str, Any] | None = None,  # jinja's names
        shared: bool = False,
        locals: Mapping[str, Any] | None = None,
    ) -> Context:
        """jinja's, given the template's globals as one plain dict made now.

        jinja keeps a template's globals as a ChainMap (its own over the environment's) and
        copies it twice per render, key by key in Python: about 13 µs of a 40 µs page. The
        same keys and values, flattened in C at each render (so a global added later is
        still seen), give the same context.
        """
        chain = self.globals
        if type(chain) is ChainMap:
            flat: dict[str, Any] = {}
            for mapping in reversed(chain.maps):
                flat.update(mapping)
            chain = flat
        return new_context(self.environment, self.name, self.blocks, vars, shared, chain, locals)


def _template_location(error: jinja2.TemplateError, tb: TracebackType | None) -> str:
    """``file:line`` of the innermost template frame (or of a syntax error)."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return f"{error.filename or error.name or 'template'}:{error.lineno}"
    where = "template"
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None:
            where = f"{template.filename}:{template.get_corresponding_lineno(tb.tb_lineno)}"
        tb = tb.tb_next
    return where


def sandboxed_environment(
    *,
    loader: jinja2.BaseLoader | None = None,
    autoescape: bool | Callable[[str | None], bool] = False,
    **options: Any,
) -> jinja2.Environment:
    """A sandboxed jinja environment with StrictUndefined, for code nobody reviewed: bank text
    and an instructor's template folder.

    Args:
        loader: where template files come from; None for text compiled from strings (bank
            text). With a loader, a template that fails to compile or render raises
            :class:`TemplateError` naming its file and line.
        autoescape: as jinja's (a callable decides by template name).
        **options: other jinja options (``trim_blocks``, ``keep_trailing_newline``, …).

    Returns:
        An :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: attributes starting with
        ``_`` and methods that change lists, dicts and sets are refused.
    """
    env = _Sandbox(
        loader=loader, autoescape=autoescape, undefined=jinja2.StrictUndefined, **options
    )
    if loader is not None:  # template files of an output format (bank text keeps jinja's)
        env.template_class = _PageTemplate
    return env


def reviewed_environment(
    *,
    loader: jinja2.BaseLoader,
    autoescape: bool | Callable[[str | None], bool] = False,
    **options: Any,
) -> jinja2.Environment:
    """A plain jinja environment with StrictUndefined, for template files this project ships.

    The sandbox guards against a template's *code*; the packaged templates are reviewed code
    of this project, and whatever a bank or a roster says reaches them only as values to
    print (escaped by ``autoescape``), never as template source. Everything else is as in
    :func:`sandboxed_environment`: the same options, the same undefined, the same output,
    and a template that fails to compile or render raises :class:`TemplateError` naming its
    file and line. Never give it a loader that reads an instructor's folder.

    Args:
        loader: where the packaged template files come from.
        autoescape: as jinja's (a callable decides by template name).
        **options: other jinja options (``trim_blocks``, ``keep_trailing_newline``, …).

    Returns:
        A :class:`jinja2.Environment` (no sandbox) whose templates are :class:`_PageTemplate`.
    """
    env = _Reviewed(
        loader=loader, autoescape=autoescape, undefined=jinja2.StrictUndefined, **options
    )
    env.template_class = _PageTemplate
    return env


def _exact(value: Any) -> Any:
    return value.exact if isinstance(value, Num) else value


def _sig(value: Any, digits: int = 3) -> str:
    """Round to ``digits`` significant figures."""
    return display(_exact(value), sig=digits)


def _fixed(value: Any, places: int = 2) -> str:
    """Round to ``places`` decimals."""
    return display(_exact(value), places=places)


def _thousands(value: Any) -> str:
    """Group an integer's digits: 20362 → 20,362."""
    exact = _exact(value)
    if isinstance(exact, int):
        return f"{exact:,}"
    if isinstance(exact, Fraction) and exact.denominator == 1:
        return f"{exact.numerator:,}"
    return str(value)


_E_NOTATION = re.compile(r"(-?\d+(?:\.\d*)?)e([+-]?\d+)")


def _tex(value: Any) -> str:
    """LaTeX for a value (use inside $…$): 3/7 → \\frac{3}{7}; e-notation, as ``sig`` writes
    tiny and huge values, → a power of ten: 7.89e-31 → 7.89 \\times 10^{-31}."""
    exact = _exact(value)
    if isinstance(exact, Fraction) and exact.denominator != 1:
        sign = "-" if exact < 0 else ""
        return f"{sign}\\frac{{{abs(exact.numerator)}}}{{{exact.denominator}}}"
    text = str(value)
    match = _E_NOTATION.fullmatch(text)
    if match:
        return f"{match[1]} \\times 10^{{{int(match[2])}}}"
    return text


_FILTERS = {"sig": _sig, "fixed": _fixed, "thousands": _thousands, "tex": _tex}


@lru_cache(maxsize=1)
def bank_environment() -> jinja2.Environment:
    """The sandboxed environment for bank text (Markdown, so no autoescape)."""
    env = sandboxed_environment(
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(_FILTERS)
    return env


def compile_text(text: str) -> jinja2.Template:
    """Compile bank text; raises jinja2.TemplateSyntaxError on bad syntax."""
    return bank_environment().from_string(text)


def template_names(text: str) -> set[str]:
    """Names a template reads from its context (to check them before rendering)."""
    from jinja2 import meta

    env = bank_environment()
    return set(meta.find_undeclared_variables(env.parse(text)))


# A text that only substitutes names ("{{ h }}", "{{ n | thousands }}", "{{ p | sig(3) }}")
# renders by concatenation: the same output as jinja for such texts, at a tenth of the cost
# (bank texts are rendered hundreds of thousands of times per exam). Anything else — blocks,
# whitespace control, expressions, string arguments — goes to jinja.
_SUBSTITUTION = re.compile(
    r"\{\{ *([A-Za-z][A-Za-z0-9_]*) *(?:\| *([a-z]+) *(?:\( *(\d{1,2}) *\))? *)?\}\}"
)
Piece = str | tuple[str, Callable[..., Any] | None, tuple[int, ...]]


def simple_pieces(source: str) -> tuple[Piece, ...] | None:
    """Literal text and (name, filter, arguments) substitutions, or None if jinja is needed."""
    if "\r" in source:  # jinja normalizes line endings; keep it simple and let jinja do it
        return None
    filters = bank_environment().filters
    pieces: list[Piece] = []
    position = 0
    for match in _SUBSTITUTION.finditer(source):
        pieces.append(source[position : match.start()])
        name, filter_name, argument = match.groups()
        if filter_name is not None and filter_name not in _FILTERS:
            return None
        function = filters[filter_name] if filter_name else None
        pieces.append((name, function, (int(argument),) if argument else ()))
        position = match.end()
    pieces.append(source[position:])
    literal = "".join(p for p in pieces if isinstance(p, str))
    if any(marker in literal for marker in ("{{", "{%", "{#")):
        return None
    return tuple(p for p in pieces if p != "")


def render_pieces(pieces: tuple[Piece, ...], context: Mapping[str, Any]) -> str:
    """Render what :func:`simple_pieces` returned (KeyError for an unknown name)."""
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
        else:
            name, function, arguments = piece
            value = context[name]
            out.append(str(value if function is None else function(value, *arguments)))
    return "".join(out)
