"""`quizgen export` checks the banks beside the drawing, and refuses as if it had checked first.

The export's pre-check (a wrong example, a mistake that grades as correct, a formula that
does not compile, a constraint never met) now runs in the processes that draw the pools,
question by question. What a user sees must not change: the check's errors, all of them and
in the check's order, win over whatever the drawing or writing ran into, and nothing is
written, not even the output's folder.

The oracles are the checks run on their own: ``check_bank(bank, variants=1)`` (what
``quizgen check`` reports, and what ``quizgen generate`` still refuses with before drawing),
``compile_bank`` for the errors of a bank that does not compile, and ``export()`` (pools drawn
in memory, no check) for the bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizgen.bank.model import parse_bank
from quizgen.check import check_bank
from quizgen.errors import BankErrors, format_error
from quizgen.export import EXPORTERS, CheckRefused, export, export_file, stream
from quizgen.export.base import export_questions, listed_questions
from quizgen.generate.compile import compile_bank
from quizgen.generate.params import DrawError

ROOT = Path(__file__).resolve().parent.parent
TEST_BANK = ROOT / "tests" / "data" / "export-bank.yaml"

HEAD = "id: b\ntitle: B\nquestions:\n"
GOOD = """\
  - id: good
    kind: numeric
    topic: t
    params: {n: {range: [1, 50]}}
    answer: n*2
    prompt: 'Twice {{ n }}?'
"""
WRONG_EXAMPLE = """\
  - id: wrong-example
    kind: numeric
    topic: t
    params: {h: {choice: [2, 3]}}
    answer: h*3
    prompt: 'Thrice {{ h }}?'
    examples: [{params: {h: 2}, answer: 9}]
"""
# The check's one draw of this question has a != 2; the export's draws reach a = 2.
DIVIDES_BY_ZERO_LATER = """\
  - id: later
    kind: numeric
    topic: u
    params: {a: {range: [1, 3]}}
    let: {c: 1/(a - 2)}
    answer: c
    prompt: 'x {{ a }}'
"""
NEVER_MET = """\
  - id: never
    kind: numeric
    topic: u
    params: {a: {range: [1, 3]}}
    where: ['a > 5']
    answer: a
    prompt: 'y {{ a }}'
"""
MISTAKE_IS_ANSWER = """\
  - id: mistake
    kind: numeric
    topic: u
    params: {m: {range: [1, 9]}}
    answer: m + 1
    prompt: 'One more than {{ m }}?'
    mistakes: [{answer: 1 + m, feedback: the same}]
"""
DOES_NOT_COMPILE = """\
  - id: broken
    kind: numeric
    topic: u
    params: {k: {range: [1, 9]}}
    answer: k +* 2
    prompt: 'k is {{ k }}'
