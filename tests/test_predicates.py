"""Tables for the numeric comparison predicates and the significant-figure counter."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizgen.grade.predicates import (
    decade,
    equal,
    sigfig_bounds,
    sigfigs_of,
    within_absolute,
    within_relative,
    within_sigfigs,
)


@pytest.mark.parametrize(
    ("x", "target", "tol", "expected"),
    [
        ("20362", "20362", "0", True),
        ("20363", "20362", "0", False),
        ("20.36", "20.35", "0.01", True),  # the edge is accepted, exactly
        ("20.3601", "20.35", "0.01", False),
        ("20.34", "20.35", "0.01", True),
        ("-1.5", "-1.49", "0.01", True),
        ("0.1", "0.3", "0.2", True),  # 0.1 + 0.2 is no float trouble with Fractions
    ],
)
def test_within_absolute(x: str, target: str, tol: str, expected: bool) -> None:
    assert within_absolute(F(x), F(target), F(tol)) is expected


@pytest.mark.parametrize(
    ("x", "target", "rel", "expected"),
    [
        ("198", "200", "0.01", True),
        ("202", "200", "0.01", True),
        ("202.01", "200", "0.01", False),
        ("-198", "-200", "0.01", True),
        ("198", "-200", "0.01", False),
        ("0", "0", "0.5", True),
        ("0.0001", "0", "0.5", False),  # a zero target has no scale
    ],
)
def test_within_relative(x: str, target: str, rel: str, expected: bool) -> None:
    assert within_relative(F(x), F(target), F(rel)) is expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("20362", 4),
        ("1000", 3),
        ("999.99", 2),
        ("1", 0),
        ("0.1", -1),
        ("0.05", -2),
        ("0.0999", -2),
        ("-350", 2),
        ("1/3", -1),
        ("10/1", 1),
        ("1e-30", -30),
    ],
)
def test_decade(q: str, expected: int) -> None:
    assert decade(F(q)) == expected


def test_decade_of_zero_is_an_error() -> None:
    with pytest.raises(ValueError):
        decade(F(0))


@pytest.mark.parametrize(
    ("x", "target", "n", "expected"),
    [
        ("20400", "20362", 3, True),
        ("20300", "20362", 3, False),
        ("20412", "20362", 3, True),  # half a unit (50) away: the edge counts
        ("20413", "20362", 3, False),
        ("0.368", "0.36787944117", 3, True),
        ("0.367", "0.36787944117", 3, False),
        ("0.37", "0.36787944117", 2, True),
        ("0.4", "0.36787944117", 1, True),
        ("0.3", "0.36787944117", 1, False),
        ("-2.50", "-2.5", 3, True),
        ("2.5", "-2.5", 3, False),
        ("0", "0", 3, True),
        ("0.001", "0", 3, False),
        ("1.0e-5", "0.0000100499", 2, True),
    ],
)
def test_within_sigfigs(x: str, target: str, n: int, expected: bool) -> None:
    assert within_sigfigs(F(x), F(target), n) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20362", 5),
        ("1200", 2),
        ("1200.", 4),
        ("1200.0", 5),
        ("0.0120", 3),
        ("0.012", 2),
        ("2.50", 3),
        ("-2.50", 3),
        ("+7", 1),
        ("1.20e3", 3),
        ("1.2E-3", 2),
        ("0", 1),
        ("0.00", 2),
        (".5", 1),
        ("5.", 1),
        ("100.5", 4),
        ("007", 1),
    ],
)
def test_sigfigs_of(text: str, expected: int) -> None:
    assert sigfigs_of(text) == expected


@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("1200", (2, 4)),
        ("20000", (1, 5)),
        ("20362", (5, 5)),
        ("1200.", (4, 4)),
        ("0.0120", (3, 3)),
        ("10", (1, 2)),
    ],
)
def test_sigfig_bounds(text: str, bounds: tuple[int, int]) -> None:
    assert sigfig_bounds(text) == bounds


@pytest.mark.parametrize("text", ["", ".", "abc", "1.2.3", "1,200", "1e", "--1"])
def test_sigfigs_of_refuses_non_decimals(text: str) -> None:
    with pytest.raises(ValueError):
        sigfigs_of(text)


def test_equal_is_exact() -> None:
    assert equal(F(1, 3), F(2, 6))
    assert not equal(F(1, 3), F("0.3333333333333333"))


@given(st.fractions(min_value=-(10**6), max_value=10**6).filter(lambda q: q != 0))
def test_decade_brackets_the_value(q: F) -> None:
    k = decade(q)
    assert F(10) ** k <= abs(q) < F(10) ** (k + 1)


@given(
    st.fractions(min_value=F(1, 1000), max_value=10**6),
    st.integers(min_value=1, max_value=8),
)
def test_a_value_rounded_to_n_figures_is_within_n_figures(q: F, n: int) -> None:
    text = f"{float(q):.{n - 1}e}"  # q rounded to n significant figures, as text
    assert within_sigfigs(F(text), q, n) or abs(F(text) - q) <= abs(q) * F(1, 10**12)
    assert sigfigs_of(text) == n
