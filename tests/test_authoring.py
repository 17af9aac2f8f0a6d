"""Authoring in one pass: every problem of a bank in one run, located, in an instructor's words."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

# Fourteen independent problems, one per stage and kind of mistake. Each (line, fragment) is
# what an author must read; the line is the line of the thing to fix.
MANY_PROBLEMS = """\
id: many
title: Many problems
questions:
  - id: dupkey
    kind: numeric
    answer: 2
    answer: 3
    prompt: Two?
  - id: braces
    kind: essay
    prompt: {{ x }}
  - id: merge
    kind: essay
    <<: {prompt: merged}
    prompt: Merged?
  - id: dupkey
    kind: essay
    prompt: Again?
  - id: badname
    kind: numeric
    params:
      h-1: {choice: [1, 2]}
    answer: 2
    prompt: Name?
  - id: badtol
    kind: numeric
    answer: 2
    tolerance: {abs: 1}
    prompt: Tolerance?
  - id: badkind
    kind: numerc
    answer: 2
    prompt: Kind?
  - id: typo
    kind: numeric
    answer: 2
    tolerence: 1
    prompt: Typo?
  - id: template
    kind: numeric
    params:
      h: {choice: [1, 2]}
    answer: h*2
    prompt: Twice {{ hh }}?
  - id: formula
    kind: numeric
    params:
      h: {choice: [1, 2]}
    answer: h*k
    prompt: Twice {{ h }}?
  - id: feedback
    kind: numeric
    params:
      h: {choice: [1, 2]}
    answer: h*2
    prompt: Twice {{ h }}?
    mistakes:
      - {answer: h, feedback: "Not {{ nothing }}."}
  - id: example
    kind: numeric
    params:
      h: {choice: [2, 3]}
    answer: h*3
    prompt: Thrice {{ h }}?
    examples:
      - {params: {h: 2}, answer: 9}
  - id: mistake
    kind: numeric
    params:
      h: {choice: [1, 2]}
    answer: h*2
    prompt: Twice {{ h }}?
    mistakes:
      - {answer: h + 1, feedback: Off by one.}
      - {answer: 2*h, feedback: Same thing.}
  - id: where
    kind: numeric
    params:
      h: {range: [1, 9]}
    where: [h > 3]
    answer: h*2
    prompt: Twice {{ h }}?
    examples:
      - {params: {h: 2}, answer: 4}
