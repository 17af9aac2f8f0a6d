"""`quizgen generate` checks the banks beside the drawing, and refuses as if it had checked first.

The pre-check (a wrong example, a mistake that grades as correct, a formula that does not
compile, a constraint never met) now runs question by question on the questions compiled for
the drawing, in the worker processes that draw the papers when there are several. What a user
sees must not change: the check's errors, all of them and in the check's order, win over
whatever the drawing ran into; nothing is written (``key.json`` included, and no output folder
is left behind); the weak-seed warning is not printed for a refused bank; and a bank the check
passes gives the bytes an unchecked run gives.

The oracles are the checks run on their own: ``check_bank(bank, variants=1)`` (what
``quizgen check`` reports), and ``quizgen export``'s refusal of the same bank, which is
decided by other code.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_export_precheck import (  # the banks export's pre-check is tested with
    DIVIDES_BY_ZERO_LATER,
    GOOD,
    HEAD,
    MISTAKE_IS_ANSWER,
    REFUSED,
    WRONG_EXAMPLE,
)

import quizgen.check
import quizgen.generate.compile
from quizgen.bank.model import parse_bank
from quizgen.check import CheckRefused, check_bank
from quizgen.errors import format_error
from quizgen.generate import write
from quizgen.generate.exam import Draw, exam_head, numbered_students
from quizgen.generate.params import DrawError
from quizgen.generate.write import write_stream

GOOD2 = GOOD.replace("good", "good2").replace("n*2", "n*3")
# More students than one drawing task holds: with jobs=2 the papers are drawn in workers.
CLASS = write.DRAW_CHUNK + 10


def _bank(questions: str):
    return parse_bank(HEAD + questions)


def _said(errors) -> list[str]:
    return [format_error(e) for e in errors]


def _write(bank, out: Path, *, check: bool, jobs: int, started=None, students: int = CLASS):
    draw = Draw([bank], numbered_students(students), "a-seed", check=check)
    head = exam_head([bank], "a-seed")
    out.mkdir()
    return write_stream(head, draw, students, out, [], jobs=jobs, key_only=True, started=started)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_checked_draw_refuses_with_the_check_s_errors_in_its_order(case, jobs, tmp_path):
    bank = _bank(REFUSED[case])
    expected = _said(check_bank(bank, variants=1).all_errors())
    assert expected, "the case must be one the check refuses"
    calls = []
    with pytest.raises(CheckRefused) as refused:
        _write(bank, tmp_path / "out", check=True, jobs=jobs, started=lambda: calls.append(1))
    assert _said(refused.value.errors) == expected
    assert calls == []  # the drawing never started: no seed warning for a refused bank


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_check_wins_over_a_draw_error_met_first(jobs, tmp_path) -> None:
    bank = _bank(DIVIDES_BY_ZERO_LATER + WRONG_EXAMPLE)
    with pytest.raises(DrawError):  # the drawing alone meets the draw error ...
        _write(bank, tmp_path / "unchecked", check=False, jobs=jobs)
    with pytest.raises(CheckRefused) as refused:  # ... which the check's refusal replaces
        _write(bank, tmp_path / "checked", check=True, jobs=jobs)
    assert [e.path for e in refused.value.errors] == ["questions[1].examples[0]"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_draw_error_of_a_bank_the_check_passes_reaches_the_caller_as_itself(
    jobs, tmp_path
) -> None:
    bank = _bank(GOOD + DIVIDES_BY_ZERO_LATER)
    assert check_bank(bank, variants=1).all_errors() == []
    with pytest.raises(DrawError) as unchecked:
        _write(bank, tmp_path / "unchecked", check=False, jobs=jobs)
    with pytest.raises(DrawError) as checked:
        _write(bank, tmp_path / "checked", check=True, jobs=jobs)
    assert not isinstance(checked.value, CheckRefused)
    assert str(checked.value) == str(unchecked.value)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("students", [3, CLASS])
def test_a_checked_draw_writes_the_key_an_unchecked_one_writes(jobs, students, tmp_path):
    bank = _bank(GOOD + GOOD2 + MISTAKE_IS_ANSWER.replace("1 + m", "m - 1"))
    assert check_bank(bank, variants=1).all_errors() == []
    calls = []
    _write(bank, tmp_path / "plain", check=False, jobs=1, students=students)
    _write(
        bank, tmp_path / "checked", check=True, jobs=jobs, students=students,
        started=lambda: calls.append(1),
    )  # fmt: skip
    plain = (tmp_path / "plain" / "key.json").read_bytes()
    assert (tmp_path / "checked" / "key.json").read_bytes() == plain
    assert calls == [1]


def test_each_question_is_compiled_once_for_the_check_and_the_drawing(
    monkeypatch, tmp_path
) -> None:
    bank = _bank(GOOD + GOOD2 + MISTAKE_IS_ANSWER.replace("1 + m", "m - 1"))
    compiled: list[int] = []
    real = quizgen.generate.compile.compile_question

    def counted(bank, index):
        compiled.append(index)
        return real(bank, index)

    # Both callers of the compiler: the drawing (compile_bank) and the check.
    monkeypatch.setattr(quizgen.generate.compile, "compile_question", counted)
    monkeypatch.setattr(quizgen.check, "compile_question", counted)
    _write(bank, tmp_path / "out", check=True, jobs=1)
    assert sorted(compiled) == [0, 1, 2]
    compiled.clear()
    assert check_bank(bank, variants=1).ok  # the check on its own still compiles: a control
    assert sorted(compiled) == [0, 1, 2]


# --- the command line ------------------------------------------------------------------------


def test_cli_generate_refuses_as_export_does_with_any_jobs(quizgen_cli, tmp_path) -> None:
    """Export's refusal (its own code) is the oracle; nothing is written, no folder made."""
    bank = tmp_path / "wrong.yaml"
    bank.write_text(HEAD + MISTAKE_IS_ANSWER + GOOD + WRONG_EXAMPLE, encoding="utf-8")
    gen = ["generate", bank, "--count", str(CLASS), "--seed", "a weak seed"]
    export, one, two, default = quizgen_cli(
        ["export", bank, "--to", "gift", "--seed", "s", "--out", tmp_path / "e" / "q.gift"],
        [*gen, "--out", tmp_path / "one" / "deeper", "--jobs", "1"],
        [*gen, "--out", tmp_path / "two" / "deeper", "--jobs", "2"],
        [*gen, "--out", tmp_path / "default"],
    )
    assert export.code == one.code == two.code == default.code == 2
    assert export.stderr.startswith("refused: `quizgen check` finds errors")
    assert one.stderr == two.stderr == default.stderr == export.stderr  # no seed warning
    assert "Traceback" not in one.stderr and one.stdout == two.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wrong.yaml"]


def test_cli_generate_refuses_a_bad_bank_before_it_names_a_bad_folder(
    quizgen_cli, tmp_path
) -> None:
    wrong, good = tmp_path / "wrong.yaml", tmp_path / "good.yaml"
    wrong.write_text(HEAD + GOOD + WRONG_EXAMPLE, encoding="utf-8")
    good.write_text(HEAD + GOOD, encoding="utf-8")
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine", encoding="utf-8")
    args = ["--count", str(CLASS), "--seed", "s", "--out", full, "--jobs", "2"]
    refused, folder, weak = quizgen_cli(
        ["generate", wrong, *args],
        ["generate", good, *args],
        ["generate", good, "--count", "2", "--seed", "weak", "--out", tmp_path / "w"],
    )
    assert refused.code == 2 and refused.stderr.startswith("refused: `quizgen check`")
    assert "not empty" not in refused.stderr
    assert folder.code != 0 and "not empty" in folder.stderr, folder.stderr
    assert [p.name for p in full.iterdir()] == ["keep.txt"]
    assert weak.code == 0 and "the seed is guessable" in weak.stderr  # printed when it passes
    assert (tmp_path / "w" / "key.json").is_file()
