"""IMS QTI 2.1: a content package with one item per variant and a test that picks one per pool.

The test has one ``assessmentSection`` per quizgen question with ``<selection select="1"/>``,
so a delivery engine draws one variant per candidate. Every kind is scored by explicit
response processing (no templates), which QTI 2.1 can express exactly: numeric tolerance as
``equal toleranceMode="absolute"``, multi rules as a ``mapping`` (plus a constant for
quizgen's ``partial`` rule), text answers as a case-aware ``mapping``. Only algebraic
expressions need a person: they become an ``extendedTextInteraction`` with the answer and
solution in a scorer-only ``rubricBlock``. A multipart question is one item with one
interaction per part. Worked solutions are a ``modalFeedback`` shown after responding.

Python composes the response processing from :func:`~quizgen.export.xmltree.element` calls
(its shape follows the key); the templates in ``templates/qti21/`` lay out items, the test and
the manifest. The packaged item template's text is written by :func:`item_xml` (a jinja render
per item was a third of the mapping); an instructor's ``item.xml.j2`` is rendered by jinja.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from markupsafe import Markup, escape

from quizgen.export.answers import (
    decimal_text,
    exact_weights,
    grader_markdown,
    numeric_mistakes,
    numeric_target,
)
from quizgen.export.base import ExportOptions, Notes, Pool, PoolStream, ident
from quizgen.export.capabilities import Support, review
from quizgen.export.package import ZipWriter
from quizgen.export.text import lms_html, plain_text
from quizgen.export.xmltree import element
from quizgen.render.templates import packaged_template_dir, template_environment
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    NumericKey,
    TextKey,
    TrueFalseKey,
    Variant,
)

__all__ = ["ITEM_TEMPLATE_SHA256", "ItemFile", "ItemRef", "Qti21Exporter", "item_xml", "qti21_item"]

_OL_START = re.compile(r'(<ol) start="[0-9]+"')


@dataclass(frozen=True)
class Mapping:
    entries: tuple[tuple[str, str, str], ...]  # (mapKey, mappedValue, caseSensitive or "")
    default: str = "0"
    lower: str = ""
    upper: str = ""


@dataclass(frozen=True)
class Declaration:
    identifier: str
    cardinality: str
    base_type: str
    correct: tuple[str, ...] = ()
    mapping: Mapping | None = None


@dataclass(frozen=True)
class Block:
    """A piece of the item body: HTML, or an interaction for one response."""

    kind: str  # "html" | "choice" | "text" | "extended" | "scorer"
    html: str = ""
    response: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    max_choices: int = 1
    numeric: bool = False


@dataclass(frozen=True)
class Item:
    """One QTI 2.1 assessmentItem (one variant)."""

    identifier: str
    title: str
    href: str
    points: str
    declarations: tuple[Declaration, ...]
    blocks: tuple[Block, ...]
    rules: tuple[str, ...]
    feedback: tuple[tuple[str, str], ...]

    @property
    def processing(self) -> Markup:
        """The children of ``<responseProcessing>`` as XML."""
        return Markup("\n    ".join(self.rules))


# --- response processing helpers -------------------------------------------------------------

# The fragments that repeat in every item of a pool (a response's variable, its points, the
# score's update) are made once: a pool of thousands of items asks for the same few dozen.
# Each is a pure function of its strings; bounded, as lru_cache is.
_repeated = lru_cache(maxsize=4096)


@_repeated
def _var(identifier: str) -> str:
    return element("variable", (("identifier", identifier),))


@_repeated
def _correct(identifier: str) -> str:
    return element("correct", (("identifier", identifier),))


@_repeated
def _base(base_type: str, value: str) -> str:
    return element("baseValue", (("baseType", base_type),), text=value)


@_repeated
def _add_score(expr: str) -> str:
    total = element("sum", children=(_var("SCORE"), expr))
    return element("setOutcomeValue", (("identifier", "SCORE"),), (total,))


@_repeated
def _points_times(points: str, expr: str | None = None) -> str:
    if expr is None:
        return _base("float", points)
    return element("product", children=(_base("float", points), expr))


def _show(feedback_id: str) -> str:
    shown = element("multiple", children=(_var("FEEDBACK"), _base("identifier", feedback_id)))
    return element("setOutcomeValue", (("identifier", "FEEDBACK"),), (shown,))


def _condition(*branches: tuple[str | None, Sequence[str]]) -> str:
    """``responseCondition`` from (test, actions) pairs; a test of None is the else branch."""
    nodes = []
    for i, (test, actions) in enumerate(branches):
        if test is None:
            nodes.append(element("responseElse", children=tuple(actions)))
        else:
            tag = "responseIf" if i == 0 else "responseElseIf"
            nodes.append(element(tag, children=(test, *actions)))
    return element("responseCondition", children=tuple(nodes))


def _equal(margin: str, left: str, right: str) -> str:
    if margin == "0":
        return element("equal", (("toleranceMode", "exact"),), (left, right))
    attrs = (("toleranceMode", "absolute"), ("tolerance", f"{margin} {margin}"))
    return element("equal", attrs, (left, right))


# --- one builder per kind --------------------------------------------------------------------


@dataclass
class _Build:
    """Declarations, body blocks, rules and feedback of one item, part by part."""

    uid: str
    declarations: list[Declaration]
    blocks: list[Block]
    rules: list[str]
    feedback: list[tuple[str, str]]
    part: str = ""

    def choice_id(self, base: str) -> str:
        """A choice identifier unique in the item (parts may share option texts)."""
        return f"{base}_{self.part}" if self.part else base

    def add_feedback(self, key: str, markdown: str | None) -> str | None:
        if not markdown:
            return None
        fid = ident("F", self.uid, key)
        self.feedback.append((fid, _xhtml(lms_html(markdown))))
        return fid


def _numeric(b: _Build, rid: str, key: NumericKey, points: str) -> None:
    target = numeric_target(key)
    b.declarations.append(Declaration(rid, "single", "float", (target.value,)))
    b.blocks.append(Block("text", response=rid, numeric=True))
    branches: list[tuple[str | None, Sequence[str]]] = [
        (_equal(target.margin, _var(rid), _correct(rid)),
         [_add_score(_points_times(points))])
    ]  # fmt: skip
    for i, m in enumerate(numeric_mistakes(key)):
        fid = b.add_feedback(f"{rid}-mistake-{i}", m.feedback)
        test = _equal(m.margin, _var(rid), _base("float", m.value))
        branches.append((test, [_show(fid)] if fid else []))
    b.rules.append(_condition(*branches))


def _choice(b: _Build, rid: str, key: ChoiceKey, points: str) -> None:
    multi = key.kind == "multi"
    correct = tuple(b.choice_id(o.id) for o in key.options if o.correct)
    mapping = _multi_mapping(b, key) if multi and key.scoring != "all-or-nothing" else None
    b.declarations.append(
        Declaration(rid, "multiple" if multi else "single", "identifier", correct, mapping)
    )
    choices = tuple((b.choice_id(o.id), _xhtml(lms_html(o.text, inline=True))) for o in key.options)
    b.blocks.append(Block("choice", response=rid, choices=choices, max_choices=0 if multi else 1))
    if mapping is None:
        match = element("match", children=(_var(rid), _correct(rid)))
        b.rules.append(_condition((match, [_add_score(_points_times(points))])))
    else:
        b.rules.append(_mapped_score(rid, key, points))
    for o in key.options:
        fid = b.add_feedback(f"{rid}-{o.id}", o.feedback)
        if fid:
            choice = _base("identifier", b.choice_id(o.id))
            picked = element("member", children=(choice, _var(rid)))
            if not multi:
                picked = element("match", children=(_var(rid), choice))
            b.rules.append(_condition((picked, [_show(fid)])))


def _multi_mapping(b: _Build, key: ChoiceKey) -> Mapping:
    weights = exact_weights(key)
    entries = tuple(
        (b.choice_id(o.id), _fraction_text(w / 100), "")
        for o, w in zip(key.options, weights.weights, strict=True)
    )
    if key.scoring == "right-minus-wrong":
        return Mapping(entries, lower="0", upper="1")
    return Mapping(entries)


def _mapped_score(rid: str, key: ChoiceKey, points: str) -> str:
    offset = exact_weights(key).offset / 100
    mapped: str = element("mapResponse", (("identifier", rid),))
    if offset:
        mapped = element("sum", children=(_base("float", _fraction_text(offset)), mapped))
    picked = element("not", children=(element("isNull", children=(_var(rid),)),))
    branches: list[tuple[str | None, Sequence[str]]] = [
        (picked, [_add_score(_points_times(points, mapped))])
    ]
    if offset:
        none = _points_times(points, _base("float", _fraction_text(offset)))
        branches.append((None, [_add_score(none)]))
    return _condition(*branches)


def _fraction_text(q: Fraction) -> str:
    """Weights round up, so all the right options together reach the upper bound."""
    return decimal_text(q, ROUND_CEILING if q > 0 else ROUND_FLOOR)


def _truefalse(b: _Build, rid: str, key: TrueFalseKey, points: str) -> None:
    true, false = b.choice_id("true"), b.choice_id("false")
    b.declarations.append(
        Declaration(rid, "single", "identifier", (true if key.answer else false,))
    )
    b.blocks.append(Block("choice", response=rid, choices=((true, "True"), (false, "False"))))
    match = element("match", children=(_var(rid), _correct(rid)))
    fid = b.add_feedback(f"{rid}-wrong", key.feedback)
    branches: list[tuple[str | None, Sequence[str]]] = [
        (match, [_add_score(_points_times(points))])
    ]
    if fid:
        branches.append((None, [_show(fid)]))
    b.rules.append(_condition(*branches))


def _text(b: _Build, rid: str, key: TextKey, points: str) -> None:
    case = "true" if key.case_sensitive else "false"
    entries = tuple((a, "1", case) for a in key.answers)
    entries += tuple((m.answer, "0", case) for m in key.mistakes if m.answer not in key.answers)
    mapping = Mapping(entries)
    b.declarations.append(Declaration(rid, "single", "string", tuple(key.answers[:1]), mapping))
    b.blocks.append(Block("text", response=rid))
    score = _points_times(points, element("mapResponse", (("identifier", rid),)))
    picked = element("not", children=(element("isNull", children=(_var(rid),)),))
    b.rules.append(_condition((picked, [_add_score(score)])))
    for i, m in enumerate(key.mistakes):
        fid = b.add_feedback(f"{rid}-mistake-{i}", m.feedback)
        test = element(
            "stringMatch", (("caseSensitive", case),), (_var(rid), _base("string", m.answer))
        )
        if fid:
            b.rules.append(_condition((test, [_show(fid)])))


def _extended(b: _Build, rid: str) -> None:
    b.declarations.append(Declaration(rid, "single", "string"))
    b.blocks.append(Block("extended", response=rid))


def _part(b: _Build, rid: str, key: AnswerKey, points: str, support: Support) -> bool:
    """Add one key's interaction and scoring; True when a person must score it."""
    if support is Support.ESSAY or isinstance(key, EssayKey):
        _extended(b, rid)
        return True
    if isinstance(key, NumericKey):
        _numeric(b, rid, key, points)
    elif isinstance(key, ChoiceKey):
        _choice(b, rid, key, points)
    elif isinstance(key, TrueFalseKey):
        _truefalse(b, rid, key, points)
    else:
        assert isinstance(key, TextKey)
        _text(b, rid, key, points)
    return False


