"""Bank Markdown with ``$…$`` math as rich text for a terminal.

The project's Markdown rules (CommonMark plus pandoc's dollar math, from
:func:`quizgen.render.mathtext.use_dollar_math`) parse the text; paragraphs, lists, bold,
emphasis, code and headings become rich renderables that wrap at the console's width, and
every formula becomes readable Unicode (:mod:`quizgen.practice.mathtext`). No ``$`` of a
formula and no TeX command reaches the screen. Raw HTML in bank text stays text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from quizgen.practice.mathtext import latex_to_unicode

__all__ = ["inline_to_rich", "markdown_to_plain", "markdown_to_rich"]

_INLINE_STYLES = {"strong": "bold", "em": "italic", "link": "underline", "s": "strike"}
CODE_STYLE = "bold cyan"


def markdown_to_rich(text: str) -> RenderableType:
    """Render bank Markdown as one rich renderable (blocks separated by blank lines)."""
    blocks, _ = _blocks(_parser().parse(text), 0, None)
    return Group(*blocks) if blocks else Text("")


def inline_to_rich(text: str) -> Text:
    """One line of bank Markdown (an option, an answer) as a single rich Text."""
    tokens = _parser().parseInline(text)
    return _inline(tokens[0].children or []) if tokens else Text(text)


def markdown_to_plain(text: str, width: int = 80) -> str:
    """Bank Markdown as plain text wrapped at ``width`` columns (for JSON output and tests)."""
    console = Console(
        file=io.StringIO(), width=width, color_system=None, force_terminal=False, no_color=True
    )
    console.print(markdown_to_rich(text), soft_wrap=False)
    return "\n".join(line.rstrip() for line in console.file.getvalue().splitlines()).strip("\n")


@lru_cache(maxsize=1)
def _parser() -> Any:
    from markdown_it import MarkdownIt

    from quizgen.render.mathtext import use_dollar_math

    md = use_dollar_math(MarkdownIt("commonmark", {"html": False}))
    md.disable("image")  # never fetched; the Markdown stays as text
    return md


def _blocks(tokens: Sequence[Any], i: int, close: str | None) -> tuple[list[RenderableType], int]:
    """The blocks from ``tokens[i]`` up to the token of type ``close`` (or the end)."""
    out: list[RenderableType] = []
    while i < len(tokens):
        token = tokens[i]
        if close is not None and token.type == close:
            return out, i + 1
        block, i, loose = _block(tokens, i)
        if block is None:
            continue
        if out and loose:
            out.append(Text(""))
        out.append(block)
    return out, i


def _block(tokens: Sequence[Any], i: int) -> tuple[RenderableType | None, int, bool]:
    """One block starting at ``tokens[i]``: (renderable or None, next index, blank line before)."""
    token = tokens[i]
    kind = token.type
    if kind in ("paragraph_open", "heading_open"):
        text = _inline(tokens[i + 1].children or [])
        if kind == "heading_open":
            text.stylize("bold")
        return text, i + 3, not token.hidden
    if kind in ("bullet_list_open", "ordered_list_open"):
        return _list(tokens, i)
    if kind in ("fence", "code_block"):
        code = Text(token.content.rstrip("\n"), style=CODE_STYLE, no_wrap=False)
        return Padding(code, (0, 0, 0, 4)), i + 1, True
    if kind == "math_block":
        return Padding(Text(latex_to_unicode(token.content)), (0, 0, 0, 4)), i + 1, True
    if kind == "blockquote_open":
        inner, i = _blocks(tokens, i + 1, "blockquote_close")
        return Padding(Group(*inner), (0, 0, 0, 2)), i, True
    if kind == "hr":
        return Text("─" * 20), i + 1, True
    if kind == "html_block":
        return Text(token.content.rstrip("\n")), i + 1, True
    return None, i + 1, False


def _list(tokens: Sequence[Any], i: int) -> tuple[RenderableType, int, bool]:
    """A bullet or ordered list as a grid: the marker, then the item with a hanging indent."""
    opening = tokens[i]
    ordered = opening.type == "ordered_list_open"
    number = int(opening.attrs.get("start", 1)) if ordered else 0
    close = "ordered_list_close" if ordered else "bullet_list_close"
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column()
    i += 1
    while tokens[i].type != close:
        if tokens[i].type == "list_item_open":
            body, i = _blocks(tokens, i + 1, "list_item_close")
            marker = f"{number}." if ordered else "•"
            grid.add_row(marker, Group(*body))
            number += 1
        else:
            i += 1
    return Padding(grid, (0, 0, 0, 2)), i + 1, True


def _inline(children: Sequence[Any]) -> Text:
    """Inline tokens as one Text: styles for bold, emphasis and code; math as Unicode."""
    text = Text()
    styles: list[str] = []
    for child in children:
        kind = child.type
        if kind.endswith("_open") and kind[:-5] in _INLINE_STYLES:
            styles.append(_INLINE_STYLES[kind[:-5]])
        elif kind.endswith("_close") and kind[:-6] in _INLINE_STYLES:
            if styles:
                styles.pop()
        elif kind == "code_inline":
            text.append(child.content, style=" ".join([*styles, CODE_STYLE]))
        elif kind in ("math_inline", "math_inline_double"):
            text.append(latex_to_unicode(child.content), style=" ".join(styles))
        elif kind == "softbreak":
            text.append(" ")
        elif kind == "hardbreak":
            text.append("\n")
        else:  # text, html_inline (shown as written), anything new
            text.append(child.content, style=" ".join(styles))
    return text