"""

EXPECTED = [
    (7, "questions[0]: duplicate key 'answer'"),
    (11, "a value that starts with '{' is read by YAML as a mapping; put it in quotes"),
    (14, "YAML merge keys ('<<') are not supported"),
    (16, "questions[3].id: duplicate question id 'dupkey'"),
    (22, "questions[4].params.h-1: 'h-1' is not a valid name"),
    (28, "questions[5].tolerance.abs: unknown field"),
    (31, "questions[6].kind: unknown kind 'numerc'"),
    (37, "questions[7].tolerence: unknown field"),
    (44, "questions[8].prompt: template uses undefined name(s): hh"),
    (49, "questions[9].answer: formula: unknown name 'k'"),
    (58, "questions[10].mistakes[0].feedback: template uses undefined name(s): nothing"),
    (66, "questions[11].examples[0]: example expects 9 but the bank computes '6'"),
    (75, "questions[12].mistakes[1].answer: this mistake (2*h = 4) grades as correct"),
    (84, "questions[13].examples[0].params: the example's parameters (h=2) break the constraint"),
]


LIBRARY_WORDING = [
    "String should",
    "Input should",
    "instance of",
    "tag:yaml.org",
    "Value error",
    "pydantic",
    "while parsing",
    "while scanning",
    "Field required",
    "Extra inputs",
]


def _documented_messages() -> list[re.Pattern[str]]:
    """Every row of the message table in docs/bank-format.md, as a pattern (‹…› = anything)."""
    text = (ROOT / "docs" / "bank-format.md").read_text(encoding="utf-8")
    table = text.split("<!-- messages:", 1)[1].split("\n\n", 1)[0]
    patterns = []
    for row in table.splitlines()[3:]:
        cell = re.split(r"(?<!\\)\|", row)[1].strip().replace("\\|", "|")
        parts = re.split(r"‹[^›]*›", cell)
        patterns.append(re.compile(".*".join(re.escape(p) for p in parts), re.DOTALL))
    return patterns


def _messages(stderr: str) -> list[tuple[int, int, str]]:
    """(line, column, 'path: message') of each error line a user reads on stderr."""
    found = []
    for line in stderr.splitlines():
        match = re.search(r"bad\.yaml:(\d+):(\d+): (.*)$", line)
        if match:
            found.append((int(match[1]), int(match[2]), match[3]))
    return found


def _message_only(located: str) -> str:
    """Drop the leading field path (``questions[3].id: ``) from a reported message."""
    return re.sub(r"^[A-Za-z_][\w\[\].\-]*: ", "", located, count=1)


@pytest.fixture(scope="module")
def many_run(quizgen_cli, tmp_path_factory) -> Any:
    folder = tmp_path_factory.mktemp("many")
    bank = folder / "bad.yaml"
    bank.write_text(MANY_PROBLEMS, encoding="utf-8")
    [run] = quizgen_cli(["check", bank, "--variants", "20"], cwd=folder)
    return run


def test_one_run_reports_every_problem_at_its_line(many_run) -> None:
    assert many_run.code == 2, many_run.stderr
    assert "Traceback" not in many_run.stderr
    reported = _messages(many_run.stderr)
    for line, fragment in EXPECTED:
        assert any(at == line and fragment in text for at, _, text in reported), (
            line,
            fragment,
            many_run.stderr,
        )


def test_every_message_is_documented_and_in_an_instructors_words(many_run) -> None:
    patterns = _documented_messages()
    reported = _messages(many_run.stderr)
    assert len(reported) >= len(EXPECTED)
    for _, _, text in reported:
        message = _message_only(text)
        assert any(p.fullmatch(message) for p in patterns), f"not in the table: {message}"
        for wording in LIBRARY_WORDING:
            assert wording not in text, text


BAD_VALUES = [
    ("points: lots", "must be a number (got 'lots')"),
    ("points: -1", "must be greater than 0 (got -1)"),
    ("tolerance: lots", "'lots' is not a valid tolerance value; write a number"),
    ("fractions: maybe", "must be true or false (got 'maybe')"),
    ("places: 2.5", "must be a whole number (got 2.5)"),
    ("unit: [m]", "must be text (got a list)"),
    ("mistakes: {a: 1}", "must be a list (got a mapping)"),
    ("title: {a: 1}", "must be text (got a mapping)"),
    ("require_sigfigs: 40", "must be at most 15 (got 40)"),
]


@pytest.mark.parametrize(("line", "message"), BAD_VALUES, ids=[b[0] for b in BAD_VALUES])
def test_a_wrong_value_reads_as_a_sentence_from_the_table(line: str, message: str) -> None:
    from quizgen.bank import parse_bank
    from quizgen.errors import BankErrors

    text = "id: b\ntitle: T\nquestions:\n  - id: q\n    kind: numeric\n    answer: 2\n"
    text += f"    prompt: P\n    {line}\n"
    with pytest.raises(BankErrors) as caught:
        parse_bank(text, "b.yaml")
    [error] = caught.value.errors
    assert error.message.startswith(message), error.message
    assert error.line == 8
    patterns = _documented_messages()
    assert any(p.fullmatch(error.message) for p in patterns), error.message


YAML_SLIPS = [
    ("prompt: Ratio: 2\n", "a ': ' inside a value; put the value in quotes"),
    ("prompt: {{ r }} is r\n", "a value with '{{ }}' or '{% %}' must be in quotes"),
    ('prompt: "\\quad"\n', "an unknown escape in a double-quoted value"),
    ("prompt: [unclosed\n", "invalid YAML:"),
    ("prompt: *nowhere\n", "an alias (*name) with no anchor (&name) before it"),
]


@pytest.mark.parametrize(("line", "message"), YAML_SLIPS, ids=[y[1][:30] for y in YAML_SLIPS])
def test_yaml_slips_are_explained(line: str, message: str) -> None:
    from quizgen.bank import parse_bank
    from quizgen.errors import BankError

    text = "id: b\ntitle: T\nquestions:\n  - id: q\n    kind: essay\n    " + line
    with pytest.raises(BankError) as caught:
        parse_bank(text, "b.yaml")
    assert message in caught.value.message
    assert caught.value.line is not None and caught.value.line >= 6
    assert any(p.fullmatch(caught.value.message) for p in _documented_messages())


WRONG_EXAMPLE = """\
id: wrong
title: Wrong example
questions:
  - id: q1
    kind: numeric
    params:
      h: {choice: [2, 3]}
    answer: h*3
    prompt: Thrice {{ h }}?
    examples:
      - {params: {h: 2}, answer: 9}
