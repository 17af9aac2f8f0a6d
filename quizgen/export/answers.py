"""Answer keys in the terms an LMS understands: decimals, absolute margins, grade weights.

Every exporter needs the same translations, so they live here once:

* a numeric key becomes a decimal value and one **absolute margin** for this variant (an LMS
  knows only "value ± margin"): the bank's absolute, relative and significant-figure
  tolerances are alternatives in :func:`quizgen.grade.numeric.accepted_by`, so the margin is
  the largest of them, computed exactly for this variant's value;
* a multi key becomes per-option weights in percent, either exact (QTI 2.1) or snapped to the
  grades Moodle accepts (:func:`moodle_weights`);
* a variant's keys become Markdown for a person grading by hand (:func:`grader_markdown`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Decimal,
    localcontext,
)
from fractions import Fraction
from functools import lru_cache
from typing import Any

import mpmath

from quizgen.bank.model import Tolerance
from quizgen.errors import QuizgenError
from quizgen.grade.predicates import decade
from quizgen.math.mp import EXACT, exact
from quizgen.math.numbers import fraction_of
from quizgen.variant import ChoiceKey, NumericKey, Variant, accepted_markdown

__all__ = [
    "MOODLE_GRADES",
    "MistakeTarget",
    "MultiWeights",
    "NumericTarget",
    "below_moodle_epsilon",
    "decimal_text",
    "exact_weights",
    "grader_markdown",
    "moodle_grade_text",
    "moodle_tolerance",
    "moodle_weights",
    "numeric_mistakes",
    "numeric_target",
    "tolerance_margin",
    "typed_forms",
]

_RATIONAL = re.compile(r"-?[0-9]+(?:/[0-9]+)?")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
WORKING_DIGITS = 30  # for irrational values, of which 15 are written
SIGNIFICANT = 15  # digits kept when a value has no short exact decimal form
MAX_EXACT_PLACES = 20
_DECIMAL_PRECISION = 200  # significant digits of decimal_text's division
# Moodle's question_bank::fraction_options(), in percent. 83.33333 stands for 250/3 and so on:
# Moodle matches a grade within 0.001 percent, so the exact thirds, sevenths and ninths work.
MOODLE_GRADES: tuple[Fraction, ...] = tuple(
    Fraction(g)
    for g in (100, 90, Fraction(250, 3), 80, 75, 70, Fraction(200, 3), 60, 50, 40,
              Fraction(100, 3), 30, 25, 20, Fraction(50, 3), Fraction(100, 7), Fraction(25, 2),
              Fraction(100, 9), 10, 5, 0)
)  # fmt: skip


# --- numbers ---------------------------------------------------------------------------------


def _places(q: Fraction) -> int | None:
    """Decimal places of ``q`` when its expansion terminates, else None."""
    d = q.denominator
    twos = (d & -d).bit_length() - 1  # the factors 2 at once: a float's value has dozens
    d >>= twos
    fives = 0
    while d % 5 == 0:
        d //= 5
        fives += 1
    return max(twos, fives) if d == 1 else None


@lru_cache(maxsize=4096)
def decimal_text(q: Fraction, rounding: str = ROUND_HALF_EVEN) -> str:
    """``q`` as a plain decimal (never an exponent), exact when it is short enough.

    A value with a terminating expansion of at most 20 places is written exactly; anything
    else is rounded to 15 significant figures in the direction ``rounding`` (a
    :mod:`decimal` rounding mode), so bounds can be rounded outwards.
    """
    if q.denominator == 1:
        return str(q.numerator)
    places = _places(q)
    if places is not None and places <= MAX_EXACT_PLACES:
        # Written out with integers: the digits the division below gives exactly, unless
        # there are more than it keeps.
        digits = str(abs(q.numerator) * (10**places // q.denominator))
        if len(digits) <= _DECIMAL_PRECISION:
            digits = digits.rjust(places + 1, "0")
            sign = "-" if q < 0 else ""
            return f"{sign}{digits[:-places]}.{digits[-places:]}"
    with localcontext() as ctx:
        ctx.prec = _DECIMAL_PRECISION
        value = Decimal(q.numerator) / Decimal(q.denominator)
        if not (places is not None and -value.as_tuple().exponent <= MAX_EXACT_PLACES):
            digits = value.adjusted() + 1
            value = value.quantize(Decimal(1).scaleb(digits - SIGNIFICANT), rounding=rounding)
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def tolerance_margin(
    tolerance: Tolerance, value: Fraction, require_sigfigs: int | None
) -> Fraction:
    """The absolute margin that a numeric key's tolerance allows around ``value``.

    The rules are alternatives, as in the grader, so the widest one wins: ``absolute``,
    ``relative × |value|``, and half a unit in the n-th significant figure for ``sigfigs``
    (and for ``require_sigfigs``). No rule means an exact answer (margin 0).
    """
    absolute, relative = _tolerance_fractions(tolerance)
    margins = [_ZERO]
    if absolute is not None:
        margins.append(absolute)
    if relative is not None:
        margins.append(relative * abs(value))
    for n in (tolerance.sigfigs, require_sigfigs):
        if n is not None and value != 0:
            margins.append(_half_power_of_ten(decade(value) - n + 1))
    return max(margins)


_ZERO = Fraction(0)


def _half_power_of_ten(exponent: int) -> Fraction:
    """``10**exponent / 2``, made from integers (Fraction's power and division cost more)."""
    if exponent >= 0:
        return Fraction(10**exponent, 2)
    return Fraction(1, 2 * 10**-exponent)


@lru_cache(maxsize=256)
def _tolerance_fractions(tolerance: Tolerance) -> tuple[Fraction | None, Fraction | None]:
    """A bank tolerance's absolute and relative parts as exact decimals (0.01 is 1/100)."""
    absolute = None if tolerance.absolute is None else fraction_of(tolerance.absolute)
    relative = None if tolerance.relative is None else fraction_of(tolerance.relative)
    return absolute, relative


@dataclass(frozen=True)
class NumericTarget:
    """One numeric key as "value ± margin", all as decimal text.

    Attributes:
        value: the answer as a decimal.
        margin: the absolute margin (rounded up), ``"0"`` for an exact answer.
        low: ``value - margin`` rounded down.
        high: ``value + margin`` rounded up.
        exact: False when ``value`` only approximates the answer (1/3, sqrt(2)): with a margin
            of 0 an LMS could then never accept a typed number.
    """

    value: str
    margin: str
    low: str
    high: str
    exact: bool

    @property
    def has_margin(self) -> bool:
        return self.margin != "0"


@lru_cache(maxsize=4096)
def _target(value: str) -> Fraction:
    """A key text's value: exact when rational, else to 30 significant digits.

    An LMS gets 15 significant figures, so an irrational value (``tanh(4/5)``) is evaluated
    numerically: its numbers become placeholder names (``-tanh(4/5)`` → ``-tanh(qa/qb)``), the
    skeleton is parsed and compiled once by the safe parser and the one evaluator (cached:
    the variants of a question share it), and the value is rounded to 30 digits by mpmath,
    which gives the same digits on every platform (the C library's ``math.tanh`` need not).

    Raises:
        QuizgenError: the text does not parse.
        ValueError, ArithmeticError: it has no real value.
    """
    if _RATIONAL.fullmatch(value):
        return _rational(value)
    numbers = _NUMBER.findall(value)
    names = [_placeholder(i) for i in range(len(numbers))]
    pieces = iter(names)
    skeleton = _NUMBER.sub(lambda _: next(pieces), value)
    env = dict(zip(names, (exact(Fraction(n)) for n in numbers), strict=True))
    return _working_digits(_skeleton_fn(skeleton, len(names))(env))


def _working_digits(value: Any) -> Fraction:
    """A value rounded to :data:`WORKING_DIGITS` significant digits."""
    with mpmath.workdps(WORKING_DIGITS):
        if isinstance(value, EXACT):
            value = mpmath.mpf(value.numerator) / value.denominator
        number = mpmath.mpf(value)
        return Fraction(mpmath.nstr(number, WORKING_DIGITS, min_fixed=-999, max_fixed=999))


def _placeholder(i: int) -> str:
    """``qa``, ``qb``, …, ``qz``, ``qba``, …: names without digits, for number slots."""
    letters = ""
    while True:
        letters = "abcdefghijklmnopqrstuvwxyz"[i % 26] + letters
        i //= 26
        if not i:
            return "q" + letters


@lru_cache(maxsize=1024)
def _skeleton_fn(skeleton: str, count: int) -> Callable[[dict[str, Any]], Any]:
    from quizgen.math.evaluate import compile_expr  # sympy: only for a computed answer
    from quizgen.math.parse import parse_math

    names = [_placeholder(i) for i in range(count)]
    return compile_expr(parse_math(skeleton, names, split_names=False))


def numeric_target(key: NumericKey) -> NumericTarget:
    """The key's value and the absolute margin of its tolerance for this variant."""
    return _numeric_target(key.value, key.approx, key.tolerance, key.require_sigfigs)


@lru_cache(maxsize=4096)
def _numeric_target(
    text: str, approx: float, tolerance: Tolerance, require_sigfigs: int | None
) -> NumericTarget:
    value = _key_value(text, approx)
    margin = tolerance_margin(tolerance, value, require_sigfigs)
    places = _places(value)
    exact = places is not None and places <= MAX_EXACT_PLACES
    return NumericTarget(
        value=decimal_text(value),
        margin=decimal_text(margin, ROUND_CEILING),
        low=decimal_text(value - margin, ROUND_FLOOR),
        high=decimal_text(value + margin, ROUND_CEILING),
        exact=exact,
    )


# Moodle's numerical question widens every tolerance by 10^-(PHP precision) = 10^-14
# (qtype_numerical_answer::get_tolerance_interval, MDL-3225), Cloze and GIFT included.
MOODLE_EPSILON = Fraction(1, 10**14)
EPSILON_MATTERS = 1000  # below 1000 epsilons a margin is written less the epsilon


def moodle_tolerance(margin: str) -> str:
    """The ``<tolerance>`` to write so that Moodle's window is the grader's ``margin``.

    Moodle accepts ``|x − value| <= tolerance + 10^-14``. That is negligible beside a margin
    of 10^-11 or more (kept as it is); a smaller margin is written less the 10^-14, so that a
    value of 3.7e-12 ± 1 % is not accepted 27 % wider. A margin of 10^-14 or less cannot be
    written (Moodle always allows that much; the capability table warns).
    """
    value = Fraction(margin)
    if value >= EPSILON_MATTERS * MOODLE_EPSILON or value <= MOODLE_EPSILON:
        return margin
    return decimal_text(value - MOODLE_EPSILON, ROUND_FLOOR)


def below_moodle_epsilon(key: NumericKey) -> bool:
    """Moodle's 10^-14 widening is more than this key allows: its margin is at most 10^-14,
    or it is exact and so small that 10^-14 is more than a millionth of it."""
    value = _key_value(key.value, key.approx)
    margin = tolerance_margin(key.tolerance, value, key.require_sigfigs)
    if margin:
        return margin <= MOODLE_EPSILON
    return value != 0 and abs(value) * Fraction(1, 10**6) < MOODLE_EPSILON


TYPED_FIGURES = range(1, 9)  # the significant figures a student types, 1 to 8
# How students shorten a value: rounding half up (as taught), half to even, or cutting digits.
TYPED_ROUNDINGS = (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN)


def typed_forms(key: NumericKey) -> tuple[str, ...]:
    """What a student types for ``key`` within its tolerance, for an LMS that compares text.

    The key's value rounded (half up, half to even) or cut to 1-8 significant figures, as a
    plain decimal with its trailing zeros (``2.00`` is 3 figures), kept when it lies within
    the key's margin; in order of figures, without repeats. A key without a margin gets none
    (its value and display are all it accepts).
    """
    return _typed_forms(key.value, key.approx, key.tolerance, key.require_sigfigs)


@lru_cache(maxsize=4096)
def _typed_forms(
    text: str, approx: float, tolerance: Tolerance, require_sigfigs: int | None
) -> tuple[str, ...]:
    value = _key_value(text, approx)
    margin = tolerance_margin(tolerance, value, require_sigfigs)
    if margin == 0 or value == 0:
        return ()
    found: dict[str, None] = {}
    top = decade(value)
    with localcontext() as ctx:
        ctx.prec = 200  # typed forms have at most 8 figures: 200 digits decide every bound

        def decimal(q: Fraction) -> Decimal:
            return Decimal(q.numerator) / Decimal(q.denominator)

        exact_value, low, high = decimal(value), decimal(value - margin), decimal(value + margin)
        for figures in TYPED_FIGURES:
            quantum = Decimal(1).scaleb(top - figures + 1)
            for rounding in TYPED_ROUNDINGS:
                typed = exact_value.quantize(quantum, rounding=rounding)
                if low <= typed <= high:
                    found.setdefault(format(typed, "f"), None)
    return tuple(found)


def _key_value(text: str, approx: float) -> Fraction:
    """A key's value; an irrational one through the solver's float of it (correctly rounded
    by sympy, so the same on every platform): 15 written digits need no more."""
    return _rational(text) if _RATIONAL.fullmatch(text) else Fraction(approx)


def _rational(text: str) -> Fraction:
    """``Fraction(text)`` of a text that matches ``_RATIONAL``, from its integers (parsing the
    text as Fraction does costs several times more)."""
    numerator, _, denominator = text.partition("/")
    return Fraction(int(numerator), int(denominator)) if denominator else Fraction(int(numerator))


def _mistake_value(text: str, display: str) -> Fraction:
    """A mistake's value; its display form if its exact text does not parse back.

    (The solver writes sympy's names, e.g. ``Abs``, which the safe parser does not accept.)
    """
    try:
        return _target(text)
    except (QuizgenError, ValueError, ArithmeticError, KeyError):
        return Fraction(display)


@dataclass(frozen=True)
class MistakeTarget:
    """A declared mistake as "value ± margin" (the key's tolerance, centred on the mistake)."""

    value: str
    margin: str
    display: str
    feedback: str


def numeric_mistakes(key: NumericKey) -> tuple[MistakeTarget, ...]:
    """The key's mistakes that a response can match, as decimals with their margins.

    The grader checks the correct answer first, so a mistake within its tolerance never gives
    feedback; such mistakes are left out. A mistake is matched with the key's own tolerance
    rules, centred on the mistake's value.
    """
    rows = tuple((m.value, m.display, m.feedback) for m in key.mistakes)
    return _numeric_mistakes(key.value, key.approx, key.tolerance, key.require_sigfigs, rows)


@lru_cache(maxsize=4096)
def _numeric_mistakes(
    text: str,
    approx: float,
    tolerance: Tolerance,
    require_sigfigs: int | None,
    rows: tuple[tuple[str, str, str], ...],
) -> tuple[MistakeTarget, ...]:
    value = _key_value(text, approx)
    margin = tolerance_margin(tolerance, value, require_sigfigs)
    found = []
    for mistake_text, display, feedback in rows:
        mistake = _mistake_value(mistake_text, display)
        if abs(mistake - value) <= margin:
            continue
        own = tolerance_margin(tolerance, mistake, require_sigfigs)
        found.append(
            MistakeTarget(
                decimal_text(mistake), decimal_text(own, ROUND_CEILING), display, feedback
            )
        )
    return tuple(found)


# --- multi weights ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MultiWeights:
    """Percent weights for the options of a multi key, in the key's option order.

    Attributes:
        weights: one weight per option (positive for correct options).
        offset: percent earned for picking nothing (only quizgen's ``partial`` rule has one).
        exact: whether selecting options and adding the weights (floored at 0) gives
            exactly the key's scoring rule.
    """

    weights: tuple[Fraction, ...]
    offset: Fraction = Fraction(0)
    exact: bool = True


def exact_weights(key: ChoiceKey) -> MultiWeights:
    """Additive weights that reproduce the key's scoring rule exactly.

    ``right-minus-wrong`` is ``+100/C`` per correct and ``-100/C`` per wrong option, floored
    at 0; ``partial`` is ``+100/n`` per correct and ``-100/n`` per wrong option plus an offset
    of ``100·(n-C)/n`` (the options left out rightly). ``all-or-nothing`` is not additive: the
    weights returned are those of right-minus-wrong with ``exact=False``.
    """
    n, c = len(key.options), sum(o.correct for o in key.options)
    if key.scoring == "partial":
        step = Fraction(100, n)
        weights = tuple(step if o.correct else -step for o in key.options)
        return MultiWeights(weights, offset=Fraction(100 * (n - c), n))
    step = Fraction(100, c)
    weights = tuple(step if o.correct else -step for o in key.options)
    return MultiWeights(weights, exact=key.scoring == "right-minus-wrong")


def moodle_weights(key: ChoiceKey) -> MultiWeights:
    """Weights from Moodle's grade list whose positive part sums to exactly 100.

    Correct options share 100 as evenly as the list allows (:func:`split_hundred`); a wrong
    option gets the allowed negative grade nearest to the exact rule's (``-100/C`` for
    right-minus-wrong, ``-100/n`` for partial), and ``-100`` for all-or-nothing. ``exact``
    is False when a grade had to be approximated, when the rule is all-or-nothing (Moodle
    gives credit for a subset of the right options) or partial (Moodle has no credit for
    options rightly left out).
    """
    ideal = exact_weights(key)
    correct = [o.correct for o in key.options]
    shares = iter(split_hundred(sum(correct)))
    wrong = next((w for w, ok in zip(ideal.weights, correct, strict=True) if not ok), Fraction(0))
    # All-or-nothing is nearest with any wrong pick cancelling everything.
    penalty = Fraction(-100) if key.scoring == "all-or-nothing" else -nearest_grade(-wrong)
    weights = tuple(next(shares) if ok else penalty for ok in correct)
    same = all(a == b for a, b in zip(weights, ideal.weights, strict=True))
    return MultiWeights(weights, exact=same and ideal.exact and ideal.offset == 0)


def nearest_grade(percent: Fraction) -> Fraction:
    """The grade of :data:`MOODLE_GRADES` nearest to a non-negative ``percent``."""
    return min(MOODLE_GRADES, key=lambda g: (abs(g - percent), -g))


@lru_cache(maxsize=64)
def split_hundred(count: int) -> tuple[Fraction, ...]:
    """``count`` Moodle grades summing to exactly 100, as near ``100/count`` each as can be.

    "Nearest" means the smallest largest deviation from ``100/count``, then the smallest sum
    of squared deviations; the result is in descending order. ``count`` 1–10 and 20 give equal
    shares; above 20 some options must get 0 (Moodle's smallest positive grade is 5).
    """
    if count < 1:
        return ()
    ideal = Fraction(100, count)
    usable = [g for g in MOODLE_GRADES if g > 0 or count > 20]
    for limit in sorted({abs(g - ideal) for g in usable}):
        allowed = tuple(sorted((g for g in usable if abs(g - ideal) <= limit), reverse=True))
        splits = list(_exact_sums(allowed, count, Fraction(100)))
        if splits:
            return min(splits, key=lambda s: (sum((g - ideal) ** 2 for g in s), [-g for g in s]))
    raise ValueError(f"no Moodle grades split 100 into {count} parts")  # pragma: no cover


def _exact_sums(
    grades: tuple[Fraction, ...], count: int, total: Fraction
) -> Iterator[tuple[Fraction, ...]]:
    """Every non-increasing choice of ``count`` grades (from ``grades``) summing to ``total``."""
    if count == 0:
        if total == 0:
            yield ()
        return
    for i, g in enumerate(grades):
        if g * count < total:
            break  # the rest are smaller still
        if g <= total:
            for rest in _exact_sums(grades[i:], count - 1, total - g):
                yield (g, *rest)


def moodle_grade_text(percent: Fraction) -> str:
    """A Moodle grade as Moodle writes it: ``100``, ``33.33333``, ``-14.28571``."""
    text = f"{float(percent):.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


# --- words for graders -----------------------------------------------------------------------


def grader_markdown(variant: Variant) -> str:
    """What a person grading this variant by hand needs: each answer, then the solution."""
    lines = []
    for part_id, key, points in variant.gradable():
        label = f"Part {part_id}" if part_id else "Answer"
        lines.append(f"- **{label}** ({points:g} pt): {accepted_markdown(key)}")
    text = "\n".join(lines)
    if variant.solution:
        text += "\n\n" + variant.solution
    return text
