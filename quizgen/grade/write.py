"""Write a grading run into a folder: grades, verdicts, rejections, feedback, gradebooks.

Each file is built as a string by a pure function and written atomically. Everything except
``timing.csv`` is byte-identical when the same key and submissions are graded again.

Files (see docs/grading-pipeline.md): ``grades.csv``, ``grading.json``, ``rejected.csv``,
``timing.csv``, ``feedback/<student>.html`` and ``.md``, and with ``gradebook``
``gradebook-canvas.csv`` or ``gradebook-moodle.csv``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import ascii_lowercase

from markupsafe import Markup, escape

from quizgen.errors import UsageError
from quizgen.grade.pipeline import GradeReport, ItemResult, StudentGrade
from quizgen.output import write_text_atomic
from quizgen.papers import paper_stems
from quizgen.render.views import exam_view
from quizgen.variant import Exam, Paper, Variant

__all__ = [
    "GRADEBOOKS",
    "canvas_csv",
    "feedback_html",
    "feedback_markdown",
    "gradebook_writer",
    "grades_csv",
    "grading_json",
    "item_columns",
    "moodle_csv",
    "rejected_csv",
    "timing_csv",
    "write_grading",
]

_STATUS_TEXT = {
    "correct": "Correct",
    "incorrect": "Incorrect",
    "invalid": "Could not be read",
    "manual": "To be graded by hand",
    "blank": "No answer",
    "missing": "No submission",
}


# --- small helpers ---------------------------------------------------------------------------


def _num(value: float) -> str:
    """A number for a CSV cell: at most 3 decimals, no trailing zeros (``2.5``, ``3``)."""
    text = f"{round(value, 3):.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _csv(rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _column(item: ItemResult) -> str:
    return f"{item.question_id}.{item.part_id}" if item.part_id else item.question_id


def _merge(columns: list[str], sequence: list[str]) -> None:
    """Insert the new names of ``sequence`` into ``columns``, keeping both orders."""
    for i, name in enumerate(sequence):
        if name in columns:
            continue
        later = [columns.index(n) for n in sequence[i + 1 :] if n in columns]
        earlier = [columns.index(n) for n in sequence[:i] if n in columns]
        if earlier:
            columns.insert(max(earlier) + 1, name)
        elif later:
            columns.insert(min(later), name)
        else:
            columns.append(name)


def item_columns(report: GradeReport) -> list[str]:
    """One column per question (``q``) or part (``q.part``), in paper order.

    With ``--pick`` students have different questions; the columns are the union, with
    every paper's order kept.
    """
    columns: list[str] = []
    for student in report.students:
        _merge(columns, [_column(i) for i in student.items])
    return columns


def _student_status(student: StudentGrade) -> str:
    if student.status == "missing":
        return "missing"
    return "needs manual grading" if student.manual else "graded"


def _cell(item: ItemResult) -> str:
    return "" if item.status in ("manual", "missing") else _num(item.earned)


# --- CSV and JSON files ----------------------------------------------------------------------

GRADES_HEADER = ["id", "name", "status", "total", "max", "percent"]


def grades_csv(report: GradeReport) -> str:
    """``grades.csv``: one row per student, then the points earned on each item.

    A cell is empty when the item is not on the student's paper, still needs manual
    grading, or the student submitted nothing.
    """
    columns = item_columns(report)
    rows = [GRADES_HEADER + columns]
    for s in report.students:
        cells = {_column(i): _cell(i) for i in s.items}
        head = [s.student_id, s.name, _student_status(s), _num(s.total), _num(s.max)]
        rows.append(head + [_num(s.percent)] + [cells.get(c, "") for c in columns])
    return _csv(rows)


def _inert(text: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP "CSV injection")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rejected_csv(report: GradeReport) -> str:
    """``rejected.csv``: source, student, reason (only the header when nothing was rejected).

    Students write these values (a student id, a question name), so none may start a formula.
    """
    rows = [["source", "student", "reason"]]
    rows += [
        [_inert(r.source), _inert(r.student or ""), _inert(r.reason)] for r in report.rejections
    ]
    return _csv(rows)


def timing_csv(report: GradeReport) -> str:
    """``timing.csv``: how long each check took (the one output that differs between runs)."""
    rows = [["student", "question", "part", "kind", "status", "method", "cached", "ms"]]
    for s in report.students:
        for i in s.items:
            if i.status in ("blank", "missing"):
                continue
            ms = f"{1000 * i.seconds:.3f}"
            cached = "yes" if i.cached else "no"
            rows.append(
                [s.student_id, i.question_id, i.part_id, i.kind, i.status, i.method, cached, ms]
            )
    return _csv(rows)


_NO_TIMING = {"students": {"__all__": {"items": {"__all__": {"seconds"}}}}}


def grading_json(report: GradeReport) -> str:
    """``grading.json``: the whole report except check times (so reruns are identical)."""
    return report.model_dump_json(indent=1, exclude=_NO_TIMING) + "\n"


# --- gradebooks ------------------------------------------------------------------------------


def _max_points(report: GradeReport) -> float:
    return max((s.max for s in report.students), default=0.0)


def _lms_grade(student: StudentGrade) -> str:
    """The grade an LMS receives; blank for a missing submission (the instructor decides)."""
    return "" if student.status == "missing" else _num(student.total)


CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def canvas_csv(report: GradeReport, assignment: str) -> str:
    """A Canvas gradebook import file (Grades → Import).

    Layout, as Canvas's importer reads it (instructure/canvas-lms,
    ``app/models/gradebook_importer.rb``; Canvas Instructor Guide "How do I import grades in
    the Gradebook?", and Ohio State's "Import a CSV file to Carmen Grades"):

    * header ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment>``: the importer
      wants ``Student`` then ``ID`` first and ``Section`` as the last student column;
      ``<assignment>`` is ``Name (id)`` to update an existing assignment, else a plain
      name, which creates a new one;
    * a ``Points Possible`` row, from which the importer sets a new assignment's points;
    * one row per student. Canvas matches a student by ID (Canvas's own user id, unknown
      here, left empty), then SIS User ID, then SIS Login ID, then name; quizgen writes the
      roster id as the SIS User ID and the roster name as Student.
    """
    rows = [
        [*CANVAS_HEADER, assignment],
        ["Points Possible", "", "", "", "", _num(_max_points(report))],
    ]
    for s in report.students:
        rows.append([s.name or s.student_id, "", s.student_id, "", "", _lms_grade(s)])
    return _csv(rows)


MOODLE_HEADER = ["ID number", "Full name"]


def moodle_csv(report: GradeReport, assignment: str) -> str:
    """A Moodle grade import file (Grades → Import → CSV file).

    Moodle maps columns when importing (MoodleDocs "Grade import"): choose *Map from*
    ``ID number`` and *Map to* ``useridnumber`` (or ``username``, if the roster ids are
    user names), then map the ``<assignment>`` column to a grade item or to a new one.
    Header: ``ID number,Full name,<assignment>``; the name is there for people and is
    ignored on import. No feedback column: importing one would overwrite the grade too.
    """
    rows = [[*MOODLE_HEADER, assignment]]
    rows += [[s.student_id, s.name, _lms_grade(s)] for s in report.students]
    return _csv(rows)


GRADEBOOKS: dict[str, Callable[[GradeReport, str], str]] = {
    "canvas": canvas_csv,
    "moodle": moodle_csv,
}


def gradebook_writer(name: str) -> Callable[[GradeReport, str], str]:
    """The function that writes gradebook ``name``.

    Raises:
        UsageError: no such gradebook (the message lists the valid names).
    """
    try:
        return GRADEBOOKS[name]
    except KeyError:
        valid = ", ".join(sorted(GRADEBOOKS))
        raise UsageError(f"unknown gradebook '{name}'; choose one of: {valid}") from None


# --- feedback --------------------------------------------------------------------------------


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


def _html_text() -> _Text:
    from quizgen.mdmath import markdown_to_html

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
        verdict=_STATUS_TEXT[item.status],
        earned=_num(item.earned),
        points=_num(item.points),
        feedback=_feedback_text(item, fmt) if item.feedback else "",
        expected=fmt.inline(item.expected),
        solution=fmt.markdown(solution),
    )


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


def _feedback_context(exam: Exam, paper: Paper, student: StudentGrade, fmt: _Text) -> dict:
    """What the feedback templates receive: ``exam``, ``student`` and ``questions``."""
    by_question: dict[str, list[ItemResult]] = {}
    for item in student.items:
        by_question.setdefault(item.question_id, []).append(item)
    return {
        "exam": exam_view(exam),
        "student": StudentView(
            id=student.student_id,
            name=student.name,
            total=_num(student.total),
            max=_num(student.max),
            percent=_num(student.percent),
            manual=student.manual,
        ),
        "questions": [
            _question_view(n, v, by_question[v.question_id], fmt)
            for n, v in enumerate(paper.variants, start=1)
        ],
    }


def _style_css(templates: Path | None) -> Markup:
    """The packaged (or overridden) ``html/style.css``, to inline into feedback pages."""
    import jinja2

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
    from quizgen.render.templates import template_environment

    env = template_environment("feedback", templates)
    context = _feedback_context(exam, paper, student, _MD_TEXT)
    return env.get_template("feedback.md.j2").render(context)


def feedback_html(
    exam: Exam, paper: Paper, student: StudentGrade, templates: Path | None = None
) -> str:
    """One student's feedback as a self-contained HTML page (math as MathML, no network)."""
    from quizgen.render.templates import template_environment

    env = template_environment("feedback", templates)
    context = _feedback_context(exam, paper, student, _html_text())
    return env.get_template("feedback.html.j2").render(context, css=_style_css(templates))


