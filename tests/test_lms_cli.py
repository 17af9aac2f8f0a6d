"""``quizgen export --manifest`` and ``quizgen grade-lms`` run as a user runs them.

Every error path goes through the real console script (exit code 2, one clear line, no
traceback); the success path checks the files a user imports into the LMS.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from test_lms_roundtrip import fabricate

from quizgen.bank.model import load_bank
from quizgen.export import export

BANK = Path(__file__).resolve().parent / "data" / "export-bank.yaml"


@pytest.fixture(scope="module")
def canvas_export(tmp_path_factory: pytest.TempPathFactory, quizgen_cli) -> dict[str, Path]:
    """A Canvas export with its manifest (written by the CLI), and a 50-student report."""
    folder = tmp_path_factory.mktemp("lms")
    quiz, manifest = folder / "quiz.zip", folder / "quiz.json"
    # --no-check: the bank declares a mistake inside the tolerance on purpose (export tests).
    args = ["export", BANK, "--to", "canvas", "--seed", "cli", "--variants", "3", "--no-check"]
    [run] = quizgen_cli([*args, "--out", quiz, "--manifest", manifest])
    assert run.code == 0, run.stderr
    assert "manifest" in run.stdout
    result = export([load_bank(BANK)], "canvas", variants=3, seed="cli")
    assert quiz.read_bytes() == result.data  # the manifest changes nothing in the export
    report = folder / "Student Analysis.csv"
    report.write_text(fabricate(result).report, encoding="utf-8")
    return {"quiz": quiz, "manifest": manifest, "report": report, "folder": folder}


def _refused(quizgen_cli, *args: object) -> str:
    [run] = quizgen_cli(list(args))
    assert run.code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr
    return run.stderr


def test_grade_lms_writes_the_gradebook_and_feedback(canvas_export, quizgen_cli, tmp_path):
    out = tmp_path / "graded"
    [run] = quizgen_cli(
        ["grade-lms", canvas_export["report"], "--from", "canvas",
         "--manifest", canvas_export["manifest"], "--out", out, "--assignment", "Quiz 1"]
    )  # fmt: skip
    assert run.code == 0, run.stderr
    rows = list(csv.reader(io.StringIO((out / "gradebook-canvas.csv").read_text())))
    assert rows[0][-1] == "Quiz 1" and rows[1][0] == "Points Possible" and len(rows) == 52
    assert len(list((out / "feedback").glob("*.html"))) == 50
    assert (out / "rejected.csv").read_text().count("\n") == 1  # the header only


def test_rejected_rows_give_exit_1_and_are_listed(canvas_export, quizgen_cli, tmp_path):
    rows = list(csv.reader(io.StringIO(canvas_export["report"].read_text())))
    rows[0].append("mood")
    for row in rows[1:]:
        row.append("fine")
    report = tmp_path / "report.csv"
    with report.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    out = tmp_path / "graded"
    [run] = quizgen_cli(
        ["grade-lms", report, "--from", "canvas", "--manifest", canvas_export["manifest"],
         "--out", out]
    )  # fmt: skip
    assert run.code == 1, run.stderr
    assert "unknown column 'mood'" in run.stderr
    assert "unknown column 'mood'" in (out / "rejected.csv").read_text()
    assert (out / "gradebook-canvas.csv").exists()


def test_manifest_only_for_canvas_and_moodle(quizgen_cli, tmp_path: Path) -> None:
    shown = _refused(
        quizgen_cli, "export", BANK, "--to", "gift", "--seed", "s", "--out", tmp_path / "q.gift",
        "--manifest", tmp_path / "m.json",
    )  # fmt: skip
    assert "--manifest is for canvas and moodle exports" in shown
    assert not (tmp_path / "q.gift").exists()


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no manifest", "cannot read the manifest"),
        ("not a manifest", "is not a quizgen export manifest"),
        ("other lms", "the manifest is of a canvas export, but --from says moodle"),
        ("unknown lms", "unknown LMS 'blackboard' (valid: canvas, moodle)"),
        ("no question text", "tick 'Question text'"),
        ("no id column", "has no 'id' column"),
    ],
)
def test_grade_lms_errors_are_clear(
    canvas_export, quizgen_cli, tmp_path: Path, case: str, expected: str
) -> None:
    manifest, lms = canvas_export["manifest"], "canvas"
    report = canvas_export["report"]
    if case == "no manifest":
        manifest = tmp_path / "missing.json"
    elif case == "not a manifest":
        manifest = tmp_path / "bad.json"
        manifest.write_text('{"format": "quizgen-exam/1"}')
    elif case == "other lms":
        lms = "moodle"
    elif case == "unknown lms":
        lms = "blackboard"
    elif case == "no question text":
        lms = "moodle"
        report = tmp_path / "moodle.csv"
        report.write_text("Last name,First name,Email address,Response 1\nA,B,a@b.c,42\n")
        manifest = tmp_path / "moodle.json"
        quiz = tmp_path / "q.xml"
        [run] = quizgen_cli(
            ["export", BANK, "--to", "moodle", "--seed", "s", "--variants", "1", "--out", quiz,
             "--manifest", manifest, "--no-check"]
        )  # fmt: skip
        assert run.code == 0, run.stderr
    elif case == "no id column":
        report = tmp_path / "anon.csv"
        report.write_text("section,section_id,submitted,n correct,n incorrect,score\n")
    shown = _refused(
        quizgen_cli, "grade-lms", report, "--from", lms, "--manifest", manifest,
        "--out", tmp_path / "out",
    )  # fmt: skip
    assert expected in shown
