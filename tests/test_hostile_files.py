"""Hostile and broken files: each is rejected with a clear reason, and nobody else loses a grade.

Issue 9: before, a deeply nested JSON file or a 5,000-digit number crashed `grade` with no
grades for anyone, an oversized CSV cell rejected the whole class's CSV, an unterminated quote
silently swallowed the students after it, and UTF-16, `;`-separated files and forms-tool
headers were refused. Each row of these tables failed on main.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from classroom import (
    ITEMS,
    RIGHT_POINTS,
    make_exam,
    paper,
    right_answers,
    submission,
    write_json,
)
from hostile import (
    BROKEN_FILES,
    Builder,
    csv_rows,
    csv_text,
    json_text,
    oversized_cell,
    unterminated_quote,
)

from quizgen.bank.model import parse_bank
from quizgen.errors import BankError, BankErrors, UsageError, format_error
from quizgen.generate.exam import parse_roster, read_roster
from quizgen.grade.pipeline import GradeReport, grade_exam
from quizgen.grade.submissions import (
    parse_csv_submissions,
    parse_json_submissions,
    read_key,
    read_submissions,
)
from quizgen.variant import Exam

MB = 1024 * 1024


@pytest.fixture(scope="module")
def exam() -> Exam:
    return make_exam(6)


def _graded(report: GradeReport) -> dict[str, float]:
    return {s.student_id: s.total for s in report.students if s.status == "graded"}


HOSTILE = [pytest.param(build, reason, id=name) for name, (build, reason) in BROKEN_FILES.items()]


@pytest.mark.parametrize(("build", "reason"), HOSTILE)
def test_a_hostile_file_costs_only_itself(
    exam: Exam, tmp_path: Path, build: Builder, reason: str
) -> None:
    name = "s2.json"
    folder = tmp_path / "subs"
    folder.mkdir()
    write_json(folder / "s1.json", submission(exam, "s1"))
    build(folder / name, exam)
    found = read_submissions([folder], exam)
    [rejection] = found.rejections
    assert Path(rejection.source).name == name
    assert reason in rejection.reason
    assert _graded(grade_exam(exam, found)) == {"s1": RIGHT_POINTS}


@pytest.mark.parametrize(
    ("build", "rejected", "reason"),
    [
        pytest.param(unterminated_quote, "f.csv:2", "is never closed", id="unterminated quote"),
        pytest.param(oversized_cell, "f.csv:2", "field larger than field limit", id="huge cell"),
    ],
)
def test_a_bad_csv_row_costs_only_that_row(
    exam: Exam, tmp_path: Path, build: Builder, rejected: str, reason: str
) -> None:
    path = tmp_path / "f.csv"
    build(path, exam, "s2", "s3", "s4")
    found = read_submissions([path], exam)
    [rejection] = found.rejections
    assert rejection.source == str(tmp_path / rejected)
    assert reason in rejection.reason
    graded = _graded(grade_exam(exam, found))
    assert "s2" not in graded
    assert graded["s3"] == RIGHT_POINTS  # the rows after the bad one are read


def test_an_unterminated_quote_names_the_lines_it_swallowed(exam: Exam) -> None:
    text = csv_text(csv_rows(exam, "s2", "s3", "s4")).replace(",true,", ',"true,', 1)
    found = parse_csv_submissions(text, "f.csv", exam)
    [rejection] = found.rejections
    # The quote runs on to the first quote of s3's row ("A, B, D"); s3 is read again.
    assert "runs into line(s) 3, which look like rows" in rejection.reason
    assert [r.submission.student_id for r in found.received] == ["s3", "s4"]


def test_a_multiline_essay_is_not_mistaken_for_an_open_quote(exam: Exam) -> None:
    rows = csv_rows(exam, "s2", "s3")
    rows[0]["answers"]["why-gates"] = "First line.\nSecond line,\nthird line."
    found = parse_csv_submissions(csv_text(rows), "f.csv", exam)
    assert not found.rejections
    assert found.received[0].submission.answers["why-gates"].count("\n") == 2


# --- files that are fine, though main refused them -----------------------------------------


def utf16_json(path: Path, exam: Exam) -> None:
    path.write_bytes(codecs.BOM_UTF16_LE + json_text(exam, "s2").encode("utf-16-le"))


def utf16_tab_csv(path: Path, exam: Exam) -> None:
    """What Excel writes as "Unicode text": UTF-16 with a BOM, tab-separated."""
    path.write_bytes(codecs.BOM_UTF16_LE + csv_text(csv_rows(exam, "s2"), "\t").encode("utf-16-le"))


def semicolon_csv(path: Path, exam: Exam) -> None:
    path.write_text(csv_text(csv_rows(exam, "s2"), ";"), encoding="utf-8")


def excel_sep_line(path: Path, exam: Exam) -> None:
    path.write_text("sep=;\r\n" + csv_text(csv_rows(exam, "s2"), ";"), encoding="utf-8")


def header(name: str) -> Builder:
    def build(path: Path, exam: Exam) -> None:
        path.write_text(csv_text(csv_rows(exam, "s2"), id_header=name), encoding="utf-8-sig")

    return build


def no_student_id_but_file_name(path: Path, exam: Exam) -> None:
    data = submission(exam, "s2")
    del data["student_id"]
    write_json(path, data)


def no_student_id_but_name(path: Path, exam: Exam) -> None:
    data = submission(exam, "s2", name="  student 2 ")
    del data["student_id"]
    write_json(path, data)


ACCEPTED = [
    pytest.param("s2.json", utf16_json, id="UTF-16 JSON with BOM"),
    pytest.param("s2.csv", utf16_tab_csv, id="UTF-16 tab CSV with BOM"),
    pytest.param("s2.csv", semicolon_csv, id="semicolon CSV"),
    pytest.param("s2.csv", excel_sep_line, id="sep= line"),
    pytest.param("s2.csv", header("Student ID"), id="Student ID"),
    pytest.param("s2.csv", header("SIS User ID"), id="SIS User ID"),
    pytest.param("s2.csv", header("Username"), id="Username"),
    pytest.param("s2.json", no_student_id_but_file_name, id="id from the file name"),
    pytest.param("form.json", no_student_id_but_name, id="id from the name"),
]


@pytest.mark.parametrize(("name", "build"), ACCEPTED)
def test_an_unambiguous_file_is_graded(exam: Exam, tmp_path: Path, name: str, build: Builder):
    folder = tmp_path / "subs"
    folder.mkdir()
    write_json(folder / "s1.json", submission(exam, "s1"))
    build(folder / name, exam)
    found = read_submissions([folder], exam)
    assert found.rejections == []
    assert _graded(grade_exam(exam, found)) == {"s1": RIGHT_POINTS, "s2": RIGHT_POINTS}


def test_an_id_taken_from_the_file_name_is_noted(exam: Exam, tmp_path: Path) -> None:
    no_student_id_but_file_name(tmp_path / "s2.json", exam)
    found = read_submissions([tmp_path / "s2.json"], exam)
    [note] = found.notes
    assert note.student == "s2" and "taken from the file name" in note.note


@pytest.mark.parametrize(
    ("header_line", "reason"),
    [
        ("ID,SIS User ID,rnn-count", "columns 'ID', 'SIS User ID' both hold ids"),
        ("Name,rnn-count", "no 'student_id' (or 'id') column"),
    ],
)
def test_an_ambiguous_or_missing_id_column_says_how_to_fix_it(
    exam: Exam, header_line: str, reason: str
) -> None:
    text = f"{header_line}\ns2,s2,1\n"
    [rejection] = parse_csv_submissions(text, "f.csv", exam).rejections
    assert reason in rejection.reason
    assert "student_id" in rejection.reason.rsplit(":", 1)[-1]


def test_the_id_column_is_the_one_that_names_students(exam: Exam) -> None:
    """Microsoft Forms numbers responses in 'ID'; Canvas puts its own user id in 'id'."""
    text = "ID,SIS User ID,rnn-count\n1,s2,5\n2,s3,6\n"
    found = parse_csv_submissions(text, "f.csv", exam)
    assert [r.submission.student_id for r in found.received] == ["s2", "s3"]


def test_a_missing_id_that_nothing_identifies_is_rejected_with_a_fix(exam: Exam) -> None:
    found = parse_json_submissions('{"answers": {}}', "answers.json", exam)
    [rejection] = found.rejections
    assert 'add "student_id"' in rejection.reason


def test_file_name_and_name_that_disagree_are_rejected(exam: Exam) -> None:
    found = parse_json_submissions('{"name": "Student 3", "answers": {}}', "s2.json", exam)
    [rejection] = found.rejections
    assert "'s2'" in rejection.reason and "'s3'" in rejection.reason


# --- one bad answer, one misspelt id ---------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"x": {"y": 1}}, "answers.vanishing-name.x: an answer must be"),
        ([1, 2], "answers.vanishing-name: an answer must be"),
    ],
)
def test_one_bad_answer_rejects_only_that_answer(exam: Exam, bad: object, reason: str) -> None:
    data = submission(exam, "s2")
    data["answers"]["vanishing-name"] = bad
    found = parse_json_submissions(json.dumps(data), "s2.json")
    [rejection] = found.rejections
    assert reason in rejection.reason and rejection.student == "s2"
    report = grade_exam(exam, found)
    assert _graded(report) == {"s2": RIGHT_POINTS - 1}  # only the text question is lost


def test_one_bad_part_rejects_only_that_part(exam: Exam) -> None:
    data = submission(exam, "s2")
    data["answers"]["forget-zero"]["b"] = {"deep": True}
    found = parse_json_submissions(json.dumps(data), "s2.json")
    [rejection] = found.rejections
    assert rejection.reason.startswith("answers.forget-zero.b: an answer must be")
    assert _graded(grade_exam(exam, found)) == {"s2": RIGHT_POINTS - 1}


def test_an_unquoted_5000_digit_answer_is_invalid_and_the_rest_graded(exam: Exam) -> None:
    text = json.dumps(submission(exam, "s2")).replace(
        json.dumps(right_answers(paper(exam, "s2"))["rnn-count"]), "9" * 5000, 1
    )
    report = grade_exam(exam, parse_json_submissions(text, "s2.json"))
    student = report.students[1]
    item = student.items[0]
    assert (item.question_id, item.status) == ("rnn-count", "invalid")
    assert student.total == RIGHT_POINTS - 2


@pytest.mark.parametrize(
    ("typed", "meant"), [("rnn-cont", "rnn-count"), ("Vanishing-Nme", "vanishing-name")]
)
def test_a_misspelt_question_id_gets_a_suggestion(exam: Exam, typed: str, meant: str) -> None:
    text = json.dumps(submission(exam, "s2", {typed: "1"}))
    report = grade_exam(exam, parse_json_submissions(text, "s2.json"))
    assert [r.reason for r in report.rejections] == [
        f"unknown question '{typed}' (not on this student's paper); did you mean '{meant}'?"
    ]


def test_a_misspelt_csv_column_gets_a_suggestion(exam: Exam) -> None:
    text = "student_id,vanishing_name\ns2,x\n"
    [rejection] = parse_csv_submissions(text, "f.csv", exam).rejections
    assert rejection.reason.endswith("did you mean 'vanishing-name'?")


# --- the other readers: banks, rosters, keys ---------------------------------------------------

BANK_HEAD = "id: b\ntitle: t\nquestions:\n  - id: q\n    kind: numeric\n    topic: t\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (BANK_HEAD + "    answer: " + "[" * 2000 + "]" * 2000, "b.yaml:7:"),
        (BANK_HEAD + "    answer: " + "1" * 5000, "b.yaml:7:13: questions[0].answer: a number of"),
        (BANK_HEAD + "    points: " + "2" * 5000, "a number of 5,000 digits (at most 1000)"),
        # a key, written as YAML's explicit '? key' (a plain key stops at 1,024 characters)
        (BANK_HEAD + "    ? " + "3" * 5000 + "\n    : 1\n", "b.yaml:7:7: questions[0]: a number"),
        (BANK_HEAD + "    answer: 1\0", "b.yaml:7:14: invalid YAML: a control character (U+0000)"),
    ],
)  # fmt: skip
def test_a_hostile_bank_is_a_located_error(text: str, message: str) -> None:
    with pytest.raises((BankError, BankErrors)) as caught:
        parse_bank(text, "b.yaml")
    assert message in format_error(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "a binary file, not text"),
        (
            codecs.BOM_UTF16_LE + "id: x\n".encode("utf-16-le"),
            "b.yaml:1:1:",
        ),  # read, then validated
    ],
)
def test_bank_files_are_read_safely(tmp_path: Path, content: bytes, message: str) -> None:
    from quizgen.bank.model import load_bank

    path = tmp_path / "b.yaml"
    path.write_bytes(content)
    with pytest.raises((BankError, BankErrors)) as caught:
        load_bank(path)
    assert message in format_error(caught.value).replace(str(tmp_path) + "/", "")


@pytest.mark.parametrize(
    ("text", "students"),
    [
        ("id;name\ns1;Ann\ns2;Bo\n", ["s1", "s2"]),
        ("sep=;\nid;name\ns1;Ann\n", ["s1"]),
        ("Student,SIS User ID\nAnn,s1\n", ["s1"]),
        ("id\ts\ns1\t\n", ["s1"]),
    ],
)
def test_rosters_from_spreadsheets_and_lms_exports(text: str, students: list[str]) -> None:
    assert [s.id for s in parse_roster(text)] == students


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('id,name\ns1,"Ann\ns2,Bo\n', "roster:2: a quoted cell on line 2 is never closed"),
        ("SIS User ID,Username\nx,y\n", "columns 'SIS User ID', 'Username' could each hold"),
        ("name\nAnn\n", "include 'id'"),
        ("id\n" + "x" * 300 + "\n", "roster:2: a student id longer than 200"),
    ],
)
def test_bad_rosters_are_usage_errors_with_the_line(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        parse_roster(text)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (codecs.BOM_UTF16_LE + "id,name\ns1,Ann\n".encode("utf-16-le"), None),
        (b"id,name\ns1,A\x00nn\n", "a NUL character at line 2"),
    ],
)
def test_roster_files(tmp_path: Path, content: bytes, message: str | None) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    if message is None:
        assert [s.name for s in read_roster(path)] == ["Ann"]
    else:
        with pytest.raises(UsageError, match=message):
            read_roster(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 5000 + "]" * 5000, "recursion limit exceeded"),
        ('{"format": ' + "1" * 5000 + "}", "number out of range"),
        ("\x00", "a NUL character"),
    ],
)
def test_a_hostile_key_is_a_usage_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "key.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        read_key(path)


def test_every_answer_counted(exam: Exam, tmp_path: Path) -> None:
    """A guard on the helpers: one right submission grades every item."""
    report = grade_exam(exam, parse_json_submissions(json_text(exam, "s1"), "s1.json"))
    assert sum(i.status not in ("blank", "missing") for i in report.students[0].items) == ITEMS
