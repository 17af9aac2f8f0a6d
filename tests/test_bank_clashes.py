"""Banks loaded together may not share a question id (issue 9).

On main two banks with `q1` merged silently: one answer slot in every submission and one
LMS category for two different questions. The clash is now an error naming both places.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizgen.bank import load_banks
from quizgen.errors import BankErrors, format_error

DATA = Path(__file__).resolve().parent / "data"


def _renamed(tmp_path: Path, source: str, bank_id: str) -> Path:
    text = (DATA / source).read_text(encoding="utf-8")
    head, _, rest = text.partition("\nid: ")
    path = tmp_path / f"{bank_id}.yaml"
    path.write_text(f"{head}\nid: {bank_id}\n{rest.split(chr(10), 1)[1]}", encoding="utf-8")
    return path


def test_a_question_id_in_two_banks_is_an_error_with_both_locations(tmp_path: Path) -> None:
    first = _renamed(tmp_path, "grade-bank.yaml", "first")
    second = _renamed(tmp_path, "grade-bank.yaml", "second")
    with pytest.raises(BankErrors) as caught:
        load_banks([first, second])
    text = format_error(caught.value)
    assert len(caught.value.errors) == 8  # every question of the second bank
    assert (
        f"{second}:6:5: questions[0].id: question id 'rnn-count' is also used in {first}:6:5 "
        "(bank 'first')" in text
    )


def test_the_same_bank_twice_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BankErrors) as caught:
        load_banks([DATA / "grade-bank.yaml", DATA / "grade-bank.yaml"])
    assert "bank id 'grade-test' is also used by" in format_error(caught.value)


def test_banks_with_distinct_ids_load_together() -> None:
    banks = load_banks([DATA / "grade-bank.yaml", DATA / "render-bank.yaml"])
    assert [b.id for b in banks] == ["grade-test", "render-test"]
