"""``quizgen check``: prove a bank works before a student ever sees it.

For each question: compile it (every formula and template), draw N variants (every template
renders, every answer computes, options are distinct), verify each author ``example``, grade
each variant's own answer (must score 1) and each declared mistake (must not), grade what a
careful student who rounds as the solution shows would type (:mod:`quizgen.check_rounding`;
must score 1 in every variant), warn about Markdown the renderer will not show as meant
(:mod:`quizgen.check_markup`), and count the distinct variants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from quizgen.bank.model import Bank, Example
from quizgen.check_markup import MarkupLint
from quizgen.check_rounding import RoundingSweep
from quizgen.errors import BankError, BankErrors, CheckRefused
from quizgen.generate.compile import CompiledQuestion, compile_question
from quizgen.generate.params import ConstraintError
from quizgen.generate.solve import draw_variant
from quizgen.math.numbers import fraction_of
from quizgen.rng import stream_for
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    NumericKey,
    Variant,
    typed_answer,
    typed_mistake,
)

__all__ = [
    "BankReport",
    "CheckRefused",
    "QuestionReport",
    "check_bank",
    "check_question",
    "quick_check",
    "quick_check_question",
]


@dataclass
class QuestionReport:
    """What the sweep found for one question."""

    id: str
    kind: str
    topic: str
    sampled: int = 0
    distinct: int = 0
    examples: int = 0
    rounding_checked: int = 0  # variants the rounding sweep recomputed (numeric answers only)
    rounding_failed: int = 0  # ... in which a careful student is marked wrong
    errors: list[BankError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rounding_share(self) -> float | None:
        """The share of variants a careful student fails, or None without numeric answers."""
        if not self.rounding_checked:
            return None
        return self.rounding_failed / self.rounding_checked


@dataclass
class BankReport:
    """The sweep of one bank."""

    bank: Bank | None
    file: str
    questions: list[QuestionReport] = field(default_factory=list)
    errors: list[BankError] = field(default_factory=list)  # errors outside any question

    @property
    def ok(self) -> bool:
        return not self.errors and all(q.ok for q in self.questions)

    def all_errors(self) -> list[BankError]:
        return self.errors + [e for q in self.questions for e in q.errors]


def check_bank(bank: Bank, variants: int = 200, need: int = 0) -> BankReport:
    """Sweep ``variants`` draws of every question of ``bank``.

    Args:
        bank: a validated bank.
        variants: draws per question.
        need: warn when a parameterized question has fewer distinct variants than this.
    """
    report = BankReport(bank, bank.source)
    for index, question in enumerate(bank.questions):
        if question is None:  # invalid: its errors came from loading (a partial bank)
            continue
        qr = check_question(bank, index, variants)
        report.questions.append(qr)
        if need and question.params and qr.ok and qr.distinct < need:
            qr.warnings.append(
                f"only {qr.distinct} distinct variants in {qr.sampled} draws; the exam needs {need}"
            )
    return report


def check_question(
    bank: Bank, index: int, variants: int = 200, compiled: CompiledQuestion | None = None
) -> QuestionReport:
    """Compile ``bank.questions[index]``, sweep ``variants`` draws and verify its examples.

    ``compiled`` is that question compiled already (``generate`` compiles each question once
    for the check and the drawing); the report is the same either way.
    """
    question = bank.questions[index]
    qr = QuestionReport(question.id, question.kind, question.topic)
    if compiled is None:
        try:
            compiled = compile_question(bank, index)
        except BankErrors as exc:
            qr.errors.extend(exc.errors)
            return qr
    _sweep(compiled, qr, variants)
    _check_examples(compiled, qr)
    qr.errors = _unique(qr.errors)
    return qr


def _unique(errors: list[BankError]) -> list[BankError]:
    """``errors`` without repeats (a template failing in the sweep and in an example)."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for e in errors:
        key = (e.file, e.line, e.column, e.path, e.message)
        if key not in seen:
            seen.add(key)
            kept.append(e)
    return kept