def _xhtml(html: str) -> str:
    """LMS HTML as QTI's XHTML: QTI's ``ol`` has no ``start`` attribute."""
    if '<ol start="' not in html:  # almost every text: no substitution to prepare
        return html
    return _OL_START.sub(r"\1", html)


def qti21_item(variant: Variant, pool: Pool, notes: Notes) -> Item:
    """The QTI 2.1 item for one variant."""
    b = _Build(variant.uid, [], [], [], [])
    b.blocks.append(Block("html", html=_xhtml(lms_html(variant.prompt))))
    manual = False
    for part_id, key, points in variant.gradable():
        rid = f"RESPONSE_{part_id}" if part_id else "RESPONSE"
        if part_id:
            part = next(p for p in variant.parts if p.id == part_id)
            b.blocks.append(Block("html", html=_xhtml(lms_html(f"**({part_id})** {part.prompt}"))))
        b.part = part_id
        support = review("qti21", pool, key, notes, part_id)
        manual = _part(b, rid, key, f"{points:g}", support) or manual
    if manual:
        b.blocks.append(Block("scorer", html=_xhtml(lms_html(grader_markdown(variant)))))
    solution = b.add_feedback("solution", variant.solution)
    if solution:
        b.rules.append(_show(solution))
    identifier = ident("i", variant.uid)
    return Item(
        identifier=identifier,
        title=plain_text(f"{variant.title or variant.question_id} ({variant.uid[:8]})"),
        href=f"items/{identifier}.xml",
        points=f"{variant.points:g}",
        declarations=tuple(b.declarations),
        blocks=tuple(b.blocks),
        rules=tuple(b.rules),
        feedback=tuple(b.feedback),
    )


