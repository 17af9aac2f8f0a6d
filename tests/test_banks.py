"""Every shipped bank: loads, compiles, draws, has examples and solutions, passes `check`.

The per-bank content tests live next to their bank (``test_bank_rnn_lstm.py``); this module
holds what every bank in ``banks/`` must satisfy, and what the banks must reach together.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import cache
from pathlib import Path

import pytest
import sympy

from quizgen.bank.model import Bank, load_bank
from quizgen.check import BankReport, check_bank
from quizgen.errors import MathSyntaxError
from quizgen.generate.compile import CompiledQuestion, compile_bank
from quizgen.generate.solve import draw_variant
from quizgen.math.domains import domain_symbol
from quizgen.math.parse import parse_math
from quizgen.math.printing import to_text
from quizgen.rng import stream_for
from quizgen.variant import ExpressionKey, NumericKey

BANKS = Path(__file__).resolve().parent.parent / "banks"
FILES = sorted(BANKS.glob("*.yaml"))
SCHEMA_LINE = "# yaml-language-server: $schema=../docs/bank.schema.json"
DRAWS = 200
MIN_QUESTIONS = 110  # issue 13: a whole course's worth
MIN_KINDS = 6
MIN_PER_NEW_SUBJECT = 15  # issue 13: convolutional networks, attention and Transformers


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


@pytest.mark.parametrize("name", ["cnn.yaml", "attention.yaml"])
def test_each_new_subject_has_a_bank_of_its_own(name: str) -> None:
    bank = _bank(BANKS / name)
    assert len(bank.questions) >= MIN_PER_NEW_SUBJECT
    assert len({q.kind for q in bank.questions}) >= 5


def _declares_a_mistake(answer: object) -> bool:
    """Whether a wrong answer to this answer section earns targeted feedback."""
    if getattr(answer, "mistakes", None):
        return True
    if getattr(answer, "options", None):
        return any(o.feedback for o in answer.options if not o.correct)
    return answer.kind == "truefalse" and bool(answer.feedback)


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_every_question_declares_a_mistake(path: Path) -> None:
    """Issue 13: every question comes with examples, a solution and at least one declared
    mistake (essays are graded by a person, with a rubric)."""
    for q in _bank(path).questions:
        if q.kind == "essay":
            assert q.rubric.strip(), f"{path.name}:{q.id}: an essay needs a rubric"
            continue
        answers = q.parts if q.kind == "multipart" else [q]
        assert any(_declares_a_mistake(a) for a in answers), f"{path.name}:{q.id}"


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_text_questions_prove_the_common_spellings(path: Path) -> None:
    """Issue 13: the spellings students use are examples, so `check` proves each accepted."""
    for q in _bank(path).questions:
        if q.kind == "text":
            assert len(q.examples) >= 3, f"{path.name}:{q.id}: add the common spellings"


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


# --- keys read back ------------------------------------------------------------------------

ROUND_TRIPS = 12  # variants drawn per question
_RATIONAL = re.compile(r"-?[0-9]+(/[0-9]+)?")


def _number(text: str) -> sympy.Expr:
    """A variant's value as the solver put it into formulas: exact, or 40 digits."""
    return sympy.Rational(text) if _RATIONAL.fullmatch(text) else sympy.Float(text, 40)


