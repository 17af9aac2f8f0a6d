"""Feedback pages: one student's answers, verdicts, feedback and the worked solutions.

Rendered from a grading result (:class:`~quizgen.grade.pipeline.StudentGrade`) and the
frozen exam, through the ``feedback`` templates, as Markdown and as self-contained HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from string import ascii_lowercase

import jinja2
from markupsafe import Markup, escape

from quizgen.grade.pipeline import ItemResult, StudentGrade
from quizgen.render.views import student_exam_view
from quizgen.variant import Exam, Paper, Variant

__all__ = ["feedback_files", "feedback_html", "feedback_markdown"]

_STATUS_TEXT = {
    "correct": "Correct",
    "incorrect": "Incorrect",
    "invalid": "Could not be read",
    "manual": "To be graded by hand",
    "blank": "No answer",
    "missing": "No submission",
}
# An invalid verdict whose answer was read but not judged (grade/expression.py): not unreadable.
_UNDECIDED = "Not decided automatically: your instructor will check"


@lru_cache(maxsize=1024)  # a class earns a few hundred distinct scores and percentages
def _num(value: float) -> str:
    """A score as shown: at most 3 decimals, no trailing zeros (``2.5``, ``3``)."""
    text = f"{round(value, 3):.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class _Text:
    """How one feedback format writes bank Markdown, a student's text and a caret block."""

    markdown: Callable[[str], str]
    inline: Callable[[str], str]
    literal: Callable[[str], str]
    block: Callable[[str], str]


def _md_fence(text: str) -> str:
    """``text`` verbatim as a fenced Markdown block (the fence outgrows any backtick run)."""
    if not text:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _md_code(text: str) -> str:
    """``text`` verbatim in Markdown: a code span, or a fenced block when it has lines."""
    if "\n" in text:
        return _md_fence(text)
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _html_block(text: str) -> Markup:
    return Markup(f"<pre>{escape(text)}</pre>") if text else Markup("")


def _html_literal(text: str) -> Markup:
    return _html_block(text) if "\n" in text else Markup(f"<code>{escape(text)}</code>")


@lru_cache(maxsize=1)
def _html_text() -> _Text:
    from quizgen.render.mathtext import markdown_to_html

    return _Text(
        markdown=lambda t: Markup(markdown_to_html(t)) if t else Markup(""),
        inline=lambda t: Markup(markdown_to_html(t, inline=True)) if t else Markup(""),
        literal=_html_literal,
        block=_html_block,
    )


_MD_TEXT = _Text(markdown=lambda t: t, inline=lambda t: t, literal=_md_code, block=_md_fence)


def _feedback_text(item: ItemResult, fmt: _Text) -> str:
    """Bank feedback is Markdown; a checker's message about unreadable input is verbatim."""
    if item.status == "invalid":
        return fmt.block(item.feedback)
    return fmt.markdown(item.feedback)


@dataclass(frozen=True, slots=True)
class ItemView:
    """One answered item on a feedback page; every text is ready to print."""

    label: str  # "" for a question without parts, else "a", "b", …
    prompt: str
    response: str
    multiline: bool
    status: str
    verdict: str
    earned: str
    points: str
    feedback: str
    expected: str
    solution: str


@dataclass(frozen=True, slots=True)
class QuestionView:
    number: int
    title: str
    prompt: str
    solution: str
    earned: str
    points: str
    parts: tuple[ItemView, ...]


@dataclass(frozen=True, slots=True)
class StudentView:
    id: str
    name: str
    total: str
    max: str
    percent: str
    manual: int


def _item_view(item: ItemResult, label: str, prompt: str, solution: str, fmt: _Text) -> ItemView:
    return ItemView(
        label=label,
        prompt=fmt.markdown(prompt),
        response=fmt.literal(item.response_text) if item.response_text else "",
        multiline="\n" in item.response_text,
        status=item.status,
        verdict=_UNDECIDED if item.method == "undecided" else _STATUS_TEXT[item.status],
        earned=_num(item.earned),
        points=_num(item.points),
        feedback=_feedback_text(item, fmt) if item.feedback else "",
        expected=fmt.inline(item.expected),
        solution=fmt.markdown(solution),
    )


