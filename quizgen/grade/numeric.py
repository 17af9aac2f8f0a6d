"""Check a numeric response: read the number a person typed, then compare it exactly.

Reading is strict and done here, not by the formula parser: a numeric answer is a number,
not a calculation. Accepted forms (``docs/grading.md`` has the full table):

* ``20362``, ``-3.5``, ``+0.25``, ``.5``, ``5.``, with ``−`` (U+2212) as a minus sign and
  full-width digits (``２０３６２``) read as digits, as the formula parser does;
* scientific notation ``1.5e3``, ``1.5E-3``, ``1.5×10^3``, ``1.5*10^3``, ``1.5x10**-3``,
  ``1.5·10^(−3)``, ``1.5×10⁻³`` and a bare ``10^3``;
* thousands separators in the whole part, in groups of exactly three digits: ``20,362``,
  ``20 362`` (space, no-break or thin space). SI-style spaces may also group the decimals
  (``3.141 59``). A comma with other grouping (``3,14``) is refused with a message, never
  read as a decimal comma; ``_`` is refused;
* a fraction ``3/4`` or ``-3/4`` only when the question sets ``fractions: true``;
* the question's unit after the number (``12 kg`` when ``unit: kg``); another unit is refused.

``nan``, ``inf`` and ``∞`` are refused as not finite. A refused response is *invalid* (a
format error, with a caret), never *incorrect*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from quizgen.errors import MathSyntaxError
from quizgen.grade.predicates import (
    equal,
    sigfig_bounds,
    within_absolute,
    within_relative,
    within_sigfigs,
)
from quizgen.grade.verdict import Verdict
from quizgen.math.numbers import fraction_of
from quizgen.variant import NumericKey

__all__ = ["NumberRead", "check_numeric", "exact_target", "read_number"]

MAX_DIGITS = 100
MAX_EXPONENT = 1000
TARGET_DIGITS = 60  # irrational keys are compared through a 60-digit rational

CORRECT = "Correct."
INCORRECT = "Incorrect."

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
# Same-length replacements, so offsets into the original stay right: minus signs, the spaces
# that group digits, and full-width digits and signs (as CJK keyboards type them).
_SAME_LENGTH = str.maketrans(
    {
        "−": "-",
        "\u2009": " ",
        "\u202f": " ",
        "\u00a0": " ",
        **{chr(ord(c) + 0xFEE0): c for c in "0123456789+-.,/"},
    }
)
_NUMBER = re.compile(
    r"""
    (?P<sign>[+-])?\ *
    (?:
        (?P<bare>10)\ *(?:\^|\*\*)\ *(?P<bare_exp>\(\ *[+-]?[0-9]+\ *\)|[+-]?[0-9]+)
      | (?P<whole>[0-9](?:[0-9 ,]*[0-9])?)?
        (?:(?P<point>\.)(?P<frac>[0-9](?:[0-9 ]*[0-9])?)?)?
        (?:
            [eE](?P<e_exp>[+-]?[0-9]+)
          | \ *[×x*·⋅]\ *10\ *(?:\^|\*\*)\ *(?P<pow_exp>\(\ *[+-]?[0-9]+\ *\)|[+-]?[0-9]+)
          | \ *[×x*·⋅]\ *10(?P<sup_exp>[⁻⁺]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)
        )?
    )
    """,
    re.VERBOSE,
)
_FRACTION = re.compile(r"(?P<sign>[+-])?\ *(?P<num>[0-9]+)\ */\ *(?P<den>[0-9]+)")
_NOT_FINITE = {"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "∞", "-∞"}


@dataclass(frozen=True)
class NumberRead:
    """A number read from a response: its exact value and the digits written."""

    value: Fraction
    mantissa: str | None  # the decimal digits as written (for significant figures), or None
    #                       for a fraction


def _refuse(message: str, text: str, offset: int, width: int = 1) -> MathSyntaxError:
    return MathSyntaxError(message, text, offset, width)


def _strip_unit(text: str, unit: str | None) -> str:
    """``text`` without the key's unit at its end (the unit is optional)."""
    if unit:
        body = text.rstrip()
        if body.endswith(unit) and body[: -len(unit)].strip():
            return body[: -len(unit)].rstrip()
    return text


