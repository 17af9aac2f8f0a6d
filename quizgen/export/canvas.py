"""Canvas classic quizzes: a QTI 1.2 zip that Canvas's "QTI .zip file" import accepts.

The package follows the shape Canvas itself and text2qti write: ``imsmanifest.xml`` (Common
Cartridge 1.1 namespace), the assessment in ``<id>/<id>.xml`` and ``<id>/assessment_meta.xml``
with the same identifier. Every question is a section (a Canvas "question group") with
``selection_number`` 1 and ``points_per_item``, holding its pool of variants as items.

Python decides what each variant becomes (question type, responses, response conditions,
feedback) as plain data; the templates in ``templates/canvas/`` only write it out. The mapping
per kind is documented in ``docs/export.md``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from markupsafe import Markup

from quizgen.export.answers import (
    grader_markdown,
    numeric_mistakes,
    numeric_target,
    typed_forms,
)
from quizgen.export.base import ExportOptions, Notes, Pool, PoolStream, ident, write_pieces
from quizgen.export.capabilities import Support, review, review_multipart
from quizgen.export.package import ZipWriter
from quizgen.export.text import lms_html, plain_text
from quizgen.export.xmltree import element
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

__all__ = ["CanvasExporter", "Item", "RespCondition", "Response", "canvas_item"]

SCORE_MAX = "100"


# --- the QTI 1.2 item model that the templates write -----------------------------------------


def _eq(respident: str, value: str) -> str:
    return element("varequal", (("respident", respident),), text=value)


def _op(tag: str, *children: str) -> str:
    return element(tag, children=children)


OTHER = element("other")


@dataclass(frozen=True)
class RespCondition:
    """A ``<respcondition>``: its conditions (siblings), score change and feedback links."""

    conditions: tuple[str, ...]
    cont: bool = False
    setvar: tuple[str, str] | None = None  # (action, value), e.g. ("Set", "100")
    feedback: tuple[str, ...] = ()

    @property
    def conditionvar(self) -> Markup:
        """The children of ``<conditionvar>`` as XML."""
        return Markup("".join(self.conditions))


@dataclass(frozen=True)
class Response:
    """A ``response_lid`` (choices) or ``response_str`` (typed) and its labels."""

    ident: str
    kind: str  # "lid" | "str"
    cardinality: str = "Single"  # "Single" | "Multiple" | "" (Canvas blanks omit it)
    fibtype: str = ""  # "Decimal" for numbers
    blank: str = ""  # the blank's name, for fill-in/dropdown responses
    labels: tuple[tuple[str, str], ...] = ()  # (ident, HTML)


@dataclass(frozen=True)
class Item:
    """One Canvas question (one variant)."""

    ident: str
    title: str
    question_type: str
    points: str
    prompt: str  # HTML
    responses: tuple[Response, ...]
    conditions: tuple[RespCondition, ...]
    feedback: tuple[tuple[str, str], ...] = ()  # (ident, HTML)
    answer_ids: tuple[str, ...] = ()


@dataclass
class _Builder:
    """Collects the response conditions and feedback of one item, in Canvas's order."""

    general: str = ""
    incorrect: str = ""
    per_answer: list[RespCondition] = field(default_factory=list)
    scoring: list[RespCondition] = field(default_factory=list)
    feedback: list[tuple[str, str]] = field(default_factory=list)

    def answer_feedback(self, respident: str, label: str, markdown: str | None) -> None:
        if markdown:
            fid = f"{label}_fb"
            cond = _eq(respident, label)
            self.per_answer.append(RespCondition((cond,), cont=True, feedback=(fid,)))
            self.feedback.append((fid, lms_html(markdown)))

    def conditions(self) -> tuple[RespCondition, ...]:
        other = (OTHER,)
        head = [RespCondition(other, cont=True, feedback=("general_fb",))] if self.general else []
        tail = [RespCondition(other, cont=True, feedback=("general_incorrect_fb",))]
        return (*head, *self.per_answer, *self.scoring, *(tail if self.incorrect else []))

    def feedbacks(self) -> tuple[tuple[str, str], ...]:
        fixed = [("general_fb", self.general), ("general_incorrect_fb", self.incorrect)]
        return (*((i, h) for i, h in fixed if h), *self.feedback)


