"""Moodle XML: one question category per quizgen question, holding its pool of variants.

In a Moodle quiz, "Add a random question" from a category then draws one variant per
student. Texts are HTML (Markdown rendered, math as ``\\(…\\)``) and XML-escaped by the
template, never wrapped in CDATA, so ``]]>`` in a bank needs no special case.

Moodle accepts only grades from its own list (:data:`~quizgen.export.answers.MOODLE_GRADES`);
multi questions use :func:`~quizgen.export.answers.moodle_weights`. A multipart question
becomes a Cloze (``multianswer``) question whose sub-questions are written by
:func:`cloze_code`; Cloze answers are escaped with HTML character references, which Moodle
decodes once (``}`` ``#`` ``~`` ``\\`` would otherwise end or escape an answer).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm
from typing import BinaryIO

from quizgen.export.answers import (
    grader_markdown,
    moodle_grade_text,
    moodle_tolerance,
    moodle_weights,
    numeric_mistakes,
    numeric_target,
)
from quizgen.export.base import ExportOptions, Notes, Pool, PoolStream, write_pieces
from quizgen.export.capabilities import Support, review, review_multipart
from quizgen.export.text import lms_html, plain_text
from quizgen.render.templates import template_environment
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    NumericKey,
    PartVariant,
    TextKey,
    TrueFalseKey,
    Variant,
)

__all__ = [
    "MoodleExporter",
    "category_path",
    "cloze_code",
    "cloze_escape",
    "moodle_question",
    "shortanswer_escape",
]

_CLOZE_REFS = {
    "&": "&amp;",
    "\\": "&#92;",
    "~": "&#126;",
    "#": "&#35;",
    "}": "&#125;",
    "{": "&#123;",
    "=": "&#61;",
    "%": "&#37;",
}
_CLOZE_SPECIAL = re.compile(r"[&\\~#{}=%]")


@dataclass(frozen=True)
class Answer:
    """One ``<answer>``: fraction (percent text), text, feedback HTML, tolerance or None."""

    fraction: str
    text: str
    feedback: str = ""
    tolerance: str | None = None
    format: str = "html"


@dataclass(frozen=True)
class Question:
    """One Moodle question (one variant) as the template writes it."""

    type: str
    name: str
    idnumber: str
    text: str
    general: str
    points: str
    answers: tuple[Answer, ...] = ()
    single: bool = True
    usecase: bool = False
    graderinfo: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Category:
    path: str
    info: str
    questions: tuple[Question, ...]


# --- escaping --------------------------------------------------------------------------------


def cloze_escape(html: str) -> str:
    """HTML text made safe inside a Cloze answer or feedback.

    Moodle ends an answer at ``~``, ``#`` or ``}``, treats ``\\`` as an escape and reads a
    leading ``=`` or ``%…%`` as a grade, then decodes HTML character references once; so those
    characters (and ``&``, so that an entity in ``html`` survives the decoding as an entity)
    become references.
    """
    return _CLOZE_SPECIAL.sub(lambda m: _CLOZE_REFS[m.group()], html)


def shortanswer_escape(text: str) -> str:
    """A short-answer response text with Moodle's ``*`` wildcard made literal (``\\*``)."""
    return text.replace("*", "\\*")


def category_path(title: str, question: str) -> str:
    """``$course$/<title>/<question>``, with ``/`` inside a name doubled as Moodle expects."""
    parts = [plain_text(title), question]
    return "$course$/" + "/".join(p.replace("/", "//") for p in parts)


# --- one function per kind -------------------------------------------------------------------


def _numeric_answers(key: NumericKey) -> tuple[Answer, ...]:
    target = numeric_target(key)
    margin = moodle_tolerance(target.margin)
    answers = [Answer("100", target.value, "", margin, "moodle_auto_format")]
    for m in numeric_mistakes(key):
        answers.append(
            Answer(
                "0", m.value, lms_html(m.feedback), moodle_tolerance(m.margin), "moodle_auto_format"
            )
        )
    return tuple(answers)