# --- the packaged item template, written by Python --------------------------------------------

#: The sha256 of the packaged ``templates/qti21/item.xml.j2`` that :func:`item_xml` writes.
#: Another text (an edited template) is rendered by jinja: the file is the one source of the
#: layout, and ``tests/test_export_qti21_writer.py`` fails until the two agree again.
ITEM_TEMPLATE_SHA256 = "1b5e9703c2e04b41974b5a0b7f2a5f65c1cd003bdf8db1c59a60cc5ef1681f62"

_ITEM_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<assessmentItem'
    ' xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    ' xsi:schemaLocation="http://www.imsglobal.org/xsd/imsqti_v2p1'
    ' http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd" identifier="'
)
_OUTCOMES = (
    '  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">\n'
    "    <defaultValue>\n      <value>0</value>\n    </defaultValue>\n  </outcomeDeclaration>\n"
    '  <outcomeDeclaration identifier="MAXSCORE" cardinality="single" baseType="float">\n'
    "    <defaultValue>\n      <value>"
)
_BODY = (
    "</value>\n    </defaultValue>\n  </outcomeDeclaration>\n"
    '  <outcomeDeclaration identifier="FEEDBACK" cardinality="multiple" baseType="identifier"/>\n'
    "  <itemBody>\n"
)


