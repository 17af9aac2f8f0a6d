"""Tables for the small pieces of the exporters: numbers, margins, weights, escaping, Cloze."""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import Tolerance
from quizgen.export.answers import (
    MOODLE_GRADES,
    decimal_text,
    exact_weights,
    moodle_grade_text,
    moodle_tolerance,
    moodle_weights,
    numeric_target,
    split_hundred,
    tolerance_margin,
    typed_forms,
)
from quizgen.export.gift import gift_escape
from quizgen.export.moodle import category_path, cloze_escape, shortanswer_escape
from quizgen.export.text import lms_html
from quizgen.export.validate import gift_weights, parse_cloze
from quizgen.render import mathtext
from quizgen.variant import ChoiceKey, NumericKey, OptionKey


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (F(20362), "20362"),
        (F(-7, 2), "-3.5"),
        (F(59049, 100000), "0.59049"),
        (F(1, 3), "0.333333333333333"),
        (F(2, 3), "0.666666666666667"),
        (F(1, 10**12), "0.000000000001"),
        (F(10**25), "10000000000000000000000000"),
        (F(0), "0"),
        (F(-1, 10**30), "-0.000000000000000000000000000001"),
    ],
)
def test_decimal_text(value: F, text: str) -> None:
    assert decimal_text(value) == text


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    st.integers(-(10**60), 10**60),
    st.integers(0, 25),
    st.integers(0, 25),
    st.sampled_from(["ROUND_HALF_EVEN", "ROUND_CEILING", "ROUND_FLOOR"]),
)
def test_decimal_text_of_a_terminating_value_is_exact_or_15_figures(
    numerator: int, twos: int, fives: int, rounding: str
) -> None:
    """Up to 20 decimal places a value is written exactly (it reads back as itself, without
    trailing zeros or an exponent); past 20 it is Decimal's 15 significant figures."""
    value = F(numerator, 2**twos * 5**fives)
    text = decimal_text(value, rounding)
    places = next(p for p in range(60) if (value * 10**p).denominator == 1)
    if places <= 20:
        assert F(text) == value
        assert "e" not in text.lower() and not (text.endswith("0") and "." in text)
    else:
        with localcontext() as ctx:
            ctx.prec = 200
            exact = Decimal(value.numerator) / Decimal(value.denominator)
            top = exact.adjusted() + 1
            rounded = exact.quantize(Decimal(1).scaleb(top - 15), rounding=rounding)
        assert F(text) == F(rounded)


def test_decimal_text_keeps_200_significant_digits_of_a_huge_value() -> None:
    """Regression guard for the integer fast path: a value with more than 200 digits is
    what Decimal's division at 200 digits gives, as before."""
    value = F(3**500, 4)  # 239 digits, two decimal places
    with localcontext() as ctx:
        ctx.prec = 200
        expected = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    assert decimal_text(value) == expected
    assert F(decimal_text(value)) != value


def test_decimal_text_rounds_bounds_outwards() -> None:
    assert decimal_text(F(1, 3), "ROUND_CEILING") == "0.333333333333334"
    assert decimal_text(F(1, 3), "ROUND_FLOOR") == "0.333333333333333"


@pytest.mark.parametrize(
    ("tolerance", "value", "require", "margin"),
    [
        (Tolerance(absolute=0), F(20362), None, F(0)),
        (Tolerance(absolute=0.5), F(18), None, F(1, 2)),
        (Tolerance(relative=0.01), F(200), None, F(2)),
        (Tolerance(relative=0.01), F(0), None, F(0)),
        (Tolerance(sigfigs=3), F(20362), None, F(50)),
        (Tolerance(sigfigs=3), F(5, 100), None, F(5, 100000)),
        (Tolerance(sigfigs=3), F(0), None, F(0)),
        (Tolerance(absolute=0.1, relative=0.01), F(200), None, F(2)),
        (Tolerance(absolute=0.1, relative=0.01), F(1), None, F(1, 10)),
        (Tolerance(absolute=0), F(1234), 2, F(50)),
    ],
)
def test_tolerance_margin_is_the_widest_rule(
    tolerance: Tolerance, value: F, require, margin: F
) -> None:
    assert tolerance_margin(tolerance, value, require) == margin