# --- the folder ------------------------------------------------------------------------------


def write_grading(
    out: Path,
    exam: Exam,
    report: GradeReport,
    *,
    gradebook: str | None = None,
    assignment: str | None = None,
    templates: Path | None = None,
) -> list[Path]:
    """Write every output of a grading run into ``out`` (which must exist); return the paths.

    Feedback is written only for students who submitted: the solutions are not sent to a
    student who may still sit the exam.
    """
    build = gradebook_writer(gradebook) if gradebook else None
    files = {
        "grades.csv": grades_csv(report),
        "grading.json": grading_json(report),
        "rejected.csv": rejected_csv(report),
        "timing.csv": timing_csv(report),
    }
    if build is not None:
        files[f"gradebook-{gradebook}.csv"] = build(report, assignment or exam.title)
    grades = {s.student_id: s for s in report.students}
    for paper, stem in zip(exam.papers, paper_stems(exam), strict=True):
        student = grades.get(paper.student_id)
        if student is None or student.status == "missing":
            continue
        files[f"feedback/{stem}.md"] = feedback_markdown(exam, paper, student, templates)
        files[f"feedback/{stem}.html"] = feedback_html(exam, paper, student, templates)
    written = []
    for name, text in files.items():
        write_text_atomic(out / name, text)
        written.append(out / name)
    return written
