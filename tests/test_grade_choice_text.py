"""Choice, multi, true/false, text and essay checks."""

from __future__ import annotations

import time

import pytest

from quizgen import check_answer
from quizgen.grade.checkers import check_response
from quizgen.grade.choice import multi_score, read_multi
from quizgen.grade.text import lenient_form, normalize_text
from quizgen.variant import ChoiceKey, EssayKey, OptionKey, TextKey, TrueFalseKey


def choice_key(
    correct: str = "B", kind: str = "choice", scoring: str = "all-or-nothing", n: int = 4
) -> ChoiceKey:
    texts = ["LSTM", "GRU", "Echo state network", "Hopfield network", "Vanilla RNN"][:n]
    options = [
        OptionKey(
            id=f"o{i}",
            label="ABCDE"[i],
            text=t,
            correct="ABCDE"[i] in correct,
            feedback=None if "ABCDE"[i] in correct else f"{t} is not it.",
        )
        for i, t in enumerate(texts)
    ]
    return ChoiceKey(kind=kind, options=options, scoring=scoring)


# --- single choice --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response", ["B", "b", " B ", "(B)", "B.", "B)", "[b]", "GRU", "gru", "  GRU ", ["B"]]
)
def test_choice_correct(response: str) -> None:
    verdict = check_response(choice_key(), response)
    assert (verdict.status, verdict.score) == ("correct", 1)


@pytest.mark.parametrize(
    ("response", "feedback"),
    [("A", "LSTM is not it."), ("lstm", "LSTM is not it."), ("d", "Hopfield network is not it.")],
)
def test_choice_wrong_gets_option_feedback(response: str, feedback: str) -> None:
    verdict = check_response(choice_key(), response)
    assert (verdict.status, verdict.score, verdict.feedback) == ("incorrect", 0, feedback)


@pytest.mark.parametrize("response", ["E", "Z", "BC", "B, C", "transformer", "1", ["A", "B"]])
def test_choice_not_an_option_is_invalid(response: str) -> None:
    verdict = check_response(choice_key(), response)
    assert verdict.status == "invalid"
    assert verdict.feedback


def test_choice_invalid_message_lists_labels() -> None:
    assert "A–D" in check_response(choice_key(), "E").feedback


# --- multi ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "response",
    [
        "A, C",
        "A,C",
        "AC",
        "ac",
        "A C",
        "a;c",
        "C, A",
        "A and C",
        "A/C",
        "A, C, A",
        ["A", "C"],
        ["LSTM", "Echo state network"],
        ["a", "c"],
        "(A, C)",
    ],
)
def test_multi_reading(response: str | list[str]) -> None:
    key = choice_key("AC", "multi")
    assert [o.label for o in read_multi(key, response)] == ["A", "C"]


# Scoring table: 4 options, A and C correct (n = 4, C = 2).
SCORES = [
    # picked, all-or-nothing, right-minus-wrong, partial
    ("AC", 1.0, 1.0, 1.0),
    ("A", 0.0, 0.5, 0.75),
    ("C", 0.0, 0.5, 0.75),
    ("ACB", 0.0, 0.5, 0.75),
    ("AB", 0.0, 0.0, 0.5),
    ("ABD", 0.0, 0.0, 0.25),
    ("BD", 0.0, 0.0, 0.0),
    ("ABCD", 0.0, 0.0, 0.5),
    ("B", 0.0, 0.0, 0.25),
]


@pytest.mark.parametrize(("picked", "aon", "rmw", "partial"), SCORES)
def test_multi_scoring_table(picked: str, aon: float, rmw: float, partial: float) -> None:
    for scoring, expected in [
        ("all-or-nothing", aon),
        ("right-minus-wrong", rmw),
        ("partial", partial),
    ]:
        key = choice_key("AC", "multi", scoring)
        assert multi_score(key, read_multi(key, picked)) == pytest.approx(expected)
        verdict = check_response(key, picked)
        assert verdict.score == pytest.approx(expected)
        assert verdict.status == ("correct" if expected == 1 else "incorrect")
        assert verdict.method == scoring