def _key(value: str, approx: float, **tolerance: float) -> NumericKey:
    return NumericKey(value=value, approx=approx, display="", tolerance=Tolerance(**tolerance))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (_key("20362", 20362, absolute=0), ("20362", "0", "20362", "20362", True)),
        (
            _key("1/3", 1 / 3, sigfigs=3),
            ("0.333333333333333", "0.0005", "0.332833333333333", "0.333833333333334", False),
        ),
        (
            _key("59049/100000", 0.59049, relative=0.001),
            ("0.59049", "0.00059049", "0.58989951", "0.59108049", True),
        ),
        (
            _key("sqrt(2)", 2**0.5, absolute=0.001),
            ("1.4142135623731", "0.001", "1.41321356237309", "1.4152135623731", False),
        ),
    ],
)
def test_numeric_target(key: NumericKey, expected: tuple) -> None:
    target = numeric_target(key)
    assert (target.value, target.margin, target.low, target.high, target.exact) == expected


def test_moodle_grade_list_is_moodles() -> None:
    assert [moodle_grade_text(g) for g in MOODLE_GRADES] == [
        "100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333",
        "30", "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0",
    ]  # fmt: skip


@pytest.mark.parametrize("count", range(1, 27))
def test_split_hundred_sums_to_exactly_100_with_allowed_grades(count: int) -> None:
    shares = split_hundred(count)
    assert len(shares) == count and sum(shares) == 100
    assert all(s in MOODLE_GRADES and (s > 0 or count > 20) for s in shares)
    assert list(shares) == sorted(shares, reverse=True)
    if count in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20):
        assert set(shares) == {F(100, count)}


@pytest.mark.parametrize(
    ("count", "shares"),
    [(11, [10] * 9 + [5] * 2), (12, [10] * 8 + [5] * 4), (15, [10] * 5 + [5] * 10)],
)
def test_split_hundred_nearest_sets(count: int, shares: list[int]) -> None:
    assert list(split_hundred(count)) == [F(s) for s in shares]


def _multi(correct: list[bool], scoring: str) -> ChoiceKey:
    options = [
        OptionKey(id=f"o{i}", label=chr(65 + i), text=str(i), correct=ok)
        for i, ok in enumerate(correct)
    ]
    return ChoiceKey(kind="multi", options=options, scoring=scoring)


@pytest.mark.parametrize(
    ("correct", "scoring", "weights", "exact"),
    [
        ([True, True, False], "right-minus-wrong", ["50", "50", "-50"], True),
        ([True, True, True, False, False], "right-minus-wrong",
         ["33.33333", "33.33333", "33.33333", "-33.33333", "-33.33333"], True),
        ([True, False, False, False], "all-or-nothing", ["100", "-100", "-100", "-100"], False),
        ([True, True, False], "partial", ["50", "50", "-33.33333"], False),
        ([True] * 11 + [False], "right-minus-wrong", ["10"] * 9 + ["5", "5", "-10"], False),
    ],
)  # fmt: skip
def test_moodle_weights(correct, scoring, weights, exact) -> None:
    result = moodle_weights(_multi(correct, scoring))
    assert [moodle_grade_text(w) for w in result.weights] == weights
    assert result.exact is exact
    assert sum(w for w in result.weights if w > 0) == 100


