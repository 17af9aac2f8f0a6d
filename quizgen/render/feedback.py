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


#: Everything of an item that its view shows (see :func:`_item_view`), as one tuple.
_item_key = attrgetter(
    "response_text", "status", "method", "earned", "points", "feedback", "expected"
)


_QUESTION_VIEWS = 20_000  # views kept: a few kB each; past it, the caches start afresh
_answer_ids: dict[tuple[object, ...], int] = {}  # (number, uid, items' keys) → small id
_question_views: dict[tuple[int, int], QuestionView] = {}  # (format, answer id) → view
_sections: dict[tuple[int, int], Markup] = {}  # (template, answer id) → rendered question
_shown_as: dict[tuple[int, int, int], tuple[QuestionView, Markup]] = {}  # both of the above
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
        _question_views.clear()
        _sections.clear()
        _shown_as.clear()
        _views_of[:] = [exam]
    by_question: dict[str, list[ItemResult]] = {}
    for item in student.items:
        by_question.setdefault(item.question_id, []).append(item)
    found = []
    for n, variant in enumerate(paper.variants, start=1):
        items = by_question[variant.question_id]
        key = (n, variant.uid, tuple(map(_item_key, items)))
        ident = _answer_ids.get(key)
        if ident is None:
            ident = _answer_ids[key] = len(_answer_ids)
        found.append((n, variant, items, ident))
    return found


def _shared_question_view(answered: _Answered, fmt: _Text) -> QuestionView:
    """:func:`_question_view`, built once per answer id and format."""
    number, variant, items, ident = answered
    key = (id(fmt), ident)
    found = _question_views.get(key)
    if found is None:
        found = _question_views[key] = _question_view(number, variant, items, fmt)
    return found


def _section(template: jinja2.Template, ident: int, view: QuestionView) -> Markup:
    """One question rendered by ``template`` (``question.*.j2``), once per answer id.

    Markup: a section of an HTML page is HTML already (escaped by its own template).
    """
    key = (id(template), ident)
    found = _sections.get(key)
    if found is None:
        found = _sections[key] = Markup(template.render(q=view))
    return found


def _shown(
    answered: _Answered, fmt: _Text, template: jinja2.Template
) -> tuple[QuestionView, Markup]:
    """(:func:`_shared_question_view`, :func:`_section`) of one question: one lookup for
    a question already shown (400,000 of them for 10,000 students' two pages)."""
    key = (id(fmt), id(template), answered[3])
    found = _shown_as.get(key)
    if found is None:
        view = _shared_question_view(answered, fmt)
        found = _shown_as[key] = (view, _section(template, answered[3], view))
    return found


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


def _feedback_context(
    exam: Exam,
    student: StudentGrade,
    answered: list[_Answered],
    fmt: _Text,
    section: jinja2.Template,
) -> dict:
    """What the feedback templates receive: ``exam``, ``student``, ``questions`` and
    ``sections`` (each question rendered by ``section``)."""
    shown = [_shown(a, fmt, section) for a in answered]
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
        "questions": [view for view, _ in shown],
        "sections": [rendered for _, rendered in shown],
    }


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
    return _markdown_page(exam, student, _answered(exam, paper, student), templates)


def _markdown_page(
    exam: Exam, student: StudentGrade, answered: list[_Answered], templates: Path | None
) -> str:
    from quizgen.render.templates import template_environment

    env = template_environment("feedback", templates)
    section = env.get_template("question.md.j2")
    context = _feedback_context(exam, student, answered, _MD_TEXT, section)
    return env.get_template("feedback.md.j2").render(context)


def feedback_html(
    exam: Exam, paper: Paper, student: StudentGrade, templates: Path | None = None
) -> str:
    """One student's feedback as a self-contained HTML page (math as MathML, no network)."""
    return _html_page(exam, student, _answered(exam, paper, student), templates)


def _html_page(
    exam: Exam, student: StudentGrade, answered: list[_Answered], templates: Path | None
) -> str:
    from quizgen.render.templates import template_environment

    env = template_environment("feedback", templates)
    section = env.get_template("question.html.j2")
    context = _feedback_context(exam, student, answered, _html_text(), section)
    return env.get_template("feedback.html.j2").render(context, css=_style_css(templates))


def feedback_files(
    exam: Exam, paper: Paper, student: StudentGrade, templates: Path | None = None
) -> dict[str, str]:
    """Both feedback files of one student: suffix → text."""
    answered = _answered(exam, paper, student)  # once for both pages
    return {
        ".md": _markdown_page(exam, student, answered, templates),
        ".html": _html_page(exam, student, answered, templates),
    }
