"""The answer kinds come from one list, and a key is described to people by one family."""

from __future__ import annotations

import typing

import pytest

from quizgen import check_answer
from quizgen.bank.model import KINDS, parse_bank
from quizgen.errors import BankErrors
from quizgen.render import views
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    ExpressionKey,
    KeyMistake,
    NumericKey,
    OptionKey,
    TextKey,
    TrueFalseKey,
    accepted_markdown,
    answer_markdown,
    typed_answer,
    typed_mistake,
)

# The kinds of docs/bank-format.md and ../shared/DESIGN.md, in their order.
DOCUMENTED = ("numeric", "expression", "choice", "multi", "truefalse", "text", "essay", "multipart")


def _key_kinds() -> set[str]:
    members = typing.get_args(typing.get_args(AnswerKey)[0])
    return {k for m in members for k in typing.get_args(m.model_fields["kind"].annotation)}


def test_the_kinds_are_the_documented_ones() -> None:
    assert KINDS == DOCUMENTED


def test_every_kind_but_multipart_has_a_key_and_a_response_widget() -> None:
    assert _key_kinds() == set(KINDS) - {"multipart"}
    assert set(views._RESPONSE) == _key_kinds()


BANK = "id: b\ntitle: b\nquestions:\n  - id: q\n    prompt: p\n    answer: '1'\n{kind}"


@pytest.mark.parametrize(
    ("kind_line", "fragment"),
    [("", "missing 'kind' ("), ("    kind: numerical\n", "unknown kind 'numerical'; expected")],
)
def test_a_bad_kind_lists_every_kind(kind_line: str, fragment: str) -> None:
    with pytest.raises(BankErrors) as caught:
        parse_bank(BANK.format(kind=kind_line))
    message = str(caught.value)
    assert fragment in message
    assert all(kind in message for kind in KINDS)


def test_check_answer_names_the_kinds_too() -> None:
    with pytest.raises(BankErrors, match="expected one of: choice, essay, expression"):
        check_answer({"kind": "numerical", "answer": "1"}, "1")


# --- one family describes a key -----------------------------------------------------------------

OPTIONS = [
    OptionKey(id="o1", label="A", text="GRU", correct=False),
    OptionKey(id="o2", label="B", text="LSTM", correct=True),
    OptionKey(id="o3", label="C", text="*ESN*", correct=True),
]

# key, one line of Markdown, for a grader by hand, as a student types it
DESCRIBED = [
    (NumericKey(value="20362", approx=20362.0, display="20362"), "20362", "20362", "20362"),
    (NumericKey(value="3/4", approx=0.75, display="0.75", unit="s"), "0.75 s", "0.75 s", "0.75"),
    (
        NumericKey(value="1/3", approx=1 / 3, display="0.333333"),
        "0.333333",
        "0.333333",
        "0.3333333333333333",
    ),
    (
        NumericKey(value="1/3", approx=1 / 3, display="0.333", fractions=True),
        "0.333",
        "0.333",
        "1/3",
    ),
    (
        ExpressionKey(value="4*h*(n + h + 1)", latex="4 h \\left(h + n + 1\\right)", variables={}),
        "$4 h \\left(h + n + 1\\right)$",
        "$4 h \\left(h + n + 1\\right)$",
        "4*h*(n + h + 1)",
    ),
    (ChoiceKey(kind="choice", options=OPTIONS[:2]), "B. LSTM", "B. LSTM", "B"),
    (
        ChoiceKey(kind="multi", options=OPTIONS),
        "B. LSTM; C. *ESN*",
        "B. LSTM; C. *ESN*",
        ["B", "C"],
    ),
    (TrueFalseKey(answer=False), "false", "false", "false"),
    (
        TextKey(answers=["lstm", "LSTM cell"], regex="l.*m"),
        "lstm",
        "`lstm` or `LSTM cell` or text matching `l.*m`",
        "lstm",
    ),
    (TextKey(regex="bi-?lstm"), "text matching `bi-?lstm`", "text matching `bi-?lstm`", None),
    (EssayKey(rubric="Two reasons."), "", "Two reasons.", None),
    (EssayKey(), "", "(graded by hand)", None),
]


@pytest.mark.parametrize(("key", "line", "for_grader", "typed"), DESCRIBED)
def test_a_key_described(key, line: str, for_grader: str, typed) -> None:
    assert answer_markdown(key) == line
    assert accepted_markdown(key) == for_grader
    assert typed_answer(key) == typed


def test_solutions_show_choices_without_labels() -> None:
    assert answer_markdown(ChoiceKey(kind="multi", options=OPTIONS), labels=False) == "LSTM; *ESN*"


def test_a_typed_mistake_is_typed_like_the_answer() -> None:
    mistake = KeyMistake(value="2/3", display="0.666667", feedback="no")
    assert typed_mistake(NumericKey(value="1/3", approx=1 / 3, display="0.3"), mistake) == (
        "0.6666666666666666"
    )
    expression = ExpressionKey(value="x", latex="x", variables={"x": "real"}, mistakes=[mistake])
    assert typed_mistake(expression, mistake) == "2/3"
