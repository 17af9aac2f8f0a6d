"""Files are written atomically, with the permissions any other new file would get."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizgen.errors import UsageError
from quizgen.output import prepare_out_dir, write_text_atomic


def test_written_files_get_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "paper.html"
    write_text_atomic(target, "<p>x</p>")
    reference = tmp_path / "reference"
    reference.write_text("x", encoding="utf-8")
    assert target.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777
    assert target.read_text(encoding="utf-8") == "<p>x</p>"


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    write_text_atomic(tmp_path / "a.txt", "one")
    write_text_atomic(tmp_path / "a.txt", "two")
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "two"


def test_output_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "exam"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(UsageError, match="is not a folder"):
        prepare_out_dir(blocker)


def test_output_folder_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot create output folder"):
        prepare_out_dir(blocker / "exam")
