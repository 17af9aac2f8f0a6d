"""Session 13's drawing shortcuts give exactly what the plain paths give.

* floor/ceiling of a square root by :func:`math.isqrt` (oracle: sympy's exact floor of the
  exact root, and the evaluator's generic path where the shortcut does not apply);
* a multipart question's parts shared by variants that agree on what a part reads (oracle:
  the same draws solved with every memo emptied first);
* ``let`` values that no constraint reads evaluated only for a draw that is solved (oracle:
  :meth:`ParamSpace.draw`, and the error a failing ``let`` gives).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import parse_bank
from quizgen.generate.compile import compile_question
from quizgen.generate.params import DrawError
from quizgen.generate.solve import draw_variant
from quizgen.math.evaluate import STRICT, NotReal, Policy, _Compiler, compile_expr, context
from quizgen.rng import stream_for

X = sympy.Symbol("x", real=True)
FLOOR, CEILING = sympy.floor(sympy.sqrt(X)), sympy.ceiling(sympy.sqrt(X))


def _generic(expr: sympy.Expr, policy: Policy = STRICT):
    """The evaluator without the whole-root shortcut: the rounding of mpmath's root."""
    compiler = _Compiler(policy)
    compiler.whole_roots = False
    return compiler.visit(expr)


def _exact_rounded_root(value: Fraction, up: bool) -> int:
    """sympy's exact floor or ceiling of the exact square root."""
    root = sympy.sqrt(sympy.Rational(value.numerator, value.denominator))
    return int(sympy.ceiling(root) if up else sympy.floor(root))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.integers(0, 2**50))
def test_rounded_square_roots_of_whole_numbers_are_exact(k: int) -> None:
    floor, ceiling = compile_expr(FLOOR), compile_expr(CEILING)
    for n in {k * k - 1, k * k, k * k + 1, k} - {-1}:
        for fn, up in ((floor, False), (ceiling, True)):
            value = fn({"x": n})
            assert type(value) is int
            assert value == _exact_rounded_root(Fraction(n), up), (n, up)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.integers(0, 2**60), st.integers(1, 2**40))
def test_rounded_square_roots_of_fractions_are_exact(p: int, q: int) -> None:
    value = Fraction(p, q)
    x = value.numerator if value.denominator == 1 else value  # as the evaluator holds it
    for expr, up in ((FLOOR, False), (CEILING, True)):
        got = compile_expr(expr)({"x": x})
        assert got == _exact_rounded_root(value, up)
        if (value.numerator * value.denominator).bit_length() <= 100:
            assert got == _generic(expr)({"x": x})  # what mpmath's root rounds to


@pytest.mark.parametrize(
    "value",
    [0, 1, 2, 3, 4, 15, 16, 17, 2**100 - 1, (2**50 - 1) ** 2 - 1, Fraction(9, 4), Fraction(1, 3)],
)
def test_the_shortcut_gives_what_the_generic_path_gives(value: int | Fraction) -> None:
    for expr in (FLOOR, CEILING, sympy.floor(sympy.sqrt(X + 1)) ** 2 - X):
        fast, plain = compile_expr(expr)({"x": value}), _generic(expr)({"x": value})
        assert fast == plain and type(fast) is type(plain)


def test_what_the_shortcut_does_not_take_goes_the_generic_way() -> None:
    floor = compile_expr(FLOOR)
    with pytest.raises(NotReal):  # a negative radicand is refused as before
        floor({"x": -4})
    big = 2**101 + 12345  # past WHOLE_ROOT_BITS: mpmath's root, as before
    assert floor({"x": big}) == _generic(FLOOR)({"x": big})
    inexact = context(50).mpf("2.25")
    assert floor({"x": inexact}) == 1
    # Grading policies bound magnitudes and sizes: they never take the shortcut.
    bounded = Policy(complex_steps=True, max_mag=20, exact_bits=100)
    assert _Compiler(bounded).whole_roots is False
    assert _Compiler(STRICT, context(20)).whole_roots is False  # too few digits


