"""The fast paths of drawing give exactly what the plain ones give.

The oracle of each fast path is the code it stands in for: the closure evaluator for the
straight-line formulas, sympy's ``integer_nthroot`` for square roots, pydantic's
``model_construct`` for :func:`quizgen.variant.built`, an uncached render for remembered texts.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import load_bank
from quizgen.generate.compile import compile_bank
from quizgen.generate.params import Param
from quizgen.math.evaluate import MP, _integer_root, compile_expr, compile_fast
from quizgen.math.numbers import Num
from quizgen.math.parse import parse_math
from quizgen.rng import stream_for
from quizgen.variant import KeyMistake, NumericKey, OptionKey, built

NAMES = ("x", "y", "z")
SYMBOLS = {n: sympy.Symbol(n, real=True) for n in NAMES}
ATOMS = st.sampled_from(["x", "y", "z", "2", "3", "0", "0.5", "1/3", "10", "pi"])
FUNCTIONS = ["sqrt", "floor", "abs", "exp", "log", "sin", "tanh", "ceil", "min", "max"]


def _formulas() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^"]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        )
        unary = st.tuples(st.sampled_from(FUNCTIONS), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})" if t[0] in ("min", "max") else f"{t[0]}({t[1]})"
        )
        return binary | unary | inner.map(lambda a: f"-({a})")

    return st.recursive(ATOMS, extend, max_leaves=8)


VALUES = st.one_of(
    st.integers(-20, 20),
    st.fractions(max_denominator=12).filter(lambda q: abs(q) < 50),
    st.just("text"),
)


def _outcome(fn, env) -> tuple:
    """A comparable result: the value with its type (mpmath numbers by all 50 digits), or the
    error's type and message."""
    try:
        value = fn(env)
    except Exception as exc:  # the point: the same error, whatever it is
        return ("error", type(exc), str(exc))
    shown = MP.nstr(value, 50) if not isinstance(value, (int, Fraction)) else value
    return (type(value), shown)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(_formulas(), st.fixed_dictionaries({n: VALUES for n in NAMES}))
def test_straight_line_formulas_agree_with_the_closures(text: str, env: dict) -> None:
    try:
        expr = parse_math(text, SYMBOLS, split_names=False)
        slow = compile_expr(expr)
    except Exception as exc:  # refused formulas are refused by both, with the same message
        with pytest.raises(type(exc)) as refused:
            compile_fast(parse_math(text, SYMBOLS, split_names=False))
        assert str(refused.value) == str(exc)
        return
    assert _outcome(compile_fast(expr), env) == _outcome(slow, env)


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("x*y + x^2", {"x": 3, "y": 4}, 21),
        ("x/y", {"x": 3, "y": 6}, Fraction(1, 2)),
        ("x/y", {"x": 6, "y": 3}, 2),  # a whole quotient is an int
        ("0.9^x", {"x": 2}, Fraction(81, 100)),
        ("sqrt(x)", {"x": Fraction(9, 4)}, Fraction(3, 2)),
        ("(x*y)^2 + x*y", {"x": 2, "y": 5}, 110),  # a repeated node, computed once
    ],
)
def test_straight_line_formulas_compute_exactly(text: str, env: dict, expected) -> None:
    value = compile_fast(parse_math(text, SYMBOLS, split_names=False))(env)
    assert value == expected and type(value) is type(expected)


def test_a_formula_undefined_everywhere_is_refused_as_the_closures_refuse_it() -> None:
    expr = parse_math("0^(-y)", SYMBOLS, split_names=False)
    with pytest.raises(ValueError, match="undefined") as slow:
        compile_expr(expr)
    with pytest.raises(ValueError) as fast:
        compile_fast(expr)
    assert str(fast.value) == str(slow.value)


def test_a_straight_line_formula_names_a_variable_holding_text() -> None:
    fn = compile_fast(parse_math("x + 1", SYMBOLS, split_names=False))
    with pytest.raises(ValueError, match="'x' is text"):
        fn({"x": "cat"})


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
