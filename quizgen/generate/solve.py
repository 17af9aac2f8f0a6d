"""Compile a bank question once, then draw and solve variants of it.

Compilation parses every formula with the safe parser and every text with the sandboxed
jinja environment, reporting all problems located in the bank file. Drawing a variant is then
pure and fast: sample parameters from a :class:`~quizgen.rng.Stream`, evaluate exactly, render
text, and return a :class:`~quizgen.variant.Variant`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import jinja2
import jinja2.runtime
import sympy

from quizgen.bank import model as B
from quizgen.errors import BankError, BankErrors, MathSyntaxError
from quizgen.math.domains import domain_symbol
from quizgen.math.evaluate import EXACT, MP, compile_expr, exact, to_mpf
from quizgen.math.numbers import Num, display, exact_text, fraction_of
from quizgen.math.parse import parse_math
from quizgen.math.printing import to_text
from quizgen.rng import Stream, stable_hash
from quizgen.templating import (
    Piece,
    compile_text,
    render_pieces,
    simple_pieces,
    template_names,
)
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
)

__all__ = ["CompiledQuestion", "DrawError", "compile_bank", "compile_question"]

Path = tuple[str | int, ...]
Values = dict[str, Any]  # name -> int | Fraction (exact) | mpmath number | str
MAX_TRIES = 1000
LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_COMPARISON = re.compile(r"(<=|>=|==|!=|<|>)")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


class DrawError(BankError):
    """A variant could not be drawn (constraint never met, division by zero, ...)."""


# --- compiled pieces -----------------------------------------------------------------------


@dataclass(frozen=True)
class Formula:
    """A parsed formula and its fast evaluator."""

    text: str
    expr: sympy.Expr
    path: Path
    fn: Callable[[Mapping[str, Any]], Fraction] = field(repr=False)

    def value(self, env: Mapping[str, Any]) -> Any:
        return self.fn(env)


@dataclass(frozen=True)
class Comparison:
    """``a < b`` or a chain ``0 < a < b``, from ``where`` or a truefalse answer."""

    text: str
    sides: tuple[Formula, ...]
    ops: tuple[str, ...]
    path: Path

    def holds(self, env: Mapping[str, Any]) -> bool:
        values = [f.value(env) for f in self.sides]
        if not all(isinstance(v, EXACT) for v in values):
            values = [to_mpf(v) for v in values]
        return all(
            _COMPARE[op](a, b) for op, a, b in zip(self.ops, values, values[1:], strict=False)
        )


@dataclass(frozen=True)
class Text:
    """A compiled jinja template of bank text."""

    source: str
    template: jinja2.Template | None = field(repr=False)  # None: static text
    path: Path
    pieces: tuple[Piece, ...] | None = field(default=None, repr=False)  # plain substitutions

    def render(self, context: Mapping[str, Any]) -> str:
        if self.template is None:
            return self.source.strip()
        try:
            if self.pieces is not None:
                return render_pieces(self.pieces, context).strip()
            # shared=True skips copying jinja's globals per render; templates may only use
            # the bank's names anyway (checked at compile time).
            t = self.template
            ctx = jinja2.runtime.Context(t.environment, context, t.name, t.blocks)
            return "".join(self.template.root_render_func(ctx)).strip()
        except Exception as exc:  # undefined attribute, sandbox refusal, arithmetic on a value
            raise TemplateFailure(self, exc) from None


class TemplateFailure(Exception):
    """A template raised while rendering (e.g. arithmetic on a value: use 'let' instead)."""

    def __init__(self, text: Text, error: Exception) -> None:
        super().__init__(str(error))
        self.text = text
        self.error = error


@dataclass(frozen=True)
class Param:
    name: str
    choices: tuple[Any, ...] = ()
    low: int | Fraction = 0
    step: int | Fraction = 1
    count: int = 0

    def draw(self, stream: Stream) -> Any:
        if self.choices:
            return stream.choice(self.choices)
        value = self.low + self.step * stream.below(self.count)
        return value if isinstance(value, int) else exact(value)

    def size(self) -> int:
        return len(self.choices) or self.count


# --- the compiler --------------------------------------------------------------------------


class _Compiler:
    """Parses one question's formulas and texts, collecting located errors."""

    def __init__(self, bank: B.Bank, index: int) -> None:
        self.bank = bank
        self.base: Path = ("questions", index)
        self.errors: list[BankError] = []
        self.symbols: dict[str, sympy.Symbol] = {}

    def error(self, path: Path, message: str, detail: str = "") -> None:
        self.errors.append(self.bank.error(path, message, detail))

    def formula(self, text: str, path: Path, extra: Mapping[str, sympy.Symbol] = {}) -> Formula:
        symbols = {**self.symbols, **extra}
        try:
            expr = parse_math(text, symbols, split_names=False)
        except MathSyntaxError as exc:
            self.error(path, f"formula: {exc.message}", _caret(exc))
            expr = sympy.Integer(0)
        except ValueError as exc:  # a declared name the parser cannot take (e.g. 'exp')
            self.error(path, f"formula: {exc}")
            expr = sympy.Integer(0)
        try:
            fn = compile_expr(expr)
        except ValueError as exc:
            self.error(path, f"formula: {exc}")
            fn = compile_expr(sympy.Integer(0))
        return Formula(text, expr, path, fn)

    def comparison(self, text: str, path: Path) -> Comparison | None:
        pieces = _COMPARISON.split(text)
        sides, ops, offset = [], [], 0
        for i, piece in enumerate(pieces):
            if i % 2:
                ops.append(piece)
            else:
                try:
                    expr = parse_math(piece, self.symbols, split_names=False)
                    sides.append(Formula(piece, expr, path, compile_expr(expr)))
                except MathSyntaxError as exc:
                    shifted = MathSyntaxError(exc.message, text, exc.offset + offset, exc.width)
                    self.error(path, f"condition: {exc.message}", _caret(shifted))
                    return None
                except ValueError as exc:
                    self.error(path, f"condition: {exc}")
                    return None
            offset += len(piece)
        if not ops:
            self.error(path, "a condition needs a comparison (<, <=, >, >=, ==, !=)")
            return None
        return Comparison(text, tuple(sides), tuple(ops), path)

    def text(self, source: str, path: Path, extra_names: set[str] = frozenset()) -> Text:
        if "{" not in source:
            return Text(source, None, path)
        known = set(self.symbols) | set(extra_names)
        try:
            template = compile_text(source)
            unknown = sorted(template_names(source) - known)
        except jinja2.TemplateSyntaxError as exc:
            self.error(path, f"template syntax error on its line {exc.lineno}: {exc.message}")
            return Text(source, None, path)
        if unknown:
            self.error(
                path,
                f"template uses undefined name(s): {', '.join(unknown)}",
                f"known names: {', '.join(sorted(known)) or '(none)'}",
            )
            return Text(source, template, path)
        return Text(source, template, path, simple_pieces(source))