def _fmt_points(points: float) -> str:
    return f"{points:g}"


def _score(conditions: Sequence[str]) -> RespCondition:
    return RespCondition(tuple(conditions), setvar=("Set", SCORE_MAX))


def _mistakes_markdown(key: NumericKey | TextKey) -> str:
    if isinstance(key, NumericKey):
        rows = [(m.display, m.feedback) for m in numeric_mistakes(key)]
    else:
        rows = [(m.answer, m.feedback) for m in key.mistakes]
    if not rows:
        return ""
    lines = "\n".join(f"- If you answered {shown}: {fb}" for shown, fb in rows)
    return f"Common mistakes:\n\n{lines}"


# --- one function per kind -------------------------------------------------------------------


def _numeric(variant: Variant, key: NumericKey, b: _Builder) -> tuple[str, tuple[Response, ...]]:
    target = numeric_target(key)
    rid = "response1"
    low = element("vargte", (("respident", rid),), text=target.low)
    high = element("varlte", (("respident", rid),), text=target.high)
    b.scoring.append(_score([_op("or", _eq(rid, target.value), _op("and", low, high))]))
    b.incorrect = lms_html(_mistakes_markdown(key))
    response = Response(rid, "str", fibtype="Decimal", labels=(("answer1", ""),))
    return "numerical_question", (response,)


def _choice(variant: Variant, key: ChoiceKey, b: _Builder) -> tuple[str, tuple[Response, ...]]:
    rid = "response1"
    labels = [(ident("a", variant.uid, o.id), o) for o in key.options]
    for label, option in labels:
        b.answer_feedback(rid, label, option.feedback)
    if key.kind == "choice":
        right = next(label for label, o in labels if o.correct)
        b.scoring.append(_score([_eq(rid, right)]))
    else:
        picks = [
            _eq(rid, label) if o.correct else _op("not", _eq(rid, label)) for label, o in labels
        ]
        b.scoring.append(_score([_op("and", *picks)]))
    cardinality = "Single" if key.kind == "choice" else "Multiple"
    html_labels = tuple((label, lms_html(o.text, inline=True)) for label, o in labels)
    qtype = "multiple_choice_question" if key.kind == "choice" else "multiple_answers_question"
    return qtype, (Response(rid, "lid", cardinality, labels=html_labels),)


def _truefalse(
    variant: Variant, key: TrueFalseKey, b: _Builder
) -> tuple[str, tuple[Response, ...]]:
    rid = "response1"
    true_id, false_id = ident("t", variant.uid, "true"), ident("f", variant.uid, "false")
    b.scoring.append(_score([_eq(rid, true_id if key.answer else false_id)]))
    b.incorrect = lms_html(key.feedback or "")
    labels = ((true_id, "True"), (false_id, "False"))
    return "true_false_question", (Response(rid, "lid", "Single", labels=labels),)


def _text(variant: Variant, key: TextKey, b: _Builder) -> tuple[str, tuple[Response, ...]]:
    rid = "response1"
    b.scoring.append(_score([_eq(rid, a) for a in key.answers]))
    b.incorrect = lms_html(_mistakes_markdown(key))
    response = Response(rid, "str", labels=(("answer1", ""),))
    return "short_answer_question", (response,)


def _essay(variant: Variant, b: _Builder) -> tuple[str, tuple[Response, ...]]:
    b.general = lms_html(grader_markdown(variant))
    b.scoring.append(RespCondition((OTHER,)))
    return "essay_question", (Response("response1", "str", labels=(("answer1", ""),)),)


# --- multipart -------------------------------------------------------------------------------


