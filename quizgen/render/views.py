"""What the paper and key templates receive: plain view objects built from an Exam.

A paper view is built only from the fields a student may see (prompt, points, option labels
and texts), so no template, packaged or user-written, can leak an answer from a paper: the
answers are never passed to it, and neither is the exam seed (papers and feedback get a
:class:`StudentExamView`, which has only the fingerprint). A format supplies the functions
that turn bank Markdown, formulas and plain text into its markup (:class:`Format`).

Every question has ``items``, its answer slots: one unlabelled item for a plain question, one
item per part (a), (b), … for a multipart question, so a template needs a single loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from string import ascii_lowercase

from quizgen.bank.model import Tolerance
from quizgen.fingerprint import exam_fingerprint
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    Exam,
    ExpressionKey,
    NumericKey,
    Paper,
    TextKey,
    TrueFalseKey,
    Variant,
    correct_options,
    numeric_text,
)

__all__ = [
    "AnswerLine",
    "ExamView",
    "Format",
    "ItemView",
    "KeyItemView",
    "KeyPaperView",
    "KeyQuestionView",
    "OptionView",
    "PaperView",
    "QuestionView",
    "StudentExamView",
    "answer_lines",
    "exam_view",
    "key_paper_view",
    "paper_view",
    "points_text",
    "student_exam_view",
    "tolerance_text",
]

Markup = Callable[[str], str]


@dataclass(frozen=True)
class Format:
    """How one output format writes bank text and formulas."""

    text: Markup  # Markdown block text (prompts, solutions) -> markup
    inline: Markup  # Markdown on one line (option texts, titles) -> markup
    math: Markup  # a LaTeX formula -> inline markup
    code: Markup  # literal text shown as code -> markup
    plain: Markup  # literal text -> markup (escaped)
    markup: Markup  # declares a string composed of markup pieces to be markup


@dataclass(frozen=True, slots=True)
class ExamView:
    """The exam as the instructor's key shows it (the seed included)."""

    title: str
    course: str
    seed: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class StudentExamView:
    """The exam as papers and feedback show it: no seed, so no template can print it."""

    title: str
    course: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class OptionView:
    label: str  # "A", "B", …; empty for true/false
    text: str
    correct: bool = False  # always False on a paper


@dataclass(frozen=True, slots=True)
class ItemView:
    """One answer slot of a student's paper: a plain question's own, or a part."""

    label: str  # "" for a plain question; "a", "b", … for parts
    kind: str  # numeric | expression | choice | multi | truefalse | text | essay
    response: str  # line | choice | multi | truefalse | essay
    points: str  # "2 points"
    prompt: str  # a part's prompt; "" for a plain question (its prompt is the question's)
    unit: str = ""
    options: tuple[OptionView, ...] = ()


@dataclass(frozen=True, slots=True)
class QuestionView:
    label: str  # "1", "2", …
    kind: str
    title: str
    points: str
    prompt: str
    items: tuple[ItemView, ...]


@dataclass(frozen=True, slots=True)
class PaperView:
    student_id: str
    name: str
    number: int
    points: str
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True, slots=True)
class AnswerLine:
    """One labelled line of a key entry, e.g. ("Answer", "20362 parameters")."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class KeyItemView:
    """One answer slot with its correct answer and, for a part, its worked solution."""

    label: str
    kind: str
    points: str
    prompt: str
    answer: tuple[AnswerLine, ...]
    options: tuple[OptionView, ...] = ()
    solution: str = ""


@dataclass(frozen=True, slots=True)
class KeyQuestionView:
    label: str
    kind: str
    title: str
    points: str
    prompt: str
    items: tuple[KeyItemView, ...]
    solution: str


@dataclass(frozen=True, slots=True)
class KeyPaperView:
    student_id: str
    name: str
    number: int
    points: str
    questions: tuple[KeyQuestionView, ...]


_RESPONSE = {
    "numeric": "line",
    "expression": "line",
    "text": "line",
    "choice": "choice",
    "multi": "multi",
    "truefalse": "truefalse",
    "essay": "essay",
}


def points_text(points: float) -> str:
    """``1`` → "1 point", ``2.0`` → "2 points", ``1.5`` → "1.5 points"."""
    number = f"{points:g}"
    return f"{number} point" if number == "1" else f"{number} points"


def exam_view(exam: Exam) -> ExamView:
    """The exam-level fields the instructor's key may show."""
    return ExamView(
        title=exam.title,
        course=exam.course or "",
        seed=exam.seed,
        fingerprint=exam_fingerprint(exam),
    )