"""


def test_generate_and_export_refuse_a_wrong_example_unless_no_check(
    quizgen_cli, tmp_path: Path
) -> None:
    bank = tmp_path / "wrong.yaml"
    bank.write_text(WRONG_EXAMPLE, encoding="utf-8")
    papers, gift = tmp_path / "papers", tmp_path / "quiz.gift"
    generate = ["generate", bank, "--count", "2", "--seed", "1", "--out", papers]
    export = ["export", bank, "--to", "gift", "--seed", "1", "--out", gift]
    check, refused_generate, refused_export = quizgen_cli(
        ["check", bank, "--variants", "5"], generate, export
    )
    said = "wrong.yaml:11:9: questions[0].examples[0]: example expects 9 but the bank computes '6'"
    for run in (check, refused_generate, refused_export):
        assert run.code == 2, run.stderr
        assert said in run.stderr
        assert "Traceback" not in run.stderr
    assert not papers.exists() and not gift.exists()
    written_generate, written_export = quizgen_cli(
        [*generate, "--no-check"], [*export, "--no-check"]
    )
    assert written_generate.code == 0, written_generate.stderr
    assert written_export.code == 0, written_export.stderr
    assert (papers / "key.json").is_file() and gift.is_file()


TOLERANT = """\
id: tol
title: Tolerance
questions:
  - id: q1
    kind: numeric
    params:
      h: {choice: [2, 3]}
    answer: h/3
    tolerance: 0.01
    prompt: A third of {{ h }}?
"""


def test_regrade_shows_what_changed_when_only_the_tolerance_did() -> None:
    from quizgen.bank import parse_bank
    from quizgen.generate.exam import build_exam, numbered_students
    from quizgen.generate.regrade import regrade_exam

    exam = build_exam([parse_bank(TOLERANT, "tol.yaml")], numbered_students(2), "s")
    edited = parse_bank(TOLERANT.replace("tolerance: 0.01", "tolerance: 0.05"), "tol.yaml")
    _, changes = regrade_exam(exam, [edited])
    assert len(changes) == 2
    for change in changes:
        assert change.old != change.new
        assert "tolerance" in change.old and "0.01" in change.old
        assert "tolerance" in change.new and "0.05" in change.new


def test_new_writes_a_starter_bank_of_every_kind_that_passes_check(
    quizgen_cli, tmp_path: Path
) -> None:
    import yaml

    bank = tmp_path / "my course.yaml"
    [wrote] = quizgen_cli(["new", bank])
    assert wrote.code == 0, wrote.stderr
    data = yaml.safe_load(bank.read_text(encoding="utf-8"))
    kinds = {q["kind"] for q in data["questions"]}
    assert kinds == {
        "numeric",
        "expression",
        "choice",
        "multi",
        "truefalse",
        "text",
        "essay",
        "multipart",
    }
    assert bank.read_text(encoding="utf-8").count("\n  # ") >= 8  # every question is explained
    checked, again = quizgen_cli(["check", bank, "--variants", "50"], ["new", bank])
    assert checked.code == 0, checked.stdout + checked.stderr
    assert again.code == 2 and "already exists" in again.stderr and "--force" in again.stderr
