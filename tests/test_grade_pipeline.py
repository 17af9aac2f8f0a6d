"""`quizgen grade`: submissions (JSON, batch, CSV) → grades, feedback, gradebooks, rejections.

The exam comes from `quizgen generate` on tests/data/grade-bank.yaml (one question of every
kind); answers are built from each student's own key, so the totals below are the ones a
teacher would check by hand. Every check goes through the real checkers.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from quizgen.bank.model import load_bank
from quizgen.cli import app
from quizgen.generate.regrade import regrade_exam
from quizgen.grade import pipeline
from quizgen.grade.pipeline import GradeReport, grade_exam
from quizgen.grade.submissions import (
    Submission,
    exam_fingerprint,
    parse_csv_submissions,
    parse_json_submissions,
    read_key,
    submission_schema,
    template_for,
    validate_submissions,
)
from quizgen.grade.write import canvas_csv, moodle_csv
from quizgen.variant import ChoiceKey, Exam, NumericKey, Paper

DATA = Path(__file__).resolve().parent / "data"
BANK = DATA / "grade-bank.yaml"
ROSTER = (
    "id,name\ns1,Ada Lovelace\ns2,Bo Wrong\ns3,Cy Mistake\ns4,Di Invalid\n"
    "s5,Eve Csv\ns6,Fay Absent\n"
)
QUESTIONS = [
    "rnn-count",
    "lstm-formula",
    "variant-choice",
    "gates-multi",
    "shared-weights",
    "vanishing-name",
    "why-gates",
    "forget-zero.a",
    "forget-zero.b",
]
MAX = 13  # 2 + 2 + 1 + 1 + 1 + 1 + 3 (essay) + 1 + 1
ALL_RIGHT = 10  # everything but the essay, which waits for a person


# --- building the exam and the answers -------------------------------------------------------


@pytest.fixture(scope="module")
def exam_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from typer.testing import CliRunner

    root = tmp_path_factory.mktemp("exam")
    roster = root / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    args = ["generate", str(BANK), "--roster", str(roster), "--seed", "grade-1"]
    result = CliRunner().invoke(app, [*args, "--out", str(root / "exam"), "--format", "md"])
    assert result.exit_code == 0, result.output
    return root / "exam"


@pytest.fixture(scope="module")
def exam(exam_dir: Path) -> Exam:
    return read_key(exam_dir / "key.json")


def _paper(exam: Exam, student: str) -> Paper:
    return next(p for p in exam.papers if p.student_id == student)


def _keys(paper: Paper) -> dict[str, Any]:
    return {
        f"{v.question_id}.{pid}" if pid else v.question_id: key
        for v in paper.variants
        for pid, key, _ in v.gradable()
    }


def _label(key: ChoiceKey, text: str) -> str:
    return next(o.label for o in key.options if o.text == text)


def right_answers(paper: Paper) -> dict[str, Any]:
    k = _keys(paper)
    return {
        "rnn-count": k["rnn-count"].display,
        "lstm-formula": "4*h*(n + h + 1)",
        "variant-choice": _label(k["variant-choice"], "LSTM"),
        "gates-multi": k["gates-multi"].correct_labels(),
        "shared-weights": True,
        "vanishing-name": "Vanishing Gradient",
        "why-gates": "The cell state is updated additively; the forget gate keeps it.",
        "forget-zero": {"a": k["forget-zero.a"].display, "b": True},
    }


def wrong_answers(paper: Paper) -> dict[str, Any]:
    k = _keys(paper)
    return {
        "rnn-count": str(int(k["rnn-count"].display) + 1),
        "lstm-formula": "n*h",
        "variant-choice": _label(k["variant-choice"], "Echo state network"),
        "gates-multi": [_label(k["gates-multi"], "reset gate")],
        "shared-weights": False,
        "vanishing-name": "overfitting",
        "why-gates": None,
        "forget-zero": {"a": "0", "b": False},
    }


def mistake_answers(paper: Paper) -> dict[str, Any]:
    k = _keys(paper)
    answers = right_answers(paper)
    answers.update(
        {
            "rnn-count": k["rnn-count"].mistakes[0].display,
            "lstm-formula": "3*(n*h + h^2 + h)",
            "variant-choice": _label(k["variant-choice"], "Hopfield network"),
            "vanishing-name": "exploding gradient",
        }
    )
    return answers  # right: multi, true/false, both parts (1 + 1 + 2); essay by hand


def invalid_answers(paper: Paper) -> dict[str, Any]:
    answers = wrong_answers(paper)
    answers.update({"rnn-count": "twenty thousand", "lstm-formula": "4*(n*h + h^2"})
    return answers


def _submission(exam: Exam, student: str, answers: dict[str, Any], **extra: Any) -> dict:
    return {"exam": exam_fingerprint(exam), "student_id": student, "answers": answers, **extra}


def _write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def _csv_text(exam: Exam, student: str) -> str:
    """A forms-tool export for one student: BOM, a Timestamp column, multi as 'A, C'."""
    answers = right_answers(_paper(exam, student))
    row = {
        "Timestamp": "2025-03-01 10:02",
        "student_id": student,
        **{q: answers[q] for q in QUESTIONS if "." not in q},
        "forget-zero.a": answers["forget-zero"]["a"],
        "forget-zero.b": "TRUE",
    }
    row["gates-multi"] = ", ".join(row["gates-multi"])
    row["shared-weights"] = "true"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(row), lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(row)
    return "\ufeff" + buffer.getvalue()


@pytest.fixture()
def good_submissions(exam: Exam, tmp_path: Path) -> Path:
    """A folder with every kind of good submission: JSON files, a batch and a CSV."""
    folder = tmp_path / "subs"
    folder.mkdir()
    s = {sid: _paper(exam, sid) for sid in ("s1", "s2", "s3", "s4")}
    _write_json(folder / "a-s1.json", _submission(exam, "s1", right_answers(s["s1"])))
    _write_json(folder / "b-s2.json", _submission(exam, "s2", wrong_answers(s["s2"])))
    batch = [
        _submission(exam, "s3", mistake_answers(s["s3"])),
        _submission(exam, "s4", invalid_answers(s["s4"])),
    ]
    _write_json(folder / "c-batch.json", {"submissions": batch})
    (folder / "d-form.csv").write_bytes(_csv_text(exam, "s5").encode("utf-8"))
    return folder


@pytest.fixture()
def bad_submissions(exam: Exam, good_submissions: Path) -> Path:
    """The good folder plus one file for each kind of rejection."""
    folder = good_submissions
    (folder / "e-bad.json").write_text('{"student_id": "s6",\n  "answers": {,}}', encoding="utf-8")
    _write_json(folder / "f-stranger.json", _submission(exam, "zz", {}))
    _write_json(folder / "g-other-exam.json", {**_submission(exam, "s6", {}), "exam": "deadbeef"})
    again = right_answers(_paper(exam, "s1"))
    _write_json(folder / "h-s1-again.json", _submission(exam, "s1", again))
    data = json.loads((folder / "b-s2.json").read_text(encoding="utf-8"))
    data["answers"]["no-such-question"] = "42"
    _write_json(folder / "b-s2.json", data)
    return folder


def _grade(runner, exam_dir: Path, subs: list[Path], out: Path, *extra: str):
    args = ["grade", str(exam_dir / "key.json"), *map(str, subs), "--out", str(out), *extra]
    return runner.invoke(app, args)


def _rows(path: Path) -> list[dict[str, str]]:
    return _rows_of(path.read_text(encoding="utf-8"))


def _rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _report(out: Path) -> GradeReport:
    return GradeReport.model_validate_json((out / "grading.json").read_text(encoding="utf-8"))


def _items(report: GradeReport, student: str) -> dict[str, Any]:
    grade = next(s for s in report.students if s.student_id == student)
    return {f"{i.question_id}.{i.part_id}" if i.part_id else i.question_id: i for i in grade.items}


# --- end to end ------------------------------------------------------------------------------


def test_all_good_submissions_grade_with_exit_0(runner, exam_dir, good_submissions, tmp_path):
    result = _grade(runner, exam_dir, [good_submissions], tmp_path / "out")
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    rows = {r["id"]: r for r in _rows(out / "grades.csv")}
    assert list(rows) == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert (rows["s1"]["total"], rows["s1"]["max"], rows["s1"]["status"]) == (
        str(ALL_RIGHT),
        str(MAX),
        "needs manual grading",
    )
    assert rows["s1"]["percent"] == "76.92"
    assert rows["s2"]["total"] == "0"
    assert rows["s3"]["total"] == "4"
    assert rows["s4"]["total"] == "0"
    assert rows["s5"]["total"] == str(ALL_RIGHT)  # the CSV with a BOM
    assert (rows["s6"]["status"], rows["s6"]["total"], rows["s6"]["rnn-count"]) == (
        "missing",
        "0",
        "",
    )
    assert rows["s1"]["rnn-count"] == "2" and rows["s1"]["why-gates"] == ""
    assert (out / "rejected.csv").read_text(encoding="utf-8") == "source,student,reason\n"


def test_grades_csv_header(runner, exam_dir, good_submissions, tmp_path):
    _grade(runner, exam_dir, [good_submissions], tmp_path / "out")
    header = (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",".join(["id", "name", "status", "total", "max", "percent", *QUESTIONS])


def test_statuses_and_targeted_feedback(runner, exam, exam_dir, good_submissions, tmp_path):
    _grade(runner, exam_dir, [good_submissions], tmp_path / "out")
    report = _report(tmp_path / "out")
    right, wrong = _items(report, "s1"), _items(report, "s2")
    mistake, invalid = _items(report, "s3"), _items(report, "s4")
    assert {q: i.status for q, i in right.items() if q != "why-gates"} == dict.fromkeys(
        [q for q in QUESTIONS if q != "why-gates"], "correct"
    )
    assert right["why-gates"].status == "manual"
    assert wrong["why-gates"].status == "blank"
    assert wrong["lstm-formula"].status == "incorrect"
    assert "bias" in mistake["rnn-count"].feedback
    assert "GRU" in mistake["lstm-formula"].feedback
    assert "no gates" in mistake["variant-choice"].feedback
    assert "opposite" in mistake["vanishing-name"].feedback
    # which declared mistake was hit, by its index (what `quizgen report` counts)
    hit = {q: i.mistake for q, i in mistake.items() if i.mistake is not None}
    assert hit == {"rnn-count": 0, "lstm-formula": 0, "vanishing-name": 0}
    assert wrong["lstm-formula"].mistake is None
    assert invalid["rnn-count"].status == "invalid"
    assert invalid["lstm-formula"].status == "invalid"
    assert "^" in invalid["lstm-formula"].feedback  # a caret under the problem
    item = right["rnn-count"]
    assert (item.bank_id, item.topic, item.points, item.earned) == (
        "grade-test",
        "rnn/parameters",
        2,
        2,
    )
    assert item.variant_uid == _paper(exam, "s1").variants[0].uid
    # Issue 14: a student without a submission is listed (status, max points) but their
    # paper is not read, so they have no items.
    s6 = next(s for s in report.students if s.student_id == "s6")
    assert (s6.status, s6.total, s6.items) == ("missing", 0, [])
    assert s6.max == sum(v.points for v in _paper(exam, "s6").variants)


def test_rejections_are_listed_and_the_rest_graded(runner, exam_dir, bad_submissions, tmp_path):
    result = _grade(runner, exam_dir, [bad_submissions], tmp_path / "out")
    assert result.exit_code == 1, result.output
    out = tmp_path / "out"
    rejected = _rows(out / "rejected.csv")
    by_file = {Path(r["source"].split("[")[0].split(":")[0]).name: r for r in rejected}
    assert set(by_file) == {
        "a-s1.json",  # superseded by h-s1-again.json, the later of s1's two files
        "b-s2.json",
        "e-bad.json",
        "f-stranger.json",
        "g-other-exam.json",
    }
    assert "not valid JSON" in by_file["e-bad.json"]["reason"]
    assert "line 2, column" in by_file["e-bad.json"]["reason"]
    assert "unknown student 'zz'" in by_file["f-stranger.json"]["reason"]
    assert "wrong exam" in by_file["g-other-exam.json"]["reason"]
    assert "superseded" in by_file["a-s1.json"]["reason"]
    assert "h-s1-again.json" in by_file["a-s1.json"]["reason"]
    assert by_file["a-s1.json"]["student"] == "s1"
    assert "unknown question 'no-such-question'" in by_file["b-s2.json"]["reason"]
    assert by_file["b-s2.json"]["student"] == "s2"
    rows = {r["id"]: r for r in _rows(out / "grades.csv")}
    assert rows["s1"]["total"] == str(ALL_RIGHT)  # the later s1 file was graded
    assert rows["s2"]["status"] == "graded"  # its known answers still graded
    assert rows["s6"]["status"] == "missing"  # only a wrong-exam file named s6
    assert "rejected" in result.output


def test_outputs_are_byte_identical_across_runs(runner, exam_dir, bad_submissions, tmp_path):
    for name in ("one", "two"):
        _grade(runner, exam_dir, [bad_submissions], tmp_path / name, "--gradebook", "canvas")

    def tree(root: Path) -> dict[str, bytes]:
        files = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
        files.pop("timing.csv")
        return files

    one = tree(tmp_path / "one")
    assert one == tree(tmp_path / "two")
    assert {"grades.csv", "grading.json", "rejected.csv", "gradebook-canvas.csv"} <= set(one)
    assert "feedback/s1.html" in one and "feedback/s6.md" not in one


def test_feedback_files_show_answer_verdict_feedback_and_solution(
    runner, exam_dir, good_submissions, tmp_path
):
    _grade(runner, exam_dir, [good_submissions], tmp_path / "out")
    md = (tmp_path / "out" / "feedback" / "s3.md").read_text(encoding="utf-8")
    assert "3*(n*h + h^2 + h)" in md
    assert "Incorrect" in md and "Correct" in md
    assert "Three blocks is a GRU; an LSTM has four." in md
    assert "Four blocks of" in md  # the worked solution
    assert "Count the bias vector too." in md
    html = (tmp_path / "out" / "feedback" / "s3.html").read_text(encoding="utf-8")
    assert "3*(n*h + h^2 + h)" in html
    assert "Three blocks is a GRU" in html
    assert "<math" in html  # $…$ as MathML
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "src=" not in html
    invalid = (tmp_path / "out" / "feedback" / "s4.md").read_text(encoding="utf-8")
    assert "Could not be read" in invalid and "4*(n*h + h^2" in invalid


def test_an_undecided_answer_goes_to_the_instructor_not_to_unreadable(
    runner, exam, exam_dir, tmp_path
):
    """min(…, 10^12) equals the key wherever the checker samples and has no exact decision:
    the feedback page must say a person will check it, not that it could not be read."""
    folder = tmp_path / "subs"
    folder.mkdir()
    answers = right_answers(_paper(exam, "s1"))
    answers["lstm-formula"] = "min(4*h*(n + h + 1), 10^12)"
    _write_json(folder / "s1.json", _submission(exam, "s1", answers))
    _grade(runner, exam_dir, [folder], tmp_path / "out")
    (student,) = [s for s in _report(tmp_path / "out").students if s.student_id == "s1"]
    item = next(i for i in student.items if i.question_id == "lstm-formula")
    assert (item.status, item.method, item.earned) == ("invalid", "undecided", 0.0)
    for suffix in ("md", "html"):
        page = (tmp_path / "out" / "feedback" / f"s1.{suffix}").read_text(encoding="utf-8")
        assert "Not decided automatically: your instructor will check" in page
        assert "Could not be read" not in page


def test_gradebook_files_have_the_documented_headers(runner, exam_dir, good_submissions, tmp_path):
    for book in ("canvas", "moodle"):
        result = _grade(
            runner,
            exam_dir,
            [good_submissions],
            tmp_path / book,
            "--gradebook",
            book,
            "--assignment",
            "Quiz 1 (42)",
        )
        assert result.exit_code == 0, result.output
    canvas = (tmp_path / "canvas" / "gradebook-canvas.csv").read_text(encoding="utf-8").splitlines()
    assert canvas[0] == "Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (42)"
    assert canvas[1] == f"Points Possible,,,,,{MAX}"
    assert canvas[2] == f"Ada Lovelace,,s1,,,{ALL_RIGHT}"
    assert canvas[-1] == "Fay Absent,,s6,,,"  # no submission: the instructor decides
    moodle = (tmp_path / "moodle" / "gradebook-moodle.csv").read_text(encoding="utf-8").splitlines()
    assert moodle[0] == "ID number,Full name,Quiz 1 (42)"
    assert moodle[1] == f"s1,Ada Lovelace,{ALL_RIGHT}"


def test_unknown_gradebook_is_a_usage_error(runner, exam_dir, good_submissions, tmp_path):
    result = _grade(runner, exam_dir, [good_submissions], tmp_path / "o", "--gradebook", "bb")
    assert result.exit_code == 2
    assert "canvas, moodle" in result.output


def test_default_assignment_is_the_exam_title(exam: Exam) -> None:
    report = grade_exam(exam, [])
    assert canvas_csv(report, exam.title).splitlines()[0].endswith(",Grading pipeline test")
    assert moodle_csv(report, "Q").splitlines()[1] == "s1,Ada Lovelace,"


def test_hostile_answers_are_invalid_and_the_batch_goes_on(
    runner, exam_dir, exam, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    hostile = wrong_answers(_paper(exam, "s1"))
    hostile.update(
        {
            "lstm-formula": f"__import__('os').system('touch {marker}')",
            "rnn-count": "9^9^9^9",
            "vanishing-name": "__import__('os')._exit(3)",
            "forget-zero": {"a": "(" * 100_000 + "1" + ")" * 100_000, "b": False},
        }
    )
    batch = [
        _submission(exam, "s1", hostile),
        _submission(exam, "s2", right_answers(_paper(exam, "s2"))),
    ]
    subs = _write_json(tmp_path / "batch.json", batch)
    result = _grade(runner, exam_dir, [subs], tmp_path / "out", "--timeout", "1")
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    report = _report(tmp_path / "out")
    evil = _items(report, "s1")
    assert evil["lstm-formula"].status == "invalid"
    assert evil["rnn-count"].status == "invalid"
    assert evil["forget-zero.a"].status == "invalid"
    assert evil["vanishing-name"].status == "incorrect"  # text: just a wrong name
    assert next(s for s in report.students if s.student_id == "s2").total == ALL_RIGHT


# --- the cache -------------------------------------------------------------------------------


def test_identical_responses_are_checked_once(exam: Exam, monkeypatch) -> None:
    calls: list[tuple[Any, Any]] = []
    real = pipeline.check_response

    def counting(key, response, *, timeout=2.0):
        calls.append((key, response))
        return real(key, response, timeout=timeout)

    monkeypatch.setattr(pipeline, "check_response", counting)
    forms = ["4*h*(n+h+1)", "4*h*(n+h+1)", "4*h*(n + h+1)"] * 2
    subs = [
        Submission(student_id=p.student_id, answers={"lstm-formula": form, "shared-weights": True})
        for p, form in zip(exam.papers, forms, strict=True)
    ]
    report = grade_exam(exam, subs)
    formula_calls = [r for k, r in calls if k.kind == "expression"]
    assert formula_calls == ["4*h*(n+h+1)", "4*h*(n + h+1)"]  # the same key: once per string
    assert len([r for k, r in calls if k.kind == "truefalse"]) == 1
    assert report.stats.checks == len(calls) == 3
    assert report.stats.cache_hits == 9
    cached = [s.items[1].cached for s in report.students]
    assert cached == [False, True, False, True, True, True]
    assert {s.items[1].status for s in report.students} == {"correct"}


def test_cached_verdicts_never_quote_another_students_text(exam: Exam) -> None:
    forms = ["4*(n*h", "4*(n*h ", " 4*(n*h"]
    subs = [
        Submission(student_id=p.student_id, answers={"lstm-formula": form})
        for p, form in zip(exam.papers, forms, strict=False)
    ]
    report = grade_exam(exam, subs)
    for form, student in zip(forms, report.students, strict=False):
        item = student.items[1]
        assert item.status == "invalid" and not item.cached
        assert form.rstrip() in item.feedback


def test_the_cache_never_mixes_different_keys(exam: Exam) -> None:
    answer = _keys(_paper(exam, "s1"))["rnn-count"].display
    subs = [Submission(student_id=p.student_id, answers={"rnn-count": answer}) for p in exam.papers]
    report = grade_exam(exam, subs)
    for student in report.students:
        key = _keys(_paper(exam, student.student_id))["rnn-count"]
        expected = "correct" if key.display == answer else "incorrect"
        assert student.items[0].status == expected


# --- regrading -------------------------------------------------------------------------------


def test_regrade_resolves_from_an_edited_bank(runner, exam, exam_dir, good_submissions, tmp_path):
    edited = tmp_path / "grade-bank.yaml"
    text = BANK.read_text(encoding="utf-8").replace("answer: weights + h", "answer: weights + 2*h")
    edited.write_text(text, encoding="utf-8")
    fresh, changes = regrade_exam(exam, [load_bank(edited)])
    assert {(c.student_id, c.question_id, c.change) for c in changes} == {
        (p.student_id, "rnn-count", "answer") for p in exam.papers
    }
    assert fresh.papers[0].variants[0].values == exam.papers[0].variants[0].values  # same draws
    result = _grade(
        runner, exam_dir, [good_submissions], tmp_path / "out", "--regrade", str(edited)
    )
    assert result.exit_code == 0, result.output
    assert "key change" in result.output
    report = _report(tmp_path / "out")
    assert report.key == "regraded"
    assert _items(report, "s1")["rnn-count"].status == "incorrect"  # right by the old key only


def test_regrade_needs_the_exams_banks(exam: Exam) -> None:
    from quizgen.errors import UsageError

    with pytest.raises(UsageError, match="missing: grade-test"):
        regrade_exam(exam, [load_bank(Path(__file__).parent / "data" / "core-bank.yaml")])


# --- templates and schema --------------------------------------------------------------------


def test_templates_are_valid_empty_submissions(exam_dir: Path, exam: Exam) -> None:
    template = json.loads((exam_dir / "submissions" / "s1.json").read_text(encoding="utf-8"))
    assert template == template_for(exam, _paper(exam, "s1"))
    sub = Submission.model_validate(template)
    assert set(sub.answers) == {q.split(".")[0] for q in QUESTIONS}
    assert sub.answers["forget-zero"] == {"a": None, "b": None}
    assert all(v is None for k, v in sub.answers.items() if k != "forget-zero")
    labels = ", ".join(o.label for o in _keys(_paper(exam, "s1"))["variant-choice"].options)
    assert template["hints"]["variant-choice"] == f"one label of {labels}"
    assert "forget-zero.b" in template["hints"]
    report = grade_exam(exam, [sub])
    assert {i.status for i in report.students[0].items} == {"blank"}


def test_submitted_templates_grade_with_exit_0(runner, exam_dir: Path, tmp_path: Path) -> None:
    result = _grade(runner, exam_dir, [exam_dir / "submissions"], tmp_path / "out")
    assert result.exit_code == 0, result.output


def test_submission_schema(runner) -> None:
    schema = submission_schema()
    assert {"Submission", "Batch"} <= set(schema["$defs"])
    assert schema["$defs"]["Submission"]["required"] == ["student_id"]
    result = runner.invoke(app, ["schema", "--submission"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "quizgen submission"


# --- parsing tables --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"student_id": "s1",', "not valid JSON: Expecting property name"),
        ("[1, 2", "not valid JSON"),
        ('"s1"', "expected a submission object"),
        ('{"submissions": {"s1": {}}}', "expected a submission object"),
        ('{"answers": {}}', "student_id: Field required"),
        ('{"student_id": "s1", "answer": {}}', "answer: Extra inputs are not permitted"),
        ('{"student_id": "", "answers": {}}', "student_id: String should have at least 1"),
    ],
)
def test_bad_json_is_rejected_with_a_reason(text: str, reason: str) -> None:
    found = parse_json_submissions(text, "f.json")
    assert not found.received
    assert reason in found.rejections[0].reason


@pytest.mark.parametrize(
    ("value", "stored"),
    [(20362, "20362"), (0.5, "0.5"), (True, True), (None, None), ("1/2", "1/2"), (["A"], ["A"])],
)
def test_json_responses(value: Any, stored: Any) -> None:
    text = json.dumps({"student_id": "s1", "answers": {"q": value}})
    assert parse_json_submissions(text, "f.json").received[0].submission.answers["q"] == stored


def test_batch_entries_are_rejected_one_by_one() -> None:
    text = json.dumps([{"student_id": "a"}, {"student_id": "b", "answers": 3}, {"student_id": "c"}])
    found = parse_json_submissions(text, "b.json")
    assert [r.submission.student_id for r in found.received] == ["a", "c"]
    assert [(r.source, r.student) for r in found.rejections] == [("b.json[1]", "b")]


def test_csv_columns_rows_and_cells(exam: Exam) -> None:
    text = (
        "\ufeffTimestamp,ID,gates-multi,forget-zero.a,forget-zero.z,typo-question,Email\n"
        "x,s1,A; C,6,,,e@x\n"
        ",,,,,,\n"
        "x,,A,,,,\n"
    )
    found = parse_csv_submissions(text, "f.csv", exam)
    reasons = sorted(r.reason for r in found.rejections)
    assert reasons == [
        "column 'forget-zero.z': question 'forget-zero' has no part 'z'",
        "column 'typo-question' is not a question of this exam",
        "empty student id",
    ]
    [row] = found.received
    assert row.source == "f.csv:2"
    assert row.submission.answers == {"gates-multi": ["A", "C"], "forget-zero": {"a": "6"}}


def test_csv_without_an_id_column(exam: Exam) -> None:
    found = parse_csv_submissions("name,rnn-count\nx,1\n", "f.csv", exam)
    assert found.rejections[0].reason.startswith("no 'student_id'")


def test_answer_shape_must_match_the_paper(exam: Exam) -> None:
    subs = [
        Submission(
            student_id="s1",
            answers={"forget-zero": "6", "rnn-count": {"a": "1"}, "lstm-formula": "h"},
        )
    ]
    found = validate_submissions(exam, parse_json_submissions("[]", "x"))
    assert not found.received
    report = grade_exam(exam, subs)
    reasons = sorted(r.reason for r in report.rejections)
    assert reasons[0].startswith("question 'forget-zero' has parts a, b")
    assert reasons[1] == "question 'rnn-count' has no parts: give a single answer"
    assert _items(report, "s1")["lstm-formula"].status == "incorrect"


def test_numeric_display_is_a_right_answer_for_every_student(exam: Exam) -> None:
    """A guard on the fixture itself: every numeric key's display value grades correct."""
    for paper in exam.papers:
        key = _keys(paper)["rnn-count"]
        assert isinstance(key, NumericKey)
        sub = Submission(student_id=paper.student_id, answers={"rnn-count": key.display})
        report = grade_exam(exam, [sub])
        assert _items(report, paper.student_id)["rnn-count"].status == "correct"