def _caret(exc: MathSyntaxError) -> str:
    from quizgen.errors import caret_line

    return caret_line(exc.text, exc.offset, exc.width)


def _params(c: _Compiler, q: B.QuestionFields) -> list[Param]:
    params = []
    for name, spec in q.params.items():
        path = (*c.base, "params", name)
        try:
            params.append(_param(name, spec))
        except (ValueError, ZeroDivisionError, TypeError) as exc:
            c.error(path, str(exc))
        c.symbols[name] = sympy.Symbol(name, real=True)
    return params


def _number_or_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return exact(fraction_of(value))
        except (ValueError, ZeroDivisionError):
            return value
    return exact(fraction_of(value))


def _param(name: str, spec: Any) -> Param:
    if isinstance(spec, B.ChoiceParam):
        return Param(name, choices=tuple(_number_or_text(v) for v in spec.choice))
    if isinstance(spec, B.RangeParam):
        low, high = fraction_of(spec.range[0]), fraction_of(spec.range[1])
        step = Fraction(1, 10**spec.places) if spec.places is not None else Fraction(1)
        if spec.step is not None:
            step = fraction_of(spec.step)
        if step <= 0:
            raise ValueError("step must be positive")
        if high < low:
            raise ValueError(f"range is empty: {display(low)} > {display(high)}")
        count = int((high - low) / step) + 1
        return Param(name, low=exact(low), step=exact(step), count=count)
    value = spec.value if isinstance(spec, B.FixedParam) else spec
    return Param(name, choices=(_number_or_text(value),))


