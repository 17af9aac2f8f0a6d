"""Grading student by student (issue 14): the folder written as each student is graded holds
the very bytes that the whole report, built in memory and serialized at once, would give.

The oracle is the report of :func:`grade_exam` + :func:`apply_marks` passed through the pure
whole-report functions (pydantic's own dump for ``grading.json``), not the streaming code.
"""

from __future__ import annotations

import functools
from decimal import Decimal

import pytest
from classroom import make_exam, paper, right_answers, submission
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.grade.checkers import check_response
from quizgen.grade.overrides import Mark, apply_marks
from quizgen.grade.pipeline import (
    GradeReport,
    GradeStats,
    ItemResult,
    grade_exam,
    missing_grade,
    start_grading,
)
from quizgen.grade.submissions import Submission
from quizgen.grade.write import (
    GradingFolder,
    _stems,
    canvas_csv,
    grade_into,
    grades_csv,
    grading_json,
    moodle_csv,
    rejected_csv,
    to_grade_csv,
)
from quizgen.keyfile import StudentRow
from quizgen.output import file_stems
from quizgen.render.feedback import feedback_files, feedback_markdown
from quizgen.variant import Exam

CLASS = 64  # more than one range of feedback files (50), so --jobs 2 forks workers
ABSENT = {"s3", "s17", "s40", "s64"}


@pytest.fixture(scope="module")
def exam() -> Exam:
    return make_exam(CLASS)


def _answers(exam: Exam, student: str, n: int) -> dict:
    """Right, wrong, blank or unreadable answers, varied over the class."""
    answers = right_answers(paper(exam, student))
    if n % 3 == 1:
        answers["rnn-count"] = "12"
        answers["lstm-formula"] = "n*h"
    if n % 4 == 2:
        answers["vanishing-name"] = None
        answers["lstm-formula"] = "4*(n*h"  # unreadable: to-grade.csv
    if n % 5 == 0:
        answers["why-gates"] = f"Essay of student {n}: the gate's keeps it."
    return answers


def _submissions(exam: Exam) -> list[Submission]:
    return [
        Submission.model_validate(submission(exam, f"s{n}", _answers(exam, f"s{n}", n)))
        for n in range(1, CLASS + 1)
        if f"s{n}" not in ABSENT
    ]


def _mark(student: str, question: str, score: str, line: int) -> Mark:
    return Mark(student, question, Decimal(score), "seen", "ta", "2026-12-01", f"o.csv:{line}")


MARKS = [
    _mark("s5", "why-gates", "2", 2),  # applied
    _mark("nobody", "why-gates", "1", 3),  # unknown student
    _mark("s3", "why-gates", "1", 4),  # no submission
    _mark("s5", "why-gates", "1", 5),  # a second mark for one item
    _mark("s2", "lstm-formula", "1", 6),  # an unreadable answer, marked
    _mark("s10", "no-such", "1", 7),  # not on the paper
]


def _clock() -> float:
    return 0.0  # check times are not part of the comparison


@pytest.fixture(scope="module")
def whole(exam: Exam) -> GradeReport:
    return apply_marks(grade_exam(exam, _submissions(exam), clock=_clock), MARKS)


@pytest.mark.parametrize(("jobs", "staged"), [(1, False), (2, True)])
def test_the_streamed_folder_is_the_whole_report_byte_for_byte(exam, whole, tmp_path, jobs, staged):
    run = start_grading(exam, _submissions(exam), clock=_clock)
    feedback = functools.partial(feedback_files, templates=None)
    done = grade_into(
        tmp_path, run, MARKS, gradebook="canvas", feedback=feedback, jobs=jobs, staged=staged
    )

    def text(name: str) -> str:
        return (tmp_path / name).read_text(encoding="utf-8")

    assert text("grading.json") == grading_json(whole)
    assert text("grades.csv") == grades_csv(whole)
    assert text("to-grade.csv") == to_grade_csv(whole)
    assert text("rejected.csv") == rejected_csv(whole)
    assert text("gradebook-canvas.csv") == canvas_csv(whole, exam.title)
    assert (done.students, done.graded) == (CLASS, CLASS - len(ABSENT))
    assert done.manual == sum(s.manual for s in whole.students)
    # feedback for those who submitted, and only them, as rendered one by one
    names = sorted(p.name for p in (tmp_path / "feedback").iterdir())
    submitted = sorted(s.student_id for s in whole.students if s.status != "missing")
    assert names == sorted(f"{sid}{suffix}" for sid in submitted for suffix in (".html", ".md"))
    for student in whole.students:  # the last 14 rendered in a worker with jobs 2
        if student.status == "missing":
            continue
        own = feedback_files(exam, paper(exam, student.student_id), student)
        assert text(f"feedback/{student.student_id}.md") == own[".md"]
        assert text(f"feedback/{student.student_id}.html") == own[".html"]


