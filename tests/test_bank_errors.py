"""Every kind of bad input gets a located, clear message and exit code 2 — never a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

GOOD_QUESTION = """\
id: b
title: T
questions:
  - id: q1
    kind: numeric
    params:
      h: {choice: [1, 2]}
    answer: h*2
    prompt: Twice {{ h }}?
"""

CASES = [
    (
        "malformed-yaml",
        "id: b\ntitle: [unclosed\nquestions: []\n",
        ["bad.yaml:3:", "invalid YAML"],
    ),
    (
        "unknown-field",
        GOOD_QUESTION + "    tolerence: 1\n",
        ["bad.yaml:10:5: questions[0].tolerence: unknown field"],
    ),
    (
        "wrong-type",
        GOOD_QUESTION.replace("id: q1", "id: q1\n    points: lots"),
        ["bad.yaml:5:5: questions[0].points:", "number"],
    ),
    (
        "duplicate-id",
        GOOD_QUESTION + "  - id: q1\n    kind: essay\n    prompt: Why?\n",
        ["bad.yaml:10:5: questions[1].id: duplicate question id 'q1'"],
    ),
    (
        "duplicate-key",
        GOOD_QUESTION + "    prompt: again\n",
        ["bad.yaml:10:5: questions[0]: duplicate key 'prompt'"],
    ),
    (
        "formula-syntax",
        GOOD_QUESTION.replace("answer: h*2", "answer: h*(2+"),
        ["bad.yaml:8:5: questions[0].answer: formula:", "h*(2+", "^"],
    ),
    (
        "undefined-name",
        GOOD_QUESTION.replace("answer: h*2", "answer: h*k"),
        ["bad.yaml:8:5: questions[0].answer: formula:", "'k'"],
    ),
    (
        "template-undefined",
        GOOD_QUESTION.replace("Twice {{ h }}?", "Twice {{ hh }}?"),
        ["bad.yaml:9:5: questions[0].prompt: template uses undefined name(s): hh"],
    ),
    (
        "unsatisfiable-where",
        GOOD_QUESTION.replace("answer: h*2", "where: [h > 5]\n    answer: h*2"),
        ["questions[0].where[0]: constraint 'h > 5' was never met"],
    ),
    (
        "choice-collision",
        """\
id: b
title: T
questions:
  - id: c
    kind: choice
    params:
      n: {choice: [1, 2]}
    options:
      - {value: n*2, correct: true}
      - {value: n+n}
    prompt: Twice {{ n }}?
""",
        ["questions[0].options[1]: the correct option and a distractor read the same"],
    ),
]


CHECK_ONLY = [
    (
        "mistake-equals-answer",
        GOOD_QUESTION + "    mistakes:\n      - {answer: 2*h, feedback: Same thing.}\n",
        [
            "bad.yaml:11:10: questions[0].mistakes[0].answer: this mistake (2*h = ",
            "grades as correct",
            "when h=",
        ],
    ),
    (
        "example-disagrees",
        GOOD_QUESTION + "    examples:\n      - {params: {h: 2}, answer: 5}\n",
        ["bad.yaml:11:9: questions[0].examples[0]: example expects 5 but the bank computes '4'"],
    ),
    (
        "template-arithmetic",
        GOOD_QUESTION.replace("Twice {{ h }}?", "Twice {{ h - 1 }}?"),
        ["questions[0].prompt: template failed:", "compute values in 'let'"],
    ),
]


def _shown(run: Any, tmp_path: Path) -> str:
    """What the user reads on stderr (a conftest ``Run``), the temporary folder left out."""
    return run.stderr.replace(str(tmp_path) + "/", "")


def _refused(run: Any, tmp_path: Path, *expected: str) -> None:
    """Exit code 2, every expected fragment on stderr, and no traceback anywhere."""
    shown = _shown(run, tmp_path)
    assert run.code == 2, (run.stdout, shown)
    assert "Traceback" not in run.stdout + run.stderr, shown
    for fragment in expected:
        assert fragment in shown, shown


@pytest.mark.parametrize(("name", "text", "expected"), CHECK_ONLY, ids=[c[0] for c in CHECK_ONLY])
def test_check_finds_slips_in_a_valid_bank(
    quizgen_cli, tmp_path: Path, name, text, expected
) -> None:
    bank = tmp_path / "bad.yaml"
    bank.write_text(text, encoding="utf-8")
    [run] = quizgen_cli(["check", bank, "--variants", "20"])
    _refused(run, tmp_path, *expected)


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_bank_is_reported_with_location(
    quizgen_cli, tmp_path: Path, name, text, expected
) -> None:
    bank = tmp_path / "bad.yaml"
    bank.write_text(text, encoding="utf-8")
    runs = quizgen_cli(
        ["check", bank, "--variants", "20"],
        ["generate", bank, "--count", "2", "--seed", "1", "--out", tmp_path / "out"],
    )
    for run in runs:
        _refused(run, tmp_path, *expected)


def test_roster_with_duplicate_and_empty_ids(quizgen_cli, tmp_path: Path, core_bank: Path) -> None:
    duplicate, empty = tmp_path / "duplicate.csv", tmp_path / "empty.csv"
    duplicate.write_text("id,name\nA1,Ann\nB2,Bob\nA1,Again\n", encoding="utf-8")
    empty.write_text("id,name\nA1,Ann\n,Nobody\n", encoding="utf-8")
    generate = ["generate", core_bank, "--seed", "1", "--out", tmp_path / "o", "--roster"]
    first, second = quizgen_cli([*generate, duplicate], [*generate, empty])
    _refused(first, tmp_path, "duplicate.csv:4: duplicate student id 'A1' (first on line 2)")
    _refused(second, tmp_path, "empty.csv:3: empty student id")


def test_non_empty_output_folder_needs_force(quizgen_cli, tmp_path: Path, core_bank: Path) -> None:
    target = tmp_path / "exam"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    args = ["generate", core_bank, "--count", "2", "--seed", "1", "--out", target]
    [refused] = quizgen_cli(args)
    _refused(refused, tmp_path, "is not empty", "--force")
    [forced] = quizgen_cli([*args, "--force"])
    assert forced.code == 0, forced.stderr
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_count_or_roster_is_required(quizgen_cli, tmp_path: Path, core_bank: Path) -> None:
    [run] = quizgen_cli(["generate", core_bank, "--seed", "1", "--out", tmp_path / "o"])
    _refused(run, tmp_path, "exactly one of --count N or --roster FILE")