def quick_check(banks: list[Bank]) -> list[BankError]:
    """The checks ``generate`` and ``export`` run before writing: examples and mistakes.

    One draw per question (no sweep), so that it costs little next to the writing; the
    messages are those of ``quizgen check``.
    """
    return [
        e
        for bank in banks
        for index, question in enumerate(bank.questions)
        if question is not None  # invalid: its errors came from loading (a partial bank)
        for e in quick_check_question(bank, index)
    ]


def quick_check_question(
    bank: Bank, index: int, compiled: CompiledQuestion | None = None
) -> list[BankError]:
    """:func:`quick_check` of one question (``export`` and ``generate`` check each beside
    their drawing); ``compiled``: the question compiled already (not compiled again)."""
    return check_question(bank, index, variants=1, compiled=compiled).errors


def _sweep(compiled: CompiledQuestion, qr: QuestionReport, variants: int) -> None:
    seen: set[str] = set()
    rounding = RoundingSweep(compiled)
    markup = MarkupLint()
    for i in range(variants):
        try:
            variant = draw_variant(compiled, stream_for("check", compiled.bank.id, compiled.id, i))
        except BankError as exc:
            qr.errors.append(exc)
            return
        qr.sampled += 1
        if variant.uid in seen:
            continue
        seen.add(variant.uid)
        problem = _self_grade(variant, [p.name for p in compiled.params])
        if problem:
            part, mistake, message = problem
            path = _answer_path(compiled, part)
            if mistake is not None:
                path = (*path, "mistakes", mistake, "answer")
                written = _written(compiled, path)
                message = message.replace("this mistake (", f"this mistake ({written} = ", 1)
            qr.errors.append(compiled.bank.error(path, message))
            return
        rounding.add(variant)
        markup.add(variant)
    qr.distinct = len(seen)
    qr.warnings.extend(markup.warnings)
    qr.rounding_checked, qr.rounding_failed = rounding.checked, rounding.failed
    if rounding.failed:
        qr.errors.append(
            compiled.bank.error(
                compiled.path,
                f"rounding: a careful student is marked wrong in {rounding.share:.0%} of "
                f"variants ({rounding.failed} of {rounding.checked}): {rounding.first_failure}",
                "intermediate values are rounded as the prompt and solution show them; show "
                "them to more figures, or widen the tolerance (docs/bank-format.md, "
                "'The rounding rule')",
            )
        )


def _written(compiled: CompiledQuestion, path: tuple[str | int, ...]) -> str:
    """The text the author wrote at ``path`` of the question (a mistake's answer)."""
    node: Any = compiled.question
    for part in path[len(compiled.path) :]:
        node = node[part] if isinstance(part, int) else getattr(node, str(part))
    return str(node)


def _answer_path(compiled: CompiledQuestion, part: str) -> tuple[str | int, ...]:
    """Where the answer of ``part`` ('' for a single question) is in the bank file."""
    if not part:
        return compiled.path
    ids = [p.id for p in compiled.question.parts]
    return (*compiled.path, "parts", ids.index(part))


def _self_grade(variant: Variant, params: list[str]) -> tuple[str, int | None, str] | None:
    """Grade the variant's own answer (must score 1) and each mistake (must not).

    Returns:
        None, or the part id, the mistake's index (None: the answer itself) and the message.
    """
    from quizgen.grade.checkers import check_response

    shown = ", ".join(f"{k}={variant.values[k]}" for k in params) or "no parameters"
    for part, key, _ in variant.gradable():
        where = f"part '{part}' " if part else ""
        correct = typed_answer(key)
        if correct is None:
            continue
        verdict = check_response(key, correct)
        if verdict.score != 1:
            message = (
                f"{where}the correct answer {correct!r} does not grade as correct "
                f"({verdict.status}: {verdict.feedback}) when {shown}"
            )
            return part, None, message
        for i, mistake in enumerate(getattr(key, "mistakes", [])):
            response = typed_mistake(key, mistake)
            verdict = check_response(key, response)
            if verdict.score == 1:
                message = (
                    f"this mistake ({response}) grades as correct: it equals the answer "
                    f"({correct}) or is within the tolerance, when {shown}"
                )
                return part, i, message
    return None


