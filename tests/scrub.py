"""Papers with every secret changed: what a paper may show is what stays the same."""

from __future__ import annotations

from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    ExpressionKey,
    NumericKey,
    Paper,
    TextKey,
    TrueFalseKey,
    Variant,
)


def scrubbed(paper: Paper, marker: str = "X") -> Paper:
    """``paper`` with every answer, correct flag, tolerance, feedback, rubric and solution
    changed (texts become ``marker``); prompts, option texts, numbering and points stay."""
    return paper.model_copy(update={"variants": [_scrub(v, marker) for v in paper.variants]})


def _scrub(variant: Variant, marker: str) -> Variant:
    parts = [
        p.model_copy(update={"solution": marker, "answer": _scrub_key(p.answer, marker)})
        for p in variant.parts
    ]
    answer = _scrub_key(variant.answer, marker) if variant.answer is not None else None
    return variant.model_copy(update={"solution": marker, "answer": answer, "parts": parts})


def _scrub_key(key: AnswerKey, marker: str) -> AnswerKey:
    if isinstance(key, NumericKey):
        return key.model_copy(
            update={
                "value": "7",
                "approx": 7.0,
                "display": "7",
                "mistakes": [],
                "tolerance": key.tolerance.model_copy(update={"absolute": 5}),
            }
        )
    if isinstance(key, ExpressionKey):
        return key.model_copy(update={"value": "1", "latex": "1", "mistakes": []})
    if isinstance(key, ChoiceKey):
        options = [
            o.model_copy(update={"correct": not o.correct, "feedback": marker}) for o in key.options
        ]
        scoring = "partial" if key.scoring != "partial" else "all-or-nothing"
        return key.model_copy(update={"options": options, "scoring": scoring})
    if isinstance(key, TrueFalseKey):
        return key.model_copy(update={"answer": not key.answer, "feedback": marker})
    if isinstance(key, TextKey):
        return key.model_copy(
            update={
                "answers": [marker],
                "regex": marker,
                "mistakes": [],
                "case_sensitive": not key.case_sensitive,
            }
        )
    if isinstance(key, EssayKey):
        return key.model_copy(update={"rubric": marker})
    raise TypeError(key)