@lru_cache(maxsize=64)
def _is_packaged(filename: str | None) -> bool:
    """Whether a template file is the packaged ``item.xml.j2`` that :func:`item_xml` writes
    (an instructor's override, or an edited copy, is rendered by jinja)."""
    packaged = packaged_template_dir() / "qti21" / "item.xml.j2"
    if filename is None or Path(filename) != packaged:
        return False
    return hashlib.sha256(packaged.read_bytes()).hexdigest() == ITEM_TEMPLATE_SHA256


def item_xml(item: Item) -> str:
    """The text the packaged ``item.xml.j2`` renders for ``item``, written directly.

    Jinja's sandboxed render of that template was a third of a QTI export's item mapping
    (about 0.15 ms an item); this writes the same characters, escaping what the template
    escapes (autoescape) and inserting as they are what it marks ``safe`` or that is markup.
    """
    out = [_ITEM_HEAD, escape(item.identifier), '" title="', escape(item.title)]
    out.append('" adaptive="false" timeDependent="false">\n')
    for d in item.declarations:
        _declaration_xml(out, d)
    out += [_OUTCOMES, escape(item.points), _BODY]
    for block in item.blocks:
        _block_xml(out, block)
    out += ["  </itemBody>\n  <responseProcessing>\n    ", item.processing]
    out.append("\n  </responseProcessing>\n")
    for fid, html in item.feedback:
        out += ['  <modalFeedback outcomeIdentifier="FEEDBACK" identifier="', escape(fid)]
        out += ['" showHide="show">\n    <div>', html, "</div>\n  </modalFeedback>\n"]
    out.append("</assessmentItem>\n")
    return "".join(out)