def _check_examples(compiled: CompiledQuestion, qr: QuestionReport) -> None:
    for i, example in enumerate(compiled.question.examples):
        path = (*compiled.path, "examples", i)
        unknown = set(example.params) - {p.name for p in compiled.params}
        if unknown:
            qr.errors.append(
                compiled.bank.error(
                    path, f"example sets unknown parameter(s): {', '.join(sorted(unknown))}"
                )
            )
            continue
        try:
            variant = draw_variant(
                compiled, stream_for("example", compiled.id, i), fixed=example.params
            )
        except ConstraintError as exc:
            if set(example.params) >= {p.name for p in compiled.params}:
                shown = ", ".join(f"{k}={v}" for k, v in example.params.items())
                message = (
                    f"the example's parameters ({shown}) break the constraint "
                    f"'{exc.constraint}' (line {exc.line})"
                )
                qr.errors.append(compiled.bank.error((*path, "params"), message))
            else:
                qr.errors.append(exc)
            continue
        except BankError as exc:
            qr.errors.append(exc)
            continue
        for message in _example_mismatches(variant, example):
            qr.errors.append(compiled.bank.error(path, message))
        qr.examples += 1


def _example_mismatches(variant: Variant, example: Example) -> Iterable[str]:
    gradable = variant.gradable()
    if variant.answer is None:
        if not isinstance(example.answer, dict):
            yield "a multipart example needs 'answer' as a mapping of part id to answer"
            return
        expected = example.answer
        unknown = set(expected) - {p for p, _, _ in gradable}
        if unknown:
            yield f"example names unknown part(s): {', '.join(sorted(unknown))}"
    else:
        expected = {"": example.answer}
    for part, key, _ in gradable:
        if part not in expected:
            continue
        problem = _example_problem(key, expected[part])
        if problem:
            yield (f"part '{part}': " if part else "") + problem


def _example_problem(key: AnswerKey, expected: Any) -> str | None:
    from quizgen.grade.checkers import check_response

    if isinstance(key, EssayKey):
        return None
    if isinstance(key, ChoiceKey):
        wanted = expected if isinstance(expected, list) else [expected]
        got = sorted(" ".join(o.text.split()) for o in key.options if o.correct)
        if sorted(" ".join(str(w).split()) for w in wanted) != got:
            return f"example expects {expected!r} but the correct option(s) are {got!r}"
        return None
    if isinstance(key, NumericKey) and _rounded_match(key, expected):
        return None
    response = expected if isinstance(expected, bool) else str(expected)
    verdict = check_response(key, response)
    if verdict.score == 1:
        return None
    shown = (
        key.display
        if isinstance(key, NumericKey)
        else getattr(key, "value", getattr(key, "answer", ""))
    )
    return f"example expects {expected!r} but the bank computes {shown!r} ({verdict.feedback})"


def _rounded_match(key: NumericKey, expected: Any) -> bool:
    """An example written to k decimals matches the exact answer rounded to k decimals."""
    from quizgen.math.numbers import display

    if isinstance(expected, bool) or not isinstance(expected, (int, float, str)):
        return False
    text = repr(expected) if isinstance(expected, float) else str(expected).strip()
    try:
        fraction_of(text)
    except (ValueError, ZeroDivisionError):
        return False
    places = len(text.split(".")[1]) if "." in text and "e" not in text.lower() else 0
    try:
        value: Any = fraction_of(key.value)
    except (ValueError, ZeroDivisionError):
        value = Fraction(repr(key.approx))  # irrational: compare its 17-digit approximation
    return display(value, places=places) == display(fraction_of(text), places=places)
