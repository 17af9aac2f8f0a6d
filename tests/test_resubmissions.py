"""Two submissions by one student: the latest is graded, by a stated rule (issue 9).

On main the first file read won and the corrected one was rejected. Now: the latest
`submitted_at`, else the latest file modification time, else the last one read (name
order); `--first` keeps the old rule. The superseded submission's rejected.csv row names
the one graded and the rule.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from classroom import make_exam, submission, write_json

from quizgen.grade.submissions import read_submissions
from quizgen.variant import Exam


@pytest.fixture(scope="module")
def exam() -> Exam:
    return make_exam(3)


def _two(exam: Exam, folder: Path, a: dict, b: dict, times: tuple[float, float] | None):
    """s1 submits a.json (shared-weights true) and b.json (false), with these mtimes."""
    folder.mkdir()
    first = write_json(folder / "a.json", submission(exam, "s1", {"shared-weights": True}, **a))
    second = write_json(folder / "b.json", submission(exam, "s1", {"shared-weights": False}, **b))
    if times:
        os.utime(first, (times[0], times[0]))
        os.utime(second, (times[1], times[1]))


@pytest.mark.parametrize(
    ("a", "b", "times", "graded", "rule"),
    [
        pytest.param(
            {"submitted_at": "2025-03-01T10:05:00Z"},
            {"submitted_at": "2025-03-01T10:01:00+00:00"},
            (1000, 2000),
            True,
            "the latest submitted_at",
            id="submitted_at beats the file times",
        ),
        pytest.param(
            {"submitted_at": "2025-03-01 11:00"},  # no zone: taken as UTC
            {"submitted_at": "2025-03-01T11:30:00+01:00"},  # 10:30 UTC
            None,
            True,
            "the latest submitted_at",
            id="times in different zones",
        ),
        pytest.param({}, {}, (2000, 1000), True, "the latest file modification time", id="mtime"),
        pytest.param({}, {}, (1000, 1000), False, "the last one read", id="name order"),
        pytest.param(
            {"submitted_at": "2025-03-01T10:05:00Z"},
            {},
            (1000, 2000),
            False,
            "the latest file modification time",
            id="one without submitted_at: the file times",
        ),
    ],
)
def test_the_latest_is_graded(exam, tmp_path, a, b, times, graded: bool, rule: str) -> None:
    _two(exam, tmp_path / "subs", a, b, times)
    found = read_submissions([tmp_path / "subs"], exam)
    [kept] = found.received
    assert kept.submission.answers["shared-weights"] is graded
    [rejection] = found.rejections
    loser = "b.json" if graded else "a.json"
    assert Path(rejection.source).name == loser
    assert rejection.reason.startswith("superseded: this student also submitted")
    assert f"({rule}" in rejection.reason


def test_first_keeps_the_first_one_read(exam: Exam, tmp_path: Path) -> None:
    _two(exam, tmp_path / "subs", {}, {}, (1000, 2000))
    found = read_submissions([tmp_path / "subs"], exam, first=True)
    assert found.received[0].submission.answers["shared-weights"] is True
    assert "(the first one read (--first))" in found.rejections[0].reason


def test_a_forms_csv_with_two_rows_takes_the_later_timestamp(exam: Exam, tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text(
        "Timestamp,Student ID,shared-weights\n"
        "2025-03-01 10:09,s1,false\n"
        "2025-03-01 10:02,s1,true\n",
        encoding="utf-8",
    )
    found = read_submissions([path], exam)
    assert found.received[0].submission.answers["shared-weights"] == "false"
    assert found.rejections[0].source == f"{path}:3"


def test_a_bad_submitted_at_is_reported_and_the_answers_kept(exam: Exam, tmp_path: Path) -> None:
    path = write_json(tmp_path / "s1.json", submission(exam, "s1", submitted_at="yesterday"))
    found = read_submissions([path], exam)
    assert len(found.received) == 1
    assert [r.reason.split(";")[0] for r in found.rejections] == [
        "submitted_at: not an ISO 8601 date and time"
    ]