def _declaration_xml(out: list[str], d: Declaration) -> None:
    """One ``responseDeclaration`` as the template lays it out."""
    out += ['  <responseDeclaration identifier="', escape(d.identifier), '" cardinality="']
    out += [escape(d.cardinality), '" baseType="', escape(d.base_type), '">\n']
    if d.correct:
        out.append("    <correctResponse>\n")
        for value in d.correct:
            out += ["      <value>", escape(value), "</value>\n"]
        out.append("    </correctResponse>\n")
    m = d.mapping
    if m:
        out += ['    <mapping defaultValue="', escape(m.default), '"']
        if m.lower:
            out += [' lowerBound="', escape(m.lower), '"']
        if m.upper:
            out += [' upperBound="', escape(m.upper), '"']
        out.append(">\n")
        for key, value, case in m.entries:
            out += ['      <mapEntry mapKey="', escape(key), '" mappedValue="', escape(value), '"']
            if case:
                out += [' caseSensitive="', escape(case), '"']
            out.append("/>\n")
        out.append("    </mapping>\n")
    out.append("  </responseDeclaration>\n")


def _block_xml(out: list[str], block: Block) -> None:
    """One piece of the ``itemBody`` as the template lays it out."""
    kind, response = block.kind, block.response
    if kind == "html":
        out += ["    <div>", block.html, "</div>\n"]
    elif kind == "choice":
        out += ['    <choiceInteraction responseIdentifier="', escape(response)]
        out += ['" shuffle="false" maxChoices="', escape(block.max_choices), '">\n']
        for choice_id, html in block.choices:
            out += ['      <simpleChoice identifier="', escape(choice_id), '">', html]
            out.append("</simpleChoice>\n")
        out.append("    </choiceInteraction>\n")
    elif kind == "text":
        out += ['    <p><textEntryInteraction responseIdentifier="', escape(response)]
        out += ['" expectedLength="', "12" if block.numeric else "30", '"/></p>\n']
    elif kind == "extended":
        out += ['    <extendedTextInteraction responseIdentifier="', escape(response)]
        out.append('" expectedLines="8"/>\n')
    elif kind == "scorer":
        out += ['    <rubricBlock view="scorer">\n      <div>', block.html]
        out.append("</div>\n    </rubricBlock>\n")


@dataclass(frozen=True)
class ItemRef:
    """What the test and the manifest say of one item: it is written to its own file as
    soon as it is made, and only this much of it is kept."""

    identifier: str
    title: str
    href: str
    points: str


@dataclass(frozen=True)
class ItemFile:
    """One item, made and rendered (its file's bytes): an exporter's unit of work."""

    ref: ItemRef
    data: bytes


@dataclass(frozen=True)
class _Section:
    identifier: str
    title: str
    items: tuple[ItemRef, ...]


class Qti21Exporter:
    """An IMS content package of QTI 2.1 items and one test."""

    name = "qti21"
    suffix = ".zip"

    def item(self, variant: Variant, pool: Pool, options: ExportOptions, notes: Notes) -> ItemFile:
        """One variant of ``pool`` as an item file (``item.xml.j2`` rendered here, so that
        worker processes do that work too; the packaged template by :func:`item_xml`)."""
        template = template_environment("qti21", options.template_dir).get_template("item.xml.j2")
        item = qti21_item(variant, pool, notes)
        ref = ItemRef(item.identifier, item.title, item.href, item.points)
        text = item_xml(item) if _is_packaged(template.filename) else template.render(item=item)
        return ItemFile(ref, text.encode("utf-8"))

    def write(self, stream: PoolStream, options: ExportOptions, out: BinaryIO) -> None:
        """The zip: ``imsmanifest.xml``, ``test.xml`` and ``items/*.xml``.

        Item files go into the archive as they arrive; ``test.xml.j2`` and
        ``imsmanifest.xml.j2`` are rendered last, their sections' items being
        :class:`ItemRef` (identifier, title, href, points).
        """
        env = template_environment("qti21", options.template_dir)
        sections = []
        with ZipWriter(out) as archive:
            for pool, files in stream.pools:
                for made in files:
                    archive.add(made.ref.href, made.data)
                sections.append(
                    _Section(
                        identifier=ident("s", pool.bank_id, pool.question_id),
                        title=plain_text(pool.title),
                        items=tuple(made.ref for made in files),
                    )
                )
            test_id = ident("t", "qti21", options.title, *stream.bank_ids)
            context = {"test_id": test_id, "title": options.title, "sections": sections}
            for name in ("imsmanifest.xml", "test.xml"):
                text = env.get_template(f"{name}.j2").render(context)
                archive.add(name, text.encode("utf-8"))
