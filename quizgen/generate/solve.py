"""Draw and solve one variant of a compiled question: values, exact answer keys, texts.

:func:`draw_variant` draws the parameters (:mod:`quizgen.generate.params`) and the option
orders from the stream it is given, evaluates every answer exactly, renders the texts, and
returns a frozen :class:`~quizgen.variant.Variant`. Equal draws share one solved variant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from quizgen.bank import model as B
from quizgen.generate.compile import (
    CompiledAnswer,
    CompiledPart,
    CompiledQuestion,
    TemplateFailure,
    memo_key,
)
from quizgen.generate.params import Formula, Values, draw_error
from quizgen.math.mp import MP
from quizgen.math.numbers import Num, display, exact_text
from quizgen.rng import Stream, stable_hash
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    ExpressionKey,
    KeyMistake,
    NumericKey,
    OptionKey,
    PartVariant,
    TextKey,
    TrueFalseKey,
    Variant,
    answer_markdown,
    built,
)

if TYPE_CHECKING:  # answers with formulas hold sympy trees; the others need no sympy
    import sympy

__all__ = ["draw_variant"]

LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Solved variants kept per question, for students who draw the same values. Kept small so
# that memory stays flat in the class size (issue 14): at 20,000 a 33-question bank could
# hold 660,000 solved variants; a question with more distinct draws than this rarely
# repeats one anyway.
CACHE_LIMIT = 1_000


def draw_variant(
    question: CompiledQuestion, stream: Stream, fixed: Mapping[str, Any] | None = None
) -> Variant:
    """Draw and solve one variant of ``question`` (``fixed`` parameters given).

    Raises:
        DrawError: located, when drawing, solving or rendering fails for the values drawn.
    """
    try:
        return _variant(question, stream, fixed)
    except TemplateFailure as exc:
        hint = (
            " (compute values in 'let'; templates only show them)"
            if isinstance(exc.error, TypeError)
            else ""
        )
        message = f"template failed: {exc.error}{hint}"
        raise draw_error(question.bank, exc.text.path, message) from None


def _variant(
    question: CompiledQuestion, stream: Stream, fixed: Mapping[str, Any] | None
) -> Variant:
    space = question.space
    values = space.draw_constrained(stream, fixed)  # the other lets only if it is solved
    # Option orders are drawn now, in spec order, so that the drawn parameters and orders
    # together determine the variant, and equal draws can share one solved variant.
    orders = tuple(tuple(stream.shuffled(range(n))) for n in question.shuffles)
    key = (tuple(values[p.name] for p in question.params), orders)
    cached = question.solved.get(key)
    if cached is None:
        if len(question.solved) >= CACHE_LIMIT:
            question.solved.clear()
        space.complete(values)
        cached = question.solved[key] = _Solver(question, values, iter(orders)).variant()
    return cached


@dataclass
class _Solver:
    """Solves one draw: every key, part and text of the variant."""

    question: CompiledQuestion
    values: Values
    orders: Iterator[tuple[int, ...]]

    def __post_init__(self) -> None:
        shown = {k: (v if isinstance(v, str) else _shown(v)) for k, v in self.values.items()}
        self.context = {k: (v if isinstance(v, str) else v[0]) for k, v in shown.items()}
        self.exact = {k: (v if isinstance(v, str) else v[1]) for k, v in shown.items()}

    def variant(self) -> Variant:
        q, spec = self.question.question, self.question.spec
        answer, parts, shown = None, [], ""
        if spec is not None:
            answer = self.key(spec, next(self.orders) if spec.shuffled else None)
            shown = answer_markdown(answer, labels=False)
        else:
            parts = [self.part(p) for p in self.question.parts]
        exact = self.exact
        return built(
            Variant,
            uid=self.uid(exact, [answer] if answer is not None else [p.answer for p in parts]),
            bank_id=self.question.bank.id,
            question_id=q.id,
            kind=q.kind,
            topic=q.topic,
            title=q.title,
            points=float(sum(p.points for p in parts) if parts else q.points),
            values=exact,
            prompt=self.question.prompt.render(self.context),
            solution=self.question.solution.render({"answer": shown, **self.context}),
            answer=answer,
            parts=parts,
        )

    def uid(self, exact: dict[str, str], keys: list[AnswerKey]) -> str:
        """The variant's identity: its bank, question, values and option order."""
        order = [o.id for k in keys if isinstance(k, ChoiceKey) for o in k.options]
        digest = stable_hash(self.question.bank.id, self.question.id, sorted(exact.items()), order)
        return digest[:16]

    def part(self, p: CompiledPart) -> PartVariant:
        """The solved part, shared by the variants whose values of the names it reads (and
        option order) are the same: a part is a pure function of them."""
        order = next(self.orders) if p.spec.shuffled else None
        values = self.values
        key = (tuple([memo_key(values[n]) for n in p.reads]), order)
        found = p.solved.get(key)
        if found is None:
            if len(p.solved) >= CACHE_LIMIT:
                p.solved.clear()
            found = p.solved[key] = self.solve_part(p, order)
        return found

    def solve_part(self, p: CompiledPart, order: tuple[int, ...] | None) -> PartVariant:
        key = self.key(p.spec, order)
        solution = (
            p.solution.render({**self.context, "answer": answer_markdown(key, labels=False)})
            if p.solution
            else ""
        )
        return built(
            PartVariant,
            id=p.part.id,
            prompt=p.prompt.render(self.context),
            points=float(p.part.points),
            solution=solution,
            answer=key,
        )

    def value(self, formula: Formula) -> Any:
        return self.question.space.value(formula, self.values)

    def key(self, s: CompiledAnswer, order: tuple[int, ...] | None = None) -> AnswerKey:
        """The answer key of ``s`` (``order``: its options' drawn order, if shuffled)."""
        a = s.answer
        if isinstance(a, B.NumericAnswer):
            return self.numeric(s)
        if isinstance(a, B.ExpressionAnswer):
            return self.expression(s)
        if isinstance(a, (B.ChoiceAnswer, B.MultiAnswer)):
            return self.choice(s, order)
        if isinstance(a, B.TrueFalseAnswer):
            truth = a.answer if isinstance(a.answer, bool) else s.condition.holds(self.values)
            feedback = s.texts[0].render(self.context) if s.texts else None
            return built(TrueFalseKey, answer=truth, feedback=feedback)
        if isinstance(a, B.TextAnswer):
            return self.text(s)
        return built(EssayKey, rubric=s.texts[0].render(self.context))

    def numeric(self, s: CompiledAnswer) -> NumericKey:
        a = s.answer
        exact = self.value(s.formula)
        return built(
            NumericKey,
            value=exact_text(exact),
            approx=float(exact),
            display=display(exact, places=a.places),
            tolerance=a.tolerance,
            fractions=a.fractions,
            require_sigfigs=a.require_sigfigs,
            unit=a.unit,
            mistakes=[
                _numeric_mistake(self.value(f), fb.render(self.context), a.places)
                for f, fb in s.mistakes
            ],
        )

    def expression(self, s: CompiledAnswer) -> ExpressionKey:
        used = tuple(sorted((k, v) for k, v in self.values.items() if not isinstance(v, str)))
        text, latex = _solved_expression(s.formula.expr, used)
        return built(
            ExpressionKey,
            value=text,
            latex=latex,
            variables=s.answer.domains(),
            mistakes=[
                built(
                    KeyMistake,
                    value=(m := _solved_expression(f.expr, used)[0]),
                    display=m,
                    feedback=fb.render(self.context),
                )
                for f, fb in s.mistakes
            ],
        )

    def text(self, s: CompiledAnswer) -> TextKey:
        a = s.answer
        return built(
            TextKey,
            answers=[t.render(self.context) for t in s.texts],
            regex=a.regex,
            case_sensitive=a.case_sensitive,
            mistakes=[
                B.TextMistake(answer=m.answer, feedback=fb.render(self.context))
                for m, (_, fb) in zip(a.mistakes, s.mistakes, strict=True)
            ],
        )

    def choice(self, s: CompiledAnswer, order: tuple[int, ...] | None) -> ChoiceKey:
        a = s.answer
        rendered = []
        for (body, fb), opt in zip(s.options, a.options, strict=True):
            text = (
                display(self.value(body))
                if isinstance(body, Formula)
                else body.render(self.context)
            )
            rendered.append((text, opt.correct, fb.render(self.context) if fb else None))
        self.check_distinct(s, rendered)
        if order is not None:
            rendered = [rendered[i] for i in order]
        bank_id, question_id = self.question.bank.id, self.question.id
        options = [
            built(
                OptionKey,
                id=_option_id(bank_id, question_id, text),
                label=LABELS[i],
                text=text,
                correct=correct,
                feedback=fb,
            )
            for i, (text, correct, fb) in enumerate(rendered)
        ]
        scoring = a.scoring if isinstance(a, B.MultiAnswer) else "all-or-nothing"
        return built(ChoiceKey, kind=a.kind, options=options, scoring=scoring)

    def check_distinct(self, s: CompiledAnswer, rendered: list) -> None:
        """Two options that read the same are a bank error (a student could not tell them)."""
        seen: dict[str, int] = {}
        for i, (text, correct, _) in enumerate(rendered):
            key = " ".join(text.split()).casefold()
            if key in seen:
                j = seen[key]
                both = (
                    "the correct option and a distractor"
                    if correct or rendered[j][1]
                    else "two options"
                )
                shown = ", ".join(f"{k}={display(v)}" for k, v in self.values.items())
                raise draw_error(
                    self.question.bank,
                    (*s.path, "options", i),
                    f"{both} read the same ('{text}', options {j} and {i}) when {shown}",
                )
            seen[key] = i


