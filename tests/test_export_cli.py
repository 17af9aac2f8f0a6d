"""The ``quizgen export`` command: a thin layer over :func:`quizgen.export.export`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from quizgen.cli import app

BANK = Path(__file__).resolve().parent / "data" / "export-bank.yaml"


def _run(runner: CliRunner, *args: str):
    # The bank declares a mistake inside the tolerance on purpose (to test that it is never
    # shown), which the pre-write check refuses: these tests are about exporting, not checking.
    return runner.invoke(app, ["export", str(BANK), "--no-check", *args])


def test_export_writes_the_file_and_lists_warnings(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "quiz.xml"
    result = _run(runner, "--to", "moodle", "--seed", "s", "--variants", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"<?xml")
    # One warning for the export, naming only questions with parameters (never the essay).
    assert "1 question(s) have fewer distinct variants than the 3 asked" in result.output
    assert "export/essay (1)" not in result.output
    assert "Moodle cannot check algebraic expressions" in result.output
    assert "17 question pool(s)" in result.output


def test_export_is_reproducible_from_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("a.zip", "b.zip"):
        args = ("--to", "canvas", "--seed", "s", "--variants", "2", "--out", str(tmp_path / name))
        assert _run(runner, *args).exit_code == 0
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def _refused(quizgen_cli, *args: object) -> str:
    """Run ``quizgen export`` for real; it must exit 2 without a traceback. Returns stderr."""
    [run] = quizgen_cli(["export", BANK, "--no-check", *args])
    assert run.code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    return run.stderr


def test_unknown_format_lists_the_valid_ones(quizgen_cli, tmp_path: Path) -> None:
    shown = _refused(quizgen_cli, "--to", "blackboard", "--seed", "s", "--out", tmp_path / "x")
    assert "unknown export format 'blackboard' (valid: canvas, gift, moodle, qti21)" in shown


def test_output_folder_is_refused_before_any_work(quizgen_cli, tmp_path: Path) -> None:
    shown = _refused(quizgen_cli, "--to", "qti21", "--seed", "s", "--out", tmp_path)
    assert "is a folder" in shown and "quiz.zip" in shown


def test_unwritable_output_is_a_clear_error(quizgen_cli, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    shown = _refused(
        quizgen_cli, "--to", "gift", "--seed", "s", "--out", tmp_path / "file" / "q.gift"
    )
    assert "cannot write" in shown


def test_strict_refuses_with_a_hint(quizgen_cli, tmp_path: Path) -> None:
    out = tmp_path / "q.gift"
    shown = _refused(quizgen_cli, "--to", "gift", "--seed", "s", "--out", out, "--strict")
    assert "gift cannot express" in shown and "hint: drop --strict" in shown
    assert not out.exists()


def test_validate_flag_reports_the_checks(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "q.zip"
    result = _run(
        runner, "--to", "qti21", "--seed", "s", "--variants", "2", "--out", str(out), "--validate"
    )
    assert result.exit_code == 0, result.output
    assert "Valid:" in result.output and "QTI 2.1 XSD" in result.output


@pytest.mark.parametrize(
    ("fmt", "name", "wanted"),
    [
        ("canvas", "f.xml", "'.zip'"),
        ("qti21", "f.gift", "'.zip'"),
        ("moodle", "f.zip", "'.xml'"),
        ("gift", "f.xml", "'.gift' or '.txt'"),
        ("canvas", "f", "'.zip'"),
    ],
)
def test_output_suffix_of_another_format_is_refused(
    quizgen_cli, tmp_path: Path, fmt: str, name: str, wanted: str
) -> None:
    """Regression (issue 15): `--to canvas --out f.xml` silently wrote a zip named .xml."""
    out = tmp_path / name
    shown = _refused(quizgen_cli, "--to", fmt, "--seed", "s", "--variants", "1", "--out", out)
    assert f"must end in {wanted}" in shown
    assert not out.exists()


@pytest.mark.parametrize(("fmt", "name"), [("gift", "q.txt"), ("canvas", "Q.ZIP")])
def test_accepted_suffixes_are_written(runner: CliRunner, tmp_path: Path, fmt: str, name: str):
    out = tmp_path / name
    result = _run(runner, "--to", fmt, "--seed", "s", "--variants", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.exists()
