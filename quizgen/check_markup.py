"""Find bank Markdown that the renderer will not show as its author meant (``quizgen check``).

The papers and exports read ``$…$`` with pandoc's rules (see
:func:`quizgen.render.mathtext.use_dollar_math`) and Markdown as CommonMark. Three slips pass
every other check and reach every student:

- a ``$`` that is not read as math, shown as a dollar sign: ``17$h$`` (a digit before the
  opening dollar), ``$ x$`` (a space inside), a lone ``$``. Write ``$17h$``, or ``\\$`` for a
  dollar sign;
- a pipe table: CommonMark has none, so its rows are shown as text with their ``|`` and
  ``---``. Use a list, or a TeX array inside ``$$…$$``;
- e-notation inside math, ``$7.89e-31$``, typeset as the product "7.89 e − 31". Use the
  ``tex`` filter (``{{ x | sig(3) | tex }}`` → ``7.89 \\times 10^{-31}``).

The texts checked are the rendered ones (prompts, solutions, parts, options, feedback,
rubrics), so a slip that only a template's substitution creates is found too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from quizgen.render.mathtext import use_dollar_math
from quizgen.variant import ChoiceKey, EssayKey, ExpressionKey, NumericKey, TrueFalseKey, Variant

__all__ = ["MarkupLint", "markup_problems"]

_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", re.MULTILINE)
_E_NOTATION = re.compile(r"\d(?:\.\d+)?[eE][-+]?\d")
_DIGIT = re.compile(r"[0-9]")
_CONTEXT = 18  # characters shown on each side of the problem


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # text_join would merge an escaped "\$" into the text around it; kept apart, it is fine.
    return use_dollar_math(MarkdownIt("commonmark")).disable("text_join")


def _excerpt(text: str, index: int) -> str:
    start, end = max(0, index - _CONTEXT), min(len(text), index + _CONTEXT)
    shown = " ".join(text[start:end].split())
    return f"{'…' if start else ''}{shown}{'…' if end < len(text) else ''}"


def _inline(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "inline":
            yield from token.children or []
        else:
            yield token


@lru_cache(maxsize=8192)
def markup_problems(text: str) -> tuple[tuple[str, str], ...]:
    """(kind, message) of each thing in one Markdown text that the renderer will not show as
    meant (module docstring); kinds are ``dollar``, ``e-notation`` and ``table``."""
    problems = []
    for token in _inline(_parser().parse(text)):
        if token.type == "text" and "$" in token.content:
            at = token.content.index("$")
            problems.append(
                (
                    "dollar",
                    f"'{_excerpt(token.content, at)}': this $ is not read as math (a digit "
                    "before the opening $, a space just inside, or no closing $); write $…$ "
                    "around the whole formula, or \\$ for a dollar sign",
                )
            )
        elif token.type.startswith("math") and (match := _E_NOTATION.search(token.content)):
            problems.append(
                (
                    "e-notation",
                    f"'{_excerpt(token.content, match.start())}': e-notation inside math is "
                    "typeset as a product; show the value with the tex filter "
                    "({{ x | sig(3) | tex }})",
                )
            )
    for match in _TABLE_RULE.finditer(text):
        problems.append(
            (
                "table",
                f"'{_excerpt(text, match.start())}': a pipe table is not rendered (the papers "
                "read CommonMark); use a list or a $$\\begin{array}…$$",
            )
        )
    return tuple(problems)


def _texts(variant: Variant) -> Iterator[tuple[str, str]]:
    """(field, Markdown) of every text of a variant that a person reads."""
    yield "prompt", variant.prompt
    yield "solution", variant.solution
    for part in variant.parts:
        yield f"parts.{part.id}.prompt", part.prompt
        yield f"parts.{part.id}.solution", part.solution
    for part_id, key, _ in variant.gradable():
        where = f"parts.{part_id}." if part_id else ""
        if isinstance(key, ChoiceKey):
            for option in key.options:
                yield f"{where}options", option.text
                yield f"{where}options.feedback", option.feedback or ""
        elif isinstance(key, (NumericKey, ExpressionKey)):
            for mistake in key.mistakes:
                yield f"{where}mistakes.feedback", mistake.feedback
        elif isinstance(key, TrueFalseKey):
            yield f"{where}feedback", key.feedback or ""
        elif isinstance(key, EssayKey):
            yield f"{where}rubric", key.rubric


@dataclass
class MarkupLint:
    """Collects the markup problems of one question's variants, each reported once."""

    seen: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    _reported: set[tuple[str, str]] = field(default_factory=set)

    def add(self, variant: Variant) -> None:
        """Check every text of ``variant`` (texts already checked are skipped)."""
        for where, text in _texts(variant):
            # Variants differ mostly in their digits, and a digit's value never changes how
            # Markdown or the $ rules read a text: check each digit skeleton once.
            skeleton = _DIGIT.sub("0", text)
            if not text or skeleton in self.seen:
                continue
            self.seen.add(skeleton)
            if not markup_problems(skeleton):
                continue
            for kind, message in markup_problems(text):
                if (where, kind) not in self._reported:
                    self._reported.add((where, kind))
                    self.warnings.append(f"{where}: {message}")
