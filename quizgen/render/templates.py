"""Output templates: packaged ones, overridable by an instructor's folder.

Templates live in ``templates/<kind>/<name>.<ext>.j2`` (the wheel ships them as
``quizgen/templates``). A user folder overrides them by name, either as
``<user_dir>/<kind>/<name>`` or flat as ``<user_dir>/<name>``. Autoescaping follows the output
type in the template's name: on for ``.html``/``.xml`` (and anything unknown), off for
Markdown and plain text.

The packaged templates alone are this project's reviewed code, and untrusted text (banks,
rosters) reaches them only as values to print, so they render in a plain environment
(:func:`quizgen.templating.reviewed_environment`). With an instructor's folder, every
template of that kind renders in the sandbox bank text renders in
(:func:`quizgen.templating.sandboxed_environment`), the packaged ones its files include or
extend too: an override folder is code nobody reviewed. Either way a template that fails
says which file and line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

import quizgen
from quizgen.errors import UsageError
from quizgen.templating import reviewed_environment, sandboxed_environment

__all__ = ["packaged_template_dir", "template_environment"]

_TEXT_TYPES = frozenset({"md", "markdown", "txt", "text", "gift", "csv", "tex", "css"})
_TEMPLATE_SUFFIXES = (".j2", ".jinja", ".jinja2")
# Block tags leave no blank lines; files end as written; templates never change mid-run.
_OPTIONS = dict(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False)


def packaged_template_dir() -> Path:
    """The folder of packaged templates (installed wheel, else the source checkout)."""
    package = Path(quizgen.__file__).parent
    installed = package / "templates"
    return installed if installed.is_dir() else package.parent / "templates"


@lru_cache(maxsize=256)  # asked at every render, and a run has a handful of template names
def _autoescape(name: str | None) -> bool:
    """Escape unless the template's output type is known to be text (``paper.md.j2``)."""
    if name is None:
        return True
    for suffix in _TEMPLATE_SUFFIXES:
        name = name.removesuffix(suffix)
    return name.rsplit(".", 1)[-1].lower() not in _TEXT_TYPES


def template_environment(kind: str, user_dir: Path | None = None) -> jinja2.Environment:
    """The jinja environment for one output kind (``html``, ``md``, ``moodle``, …).

    Args:
        kind: the subfolder of the packaged templates to load from.
        user_dir: an instructor's folder whose templates override packaged ones by name.

    Returns:
        An environment with StrictUndefined, autoescape by output type, and a loader that
        looks in ``user_dir/kind``, then ``user_dir``, then the packaged ``templates/kind``.
        Sandboxed when ``user_dir`` is given (code nobody reviewed), plain when only the
        packaged templates are read. Its templates raise
        :class:`~quizgen.templating.TemplateError` (file and line) when they fail.

    Raises:
        UsageError: ``user_dir`` is given but is not a folder.
    """
    if user_dir is not None:
        user_dir = Path(user_dir)
        if not user_dir.is_dir():
            raise UsageError(f"template folder not found: {user_dir}")
        user_dir = user_dir.resolve()
    return _environment(kind, user_dir)


@lru_cache(maxsize=32)
def _environment(kind: str, user_dir: Path | None) -> jinja2.Environment:
    folders = [packaged_template_dir() / kind]
    if user_dir is not None:
        folders[:0] = [user_dir / kind, user_dir]
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(f)) for f in folders])
    if user_dir is None:  # only this project's reviewed templates
        return reviewed_environment(loader=loader, autoescape=_autoescape, **_OPTIONS)
    return sandboxed_environment(loader=loader, autoescape=_autoescape, **_OPTIONS)