def test_items_are_what_validation_makes(exam):
    """Items are built without pydantic's validation (200,000 a run): each must be the
    very item validation makes of the same values, value types included (an int where a
    float belongs would change grading.json), with blank, wrong and unreadable answers."""
    run = start_grading(exam, _submissions(exam), clock=_clock)
    statuses = set()
    for student, _ in run.students():
        for item in student.items:
            validated = ItemResult(**item.model_dump())
            assert item == validated
            assert [type(v) for v in item.__dict__.values()] == [
                type(v) for v in validated.__dict__.values()
            ]
            assert item.model_dump_json() == validated.model_dump_json()
            statuses.add(item.status)
    assert statuses >= {"correct", "incorrect", "blank", "invalid", "manual"}


def test_an_answer_given_again_is_graded_as_the_first_time(exam):
    """Items of answers given before (most of a class) are remembered, not made again. The
    oracle is the checker itself, called afresh for every answer, and the rule for
    ``cached``: true exactly when the same answer to the same key was checked before."""
    run = start_grading(exam, _submissions(exam), clock=_clock)
    seen: set[tuple[str, str]] = set()
    checked = 0
    for student, read in run.students():
        if read is None:
            continue
        items = iter(student.items)
        for variant in read.variants:
            for part_id, key, points in variant.gradable():
                item = next(items)
                assert (item.student_id, item.variant_uid) == (student.student_id, variant.uid)
                assert (item.part_id, item.points) == (part_id, points)
                if item.status == "blank":
                    continue
                checked += 1
                fresh = check_response(key, item.response)
                assert (item.status, item.score, item.feedback, item.method, item.mistake) == (
                    fresh.status,
                    fresh.score,
                    fresh.feedback,
                    fresh.method,
                    fresh.mistake,
                )
                answer = (key.model_dump_json(), repr(item.response))
                assert item.cached == (answer in seen)
                assert item.cached or item.seconds == 0.0  # the test's clock stands still
                seen.add(answer)
    stats = run.stats()
    assert (stats.checks, stats.cache_hits) == (len(seen), checked - len(seen))
    assert stats.cache_hits > stats.checks  # the class repeats itself: the case at stake


def test_hand_marks_are_reported_in_the_order_of_the_file(exam, whole, tmp_path):
    run = start_grading(exam, _submissions(exam), clock=_clock)
    report = grade_into(tmp_path, run, MARKS).report
    assert [m.source for m in report.hand_marks] == ["o.csv:2", "o.csv:6"]
    assert [r.source for r in report.rejections] == ["o.csv:3", "o.csv:4", "o.csv:5", "o.csv:7"]
    assert "unknown student 'nobody'" in report.rejections[0].reason
    assert "no submission" in report.rejections[1].reason
    assert "a second mark" in report.rejections[2].reason


@pytest.mark.parametrize("shown", [3, 22, 27, 40])
def test_a_mark_inside_a_run_of_absent_students_cuts_it(exam, tmp_path, shown):
    """s20 to s30 sent nothing and a mark names s25: the run is written in two parts around
    s25, whose mark is refused; the summary lists the first ``shown`` students in order."""
    gone = {f"s{n}" for n in range(20, 31)}
    subs = [s for s in _submissions(exam) if s.student_id not in gone]
    marks = [_mark("s25", "why-gates", "1", 2), _mark("s5", "why-gates", "2", 3)]
    whole = apply_marks(grade_exam(exam, subs, clock=_clock), marks)
    done = grade_into(tmp_path, start_grading(exam, subs, clock=_clock), marks, shown=shown)
    for name, text in [("grading.json", grading_json(whole)), ("grades.csv", grades_csv(whole))]:
        assert (tmp_path / name).read_text(encoding="utf-8") == text
    assert [r.source for r in done.report.rejections] == ["o.csv:2"]
    assert done.report.students == whole.students[:shown]


