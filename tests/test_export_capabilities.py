"""The capability table: what each LMS does natively, approximates, or leaves to a person.

The expected verdicts are written here by hand from what each LMS offers (see docs/export.md),
not read from the table; the exporters' files are checked to follow the verdicts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizgen.bank.model import Tolerance
from quizgen.export import EXPORTERS, export
from quizgen.export.base import Notes, Pool
from quizgen.export.capabilities import (
    CAPABILITIES,
    FEATURES,
    LMS,
    Support,
    review,
    review_multipart,
)
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    ExpressionKey,
    NumericKey,
    OptionKey,
    PartVariant,
    TextKey,
    TrueFalseKey,
    Variant,
)

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("canvas", "gift", "moodle", "qti21")
N, A, E = Support.NATIVE, Support.APPROXIMATED, Support.ESSAY
POOL = Pool("bank", "Bank", "q", "Q", "topic", "numeric", 1.0, ())


def _options(correct: int, total: int) -> list[OptionKey]:
    return [
        OptionKey(id=f"o{i}", label="ABCDEFG"[i], text=f"option {i}", correct=i < correct)
        for i in range(total)
    ]


NUMERIC = NumericKey(value="18", approx=18, display="18")
NUMERIC_MARGIN = NumericKey(value="18", approx=18, display="18", tolerance=Tolerance(absolute=1))
TINY = NumericKey(
    value="1/100000000000000000", approx=1e-17, display="1e-17", tolerance=Tolerance(relative=0.01)
)
THIRD = NumericKey(value="1/3", approx=1 / 3, display="0.333")
SIGFIGS = NumericKey(value="2", approx=2, display="2.00", require_sigfigs=3)
FRACTIONS = NumericKey(value="3/4", approx=0.75, display="0.75", fractions=True)
EXPRESSION = ExpressionKey(value="x**2", latex="x^{2}", variables={})
CHOICE = ChoiceKey(kind="choice", options=_options(1, 3))
MULTI_AON = ChoiceKey(kind="multi", options=_options(2, 4))
MULTI_AON_ONE = ChoiceKey(kind="multi", options=_options(1, 3))
MULTI_RMW = ChoiceKey(kind="multi", scoring="right-minus-wrong", options=_options(2, 4))
MULTI_PARTIAL = ChoiceKey(kind="multi", scoring="partial", options=_options(2, 3))
TRUEFALSE = TrueFalseKey(answer=True)
TEXT = TextKey(answers=["lstm"])
TEXT_CASE = TextKey(answers=["LSTM"], case_sensitive=True)
TEXT_PATTERN = TextKey(answers=["lstm"], regex="lstms?")
PATTERN_ONLY = TextKey(regex="lstms?")
ESSAY = EssayKey(rubric="mentions gates")

# key, then the verdict for canvas, gift, moodle, qti21, and words every non-native warning says.
QUESTIONS = [
    ("numeric", NUMERIC, (N, N, N, N), ""),
    ("numeric with a margin", NUMERIC_MARGIN, (N, N, N, N), ""),
    ("1/3 with tolerance 0", THIRD, (A, A, A, A), "no short decimal form"),
    ("margin below Moodle's 1e-14", TINY, (N, A, A, N), "widens every numeric tolerance"),
    ("required sigfigs", SIGFIGS, (A, A, A, A), "cannot require 3 significant figures"),
    ("fractions typed", FRACTIONS, (A, A, A, A), "fractions such as 3/4"),
    ("expression", EXPRESSION, (E, E, E, E), "cannot check algebraic expressions"),
    ("choice", CHOICE, (N, N, N, N), ""),
    # Canvas scores multi as (right − wrong)/correct floored at 0: quizgen's right-minus-wrong.
    ("multi all-or-nothing, 2 of 4", MULTI_AON, (A, A, A, N), "'all-or-nothing'"),
    ("multi all-or-nothing, 1 of 3", MULTI_AON_ONE, (N, A, A, N), "'all-or-nothing'"),
    ("multi right-minus-wrong, 2 of 4", MULTI_RMW, (N, N, N, N), ""),
    ("multi partial, 2 of 3", MULTI_PARTIAL, (A, A, A, N), "'partial'"),
    ("true/false", TRUEFALSE, (N, N, N, N), ""),
    ("text", TEXT, (N, N, N, N), ""),
    ("case-sensitive text", TEXT_CASE, (A, A, N, N), "case-sensitive"),
    ("text answers and a pattern", TEXT_PATTERN, (A, A, A, A), "only the listed answers"),
    ("a pattern only", PATTERN_ONLY, (E, E, E, E), "regular expression"),
    ("essay", ESSAY, (N, N, N, N), ""),
]


def _review(fmt: str, key: AnswerKey, part: str = "") -> tuple[Support, list[str]]:
    notes = Notes()
    support = review(fmt, POOL, key, notes, part)
    return support, [w.message for w in notes.warnings]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("key", "verdicts", "needle"),
    [pytest.param(key, verdicts, needle, id=name) for name, key, verdicts, needle in QUESTIONS],
)
def test_what_each_format_can_express(
    fmt: str, key: AnswerKey, verdicts: tuple[Support, ...], needle: str
) -> None:
    expected = verdicts[FORMATS.index(fmt)]
    support, messages = _review(fmt, key)
    assert support is expected
    if expected is N:
        assert messages == []
        return
    assert messages and all(needle in m for m in messages)
    if expected is E:
        assert messages[-1].endswith(f"; exported as {LMS[fmt].essay}")


def test_a_qti21_part_falls_back_on_its_own() -> None:
    support, messages = _review("qti21", EXPRESSION, part="b")
    assert support is E
    assert messages == [
        "part b: QTI 2.1 cannot check algebraic expressions; exported as extended text scored "
        "by hand (answers and solution in a scorer-only rubric block)"
    ]


# --- multipart questions that a format writes as one question ---------------------------------


def _multipart(*answers: AnswerKey) -> Variant:
    parts = [
        PartVariant(id=f"p{i}", prompt=f"Part {i}.", points=1, answer=answer)
        for i, answer in enumerate(answers)
    ]
    return Variant(
        uid="u", bank_id="bank", question_id="q", kind="multipart", topic="t", points=2,
        values={}, prompt="Parts:", parts=parts,
    )  # fmt: skip


MULTIPARTS = [
    # parts, verdict for canvas, gift, moodle (QTI 2.1 reviews each part on its own)
    ("choice and true/false", (CHOICE, TRUEFALSE), (N, E, N)),
    ("exact numeric and text", (NUMERIC, TEXT), (N, E, N)),
    ("numeric with a margin", (NUMERIC_MARGIN, CHOICE), (A, E, N)),
    ("case-sensitive text", (TEXT_CASE, NUMERIC), (A, E, N)),
    ("text with a pattern", (TEXT_PATTERN, NUMERIC), (A, E, A)),
    ("a multi part", (MULTI_RMW, NUMERIC), (E, E, N)),
    ("an expression part", (NUMERIC, EXPRESSION), (E, E, E)),
    ("an essay part", (ESSAY, CHOICE), (E, E, E)),
    ("a pattern-only part", (PATTERN_ONLY, CHOICE), (A, E, E)),
]


@pytest.mark.parametrize("fmt", ["canvas", "gift", "moodle"])
@pytest.mark.parametrize(
    ("answers", "verdicts"),
    [pytest.param(answers, verdicts, id=name) for name, answers, verdicts in MULTIPARTS],
)
def test_multipart_questions(
    fmt: str, answers: tuple[AnswerKey, ...], verdicts: tuple[Support, ...]
) -> None:
    notes = Notes()
    support = review_multipart(fmt, POOL, _multipart(*answers), notes)
    assert support is verdicts[("canvas", "gift", "moodle").index(fmt)]
    messages = [w.message for w in notes.warnings]
    if support is N:
        assert messages == []
    elif support is A:
        assert messages and all(m.startswith("part p") for m in messages)
    elif fmt == "gift":
        assert messages == [
            "GIFT (Moodle) has no multipart (Cloze) questions; exported as an essay question "
            "graded by hand (answers and solution in the general feedback)"
        ]
    else:
        assert messages and all(
            m.startswith("part p") and "; the whole question is exported as" in m for m in messages
        )


def test_a_multipart_that_falls_back_says_only_why() -> None:
    """Once the question is an essay, what its blanks would have lost no longer matters."""
    notes = Notes()
    variant = _multipart(NUMERIC_MARGIN, TEXT_CASE, EXPRESSION)
    assert review_multipart("canvas", POOL, variant, notes) is E
    assert [w.message for w in notes.warnings] == [
        "part p2: Canvas has no question with expression parts; the whole question is exported "
        "as an essay question graded by hand (answers and solution in the general feedback)"
    ]


# --- the exporters follow the table ------------------------------------------------------------

# How each format writes a question graded by hand.
_HAND_GRADED = {
    "canvas": "essay_question",
    "gift": "{####",
    "moodle": 'type="essay"',
    "qti21": "extendedTextInteraction",
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_exporters_write_the_fallback_the_table_decides(fmt: str) -> None:
    plain = export(
        [_bank("kind: text\n    answers: [lstm]")], fmt, variants=1, seed="s", strict=True
    )
    fallback = export([_bank("kind: text\n    regex: 'lstms?'")], fmt, variants=1, seed="s")
    assert _HAND_GRADED[fmt] not in _text(plain.data)
    assert _HAND_GRADED[fmt] in _text(fallback.data)
    assert [w.message.split(";")[0] for w in fallback.warnings if w.cannot_express] == [
        "QTI 2.1 patterns are not Python regular expressions"
        if fmt == "qti21"
        else f"{LMS[fmt].name} cannot match a regular expression"
    ]


def _bank(question: str):
    from quizgen.bank.model import parse_bank

    return parse_bank(
        f"id: b\ntitle: B\nquestions:\n  - id: q\n    {question}\n    prompt: Name it.\n"
    )


def _text(data: bytes) -> str:
    if data[:2] == b"PK":
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return "\n".join(package.read(n).decode("utf-8") for n in package.namelist())
    return data.decode("utf-8")


# --- the docs show the table as it is --------------------------------------------------------


def _matrix_lines() -> list[str]:
    """The table as docs/export.md shows it: a row per feature some format lacks."""
    lines = []
    for where in ("question", "part"):
        for feature in FEATURES:
            cells = [
                "—"
                if (fmt, where) not in CAPABILITIES
                else CAPABILITIES[fmt, where][feature].support.name.lower()
                if feature in CAPABILITIES[fmt, where]
                else "native"
                for fmt in FORMATS
            ]
            if set(cells) - {"native", "—"}:
                lines.append(f"| {where} | `{feature}` | {' | '.join(cells)} |")
    return lines


def test_docs_show_the_table_as_it_is() -> None:
    docs = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    expected = "\n".join(_matrix_lines())
    assert expected in docs, f"docs/export.md must hold the capability table:\n{expected}"
    assert set(FORMATS) == set(EXPORTERS) == set(LMS)
