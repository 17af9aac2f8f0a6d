"""The bank model: what an instructor writes in YAML, validated by pydantic.

Formulas stay text here; :mod:`quizgen.generate.solve` parses them with the safe parser. Every model
forbids unknown fields so that a typo is an error, not a silently ignored setting.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from quizgen.bank.answers import TextMistake, Tolerance
from quizgen.bank.yamlsrc import Located, load_yaml_text, path_text, read_bank_text
from quizgen.errors import BankError, BankErrors
from quizgen.math.domains import Domain

__all__ = [
    "KINDS",
    "AnswerSpec",
    "Bank",
    "ChoiceAnswer",
    "EssayAnswer",
    "ExpressionAnswer",
    "Mistake",
    "MultiAnswer",
    "NumericAnswer",
    "Option",
    "Part",
    "Question",
    "TextAnswer",
    "Tolerance",
    "TrueFalseAnswer",
    "load_bank",
    "parse_bank",
]

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=40)]
QuestionId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=80)]
Scalar = int | float | str
Formula = Annotated[
    str,
    BeforeValidator(lambda v: _formula_text(v)),
    Field(min_length=1, max_length=1000),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "minLength": 1, "maxLength": 1000}, {"type": "number"}],
            "description": "a formula in quizgen's math syntax (docs/math-syntax.md)",
        }
    ),
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _formula_text(value: Any) -> Any:
    """Numbers written without quotes in YAML are formulas too (``answer: 20362``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


# --- parameters ----------------------------------------------------------------------------


class ChoiceParam(Model):
    """Pick one of the listed values."""

    choice: list[Scalar] = Field(min_length=1)


class RangeParam(Model):
    """A value from ``range: [low, high]`` (both included) on a grid of ``step``.

    ``places: n`` is shorthand for a decimal step of 10^-n. Without either, the step is 1.
    """

    range: tuple[Scalar, Scalar]
    step: Scalar | None = None
    places: int | None = Field(default=None, ge=0, le=12)

    @model_validator(mode="after")
    def _one_grid(self) -> RangeParam:
        if self.step is not None and self.places is not None:
            raise ValueError("give either 'step' or 'places', not both")
        return self


class FixedParam(Model):
    """Always the same value."""

    value: Scalar


ParamSpec = ChoiceParam | RangeParam | FixedParam | int | float | str


# --- answers -------------------------------------------------------------------------------


class Mistake(Model):
    """A known wrong answer and the feedback it earns."""

    answer: Formula
    feedback: str


class NumericAnswer(Model):
    kind: Literal["numeric"] = "numeric"
    answer: Formula
    tolerance: Tolerance | float = Field(
        default=Tolerance(absolute=0),
        description="a number (absolute) or {absolute|relative|sigfigs: …}",
    )
    fractions: bool = False
    require_sigfigs: int | None = Field(default=None, ge=1, le=15)
    places: int | None = Field(default=None, ge=0, le=15, description="decimals shown in keys")
    unit: str | None = None
    mistakes: list[Mistake] = []

    @field_validator("tolerance", mode="after")
    @classmethod
    def _as_model(cls, value: Tolerance | float) -> Tolerance:
        return value if isinstance(value, Tolerance) else Tolerance(absolute=value)


class ExpressionAnswer(Model):
    kind: Literal["expression"] = "expression"
    answer: Formula
    # empty: an exact constant ("give the exact value"), compared at high precision
    variables: list[Identifier] | dict[Identifier, Domain]
    mistakes: list[Mistake] = []

    def domains(self) -> dict[str, str]:
        """Each variable's declared domain (``real`` when given as a list)."""
        if isinstance(self.variables, dict):
            return dict(self.variables)
        return {name: "real" for name in self.variables}


class Option(Model):
    """One option of a choice question: literal ``text`` or a computed ``value``."""

    text: str | None = None
    value: Formula | None = None
    correct: bool = False
    feedback: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _text_or_value(self) -> Option:
        if (self.text is None) == (self.value is None):
            raise ValueError("an option needs exactly one of 'text' or 'value'")
        return self


class ChoiceAnswer(Model):
    kind: Literal["choice"] = "choice"
    options: list[Option] = Field(min_length=2)
    shuffle: bool = True

    @model_validator(mode="after")
    def _one_correct(self) -> ChoiceAnswer:
        n = sum(o.correct for o in self.options)
        if n != 1:
            raise ValueError(f"a choice question needs exactly one correct option, found {n}")
        return self


class MultiAnswer(Model):
    kind: Literal["multi"] = "multi"
    options: list[Option] = Field(min_length=2)
    shuffle: bool = True
    scoring: Literal["all-or-nothing", "right-minus-wrong", "partial"] = "right-minus-wrong"

    @model_validator(mode="after")
    def _some_correct(self) -> MultiAnswer:
        if not any(o.correct for o in self.options):
            raise ValueError("a multi question needs at least one correct option")
        return self


class TrueFalseAnswer(Model):
    kind: Literal["truefalse"] = "truefalse"
    answer: bool | str = Field(description="true, false, or a comparison such as 'h*4 > x'")
    feedback: str | None = Field(default=None, description="shown to a wrong answer")


class TextAnswer(Model):
    kind: Literal["text"] = "text"
    answers: list[str] = Field(default=[], description="accepted answers (normalized)")
    regex: str | None = Field(default=None, max_length=500)
    case_sensitive: bool = False
    mistakes: list[TextMistake] = []

    @model_validator(mode="after")
    def _something_accepted(self) -> TextAnswer:
        if not self.answers and self.regex is None:
            raise ValueError("a text question needs 'answers' or 'regex'")
        return self


class EssayAnswer(Model):
    kind: Literal["essay"] = "essay"
    rubric: str = ""


AnswerSpec = Annotated[
    (
        NumericAnswer
        | ExpressionAnswer
        | ChoiceAnswer
        | MultiAnswer
        | TrueFalseAnswer
        | TextAnswer
        | EssayAnswer
    ),
    Field(discriminator="kind"),
]


# --- questions -----------------------------------------------------------------------------


class Example(Model):
    """Author-checked case: with these parameters the answer must be this."""

    params: dict[Identifier, Scalar] = {}
    answer: Any


class PartFields(Model):
    id: Identifier
    prompt: str
    points: float = Field(default=1, gt=0)
    solution: str | None = None


class NumericPart(PartFields, NumericAnswer):
    pass


class ExpressionPart(PartFields, ExpressionAnswer):
    pass


class ChoicePart(PartFields, ChoiceAnswer):
    pass


class MultiPart(PartFields, MultiAnswer):
    pass


class TrueFalsePart(PartFields, TrueFalseAnswer):
    pass


class TextPart(PartFields, TextAnswer):
    pass


class EssayPart(PartFields, EssayAnswer):
    pass


Part = Annotated[
    NumericPart | ExpressionPart | ChoicePart | MultiPart | TrueFalsePart | TextPart | EssayPart,
    Field(discriminator="kind"),
]


class QuestionFields(Model):
    id: QuestionId
    topic: str = Field(default="general", min_length=1)
    title: str | None = None
    points: float = Field(default=1, gt=0)
    params: dict[Identifier, ParamSpec] = {}
    let: dict[Identifier, Formula] = {}
    where: list[Formula] = []
    prompt: str = Field(min_length=1)
    solution: str = ""
    examples: list[Example] = []


class NumericQuestion(QuestionFields, NumericAnswer):
    pass


class ExpressionQuestion(QuestionFields, ExpressionAnswer):
    pass


class ChoiceQuestion(QuestionFields, ChoiceAnswer):
    pass


class MultiQuestion(QuestionFields, MultiAnswer):
    pass


class TrueFalseQuestion(QuestionFields, TrueFalseAnswer):
    pass


class TextQuestion(QuestionFields, TextAnswer):
    pass


class EssayQuestion(QuestionFields, EssayAnswer):
    pass


class MultipartQuestion(QuestionFields):
    kind: Literal["multipart"] = "multipart"
    parts: list[Part] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_parts(self) -> MultipartQuestion:
        _check_unique([p.id for p in self.parts], "part")
        return self


Question = Annotated[
    (
        NumericQuestion
        | ExpressionQuestion
        | ChoiceQuestion
        | MultiQuestion
        | TrueFalseQuestion
        | TextQuestion
        | EssayQuestion
        | MultipartQuestion
    ),
    Field(discriminator="kind"),
]


def _check_unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise ValueError(f"duplicate {what} id '{ident}'")
        seen.add(ident)


class Bank(Model):
    """A question bank: one YAML file."""

    id: QuestionId
    title: str
    course: str | None = None
    description: str | None = None
    questions: list[Question] = Field(min_length=1)
    # Set by the loader, not by authors:
    source: str = Field(default="<bank>", exclude=True)
    sha256: str = Field(default="", exclude=True)
    _located: Located | None = PrivateAttr(default=None)

    def error(self, path: tuple[str | int, ...], message: str, detail: str = "") -> BankError:
        """A BankError at ``path`` in this bank's file (line and column when known)."""
        if self._located is not None:
            return self._located.error(path, message, detail)
        return BankError(message, self.source, None, None, path_text(path), detail)


# --- loading -------------------------------------------------------------------------------


def parse_bank(text: str, file: str = "<bank>") -> Bank:
    """Validate bank YAML ``text``; errors carry file, line, column and field path.

    Raises:
        BankErrors: every validation problem found, located; its ``partial`` is the bank made
            of the questions that are valid, so that later stages can still check them.
        BankError: the YAML itself is malformed.
    """
    located = load_yaml_text(text, file)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    extra = {"source": file, "sha256": digest}
    bank, errors = _validate(located, extra)
    if errors:
        raise BankErrors(errors, partial=bank)
    assert bank is not None
    return bank


def load_bank(path: str | Path) -> Bank:
    """Read and validate one bank file (see :func:`parse_bank`)."""
    path = Path(path)
    return parse_bank(read_bank_text(path), str(path))


_QUESTION: TypeAdapter[Any] = TypeAdapter(Question)


def _validate(located: Located, extra: dict[str, Any]) -> tuple[Bank | None, list[BankError]]:
    """The bank (or, with errors, the bank of its valid questions) and every error found."""
    if not isinstance(located.data, dict):
        error = located.error((), "a bank must be a mapping with 'id', 'title' and 'questions'")
        return None, [error]
    errors = list(located.errors) + _duplicate_questions(located)
    try:
        bank = Bank.model_validate(located.data)
    except ValidationError as exc:
        errors.extend(_located_errors(located, exc))
        bank = _partial_bank(located)
    bank = bank.model_copy(update=extra)
    bank._located = located
    return bank, errors


def _partial_bank(located: Located) -> Bank:
    """A bank holding the questions that validate on their own; None in place of the others.

    Later stages (compile, examples, mistakes) run on it, so one run reports what they find
    in the valid questions too. Only :mod:`quizgen.check` takes such a bank.
    """
    data = located.data
    questions: list[Any] = []
    raw = data.get("questions")
    for q in raw if isinstance(raw, list) else []:
        try:
            questions.append(_QUESTION.validate_python(q))
        except ValidationError:
            questions.append(None)
    bank_id = data.get("id") if isinstance(data.get("id"), str) else "bank"
    title = data.get("title") if isinstance(data.get("title"), str) else bank_id
    return Bank.model_construct(id=bank_id, title=title, questions=questions)


def _duplicate_questions(located: Located) -> list[BankError]:
    questions = located.data.get("questions")
    if not isinstance(questions, list):
        return []
    seen: dict[str, int] = {}
    errors = []
    for i, q in enumerate(questions):
        qid = q.get("id") if isinstance(q, dict) else None
        if not isinstance(qid, str):
            continue
        if qid in seen:
            msg = f"duplicate question id '{qid}' (first used at questions[{seen[qid]}])"
            errors.append(located.error(("questions", i, "id"), msg))
        else:
            seen[qid] = i
    return errors


#: Every question kind, as a bank's ``kind`` field spells it, read off the question models so
#: that the list cannot drift from them (error messages and ``check_answer`` use it).
KINDS: tuple[str, ...] = tuple(
    get_args(member.model_fields["kind"].annotation)[0]
    for member in get_args(get_args(Question)[0])
)
_TAGS = frozenset(KINDS)


def _data_path(located: Located, loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Map a pydantic error location onto the YAML data path (drop union tags)."""
    path: list[str | int] = []
    node: Any = located.data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif isinstance(part, str) and _member_name(part):
            continue  # a union member's name, not a key in the data
        else:
            if isinstance(part, (str, int)) and not isinstance(node, (dict, list)):
                break
            path.append(part)
            break
    return tuple(path)


def _located_errors(located: Located, exc: ValidationError) -> list[BankError]:
    """One located, instructor-worded error per field (a union's alternatives become one)."""
    errors: list[BankError] = []
    seen: set[tuple[tuple[Any, ...], str]] = set()
    for err in exc.errors(include_url=False):
        path = _data_path(located, err["loc"])
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path = (*path, "kind")
        message = _message(err, path, _is_union(located, err["loc"]))
        if (path, message) in seen:
            continue
        seen.add((path, message))
        errors.append(located.error(path, message))
    return errors


def _is_union(located: Located, loc: tuple[Any, ...]) -> bool:
    """Whether ``loc`` passes through a union member's name (one of several forms)."""
    node: Any = located.data
    for part in loc:
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_list or (isinstance(node, dict) and part in node):
            node = node[part]
        elif isinstance(part, str) and _member_name(part):
            if part not in _TAGS and "[" not in part and not part.startswith("function"):
                return True
        else:
            return False
    return False


def _member_name(part: str) -> bool:
    """Whether a pydantic location ``part`` names a union member (not a key in the data)."""
    return (
        part in _TAGS
        or "[" in part
        or part.startswith("function")
        or part[:1].isupper()
        or part in ("int", "float", "str", "bool")
    )


_NAME_RULE = "start with a letter, then use only letters, digits and _ (at most 40 characters)"
_ID_RULE = (
    "start with a letter or digit, then use only letters, digits, _, . and - "
    "(at most 80 characters)"
)
# Fields whose value may take several forms: what to write, by field name.
_FORMS = {
    "tolerance": "write a number (an absolute tolerance) or a mapping with 'absolute', "
    "'relative' or 'sigfigs'",
    "params": "write a number, a text, {choice: [...]}, {range: [low, high]} (with 'step' or "
    "'places') or {value: v}",
    "options": "write an option as text, or as a mapping with 'text' or 'value' "
    "(and 'correct', 'feedback')",
    "variables": "write the variables as a list of names or a mapping of name to domain",
    "answer": "write true, false, or a comparison such as 'h*4 > x'",
    "range": "write the range as [low, high]",
    "choice": "write each choice as a number or a text",
}


def _field(path: tuple[Any, ...]) -> str:
    """The nearest field name in ``path`` (``params`` for ``params.h``)."""
    names = [p for p in path if isinstance(p, str)]
    if len(names) >= 2 and names[-2] in ("params", "let", "variables"):
        return names[-2]
    return names[-1] if names else ""


def _got(value: Any) -> str:
    """``value`` as an author wrote it, shortened."""
    kinds = {dict: "a mapping", list: "a list", type(None): "nothing"}
    if type(value) in kinds:
        return kinds[type(value)]
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(err: Any, path: tuple[Any, ...], union: bool) -> str:
    """Pydantic's error ``err`` at ``path`` as a sentence an instructor can act on."""
    kind = err["type"]
    ctx = err.get("ctx", {})
    got = _got(err.get("input"))
    field = _field(path)
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; `quizgen schema` lists the fields)"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        tag = ctx.get("tag", "?")
        return f"unknown kind {tag!r}; expected one of: {', '.join(sorted(_TAGS))}"
    if kind == "union_tag_not_found":
        return f"missing 'kind' ({', '.join(KINDS)})"
    if union and field in _FORMS:
        return f"{got} is not a valid {field} value; {_FORMS[field]}"
    if kind == "string_pattern_mismatch":
        rule = _ID_RULE if "." in str(ctx.get("pattern", "")) else _NAME_RULE
        return f"{got} is not a valid name: {rule}"
    if kind == "string_too_long":
        return f"too long: at most {ctx.get('max_length')} characters"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"has too many items: at most {ctx.get('max_length')}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number (got {got})"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return f"must be a number (got {got})"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false (got {got})"
    if kind == "string_type":
        return f"must be text (got {got}); quote it if it looks like a number or true/false"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of fields (got {got})"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list (got {got})"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        op = {
            "greater_than": "greater than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }[kind]
        bound = next(iter(ctx.values()), "?")
        bound = f"{bound:g}" if isinstance(bound, (int, float)) else bound
        return f"must be {op} {bound} (got {got})"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '?')} (got {got})"
    if kind == "value_error":
        msg = str(err["msg"])
        return msg[len("Value error, ") :] if msg.startswith("Value error, ") else msg
    if field in _FORMS:
        return f"{got} is not a valid {field} value; {_FORMS[field]}"
    return f"{got} is not valid here; see docs/bank-format.md for how to write '{field}'"