def test_no_submission_at_all_lists_every_student(exam, tmp_path):
    run = start_grading(exam, [], clock=_clock)
    grade_into(tmp_path, run, [], gradebook="moodle")
    report = grade_exam(exam, [], clock=_clock)
    assert (tmp_path / "grading.json").read_text(encoding="utf-8") == grading_json(report)
    assert (tmp_path / "grades.csv").read_text(encoding="utf-8") == grades_csv(report)
    assert (tmp_path / "gradebook-moodle.csv").read_text(encoding="utf-8") == moodle_csv(
        report, exam.title
    )


def test_an_empty_class_writes_an_empty_students_list(exam, tmp_path):
    empty = exam.model_copy(update={"papers": []})
    report = grade_exam(empty, [], clock=_clock)
    folder = GradingFolder(tmp_path, empty, report)
    folder.close(report)
    assert (tmp_path / "grading.json").read_text(encoding="utf-8") == grading_json(report)
    assert '"students": []' in grading_json(report)


_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    ident=_TEXT.filter(bool),
    name=_TEXT,
    number=st.integers(1, 10**6),
    points=st.one_of(st.integers(0, 10**6), st.floats(0, 1e18, allow_nan=False)),
)
def test_a_missing_students_entry_is_pydantics(tmp_path_factory, ident, name, number, points):
    """Written from the index row without pydantic, byte for byte what pydantic writes."""
    out = tmp_path_factory.mktemp("missing")
    row = StudentRow(ident, 0, name, number, points)
    report = GradeReport(
        exam_title="t",
        exam="f",
        seed="s",
        students=[missing_grade(row)],
        stats=GradeStats(items=0, checks=0, cache_hits=0),
    )
    folder = GradingFolder(out, make_exam_stub(), report)
    folder.add_missing([row])
    folder.close(report)
    assert (out / "grading.json").read_text(encoding="utf-8") == grading_json(report)
    assert (out / "grades.csv").read_text(encoding="utf-8") == grades_csv(report)


@settings(max_examples=40, derandomize=True, deadline=None)
@given(
    people=st.lists(
        st.tuples(_TEXT.filter(bool), _TEXT, st.sampled_from([0, 5, 7.25, 2.5e-10])),
        min_size=1,
        max_size=6,
        unique_by=lambda p: p[0],
    ),
    cut=st.integers(0, 6),
    gradebook=st.sampled_from(["canvas", "moodle"]),
)
def test_runs_of_missing_students_are_the_whole_reports(tmp_path_factory, people, cut, gradebook):
    """Students without a submission written in runs (plain ids among others with commas,
    quotes, line breaks): every file as the whole report's writers make it."""
    out = tmp_path_factory.mktemp("runs")
    rows = [StudentRow(i, 0, name, n, points) for n, (i, name, points) in enumerate(people, 1)]
    report = GradeReport(
        exam_title="t",
        exam="f",
        seed="s",
        students=[missing_grade(row) for row in rows],
        stats=GradeStats(items=0, checks=0, cache_hits=0),
    )
    folder = GradingFolder(out, make_exam_stub(), report, gradebook=gradebook, assignment="t")
    folder.add_missing(rows[:cut])
    folder.add_missing(rows[cut:])
    folder.close(report)
    # Bytes: a name may hold a carriage return, which reading as text would turn into "\n".
    assert (out / "grading.json").read_bytes().decode() == grading_json(report)
    assert (out / "grades.csv").read_bytes().decode() == grades_csv(report)
    book = {"canvas": canvas_csv, "moodle": moodle_csv}[gradebook](report, "t")
    assert (out / f"gradebook-{gradebook}.csv").read_bytes().decode() == book