def test_multi_feedback_counts_and_explains() -> None:
    verdict = check_response(choice_key("AC", "multi", "right-minus-wrong"), "A, B")
    assert "1 of 2 correct options chosen, 1 wrong" in verdict.feedback
    assert "GRU is not it." in verdict.feedback


@pytest.mark.parametrize("response", ["A, E", "AZ", "A, transformer", ["A", "Q"]])
def test_multi_unknown_option_is_invalid(response: str | list[str]) -> None:
    verdict = check_response(choice_key("AC", "multi"), response)
    assert verdict.status == "invalid"


def test_multi_empty_is_no_answer() -> None:
    for response in ["", "  ", [], None]:
        verdict = check_response(choice_key("AC", "multi", "partial"), response)
        assert (verdict.status, verdict.score, verdict.feedback) == ("incorrect", 0, "no answer")


# --- true / false ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "value"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("t", True),
        ("T", True),
        ("yes", True),
        ("Yes", True),
        ("1", True),
        (True, True),
        (" true. ", True),
        ("false", False),
        ("False", False),
        ("f", False),
        ("no", False),
        ("NO", False),
        ("0", False),
        (False, False),
    ],
)
def test_truefalse_words(response: str | bool, value: bool) -> None:
    assert check_response(TrueFalseKey(answer=value), response).status == "correct"
    verdict = check_response(TrueFalseKey(answer=not value, feedback="Think again."), response)
    assert (verdict.status, verdict.feedback) == ("incorrect", "Think again.")


@pytest.mark.parametrize("response", ["maybe", "2", "tru", "yes no", "vrai", "∅"])
def test_truefalse_other_words_are_invalid(response: str) -> None:
    verdict = check_response(TrueFalseKey(answer=True), response)
    assert verdict.status == "invalid"
    assert "true or false" in verdict.feedback


# --- text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("  Long  Short-Term\tMemory. ", "long short-term memory"),
        ("ＬＳＴＭ", "lstm"),  # NFKC: full-width letters are plain letters
        ("L\u200bSTM", "lstm"),  # zero-width space removed
        ('"GRU"', "gru"),
        ("(GRU)!", "gru"),
        ("café", "café"),  # no transliteration
        ("ﬁlter", "filter"),  # ligature
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),  # casefold
    ],
)
def test_normalize_text(text: str, normalized: str) -> None:
    assert normalize_text(text) == normalized


def test_normalize_text_case_sensitive() -> None:
    assert normalize_text("  LSTM. ", case_sensitive=True) == "LSTM"


TEXT_KEY = TextKey(
    answers=["long short-term memory", "LSTM"],
    mistakes=[{"answer": "GRU", "feedback": "A GRU has no separate cell state."}],
)


@pytest.mark.parametrize(
    ("response", "status", "feedback"),
    [
        ("LSTM", "correct", "Correct."),
        ("lstm.", "correct", "Correct."),
        ("Long Short-Term  Memory", "correct", "Correct."),
        ("gru", "incorrect", "A GRU has no separate cell state."),
        ("cafe", "incorrect", "Incorrect."),
        ("long short term memory", "correct", "Correct."),  # a hyphen is a space
        ("LSTM (GRU)", "incorrect", "Incorrect."),  # two names, one of them wrong
    ],
)
def test_text_answers(response: str, status: str, feedback: str) -> None:
    verdict = check_response(TEXT_KEY, response)
    assert (verdict.status, verdict.feedback) == (status, feedback)


def test_text_mistake_is_named_by_index() -> None:
    assert check_response(TEXT_KEY, "gru").mistake == 0
    assert check_response(TEXT_KEY, "cafe").mistake is None


