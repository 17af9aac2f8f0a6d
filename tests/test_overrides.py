"""Hand grading: to-grade.csv lists what a person must judge; --overrides applies their marks.

Issue 9: essays and answers a person judges differently stayed 0 in the gradebook, and the
only fix was editing CSVs by hand.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from classroom import BANK, RIGHT_POINTS, make_exam, submission, write_json, write_key
from typer.testing import CliRunner

from quizgen.cli import app
from quizgen.grade.overrides import Mark, apply_marks, read_marks
from quizgen.grade.pipeline import GradeReport, grade_exam
from quizgen.grade.submissions import Submission
from quizgen.grade.write import to_grade_csv
from quizgen.variant import Exam

ESSAY = "The forget gate keeps the cell state."


@pytest.fixture(scope="module")
def exam() -> Exam:
    return make_exam(3)


@pytest.fixture()
def graded(exam: Exam, tmp_path: Path) -> tuple[Path, Path]:
    """key.json and a folder: s1 all right, s2 an unreadable formula, s3 absent."""
    key = write_key(exam, tmp_path / "exam")
    folder = tmp_path / "subs"
    folder.mkdir()
    write_json(folder / "s1.json", submission(exam, "s1"))
    bad = submission(exam, "s2")
    bad["answers"]["lstm-formula"] = "=4*(n*h + h^2"  # a formula a spreadsheet would run
    write_json(folder / "s2.json", bad)
    return key, folder


def _grade(key: Path, folder: Path, out: Path, *extra: str):
    args = ["grade", str(key), str(folder), "--out", str(out), "--force", *extra]
    return CliRunner().invoke(app, args)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _report(out: Path) -> GradeReport:
    return GradeReport.model_validate_json((out / "grading.json").read_text(encoding="utf-8"))


def test_to_grade_lists_essays_and_invalid_answers_with_the_students_text(graded, tmp_path):
    key, folder = graded
    result = _grade(key, folder, tmp_path / "out")
    assert result.exit_code == 0, result.output
    rows = _rows((tmp_path / "out" / "to-grade.csv").read_text(encoding="utf-8"))
    assert [(r["student"], r["question"], r["status"]) for r in rows] == [
        ("s1", "why-gates", "manual"),
        ("s2", "lstm-formula", "invalid"),
        ("s2", "why-gates", "manual"),
    ]
    assert rows[0]["response"] == ESSAY and rows[0]["max"] == "3" and rows[0]["score"] == ""
    assert rows[1]["response"] == "'=4*(n*h + h^2"  # never a spreadsheet formula
    assert "^" in rows[1]["feedback"]  # the caret under the problem
    assert "1 answer(s) could not be read (invalid) and 2 essay(s)" in result.output


def test_overrides_replace_the_automatic_marks_and_say_who_when_why(graded, tmp_path):
    key, folder = graded
    _grade(key, folder, tmp_path / "first")
    marks = tmp_path / "marks.csv"
    text = (tmp_path / "first" / "to-grade.csv").read_text(encoding="utf-8")
    rows = _rows(text)
    rows[0].update(score="2.5", comment="Good, but name the gradient.")
    rows[1].update(score="2", comment="A missing bracket; the formula is right.")
    with marks.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0], "grader"])
        writer.writeheader()
        writer.writerows([{**rows[0], "grader": "TA Ben"}, rows[1], rows[2]])  # s2's essay: blank
    result = _grade(key, folder, tmp_path / "out", "--overrides", str(marks))
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    grades = {r["id"]: r for r in _rows((out / "grades.csv").read_text(encoding="utf-8"))}
    assert (grades["s1"]["total"], grades["s1"]["why-gates"]) == (str(RIGHT_POINTS + 2.5), "2.5")
    assert grades["s1"]["status"] == "graded"  # nothing left for a person
    assert grades["s2"]["lstm-formula"] == "2" and grades["s2"]["status"] == "needs manual grading"
    report = _report(out)
    first, second = report.hand_marks
    assert (first.student_id, first.question_id, first.earned, first.points) == (
        "s1",
        "why-gates",
        2.5,
        3,
    )
    assert first.grader == "TA Ben" and first.comment == "Good, but name the gradient."
    assert first.source == f"{marks}:2" and first.replaced_status == "manual"
    assert first.graded_at[:4].isdigit()  # the file's time: no graded_at column
    assert second.replaced_status == "invalid" and second.replaced_earned == 0
    feedback = (out / "feedback" / "s2.md").read_text(encoding="utf-8")
    assert "A missing bracket; the formula is right." in feedback
    again = _rows((out / "to-grade.csv").read_text(encoding="utf-8"))
    assert [(r["question"], r["score"]) for r in again] == [
        ("why-gates", "2.5"),
        ("lstm-formula", "2"),
        ("why-gates", ""),
    ]  # marks kept, so the file can be edited and passed again


def test_overrides_survive_regrade(graded, tmp_path):
    key, folder = graded
    marks = tmp_path / "marks.csv"
    marks.write_text("student,question,score,comment\ns1,why-gates,3,Full marks.\n", "utf-8")
    edited = tmp_path / "bank.yaml"
    edited.write_text(
        BANK.read_text(encoding="utf-8").replace("answer: weights + h", "answer: weights + 2*h"),
        encoding="utf-8",
    )
    args = ("--overrides", str(marks), "--regrade", str(edited))
    result = _grade(key, folder, tmp_path / "out", *args)
    assert result.exit_code == 0, result.output
    report = _report(tmp_path / "out")
    assert report.key == "regraded"
    s1 = report.students[0]
    items = {i.question_id: i for i in s1.items}
    assert items["why-gates"].earned == 3 and items["why-gates"].method == "hand"
    assert items["rnn-count"].status == "incorrect"  # the re-solved key still applies


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("s9,why-gates,1", "unknown student 's9'"),
        ("s1,why-gate,1", "'why-gate' is not on this student's paper; did you mean 'why-gates'?"),
        ("s1,why-gates,4", "score 4 is more than the item's 3 point(s)"),
        ("s1,why-gates,2;5", "score '2;5' is not a number of points"),
        ("s1,why-gates,-1", "must be a number of points, 0 or more"),
        ("s3,why-gates,1", "no submission from this student"),
    ],
)
def test_a_bad_mark_is_rejected_and_the_rest_applied(
    exam: Exam, tmp_path: Path, row: str, reason: str
) -> None:
    marks_file = tmp_path / "marks.csv"
    marks_file.write_text(f"student,question,score\ns2,why-gates,1\n{row}\n", encoding="utf-8")
    marks, rejections = read_marks(marks_file)
    subs = [Submission.model_validate(submission(exam, s)) for s in ("s1", "s2")]
    report = apply_marks(grade_exam(exam, subs), marks)
    found = [r.reason for r in [*rejections, *report.rejections]]
    assert len(found) == 1 and reason in found[0]
    assert [(m.student_id, m.earned) for m in report.hand_marks] == [("s2", 1.0)]


def test_a_second_mark_for_one_item_is_rejected(exam: Exam) -> None:
    from decimal import Decimal

    def mark(score: str, line: int) -> Mark:
        return Mark("s1", "why-gates", Decimal(score), "", "", "", f"m.csv:{line}")

    report = grade_exam(exam, [Submission.model_validate(submission(exam, "s1"))])
    marked = apply_marks(report, [mark("1", 2), mark("3", 3)])
    assert [m.earned for m in marked.hand_marks] == [1.0]
    assert "a second mark for this item (the first, m.csv:2, is applied)" in (
        marked.rejections[0].reason
    )


def test_an_overrides_file_without_a_score_column_is_a_usage_error(tmp_path: Path) -> None:
    from quizgen.errors import UsageError

    path = tmp_path / "m.csv"
    path.write_text("student,question,points\ns1,q,1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no 'score' column"):
        read_marks(path)


def test_to_grade_is_only_the_header_when_nothing_waits(exam: Exam) -> None:
    answers = json.loads(json.dumps(submission(exam, "s1")))
    answers["answers"]["why-gates"] = None
    report = grade_exam(exam, [Submission.model_validate(answers)])
    assert to_grade_csv(report) == (
        "student,question,max,score,comment,kind,status,response,feedback\n"
    )