@pytest.mark.parametrize("name", ["Ana\rBell", "\r", "Ana\r\nBell", "a,\rb"])
def test_a_name_with_a_carriage_return_keeps_grades_and_gradebook_whole(tmp_path, name):
    """Regression: the spooled rows were written with minimal quoting, which leaves a lone
    carriage return bare; read back, it ended the row (IndexError in the gradebook)."""
    rows = [StudentRow("s1", 0, name, 1, 4.0), StudentRow("s2", 0, "Bo", 2, 4.0)]
    students = [missing_grade(row) for row in rows]
    report = GradeReport(
        exam_title="t",
        exam="f",
        seed="s",
        students=students,
        stats=GradeStats(items=0, checks=0, cache_hits=0),
    )
    folder = GradingFolder(tmp_path, make_exam_stub(), report, gradebook="moodle")
    for student in students:
        folder.add(student)  # one by one, through the spooled rows
    folder.close(report)
    assert (tmp_path / "grades.csv").read_bytes().decode() == grades_csv(report)
    book = (tmp_path / "gradebook-moodle.csv").read_bytes().decode()
    assert book == moodle_csv(report, make_exam_stub().title)


@functools.lru_cache(maxsize=1)
def make_exam_stub() -> Exam:
    return make_exam(1)


@pytest.mark.parametrize(
    "ids",
    [
        ["s1", "s2", "s10"],
        ["S1", "s1"],  # alike but for case: numbered
        ["a/b", "a_b"],  # cleans up alike
        [".hidden", "x_"],  # edges stripped
        ["x" * 81, "y"],  # too long: cut
        ["Ana María", "Ana_Mar_a"],
        ["ok-1.2_3", "line\nbreak"],
        ["a\nb", "a"],  # a line break must not pass for two plain ids
        ["a", "_b", "c"],  # an edge inside the list
        ["a", "b.", "c"],
        ["Ab", "aB", "c"],  # capitals, alike when folded
        ["Ab", "Cd"],  # capitals, unique when folded
        ["s1", "s1"],  # the same id twice
    ],
)
def test_quick_stems_are_file_stems(ids):
    assert _stems(ids) == file_stems(ids)


def test_feedback_of_a_resolved_exam_shows_its_own_texts(exam):
    """Views are shared within one exam only: a re-solved variant keeps its uid."""
    student = grade_exam(exam, _submissions(exam)[:1], clock=_clock).students[0]
    own = paper(exam, student.student_id)
    before = feedback_markdown(exam, own, student)
    edited = [
        v.model_copy(update={"solution": "A brand new worked solution."}) for v in own.variants
    ]
    other_paper = own.model_copy(update={"variants": edited})
    other = exam.model_copy(update={"papers": [other_paper]})
    after = feedback_markdown(other, other_paper, student)
    assert "A brand new worked solution." in after
    assert "A brand new worked solution." not in before


def test_an_overridden_question_template_renders_every_question(exam, tmp_path):
    """question.md.j2 is rendered once per distinct answer, yet every student gets it."""
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "question.md.j2").write_text("\n[Q{{ q.number }}: {{ q.parts[0].verdict }}]", "utf-8")
    subs = _submissions(exam)[:3]
    report = grade_exam(exam, subs, clock=_clock)
    for student in report.students[:3]:
        if student.status == "missing":
            continue
        text = feedback_markdown(exam, paper(exam, student.student_id), student, folder)
        shown = [line for line in text.splitlines() if line.startswith("[Q")]
        assert len(shown) == len(paper(exam, student.student_id).variants)
        assert shown[0].startswith("[Q1: ")


def test_a_page_template_that_loops_over_questions_still_works(exam, tmp_path):
    """An instructor's page written before sections existed: questions are still there."""
    folder = tmp_path / "tpl"
    folder.mkdir()
    page = "{% for q in questions %}{{ q.number }}:{{ q.earned }}/{{ q.points }};{% endfor %}"
    (folder / "feedback.md.j2").write_text(page, "utf-8")
    student = grade_exam(exam, _submissions(exam)[:1], clock=_clock).students[0]
    text = feedback_markdown(exam, paper(exam, student.student_id), student, folder)
    assert text.startswith("1:") and text.count(";") == len(paper(exam, "s1").variants)