# What a teacher would not mark wrong (docs/grading.md, "Text answers"): each row is
# (accepted answers, response, whether it is accepted). The expectations are written by hand.
LENIENT = [
    # articles
    (["forget gate", "forget"], "the forget gate", True),
    (["update gate"], "The Update Gate.", True),
    (["update gate"], "an update gate", True),
    # hyphens, dashes, slashes and spaces
    (["long short-term memory", "LSTM"], "Long Short Term Memory", True),
    (["long short-term memory", "LSTM"], "long short\u2013term memory", True),
    (["bidirectional RNN", "BiRNN"], "Bi-RNN", True),
    (["bidirectional RNN", "BiRNN"], "bi RNN", True),
    (["echo state network"], "echo-state network", True),
    (["input/output"], "input output", True),
    # plurals
    (["gated recurrent unit", "GRU"], "Gated Recurrent Units", True),
    (["LSTM"], "LSTMs", True),
    (["memory"], "memories", True),
    (["concatenation"], "concatenations", True),
    (["loss"], "los", False),  # "ss" is not a plural ending
    # a name with its acronym in parentheses
    (["gated recurrent unit"], "gated recurrent unit (GRU)", True),
    (["GRU"], "Gated Recurrent Unit (GRU)", True),
    (["echo state network"], "ESN (echo state network)", False),  # the acronym goes second
    (["ESN"], "echo state network (ESN)", True),
    (["LSTM"], "long short-term memory (LSTM)", True),
    (["LSTM"], "LSTM (GRU)", False),  # two different names: a guess at both
    (["LSTM", "GRU"], "LSTM (GRU)", True),  # both accepted
    (["long short-term memory (LSTM)"], "LSTM", True),  # an answer with both names
    (["long short-term memory (LSTM)"], "long short-term memory", True),
    # a trailing generic noun
    (["Hopfield network"], "Hopfield", True),
    (["Hopfield"], "Hopfield net", True),
    (["LSTM"], "LSTM cell", True),
    (["GRU"], "a GRU layer", True),
    (["GRU"], "GRU units", True),
    (["network"], "network", True),  # never the last word
    (["cell"], "cell network layer", False),  # only one generic noun goes
    # case
    (["GRU"], "gru", True),
    # what stays wrong
    (["forget gate", "forget"], "input gate", False),
    (["echo state network"], "echo network", False),
    (["bidirectional RNN"], "BRNN", False),  # an abbreviation the bank has to list
    (["concatenation"], "concatenating", False),  # another word, not a plural: list it
]


@pytest.mark.parametrize(("answers", "response", "accepted"), LENIENT)
def test_text_answers_are_compared_leniently(answers: list, response: str, accepted: bool) -> None:
    verdict = check_response(TextKey(answers=answers), response)
    assert verdict.status == ("correct" if accepted else "incorrect"), verdict
    assert verdict.method == "text"


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("The Gated Recurrent Units", "gatedrecurrent"),
        ("gated-recurrent unit", "gatedrecurrent"),
        ("Bi-RNN", "birnn"),
        ("  Long  Short-Term Memory. ", "longshorttermmemory"),
        ("the", "the"),  # an article alone is kept
    ],
)
def test_lenient_form(text: str, form: str) -> None:
    assert lenient_form(text) == form


def test_mistakes_are_compared_leniently_too() -> None:
    key = TextKey(
        answers=["update gate"],
        mistakes=[{"answer": "reset gate", "feedback": "That one feeds the candidate."}],
    )
    verdict = check_response(key, "the Reset-Gates")
    assert (verdict.method, verdict.feedback) == ("mistake", "That one feeds the candidate.")


def test_case_sensitive_answers_keep_case_through_leniency() -> None:
    key = TextKey(answers=["NaCl crystal"], case_sensitive=True)
    assert check_response(key, "the NaCl crystals").status == "correct"
    assert check_response(key, "the nacl crystals").status == "incorrect"