#: A question's view and its section, as :func:`_shown` keeps them.
_Shown = tuple[QuestionView, Markup]

#: Everything of an item that its view shows (see :func:`_item_view`), as one tuple.
_item_key = attrgetter(
    "response_text", "status", "method", "earned", "points", "feedback", "expected"
)


_QUESTION_VIEWS = 20_000  # answer ids kept (a view and a section each); past it, afresh
_answer_ids: dict[tuple[object, ...], int] = {}  # (number, uid, items' keys) → small id
#: (format, section template) → (that template, answer id → (view, rendered section))
_shown_as: dict[tuple[int, int], tuple[jinja2.Template, dict[int, _Shown]]] = {}
_views_of: list[Exam] = []  # the exam the cached views belong to

#: One question of a student's page: its number, variant, the student's items on it, and
#: the id of what the student answered there (equal ids: equal views).
_Answered = tuple[int, Variant, list[ItemResult], int]


def _answered(exam: Exam, paper: Paper, student: StudentGrade) -> list[_Answered]:
    """Each question of ``paper`` with ``student``'s items and the id of those answers.

    Students who gave the same answers to the same variant at the same place on the paper
    (many, in a class) share an id, and so one view and one rendered section. The views are
    immutable and hold only the key's texts and what the items show, so one student never
    sees another's text. Within one exam a variant's uid names its content (a re-solved
    exam is another exam): the caches are emptied when the exam changes.
    """
    if not _views_of or _views_of[0] is not exam or len(_answer_ids) >= _QUESTION_VIEWS:
        _answer_ids.clear()
        _shown_as.clear()
        _views_of[:] = [exam]
    found = []
    for n, (variant, items) in enumerate(_by_question(paper, student.items), start=1):
        key = (n, variant.uid, tuple(map(_item_key, items)))
        ident = _answer_ids.get(key)
        if ident is None:
            ident = _answer_ids[key] = len(_answer_ids)
        found.append((n, variant, items, ident))
    return found


def _by_question(paper: Paper, items: list[ItemResult]) -> list[tuple[Variant, list[ItemResult]]]:
    """Each variant of ``paper`` with the items of its question, in order.

    A graded student's items come in paper order, a question's together: they are cut in
    one pass. Anything else (items out of order, a question twice on a paper) is grouped
    by question id, as it always was (a question without items raises KeyError).
    """
    variants = paper.variants
    cut, at, end = [], 0, len(items)
    for variant in variants:
        question, start = variant.question_id, at
        while at < end and items[at].question_id == question:
            at += 1
        if at == start:
            break
        cut.append((variant, items[start:at]))
    else:
        if at == end and len({v.question_id for v in variants}) == len(variants):
            return cut
    by_question: dict[str, list[ItemResult]] = {}
    for item in items:
        by_question.setdefault(item.question_id, []).append(item)
    return [(v, by_question[v.question_id]) for v in variants]


def _shown(
    answered: list[_Answered], fmt: _Text, template: jinja2.Template
) -> tuple[list[QuestionView], list[Markup]]:
    """The views of a page's questions and each question rendered by ``template``
    (``question.*.j2``), both made once per answer id: one lookup for a question already
    shown (400,000 of them for 10,000 students' two pages).

    A section is Markup: a section of an HTML page is HTML already (escaped by its own
    template).
    """
    key = (id(fmt), id(template))
    held = _shown_as.get(key)
    if held is None or held[0] is not template:  # is: an id() may be reused
        held = _shown_as[key] = (template, {})
    table = held[1]
    views, sections = [], []
    for number, variant, items, ident in answered:
        found = table.get(ident)
        if found is None:
            view = _question_view(number, variant, items, fmt)
            found = table[ident] = (view, Markup(template.render(q=view)))
        views.append(found[0])
        sections.append(found[1])
    return views, sections


