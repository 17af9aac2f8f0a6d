"""Variants and exams: plain data that every renderer, exporter and grader takes.

A Variant is one question with its parameters drawn, its text rendered (Markdown with
``$…$`` math) and its answers solved exactly. An Exam is the frozen key written by
``quizgen generate``: grading reads it and never re-reads the bank.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from quizgen.bank.answers import TextMistake, Tolerance
from quizgen.math.domains import Domain
from quizgen.math.numbers import display, fraction_of

__all__ = [
    "AnswerKey",
    "BankRef",
    "ChoiceKey",
    "EssayKey",
    "Exam",
    "ExpressionKey",
    "KeyMistake",
    "NumericKey",
    "OptionKey",
    "Paper",
    "PartVariant",
    "TextKey",
    "TrueFalseKey",
    "Variant",
    "accepted_markdown",
    "answer_markdown",
    "assembled",
    "built",
    "correct_options",
    "numeric_text",
    "typed_answer",
    "typed_mistake",
]

EXAM_FORMAT = "quizgen-exam/1"


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=BaseModel)


def built(cls: type[M], **values: Any) -> M:
    """``cls.model_construct(**values)`` for trusted internal data, without its per-field
    alias lookups (the solver builds tens of thousands of these a second).

    The instance is the one ``model_construct`` makes: the same ``__dict__`` in field order,
    defaults filled in the same way, the names given as its fields set. Only for models
    without aliases or a ``model_post_init`` (checked once per class).
    """
    fields = _FIELDS.get(cls) or _fields_of(cls)
    if len(values) == len(fields):  # every field given (the solver's case)
        # ``values`` is a new dict: given in field order, it is the instance's own dict.
        data = values if tuple(values) == _NAMES[cls] else {n: values[n] for n, _ in fields}
    else:
        data = {}
        for name, field in fields:
            if name in values:
                data[name] = values[name]
            else:
                data[name] = field.get_default(call_default_factory=True, validated_data=data)
    return assembled(cls, data, set(values))


# The slots every pydantic model has, set through their descriptors (object.__setattr__
# looks each name up first): a model is assembled in half the time.
_SET_DICT = BaseModel.__dict__["__dict__"].__set__
_SET_FIELDS_SET = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__
_new = object.__new__


def assembled(cls: type[M], data: dict[str, Any], fields_set: set[str]) -> M:
    """An instance of ``cls`` whose ``__dict__`` is ``data`` (every field, in field order,
    each value already of its field's type), as validation or ``model_construct`` would leave
    it with ``fields_set``; nothing is checked, so only for data this program made."""
    m = _new(cls)
    _SET_DICT(m, data)
    _SET_FIELDS_SET(m, fields_set)
    _SET_EXTRA(m, None)
    _SET_PRIVATE(m, None)
    return m


_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}
_NAMES: dict[type, tuple[str, ...]] = {}


def _fields_of(cls: type[BaseModel]) -> tuple[tuple[str, Any], ...]:
    if cls.__pydantic_post_init__ or cls.model_config.get("extra") == "allow":
        raise TypeError(f"{cls.__name__} needs model_construct")
    fields = cls.__pydantic_fields__
    if any(f.alias is not None or f.validation_alias is not None for f in fields.values()):
        raise TypeError(f"{cls.__name__} has aliases: it needs model_construct")
    _FIELDS[cls] = found = tuple(fields.items())
    _NAMES[cls] = tuple(fields)
    return found


class KeyMistake(Frozen):
    """A known wrong answer, solved for this variant."""

    value: str = Field(description="exact value or expression, readable by quizgen.math.parse")
    display: str
    feedback: str


class NumericKey(Frozen):
    kind: Literal["numeric"] = "numeric"
    value: str = Field(description="exact value, e.g. '20362', '59049/100000', 'exp(-1)'")
    approx: float
    display: str = Field(description="the value as shown in keys and feedback")
    tolerance: Tolerance = Tolerance(absolute=0)
    fractions: bool = False
    require_sigfigs: int | None = None
    unit: str | None = None
    mistakes: list[KeyMistake] = []


class ExpressionKey(Frozen):
    kind: Literal["expression"] = "expression"
    value: str = Field(description="the expression in its variables (sympy syntax)")
    latex: str
    variables: dict[str, Domain]
    mistakes: list[KeyMistake] = []


class OptionKey(Frozen):
    id: str = Field(description="stable content-hash identifier")
    label: str = Field(description="A, B, C… in the order shown")
    text: str = Field(description="Markdown")
    correct: bool
    feedback: str | None = None


class ChoiceKey(Frozen):
    kind: Literal["choice", "multi"] = "choice"
    options: list[OptionKey]
    scoring: Literal["all-or-nothing", "right-minus-wrong", "partial"] = "all-or-nothing"

    def correct_labels(self) -> list[str]:
        """Labels of the correct options, in display order."""
        return [o.label for o in self.options if o.correct]


class TrueFalseKey(Frozen):
    kind: Literal["truefalse"] = "truefalse"
    answer: bool
    feedback: str | None = None


class TextKey(Frozen):
    kind: Literal["text"] = "text"
    answers: list[str] = []
    regex: str | None = None
    case_sensitive: bool = False
    mistakes: list[TextMistake] = []


class EssayKey(Frozen):
    kind: Literal["essay"] = "essay"
    rubric: str = ""


AnswerKey = Annotated[
    NumericKey | ExpressionKey | ChoiceKey | TrueFalseKey | TextKey | EssayKey,
    Field(discriminator="kind"),
]


# --- a key described to a person ------------------------------------------------------------
# Every description of an answer key (paper keys, grades, solutions, LMS grader notes, the
# self-check of `quizgen check`) is built from these, so the key reads the same everywhere.


def numeric_text(key: NumericKey) -> str:
    """A numeric answer as shown: its display value and unit (``20362``, ``0.25 s``)."""
    return key.display + (f" {key.unit}" if key.unit else "")


def correct_options(
    key: ChoiceKey, *, labels: bool = True, inline: Callable[[str], str] = str
) -> str:
    """The correct options, ``"; "``-separated, each ``"B. text"`` (``inline`` marks up the
    text) or, without labels, the text alone."""
    return "; ".join(
        f"{o.label}. {inline(o.text)}" if labels else inline(o.text)
        for o in key.options
        if o.correct
    )


def answer_markdown(key: AnswerKey, *, labels: bool = True) -> str:
    """The correct answer of ``key`` as one line of Markdown (math in ``$…$``).

    Args:
        key: the answer key.
        labels: prefix choice options with their label ("B. …"); solutions leave labels out,
            since the order of options differs from student to student.
    """
    if isinstance(key, NumericKey):
        return numeric_text(key)
    if isinstance(key, ExpressionKey):
        return f"${key.latex}$"
    if isinstance(key, ChoiceKey):
        return correct_options(key, labels=labels)
    if isinstance(key, TrueFalseKey):
        return "true" if key.answer else "false"
    if isinstance(key, TextKey):
        return key.answers[0] if key.answers else f"text matching `{key.regex}`"
    return ""  # essays have no single correct answer


def accepted_markdown(key: AnswerKey) -> str:
    """For a person grading by hand: every accepted text, the rubric, or the answer."""
    if isinstance(key, TextKey):
        accepted = [f"`{a}`" for a in key.answers]
        if key.regex:
            accepted.append(f"text matching `{key.regex}`")
        return " or ".join(accepted)
    if isinstance(key, EssayKey):
        return key.rubric or "(graded by hand)"
    return answer_markdown(key)


def typed_answer(key: AnswerKey) -> str | list[str] | None:
    """The correct answer as a student would give it (labels for choices), None for an essay
    or a text key with only a pattern."""
    if isinstance(key, NumericKey):
        return _typed(key.value, key.fractions)
    if isinstance(key, ChoiceKey):
        labels = key.correct_labels()
        return labels[0] if key.kind == "choice" else labels
    if isinstance(key, TrueFalseKey):
        return "true" if key.answer else "false"
    if isinstance(key, TextKey):
        return key.answers[0] if key.answers else None
    if isinstance(key, EssayKey):
        return None
    return key.value  # expression


def typed_mistake(key: AnswerKey, mistake: KeyMistake | TextMistake) -> str:
    """A declared mistake as a student would type it."""
    if isinstance(key, NumericKey):
        return _typed(mistake.value, key.fractions)
    return getattr(mistake, "value", None) or getattr(mistake, "answer", "")


def _typed(value: str, fractions: bool) -> str:
    """An exact key value as a student would type it.

    Key values are integers, ``p/q`` or 40-digit decimals (irrational results); a fraction
    becomes its exact decimal, or 17 significant figures when it has none.
    """
    q = fraction_of(value)
    if fractions or "/" not in value:
        return value
    text = display(q)
    return text if fraction_of(text) == q else repr(float(q))


class PartVariant(Frozen):
    id: str
    prompt: str
    points: float
    solution: str = ""
    answer: AnswerKey


class Variant(Frozen):
    """One question, drawn and solved."""

    uid: str = Field(description="content hash of bank, question and drawn values")
    bank_id: str
    question_id: str
    kind: str
    topic: str
    title: str | None = None
    points: float
    values: dict[str, str] = Field(description="exact value of every parameter and 'let'")
    prompt: str = Field(description="Markdown with $…$ math")
    solution: str = ""
    answer: AnswerKey | None = Field(default=None, description="None for multipart")
    parts: list[PartVariant] = []

    def gradable(self) -> list[tuple[str, AnswerKey, float]]:
        """(part id, answer key, points) for each answerable part; id '' for a plain question."""
        if self.answer is not None:
            return [("", self.answer, self.points)]
        return [(p.id, p.answer, p.points) for p in self.parts]


class BankRef(Frozen):
    id: str
    title: str
    file: str
    sha256: str


class Paper(Frozen):
    """One student's exam."""

    student_id: str
    name: str = ""
    number: int
    variants: list[Variant]


class Exam(Frozen):
    """The frozen exam (``key.json``): every paper with its answers."""

    format: Literal["quizgen-exam/1"] = EXAM_FORMAT
    title: str
    course: str | None = None
    seed: str = Field(description="the secret every draw derives from; never shown to students")
    fingerprint: str | None = Field(
        default=None,
        description="keyed hash of this key's contents (quizgen.fingerprint): what papers and "
        "submissions carry instead of the seed; None in keys written before it existed",
    )
    pick: int | None = None
    banks: list[BankRef]
    papers: list[Paper]
