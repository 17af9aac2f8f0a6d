"""Grading a class in ranges of students, in several processes (issue 14): every file is the
whole report's, byte for byte, for any ``--jobs`` and any cut of the class.

Each process keeps its own verdict cache, so a worker checks afresh an answer that another
worker checked for an earlier student; the ranges are merged in paper order and such a
verdict is then counted as reused (``cached``, as one process grading the whole class has
it). The oracle is :func:`grade_exam` + :func:`apply_marks` through the whole-report writers.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_grade_stream import CLASS, MARKS, _clock, _mark, _submissions

from quizgen.grade import write
from quizgen.grade.overrides import apply_marks
from quizgen.grade.pipeline import RUN, GradeRun, grade_exam, start_grading
from quizgen.grade.write import (
    canvas_csv,
    grade_into,
    grades_csv,
    grading_json,
    rejected_csv,
    timing_csv,
    to_grade_csv,
)
from quizgen.keyfile import StudentRow
from quizgen.render.feedback import feedback_files


@pytest.fixture(scope="module")
def exam():
    from classroom import make_exam

    return make_exam(CLASS)


@pytest.fixture
def settled(monkeypatch):
    """Counts the checks that the merge found made before (by another process)."""
    found: list[int] = []
    add_range = write.GradingFolder.add_range

    def spy(self, graded, checked):
        again = add_range(self, graded, checked)
        found.append(len(again))
        return again

    monkeypatch.setattr(write.GradingFolder, "add_range", spy)
    return found


@pytest.mark.parametrize(
    ("size", "gap", "jobs", "told"),
    [(3, 64, 2, True), (3, 64, 2, False), (4, 2, 3, True), (5, 1, 1, True), (50, 64, 2, True)],
)
def test_ranges_in_any_process_give_the_whole_reports_files(
    exam, tmp_path, monkeypatch, settled, size, gap, jobs, told
):
    """``told``: workers learn the verdicts checked by the ranges merged last; without
    that, many checks are made again in another process (the merge must settle them)."""
    if not told:
        monkeypatch.setattr(GradeRun, "learn", lambda self, verdicts: None)
    monkeypatch.setattr(write, "_RANGE", size)
    monkeypatch.setattr(write, "_GAP", gap)
    gone = {f"s{n}" for n in range(20, 26)}  # a run of absent students, one of them marked
    subs = [s for s in _submissions(exam) if s.student_id not in gone]
    marks = [*MARKS, _mark("s22", "why-gates", "1", 8)]
    whole = apply_marks(grade_exam(exam, subs, clock=_clock), marks)
    run = start_grading(exam, subs, clock=_clock)
    feedback = functools.partial(feedback_files, templates=None)
    done = grade_into(
        tmp_path, run, marks, gradebook="canvas", feedback=feedback, jobs=jobs, shown=30
    )

    def text(name: str) -> str:
        return (tmp_path / name).read_bytes().decode()

    assert text("grading.json") == grading_json(whole)  # the cached flags and the stats too
    assert text("timing.csv") == timing_csv(whole)  # the test's clock stands still
    assert text("grades.csv") == grades_csv(whole)
    assert text("to-grade.csv") == to_grade_csv(whole)
    assert text("rejected.csv") == rejected_csv(whole)
    assert text("gradebook-canvas.csv") == canvas_csv(whole, exam.title)
    assert done.report.students == whole.students[:30]
    assert done.report.stats == whole.stats
    assert (done.graded, done.manual) == (len(subs), sum(s.manual for s in whole.students))
    for student in whole.students:
        if student.status != "missing":
            own = feedback_files(exam, exam.papers[student.number - 1], student)
            assert text(f"feedback/{student.student_id}.md") == own[".md"]
    if not told:  # the case at stake: checks made again in another process
        assert sum(settled) > 0
    elif jobs == 1 or size == 50:  # one process, or workers that inherited every check
        assert sum(settled) == 0


def test_the_first_range_is_graded_here_then_workers_take_the_rest(exam, tmp_path, settled):
    """With one range only, no worker is started and nothing is made again."""
    subs = _submissions(exam)[:5]
    run = start_grading(exam, subs, clock=_clock)
    grade_into(tmp_path, run, [], jobs=2)
    assert (tmp_path / "grading.json").read_text() == grading_json(grade_exam(exam, subs))
    assert settled == [0]


def test_a_second_range_alone_is_graded_here_too(exam, tmp_path, monkeypatch, settled):
    """Two ranges of students who submitted, the rest of the class absent (a few
    submissions against a large key): no worker is started for the second range either."""

    def no_pool(*args, **kwargs):
        raise AssertionError("a worker was started")

    monkeypatch.setattr(write, "_RANGE", 3)
    monkeypatch.setattr(write, "ProcessPoolExecutor", no_pool)
    subs = _submissions(exam)[:6]
    run = start_grading(exam, subs, clock=_clock)
    grade_into(tmp_path, run, [], jobs=2)
    assert (tmp_path / "grading.json").read_text() == grading_json(grade_exam(exam, subs))
    assert settled == [0, 0]


def _rows(n: int) -> list[StudentRow]:
    return [StudentRow(f"s{i}", 0, "", i + 1, 1.0) for i in range(n)]


@settings(max_examples=80, derandomize=True, deadline=None)
@given(st.lists(st.booleans(), max_size=400), st.integers(1, 7), st.integers(0, 9))
def test_a_plan_covers_the_class_in_order(sent, size, gap):
    """Ranges hold at most ``size`` students who submitted; runs of absent students longer
    than ``gap`` are left out of them; every student is in exactly one task, in order."""
    rows = _rows(len(sent))
    submitted = {r.student_id: True for r, s in zip(rows, sent, strict=True) if s}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(write, "_RANGE", size)
        patch.setattr(write, "_GAP", gap)
        plan = write._plan(rows, submitted)
    if not rows:
        assert plan == []
        return
    assert [start for start, _, _ in plan] == [0] + [end for _, end, _ in plan[:-1]]
    assert plan[-1][1] == len(rows)
    for start, end, graded in plan:
        taken = sum(sent[start:end])
        assert end > start
        assert graded == (taken > 0)
        assert taken <= size
        if not graded:
            assert end - start <= RUN
    for (start, end, graded), (_, _, after) in itertools.pairwise(plan):
        if graded and after:  # two ranges meet only where the first is full
            assert sum(sent[start:end]) == size
    graded_at = [i for i, (_, _, graded) in enumerate(plan) if graded]
    for i, j in itertools.pairwise(graded_at):
        if j > i + 1:  # absent students between two ranges: a run longer than the gap
            assert plan[j][0] - plan[i][1] > gap


def test_a_few_submissions_of_a_large_class_are_two_ranges_and_runs_of_the_rest():
    rows = _rows(100_000)
    plan = write._plan(rows, {f"s{i}": True for i in range(100)})
    assert plan[:2] == [(0, 50, True), (50, 100, True)]
    assert plan[2:] == [(a, min(a + RUN, 100_000), False) for a in range(100, 100_000, RUN)]


def _a_mixed_folder(exam, folder):
    """Good files among bad ones: bad JSON, another exam, an unknown student, an answer
    not on the paper, a student twice, a file without an id, and a forms CSV."""
    from classroom import csv_row, submission, write_json

    folder.mkdir()
    for n in range(1, 12):
        write_json(folder / f"s{n}.json", submission(exam, f"s{n}"))
    write_json(folder / "s12.json", submission(exam, "s12", {"no-such": "1", "rnn-count": "3"}))
    write_json(folder / "s13-again.json", submission(exam, "s13", submitted_at="2025-03-02T10:00"))
    write_json(folder / "s13.json", submission(exam, "s13", submitted_at="2025-03-01T10:00"))
    write_json(folder / "ghost.json", {**submission(exam, "s19"), "student_id": "nobody"})
    write_json(folder / "other.json", {**submission(exam, "s14"), "exam": "0" * 16})
    write_json(folder / "s15.json", {"answers": {"rnn-count": "4"}})  # the id from the name
    (folder / "broken.json").write_text('{"student_id": "s16", "answers": {', encoding="utf-8")
    rows = [csv_row(exam, "s17"), csv_row(exam, "s18")]
    header = ["student_id", *rows[0]]
    lines = [",".join(header), ",".join(["s17", *rows[0].values()])]
    lines.append(",".join(["s18", *(f'"{v}"' for v in rows[1].values())]))
    (folder / "forms.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("jobs", [2, 3])
def test_files_read_in_several_processes_are_what_one_reads(exam, tmp_path, monkeypatch, jobs):
    """Read by ranges of 3 files in other processes, each submission's answers checked
    against its paper there: the same submissions, rejections and notes, in the same order."""
    from quizgen.grade import submissions

    _a_mixed_folder(exam, tmp_path / "subs")
    alone = submissions.read_submissions([tmp_path / "subs"], exam)
    monkeypatch.setattr(submissions, "READ_RANGE", 3)
    apart = submissions.read_submissions([tmp_path / "subs"], exam, jobs=jobs)
    assert apart == alone
    assert len(alone.received) == 16  # s1-s13, s15 (named by its file), s17, s18
    reasons = " | ".join(r.reason for r in alone.rejections)
    for expected in ("unknown question 'no-such'", "superseded", "nobody", "wrong exam"):
        assert expected in reasons
    assert "broken.json" in {Path(r.source).name for r in alone.rejections}
    assert len(alone.notes) == 1


_TEXT = st.text(st.characters(codec="utf-8"), max_size=10)
_NUMBER = st.one_of(st.floats(0, 1, allow_nan=False), st.sampled_from([0.0, 1.0, 1 / 3]))
_ITEM = st.fixed_dictionaries(
    {
        "question_id": st.sampled_from(["q1", "q2", 'q"3']),
        "part_id": st.sampled_from(["", "a"]),
        "bank_id": _TEXT,
        "topic": _TEXT,
        "kind": st.sampled_from(["numeric", "choice"]),
        "variant_uid": st.sampled_from(["u1", "u2"]),
        "response": st.one_of(st.none(), st.booleans(), _TEXT, st.lists(_TEXT, max_size=3)),
        "status": st.sampled_from(["correct", "incorrect", "invalid", "manual", "blank"]),
        "score": _NUMBER,
        "points": st.sampled_from([1.0, 2.5, 1e-7, 3.0]),
        "earned": _NUMBER,
        "feedback": _TEXT,
        "method": _TEXT,
        "mistake": st.one_of(st.none(), st.integers(0, 3)),
        "expected": _TEXT,
        "cached": st.booleans(),
        "seconds": st.floats(0, 1),
    }
)


@settings(max_examples=150, derandomize=True, deadline=None)
@given(
    people=st.lists(st.tuples(_TEXT.filter(bool), _TEXT, st.one_of(st.none(), _TEXT)), min_size=1),
    items=st.lists(_ITEM, min_size=1, max_size=4),
    total=_NUMBER,
)
def test_an_entry_put_together_from_its_items_json_is_pydantics(people, items, total):
    """grading.json entries assembled from each distinct item's JSON (made once for all
    the students who gave it) around the student's own fields: pydantic's bytes, for ids,
    names and answers with quotes, escapes and any character, and items met again."""
    from quizgen.grade.pipeline import ItemResult, StudentGrade

    for number, (ident, name, source) in enumerate(people, 1):
        grade = StudentGrade(
            student_id=ident,
            name=name,
            number=number,
            status="graded",
            source=source,
            total=total,
            max=float(len(items)),
            percent=round(100 * total / len(items), 2),
            manual=number % 3,
            items=[ItemResult(student_id=ident, **item) for item in items],
        )
        assert write._student_json_quick(grade) == write._student_json(grade)


def test_verdicts_learned_from_another_process_are_reused(exam):
    """A process told the verdicts that another checked for an earlier student reuses them
    (the items are cached, nothing is checked); untold, it checks them itself."""
    from quizgen.keyfile import student_rows

    subs = _submissions(exam)
    row = student_rows(exam)[0]
    there = start_grading(exam, subs, clock=_clock)
    first, _, fresh, checks, _ = there.graded(row)
    assert checks == len(fresh) > 0
    told, untold = start_grading(exam, subs, clock=_clock), start_grading(exam, subs, clock=_clock)
    told.learn(there.verdicts(key for _, key in fresh))
    again, _, none, no_checks, hits = told.graded(row)
    assert (none, no_checks, hits) == ([], 0, checks)
    assert [i.model_dump(exclude={"cached"}) for i in again.items] == [
        i.model_dump(exclude={"cached"}) for i in first.items
    ]
    assert untold.graded(row)[3] == checks


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_range_that_fails_stops_the_run_and_leaves_no_half_files(
    exam, tmp_path, monkeypatch, jobs
):
    """A range that raises in a worker raises here; no grading file is left half written."""
    monkeypatch.setattr(write, "_RANGE", 5)
    graded = GradeRun.graded

    def failing(self, row):
        if row.student_id == "s41":
            raise ValueError("a damaged paper")
        return graded(self, row)

    monkeypatch.setattr(GradeRun, "graded", failing)
    run = start_grading(exam, _submissions(exam), clock=_clock)
    with pytest.raises(ValueError, match="a damaged paper"):
        grade_into(tmp_path, run, [], jobs=jobs)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
