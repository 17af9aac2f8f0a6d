"""The ``quizgen export`` command: a thin layer over :func:`quizgen.export.export`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from quizgen.cli import app

BANK = Path(__file__).resolve().parent / "data" / "export-bank.yaml"


def _run(runner: CliRunner, *args: str):
    return runner.invoke(app, ["export", str(BANK), *args])


def test_export_writes_the_file_and_lists_warnings(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "quiz.xml"
    result = _run(runner, "--to", "moodle", "--seed", "s", "--variants", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"<?xml")
    assert "question essay has only 1 distinct variants; exporting 1" in result.output
    assert "Moodle cannot check algebraic expressions" in result.output
    assert "17 question pool(s)" in result.output


def test_export_is_reproducible_from_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("a.zip", "b.zip"):
        args = ("--to", "canvas", "--seed", "s", "--variants", "2", "--out", str(tmp_path / name))
        assert _run(runner, *args).exit_code == 0
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_unknown_format_lists_the_valid_ones(runner: CliRunner, tmp_path: Path) -> None:
    result = _run(runner, "--to", "blackboard", "--seed", "s", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert (
        "unknown export format 'blackboard' (valid: canvas, gift, moodle, qti21)" in result.output
    )
    assert "Traceback" not in result.output


def test_output_folder_is_refused_before_any_work(runner: CliRunner, tmp_path: Path) -> None:
    result = _run(runner, "--to", "qti21", "--seed", "s", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "is a folder" in result.output and "quiz.zip" in result.output


def test_unwritable_output_is_a_clear_error(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = _run(runner, "--to", "gift", "--seed", "s", "--out", str(tmp_path / "file" / "q.gift"))
    assert result.exit_code == 2
    assert "cannot write" in result.output and "Traceback" not in result.output


def test_strict_refuses_with_a_hint(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "q.gift"
    result = _run(runner, "--to", "gift", "--seed", "s", "--out", str(out), "--strict")
    assert result.exit_code == 2
    assert "gift cannot express" in result.output and "hint: drop --strict" in result.output
    assert not out.exists()


def test_validate_flag_reports_the_checks(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "q.zip"
    result = _run(
        runner, "--to", "qti21", "--seed", "s", "--variants", "2", "--out", str(out), "--validate"
    )
    assert result.exit_code == 0, result.output
    assert "Valid:" in result.output and "QTI 2.1 XSD" in result.output
