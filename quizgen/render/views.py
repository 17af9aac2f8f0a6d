"""What the paper and key templates receive: plain view objects built from an Exam.

A paper view is built only from the fields a student may see (prompt, points, option labels
and texts), so no template, packaged or user-written, can leak an answer from a paper: the
answers are never passed to it, and neither is the exam seed (papers and feedback get a
:class:`StudentExamView`, which has only the fingerprint). A format supplies the functions
that turn bank Markdown, formulas and plain text into its markup (:class:`Format`).

Every question has ``items``, its answer slots: one unlabelled item for a plain question, one
item per part (a), (b), … for a multipart question, so a template needs a single loop. An item
carries what a student needs to answer it: the question and part ids a submission file uses,
a one-line hint on the format of the answer, and, for an expression, the names it may use.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from string import ascii_lowercase
from typing import Any

from quizgen.bank.answers import Tolerance  # not via bank.model: grade needs no bank
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
    "answer_hint",
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
    value: str = ""  # a paper's: what a submission gives for it ("A", …; "true", "false")


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
    question_id: str = ""  # the submission's key for the question
    part_id: str = ""  # the submission's key for the part; "" for a plain question
    slot: str = ""  # a short id unique in the paper: "1", "9a" (for HTML ids)
    hint: str = ""  # markup: what the answer looks like, in one line
    unit_text: str = ""  # the unit as plain text (the numeric reader strips it)
    fractions: bool = False  # a numeric answer may be a fraction p/q
    variables: tuple[str, ...] = ()  # the names an expression may use


@dataclass(frozen=True, slots=True)
class QuestionView:
    label: str  # "1", "2", …
    kind: str
    title: str
    points: str
    prompt: str
    items: tuple[ItemView, ...]
    question_id: str = ""  # the submission's key for the question


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


@lru_cache(maxsize=256)
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
    questions = tuple(_shared_question(i, v, fmt) for i, v in enumerate(paper.variants, start=1))
    return PaperView(**_paper_fields(paper), questions=questions)  # type: ignore[arg-type]


# (label, key, points text, prompt markup, solution source, option texts) of one answer slot:
# what its paper item and its key item both show.
_Slot = tuple[str, AnswerKey, str, str, str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _Texts:
    """What a question's paper view and key view both show, in one format: made once."""

    fields: dict[str, object]  # label, kind, title, points, prompt
    slots: tuple[_Slot, ...]


def _texts(number: int, variant: Variant, fmt: Format) -> _Texts:
    slots = []
    for label, key, points, prompt, solution in _slots(variant):
        options = (
            tuple(fmt.inline(o.text) for o in key.options) if isinstance(key, ChoiceKey) else ()
        )
        prompt_text = fmt.text(prompt) if prompt else ""
        slots.append((label, key, points_text(points), prompt_text, solution, options))
    return _Texts(_question_fields(number, variant, fmt), tuple(slots))


# Students who draw the same values share one question view, on papers and in the key, and
# a question's paper and key views share their texts (_Texts). Keyed by the variant's uid and
# its number on the paper; a hit must be the same variant or an equal one (the key reader
# drops and re-reads variants: its copies compare equal, and the copy is kept so the next
# request is the same object), and holds each format so its id cannot be reused while
# cached. Bounded, so memory stays flat in the size of the class: a question seen again
# after it was dropped is built again, equal.
_SHARED: OrderedDict[tuple[str, int], list[Any]] = OrderedDict()
_SHARED_SIZE = 4096


def _shared_question(number: int, variant: Variant, fmt: Format, key: bool = False) -> Any:
    """The paper's (or with ``key``, the answer key's) view of a question, shared."""
    cached = (variant.uid, number)
    entry = _SHARED.get(cached)  # [variant, {id(format): [format, texts, paper, key]}]
    if entry is None or (entry[0] is not variant and entry[0] != variant):
        entry = _SHARED[cached] = [variant, {}]
        if len(_SHARED) > _SHARED_SIZE:
            _SHARED.popitem(last=False)
    entry[0] = variant
    _SHARED.move_to_end(cached)
    views = entry[1].get(id(fmt))
    if views is None or views[0] is not fmt:
        views = entry[1][id(fmt)] = [fmt, _texts(number, variant, fmt), None, None]
    side = 3 if key else 2
    view = views[side]
    if view is None:
        view = views[side] = (_key_question if key else _question)(number, variant, views[1], fmt)
    return view


def _question(number: int, variant: Variant, texts: _Texts, fmt: Format) -> QuestionView:
    part_ids = [""] if variant.answer is not None else [p.id for p in variant.parts]
    items = tuple(
        _item(slot, fmt, (variant.question_id, part_id, number))
        for slot, part_id in zip(texts.slots, part_ids, strict=True)
    )
    return QuestionView(
        **texts.fields,  # type: ignore[arg-type]
        items=items,
        question_id=variant.question_id,
    )