@dataclass(frozen=True)
class _Spec:
    """The compiled answer part of a question or of one multipart part."""

    answer: Any  # the bank model (NumericAnswer, ChoiceAnswer, ...)
    path: Path
    formula: Formula | None = None
    mistakes: tuple[tuple[Formula, Text], ...] = ()
    options: tuple[tuple[Formula | Text, Text | None], ...] = ()
    condition: Comparison | None = None
    texts: tuple[Text, ...] = ()  # text answers / rubric / truefalse feedback
    variables: Mapping[str, sympy.Symbol] = field(default_factory=dict)


def _spec(c: _Compiler, answer: Any, path: Path) -> _Spec:
    if isinstance(answer, B.NumericAnswer):
        return _Spec(
            answer,
            path,
            formula=c.formula(answer.answer, (*path, "answer")),
            mistakes=_mistakes(c, answer.mistakes, path),
        )
    if isinstance(answer, B.ExpressionAnswer):
        return _expression_spec(c, answer, path)
    if isinstance(answer, (B.ChoiceAnswer, B.MultiAnswer)):
        options = []
        for i, opt in enumerate(answer.options):
            opath = (*path, "options", i)
            body: Formula | Text = (
                c.formula(opt.value, (*opath, "value"))
                if opt.value is not None
                else c.text(opt.text or "", (*opath, "text"))
            )
            fb = c.text(opt.feedback, (*opath, "feedback")) if opt.feedback else None
            options.append((body, fb))
        return _Spec(answer, path, options=tuple(options))
    if isinstance(answer, B.TrueFalseAnswer):
        condition = None
        if isinstance(answer.answer, str):
            condition = c.comparison(answer.answer, (*path, "answer"))
        texts = (c.text(answer.feedback, (*path, "feedback")),) if answer.feedback else ()
        return _Spec(answer, path, condition=condition, texts=texts)
    if isinstance(answer, B.TextAnswer):
        if answer.regex is not None:
            try:
                re.compile(answer.regex)
            except re.error as exc:
                c.error((*path, "regex"), f"invalid regular expression: {exc}")
        texts = tuple(c.text(a, (*path, "answers", i)) for i, a in enumerate(answer.answers))
        mistakes = tuple(
            (None, c.text(m.feedback, (*path, "mistakes", i, "feedback")))
            for i, m in enumerate(answer.mistakes)
        )
        return _Spec(answer, path, texts=texts, mistakes=mistakes)
    return _Spec(answer, path, texts=(c.text(answer.rubric, (*path, "rubric")),))


def _expression_spec(c: _Compiler, answer: B.ExpressionAnswer, path: Path) -> _Spec:
    variables = {}
    for name, domain in answer.domains().items():
        if name in c.symbols:
            c.error((*path, "variables"), f"variable '{name}' is also a parameter or 'let' name")
        variables[name] = domain_symbol(name, domain)
    formula = c.formula(answer.answer, (*path, "answer"), variables)
    mistakes = tuple(
        (
            c.formula(m.answer, (*path, "mistakes", i, "answer"), variables),
            c.text(m.feedback, (*path, "mistakes", i, "feedback")),
        )
        for i, m in enumerate(answer.mistakes)
    )
    return _Spec(answer, path, formula=formula, mistakes=mistakes, variables=variables)


def _mistakes(c: _Compiler, mistakes: list[B.Mistake], path: Path) -> tuple:
    return tuple(
        (
            c.formula(m.answer, (*path, "mistakes", i, "answer")),
            c.text(m.feedback, (*path, "mistakes", i, "feedback")),
        )
        for i, m in enumerate(mistakes)
    )


@dataclass(frozen=True)
class _PartSpec:
    part: Any
    spec: _Spec
    prompt: Text
    solution: Text | None