def test_columns_with_pick_are_the_union_in_bank_order() -> None:
    from quizgen.generate.exam import build_exam, numbered_students
    from quizgen.grade.write import grades_csv

    exam = build_exam([load_bank(BANK)], numbered_students(12), "pick", pick=1)
    assert len({tuple(v.question_id for v in p.variants) for p in exam.papers}) > 1
    report = grade_exam(exam, [])
    header = grades_csv(report).splitlines()[0].split(",")[6:]
    assert header == [q for q in QUESTIONS if q in header]
    asked = {i.question_id for s in report.students for i in s.items}
    assert {h.split(".")[0] for h in header} == asked


def test_rejected_csv_cells_never_start_a_formula(exam: Exam) -> None:
    from quizgen.grade.write import rejected_csv

    report = grade_exam(exam, [Submission(student_id='=HYPERLINK("x")', answers={})])
    [row] = _rows_of(rejected_csv(report))
    assert row["student"] == '\'=HYPERLINK("x")'


def test_csv_lines_count_multiline_cells_and_long_ids_are_rejected(exam: Exam) -> None:
    long_id = "x" * 300
    text = f'id,why-gates\ns1,"two\nlines"\n{long_id},ok\ns2,fine\n'
    found = parse_csv_submissions(text, "f.csv", exam)
    assert [r.source for r in found.received] == ["f.csv:2", "f.csv:5"]
    assert found.received[0].submission.answers["why-gates"] == "two\nlines"
    [bad] = found.rejections
    assert bad.source == "f.csv:4" and "student_id" in bad.reason