def test_text_case_sensitive() -> None:
    key = TextKey(answers=["NaCl"], case_sensitive=True)
    assert check_response(key, "NaCl").status == "correct"
    assert check_response(key, "nacl").status == "incorrect"


def test_text_regex_fullmatch() -> None:
    key = TextKey(regex=r"(bi-?directional )?lstm")
    assert check_response(key, "LSTM").status == "correct"
    assert check_response(key, "bidirectional LSTM").status == "correct"
    assert check_response(key, "an LSTM").status == "incorrect"  # fullmatch, not search
    assert check_response(key, "LSTM network").status == "incorrect"


def test_text_regex_never_sees_a_long_response() -> None:
    key = TextKey(regex=r"(a+)+$")  # catastrophic backtracking on a long non-match
    start = time.perf_counter()
    verdict = check_response(key, "a" * 1500 + "b", timeout=2.0)
    assert verdict.status == "incorrect"  # its first 200 characters would have matched
    assert time.perf_counter() - start < 0.5
    assert check_response(key, "a" * 200).status == "correct"


def test_text_catastrophic_regex_is_stopped_by_the_time_limit() -> None:
    key = TextKey(regex=r"(a|aa)+$")
    start = time.perf_counter()
    verdict = check_response(key, "a" * 60 + "b", timeout=0.5)
    assert verdict.status == "invalid"
    assert "took longer than 0.5 s" in verdict.feedback
    assert time.perf_counter() - start < 2


# --- essay ----------------------------------------------------------------------------------------


def test_essay_is_manual_with_rubric() -> None:
    verdict = check_response(EssayKey(rubric="2 points: mentions the forget gate."), "My essay")
    assert (verdict.status, verdict.score) == ("manual", 0)
    assert verdict.feedback.startswith("needs manual grading")
    assert "forget gate" in verdict.feedback


def test_long_essay_is_not_refused() -> None:
    verdict = check_response(EssayKey(rubric="x"), "word " * 2000)
    assert verdict.status == "manual"


def test_empty_essay_is_no_answer() -> None:
    assert check_response(EssayKey(rubric="x"), "  ").feedback == "no answer"


# --- through check_answer -------------------------------------------------------------------------


def test_check_answer_choice_and_multi() -> None:
    single = {
        "kind": "choice",
        "shuffle": False,
        "options": [{"text": "LSTM", "correct": True}, "GRU", "RNN"],
    }
    assert check_answer(single, "A").status == "correct"
    assert check_answer(single, "LSTM").status == "correct"
    assert check_answer(single, "B").status == "incorrect"
    multi = {
        "kind": "multi",
        "shuffle": False,
        "scoring": "right-minus-wrong",
        "options": [
            {"text": "LSTM", "correct": True},
            {"text": "GRU", "correct": True},
            "Hopfield",
        ],
    }
    assert check_answer(multi, "A, B").score == 1
    assert check_answer(multi, ["A"]).score == 0.5
    assert check_answer(multi, "A, C").score == 0


def test_check_answer_truefalse_text_essay() -> None:
    assert check_answer({"kind": "truefalse", "answer": True}, "yes").status == "correct"
    assert check_answer({"kind": "text", "answers": ["GRU"]}, "gru").status == "correct"
    assert check_answer({"kind": "essay", "rubric": "r"}, "words").status == "manual"


@pytest.mark.parametrize(
    ("response", "caret"), [("A E", "  ^"), ("A, Z", "   ^"), ("A,C,X", "    ^")]
)
def test_issue_multi_with_an_unknown_label_blames_the_response_not_the_key(
    response: str, caret: str
) -> None:
    """It said "could not check this answer: the answer key could not be read"."""
    verdict = check_response(choice_key("AC", "multi"), response)
    assert verdict.status == "invalid"
    message, shown, under = verdict.feedback.splitlines()
    assert message == "not one of the options; answer with a label A–D"
    assert (shown, under) == (response, caret)