def student_exam_view(exam: Exam) -> StudentExamView:
    """The exam-level fields a student's paper or feedback may show: never the seed.

    With the seed and the bank (often public) anyone rebuilds every key; the fingerprint
    names the exam without revealing it (:mod:`quizgen.fingerprint`).
    """
    return StudentExamView(
        title=exam.title, course=exam.course or "", fingerprint=exam_fingerprint(exam)
    )


def _slots(variant: Variant) -> list[tuple[str, AnswerKey, float, str, str]]:
    """(label, key, points, prompt, solution) of each answer slot of a variant."""
    if variant.answer is not None:
        return [("", variant.answer, variant.points, "", "")]
    return [
        (ascii_lowercase[i], p.answer, p.points, p.prompt, p.solution)
        for i, p in enumerate(variant.parts)
    ]


# --- papers (no answers) -------------------------------------------------------------------


def _paper_fields(paper: Paper) -> dict[str, object]:
    """What a paper and its key entry both say of the student and the total."""
    return {
        "student_id": paper.student_id,
        "name": paper.name,
        "number": paper.number,
        "points": points_text(sum(v.points for v in paper.variants)),
    }


def _question_fields(number: int, variant: Variant, fmt: Format) -> dict[str, object]:
    """What a question shows on a paper and in the key alike."""
    return {
        "label": str(number),
        "kind": variant.kind,
        "title": fmt.inline(variant.title) if variant.title else "",
        "points": points_text(variant.points),
        "prompt": fmt.text(variant.prompt),
    }


def paper_view(paper: Paper, fmt: Format) -> PaperView:
    """A student's paper: prompts, points and options only, never an answer."""
    questions = tuple(_question(i, v, fmt) for i, v in enumerate(paper.variants, start=1))
    return PaperView(**_paper_fields(paper), questions=questions)  # type: ignore[arg-type]


def _question(number: int, variant: Variant, fmt: Format) -> QuestionView:
    items = tuple(
        _item(label, key, points, prompt, fmt) for label, key, points, prompt, _ in _slots(variant)
    )
    return QuestionView(**_question_fields(number, variant, fmt), items=items)  # type: ignore[arg-type]


def _item(label: str, key: AnswerKey, points: float, prompt: str, fmt: Format) -> ItemView:
    """One answer slot; reads from ``key`` only what a student is shown."""
    options: tuple[OptionView, ...] = ()
    if isinstance(key, ChoiceKey):
        options = tuple(OptionView(o.label, fmt.inline(o.text)) for o in key.options)
    elif isinstance(key, TrueFalseKey):
        options = (OptionView("", fmt.plain("True")), OptionView("", fmt.plain("False")))
    unit = fmt.plain(key.unit) if isinstance(key, NumericKey) and key.unit else ""
    return ItemView(
        label=label,
        kind=key.kind,
        response=_RESPONSE[key.kind],
        points=points_text(points),
        prompt=fmt.text(prompt) if prompt else "",
        unit=unit,
        options=options,
    )


# --- the key (answers and solutions) -------------------------------------------------------


def key_paper_view(paper: Paper, fmt: Format) -> KeyPaperView:
    """One paper's answers and worked solutions, for the instructor."""
    questions = tuple(_key_question(i, v, fmt) for i, v in enumerate(paper.variants, start=1))
    return KeyPaperView(**_paper_fields(paper), questions=questions)  # type: ignore[arg-type]


def _key_question(number: int, variant: Variant, fmt: Format) -> KeyQuestionView:
    return KeyQuestionView(
        **_question_fields(number, variant, fmt),  # type: ignore[arg-type]
        items=tuple(_key_item(*slot, fmt) for slot in _slots(variant)),
        solution=fmt.text(variant.solution) if variant.solution else "",
    )