def _dropdowns(variant: Variant, b: _Builder) -> tuple[str, tuple[Response, ...], str]:
    """Every part is a choice or true/false: one dropdown per part."""
    responses, blanks = [], []
    weights = _part_weights(variant.parts)
    for part, weight in zip(variant.parts, weights, strict=True):
        rid = f"response_{part.id}"
        labels = _part_labels(variant, part)
        right = next(label for label, _, ok in labels if ok)
        b.scoring.append(RespCondition((_eq(rid, right),), cont=True, setvar=("Add", weight)))
        html_labels = tuple((label, text) for label, text, _ in labels)
        responses.append(Response(rid, "lid", "", blank=part.id, labels=html_labels))
        blanks.append(_blank_html(part, ""))
    return "multiple_dropdowns_question", tuple(responses), "".join(blanks)


def _part_labels(variant: Variant, part: PartVariant) -> list[tuple[str, str, bool]]:
    key = part.answer
    if isinstance(key, TrueFalseKey):
        return [
            (ident("t", variant.uid, part.id, "true"), "True", key.answer),
            (ident("f", variant.uid, part.id, "false"), "False", not key.answer),
        ]
    assert isinstance(key, ChoiceKey)
    return [
        (ident("a", variant.uid, part.id, o.id), lms_html(o.text, inline=True), o.correct)
        for o in key.options
    ]


def _blanks(variant: Variant, b: _Builder) -> tuple[str, tuple, str]:
    """Numeric, text, choice and true/false parts as typed blanks, compared as text."""
    responses, blanks = [], []
    for part, weight in zip(variant.parts, _part_weights(variant.parts), strict=True):
        rid = f"response_{part.id}"
        accepted, hint = _blank_answers(part)
        labels = tuple((ident("b", variant.uid, part.id, text), text) for text in accepted)
        accepts = tuple(_eq(rid, label) for label, _ in labels)
        b.scoring.append(RespCondition(accepts, cont=True, setvar=("Add", weight)))
        responses.append(Response(rid, "lid", "", blank=part.id, labels=labels))
        blanks.append(_blank_html(part, hint))
    return "fill_in_multiple_blanks_question", tuple(responses), "".join(blanks)


def _blank_answers(part: PartVariant) -> tuple[list[str], str]:
    """The texts a blank accepts, and a hint to show under the part's prompt."""
    key = part.answer
    if isinstance(key, NumericKey):
        target = numeric_target(key)
        return list(dict.fromkeys([target.value, key.display, *typed_forms(key)])), ""
    if isinstance(key, TextKey):
        return list(key.answers), ""
    if isinstance(key, TrueFalseKey):
        return ["true" if key.answer else "false"], "(type true or false)"
    assert isinstance(key, ChoiceKey)
    options = "; ".join(f"{o.label}: {o.text}" for o in key.options)
    return [o.label for o in key.options if o.correct], f"(type the letter) {options}"


def _blank_html(part: PartVariant, hint: str) -> str:
    tail = f"{hint} [{part.id}]" if hint else f"[{part.id}]"
    return lms_html(part.prompt) + lms_html(tail)


def _part_weights(parts: Sequence[PartVariant]) -> list[str]:
    """Each part's share of 100 by its points, to 2 decimals, summing to exactly 100."""
    total = sum(p.points for p in parts)
    shares = [round(100 * p.points / total, 2) for p in parts]
    shares[-1] = round(100 - sum(shares[:-1]), 2)
    return [f"{share:.2f}" for share in shares]


def _multipart(variant: Variant, pool: Pool, notes: Notes, b: _Builder) -> tuple[str, tuple, str]:
    if review_multipart("canvas", pool, variant, notes) is Support.ESSAY:
        qtype, responses = _essay(variant, b)
        parts = "".join(lms_html(f"**({p.id})** {p.prompt}") for p in variant.parts)
        return qtype, responses, parts
    if all(isinstance(p.answer, (TrueFalseKey, ChoiceKey)) for p in variant.parts):
        return _dropdowns(variant, b)  # the table left only single-answer choices
    return _blanks(variant, b)


# --- one variant -----------------------------------------------------------------------------