def compile_question(bank: B.Bank, index: int) -> CompiledQuestion:
    """Compile ``bank.questions[index]``.

    Raises:
        BankErrors: every formula or template problem in the question, located.
    """
    q = bank.questions[index]
    c = _Compiler(bank, index)
    params = _params(c, q)
    lets = []
    for name, text in q.let.items():
        lets.append((name, c.formula(text, (*c.base, "let", name))))
        c.symbols[name] = sympy.Symbol(name, real=True)
    where = [c.comparison(w, (*c.base, "where", i)) for i, w in enumerate(q.where)]
    prompt = c.text(q.prompt, (*c.base, "prompt"))
    solution = c.text(q.solution, (*c.base, "solution"), {"answer"})
    spec, parts = None, []
    if isinstance(q, B.MultipartQuestion):
        for j, part in enumerate(q.parts):
            ppath = (*c.base, "parts", j)
            parts.append(
                _PartSpec(
                    part,
                    _spec(c, part, ppath),
                    c.text(part.prompt, (*ppath, "prompt")),
                    c.text(part.solution, (*ppath, "solution"), {"answer"})
                    if part.solution
                    else None,
                )
            )
    else:
        spec = _spec(c, q, c.base)
    if c.errors:
        raise BankErrors(c.errors)
    return CompiledQuestion(
        bank, index, q, params, lets, [w for w in where if w], prompt, solution, spec, parts
    )


def compile_bank(bank: B.Bank) -> list[CompiledQuestion]:
    """Compile every question, reporting the errors of all of them together."""
    compiled, errors = [], []
    for i in range(len(bank.questions)):
        try:
            compiled.append(compile_question(bank, i))
        except BankErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise BankErrors(errors)
    return compiled


# --- drawing and solving -------------------------------------------------------------------