def _choice_answers(key: ChoiceKey) -> tuple[Answer, ...]:
    if key.kind == "choice":
        weights = [Fraction(100 if o.correct else 0) for o in key.options]
    else:
        weights = list(moodle_weights(key).weights)
    return tuple(
        Answer(moodle_grade_text(w), lms_html(o.text, inline=True), lms_html(o.feedback or ""))
        for w, o in zip(weights, key.options, strict=True)
    )


def _truefalse_answers(key: TrueFalseKey) -> tuple[Answer, ...]:
    wrong = lms_html(key.feedback or "")
    return tuple(
        Answer("100" if right else "0", text, "" if right else wrong, None, "moodle_auto_format")
        for text, right in (("true", key.answer), ("false", not key.answer))
    )


def _text_answers(key: TextKey) -> tuple[Answer, ...]:
    right = [
        Answer("100", shortanswer_escape(a), "", None, "moodle_auto_format") for a in key.answers
    ]
    wrong = [
        Answer("0", shortanswer_escape(m.answer), lms_html(m.feedback), None, "moodle_auto_format")
        for m in key.mistakes
    ]
    return (*right, *wrong)


def _essay(variant: Variant, base: dict) -> Question:
    return Question(
        type="essay",
        graderinfo=lms_html(grader_markdown(variant)),
        fields={"responseformat": "editor", "responsefieldlines": "10"},
        **base,
    )


# --- cloze (multipart) -----------------------------------------------------------------------


def cloze_code(part: PartVariant, weight: int) -> str:
    """The Cloze sub-question for one part.

    Which parts Cloze can hold, and what it approximates (a regular expression, inexact multi
    weights), is decided and said by :func:`~quizgen.export.capabilities.review_multipart`.

    Raises:
        ValueError: a part Cloze has no sub-question for (expression, essay, pattern only).
    """
    key = part.answer
    if isinstance(key, NumericKey):
        target = numeric_target(key)
        alts = [f"={target.value}:{moodle_tolerance(target.margin)}"]
        for m in numeric_mistakes(key):
            alts.append(f"{m.value}:{moodle_tolerance(m.margin)}{_cloze_feedback(m.feedback)}")
        return f"{{{weight}:NUMERICAL:{'~'.join(alts)}}}"
    if isinstance(key, TrueFalseKey):
        fb = _cloze_feedback(key.feedback)
        right, wrong = ("True", "False") if key.answer else ("False", "True")
        alts = {right: f"={right}", wrong: f"{wrong}{fb}"}
        return f"{{{weight}:MULTICHOICE:{alts['True']}~{alts['False']}}}"
    if isinstance(key, ChoiceKey):
        return _cloze_choice(key, weight)
    if isinstance(key, TextKey) and key.answers:
        alts = [f"={cloze_escape(shortanswer_escape(a))}" for a in key.answers]
        alts += [
            f"{cloze_escape(shortanswer_escape(m.answer))}{_cloze_feedback(m.feedback)}"
            for m in key.mistakes
        ]
        kind = "SHORTANSWER_C" if key.case_sensitive else "SHORTANSWER"
        return f"{{{weight}:{kind}:{'~'.join(alts)}}}"
    raise ValueError(f"part {part.id}: Cloze has no {key.kind} sub-question")


def _cloze_feedback(markdown: str | None) -> str:
    """``#feedback`` for a Cloze answer, or nothing."""
    return f"#{cloze_escape(lms_html(markdown, inline=True))}" if markdown else ""


def _cloze_choice(key: ChoiceKey, weight: int) -> str:
    answers = _choice_answers(key)
    alts = []
    for a in answers:
        text = cloze_escape(a.text)
        fb = f"#{cloze_escape(a.feedback)}" if a.feedback else ""
        if key.kind == "choice":
            alts.append(f"{'=' if a.fraction == '100' else ''}{text}{fb}")
        else:
            alts.append(f"%{a.fraction}%{text}{fb}")
    kind = "MULTICHOICE" if key.kind == "choice" else "MULTIRESPONSE"
    return f"{{{weight}:{kind}:{'~'.join(alts)}}}"