def _single(
    variant: Variant, key: AnswerKey, pool: Pool, notes: Notes, b: _Builder
) -> tuple[str, tuple[Response, ...]]:
    if review("canvas", pool, key, notes) is Support.ESSAY or isinstance(key, EssayKey):
        return _essay(variant, b)
    if isinstance(key, NumericKey):
        return _numeric(variant, key, b)
    if isinstance(key, ChoiceKey):
        return _choice(variant, key, b)
    if isinstance(key, TrueFalseKey):
        return _truefalse(variant, key, b)
    assert isinstance(key, TextKey)
    return _text(variant, key, b)


def canvas_item(variant: Variant, pool: Pool, notes: Notes) -> Item:
    """The Canvas question for one variant."""
    b = _Builder(general=lms_html(variant.solution))
    prompt = lms_html(variant.prompt)
    if variant.answer is None:
        qtype, responses, extra = _multipart(variant, pool, notes, b)
        prompt += extra
    else:
        qtype, responses = _single(variant, variant.answer, pool, notes, b)
    answer_ids = tuple(label for r in responses if r.kind == "lid" for label, _ in r.labels)
    return Item(
        ident=ident("i", variant.uid),
        title=plain_text(variant.title or variant.question_id),
        question_type=qtype,
        points=_fmt_points(variant.points),
        prompt=prompt,
        responses=responses,
        conditions=b.conditions(),
        feedback=b.feedbacks(),
        answer_ids=answer_ids,
    )


# --- the package -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    ident: str
    title: str
    points: str
    items: tuple[Item, ...]


@dataclass
class _Totals:
    """What the package states about all the pools, counted as they stream past."""

    pools: int = 0
    variants: int = 0
    points: float = 0  # summed in pool order, as sum() would

    def description(self) -> str:
        return (
            # No seed: students read this description, and the seed with the bank rebuilds keys.
            f"Exported by quizgen: {self.pools} question groups, "
            f"{self.variants} variants; each student draws one variant per group."
        )


class CanvasExporter:
    """QTI 1.2 for Canvas classic quizzes: one question group per question."""

    name = "canvas"
    suffix = ".zip"

    def item(self, variant: Variant, pool: Pool, options: ExportOptions, notes: Notes) -> Item:
        """One variant of ``pool`` as a Canvas question."""
        return canvas_item(variant, pool, notes)

    def write(self, stream: PoolStream, options: ExportOptions, out: BinaryIO) -> None:
        """The zip: manifest, assessment, and assessment_meta.xml.

        ``assessment.xml.j2`` is rendered first, reading ``groups`` once as the pools arrive
        (it is not given ``points`` and ``description``, which are known only after them);
        ``assessment_meta.xml.j2`` and ``imsmanifest.xml.j2`` then get those, and no groups.
        """
        env = template_environment("canvas", options.template_dir)
        assessment_id = ident("g", "canvas", options.title, *stream.bank_ids)
        totals = _Totals()
        context = {
            "assessment_id": assessment_id,
            "title": options.title,
            "qti_file": f"{assessment_id}/{assessment_id}.xml",
            "meta_file": f"{assessment_id}/assessment_meta.xml",
            "dependency_id": ident("d", assessment_id),
        }
        with ZipWriter(out) as archive:
            groups = _groups(stream, totals)
            assessment = env.get_template("assessment.xml.j2")
            with archive.entry(context["qti_file"]) as write:
                write_pieces(assessment.generate({**context, "groups": groups}), write)
            ending = {
                **context,
                "groups": (),
                "points": _fmt_points(totals.points),
                "description": lms_html(totals.description()),
            }
            for name, template in (
                (context["meta_file"], "assessment_meta.xml.j2"),
                ("imsmanifest.xml", "imsmanifest.xml.j2"),
            ):
                archive.add(name, env.get_template(template).render(ending).encode("utf-8"))


def _groups(stream: PoolStream, totals: _Totals) -> Iterator[_Group]:
    for pool, items in stream.pools:
        totals.pools += 1
        totals.variants += len(items)
        totals.points += pool.points
        yield _Group(
            ident=ident("s", pool.bank_id, pool.question_id),
            title=plain_text(pool.title),
            points=_fmt_points(pool.points),
            items=tuple(items),
        )