def test_exact_weights_for_partial_have_an_offset() -> None:
    weights = exact_weights(_multi([True, True, False], "partial"))
    assert weights.offset == F(100, 3)
    assert list(weights.weights) == [F(100, 3), F(100, 3), F(-100, 3)]


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("a{b}c", "a\\{b\\}c"),
        ("~ = # :", "\\~ \\= \\# \\:"),
        ("\\(x\\)", "\\\\(x\\\\)"),
        ("\\{", "\\\\\\{"),
        ("line\nbreak", "line\\nbreak"),
        ("]]> < &", "]]> < &"),
    ],
)
def test_gift_escape(text: str, escaped: str) -> None:
    assert gift_escape(text) == escaped


@pytest.mark.parametrize(
    ("html", "escaped"),
    [
        ("sum {x} ~ = #", "sum &#123;x&#125; &#126; &#61; &#35;"),
        ("&lt;b&gt; &amp;", "&amp;lt;b&amp;gt; &amp;amp;"),
        ("\\(x\\)", "&#92;(x&#92;)"),
        ("50%", "50&#37;"),
    ],
)
def test_cloze_escape(html: str, escaped: str) -> None:
    assert cloze_escape(html) == escaped


def test_shortanswer_wildcard_is_made_literal() -> None:
    assert shortanswer_escape("a*b") == "a\\*b"


def test_category_path_doubles_slashes() -> None:
    assert category_path("Quiz 1/2", "q-1") == "$course$/Quiz 1//2/q-1"


@pytest.mark.parametrize(
    ("text", "kinds", "problems"),
    [
        ("{1:NUMERICAL:=4:0.01}", ["numerical"], []),
        ("{2:MC:=a#yes~b#no} and {1:SA:=x~*#other}", ["multichoice", "shortanswer"], []),
        ("{1:MULTIRESPONSE:%50%a~%50%b~%-100%c}", ["multiresponse"], []),
        ("{1:MCS:=&#123;x&#125;~&#35;y}", ["multichoice"], []),
        ("no sub-questions", [], ["no sub-questions"]),
        ("{1:NUMERICAL:=four:0.01}", ["numerical"], ["not a number"]),
        ("{1:MULTICHOICE:=only}", ["multichoice"], ["at least two"]),
        ("{1:MULTICHOICE:a~%50%b}", ["multichoice"], ["full marks"]),
        ("{1:MULTICHOICE:=a~%33%b}", ["multichoice"], ["grade 33%"]),
        ("{1:MULTICHOICE}", [], ["not well-formed", "no sub-questions"]),
    ],
)
def test_parse_cloze(text: str, kinds: list[str], problems: list[str]) -> None:
    parts, found = parse_cloze(text)
    assert [p.kind for p in parts] == kinds
    assert len(found) == len(problems)
    for needle, problem in zip(problems, found, strict=True):
        assert needle in problem


def test_parse_cloze_reads_weights_feedback_and_escapes() -> None:
    (part,), _ = parse_cloze("{3:MC:=a &#35;1#good \\} end~b#bad}")
    assert part.weight == 3
    assert [(a.fraction, a.text) for a in part.answers] == [(100, "a &#35;1"), (0, "b")]
    assert part.answers[0].feedback == "good \\} end"


def test_gift_weights_skip_escaped_and_outside_braces() -> None:
    text = "::q::50\\~%20% off {\n~%50%a\n~%-100%b\n=c\\=%3%}\n// ~%33%x\n"
    assert gift_weights(text) == [(2, "50"), (3, "-100")]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                " ",
                "$",
                "x",
                "1",
                "23",
                ".",
                "-",
                "*",
                "_",
                "\n",
                "\n\n",
                "#",
                "`",
                "\\",
                ">",
                "(",
                ")",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_skeleton_rendering_equals_direct_rendering(text: str) -> None:
    """Texts that differ only in digits share a parse; the result must not change."""
    assert lms_html(text) == mathtext._parse(text, False, "tex")
    assert lms_html(text, inline=True) == mathtext._parse(text, True, "tex")


