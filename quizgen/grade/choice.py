"""Check choice, multi and true/false responses.

A choice response is an option's label (``B``, ``b``, ``(B)``, ``B.``) or the option's text
(compared without case and with whitespace collapsed). A multi response is several labels:
``"A, C"``, ``"A C"``, ``"a;c"``, ``"AC"`` or a list ``["A", "C"]`` (a list may also hold option
texts). Multi scoring, with ``n`` options of which ``C`` are correct, ``R`` correct ones picked
and ``W`` wrong ones picked:

==================  =================================================================
scoring             score
==================  =================================================================
all-or-nothing      1 if exactly the correct options are picked, else 0
right-minus-wrong   ``max(0, (R - W) / C)``
partial             share of the ``n`` options classified right (picked and correct,
                    or left out and wrong)
==================  =================================================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from quizgen.errors import MathSyntaxError
from quizgen.grade.verdict import Verdict
from quizgen.variant import ChoiceKey, OptionKey, TrueFalseKey

__all__ = ["check_choice", "check_multi", "check_truefalse", "multi_score", "read_truefalse"]

_BRACKETS = "()[]{}.:;,!?\"' "
_SEPARATORS = re.compile(r"\s*(?:[,;/&+|]|\band\b)\s*|\s+", re.IGNORECASE)
_TRUE = {"true", "t", "yes", "1"}
_FALSE = {"false", "f", "no", "0"}


def _squash(text: str) -> str:
    """Case and whitespace folded, for comparing option texts."""
    return " ".join(text.split()).casefold()


def _labels(key: ChoiceKey) -> str:
    labels = [o.label for o in key.options]
    return f"{labels[0]}–{labels[-1]}" if len(labels) > 2 else " or ".join(labels)


def _find_option(key: ChoiceKey, answer: str) -> OptionKey | None:
    """The option that ``answer`` names by label or by text, or None."""
    token = answer.strip().strip(_BRACKETS)
    for option in key.options:
        if token.casefold() == option.label.casefold():
            return option
    wanted = _squash(answer)
    return next((o for o in key.options if _squash(o.text) == wanted), None)


def _unknown(answer: str, key: ChoiceKey, within: str | None = None) -> MathSyntaxError:
    """The error for ``answer``; inside a longer response ``within``, the caret is under it."""
    message = f"not one of the options; answer with a label {_labels(key)}"
    if within is None or answer not in within:
        return MathSyntaxError(message, answer, 0, len(answer))
    return MathSyntaxError(message, within, within.find(answer), len(answer))


def check_choice(key: ChoiceKey, response: str | Sequence[str]) -> Verdict:
    """Grade a single-choice response (see the module docstring for what is accepted).

    Raises:
        MathSyntaxError: the response names no option, or more than one.
    """
    if not isinstance(response, str):
        if len(response) != 1:
            text = ", ".join(response)
            raise MathSyntaxError("choose exactly one option", text, 0, len(text))
        response = response[0]
    option = _find_option(key, response)
    if option is None:
        raise _unknown(response, key)
    if option.correct:
        return Verdict(status="correct", score=1, feedback=option.feedback or "Correct.")
    return Verdict(status="incorrect", score=0, feedback=option.feedback or "Incorrect.")


def _split_multi(key: ChoiceKey, response: str) -> list[str]:
    """The pieces of a multi response: separated labels, or glued labels such as ``AC``."""
    if _find_option(key, response) is not None:
        return [response]
    pieces = [p for p in _SEPARATORS.split(response.strip().strip(_BRACKETS)) if p]
    if len(pieces) == 1:
        labels = {o.label.casefold() for o in key.options}
        glued = pieces[0]
        if all(ch.casefold() in labels for ch in glued):
            return list(glued)
    return pieces


def read_multi(key: ChoiceKey, response: str | Sequence[str]) -> list[OptionKey]:
    """The options picked, in display order, without repeats.

    Raises:
        MathSyntaxError: a piece names no option.
    """
    pieces = _split_multi(key, response) if isinstance(response, str) else list(response)
    picked: set[str] = set()
    for piece in pieces:
        option = _find_option(key, piece)
        if option is None:
            raise _unknown(piece, key, response if isinstance(response, str) else None)
        picked.add(option.id)
    return [o for o in key.options if o.id in picked]


def multi_score(key: ChoiceKey, picked: Sequence[OptionKey]) -> float:
    """The score of picking ``picked`` under the key's scoring rule (module docstring table)."""
    chosen = {o.id for o in picked}
    n_correct = sum(o.correct for o in key.options)
    right = sum(1 for o in key.options if o.correct and o.id in chosen)
    wrong = sum(1 for o in key.options if not o.correct and o.id in chosen)
    if key.scoring == "all-or-nothing":
        return 1.0 if right == n_correct and wrong == 0 else 0.0
    if key.scoring == "right-minus-wrong":
        return max(0.0, (right - wrong) / n_correct)
    classified = sum(1 for o in key.options if o.correct == (o.id in chosen))
    return classified / len(key.options)


def check_multi(key: ChoiceKey, response: str | Sequence[str]) -> Verdict:
    """Grade a multiple-answer response with the key's scoring rule.

    Raises:
        MathSyntaxError: a piece of the response names no option.
    """
    picked = read_multi(key, response)
    score = multi_score(key, picked)
    n_correct = sum(o.correct for o in key.options)
    right = sum(o.correct for o in picked)
    notes = [o.feedback for o in picked if o.feedback and not o.correct]
    if score == 1:
        return Verdict(status="correct", score=1, feedback="Correct.", method=key.scoring)
    summary = f"{right} of {n_correct} correct options chosen, {len(picked) - right} wrong."
    feedback = "\n".join([summary, *notes])
    return Verdict(status="incorrect", score=score, feedback=feedback, method=key.scoring)


def read_truefalse(response: str | bool) -> bool:
    """``True``/``False`` from true/false/t/f/yes/no/1/0 in any case, or a bool.

    Raises:
        MathSyntaxError: anything else.
    """
    if isinstance(response, bool):
        return response
    word = response.strip().strip(_BRACKETS).casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise MathSyntaxError(
        "answer true or false (also t/f, yes/no, 1/0)", response, 0, max(1, len(response))
    )


def check_truefalse(key: TrueFalseKey, response: str | bool) -> Verdict:
    """Grade a true/false response.

    Raises:
        MathSyntaxError: the response is not a recognised true or false.
    """
    if read_truefalse(response) == key.answer:
        return Verdict(status="correct", score=1, feedback="Correct.")
    return Verdict(status="incorrect", score=0, feedback=key.feedback or "Incorrect.")
