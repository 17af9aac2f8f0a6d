"""MathML by formula shape: the same markup as converting every formula, in bounded memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import load_bank
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.render import get_renderer, mathml
from quizgen.render import mathtext as mdmath

ROOT = Path(__file__).resolve().parents[1]
BANKS = sorted((ROOT / "banks").glob("*.yaml"))


def _direct(tex: str, display: bool) -> str:
    """The oracle: latex2mathml on the formula itself, sanitized, no cache and no shapes."""
    return mathml._convert(tex.strip(), display)


def _fresh(tex: str, display: bool) -> str:
    mathml.clear_caches()
    return mathml.math_to_mathml(tex, display)


@pytest.mark.parametrize("bank", BANKS, ids=[b.stem for b in BANKS])
def test_every_formula_of_a_shipped_bank_converts_as_directly(
    bank: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: set[tuple[str, bool]] = set()

    def spy(tex: str, display: bool = False) -> str:
        seen.add((tex, display))
        return mathml.math_to_mathml(tex, display)

    monkeypatch.setattr(mdmath, "math_to_mathml", spy)
    mdmath.clear_caches()
    exam = build_exam([load_bank(bank)], numbered_students(4), "7")
    renderer = get_renderer("html")
    renderer.key(exam)
    for paper in exam.papers:
        renderer.paper(exam, paper)
    mdmath.clear_caches()
    mathml.clear_caches()
    for tex, display in sorted(seen):
        assert mathml.math_to_mathml(tex, display) == _direct(tex, display), tex


def test_shipped_formulas_do_share_shapes() -> None:
    # Without this, the test above could pass with every formula converted directly.
    mathml.clear_caches()
    assert _fresh(r"\frac{3}{4} + 0.25x^{2}", False) == _direct(r"\frac{3}{4} + 0.25x^{2}", False)
    assert mathml._shape(r"\frac{0}{0} + 0.00x^{0}", False) is not None
    before = mathml._shape.cache_info().misses
    mathml.math_to_mathml(r"\frac{7}{9} + 1.75x^{3}", False)
    assert mathml._shape.cache_info().misses == before  # same shape: no new conversion


@pytest.mark.parametrize(
    "tex",
    [
        r"\sqrt[3]{12}",  # the index is written after the radicand
        r"x_1^2",
        r"x^2_1",  # msubsup: subscript first, whatever the TeX order
        r"x^23",  # only the 2 is the exponent
        r"\frac12 + \frac{10}{3}",
        r"\hspace{3em}x",  # a digit in an attribute: converted directly
        r"\,x = 0.25",  # the space's width has digits of its own
        r"10^{-3} \le 7",
        r"\begin{matrix}1 & 2 \\ 3 & 4\end{matrix}",
        r"\text{room 101} 5",
        r"\frac{1}{",  # not TeX: the error markup, escaped
        "1" * 120,  # more digits than one probe can number
        "007",
    ],
)
@pytest.mark.parametrize("display", [False, True])
def test_digit_sensitive_tex_converts_as_directly(tex: str, display: bool) -> None:
    assert _fresh(tex, display) == _direct(tex, display)
    assert mathml.math_to_mathml(tex, display) == _direct(tex, display)  # from the cache


_TEXISH = st.lists(
    st.sampled_from(
        [*"x0123456789^_{}[]+-=. &", r"\frac", r"\sqrt", r"\,", r"\text{", r"\hspace{", "em}"]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(tex=_TEXISH, display=st.booleans())
def test_shapes_convert_as_directly(tex: str, display: bool) -> None:
    assert _fresh(tex, display) == _direct(tex, display)


def test_shape_cache_is_bounded() -> None:
    mathml.clear_caches()
    for i in range(mathml.SHAPE_CACHE_SIZE + 50):
        name = "".join("abcdefghij"[int(d)] for d in str(i))
        mathml.math_to_mathml(rf"\mathrm{{{name}}} = 1", False)
    assert mathml._shape.cache_info().currsize == mathml.SHAPE_CACHE_SIZE
    assert mathml._mathml.cache_info().currsize <= mathml.CACHE_SIZE


def test_clearing_the_text_caches_clears_the_mathml_ones_too() -> None:
    # Regression: mathtext.clear_caches() promised "every cached render" but kept the MathML
    # conversions, so a "cold" export benchmark ran with warm formulas.
    mdmath.markdown_to_html(r"Let $\frac{3}{4} + x^{2}$ be given.")
    assert mathml._mathml.cache_info().currsize > 0
    mdmath.clear_caches()
    assert mathml._mathml.cache_info().currsize == 0
    assert mathml._shape.cache_info().currsize == 0


# --- whole numbers: one 0 in the shape for a number latex2mathml reads as one token ---------


def test_whole_numbers_of_any_length_share_a_shape() -> None:
    mathml.clear_caches()
    assert mathml.math_to_mathml(r"0.25x + 12", False) == _direct(r"0.25x + 12", False)
    shapes = mathml._shape.cache_info().misses
    for tex in (r"0.5x + 3", r"12.125x + 1000", r"7x + 0.75"):
        assert mathml.math_to_mathml(tex, False) == _direct(tex, False), tex
    assert mathml._shape.cache_info().misses == shapes  # no new shape for any of them


@pytest.mark.parametrize(
    "tex",
    [
        r"x^12 + 0.5",  # only the 1 is the exponent: those digits stay one by one
        r"x_12.5 + 3.25",
        r"\frac12 + 10.25",  # \frac takes single digits
        r"\sqrt 12 + 3.5",
        r"\hspace{12pt} 3.5",  # a dimension: its number goes into an attribute
        r"12 in + 3.5",
        r"1.5.3 + 22",  # the second dot starts a number of its own
        r".5 + 12",
        r"\text{12.5 kg} + 3.75",
        r"1{,}000.5 - 20",
        r"10^{-3} \le 7.5",
        r"\sqrt[12]{3.5}",  # the index is written after the radicand
        r"\begin{matrix}1.5 & 22 \\ 3 & 4.25\end{matrix}",
        "٣12 + 1.5",  # a digit latex2mathml reads as one, though it is not 0-9
        "3.14159265358979 + " + "1" * 30,
    ],
)
@pytest.mark.parametrize("display", [False, True])
def test_number_sensitive_tex_converts_as_directly(tex: str, display: bool) -> None:
    assert _fresh(tex, display) == _direct(tex, display)
    assert mathml.math_to_mathml(tex, display) == _direct(tex, display)  # from the cache


_PIECE = st.sampled_from(
    [*"x^_{}[]+-=. &", r"\frac", r"\sqrt", r"\,", r"\text{", r"\hspace{", "em}", " in", "N"]
)
_NUMBERS = st.lists(
    st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True), min_size=12, max_size=12
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    pieces=st.lists(_PIECE, max_size=16),
    first=_NUMBERS,
    second=_NUMBERS,
    display=st.booleans(),
)
def test_formulas_of_one_shape_with_other_numbers_convert_as_directly(
    pieces: list[str], first: list[str], second: list[str], display: bool
) -> None:
    """Two formulas that differ only in their numbers (each ``N``): the second is made from
    the shape the first left in the cache, and must be what converting it gives."""
    cut = "".join(pieces).split("N")

    def filled(numbers: list[str]) -> str:
        return cut[0] + "".join(n + rest for n, rest in zip(numbers, cut[1:], strict=False))

    one, two = filled(first), filled(second)
    assert _fresh(one, display) == _direct(one, display)
    assert mathml.math_to_mathml(two, display) == _direct(two, display)