def _exponent(text: str | None, original: str, offset: int) -> int:
    if not text:
        return 0
    digits = text.strip("() ").replace(" ", "").translate(_SUPERSCRIPTS)
    if len(digits.lstrip("+-").lstrip("0")) > 6:  # also keeps int() far from its digit limit
        raise _refuse(f"exponent too large (at most {MAX_EXPONENT})", original, offset)
    return int(digits)


def _check_grouping(original: str, part: str, start: int, *, decimals: bool) -> str:
    """Digits of ``part`` with its separators removed, if they group by threes."""
    for sep in ", ":
        if sep in part:
            other = " " if sep == "," else ","
            if other in part:
                offset = start + part.index(other)
                raise _refuse("mixed digit separators; write the digits together", original, offset)
            groups = part.split(sep)
            inner = groups[:-1] if decimals else groups[1:]
            outer = groups[-1] if decimals else groups[0]
            if any(len(g) != 3 for g in inner) or not 1 <= len(outer) <= 3:
                offset = start + part.index(sep)
                if sep == ",":
                    msg = (
                        "a comma can only separate thousands (20,362); "
                        "write decimals with a point (3.14)"
                    )
                else:
                    msg = "a space can only separate groups of three digits (20 362)"
                raise _refuse(msg, original, offset)
            return part.replace(sep, "")
    return part


def _read_fraction(original: str, text: str, allowed: bool, lead: int) -> NumberRead:
    slash = lead + text.index("/")
    if not allowed:
        raise _refuse("fractions are not accepted here; give a decimal number", original, slash)
    match = _FRACTION.fullmatch(text)
    if match is None:
        raise _refuse("a fraction is written as two whole numbers: 3/4", original, slash)
    num, den = match["num"], match["den"]
    if len(num) + len(den) > MAX_DIGITS:
        raise _refuse(f"too many digits (at most {MAX_DIGITS})", original, lead, len(text))
    if int(den) == 0:
        raise _refuse("division by zero", original, slash)
    value = Fraction(int(num), int(den))
    return NumberRead(-value if match["sign"] == "-" else value, None)


def _unexpected(original: str, body: str, lead: int, unit: str | None) -> MathSyntaxError:
    """The error for text that is not a number, with the caret at the first bad character."""
    prefix = _NUMBER.match(body)
    has_digits = prefix is not None and any(prefix[g] for g in ("bare", "whole", "frac"))
    offset = prefix.end() if has_digits else 0
    while offset > 0 and body[offset - 1] == " ":
        offset -= 1
    offset = min(offset, len(body) - 1)
    char = body[offset]
    rest = body[offset:].strip()
    if char == "_" and offset > 0 and body[offset - 1].isdigit():  # 20_362
        return _refuse("write the number without '_'", original, lead + offset)
    if char == ",":
        return _refuse("a comma can only separate thousands (20,362)", original, lead + offset)
    if offset > 0 and rest[:1] in ("e", "E") and not rest[1:].strip(" +-").isalpha():
        return _refuse("an exponent needs digits, as in 1.5e3", original, lead + offset)
    if offset > 0 and rest and (rest[0].isalpha() or rest[0] in "%°µΩ$€£"):
        if unit is None:
            return _refuse("give a number only, without a unit", original, lead + offset)
        return _refuse(f"expected the unit {unit!r} (or no unit)", original, lead + offset)
    return _refuse(f"not a number: unexpected {char!r}", original, lead + offset)


# Only text made of number characters is read as p/q; anything else ('__import__(…)/x')
# gets the general "not a number" message, not one about fractions.
_FRACTION_LIKE = re.compile(r"[\s\d.,+\-/eE]+")