def _item(slot: _Slot, fmt: Format, where: tuple[str, str, int]) -> ItemView:
    """One answer slot; reads from its key only what a student is shown.

    ``where`` is (question id, part id, question number).
    """
    label, key, points, prompt, _, texts = slot
    question_id, part_id, number = where
    options: tuple[OptionView, ...] = ()
    if isinstance(key, ChoiceKey):
        options = tuple(
            OptionView(o.label, text, value=o.label)
            for o, text in zip(key.options, texts, strict=True)
        )
    elif isinstance(key, TrueFalseKey):
        options = (
            OptionView("", fmt.plain("True"), value="true"),
            OptionView("", fmt.plain("False"), value="false"),
        )
    numeric = key if isinstance(key, NumericKey) else None
    return ItemView(
        label=label,
        kind=key.kind,
        response=_RESPONSE[key.kind],
        points=points,
        prompt=prompt,
        unit=fmt.plain(numeric.unit) if numeric and numeric.unit else "",
        options=options,
        question_id=question_id,
        part_id=part_id,
        slot=f"{number}{label}",
        hint=answer_hint(key, fmt),
        unit_text=(numeric.unit or "") if numeric else "",
        fractions=bool(numeric and numeric.fractions),
        variables=tuple(key.variables) if isinstance(key, ExpressionKey) else (),
    )


def _words(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _numeric_hint(fmt: Format, unit: str | None, fractions: bool, sigfigs: int | None) -> str:
    rules = [fmt.plain("A number, e.g. 1234, 1,234, −0.25 or 1.5e-3 (no calculations)")]
    if unit:
        rules.append(fmt.markup(f"the unit ({fmt.plain(unit)}) may follow"))
    if fractions:
        rules.append(fmt.plain("a fraction such as 3/4 is accepted"))
    if sigfigs:
        rules.append(fmt.plain(f"give {sigfigs} significant figures"))
    return fmt.markup("; ".join(rules) + ".")


def _expression_hint(fmt: Format, names: tuple[str, ...]) -> str:
    if not names:
        return fmt.plain("An expression (numbers only); ^ for powers.")
    listed = _words([fmt.code(name) for name in names])
    rule = fmt.plain(f": use * or put factors side by side (2{names[0]}), ^ for powers.")
    return fmt.markup(f"An expression in {listed}{rule}")


_HINTS = {
    "choice": "Select one option.",
    "multi": "Select every option that applies.",
    "truefalse": "True or false.",
    "text": "A short answer in words.",
    "essay": "Free text, graded by hand.",
}


def answer_hint(key: AnswerKey, fmt: Format) -> str:
    """One line on what an answer of this kind looks like (markup in ``fmt``).

    Built only from what the paper shows anyway (the kind, the unit, the declared names and
    the format rules of the question), never from the answer.
    """
    if isinstance(key, NumericKey):
        return _hint(fmt, "numeric", key.unit, key.fractions, key.require_sigfigs)
    if isinstance(key, ExpressionKey):
        return _hint(fmt, "expression", tuple(key.variables))
    return _hint(fmt, key.kind)


@lru_cache(maxsize=512)
def _hint(fmt: Format, kind: str, *rules: Any) -> str:
    """The hint of one kind with its rules (a thousand papers share a few dozen hints)."""
    if kind == "numeric":
        return _numeric_hint(fmt, *rules)
    if kind == "expression":
        return _expression_hint(fmt, *rules)
    return fmt.plain(_HINTS[kind])


# --- the key (answers and solutions) -------------------------------------------------------


def key_paper_view(paper: Paper, fmt: Format) -> KeyPaperView:
    """One paper's answers and worked solutions, for the instructor."""
    questions = tuple(
        _shared_question(i, v, fmt, key=True) for i, v in enumerate(paper.variants, start=1)
    )
    return KeyPaperView(**_paper_fields(paper), questions=questions)  # type: ignore[arg-type]


def _key_question(number: int, variant: Variant, texts: _Texts, fmt: Format) -> KeyQuestionView:
    return KeyQuestionView(
        **texts.fields,  # type: ignore[arg-type]
        items=tuple(_key_item(slot, fmt) for slot in texts.slots),
        solution=fmt.text(variant.solution) if variant.solution else "",
    )


def _key_item(slot: _Slot, fmt: Format) -> KeyItemView:
    label, key, points, prompt, solution, texts = slot
    options: tuple[OptionView, ...] = ()
    if isinstance(key, ChoiceKey):
        options = tuple(
            OptionView(o.label, text, o.correct) for o, text in zip(key.options, texts, strict=True)
        )
    return KeyItemView(
        label=label,
        kind=key.kind,
        points=points,
        prompt=prompt,
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