def _part_weights(parts: Sequence[PartVariant]) -> list[int]:
    """Integer Cloze weights in the ratio of the parts' points."""
    points = [Fraction(str(p.points)) for p in parts]
    scale = lcm(*(p.denominator for p in points))
    return [int(p * scale) for p in points]


def _cloze(variant: Variant, pool: Pool, notes: Notes, base: dict) -> Question:
    if review_multipart("moodle", pool, variant, notes) is Support.ESSAY:
        text = base["text"] + "".join(lms_html(f"**({p.id})** {p.prompt}") for p in variant.parts)
        return _essay(variant, {**base, "text": text})
    codes = [
        cloze_code(p, w) for p, w in zip(variant.parts, _part_weights(variant.parts), strict=True)
    ]
    body = "".join(
        _escape_braces(lms_html(p.prompt)) + f"<p>{code}</p>"
        for p, code in zip(variant.parts, codes, strict=True)
    )
    text = _escape_braces(base["text"]) + body
    return Question(type="cloze", **{**base, "text": text})


def _escape_braces(html: str) -> str:
    """Keep question text outside the sub-questions from reading as Cloze syntax."""
    return html.replace("{", "&#123;").replace("}", "&#125;")


# --- one variant -----------------------------------------------------------------------------


def moodle_question(variant: Variant, pool: Pool, notes: Notes) -> Question:
    """The Moodle question for one variant."""
    base = {
        "name": f"{variant.question_id} {variant.uid[:10]}",
        "idnumber": variant.uid,
        "text": lms_html(variant.prompt),
        "general": lms_html(variant.solution),
        "points": f"{variant.points:g}",
    }
    key = variant.answer
    if key is None:
        return _cloze(variant, pool, notes, base)
    return _single(variant, key, pool, notes, base)


def _single(variant: Variant, key: AnswerKey, pool: Pool, notes: Notes, base: dict) -> Question:
    if review("moodle", pool, key, notes) is Support.ESSAY or isinstance(key, EssayKey):
        return _essay(variant, base)
    if isinstance(key, NumericKey):
        return Question(type="numerical", answers=_numeric_answers(key), **base)
    if isinstance(key, ChoiceKey):
        answers = _choice_answers(key)
        return Question(type="multichoice", answers=answers, single=key.kind == "choice", **base)
    if isinstance(key, TrueFalseKey):
        return Question(type="truefalse", answers=_truefalse_answers(key), **base)
    assert isinstance(key, TextKey)
    return Question(
        type="shortanswer", answers=_text_answers(key), usecase=key.case_sensitive, **base
    )


# --- the file --------------------------------------------------------------------------------


class MoodleExporter:
    """Moodle XML: one category per question, its variants inside."""

    name = "moodle"
    suffix = ".xml"

    def item(self, variant: Variant, pool: Pool, options: ExportOptions, notes: Notes) -> Question:
        """One variant of ``pool`` as a Moodle question."""
        return moodle_question(variant, pool, notes)

    def write(self, stream: PoolStream, options: ExportOptions, out: BinaryIO) -> None:
        """The Moodle XML file, written as the template reaches each category.

        ``quiz.xml.j2`` receives ``categories`` as an iterable read once, each category made
        when the template comes to it (a template that needs its length has to list it).
        """
        env = template_environment("moodle", options.template_dir)
        categories = _categories(stream, options)
        pieces = env.get_template("quiz.xml.j2").generate(
            categories=categories, title=options.title
        )
        write_pieces(pieces, out.write)


def _categories(stream: PoolStream, options: ExportOptions) -> Iterator[Category]:
    for pool, questions in stream.pools:
        yield Category(
            path=category_path(options.title, pool.question_id),
            info=f"quizgen pool: {len(questions)} variants of {pool.name} (seed {options.seed})",
            questions=tuple(questions),
        )