# A value many variants show (one of a parameter's few values) keeps its display (in its
# Num) and its exact text. Keys hold the type (2 and an inexact 2.0 show differently) and a
# Fraction's numerator and denominator (hashing a Fraction costs a modular inverse).
_SHOWN: dict[tuple, tuple[Num, str]] = {}
_SHOWN_MAX = 20_000


def _shown(value: Any) -> tuple[Num, str]:
    """The value as templates see it, and its exact text (:func:`exact_text`)."""
    kind = value.__class__
    key = (kind, value.numerator, value.denominator) if kind is Fraction else (kind, value)
    found = _SHOWN.get(key)
    if found is None:
        if len(_SHOWN) >= _SHOWN_MAX:
            _SHOWN.clear()
        found = _SHOWN[key] = (Num(value), exact_text(value))
    return found


@lru_cache(maxsize=16384)
def _option_id(bank_id: str, question_id: str, text: str) -> str:
    """A stable option identifier from its content, so LMS re-imports replace, not duplicate."""
    return "o" + stable_hash(bank_id, question_id, text)[:12]


def _numeric_mistake(value: Any, feedback: str, places: int | None) -> KeyMistake:
    return built(
        KeyMistake,
        value=exact_text(value),
        display=display(value, places=places),
        feedback=feedback,
    )


def _substitute(expr: sympy.Expr, values: Values) -> sympy.Expr:
    replacements = {}
    for symbol in expr.free_symbols:
        if symbol.name in values:
            v = values[symbol.name]
            if isinstance(v, str):
                raise ValueError(f"'{symbol.name}' is text, not a number")
            replacements[symbol] = _sympy_number(v)
    return expr.xreplace(replacements)


def _sympy_number(v: Any) -> sympy.Expr:
    import sympy  # loaded already: the caller holds a sympy tree

    if isinstance(v, int):
        return sympy.Integer(v)
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sympy.Float(MP.nstr(v, 40), 40)


@lru_cache(maxsize=4096)
def _solved_expression(expr: sympy.Expr, values: tuple[tuple[str, Any], ...]) -> tuple[str, str]:
    """Text and LaTeX of ``expr`` with parameter values substituted (cached: sympy is slow)."""
    import sympy  # loaded already: ``expr`` is a sympy tree

    from quizgen.math.printing import to_text

    solved = _substitute(expr, dict(values))
    return to_text(solved), sympy.latex(solved, order="none")
