"""The fast paths of drawing give exactly what the plain ones give.

The oracle of each fast path is the code it stands in for: sympy's ``integer_nthroot`` for
square roots, pydantic's ``model_construct`` for :func:`quizgen.variant.built`, an uncached
render for remembered texts, the grid formula for tabled parameters.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import load_bank
from quizgen.generate.compile import compile_bank
from quizgen.generate.params import Param
from quizgen.math.evaluate import MP, _integer_root
from quizgen.math.numbers import Num
from quizgen.rng import stream_for
from quizgen.variant import KeyMistake, NumericKey, OptionKey, built


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.integers(0, 10**60))
def test_integer_square_roots_are_sympys(x: int) -> None:
    assert _integer_root(x, 2) == tuple(sympy.integer_nthroot(x, 2))
    assert _integer_root(x * x, 2) == (x, True)


@pytest.mark.parametrize(
    "param",
    [
        Param("n", low=3, step=2, count=40),
        Param("p", low=Fraction(11, 10), step=Fraction(1, 100), count=41),
        Param("big", low=0, step=1, count=10**6),  # no table: computed as before
    ],
)
def test_a_grid_parameter_draws_the_values_low_plus_k_steps(param: Param) -> None:
    drawn = [param.draw(stream_for("grid", i)) for i in range(50)]
    again = [param.at(stream_for("grid", i).below(param.count)) for i in range(50)]
    assert drawn == again
    assert [type(v) for v in drawn] == [type(v) for v in again]
    assert all(isinstance(v, int) or v.denominator != 1 for v in drawn)


def test_built_models_are_what_model_construct_makes() -> None:
    mistake = {"value": "3/4", "display": "0.75", "feedback": "no"}
    for cls, values in [
        (KeyMistake, mistake),
        (OptionKey, {"id": "o1", "label": "A", "text": "t", "correct": True, "feedback": None}),
        (NumericKey, {"value": "1", "approx": 1.0, "display": "1"}),  # defaults filled
        (KeyMistake, {"feedback": "no", "value": "3/4", "display": "0.75"}),  # another order
    ]:
        fast, slow = built(cls, **values), cls.model_construct(**values)
        assert fast == slow
        assert list(fast.__dict__) == list(slow.__dict__)
        assert fast.model_fields_set == slow.model_fields_set
        assert fast.model_dump_json() == slow.model_dump_json()


BANK = Path(__file__).resolve().parent.parent / "banks" / "rnn-lstm.yaml"


def test_remembered_texts_render_what_a_fresh_render_gives() -> None:
    questions = compile_bank(load_bank(BANK))
    texts = [
        fb
        for q in questions
        for spec in ([q.spec] if q.spec else [p.spec for p in q.parts])
        for _, fb in spec.mistakes
        if fb.names is not None
    ]
    assert texts, "the shipped bank has feedback texts that read few names"
    for text in texts:
        for values in ({n: 2 for n in text.names}, {n: Fraction(5, 2) for n in text.names}):
            context = {n: Num(v) for n, v in values.items()}
            first = text.render(context)
            assert text.render(context) == first == text._render(context)


def test_an_exact_two_and_an_inexact_two_are_remembered_apart() -> None:
    questions = compile_bank(load_bank(BANK))
    text = next(
        fb
        for q in questions
        for spec in ([q.spec] if q.spec else [p.spec for p in q.parts])
        for _, fb in spec.mistakes
        if fb.names and len(fb.names) == 1 and "|" not in fb.source
    )
    (name,) = text.names
    exact = text.render({name: Num(2)})
    inexact = text.render({name: Num(MP.mpf(2))})
    assert "2.00000" in inexact and "2.00000" not in exact


def test_a_remembered_formula_gives_the_evaluators_values_and_never_remembers_an_error() -> None:
    from quizgen.generate.compile import _evaluator
    from quizgen.math.evaluate import compile_expr
    from quizgen.math.parse import parse_math

    symbols = {n: sympy.Symbol(n, real=True) for n in ("a", "b")}
    expr = parse_math("floor(sqrt(a^2 + b^2)) + 0.9^b", symbols, split_names=False)
    remembered, plain = _evaluator(expr), compile_expr(expr)
    for env in [
        {"a": 3, "b": 4},
        {"a": 3, "b": 4},
        {"a": Fraction(1, 2), "b": 2},
        {"a": 1, "b": 1},
    ]:
        value = remembered(env)
        assert value == plain(env) and type(value) is type(plain(env))
    for _ in range(2):
        with pytest.raises(ValueError, match="'a' is text"):
            remembered({"a": "cat", "b": 1})


def _where(texts: list[str], names: str = "a b c t"):
    """The ``where`` comparisons of a one-question bank, compiled."""
    from quizgen.bank.model import parse_bank

    params = ", ".join(f"{n}: {{range: [-12, 12]}}" for n in names.split())
    wheres = "".join(f"      - '{t}'\n" for t in texts)
    bank = parse_bank(
        "id: b\ntitle: B\nquestions:\n  - id: q\n    kind: numeric\n    topic: t\n"
        f"    params: {{{params}}}\n    where:\n{wheres}    answer: a\n    prompt: x\n"
    )
    return compile_bank(bank)[0].space.where


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(*[st.integers(-12, 12)] * 4), min_size=1, max_size=30))
def test_a_remembered_constraint_holds_exactly_when_it_holds(draws) -> None:
    """The oracle: integer arithmetic (math.isqrt), not the evaluator."""
    square, root = _where(["floor(sqrt(a^2 + b^2 + c^2))^2 == a^2 + b^2 + c^2", "sqrt(a^2) != t"])
    assert square.key is not None and root.key is not None  # costly: remembered
    for a, b, c, t in draws * 2:  # each draw twice: the second answer is a remembered one
        env = {"a": a, "b": b, "c": c, "t": t}
        assert square.holds(env) is (
            math.isqrt(a * a + b * b + c * c) ** 2 == a * a + b * b + c * c
        )
        assert root.holds(env) is (abs(a) != t)


def test_a_cheap_constraint_is_not_remembered_and_the_memo_stays_bounded(monkeypatch) -> None:
    from quizgen.generate import params

    (cheap,) = _where(["a^2 + b != 3"])
    assert cheap.key is None
    (costly,) = _where(["floor(sqrt(a^2 + b^2)) > c"])
    monkeypatch.setattr(params, "HOLDS_MEMO_MAX", 10)
    for a in range(-12, 13):
        for b in range(-12, 13):
            env = {"a": a, "b": b, "c": 5, "t": 0}
            assert costly.holds(env) is (math.isqrt(a * a + b * b) > 5)
            assert len(costly.memo) <= 10


def test_a_remembered_constraint_answers_exact_and_inexact_values_by_their_own_test() -> None:
    (costly,) = _where(["sqrt(a) == 2"])
    assert costly.holds({"a": 4}) is True
    assert costly.holds({"a": Fraction(4)}) is True
    assert costly.holds({"a": MP.mpf("4.0000001")}) is False  # not the exact 4's answer
    assert costly.holds({"a": 5}) is False


def _bank_texts() -> list[str]:
    """Every text with a template of the shipped banks."""
    import yaml

    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from strings(v)
        elif isinstance(node, list):
            for v in node:
                yield from strings(v)

    banks = sorted((BANK.parent).glob("*.yaml"))
    return [s for b in banks for s in strings(yaml.safe_load(b.read_text("utf-8"))) if "{" in s]


def test_a_text_of_plain_substitutions_reads_the_names_jinja_finds() -> None:
    """The oracle is jinja's own analysis of the template (templating.template_names)."""
    from quizgen.generate.compile import _substituted
    from quizgen.templating import simple_pieces, template_names

    texts = _bank_texts()
    fast = [t for t in texts if _substituted(simple_pieces(t)) is not None]
    assert len(fast) > len(texts) / 2, "most shipped texts only substitute names"
    for text in fast:
        assert _substituted(simple_pieces(text)) == template_names(text), text


@pytest.mark.parametrize(
    ("source", "jinja"),
    [
        ("Twice {{ n }} is?", False),
        ("{{ p | sig(3) }} and {{ n | thousands }}", False),
        ("{{ none }} is a jinja constant, not a name", True),
        ("{{ loop }}", True),
        ("{% if n > 1 %}many{% endif %}", True),
    ],
)
def test_only_a_text_jinja_must_read_is_compiled_by_jinja(source: str, jinja: bool) -> None:
    from quizgen.bank.model import parse_bank
    from quizgen.templating import compile_text

    bank = parse_bank(
        "id: b\ntitle: B\nquestions:\n  - id: q\n    kind: numeric\n    topic: t\n"
        "    params: {n: {range: [1, 9]}, p: {choice: [0.5]}, none: {choice: [1]},"
        " loop: {choice: [2]}}\n"
        f"    answer: n\n    prompt: {source!r}\n"
    )
    prompt = compile_bank(bank)[0].prompt
    assert (prompt.template is not None) is jinja
    context = {"n": Num(1234), "p": Num(Fraction(1, 2)), "none": Num(1), "loop": Num(2)}
    if not jinja:  # what jinja itself renders: the oracle
        assert prompt.render(context) == compile_text(source).render(**context).strip()
