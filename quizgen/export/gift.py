"""GIFT: Moodle's plain-text question format, one ``$CATEGORY`` per quizgen question.

GIFT is written here by Python functions rather than a template: its syntax is a handful of
punctuation marks whose meaning depends on where they stand, and getting it right is all
about escaping each piece of text for its slot (:func:`gift_escape`), which a template could
only do by calling these same functions. Texts are HTML (``[html]``, math as ``\\(…\\)``);
escaping follows Moodle's own GIFT writer: a backslash is doubled first, then
``~ = # { } :`` get a backslash and newlines become ``\\n``.

GIFT has no Cloze and no grader information: multipart and expression questions become
essays with the answers in the general feedback (a warning says so). Multi weights come from
:func:`~quizgen.export.answers.moodle_weights`, since Moodle checks them against its list.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from quizgen.export.answers import (
    grader_markdown,
    moodle_grade_text,
    moodle_tolerance,
    moodle_weights,
    numeric_mistakes,
    numeric_target,
)
from quizgen.export.base import ExportOptions, Notes, Pool, PoolStream
from quizgen.export.capabilities import Support, review, review_multipart
from quizgen.export.moodle import category_path, shortanswer_escape
from quizgen.export.text import lms_html
from quizgen.variant import ChoiceKey, EssayKey, NumericKey, TextKey, TrueFalseKey, Variant

__all__ = ["GiftExporter", "gift_escape", "gift_question"]

_SPECIAL = re.compile(r"[\\~=#{}:\n]")
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": ""}


def gift_escape(text: str) -> str:
    """``text`` escaped for any GIFT slot (name, question text, answer, feedback)."""
    return _SPECIAL.sub(lambda m: _ESCAPES.get(m.group(), "\\" + m.group()), text.replace("\r", ""))


def _html(markdown: str, *, inline: bool = False) -> str:
    return gift_escape(lms_html(markdown, inline=inline))


def _feedback(markdown: str | None) -> str:
    return f"#{_html(markdown)}" if markdown else ""


# --- answer blocks ---------------------------------------------------------------------------


def _numeric(key: NumericKey) -> list[str]:
    target = numeric_target(key)
    lines = [f"=%100%{target.value}:{moodle_tolerance(target.margin)}"]
    for m in numeric_mistakes(key):
        lines.append(f"=%0%{m.value}:{moodle_tolerance(m.margin)}{_feedback(m.feedback)}")
    return ["#", *(f"\t{line}" for line in lines)]


def _choice(key: ChoiceKey) -> list[str]:
    if key.kind == "choice":
        marks = ["=" if o.correct else "~" for o in key.options]
    else:
        marks = [f"~%{moodle_grade_text(w)}%" for w in moodle_weights(key).weights]
    return [
        f"\t{mark}{_html(o.text, inline=True)}{_feedback(o.feedback)}"
        for mark, o in zip(marks, key.options, strict=True)
    ]


def _truefalse(key: TrueFalseKey) -> list[str]:
    # Moodle: {TRUE#shown to a wrong answer#shown to a right one}
    wrong = _html(key.feedback) if key.feedback else ""
    answer = "TRUE" if key.answer else "FALSE"
    return [f"{answer}#{wrong}" if wrong else answer]


def _text(key: TextKey) -> list[str]:
    lines = [f"\t={gift_escape(shortanswer_escape(a))}" for a in key.answers]
    lines += [
        f"\t=%0%{gift_escape(shortanswer_escape(m.answer))}{_feedback(m.feedback)}"
        for m in key.mistakes
    ]
    return lines


def _answers(variant: Variant, pool: Pool, notes: Notes) -> tuple[list[str], str]:
    """The answer block's lines and the general feedback (Markdown) of one variant."""
    key = variant.answer
    if key is None:
        support = review_multipart("gift", pool, variant, notes)
    else:
        support = review("gift", pool, key, notes)
    if support is Support.ESSAY:
        return [], grader_markdown(variant)  # graded by hand: the answers go to the feedback
    if isinstance(key, NumericKey):
        return _numeric(key), variant.solution
    if isinstance(key, ChoiceKey):
        return _choice(key), variant.solution
    if isinstance(key, TrueFalseKey):
        return _truefalse(key), variant.solution
    if isinstance(key, TextKey):
        return _text(key), variant.solution
    assert isinstance(key, EssayKey)
    return [], variant.solution  # an essay, graded by hand anyway


# --- questions -------------------------------------------------------------------------------


def _stem(variant: Variant) -> str:
    if variant.answer is not None:
        return variant.prompt
    parts = "\n\n".join(f"**({p.id})** {p.prompt}" for p in variant.parts)
    return f"{variant.prompt}\n\n{parts}"


def gift_question(variant: Variant, pool: Pool, notes: Notes) -> str:
    """One variant as a GIFT question (no trailing blank line)."""
    lines, general = _answers(variant, pool, notes)
    name = gift_escape(f"{variant.question_id} {variant.uid[:10]}")
    head = f"::{name}::[html]{_html(_stem(variant))}"
    tail = f"####{_html(general)}" if general else ""
    return head + _block(lines, tail)


def _block(lines: list[str], tail: str) -> str:
    """The ``{…}`` answer block: one token inline (``{TRUE}``, ``{}``), else one answer a line.

    ``tail`` (the general feedback, ``####…``) must come last, right before the ``}``.
    """
    if not lines:
        return f"{{{tail}}}"
    if len(lines) == 1 and not lines[0].startswith("\t"):
        return f"{{{lines[0]}{tail}}}"
    body = "\n".join(lines)
    if body.startswith("\t"):
        body = "\n" + body
    return f"{{{body}\n{tail}}}"


class GiftExporter:
    """GIFT text: a ``$CATEGORY`` line per question, then its variants."""

    name = "gift"
    suffix = ".gift"

    def item(self, variant: Variant, pool: Pool, options: ExportOptions, notes: Notes) -> str:
        """One variant of ``pool`` as a GIFT question."""
        return gift_question(variant, pool, notes)

    def write(self, stream: PoolStream, options: ExportOptions, out: BinaryIO) -> None:
        """The GIFT file (UTF-8): blocks one blank line apart, pool by pool."""
        title, seed = gift_escape(options.title), gift_escape(options.seed)
        out.write(f"// quizgen export: {title} (seed {seed})".encode())
        for pool, questions in stream.pools:
            blocks = [f"$CATEGORY: {category_path(options.title, pool.question_id)}", *questions]
            out.write(("\n\n" + "\n\n".join(blocks)).encode())
        out.write(b"\n")