def _as_printed(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each float replaced by the exact decimal the printer writes for it."""
    return expr.xreplace({f: sympy.Rational(to_text(f)) for f in expr.atoms(sympy.Float)})


def _expression_round_trip(formula: sympy.Expr, values: dict, key: ExpressionKey, text: str):
    """What is wrong with one printed expression key, or None."""
    solved = formula.xreplace(
        {s: _number(values[s.name]) for s in formula.free_symbols if s.name in values}
    )
    if to_text(solved) != text:
        return f"the key {text!r} is not the printed solution {to_text(solved)!r}"
    symbols = {name: domain_symbol(name, domain) for name, domain in key.variables.items()}
    try:
        parsed = parse_math(text, symbols, split_names=False)
    except MathSyntaxError as exc:
        return f"{text!r} is refused by the parser: {exc.message}"
    if parsed != _as_printed(solved):
        return f"{text!r} parses back as {parsed}, not {solved}"
    return None


def _key_problems(question: CompiledQuestion, draw: int) -> list[str]:
    variant = draw_variant(question, stream_for("test-banks-round-trip", question.id, draw))
    specs = {"": question.spec} if question.spec else {p.part.id: p.spec for p in question.parts}
    problems = []
    for part, key, _ in variant.gradable():
        where = f"{question.id}{'.' + part if part else ''} ({variant.values})"
        spec = specs[part]
        if isinstance(key, ExpressionKey):
            pairs = [(spec.formula.expr, key.value)]
            pairs += [
                (f.expr, m.value) for (f, _), m in zip(spec.mistakes, key.mistakes, strict=True)
            ]
            for formula, text in pairs:
                problem = _expression_round_trip(formula, variant.values, key, text)
                problems += [f"{where}: {problem}"] if problem else []
        elif isinstance(key, NumericKey):
            for text in [key.value, *(m.value for m in key.mistakes)]:
                if _RATIONAL.fullmatch(text):
                    continue  # read with Fraction everywhere (and may pass the parser's 60 digits)
                if parse_math(text, (), split_names=False) != sympy.Rational(Fraction(text)):
                    problems.append(f"{where}: {text!r} does not parse back to its digits")
    return problems


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_every_printed_key_parses_back_to_itself(path: Path) -> None:
    """Keys are text that the grader re-reads with the safe parser: each expression key (and
    each mistake) is the printer's text of the solved formula and parses back to it; each
    irrational numeric key parses back to its 40 digits."""
    problems = [
        problem
        for question in _compiled(path)
        for draw in range(ROUND_TRIPS)
        for problem in _key_problems(question, draw)
    ]
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_rounding_sweep_is_zero_for_every_numeric_question(path: Path) -> None:
    """Issue 13: no careful student who rounds as the solutions show is marked wrong."""
    bank = _bank(path)
    for question, report in zip(bank.questions, _report(path).questions, strict=True):
        answers = question.parts if question.kind == "multipart" else [question]
        if any(a.kind == "numeric" for a in answers):
            assert report.rounding_checked == report.distinct > 0, question.id
            assert report.rounding_failed == 0, question.id
        else:
            assert report.rounding_share is None, question.id


@pytest.mark.parametrize("path", FILES, ids=_ids(FILES))
def test_no_markup_the_papers_would_mangle(path: Path) -> None:
    """Issue 13: no stray $ (17$h$), no pipe table, no e-notation inside math."""
    warnings = [f"{q.id}: {w}" for q in _report(path).questions for w in q.warnings]
    assert not [w for w in warnings if "distinct variants" not in w], warnings


# --- docs/banks.md --------------------------------------------------------------------------

DOC = BANKS.parent / "docs" / "banks.md"
DOC_ROW = re.compile(
    r"^\| `(?P<file>[\w.-]+\.yaml)` \| `[\w-]+` \| (?P<count>\d+) \|", re.MULTILINE
)


DOC_BANK = re.compile(r"^### `(?P<file>[\w.-]+\.yaml)`", re.MULTILINE)
DOC_QUESTION = re.compile(
    r"^\| `(?P<id>[\w.-]+)` \| `(?P<topic>[\w/.-]+)` \| (?P<kind>[a-z]+) \|", re.MULTILINE
)


def test_docs_list_every_bank_with_its_question_count() -> None:
    listed = {m["file"]: int(m["count"]) for m in DOC_ROW.finditer(DOC.read_text(encoding="utf-8"))}
    actual = {path.name: len(_bank(path).questions) for path in FILES}
    assert listed == actual, (
        f"update the tables in {DOC.name}: it says {listed}, the banks have {actual}"
    )


def test_docs_list_every_question_with_its_topic_and_kind() -> None:
    text = DOC.read_text(encoding="utf-8")
    sections = DOC_BANK.split(text)[1:]  # file, body, file, body, …
    listed = {
        file: [(m["id"], m["topic"], m["kind"]) for m in DOC_QUESTION.finditer(body)]
        for file, body in zip(sections[::2], sections[1::2], strict=True)
    }
    actual = {path.name: [(q.id, q.topic, q.kind) for q in _bank(path).questions] for path in FILES}
    assert listed == actual, f"update 'Every question' in {DOC.name}"
