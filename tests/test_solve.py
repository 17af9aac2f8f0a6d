"""The solver: exact values, constraints, and variants that depend only on what was drawn."""

from __future__ import annotations

from fractions import Fraction

from quizgen.bank.model import parse_bank
from quizgen.generate.solve import compile_question
from quizgen.rng import stream_for

BANK = """\
id: s
title: Solver
questions:
  - id: inverse
    kind: numeric
    params:
      x: {range: [0, 3]}
    where: [x != 0]
    let: {inv: 1/x}
    answer: inv
    prompt: Invert {{ x }}.
  - id: gate
    kind: numeric
    params:
      a: {range: [-2, 2], places: 1}
    answer: tanh(a) * sigmoid(a)
    tolerance: {relative: 0.001}
    prompt: Compute for {{ a }}.
  - id: pick
    kind: choice
    params:
      n: {choice: [2, 3]}
    options:
      - {value: n*2, correct: true}
      - {value: n*2 + 1}
      - {value: n*2 + 2}
    prompt: Twice {{ n }}?
"""


def _question(index: int):
    return compile_question(parse_bank(BANK, "s.yaml"), index)


def test_a_where_on_parameters_guards_a_let() -> None:
    q = _question(0)
    values = {q.variant(stream_for("guard", i)).values["x"] for i in range(60)}
    assert values == {"1", "2", "3"}  # x = 0 is redrawn before 1/x is evaluated


def test_irrational_answers_are_kept_to_40_digits() -> None:
    import mpmath

    q = _question(1)
    variant = q.variant(stream_for("gate", 1), fixed={"a": "0.5"})
    a = mpmath.mpf("0.5")
    with mpmath.workdps(60):
        expected = mpmath.tanh(a) / (1 + mpmath.exp(-a))
        assert abs(mpmath.mpf(variant.answer.value) - expected) < mpmath.mpf(10) ** -38
    assert variant.answer.display == "0.287649"  # tanh(0.5) = 0.462117, σ(0.5) = 0.622459


def test_rational_answers_are_exact() -> None:
    q = _question(0)
    assert q.variant(stream_for("x"), fixed={"x": 3}).answer.value == "1/3"
    assert Fraction(q.variant(stream_for("x"), fixed={"x": 2}).answer.value) == Fraction(1, 2)


def test_equal_draws_share_one_solved_variant_and_other_draws_do_not() -> None:
    q = _question(2)
    variants = [q.variant(stream_for("pick", i)) for i in range(40)]
    by_uid = {v.uid: v for v in variants}
    assert 2 < len(by_uid) <= 2 * 6  # two values of n times the option orders drawn
    for v in variants:
        assert v == by_uid[v.uid]
        correct = [o.text for o in v.answer.options if o.correct]
        assert correct == [str(2 * int(v.values["n"]))]


def test_plain_substitutions_render_exactly_as_jinja_does(monkeypatch) -> None:
    """Texts that only substitute names skip jinja; every shipped bank must come out the same."""
    from pathlib import Path

    from quizgen.bank.model import load_bank
    from quizgen.generate import solve
    from quizgen.generate.exam import build_exam, numbered_students

    root = Path(__file__).resolve().parent.parent
    files = [*sorted((root / "banks").glob("*.yaml")), root / "tests" / "data" / "core-bank.yaml"]
    banks = [load_bank(f) for f in files]
    fast = build_exam(banks, numbered_students(25), "same")
    monkeypatch.setattr(solve, "simple_pieces", lambda source: None)
    slow = build_exam(banks, numbered_students(25), "same")
    assert fast.model_dump_json() == slow.model_dump_json()


def test_simple_pieces_leaves_anything_else_to_jinja() -> None:
    from quizgen.templating import simple_pieces

    assert simple_pieces("h = {{ h }}, n = {{ n | thousands }}, p = {{ p|sig(3) }}") is not None
    for source in (
        "{{ h + 1 }}",
        "{% if h %}x{% endif %}",
        "{{- h }}",
        "{{ h | sig('3') }}",
        "{# note #}{{ h }}",
        "{{ h | upper }}",
        "a\r\nb {{ h }}",
    ):
        assert simple_pieces(source) is None, source
