"""Parameter drawing (quizgen.generate.params): each distribution, ``where`` chains, the retry
bound and its message, and randomness that comes only from the stream passed in."""

from __future__ import annotations

import random
from collections import Counter
from fractions import Fraction

import pytest

from quizgen.bank.model import parse_bank
from quizgen.errors import BankErrors
from quizgen.generate.compile import compile_question
from quizgen.generate.params import MAX_TRIES, DrawError, ParamSpace
from quizgen.rng import stream_for

DRAWS = 3000


def _space(params: str, *, where: str = "", let: str = "") -> ParamSpace:
    """The compiled parameters of a one-question bank (YAML flow mappings, 6 spaces deep)."""
    text = (
        "id: p\ntitle: Params\nquestions:\n  - id: q\n    kind: essay\n"
        f"    prompt: Why?\n    params:\n{params}"
        + (f"    let: {let}\n" if let else "")
        + (f"    where: {where}\n" if where else "")
    )
    return compile_question(parse_bank(text, "p.yaml"), 0).space


def _draws(space: ParamSpace, name: str, count: int = DRAWS) -> list:
    return [space.draw(stream_for("params-test", i))[name] for i in range(count)]


def _roughly_uniform(values: list, support: list) -> None:
    """Every value of ``support`` is drawn, each within 25 % of its expected count.

    The streams are seeded, so this is deterministic; for a fair draw of 3000 over at most 11
    values the bound is more than six standard deviations wide.
    """
    counts = Counter(values)
    assert set(counts) == set(support)
    expected = len(values) / len(support)
    for value in support:
        assert abs(counts[value] - expected) <= expected / 4, (value, counts[value], expected)


# --- each distribution -----------------------------------------------------------------------


def test_choice_draws_only_its_values_and_each_about_as_often() -> None:
    space = _space("      h: {choice: [32, 64, 128, 256]}\n")
    _roughly_uniform(_draws(space, "h"), [32, 64, 128, 256])


def test_choice_keeps_text_and_reads_numbers_exactly() -> None:
    space = _space("      unit: {choice: [ms, s]}\n      g: {choice: ['0.1', 0.25]}\n")
    assert set(_draws(space, "unit", 200)) == {"ms", "s"}
    assert set(_draws(space, "g", 200)) == {Fraction(1, 10), Fraction(1, 4)}


def test_integer_range_includes_both_ends() -> None:
    space = _space("      y: {range: [2, 12]}\n")
    values = _draws(space, "y")
    assert all(isinstance(v, int) for v in values)
    _roughly_uniform(values, list(range(2, 13)))


def test_integer_range_with_a_step_stays_on_its_grid() -> None:
    space = _space("      x: {range: [8, 64], step: 4}\n")
    values = _draws(space, "x")
    _roughly_uniform(values, list(range(8, 65, 4)))
    assert space.size() == 15


def test_a_step_that_does_not_reach_the_top_stops_below_it() -> None:
    space = _space("      x: {range: [0, 10], step: 3}\n")
    assert set(_draws(space, "x", 500)) == {0, 3, 6, 9}


def test_decimal_range_with_places_is_exact() -> None:
    space = _space("      g: {range: [0.5, 0.9], places: 1}\n")
    values = _draws(space, "g")
    _roughly_uniform(values, [Fraction(k, 10) for k in range(5, 10)])


def test_decimal_step_is_exact_not_binary() -> None:
    space = _space("      a: {range: [-0.2, 0.2], step: 0.05}\n")
    expected = [Fraction(k, 20) for k in range(-4, 5)]
    assert sorted(set(_draws(space, "a"))) == expected  # 0.05 in binary would drift off 0.2


@pytest.mark.parametrize("spec", ["7", "{value: 7}", "'7'"])
def test_fixed_values_never_change(spec: str) -> None:
    space = _space(f"      n: {spec}\n")
    assert set(_draws(space, "n", 50)) == {7}
    assert space.size() == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("{range: [5, 3]}", "questions[0].params.x: range is empty: 5 > 3"),
        ("{range: [0, 3], step: 0}", "questions[0].params.x: step must be positive"),
        ("{range: [0, 3], step: -1}", "questions[0].params.x: step must be positive"),
    ],
)
def test_impossible_ranges_are_located_bank_errors(spec: str, message: str) -> None:
    with pytest.raises(BankErrors) as caught:
        _space(f"      x: {spec}\n")
    assert [f"{e.path}: {e.message}" for e in caught.value.errors] == [message]
    assert caught.value.errors[0].file == "p.yaml" and caught.value.errors[0].line is not None