def test_other_files_are_rejected(runner, exam_dir, good_submissions, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    latin = good_submissions / "latin1.csv"
    latin.write_bytes("id,vanishing-name\ns1,caf\xe9\n".encode("latin-1"))
    paths = [good_submissions, notes]
    result = _grade(runner, exam_dir, paths, tmp_path / "out")
    assert result.exit_code == 1
    reasons = {
        Path(r["source"]).name: r["reason"] for r in _rows(tmp_path / "out" / "rejected.csv")
    }
    assert reasons == {
        "latin1.csv": "not UTF-8 text (byte 24); save the file as UTF-8",
        "notes.txt": "not a .json or .csv file",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ('{"format": "other"}', "not a quizgen key"),
        (None, "cannot read key"),
    ],
)
def test_a_bad_key_is_a_usage_error(runner, tmp_path: Path, content: str | None, message: str):
    key = tmp_path / "key.json"
    if content is not None:
        key.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["grade", str(key), str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "o").exists()


def test_feedback_is_the_same_whatever_order_a_students_items_come_in(exam: Exam) -> None:
    """Graded items come in paper order and are cut in one pass; items in another order
    (a report built elsewhere) are grouped by question and give the same pages."""
    from quizgen.render.feedback import feedback_files

    paper = _paper(exam, "s1")
    answers = {"rnn-count": _keys(paper)["rnn-count"].display, "shared-weights": True}
    student = grade_exam(exam, [Submission(student_id="s1", answers=answers)]).students[0]
    first = student.items[0].question_id
    moved = [i for i in student.items if i.question_id != first]
    moved += [i for i in student.items if i.question_id == first]  # first question last
    shuffled = student.model_copy(update={"items": moved})
    assert feedback_files(exam, paper, shuffled) == feedback_files(exam, paper, student)