def read_number(text: str, *, fractions: bool = False, unit: str | None = None) -> NumberRead:
    """Read a numeric response exactly.

    Args:
        text: what the student typed.
        fractions: accept ``p/q``.
        unit: the key's unit, allowed (not required) after the number.

    Raises:
        MathSyntaxError: not a number in an accepted form; the offset points at the problem.
    """
    original = text
    text = text.translate(_SAME_LENGTH)
    lead = len(text) - len(text.lstrip())
    body = _strip_unit(text, unit).strip()
    if body.casefold() in _NOT_FINITE:
        raise _refuse("not a finite number", original, lead, len(body))
    if not body:
        raise _refuse("no number given", original, 0)
    if "/" in body and _FRACTION_LIKE.fullmatch(body):
        return _read_fraction(original, body, fractions, lead)
    match = _NUMBER.fullmatch(body)
    if match is None or not (match["bare"] or match["whole"] or match["frac"]):
        raise _unexpected(original, body, lead, unit)
    return _number_from(match, original, body, lead)


def _number_from(match: re.Match[str], original: str, body: str, lead: int) -> NumberRead:
    sign = -1 if match["sign"] == "-" else 1
    exp_at = lead + max(match.start(g) for g in ("bare_exp", "e_exp", "pow_exp", "sup_exp"))
    if match["bare"]:
        exponent, whole, frac = _exponent(match["bare_exp"], original, exp_at), "1", ""
        mantissa = None
    else:
        start = lead + (match.start("whole") if match["whole"] else 0)
        whole = _check_grouping(original, match["whole"] or "", start, decimals=False)
        fstart = lead + (match.start("frac") if match["frac"] else 0)
        frac = _check_grouping(original, match["frac"] or "", fstart, decimals=True)
        exponent = _exponent(
            match["e_exp"] or match["pow_exp"] or match["sup_exp"], original, exp_at
        )
        mantissa = (whole or "0") + ("." + frac if match["point"] else "")
    if len(whole) + len(frac) > MAX_DIGITS:
        raise _refuse(f"too many digits (at most {MAX_DIGITS})", original, lead, len(body))
    if abs(exponent) > MAX_EXPONENT:
        raise _refuse(f"exponent too large (at most {MAX_EXPONENT})", original, exp_at)
    digits = int((whole or "0") + frac)
    value = Fraction(digits) * Fraction(10) ** (exponent - len(frac))
    return NumberRead(sign * value, mantissa)


# --- the key side ----------------------------------------------------------------------------

_RATIONAL_TEXT = re.compile(r"-?[0-9]+(?:/[0-9]+)?")


@lru_cache(maxsize=1024)
def exact_target(value: str) -> Fraction:
    """The key's exact value as a Fraction (60 significant digits when irrational).

    ``value`` is the key's text (``'20362'``, ``'59049/100000'``, ``'exp(-1)'``), read with
    ``Fraction`` when rational and with the safe parser otherwise.

    Raises:
        MathSyntaxError: the key text does not parse.
        ValueError: the key is not a finite real number.
    """
    if _RATIONAL_TEXT.fullmatch(value):
        return Fraction(value)
    # Imported here: sympy costs about a second to load, and most keys are rational.
    import sympy

    from quizgen.math.parse import parse_math

    expr = parse_math(value, (), split_names=False)
    if expr.free_symbols or not expr.is_finite or expr.is_real is False:
        raise ValueError("the answer key is not a finite real number")
    if expr.is_Rational:
        return Fraction(int(expr.p), int(expr.q))
    approx = sympy.N(expr, TARGET_DIGITS)
    if not approx.is_Float:
        raise ValueError("the answer key is not a finite real number")
    return Fraction(str(approx))


# --- the check ---------------------------------------------------------------------------------


def accepted_by(x: Fraction, target: Fraction, key: NumericKey) -> str | None:
    """Name of the first tolerance rule that accepts ``x``, or None.

    The rules given in the key's tolerance are alternatives (the most lenient wins); with none
    given the value must be exact. ``require_sigfigs: n`` also accepts a value correct to n
    significant figures, since asking for n figures of 2/3 could not be met otherwise.
    """
    tol = key.tolerance
    rules: list[tuple[str, bool]] = []
    if tol.absolute is not None:
        rules.append(("absolute", within_absolute(x, target, fraction_of(tol.absolute))))
    if tol.relative is not None:
        rules.append(("relative", within_relative(x, target, fraction_of(tol.relative))))
    if tol.sigfigs is not None:
        rules.append(("sigfigs", within_sigfigs(x, target, tol.sigfigs)))
    if key.require_sigfigs is not None:
        rules.append(("sigfigs", within_sigfigs(x, target, key.require_sigfigs)))
    if not rules:
        rules.append(("exact", equal(x, target)))
    return next((name for name, ok in rules if ok), None)


