"""The renderer registry: one module per output format, one dict, one lookup.

A renderer turns an :class:`~quizgen.variant.Exam` into text: a student's paper (no answers)
or the instructor's answer key. Its markup lives in jinja templates that an instructor can
override by name (see :mod:`quizgen.render.templates`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from quizgen.errors import UsageError

if TYPE_CHECKING:
    import jinja2

    from quizgen.variant import Exam, Paper

__all__ = ["RENDERERS", "Renderer", "get_renderer"]


class Renderer(Protocol):
    """One output format."""

    name: str  # "html" | "md"
    extension: str  # ".html" | ".md"

    def paper(self, exam: Exam, paper: Paper) -> str:
        """A student's paper: prompts and options only; no answer, solution or feedback."""
        ...

    def key(self, exam: Exam) -> str:
        """The instructor's answer key: every paper's answers and worked solutions."""
        ...

    def key_index(self, exam: Exam, pages: list[dict], papers: int) -> str:
        """The key of a large class: links to its pages (href, first, last, first_id, last_id)."""
        ...


@lru_cache(maxsize=1)
def _registry() -> dict[str, Callable[[jinja2.Environment], Renderer]]:
    """The formats, imported on first use: ``quizgen.render.mathtext`` alone stays light."""
    from quizgen.render.html import HtmlRenderer
    from quizgen.render.markdown import MarkdownRenderer

    return {HtmlRenderer.name: HtmlRenderer, MarkdownRenderer.name: MarkdownRenderer}


def __getattr__(name: str) -> Any:
    if name == "RENDERERS":
        return _registry()
    raise AttributeError(f"module 'quizgen.render' has no attribute {name!r}")


def get_renderer(name: str, template_dir: Path | None = None) -> Renderer:
    """The renderer for an output format.

    Args:
        name: a key of :data:`RENDERERS` (``html`` or ``md``).
        template_dir: an instructor's template folder overriding packaged templates by name.

    Raises:
        UsageError: ``name`` is not a known format (the message lists the valid ones), or
            ``template_dir`` is not a folder.
    """
    from quizgen.render.templates import template_environment

    factory = _registry().get(name)
    if factory is None:
        valid = ", ".join(sorted(_registry()))
        raise UsageError(f"unknown output format '{name}' (valid: {valid})")
    renderer = factory(template_environment(name, template_dir))
    renderer.template_dir = template_dir  # rendering processes rebuild it from name and folder
    return renderer
