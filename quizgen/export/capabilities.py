"""What each LMS format can express: one table that decides the fallbacks and words the warnings.

A bank may ask for things an LMS cannot do: check an algebraic expression, match a regular
expression, score a multi question by quizgen's rule, hold an expression part in a multi-part
question. For every (format, where, feature) the table :data:`CAPABILITIES` says whether the
format does it **natively**, **approximates** it (exported, with a warning that says what is
lost), or falls back to an **essay** graded by hand (with a warning that says where the answers
went). Rows not in the table are native.

Exporters do not decide or word these themselves: they ask :func:`review` (one answer key) or
:func:`review_multipart` (a multi-part question exported as one native question or not at
all), which record the warnings in the export's :class:`~quizgen.export.base.Notes` and return
the :class:`Support` that decides which mapping the exporter writes.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from quizgen.export.answers import (
    below_moodle_epsilon,
    moodle_grade_text,
    moodle_weights,
    numeric_target,
)
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    ExpressionKey,
    NumericKey,
    TextKey,
    Variant,
)

__all__ = [
    "CAPABILITIES",
    "FEATURES",
    "LMS",
    "Limit",
    "Lms",
    "Support",
    "limits",
    "review",
    "review_multipart",
]

Where = Literal["question", "part"]  # a whole question's key, or one part of a multipart


class Support(enum.IntEnum):
    """How a format handles a feature, from best to worst (a key's support is its worst)."""

    NATIVE = 0
    APPROXIMATED = 1  # exported, but something is lost (the warning says what)
    ESSAY = 2  # exported as an essay graded by hand


@dataclass(frozen=True)
class Lms:
    """How warnings name a format, and where its hand-graded fallback puts the answers."""

    name: str
    essay: str


LMS: dict[str, Lms] = {
    "canvas": Lms(
        "Canvas",
        "an essay question graded by hand (answers and solution in the general feedback)",
    ),
    "gift": Lms(
        "GIFT (Moodle)",
        "an essay question graded by hand (answers and solution in the general feedback)",
    ),
    "moodle": Lms(
        "Moodle",
        "an essay question graded by hand (answers and solution in the grader information)",
    ),
    "qti21": Lms(
        "QTI 2.1",
        "extended text scored by hand (answers and solution in a scorer-only rubric block)",
    ),
}


@dataclass(frozen=True)
class Limit:
    """One row's verdict: the support, why (``{lms}`` and the feature's details are filled
    in), and for an approximation what is exported instead."""

    support: Support
    reason: str
    instead: str = ""


# --- features: what an answer key asks of a format ------------------------------------------

Details = Mapping[str, Any]
_YES: Details = {}


def _expression(key: AnswerKey) -> Details | None:
    return _YES if isinstance(key, ExpressionKey) else None


def _essay(key: AnswerKey) -> Details | None:
    return _YES if isinstance(key, EssayKey) else None


def _pattern_only(key: AnswerKey) -> Details | None:
    return _YES if isinstance(key, TextKey) and not key.answers else None


def _pattern(key: AnswerKey) -> Details | None:
    return _YES if isinstance(key, TextKey) and key.answers and key.regex else None


def _case(key: AnswerKey) -> Details | None:
    return _YES if isinstance(key, TextKey) and key.answers and key.case_sensitive else None


def _multi(key: AnswerKey) -> Details | None:
    return _YES if isinstance(key, ChoiceKey) and key.kind == "multi" else None


def _multi_scoring(key: AnswerKey) -> Details | None:
    """A multi rule that Canvas's own, (right − wrong)/correct floored at 0, does not give.

    That is quizgen's ``right-minus-wrong`` exactly; ``all-or-nothing`` agrees with it only
    with one correct option (a subset of two or more right options earns credit in Canvas);
    ``partial`` also credits options rightly left out, which Canvas never does.
    """
    if not (isinstance(key, ChoiceKey) and key.kind == "multi"):
        return None
    correct = sum(o.correct for o in key.options)
    if key.scoring == "partial" or (key.scoring == "all-or-nothing" and correct > 1):
        return {"scoring": key.scoring}
    return None


def _moodle_weights(key: AnswerKey) -> Details | None:
    if not (isinstance(key, ChoiceKey) and key.kind == "multi"):
        return None
    weights = moodle_weights(key)
    if weights.exact:
        return None
    shown = ", ".join(moodle_grade_text(w) for w in weights.weights)
    return {"scoring": key.scoring, "weights": shown}


def _no_decimal(key: AnswerKey) -> Details | None:
    if isinstance(key, NumericKey):
        target = numeric_target(key)
        if not target.exact and not target.has_margin:
            return _YES
    return None


def _moodle_epsilon(key: AnswerKey) -> Details | None:
    return _YES if isinstance(key, NumericKey) and below_moodle_epsilon(key) else None


def _sigfigs(key: AnswerKey) -> Details | None:
    if isinstance(key, NumericKey) and key.require_sigfigs is not None:
        return {"sigfigs": key.require_sigfigs}
    return None


def _fractions(key: AnswerKey) -> Details | None:
    return _YES if isinstance(key, NumericKey) and key.fractions else None


def _numeric_as_text(key: AnswerKey) -> Details | None:
    if isinstance(key, NumericKey):
        target = numeric_target(key)
        if target.has_margin or not target.exact:
            return _YES
    return None


def _multipart(key: AnswerKey | None) -> Details | None:
    return _YES if key is None else None  # a multipart variant has no key of its own


FEATURES: dict[str, Callable[[Any], Details | None]] = {
    "multipart": _multipart,
    "expression": _expression,
    "essay": _essay,
    "multi": _multi,
    "text-pattern-only": _pattern_only,
    "text-pattern": _pattern,
    "text-case": _case,
    "multi-scoring": _multi_scoring,
    "multi-weights": _moodle_weights,
    "numeric-as-text": _numeric_as_text,
    "numeric-no-decimal": _no_decimal,
    "numeric-moodle-epsilon": _moodle_epsilon,
    "numeric-sigfigs": _sigfigs,
    "numeric-fractions": _fractions,
}


# --- the table -------------------------------------------------------------------------------


def _essay_row(reason: str) -> Limit:
    return Limit(Support.ESSAY, reason)


def _approx(reason: str, instead: str = "") -> Limit:
    return Limit(Support.APPROXIMATED, reason, instead)


_LISTED_ONLY = "only the listed answers are exported"
_ANY_CASE = "answers in any case are accepted"
_WEIGHTS = _approx(
    "{lms} cannot score '{scoring}' exactly; weights {weights} are the nearest it accepts"
)
# An LMS knows one numeric answer: "value ± absolute margin", typed as a decimal.
_NUMERIC = {
    "numeric-no-decimal": _approx(
        "the exact answer has no short decimal form and the tolerance is 0, so no typed number "
        "can match it in an LMS (exported to 15 significant figures); give the question a "
        "tolerance"
    ),
    "numeric-sigfigs": _approx(
        "an LMS cannot require {sigfigs} significant figures to be written; any value within "
        "half a unit of that figure is accepted"
    ),
    "numeric-fractions": _approx("an LMS numeric answer does not accept fractions such as 3/4"),
}
# Moodle's numerical questions (XML, Cloze and GIFT alike) widen every tolerance by 10^-14.
_EPSILON = {
    "numeric-moodle-epsilon": _approx(
        "Moodle widens every numeric tolerance by 10^-14, more than this answer allows",
        "values within 10^-14 of the answer are accepted",
    ),
}
_QTI21 = {
    "expression": _essay_row("{lms} cannot check algebraic expressions"),
    "text-pattern-only": _essay_row("{lms} patterns are not Python regular expressions"),
    "text-pattern": _approx("{lms} patterns are not Python regular expressions", _LISTED_ONLY),
    **_NUMERIC,
}

CAPABILITIES: dict[tuple[str, Where], dict[str, Limit]] = {
    ("canvas", "question"): {
        "expression": _essay_row("{lms} cannot check algebraic expressions"),
        "text-pattern-only": _essay_row("{lms} cannot match a regular expression"),
        "text-pattern": _approx(
            "{lms} short answers cannot match a regular expression", _LISTED_ONLY
        ),
        "text-case": _approx("{lms} short answers are not case-sensitive", _ANY_CASE),
        "multi-scoring": _approx(
            "{lms} scores multiple-answer questions as (right − wrong)/correct, floored at 0 "
            "(partial credit), not by quizgen's '{scoring}'"
        ),
        **_NUMERIC,
    },
    # A multipart variant is one item: dropdowns (choice and true/false parts) or typed blanks.
    ("canvas", "part"): {
        "expression": _essay_row("{lms} has no question with expression parts"),
        "essay": _essay_row("{lms} has no question with essay parts"),
        "multi": _essay_row("{lms} has no question with multiple-answer parts"),
        "numeric-as-text": _approx(
            "{lms} blanks compare text, so a numeric tolerance cannot be expressed",
            "the blank accepts the value rounded or cut to 1-8 significant figures within the "
            "tolerance; other values inside it score 0 in Canvas until `quizgen grade-lms` "
            "regrades them",
        ),
        "text-pattern-only": _approx(
            "{lms} blanks cannot match a regular expression", "the blank accepts no answer"
        ),
        "text-pattern": _approx("{lms} blanks cannot match a regular expression", _LISTED_ONLY),
        "text-case": _approx("{lms} blanks are not case-sensitive", _ANY_CASE),
        **_NUMERIC,
    },
    ("gift", "question"): {
        "multipart": _essay_row("{lms} has no multipart (Cloze) questions"),
        "expression": _essay_row("{lms} cannot check algebraic expressions"),
        "text-pattern-only": _essay_row("{lms} cannot match a regular expression"),
        "text-pattern": _approx(
            "{lms} short answers cannot match a regular expression", _LISTED_ONLY
        ),
        "text-case": _approx("{lms} short answers are not case-sensitive", _ANY_CASE),
        "multi-weights": _WEIGHTS,
        **_NUMERIC,
        **_EPSILON,
    },
    ("moodle", "question"): {
        "expression": _essay_row("{lms} cannot check algebraic expressions"),
        "text-pattern-only": _essay_row("{lms} cannot match a regular expression"),
        "text-pattern": _approx(
            "{lms} short answers cannot match a regular expression", _LISTED_ONLY
        ),
        "multi-weights": _WEIGHTS,
        **_NUMERIC,
        **_EPSILON,
    },
    # A multipart variant is one Cloze (multianswer) question.
    ("moodle", "part"): {
        "expression": _essay_row("{lms} Cloze has no expression sub-questions"),
        "essay": _essay_row("{lms} Cloze has no essay sub-questions"),
        "text-pattern-only": _essay_row("{lms} Cloze cannot match a regular expression"),
        "text-pattern": _approx("{lms} Cloze cannot match a regular expression", _LISTED_ONLY),
        "multi-weights": _WEIGHTS,
        **_NUMERIC,
        **_EPSILON,
    },
    # A multipart variant is one item, one interaction per part: a part falls back on its own.
    ("qti21", "question"): _QTI21,
    ("qti21", "part"): _QTI21,
}


# A multipart question exported as one LMS question whose parts the LMS weighs equally.
PART_WEIGHTS: dict[str, Limit] = {
    "canvas": _approx(
        "{lms} weighs every blank or dropdown of a question equally, not by the parts' points",
        "a student's score differs when they get parts of different points right",
    ),
}


# --- consulting the table --------------------------------------------------------------------


class _Notes(Protocol):
    def cannot_express(self, pool: Any, message: str) -> None: ...


def limits(
    fmt: str, key: AnswerKey | None, where: Where = "question"
) -> list[tuple[Limit, Details]]:
    """What ``fmt`` cannot do natively for ``key``: (row, details) in table order."""
    found = []
    for feature, limit in CAPABILITIES[fmt, where].items():
        details = FEATURES[feature](key)
        if details is not None:
            found.append((limit, details))
    return found


def _message(fmt: str, limit: Limit, details: Details, part: str = "", whole: bool = False) -> str:
    """The one wording of every warning: reason, then what was exported instead."""
    lms = LMS[fmt]
    text = limit.reason.format(lms=lms.name, **details)
    if limit.support is Support.ESSAY:
        text += f"; {'the whole question is ' if whole else ''}exported as {lms.essay}"
    elif limit.instead:
        text += f"; {limit.instead}"
    return f"part {part}: {text}" if part else text


def review(fmt: str, pool: Any, key: AnswerKey, notes: _Notes, part: str = "") -> Support:
    """Record a warning for everything ``fmt`` cannot do natively for ``key``.

    Args:
        fmt: a format name (a key of :data:`LMS`).
        pool: the question's pool (warnings are filed under its name).
        key: a question's key, or a part's (then ``part`` is its id).
        notes: where the warnings go.
        part: the part's id, for a part that the format exports on its own (QTI 2.1).

    Returns:
        The worst support: ESSAY means "export this key as an essay graded by hand".
    """
    worst = Support.NATIVE
    for limit, details in limits(fmt, key, "part" if part else "question"):
        notes.cannot_express(pool, _message(fmt, limit, details, part))
        worst = max(worst, limit.support)
    return worst


def review_multipart(fmt: str, pool: Any, variant: Variant, notes: _Notes) -> Support:
    """Record the warnings for a multipart variant that ``fmt`` exports as one question.

    If the format has no multipart questions, or a part it cannot hold, only that is said (the
    question becomes one essay, so nothing else about its parts matters); otherwise every
    part's approximations are.

    Returns:
        ESSAY when the whole question must be exported as an essay graded by hand.
    """
    whole = limits(fmt, None)
    if whole:
        for limit, details in whole:
            notes.cannot_express(pool, _message(fmt, limit, details))
        return max(limit.support for limit, _ in whole)
    found = [
        (part.id, limit, details)
        for part in variant.parts
        for limit, details in limits(fmt, part.answer, "part")
    ]
    essays = [row for row in found if row[1].support is Support.ESSAY]
    for part_id, limit, details in essays or found:
        notes.cannot_express(pool, _message(fmt, limit, details, part_id, whole=bool(essays)))
    weights = PART_WEIGHTS.get(fmt)
    if not essays and weights is not None and len({p.points for p in variant.parts}) > 1:
        notes.cannot_express(pool, _message(fmt, weights, _YES))
        found.append(("", weights, _YES))
    return max((limit.support for _, limit, _ in found), default=Support.NATIVE)
