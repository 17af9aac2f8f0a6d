"""Numeric responses: what is read, how it is compared, and what is refused."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from quizgen import check_answer
from quizgen.errors import MathSyntaxError
from quizgen.grade.checkers import check_response
from quizgen.grade.numeric import check_numeric, exact_target, read_number
from quizgen.variant import KeyMistake, NumericKey


def key(value: str = "20362", **fields: object) -> NumericKey:
    return NumericKey(
        value=value,
        approx=float(F(value)) if "/" in value or value.lstrip("-").isdigit() else 0.0,
        display=value,
        **fields,
    )


# --- reading ---------------------------------------------------------------------------------

READS = [
    ("20362", "20362"),
    ("  20362  ", "20362"),
    ("+20362", "20362"),
    ("-20362", "-20362"),
    ("−20362", "-20362"),  # U+2212 minus
    ("- 5", "-5"),
    ("20,362", "20362"),
    ("1,234,567", "1234567"),
    ("20 362", "20362"),
    ("20\u00a0362", "20362"),  # no-break space
    ("20\u2009362", "20362"),  # thin space
    ("20\u202f362", "20362"),  # narrow no-break space
    ("1 234 567.5", "2469135/2"),
    ("3.141 59", "314159/100000"),
    ("20,362.5", "40725/2"),
    ("3.5", "7/2"),
    (".5", "1/2"),
    ("5.", "5"),
    ("-0.25", "-1/4"),
    ("0.000", "0"),
    ("1.5e3", "1500"),
    ("1.5E3", "1500"),
    ("1.5e+3", "1500"),
    ("1.5e-3", "3/2000"),
    ("1.5×10^3", "1500"),
    ("1.5 × 10^3", "1500"),
    ("1.5*10^3", "1500"),
    ("1.5*10**3", "1500"),
    ("1.5x10^3", "1500"),
    ("1.5·10^3", "1500"),
    ("1.5×10^-3", "3/2000"),
    ("1.5×10^(−3)", "3/2000"),
    ("1.5×10^(-3)", "3/2000"),
    ("1.5×10³", "1500"),
    ("1.5×10⁻³", "3/2000"),
    ("10^3", "1000"),
    ("-10^3", "-1000"),
    ("10^-2", "1/100"),
    ("2e0", "2"),
    ("２０３６２", "20362"),  # full-width digits, as a CJK keyboard types them
    ("－１．５", "-3/2"),
]


@pytest.mark.parametrize(("text", "value"), READS)
def test_reads(text: str, value: str) -> None:
    assert read_number(text).value == F(value)


@pytest.mark.parametrize(
    ("text", "value"), [("3/4", "3/4"), ("-3/4", "-3/4"), ("−3 / 4", "-3/4"), ("6/8", "3/4")]
)
def test_fractions_when_allowed(text: str, value: str) -> None:
    assert read_number(text, fractions=True).value == F(value)


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("12 kg", "kg", "12"),
        ("12kg", "kg", "12"),
        ("12", "kg", "12"),
        ("3.5 m/s", "m/s", "7/2"),
        ("50 %", "%", "50"),
        ("50%", "%", "50"),
        ("1.5e3 ms", "ms", "1500"),
    ],
)
def test_unit_suffix(text: str, unit: str, value: str) -> None:
    assert read_number(text, unit=unit).value == F(value)


REFUSED = [
    ("20_362", "without '_'", 2),
    ("3,14", "comma can only separate thousands", 1),
    ("1,23,456", "comma can only separate thousands", 1),
    ("12345,678", "comma can only separate thousands", 5),
    ("1 2", "groups of three digits", 1),
    ("1 0000", "groups of three digits", 1),
    ("20,362 5", "mixed digit separators", 6),
    ("3/4", "fractions are not accepted", 1),
    ("nan", "not a finite number", 0),
    ("NaN", "not a finite number", 0),
    ("inf", "not a finite number", 0),
    ("-Infinity", "not a finite number", 0),
    ("∞", "not a finite number", 0),
    ("abc", "unexpected 'a'", 0),
    ("1..2", "unexpected '.'", 2),
    ("12a", "without a unit", 2),
    ("1e999999999", "exponent too large", 2),
    ("1e1001", "exponent too large", 2),
    ("1" * 101, "too many digits", 0),
    ("20\u200b362", "unexpected", 2),  # a zero-width space
    (".", "unexpected", 0),
    ("e5", "unexpected", 0),
    ("2^10", "unexpected", 1),
    ("sqrt(2)", "unexpected", 0),
    ("1.5e", "exponent needs digits", 3),
    ("--5", "unexpected '-'", 0),
    ("5-", "unexpected", 1),
]


@pytest.mark.parametrize(("text", "message", "offset"), REFUSED)
def test_refused_with_caret(text: str, message: str, offset: int) -> None:
    with pytest.raises(MathSyntaxError) as info:
        read_number(text)
    assert message in info.value.message
    assert info.value.offset == offset
    assert "^" in info.value.with_caret()


def test_fraction_by_zero_refused() -> None:
    with pytest.raises(MathSyntaxError, match="division by zero"):
        read_number("1/0", fractions=True)


def test_fraction_of_decimals_refused() -> None:
    with pytest.raises(MathSyntaxError, match="two whole numbers"):
        read_number("1.5/2", fractions=True)


@pytest.mark.parametrize("text", ["12 g", "12 kgs", "12 KG", "12 kg kg"])
def test_wrong_unit_refused(text: str) -> None:
    with pytest.raises(MathSyntaxError, match="expected the unit 'kg'"):
        read_number(text, unit="kg")


# --- the key -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("20362", F(20362)), ("59049/100000", F(59049, 100000)), ("-3/7", F(-3, 7))],
)
def test_rational_targets_are_exact(value: str, expected: F) -> None:
    assert exact_target(value) == expected


def test_irrational_target_has_sixty_digits() -> None:
    target = exact_target("exp(-1)")
    assert abs(target - F("0.36787944117144232159552377016146086744581113103176")) < F(1, 10**49)


# --- checking ------------------------------------------------------------------------------------

CHECKS = [
    # (key fields, response, status, method)
    ({}, "20362", "correct", "exact"),
    ({}, "20,362", "correct", "exact"),
    ({}, "20 362", "correct", "exact"),
    ({}, "2.0362e4", "correct", "exact"),
    ({}, "20363", "incorrect", "numeric"),
    ({}, "20362.0001", "incorrect", "numeric"),
    ({"tolerance": {"absolute": 1}}, "20363", "correct", "absolute"),
    ({"tolerance": {"absolute": 1}}, "20361", "correct", "absolute"),
    ({"tolerance": {"absolute": 1}}, "20364", "incorrect", "numeric"),
    ({"tolerance": {"relative": 0.001}}, "20382", "correct", "relative"),
    ({"tolerance": {"relative": 0.001}}, "20383", "incorrect", "numeric"),
    ({"tolerance": {"sigfigs": 3}}, "20400", "correct", "sigfigs"),
    ({"tolerance": {"sigfigs": 3}}, "2.04e4", "correct", "sigfigs"),
    ({"tolerance": {"sigfigs": 3}}, "20300", "incorrect", "numeric"),
    ({"tolerance": {"absolute": 0.5, "relative": 0.01}}, "20500", "correct", "relative"),
    ({"tolerance": {}}, "20362", "correct", "exact"),
]


@pytest.mark.parametrize(("fields", "response", "status", "method"), CHECKS)
def test_checks(fields: dict, response: str, status: str, method: str) -> None:
    verdict = check_numeric(key(**fields), response)
    assert (verdict.status, verdict.method) == (status, method)
    assert verdict.score == (1 if status == "correct" else 0)
    assert verdict.feedback


def test_absolute_tolerance_edge_is_decimal_exact() -> None:
    k = key("59049/100000", tolerance={"absolute": 0.00001})
    assert check_numeric(k, "0.59050").status == "correct"
    assert check_numeric(k, "0.59048").status == "correct"
    assert check_numeric(k, "0.590511").status == "incorrect"


def test_irrational_key_with_sigfigs() -> None:
    k = NumericKey(value="exp(-1)", approx=0.36788, display="0.367879", tolerance={"sigfigs": 3})
    assert check_numeric(k, "0.368").status == "correct"
    assert check_numeric(k, "0.3679").status == "correct"
    assert check_numeric(k, "0.367").status == "incorrect"


def test_fractions_only_when_allowed() -> None:
    assert check_numeric(key("3/4", fractions=True), "3/4").status == "correct"
    assert check_numeric(key("3/4", fractions=True), "0.75").status == "correct"
    assert check_response(key("3/4"), "3/4").status == "invalid"
    assert check_response(key("3/4"), "0.75").status == "correct"


def test_mistake_feedback_within_tolerance() -> None:
    mistakes = [
        KeyMistake(value="101810", display="101810", feedback="Shared across time steps."),
        KeyMistake(value="20224", display="20224", feedback="Count the biases."),
    ]
    k = key("20362", tolerance={"relative": 0.0001}, mistakes=mistakes)
    assert check_numeric(k, "101810").feedback == "Shared across time steps."
    assert check_numeric(k, "101811").feedback == "Shared across time steps."
    verdict = check_numeric(k, "20224")
    assert (verdict.status, verdict.score, verdict.method) == ("incorrect", 0, "mistake")
    assert verdict.feedback == "Count the biases."
    assert check_numeric(k, "5").feedback == "Incorrect."


def test_mistake_verdict_names_the_mistake_by_its_index() -> None:
    mistakes = [
        KeyMistake(value="3*(", display="broken", feedback="never matched"),
        KeyMistake(value="101810", display="101810", feedback="Shared across time steps."),
        KeyMistake(value="20224", display="20224", feedback="Shared across time steps."),
    ]
    k = key("20362", mistakes=mistakes)
    # two entries share a feedback text: only the index tells the report which one was hit
    assert check_numeric(k, "101810").mistake == 1
    assert check_numeric(k, "20224").mistake == 2
    assert check_numeric(k, "5").mistake is None
    assert check_numeric(k, "20362").mistake is None


@pytest.mark.parametrize(
    ("response", "status", "fragment"),
    [
        ("0.667", "correct", ""),
        ("0.6667", "incorrect", "give it to 3 significant figures (you gave 4)"),
        ("0.67", "incorrect", "right to 2 significant figures; give it to 3"),
        ("6.67e-1", "correct", ""),
        ("0.668", "incorrect", "Incorrect."),
        ("0.7", "incorrect", "right to 1 significant figure; give it to 3"),
        ("0.8", "incorrect", "Incorrect."),
    ],
)
def test_require_sigfigs(response: str, status: str, fragment: str) -> None:
    k = key("2/3", require_sigfigs=3)
    verdict = check_numeric(k, response)
    assert verdict.status == status
    assert fragment in verdict.feedback


def test_require_sigfigs_trailing_zeros_are_ambiguous() -> None:
    k = key("20000", require_sigfigs=3)
    assert check_numeric(k, "20000").status == "correct"  # may have 1 to 5 figures
    assert check_numeric(k, "2.00e4").status == "correct"
    assert "you gave 2" in check_numeric(k, "2.0e4").feedback


def test_require_sigfigs_refuses_a_fraction_politely() -> None:
    k = key("3/4", require_sigfigs=2, fractions=True)
    verdict = check_numeric(k, "3/4")
    assert verdict.status == "incorrect"
    assert "decimal with 2 significant figures" in verdict.feedback


def test_unparseable_is_invalid_not_incorrect() -> None:
    verdict = check_response(key(), "twenty thousand")
    assert verdict.status == "invalid"
    assert verdict.score == 0
    assert "^" in verdict.feedback


@pytest.mark.parametrize("response", ["nan", "inf", "-inf", "Infinity", "∞"])
def test_non_finite_is_invalid(response: str) -> None:
    assert check_response(key(), response).status == "invalid"


def test_number_types_are_accepted() -> None:
    assert check_response(key(), 20362).status == "correct"  # type: ignore[arg-type]
    assert check_response(key("1/2"), 0.5).status == "correct"  # type: ignore[arg-type]


def test_check_answer_numeric() -> None:
    assert (
        check_answer({"kind": "numeric", "answer": "20362", "tolerance": 0}, "20362").status
        == "correct"
    )
    answer = {"kind": "numeric", "answer": "exp(-1)", "tolerance": {"relative": 0.01}}
    assert check_answer(answer, "0.37").status == "correct"
    assert check_answer(answer, "0.36").status == "incorrect"
    unit = {"kind": "numeric", "answer": 12, "unit": "kg"}
    assert check_answer(unit, "12 kg").status == "correct"
    assert check_answer(unit, "12 g").status == "invalid"


@pytest.mark.parametrize(
    "text", ["__import__('os').system('touch /tmp/x')", "open('/etc/passwd')", "a/b"]
)
def test_issue_code_with_a_slash_is_not_called_a_fraction(text: str) -> None:
    """A slash inside a path made the reader say 'fractions are not accepted here'."""
    with pytest.raises(MathSyntaxError) as info:
        read_number(text)
    assert "fraction" not in info.value.message
    assert "not a number" in info.value.message