@dataclass
class CompiledQuestion:
    """A question ready to draw variants from."""

    bank: B.Bank
    index: int
    question: Any
    params: list[Param]
    lets: list[tuple[str, Formula]]
    where: list[Comparison]
    prompt: Text
    solution: Text
    spec: _Spec | None
    parts: list[_PartSpec]
    _solved: dict[tuple, Variant] = field(default_factory=dict, repr=False)
    _stages: list[list[int]] | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def path(self) -> Path:
        return ("questions", self.index)

    def space_size(self) -> int:
        """How many parameter combinations exist (before constraints)."""
        size = 1
        for p in self.params:
            size *= p.size()
        return size

    def draw(self, stream: Stream, fixed: Mapping[str, Any] | None = None) -> Values:
        """Draw parameters (``fixed`` ones given) and evaluate every ``let``.

        Raises:
            DrawError: no draw met the ``where`` constraints within the retry limit,
                or a formula failed for the values drawn.
        """
        failures: dict[int, int] = {}
        stages = self._where_stages()
        for _ in range(MAX_TRIES if self.where else 1):
            values: Values = {}
            for p in self.params:
                values[p.name] = (
                    _number_or_text(fixed[p.name]) if fixed and p.name in fixed else p.draw(stream)
                )
            # Each constraint is tested as soon as its names are known, so a rejected draw
            # costs no 'let' it does not need (and a 'where' can guard a 'let').
            broken = self._broken(stages[0], values)
            for (name, formula), stage in zip(self.lets, stages[1:], strict=True):
                if broken is not None:
                    break
                values[name] = self._value(formula, values)
                broken = self._broken(stage, values)
            if broken is None:
                return values
            failures[broken] = failures.get(broken, 0) + 1
            if fixed and all(p.name in fixed for p in self.params):
                break
        worst = max(failures, key=failures.__getitem__)
        w = self.where[worst]
        raise self._draw_error(
            w.path, f"constraint '{w.text}' was never met in {sum(failures.values())} draws"
        )

    def _broken(self, indices: list[int], values: Values) -> int | None:
        return next((i for i in indices if not self.where[i].holds(values)), None)

    def _where_stages(self) -> list[list[int]]:
        """For each point of the evaluation (after the parameters, then after each 'let'),
        the constraints whose names are all known by then."""
        if self._stages is None:
            known = {p.name for p in self.params}
            points = [set(known)]
            for name, _ in self.lets:
                known.add(name)
                points.append(set(known))
            stages: list[list[int]] = [[] for _ in points]
            for i, w in enumerate(self.where):
                names = {sym.name for f in w.sides for sym in f.expr.free_symbols}
                stages[next(k for k, ready in enumerate(points) if names <= ready)].append(i)
            self._stages = stages
        return self._stages

    def _value(self, formula: Formula, values: Mapping[str, Any]) -> Any:
        try:
            return formula.value(values)
        except (ZeroDivisionError, ValueError, OverflowError) as exc:
            shown = ", ".join(f"{k}={display(v)}" for k, v in values.items())
            raise self._draw_error(formula.path, f"{exc} (with {shown})") from None

    def _draw_error(self, path: Path, message: str) -> DrawError:
        err = self.bank.error(path, message)
        return DrawError(err.message, err.file, err.line, err.column, err.path, err.detail)

    def variant(self, stream: Stream, fixed: Mapping[str, Any] | None = None) -> Variant:
        """Draw and solve one variant.

        Raises:
            DrawError: located, when drawing, solving or rendering fails for the values drawn.
        """
        try:
            return self._variant(stream, fixed)
        except TemplateFailure as exc:
            hint = (
                " (compute values in 'let'; templates only show them)"
                if isinstance(exc.error, TypeError)
                else ""
            )
            raise self._draw_error(exc.text.path, f"template failed: {exc.error}{hint}") from None

    def _variant(self, stream: Stream, fixed: Mapping[str, Any] | None) -> Variant:
        values = self.draw(stream, fixed)
        # Option orders are drawn now, in spec order, so that the drawn parameters and orders
        # together determine the variant, and equal draws can share one solved variant.
        orders = tuple(
            tuple(stream.shuffled(range(len(s.options))))
            for s in self._choice_specs()
            if s.answer.shuffle
        )
        key = (tuple(values[p.name] for p in self.params), orders)
        cached = self._solved.get(key)
        if cached is None:
            if len(self._solved) >= 20_000:
                self._solved.clear()
            cached = self._solved[key] = self._solve(values, iter(orders))
        return cached

    def _choice_specs(self) -> list[_Spec]:
        specs = [self.spec] if self.spec is not None else [p.spec for p in self.parts]
        return [s for s in specs if isinstance(s.answer, (B.ChoiceAnswer, B.MultiAnswer))]

    def _solve(self, values: Values, orders: Iterator[tuple[int, ...]]) -> Variant:
        context = {k: (v if isinstance(v, str) else Num(v)) for k, v in values.items()}
        q = self.question
        answer, parts, shown = None, [], ""
        if self.spec is not None:
            answer = self._key(self.spec, values, context, orders)
            shown = answer_markdown(answer, labels=False)
        else:
            for p in self.parts:
                key = self._key(p.spec, values, context, orders)
                sol = (
                    p.solution.render({**context, "answer": answer_markdown(key, labels=False)})
                    if p.solution
                    else ""
                )
                parts.append(
                    PartVariant.model_construct(
                        id=p.part.id,
                        prompt=p.prompt.render(context),
                        points=float(p.part.points),
                        solution=sol,
                        answer=key,
                    )
                )
        exact = {k: (v if isinstance(v, str) else exact_text(v)) for k, v in values.items()}
        keys = [answer] if answer is not None else [p.answer for p in parts]
        order = [o.id for k in keys if isinstance(k, ChoiceKey) for o in k.options]
        uid = stable_hash(self.bank.id, q.id, sorted(exact.items()), order)[:16]
        return Variant.model_construct(
            uid=uid,
            bank_id=self.bank.id,
            question_id=q.id,
            kind=q.kind,
            topic=q.topic,
            title=q.title,
            points=float(sum(p.points for p in parts) if parts else q.points),
            values=exact,
            prompt=self.prompt.render(context),
            solution=self.solution.render({"answer": shown, **context}),
            answer=answer,
            parts=parts,
        )

    def _key(
        self, s: _Spec, values: Values, context: dict, orders: Iterator[tuple[int, ...]]
    ) -> AnswerKey:
        a = s.answer
        if isinstance(a, B.NumericAnswer):
            exact = self._value(s.formula, values)
            return NumericKey.model_construct(
                value=exact_text(exact),
                approx=float(exact),
                display=display(exact, places=a.places),
                tolerance=a.tolerance,
                fractions=a.fractions,
                require_sigfigs=a.require_sigfigs,
                unit=a.unit,
                mistakes=[
                    _numeric_mistake(self._value(f, values), fb.render(context), a.places)
                    for f, fb in s.mistakes
                ],
            )
        if isinstance(a, B.ExpressionAnswer):
            used = tuple(sorted((k, v) for k, v in values.items() if not isinstance(v, str)))
            text, latex = _solved_expression(s.formula.expr, used)
            return ExpressionKey.model_construct(
                value=text,
                latex=latex,
                variables=a.domains(),
                mistakes=[
                    KeyMistake.model_construct(
                        value=(m := _solved_expression(f.expr, used)[0]),
                        display=m,
                        feedback=fb.render(context),
                    )
                    for f, fb in s.mistakes
                ],
            )
        if isinstance(a, (B.ChoiceAnswer, B.MultiAnswer)):
            return self._choice(s, values, context, orders)
        if isinstance(a, B.TrueFalseAnswer):
            truth = a.answer if isinstance(a.answer, bool) else s.condition.holds(values)
            return TrueFalseKey.model_construct(
                answer=truth, feedback=s.texts[0].render(context) if s.texts else None
            )
        if isinstance(a, B.TextAnswer):
            return TextKey.model_construct(
                answers=[t.render(context) for t in s.texts],
                regex=a.regex,
                case_sensitive=a.case_sensitive,
                mistakes=[
                    B.TextMistake(answer=m.answer, feedback=fb.render(context))
                    for m, (_, fb) in zip(a.mistakes, s.mistakes, strict=True)
                ],
            )
        return EssayKey.model_construct(rubric=s.texts[0].render(context))

    def _choice(
        self, s: _Spec, values: Values, context: dict, orders: Iterator[tuple[int, ...]]
    ) -> ChoiceKey:
        a = s.answer
        rendered = []
        for (body, fb), opt in zip(s.options, a.options, strict=True):
            if isinstance(body, Formula):
                text = display(self._value(body, values))
            else:
                text = body.render(context)
            rendered.append((text, opt.correct, fb.render(context) if fb else None))
        _check_distinct(self, s, rendered, values)
        if a.shuffle:
            rendered = [rendered[i] for i in next(orders)]
        options = [
            OptionKey.model_construct(
                id=_option_id(self.bank.id, self.id, text),
                label=LABELS[i],
                text=text,
                correct=correct,
                feedback=fb,
            )
            for i, (text, correct, fb) in enumerate(rendered)
        ]
        scoring = a.scoring if isinstance(a, B.MultiAnswer) else "all-or-nothing"
        return ChoiceKey.model_construct(kind=a.kind, options=options, scoring=scoring)