def test_skeleton_rendering_keeps_numbers_in_place() -> None:
    assert lms_html("Step 2: $x_1 = 128$, y = 3.5") == "<p>Step 2: \\(x_1 = 128\\), y = 3.5</p>"
    assert lms_html("## Part 2\n\n10 units") == "<h2>Part 2</h2>\n<p>10 units</p>"
    assert (
        lms_html("3. third\n4. fourth") == '<ol start="3">\n<li>third</li>\n<li>fourth</li>\n</ol>'
    )


def test_issue_math_at_the_start_of_a_line_reaches_the_lms() -> None:
    """The plain dollarmath plugin left '$h$ × 12' (math first, digit last) as text."""
    from quizgen.export.text import lms_html

    assert "\\(h\\)" in lms_html("$h$ × 12", inline=True)
    assert "\\(x\\)" in lms_html("$x$ is 5")


# --- Canvas blanks: what a student types -----------------------------------------------------


def _key(value: str, approx: float, **tolerance: object) -> NumericKey:
    return NumericKey(value=value, approx=approx, display=value, tolerance=Tolerance(**tolerance))


@pytest.mark.parametrize(
    ("key", "forms"),
    [
        # issue 15: 3 significant figures of 0.1544652…; cut and rounded forms both kept
        (
            _key("1689/10935", 1689 / 10935, sigfigs=3),
            ("0.154", "0.1545", "0.1544", "0.15446", "0.15445", "0.154458", "0.1544582",
             "0.1544581", "0.15445816"),
        ),
        # trailing zeros are figures a student writes: 2.00 is 3 of them
        (_key("2", 2.0, absolute=0.01), ("2", "2.0", "2.00", "2.000", "2.0000", "2.00000",
                                         "2.000000", "2.0000000")),
        # -3 and -4 (1 figure) are 0.5 away, outside 10 %
        (_key("-7/2", -3.5, relative=0.1), ("-3.5", "-3.50", "-3.500", "-3.5000", "-3.50000",
                                            "-3.500000", "-3.5000000")),
        (_key("18", 18.0), ()),  # exact: the value and its display are all a blank holds
    ],
)  # fmt: skip
def test_typed_forms_of_a_numeric_blank(key: NumericKey, forms: tuple[str, ...]) -> None:
    assert typed_forms(key) == forms


@pytest.mark.parametrize(
    ("margin", "written"),
    [
        ("0.0005", "0.0005"),  # 10^-14 is negligible beside it
        ("0.00000000001", "0.00000000001"),  # 10^-11: still negligible
        ("0.0000000000018", "0.00000000000179"),  # written less Moodle's 10^-14
        ("0.0000000000000367949083342361", "0.0000000000000267949083342361"),
        ("0.00000000000001", "0.00000000000001"),  # 10^-14 or less: cannot be written
        ("0", "0"),
    ],
)
def test_moodle_tolerance_makes_room_for_moodles_epsilon(margin: str, written: str) -> None:
    assert moodle_tolerance(margin) == written


@pytest.mark.parametrize(
    ("html", "xhtml"),
    [
        ("<p>no list</p>", "<p>no list</p>"),
        ('<ol start="3">\n<li>a</li>\n</ol>', "<ol>\n<li>a</li>\n</ol>"),
        (
            '<ol start="2"><li>x</li></ol><ol start="10"><li>y</li></ol>',
            "<ol><li>x</li></ol><ol><li>y</li></ol>",
        ),
        ("<ol>\n<li>a</li>\n</ol>", "<ol>\n<li>a</li>\n</ol>"),
        ('<p>ol start="3" said in text</p>', '<p>ol start="3" said in text</p>'),
    ],
)
def test_qti21_lists_lose_their_start_attribute(html: str, xhtml: str) -> None:
    """QTI 2.1's XHTML has no ``start`` on ``ol``; nothing else is touched."""
    from quizgen.export.qti21 import _xhtml

    assert _xhtml(html) == xhtml
    assert _xhtml(lms_html("3. third\n4. fourth")) == "<ol>\n<li>third</li>\n<li>fourth</li>\n</ol>"