def _key_item(
    label: str, key: AnswerKey, points: float, prompt: str, solution: str, fmt: Format
) -> KeyItemView:
    options: tuple[OptionView, ...] = ()
    if isinstance(key, ChoiceKey):
        options = tuple(OptionView(o.label, fmt.inline(o.text), o.correct) for o in key.options)
    return KeyItemView(
        label=label,
        kind=key.kind,
        points=points_text(points),
        prompt=fmt.text(prompt) if prompt else "",
        answer=answer_lines(key, fmt),
        options=options,
        solution=fmt.text(solution) if solution else "",
    )


def answer_lines(key: AnswerKey, fmt: Format) -> tuple[AnswerLine, ...]:
    """The correct answer of one item, as labelled lines in the format's markup."""
    if isinstance(key, NumericKey):
        return _numeric_lines(key, fmt)
    if isinstance(key, ExpressionKey):
        lines = [AnswerLine("Answer", fmt.math(key.latex))]
        lines += [AnswerLine("Variables", fmt.code(", ".join(key.variables)))]
        return tuple(lines + _mistake_lines(key, fmt))
    if isinstance(key, ChoiceKey):
        return (AnswerLine("Answer", fmt.markup(correct_options(key, inline=fmt.inline))),)
    if isinstance(key, TrueFalseKey):
        return (AnswerLine("Answer", fmt.plain("True" if key.answer else "False")),)
    if isinstance(key, TextKey):
        return _text_lines(key, fmt)
    if isinstance(key, EssayKey):
        rubric = fmt.text(key.rubric) if key.rubric else fmt.plain("(no rubric)")
        return (AnswerLine("Rubric", rubric),)
    raise TypeError(f"unknown answer kind: {key!r}")


def _numeric_lines(key: NumericKey, fmt: Format) -> tuple[AnswerLine, ...]:
    lines = [AnswerLine("Answer", fmt.plain(numeric_text(key)))]
    lines.append(AnswerLine("Accepted", fmt.plain(tolerance_text(key.tolerance))))
    if key.require_sigfigs:
        sigfigs = f"{key.require_sigfigs} significant figures"
        lines.append(AnswerLine("Required", fmt.plain(sigfigs)))
    if key.fractions:
        lines.append(AnswerLine("Fractions", fmt.plain("accepted")))
    return tuple(lines + _mistake_lines(key, fmt))


def _text_lines(key: TextKey, fmt: Format) -> tuple[AnswerLine, ...]:
    lines = []
    if key.answers:
        accepted = fmt.markup(" | ".join(fmt.code(a) for a in key.answers))
        lines.append(AnswerLine("Accepted", accepted))
    if key.regex:
        lines.append(AnswerLine("Pattern", fmt.code(key.regex)))
    case = "case-sensitive" if key.case_sensitive else "case-insensitive"
    lines.append(AnswerLine("Matching", fmt.plain(case)))
    return tuple(lines + [_mistake(fmt, m.answer, m.feedback) for m in key.mistakes])


def _mistake_lines(key: NumericKey | ExpressionKey, fmt: Format) -> list[AnswerLine]:
    return [_mistake(fmt, m.display, m.feedback) for m in key.mistakes]


def _mistake(fmt: Format, answer: str, feedback: str) -> AnswerLine:
    return AnswerLine("Known mistake", fmt.markup(f"{fmt.code(answer)}: {fmt.inline(feedback)}"))


def tolerance_text(tolerance: Tolerance) -> str:
    """How close a response must be, in words: "exact", "± 0.01", "± 1 %", "3 significant
    figures"."""
    rules = []
    if tolerance.absolute:
        rules.append(f"± {tolerance.absolute:g}")
    if tolerance.relative:
        rules.append(f"± {tolerance.relative * 100:g} %")
    if tolerance.sigfigs:
        rules.append(f"{tolerance.sigfigs} significant figures")
    return " or ".join(rules) if rules else "exact"