def _figures(n: int | str) -> str:
    return f"{n} significant figure" + ("" if str(n) == "1" else "s")


def _sigfigs_message(read: NumberRead, n: int) -> str | None:
    """Why the digits written do not show ``n`` significant figures, or None when they do."""
    if read.mantissa is None:
        return f"The value is right, but give it as a decimal with {_figures(n)}."
    low, high = sigfig_bounds(read.mantissa)
    if low <= n <= high:
        return None
    written = str(low) if low == high else f"{low} to {high}"
    return f"The value is right, but give it to {_figures(n)} (you gave {written})."


def _rounded_elsewhere(read: NumberRead, target: Fraction, n: int) -> str | None:
    """The message for a value right to the figures written, but not to the ``n`` asked."""
    if read.mantissa is None or read.value == 0:
        return None
    low, _ = sigfig_bounds(read.mantissa)
    if low < n and within_sigfigs(read.value, target, low):
        return f"The value is right to {_figures(low)}; give it to {_figures(n)}."
    return None


def _mistake_verdict(x: Fraction, key: NumericKey) -> Verdict | None:
    for i, mistake in enumerate(key.mistakes):
        try:
            target = exact_target(mistake.value)
        except (MathSyntaxError, ValueError):
            continue
        if accepted_by(x, target, key) is not None:
            return Verdict(
                status="incorrect", score=0, feedback=mistake.feedback, method="mistake", mistake=i
            )
    return None


def check_numeric(key: NumericKey, response: str) -> Verdict:
    """Grade ``response`` against a numeric key.

    Raises:
        MathSyntaxError: the response is not a number in an accepted form.
    """
    read = read_number(response, fractions=key.fractions, unit=key.unit)
    target = exact_target(key.value)
    rule = accepted_by(read.value, target, key)
    if rule is None:
        return _wrong(read, target, key, response)
    if key.require_sigfigs is not None:
        message = _sigfigs_message(read, key.require_sigfigs)
        if message is not None:
            return Verdict(status="incorrect", score=0, feedback=message, method="sigfigs-written")
    method = "exact" if read.value == target else rule
    return Verdict(status="correct", score=1, feedback=CORRECT, method=method)


# '20.362' typed for 20362: one point, exactly three digits after it, no exponent.
_THOUSANDS_POINT = re.compile(r"\s*[+-]?\d{1,3}\.\d{3}\s*")


def _decimal_point_message(response: str, read: NumberRead, key: NumericKey) -> str | None:
    """'a point is a decimal point; …' when the answer is right read with the point as a
    thousands separator (20.362 for 20362), as in many European countries."""
    if not _THOUSANDS_POINT.fullmatch(response):
        return None
    target = exact_target(key.value)
    as_thousands = read.value * 1000
    if accepted_by(as_thousands, target, key) is None:
        return None
    whole = response.strip().replace(".", "")
    grouped = f"{int(whole):,}"
    return f"A point is a decimal point; for thousands write {whole} or {grouped}."


def _wrong(read: NumberRead, target: Fraction, key: NumericKey, response: str = "") -> Verdict:
    mistake = _mistake_verdict(read.value, key)
    if mistake is not None:
        return mistake
    message = _decimal_point_message(response, read, key)
    if message is not None:
        return Verdict(status="incorrect", score=0, feedback=message, method="numeric")
    if key.require_sigfigs is not None:
        message = _rounded_elsewhere(read, target, key.require_sigfigs)
        if message is not None:
            return Verdict(status="incorrect", score=0, feedback=message, method="sigfigs-written")
    return Verdict(status="incorrect", score=0, feedback=INCORRECT, method="numeric")