@lru_cache(maxsize=16384)
def _option_id(bank_id: str, question_id: str, text: str) -> str:
    """A stable option identifier from its content, so LMS re-imports replace, not duplicate."""
    return "o" + stable_hash(bank_id, question_id, text)[:12]


def _check_distinct(cq: CompiledQuestion, s: _Spec, rendered: list, values: Values) -> None:
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
            shown = ", ".join(f"{k}={display(v)}" for k, v in values.items())
            raise cq._draw_error(
                (*s.path, "options", i),
                f"{both} read the same ('{text}', options {j} and {i}) when {shown}",
            )
        seen[key] = i


def _numeric_mistake(value: Any, feedback: str, places: int | None) -> KeyMistake:
    return KeyMistake.model_construct(
        value=exact_text(value), display=display(value, places=places), feedback=feedback
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
    if isinstance(v, int):
        return sympy.Integer(v)
    if isinstance(v, Fraction):
        return sympy.Rational(v.numerator, v.denominator)
    return sympy.Float(MP.nstr(v, 40), 40)


@lru_cache(maxsize=4096)
def _solved_expression(expr: sympy.Expr, values: tuple[tuple[str, Any], ...]) -> tuple[str, str]:
    """Text and LaTeX of ``expr`` with parameter values substituted (cached: sympy is slow)."""
    solved = _substitute(expr, dict(values))
    return to_text(solved), sympy.latex(solved, order="none")