"""

REFUSED = {
    "a wrong example, last": GOOD + GOOD.replace("good", "good2") + WRONG_EXAMPLE,
    "a draw error before a wrong example": DIVIDES_BY_ZERO_LATER + WRONG_EXAMPLE,
    "a constraint never met": GOOD + NEVER_MET + GOOD.replace("good", "good2"),
    "a mistake that grades as correct, first": MISTAKE_IS_ANSWER + GOOD + WRONG_EXAMPLE,
    "a formula that does not compile": GOOD + DOES_NOT_COMPILE + WRONG_EXAMPLE,
}


def _bank(questions: str):
    return parse_bank(HEAD + questions)


def _said(errors) -> list[str]:
    return [format_error(e) for e in errors]


@pytest.fixture
def forks(monkeypatch):
    """Workers even for these small exports (they would otherwise stay in one process)."""
    monkeypatch.setattr(stream, "MIN_PARALLEL", 0)


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_checked_export_refuses_with_the_check_s_errors_in_its_order(
    case, jobs, forks, tmp_path
) -> None:
    bank = _bank(REFUSED[case])
    expected = _said(check_bank(bank, variants=1).all_errors())
    assert expected, "the case must be one the check refuses"
    path = tmp_path / "new" / "deeper" / "quiz.gift"
    with pytest.raises(CheckRefused) as refused:
        export_file([bank], "gift", path, variants=6, seed="s", jobs=jobs, check=True)
    assert _said(refused.value.errors) == expected
    assert list(tmp_path.iterdir()) == []  # no file, and no folder made for it


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_check_wins_over_a_draw_error_met_first(jobs, forks, tmp_path) -> None:
    bank = _bank(DIVIDES_BY_ZERO_LATER + WRONG_EXAMPLE)
    with pytest.raises(DrawError):  # the export alone meets the draw error first ...
        export_file([bank], "gift", tmp_path / "q.gift", variants=6, seed="s", jobs=jobs)
    with pytest.raises(CheckRefused) as refused:  # ... which the check's refusal replaces
        export_file([bank], "gift", tmp_path / "q.gift", variants=6, seed="s", check=True)
    assert [e.path for e in refused.value.errors] == ["questions[1].examples[0]"]
    assert not (tmp_path / "q.gift").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_question_pick_leaves_out_is_checked_all_the_same(jobs, forks, tmp_path) -> None:
    bank = _bank(GOOD + GOOD.replace("good", "good2") + WRONG_EXAMPLE)
    kept = {p.question_id for p in export([bank], "gift", variants=3, seed="t", pick=1).pools}
    assert kept == {"good"}  # the oracle: with this seed, --pick 1 leaves the wrong one out
    with pytest.raises(CheckRefused) as refused:
        export_file(
            [bank], "gift", tmp_path / "q.gift", variants=3, seed="t", pick=1, jobs=jobs,
            check=True,
        )  # fmt: skip
    assert _said(refused.value.errors) == _said(check_bank(bank, variants=1).all_errors())


@pytest.mark.parametrize("seed", ["s", "t", "u", "pick"])
@pytest.mark.parametrize("pick", [None, 1, 2])
def test_listed_questions_mark_the_questions_export_questions_picks(seed, pick) -> None:
    banks = [_bank(GOOD + WRONG_EXAMPLE + NEVER_MET), _bank(GOOD + MISTAKE_IS_ANSWER)]
    banks[1] = banks[1].model_copy(update={"id": "c"})
    picked = [(q.bank.id, q.id) for q in export_questions(banks, seed, pick)]
    listed = listed_questions(banks, seed, pick)
    assert [(e.bank.id, e.question.id) for e in listed if e.drawn] == picked
    assert [(e.bank.id, e.index) for e in listed] == [
        (b.id, i) for b in banks for i in range(len(b.questions))
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_draw_error_of_a_bank_the_check_passes_reaches_the_caller_as_itself(
    jobs, forks, tmp_path
) -> None:
    bank = _bank(GOOD + DIVIDES_BY_ZERO_LATER)
    assert check_bank(bank, variants=1).all_errors() == []
    with pytest.raises(DrawError) as unchecked:
        export([bank], "gift", variants=6, seed="s")
    with pytest.raises(DrawError) as checked:
        export_file([bank], "gift", tmp_path / "q.gift", variants=6, seed="s", jobs=jobs,
                    check=True)  # fmt: skip
    assert str(checked.value) == str(unchecked.value)
    assert not (tmp_path / "q.gift").exists()


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("pick", [None, 1])
def test_unchecked_a_bank_that_does_not_compile_is_refused_with_compile_bank_s_errors(
    jobs, pick, forks, tmp_path
) -> None:
    bank = _bank(GOOD + DIVIDES_BY_ZERO_LATER + DOES_NOT_COMPILE)
    with pytest.raises(BankErrors) as compiled:
        compile_bank(bank)
    path = tmp_path / "new" / "quiz.gift"
    with pytest.raises(BankErrors) as refused:
        export_file([bank], "gift", path, variants=6, seed="s", pick=pick, jobs=jobs)
    assert not isinstance(refused.value, CheckRefused)
    assert _said(refused.value.errors) == _said(compiled.value.errors)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_unchecked_a_question_pick_leaves_out_must_compile_all_the_same(
    jobs, forks, tmp_path
) -> None:
    """Regression: a question left out by --pick was not compiled, so its error went unseen."""
    others = GOOD + GOOD.replace("good", "good2") + MISTAKE_IS_ANSWER
    broken = _bank(others + DOES_NOT_COMPILE)
    # The oracle for what --pick 1 takes: the same bank with the broken question mended
    # (picking reads only topics and order).
    mended = _bank(others + DOES_NOT_COMPILE.replace("k +* 2", "k + 2"))
    assert [q.id for q in export_questions([mended], "s", 1)] == ["good", "mistake"]
    with pytest.raises(BankErrors) as compiled:
        compile_bank(broken)
    with pytest.raises(BankErrors) as refused:
        export_file([broken], "gift", tmp_path / "q.gift", variants=6, seed="s", pick=1,
                    jobs=jobs)  # fmt: skip
    assert _said(refused.value.errors) == _said(compiled.value.errors)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", sorted(EXPORTERS))
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_checked_export_of_a_bank_the_check_passes_writes_the_same_bytes(
    fmt, jobs, forks, tmp_path
) -> None:
    bank = _bank(GOOD + GOOD.replace("good", "good2").replace("n*2", "n*3"))
    expected = export([bank], fmt, variants=5, seed="checked")
    path = tmp_path / f"quiz{EXPORTERS[fmt].suffix}"
    result = export_file([bank], fmt, path, variants=5, seed="checked", jobs=jobs, check=True)
    assert path.read_bytes() == expected.data
    assert result.warnings == list(expected.warnings)


# --- the command line ------------------------------------------------------------------------


def test_cli_export_refuses_as_generate_does_with_any_jobs(quizgen_cli, tmp_path) -> None:
    """Export refuses with the very words of ``generate``'s refusal (whose errors
    tests/test_generate_precheck.py holds against ``check_bank``), with any ``--jobs``."""
    bank = tmp_path / "wrong.yaml"
    bank.write_text(HEAD + MISTAKE_IS_ANSWER + GOOD + WRONG_EXAMPLE, encoding="utf-8")
    # 3 questions x 200 variants: enough for export to fork its workers.
    export = ["export", bank, "--to", "moodle", "--seed", "s", "--variants", "200"]
    generate, one, two = quizgen_cli(
        ["generate", bank, "--count", "2", "--seed", "s", "--out", tmp_path / "papers"],
        [*export, "--out", tmp_path / "one" / "q.xml", "--jobs", "1"],
        [*export, "--out", tmp_path / "two" / "q.xml", "--jobs", "2"],
    )
    assert generate.code == one.code == two.code == 2
    assert generate.stderr.startswith("refused: `quizgen check` finds errors")
    assert one.stderr == two.stderr == generate.stderr
    assert "Traceback" not in one.stderr and one.stdout == two.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wrong.yaml"]


def test_cli_export_of_the_test_bank_is_refused_unless_no_check(quizgen_cli, tmp_path) -> None:
    """The test bank declares a mistake inside the tolerance on purpose (the check's error)."""
    args = ["export", TEST_BANK, "--to", "gift", "--seed", "s", "--variants", "30"]
    refused, written = quizgen_cli(
        [*args, "--out", tmp_path / "refused.gift"],
        [*args, "--out", tmp_path / "written.gift", "--no-check"],
    )
    assert refused.code == 2 and written.code == 0, written.stderr
    assert "questions[0].mistakes[1].answer: this mistake" in refused.stderr
    assert not (tmp_path / "refused.gift").exists() and (tmp_path / "written.gift").is_file()