BANK = """\
id: m
title: Parts and lets
questions:
  - id: layer
    kind: multipart
    params:
      n: {range: [1, 6]}
      h: {choice: [2, 4]}
      T: {range: [3, 5]}
    let:
      out: 2*h
      total: n*h + T
      twice: 2*total
    prompt: A layer of {{ n }} inputs, {{ h }} units, {{ T }} steps.
    parts:
      - id: out
        kind: numeric
        prompt: Outputs?
        answer: out
        solution: "2 x {{ h }} = {{ answer }}, and {{ twice }} in all."
        mistakes:
          - {answer: h, feedback: "One direction ({{ h }})."}
      - id: steps
        kind: numeric
        prompt: Steps?
        answer: T
      - id: which
        kind: choice
        prompt: Which is {{ h }}?
        options:
          - {text: "{{ h }}", correct: true}
          - {text: "{{ out }}"}
          - {text: "{{ h }} + 1"}
  - id: late
    kind: numeric
    params:
      a: {range: [1, 3]}
      b: {range: [1, 9]}
    where: [a*b != 4]
    let:
      ab: a*b
      inv: 1/(a - 2)
      back: inv*ab
    answer: back
    prompt: "{{ a }} and {{ b }}"
  - id: guarded
    kind: numeric
    params:
      a: {range: [0, 3]}
    let:
      s: a - 1
      r: 1/s
    where: [s != 0]
    answer: r
    prompt: "{{ a }}"
"""


def _question(index: int):
    return compile_question(parse_bank(BANK, "m.yaml"), index)


def _layer():
    return _question(0)


def _fresh(question, stream):
    """The variant solved with no memo: every cache of the question emptied first."""
    question.solved.clear()
    for part in question.parts:
        part.solved.clear()
    return draw_variant(question, stream)


def test_a_part_reads_the_names_of_its_answer_texts_and_options() -> None:
    q = _layer()
    assert [p.reads for p in q.parts] == [("h", "out", "twice"), ("T",), ("h", "out")]


def test_shared_parts_are_what_a_fresh_solve_gives() -> None:
    shared, fresh = _layer(), _layer()
    for i in range(300):
        got = draw_variant(shared, stream_for("parts", i))
        assert got == _fresh(fresh, stream_for("parts", i))
        assert got.model_dump_json() == _fresh(fresh, stream_for("parts", i)).model_dump_json()
    assert len(shared.parts[1].solved) == 3  # T alone: three values, three solved parts


def test_a_part_is_shared_only_by_variants_that_agree_on_all_it_reads() -> None:
    q = _layer()
    variants = [draw_variant(q, stream_for("agree", i)) for i in range(200)]
    by_part: dict[int, dict[tuple, object]] = {0: {}, 1: {}, 2: {}}
    for v in variants:
        order = tuple(o.text for o in v.parts[2].answer.options)
        keys = [
            (v.values["h"], v.values["twice"]),  # the solution names twice: n and T count
            (v.values["T"],),
            (v.values["h"], order),  # the drawn order too
        ]
        for k, part in enumerate(v.parts):
            seen = by_part[k].setdefault(keys[k], part)
            assert (seen is part) and seen == part
    assert len(by_part[0]) < len(variants) and len(by_part[2]) > 2


def test_a_draw_without_the_unread_lets_is_completed_to_the_full_draw() -> None:
    q = _question(2)
    assert q.space.constrained == 1  # 's' is read by the constraint; 'r' is not
    for i in range(50):
        drawn = q.space.draw_constrained(stream_for("lets", i))
        assert list(drawn) == ["a", "s"]
        full = q.space.draw(stream_for("lets", i))
        assert q.space.complete(drawn) == full and list(drawn) == list(full) == ["a", "s", "r"]


def test_a_let_no_constraint_reads_fails_as_it_did() -> None:
    q = _question(1)
    failures = set()
    for i in range(200):
        try:
            draw_variant(q, stream_for("late", i))
        except DrawError as exc:
            failures.add(str(exc).splitlines()[0])
    assert len(failures) >= 2  # a = 2 with several values of b, each named
    for message in failures:
        assert "division by zero" in message and "with a=2, b=" in message, message
        assert ", ab=" in message and "inv=" not in message


def test_a_variant_drawn_again_is_the_one_solved_first() -> None:
    q = _question(2)
    first = {}
    for i in range(100):
        v = draw_variant(q, stream_for("again", i))
        assert first.setdefault(v.values["a"], v) is v