# --- where -----------------------------------------------------------------------------------


def test_a_where_chain_holds_for_every_draw_and_keeps_all_that_meet_it() -> None:
    space = _space(
        "      a: {range: [1, 5]}\n      b: {range: [1, 5]}\n", where="['1 < a < b <= 4']"
    )
    pairs = {(v["a"], v["b"]) for v in (space.draw(stream_for("chain", i)) for i in range(600))}
    assert pairs == {(a, b) for a in range(1, 6) for b in range(1, 6) if 1 < a < b <= 4}


def test_several_wheres_on_parameters_and_lets_all_hold() -> None:
    space = _space(
        "      n: {range: [1, 20]}\n      h: {range: [1, 20]}\n",
        let="{total: n*h + h^2}",
        where="['n != h', 'total > 100', 'total <= 300']",
    )
    for i in range(300):
        v = space.draw(stream_for("wheres", i))
        assert v["n"] != v["h"] and 100 < v["total"] <= 300
        assert v["total"] == v["n"] * v["h"] + v["h"] ** 2


def test_a_where_can_guard_a_let_that_would_divide_by_zero() -> None:
    space = _space("      x: {range: [-2, 2]}\n", let="{inv: 1/x}", where="['x != 0']")
    assert {v["inv"] for v in (space.draw(stream_for("guard", i)) for i in range(200))} == {
        Fraction(-1, 2),
        -1,
        1,
        Fraction(1, 2),
    }


def test_an_unguarded_division_by_zero_is_a_located_draw_error() -> None:
    space = _space("      x: {choice: [0]}\n", let="{inv: 1/x}")
    with pytest.raises(DrawError) as caught:
        space.draw(stream_for("zero"))
    assert caught.value.path == "questions[0].let.inv"
    assert "x=0" in caught.value.message


# --- the retry bound -------------------------------------------------------------------------


def test_a_where_never_met_stops_after_the_bound_with_a_located_message() -> None:
    space = _space("      h: {choice: [1, 2]}\n", where="['h > 0', 'h > 5']")
    with pytest.raises(DrawError) as caught:
        space.draw(stream_for("never"))
    error = caught.value
    assert error.message == f"constraint 'h > 5' was never met in {MAX_TRIES} draws"
    assert (error.file, error.path) == ("p.yaml", "questions[0].where[1]")
    assert error.line is not None and error.column is not None


def test_the_message_names_the_constraint_that_failed_most() -> None:
    """Both constraints reject some draws; the one that rejected most is named, with the total."""
    space = _space("      h: {range: [1, 4]}\n", where="['h > 1', 'h > 9']")
    with pytest.raises(DrawError) as caught:
        space.draw(stream_for("count"))
    assert caught.value.message == f"constraint 'h > 9' was never met in {MAX_TRIES} draws"


def test_fixed_values_that_break_a_where_fail_at_once() -> None:
    space = _space("      h: {choice: [1, 2]}\n", where="['h > 1']")
    with pytest.raises(DrawError, match="was never met in 1 draws"):
        space.draw(stream_for("fixed"), fixed={"h": 1})
    assert space.draw(stream_for("fixed"), fixed={"h": 2}) == {"h": 2}


# --- randomness is passed in -----------------------------------------------------------------


def test_the_same_stream_gives_the_same_draw_and_global_random_is_untouched() -> None:
    space = _space("      x: {range: [0, 1000]}\n      y: {range: [0, 1000]}\n")
    state = random.getstate()
    first = [space.draw(stream_for("same", i)) for i in range(20)]
    assert [space.draw(stream_for("same", i)) for i in range(20)] == first
    assert len({(v["x"], v["y"]) for v in first}) > 10
    assert random.getstate() == state
