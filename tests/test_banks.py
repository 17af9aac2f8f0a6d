"""Every shipped bank: loads, compiles, draws, has examples and solutions, passes `check`.

The per-bank content tests live next to their bank (``test_bank_rnn_lstm.py``); this module
holds what every bank in ``banks/`` must satisfy, and what the banks must reach together.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from quizgen.bank.model import Bank, load_bank
from quizgen.check import BankReport, check_bank
from quizgen.generate.compile import CompiledQuestion, compile_bank
from quizgen.generate.solve import draw_variant
from quizgen.rng import stream_for

BANKS = Path(__file__).resolve().parent.parent / "banks"
FILES = sorted(BANKS.glob("*.yaml"))
SCHEMA_LINE = "# yaml-language-server: $schema=../docs/bank.schema.json"
DRAWS = 200
MIN_QUESTIONS = 40
MIN_KINDS = 6


@cache
def _bank(path: Path) -> Bank:
    return load_bank(path)


@cache
def _compiled(path: Path) -> tuple[CompiledQuestion, ...]:
    return tuple(compile_bank(_bank(path)))


@cache
def _report(path: Path) -> BankReport:
    """One `quizgen check` sweep per bank, shared by the tests below (it is the slow part)."""
    return check_bank(_bank(path), variants=DRAWS)


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_banks_are_shipped() -> None:
    assert FILES, f"no banks in {BANKS}"


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_bank_starts_with_schema_line(path: Path) -> None:
    assert path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_bank_id_is_its_file_name(path: Path) -> None:
    assert _bank(path).id == path.stem


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_every_question_draws_many_variants(path: Path) -> None:
    """The `check` sweep drew DRAWS variants of each question: every template rendered and
    every answer, option and mistake computed."""
    report = _report(path)
    short = {q.id: q.sampled for q in report.questions if q.sampled != DRAWS}
    errors = "\n".join(str(e) for e in report.all_errors())
    assert not short, f"drew fewer than {DRAWS} variants: {short}\n{errors}"


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_every_question_has_an_example_and_a_worked_solution(path: Path) -> None:
    for question in _bank(path).questions:
        assert question.examples, f"{path.name}:{question.id} has no example"
        assert question.solution.strip(), f"{path.name}:{question.id} has no solution"
        for part in getattr(question, "parts", []):
            assert (part.solution or "").strip(), (
                f"{path.name}:{question.id}.{part.id}: no solution"
            )


def test_banks_together_are_large_and_varied() -> None:
    questions = [q for path in FILES for q in _bank(path).questions]
    kinds = {q.kind for q in questions}
    assert len(questions) >= MIN_QUESTIONS, f"{len(questions)} questions"
    assert len(kinds) >= MIN_KINDS, f"kinds: {sorted(kinds)}"


def test_bank_ids_are_unique() -> None:
    ids = [_bank(path).id for path in FILES]
    assert len(ids) == len(set(ids))


# --- bias conventions -----------------------------------------------------------------------

LAYER = re.compile(r"\b(LSTM|GRU|RNN|nn\.LSTM|nn\.GRU|nn\.RNN)", re.IGNORECASE)
ONE_BIAS = re.compile(r"\bone bias( vector)?\b", re.IGNORECASE)
TWO_BIAS = re.compile(r"\btwo bias vectors?\b", re.IGNORECASE)


def _count_prompts() -> list[tuple[str, str]]:
    """(question, rendered prompt with its parts) of each count question about a recurrent layer."""
    out = []
    for path in FILES:
        for question in _compiled(path):
            q = question.question
            if "param" not in q.id and "param" not in q.topic and "count" not in q.id:
                continue
            if q.kind not in {"numeric", "expression", "multipart", "choice", "truefalse"}:
                continue
            variant = draw_variant(question, stream_for("test-banks-bias", path.name, q.id))
            text = " ".join([variant.prompt, *(p.prompt for p in variant.parts)])
            if LAYER.search(text) and "parameters" in text:
                out.append((f"{path.name}:{q.id}", text))
    return out


def test_every_count_question_states_its_bias_convention() -> None:
    unstated = [qid for qid, text in _count_prompts() if "bias" not in text.lower()]
    assert not unstated, f"say 'one bias vector per gate' or 'two bias vectors': {unstated}"


def test_both_bias_conventions_are_asked() -> None:
    prompts = [text for _, text in _count_prompts()]
    assert any(ONE_BIAS.search(t) for t in prompts)
    assert any(TWO_BIAS.search(t) for t in prompts)


# --- quizgen check ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_quizgen_check_passes(path: Path) -> None:
    """What `quizgen check banks/` runs: examples match, mistakes differ, options distinct."""
    report = _report(path)
    assert report.ok, "\n".join(str(e) for e in report.all_errors())


# --- docs/banks.md --------------------------------------------------------------------------

DOC = BANKS.parent / "docs" / "banks.md"
DOC_ROW = re.compile(
    r"^\| `(?P<file>[\w.-]+\.yaml)` \| `[\w-]+` \| (?P<count>\d+) \|", re.MULTILINE
)


def test_docs_list_every_bank_with_its_question_count() -> None:
    listed = {m["file"]: int(m["count"]) for m in DOC_ROW.finditer(DOC.read_text(encoding="utf-8"))}
    actual = {path.name: len(_bank(path).questions) for path in FILES}
    assert listed == actual, (
        f"update the tables in {DOC.name}: it says {listed}, the banks have {actual}"
    )
