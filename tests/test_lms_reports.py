"""Reading the LMSs' response reports, from fixtures laid out as their report code writes them.

Canvas rows follow ``StudentAnalysis#to_csv`` and its spec (an unanswered blank is an empty
value: ``,baz``; a logged-out attempt has empty name and id); Moodle rows follow the
Responses report download (``-`` for no response; identity fields as configured).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.errors import UsageError
from quizgen.lms.reports import read_canvas, read_moodle
from quizgen.lms.responses import split_canvas, to_responses
from quizgen.variant import NumericKey, PartVariant, Variant

CANVAS = (
    "name,id,sis_id,root_account,section,section_id,section_sis_id,submitted,attempt,"
    '"101: How many <b>gates</b>?",1.0,"102: Fill [a] and [b]",2.0,n correct,n incorrect,score\n'
    'Ada,7,S7,school,"Sec 1, Sec 2","1, 2",,2026-12-04,1,4,1.0,",baz",0.0,1,1,1.0\n'
    'Ada,7,S7,school,Sec 1,1,,2026-12-04,2,3,1.0,"foo,bar",2.0,2,0,3.0\n'
    ",,,,,,,2026-12-04,1,3,1.0,,,1,0,1.0\n"
    'Bob,8,S8,school,Sec 1,1,,2026-12-04,1,,,"1\\,5,x",0.0,0,1,0.0\n'
)


def test_canvas_columns_attempts_and_logged_out_rows() -> None:
    report = read_canvas(CANVAS, "sa.csv")
    assert report.key_column == "id"
    rows = {r.student.key: r for r in report.rows}
    assert set(rows) == {"7", "8"}
    ada = rows["7"]
    assert ada.source == "sa.csv:3"  # attempt 2 is graded
    assert [(a.question, a.response) for a in ada.answers] == [
        ("How many <b>gates</b>?", "3"),
        ("Fill [a] and [b]", "foo,bar"),
    ]
    assert dict(ada.student.ids) == {"sis_id": "S7", "section": "Sec 1"}
    # Bob did not draw question 101 (both cells empty): only 102 is his
    assert [a.column for a in rows["8"].answers] == ["102: Fill [a] and [b]"]
    reasons = sorted(r.reason for r in report.rejections)
    assert reasons[0].startswith("no Canvas user id")
    assert reasons[1] == "superseded: a later attempt (sa.csv:3) is graded"


def test_canvas_unknown_column_is_named() -> None:
    text = CANVAS.replace("submitted,", "submitted,colour,", 1)
    head, *rows = text.splitlines()
    text = "\n".join([head, *(r.replace(",2026-12-04,", ",2026-12-04,x,") for r in rows)])
    report = read_canvas(text, "sa.csv")
    assert [r.reason for r in report.rejections if "unknown" in r.reason] == [
        "unknown column 'colour' (column 9); ignored"
    ]


def test_canvas_without_ids_is_refused() -> None:
    with pytest.raises(UsageError, match="no 'id' column"):
        read_canvas("section,section_id,submitted,n correct,n incorrect,score\n", "anon.csv")


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.text(alphabet="ab,\\ 1.", max_size=6), min_size=1, max_size=5))
def test_canvas_cells_split_back_into_their_values(values: list[str]) -> None:
    """Canvas joins values with ',' and escapes ',' inside one as '\\,' (a backslash before a
    comma is then ambiguous, and Canvas does not escape backslashes: such values are left out)."""
    if any(v.endswith("\\") or "\\," in v for v in values):
        return
    cell = ",".join(v.replace(",", "\\,") for v in values)
    assert split_canvas(cell) == values


MOODLE = (
    "Surname,First name,ID number,Email address,State,Started on,Completed,Time taken,"
    "Grade/10.00,Question 1,Response 1,Right answer 1,Question 2,Response 2\n"
    "Lovelace,Ada,A1,ada@x,Finished,x,y,5 mins,5.00,What is 2+2?,4,4,Fill: _____,part 1: 3\n"
    "Babbage,Charles,C2,,Finished,x,y,5 mins,5.00,What is 2+2?,-,4,Fill: _____,-\n"
    "Overall average,,,,,,,,5.00,,,,,\n"
)


def test_moodle_rows_identity_and_blanks() -> None:
    report = read_moodle(MOODLE, "responses.csv")
    assert report.key_column == "Email address"
    [ada] = report.rows
    assert ada.student.key == "ada@x" and ada.student.name == "Ada Lovelace"
    assert [(a.question, a.response) for a in ada.answers] == [
        ("What is 2+2?", "4"),
        ("Fill: _____", "part 1: 3"),
    ]
    reasons = [r.reason for r in report.rejections]
    assert reasons == [
        "no Email address for 'Babbage Charles' (not a student's attempt)",
        "no Email address for 'Overall average' (not a student's attempt)",
    ]


def test_moodle_no_response_is_blank() -> None:
    text = MOODLE.replace("Babbage,Charles,C2,,", "Babbage,Charles,C2,cb@x,")
    rows = {r.student.key: r for r in read_moodle(text, "r.csv").rows}
    assert [a.response for a in rows["cb@x"].answers] == ["", ""]


def test_moodle_without_identity_or_question_text_is_refused() -> None:
    with pytest.raises(UsageError, match="to match students on"):
        read_moodle("Surname,First name,Question 1,Response 1\nA,B,q,r\n", "r.csv")
    with pytest.raises(UsageError, match="no 'Question 1' column") as caught:
        read_moodle("Email address,Response 1\na@b,r\n", "r.csv")
    assert "Question text" in caught.value.hint


def _multipart(*ids: str) -> Variant:
    key = NumericKey(value="1", approx=1.0, display="1")
    parts = [PartVariant(id=i, prompt=i, points=1, answer=key) for i in ids]
    return Variant(
        uid="u", bank_id="b", question_id="q", kind="multipart", topic="t", points=len(ids),
        values={}, prompt="p", parts=parts,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(a) 12\n(b) x^2 + 1", {"a": "12", "b": "x^2 + 1"}),
        ("a: 12 b: 7", {"a": "12", "b": "7"}),
        ("12 and 7", {"a": "12 and 7", "b": "12 and 7"}),  # no markers: each part sees all
        ("(b) 7 (a) 12", {"a": "(b) 7 (a) 12", "b": "(b) 7 (a) 12"}),  # out of order
    ],
)
def test_one_essay_for_every_part_is_split_at_the_part_markers(text: str, expected: dict) -> None:
    from quizgen.lms.manifest import ManifestVariant

    entry = ManifestVariant(variant=_multipart("a", "b"), qtype="essay_question", text=["p"])
    assert to_responses(entry, "canvas", text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name,id\nA," + "9" * 200_000 + "\n", "field larger than field limit"),
    ],
)
def test_a_file_the_lms_did_not_write_is_refused_with_its_line(text: str, reason: str) -> None:
    with pytest.raises(UsageError, match=reason) as caught:
        read_canvas(text, "odd.csv")
    assert str(caught.value).startswith("odd.csv:2: not a CSV report")


def _numeric_variant(uid: str, value: str) -> Variant:
    key = NumericKey(value=value, approx=float(value), display=value)
    return Variant(
        uid=uid, bank_id="b", question_id="q", kind="numeric", topic="t", points=1,
        values={}, prompt="How many?", answer=key,
    )  # fmt: skip


def test_look_alike_variants_that_grade_differently_are_never_guessed() -> None:
    from quizgen.lms.manifest import Manifest, ManifestPool, ManifestVariant
    from quizgen.lms.regrade import build_exam
    from quizgen.lms.reports import Answer, LmsReport, Row, Student

    entries = [
        ManifestVariant(variant=_numeric_variant(u, v), qtype="numerical", text=["howmany"])
        for u, v in (("u1", "5"), ("u2", "6"))
    ]
    pool = ManifestPool(bank_id="b", question_id="q", title="Q", points=1, variants=entries)
    manifest = Manifest(lms="moodle", title="T", pools=[pool])
    rows = [
        Row("r.csv:2", Student("a@x", "A"), (Answer("Response 1", "How many?", "5"),)),
        Row("r.csv:3", Student("b@x", "B"), (Answer("Response 1", "How many?", "seven"),)),
    ]
    rebuilt = build_exam(manifest, LmsReport("moodle", "Email address", rows))
    reasons = [r.reason for r in rebuilt.submissions.rejections]
    assert reasons[0].startswith("response in column 'Response 1': its question text fits 2")
    assert "grade it differently" in reasons[0]
    # "seven" is wrong for both variants alike: graded, whichever variant it was
    assert [p.student_id for p in rebuilt.exam.papers] == ["b@x"]