def _question_view(
    number: int, variant: Variant, items: list[ItemResult], fmt: _Text
) -> QuestionView:
    if variant.parts:
        parts = tuple(
            _item_view(item, ascii_lowercase[j], part.prompt, part.solution, fmt)
            for j, (part, item) in enumerate(zip(variant.parts, items, strict=True))
        )
    else:
        parts = (_item_view(items[0], "", "", "", fmt),)
    return QuestionView(
        number=number,
        title=variant.title or "",
        prompt=fmt.markdown(variant.prompt),
        solution=fmt.markdown(variant.solution),
        earned=_num(sum(i.earned for i in items)),
        points=_num(sum(i.points for i in items)),
        parts=parts,
    )


def _student_context(exam: Exam, student: StudentGrade) -> dict:
    """What both feedback pages of ``student`` show of the exam and the student."""
    return {
        "exam": student_exam_view(exam),
        "student": StudentView(
            id=student.student_id,
            name=student.name,
            total=_num(student.total),
            max=_num(student.max),
            percent=_num(student.percent),
            manual=student.manual,
        ),
    }


def _page(
    templates: _Templates,
    fmt: _Text,
    shared: dict,
    answered: list[_Answered],
    **extra: object,
) -> str:
    """One feedback page: ``templates`` (page, section) given ``exam``, ``student``,
    ``questions`` and ``sections`` (each question rendered by the section template)."""
    page, section = templates
    questions, sections = _shown(answered, fmt, section)
    return page.render(shared, questions=questions, sections=sections, **extra)


#: A feedback page's template and its questions' template.
_Templates = tuple[jinja2.Template, jinja2.Template]


@lru_cache(maxsize=16)
def _templates(templates: Path | None, suffix: str) -> _Templates:
    """The ``feedback`` templates of one format (``md``, ``html``), looked up once per
    folder (jinja's own lookup costs a few µs, twice per student; templates never change
    mid-run, see :mod:`quizgen.render.templates`)."""
    from quizgen.render.templates import template_environment

    env = template_environment("feedback", templates)
    return env.get_template(f"feedback.{suffix}.j2"), env.get_template(f"question.{suffix}.j2")


@lru_cache(maxsize=8)
def _style_css(templates: Path | None) -> Markup:
    """The packaged (or overridden) ``html/style.css``, to inline into feedback pages."""
    from quizgen.render.templates import template_environment

    env = template_environment("html", templates)
    try:
        source, _, _ = env.loader.get_source(env, "style.css")
    except jinja2.TemplateNotFound:
        return Markup("")
    return Markup(source)


def feedback_markdown(
    exam: Exam, paper: Paper, student: StudentGrade, templates: Path | None = None
) -> str:
    """One student's feedback as Markdown: answers, verdicts, feedback, answers, solutions."""
    answered = _answered(exam, paper, student)
    shared = _student_context(exam, student)
    return _page(_templates(templates, "md"), _MD_TEXT, shared, answered)


def feedback_html(
    exam: Exam, paper: Paper, student: StudentGrade, templates: Path | None = None
) -> str:
    """One student's feedback as a self-contained HTML page (math as MathML, no network)."""
    answered = _answered(exam, paper, student)
    shared = _student_context(exam, student)
    return _html_page(templates, shared, answered)


def _html_page(templates: Path | None, shared: dict, answered: list[_Answered]) -> str:
    html = _templates(templates, "html")
    return _page(html, _html_text(), shared, answered, css=_style_css(templates))


def feedback_files(
    exam: Exam, paper: Paper, student: StudentGrade, templates: Path | None = None
) -> dict[str, str]:
    """Both feedback files of one student: suffix → text."""
    answered = _answered(exam, paper, student)  # once for both pages
    shared = _student_context(exam, student)
    return {
        ".md": _page(_templates(templates, "md"), _MD_TEXT, shared, answered),
        ".html": _html_page(templates, shared, answered),
    }
