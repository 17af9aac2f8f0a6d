"""A class of 1,000 where 5 % of the files are broken: every good answer is kept (issue 9).

On main the first nested file or huge number crashed `grade` and nobody got a grade. Here
50 files are broken in every way tests/hostile.py knows; the others come as single JSON
files, a batch, a forms CSV ('Student ID', one row with a quote never closed, one with a
200,000-character cell), a ';' CSV and Excel's UTF-16 tab-separated text, and two batch
entries carry one answer of the wrong shape. The test counts the answers that were graded
against the answers that were readable, student by student.
"""

from __future__ import annotations

import codecs
import itertools
from pathlib import Path

import pytest
from classroom import ITEMS, RIGHT_POINTS, make_exam, submission, write_json
from hostile import BROKEN_FILES, csv_rows, csv_text

from quizgen.grade.pipeline import grade_exam
from quizgen.grade.submissions import read_submissions
from quizgen.variant import Exam

STUDENTS = 1000


@pytest.fixture(scope="module")
def exam() -> Exam:
    return make_exam(STUDENTS, width=4)


def _forms_csv(exam: Exam, students: list[str]) -> str:
    """'Student ID' header; the 2nd row opens a quote, the 4th has a 200,000-character cell."""
    rows = csv_rows(exam, *students)
    rows[3]["answers"]["why-gates"] = "x" * 200_000
    lines = csv_text(rows, id_header="Student ID").split("\r\n")
    lines[2] = lines[2].replace(",true,", ',"true,', 1)
    return "\r\n".join(lines)


def test_every_good_answer_of_a_class_with_broken_files_is_kept(exam: Exam, tmp_path: Path):
    ids = [p.student_id for p in exam.papers]
    folder = tmp_path / "submissions"
    folder.mkdir()
    expected = dict.fromkeys(ids, ITEMS)  # answers that must be graded, per student
    broken_kinds = itertools.cycle(BROKEN_FILES.values())
    broken_files: dict[str, str] = {}
    for sid in ids[::20]:  # 50 students, 5 %: their one file is broken
        build, reason = next(broken_kinds)
        build(folder / f"{sid}.json", exam, sid)
        broken_files[f"{sid}.json"] = reason
        expected[sid] = 0
    rest = [sid for sid in ids if expected[sid]]
    batch, forms, semicolon, utf16, single = (
        rest[:50],
        rest[50:150],
        rest[150:200],
        rest[200:250],
        rest[250:],
    )
    entries = [submission(exam, sid) for sid in batch]
    entries[3]["answers"]["lstm-formula"] = {"x": {"y": 1}}  # one bad answer each
    entries[7]["answers"]["forget-zero"]["b"] = [1, 2]
    expected[batch[3]] -= 1
    expected[batch[7]] -= 1
    write_json(folder / "batch.json", {"submissions": entries})
    (folder / "forms.csv").write_text(_forms_csv(exam, forms), encoding="utf-8-sig")
    expected[forms[1]] = expected[forms[3]] = 0  # the two bad rows, and only them
    (folder / "semicolon.csv").write_text(csv_text(csv_rows(exam, *semicolon), ";"), "utf-8")
    tab_text = csv_text(csv_rows(exam, *utf16), "\t")
    (folder / "excel.csv").write_bytes(codecs.BOM_UTF16_LE + tab_text.encode("utf-16-le"))
    for sid in single:
        write_json(folder / f"{sid}.json", submission(exam, sid))

    found = read_submissions([folder], exam)
    report = grade_exam(exam, found)

    graded = {
        s.student_id: sum(i.status not in ("blank", "missing") for i in s.items)
        for s in report.students
    }
    assert graded == expected
    assert sum(graded.values()) == 1000 * ITEMS - 52 * ITEMS - 2
    whole = {s.student_id: s.total for s in report.students if expected[s.student_id] == ITEMS}
    assert set(whole.values()) == {RIGHT_POINTS}  # every readable answer graded right
    by_file = {Path(r.source).name: r.reason for r in report.rejections}
    for name, reason in broken_files.items():
        assert by_file[name].startswith(reason), (name, by_file[name])
    sources = sorted(r.source.rsplit("/", 1)[-1] for r in report.rejections)
    assert len(sources) == 50 + 2 + 2  # the files, the two CSV rows, the two answers
    assert {"forms.csv:3", "forms.csv:5", "batch.json[3]", "batch.json[7]"} <= set(sources)
