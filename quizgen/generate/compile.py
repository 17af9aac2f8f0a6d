"""Compile a bank question once: its formulas, texts, options and answer specs.

Every formula goes through the safe parser and every text through the sandboxed jinja
environment, and every problem is collected and reported located in the bank file, so an
author fixes them in one pass. The result, a :class:`CompiledQuestion`, is what
:mod:`quizgen.generate.solve` draws and solves variants from.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import jinja2
import jinja2.runtime

from quizgen.bank import model as B
from quizgen.errors import BankError, BankErrors, MathSyntaxError, caret_line
from quizgen.generate.params import (
    Comparison,
    Formula,
    Param,
    ParamSpace,
    Path,
    param_from_spec,
)
from quizgen.math.limits import BANK_LIMITS
from quizgen.math.numbers import Num
from quizgen.templating import Piece, compile_text, render_pieces, simple_pieces, template_names
from quizgen.variant import Variant

if TYPE_CHECKING:
    import sympy

__all__ = [
    "CompiledAnswer",
    "CompiledPart",
    "CompiledQuestion",
    "TemplateFailure",
    "Text",
    "compile_bank",
    "compile_question",
    "memo_key",
]

_COMPARISON = re.compile(r"(<=|>=|==|!=|<|>)")


# --- compiled texts --------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A compiled bank text: static, plain substitutions (``pieces``), or a jinja template."""

    source: str
    template: jinja2.Template | None = field(repr=False)  # None: static text, or pieces
    path: Path
    # Plain substitutions, rendered by concatenation (no template is compiled for them).
    pieces: tuple[Piece, ...] | None = field(default=None, repr=False)
    # The names the text reads, when it reads so few that their values repeat across draws
    # (feedback naming one or two values): its renders are then remembered by those values.
    names: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    memo: dict[tuple, str] = field(default_factory=dict, repr=False, compare=False)
    # Every name the text reads (whatever their number): what a part's memo is keyed by.
    reads: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def render(self, context: Mapping[str, Any]) -> str:
        """The text for these values.

        Raises:
            TemplateFailure: the template raised (e.g. arithmetic on a value).
        """
        if self.template is None and self.pieces is None:
            return self.source.strip()
        if self.names is None:
            return self._render(context)
        # A template is a pure function of the values it reads; the key holds each value's
        # type too, since 2 and an inexact 2.0 display differently.
        key = tuple([memo_key(context.get(n)) for n in self.names])
        found = self.memo.get(key)
        if found is None:
            if len(self.memo) >= _TEXT_MEMO_MAX:
                self.memo.clear()
            found = self.memo[key] = self._render(context)
        return found

    def _render(self, context: Mapping[str, Any]) -> str:
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


def memo_key(value: Any) -> tuple:
    """A value as part of a memo key: its type and value (a Fraction by its numerator and
    denominator: hashing a Fraction costs a modular inverse)."""
    kind = value.__class__
    if kind is Num:
        value = value.exact
        kind = value.__class__
        if kind is Fraction:
            return (Num, kind, value.numerator, value.denominator)
        return (Num, kind, value)
    if kind is Fraction:
        return (kind, value.numerator, value.denominator)
    return (kind, value)


class TemplateFailure(Exception):
    """A template raised while rendering (e.g. arithmetic on a value: use 'let' instead)."""

    def __init__(self, text: Text, error: Exception) -> None:
        super().__init__(str(error))
        self.text = text
        self.error = error


# --- the compiler ------------------------------------------------------------------------------


class _Compiler:
    """Parses one question's formulas and texts, collecting located errors."""

    def __init__(self, bank: B.Bank, index: int) -> None:
        self.bank = bank
        self.base: Path = ("questions", index)
        self.errors: list[BankError] = []
        self.names: dict[str, None] = {}  # parameters and lets in scope, in order

    def add_name(self, name: str) -> None:
        """A parameter or ``let`` name that later formulas and texts may use."""
        self.names[name] = None

    @property
    def symbols(self) -> dict[str, sympy.Symbol]:
        """The names in scope as real sympy symbols, made only when a formula is parsed:
        a question without formulas loads no sympy (sympy caches equal symbols)."""
        return {name: _real_symbol(name) for name in self.names}

    def error(self, path: Path, message: str, detail: str = "") -> None:
        self.errors.append(self.bank.error(path, message, detail))

    def formula(self, text: str, path: Path, extra: Mapping[str, sympy.Symbol] = {}) -> Formula:
        symbols = {**self.symbols, **extra}
        key = (text, frozenset(symbols.items()))
        found = _FORMULAS.get(key)
        if found is not None:
            return Formula(text, found[0], path, found[1])
        errors = len(self.errors)
        formula = self._parse(text, path, symbols)
        if len(self.errors) == errors:  # only sound formulas are kept: errors need a path
            if len(_FORMULAS) >= _CACHE_MAX:
                _FORMULAS.clear()
            _FORMULAS[key] = (formula.expr, formula.fn)
        return formula

    def _parse(self, text: str, path: Path, symbols: Mapping[str, sympy.Symbol]) -> Formula:
        import sympy

        from quizgen.math.evaluate import compile_expr
        from quizgen.math.parse import parse_math

        try:
            # an instructor's formula may hold larger exponents than a student's answer
            expr = parse_math(text, symbols, split_names=False, limits=BANK_LIMITS)
        except MathSyntaxError as exc:
            self.error(path, f"formula: {exc.message}", _caret(exc))
            expr = sympy.Integer(0)
        except ValueError as exc:  # a declared name the parser cannot take (e.g. 'exp')
            self.error(path, f"formula: {exc}")
            expr = sympy.Integer(0)
        try:
            fn = _evaluator(expr)
        except ValueError as exc:
            self.error(path, f"formula: {exc}")
            fn = compile_expr(sympy.Integer(0))
        return Formula(text, expr, path, fn)

    def comparison(self, text: str, path: Path) -> Comparison | None:
        pieces = _COMPARISON.split(text)
        sides, offset = [], 0
        for i, piece in enumerate(pieces):
            if i % 2 == 0:  # the odd pieces are the operators
                side = self._side(piece, text, offset, path)
                if side is None:
                    return None
                sides.append(side)
            offset += len(piece)
        ops = pieces[1::2]
        if not ops:
            self.error(path, "a condition needs a comparison (<, <=, >, >=, ==, !=)")
            return None
        return Comparison(text, tuple(sides), tuple(ops), path, key=_comparison_key(sides))

    def _side(self, piece: str, text: str, offset: int, path: Path) -> Formula | None:
        """One side of a comparison; a caret points into the whole condition."""
        from quizgen.math.parse import parse_math

        try:
            expr = parse_math(piece, self.symbols, split_names=False)
            return Formula(piece, expr, path, _evaluator(expr))
        except MathSyntaxError as exc:
            shifted = MathSyntaxError(exc.message, text, exc.offset + offset, exc.width)
            self.error(path, f"condition: {exc.message}", _caret(shifted))
        except ValueError as exc:
            self.error(path, f"condition: {exc}")
        return None

    def text(self, source: str, path: Path, extra_names: set[str] = frozenset()) -> Text:
        if "{" not in source:
            return Text(source, None, path)
        known = set(self.names) | set(extra_names)
        pieces = simple_pieces(source)
        names = _substituted(pieces)
        template: jinja2.Template | None = None
        try:
            if names is None or not names <= known:
                template, names = _compiled_text(source)
            unknown = sorted(names - known)
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
        remembered = tuple(sorted(names)) if len(names) <= _MEMO_NAMES else None
        return Text(source, template, path, pieces, remembered, reads=frozenset(names))


# Names jinja does not look up in the context (constants, its own specials).
_JINJA_NAMES = frozenset(
    {"true", "false", "none", "True", "False", "None"}
    | {"self", "loop", "super", "caller", "varargs", "kwargs"}
)


def _substituted(pieces: tuple[Piece, ...] | None) -> frozenset[str] | None:
    """The names a text of plain substitutions reads, or None when jinja must say.

    Such a text renders by concatenation, so its template is never used: compiling it (and
    asking jinja for its names, a second parse) was most of a question's compile time.
    """
    if pieces is None:
        return None
    names = frozenset(p[0] for p in pieces if not isinstance(p, str))
    return None if names & _JINJA_NAMES else names


_CACHE_MAX = 4096
_TEXTS: dict[str, tuple[jinja2.Template, frozenset[str]]] = {}
# A formula's parse depends only on its text and the symbols in scope (names and assumptions).
_FORMULAS: dict[tuple[str, frozenset[Any]], tuple[sympy.Expr, Any]] = {}


def _compiled_text(source: str) -> tuple[jinja2.Template, frozenset[str]]:
    """A template and the names it uses, compiled once per text in a process.

    Compiling jinja and parsing formulas are most of a question's compile time;
    `quizgen preview --watch` compiles a bank again on every save, where only the edited texts
    are new. A template or formula holds no per-render state, so sharing one is safe.
    """
    found = _TEXTS.get(source)
    if found is None:
        found = (compile_text(source), frozenset(template_names(source)))
        if len(_TEXTS) >= _CACHE_MAX:
            _TEXTS.clear()
        _TEXTS[source] = found
    return found


# Values of a costly formula kept per formula: enough for every draw of a question whose
# names take a couple of thousand values together, bounded for one that takes millions.
_MEMO_MAX = 2048
# Renders kept per text (a bank has hundreds of texts: memory stays flat in the class size).
_TEXT_MEMO_MAX = 512
_MEMO_NAMES = 4  # texts reading more names rarely render the same twice


def _evaluator(expr: sympy.Basic) -> Callable[[Mapping[str, Any]], Any]:
    """The formula's compiled function, remembering its values when computing one costs more
    than looking it up (a function or a root: ``floor(sqrt(a^2 + b^2))``, ``0.9^T``).

    A formula is a pure function of its names' values, so a remembered value is the value.
    The key holds each value's type too: 2 and 2.0 (inexact) display differently.

    Raises:
        ValueError: the formula cannot be evaluated (see :func:`compile_expr`).
    """
    import sympy

    from quizgen.math.evaluate import compile_expr

    fn = compile_expr(expr)
    if all(_cheap(node) for node in sympy.preorder_traversal(expr)):
        return fn
    names = tuple(sorted(s.name for s in expr.free_symbols))
    memo: dict[tuple, Any] = {}

    def remembered(env: Mapping[str, Any]) -> Any:
        try:
            key = tuple([memo_key(env[n]) for n in names])
        except KeyError:  # a name without a value: the formula says which
            return fn(env)
        found = memo.get(key, memo)
        if found is memo:
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            found = memo[key] = fn(env)
        return found

    return remembered


def _comparison_key(sides: list[Formula]) -> Callable[[Mapping[str, Any]], tuple] | None:
    """The memo key of a comparison's names' values (with their types, as a formula's memo
    has them), or None when every side is integer arithmetic (testing it is as cheap)."""
    import sympy

    if all(_cheap(node) for side in sides for node in sympy.preorder_traversal(side.expr)):
        return None
    names = tuple(sorted({s.name for side in sides for s in side.expr.free_symbols}))
    return lambda env: tuple([memo_key(env[n]) for n in names])


def _cheap(node: sympy.Basic) -> bool:
    """Integer arithmetic: computing it costs about what looking it up would."""
    if node.is_Pow:
        return node.exp.is_Integer and node.exp > 0
    return node.is_Add or node.is_Mul or node.is_Symbol or node.is_Integer


@functools.lru_cache(maxsize=4096)
def _real_symbol(name: str) -> sympy.Symbol:
    """The real symbol of a parameter or ``let`` name (``Symbol(name, real=True)``)."""
    import sympy

    return sympy.Symbol(name, real=True)


def _caret(exc: MathSyntaxError) -> str:
    return caret_line(exc.text, exc.offset, exc.width)


def _params(c: _Compiler, q: B.QuestionFields) -> list[Param]:
    params = []
    for name, spec in q.params.items():
        path = (*c.base, "params", name)
        try:
            params.append(param_from_spec(name, spec))
        except (ValueError, ZeroDivisionError, TypeError) as exc:
            c.error(path, str(exc))
        c.add_name(name)
    return params


def _lets(c: _Compiler, q: B.QuestionFields) -> list[tuple[str, Formula]]:
    lets = []
    for name, text in q.let.items():
        lets.append((name, c.formula(text, (*c.base, "let", name))))
        c.add_name(name)  # later formulas may use it
    return lets


# --- answers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledAnswer:
    """The compiled answer section of a question or of one multipart part."""

    answer: Any  # the bank model (NumericAnswer, ChoiceAnswer, ...)
    path: Path
    formula: Formula | None = None
    mistakes: tuple[tuple[Formula | None, Text], ...] = ()  # None: a text mistake
    options: tuple[tuple[Formula | Text, Text | None], ...] = ()
    condition: Comparison | None = None
    texts: tuple[Text, ...] = ()  # text answers / rubric / truefalse feedback
    variables: Mapping[str, sympy.Symbol] = field(default_factory=dict)

    @property
    def shuffled(self) -> bool:
        """Whether the options are shown in an order drawn for each variant."""
        return isinstance(self.answer, (B.ChoiceAnswer, B.MultiAnswer)) and self.answer.shuffle

    def reads(self) -> frozenset[str]:
        """Every name the answer's formulas, condition and texts read."""
        formulas = [self.formula, *(f for f, _ in self.mistakes)]
        formulas += [body for body, _ in self.options if isinstance(body, Formula)]
        formulas += self.condition.sides if self.condition is not None else ()
        texts = [*(t for _, t in self.mistakes), *self.texts]
        texts += [body for body, _ in self.options if isinstance(body, Text)]
        texts += [feedback for _, feedback in self.options if feedback is not None]
        names = {s.name for f in formulas if f is not None for s in f.expr.free_symbols}
        return frozenset(names.union(*(t.reads for t in texts)))


@dataclass(frozen=True)
class CompiledPart:
    """One part of a multipart question.

    ``reads`` are the parameter and ``let`` names that the part's answer and texts read: a
    solved part is a pure function of their values (and of its option order), so variants
    that agree on them share one (``solved``, filled by :mod:`quizgen.generate.solve`).
    """

    part: Any
    spec: CompiledAnswer
    prompt: Text
    solution: Text | None
    reads: tuple[str, ...] = ()
    solved: dict[tuple, Any] = field(default_factory=dict, repr=False, compare=False)


def _answer(c: _Compiler, answer: Any, path: Path) -> CompiledAnswer:
    if isinstance(answer, B.NumericAnswer):
        return _numeric_answer(c, answer, path)
    if isinstance(answer, B.ExpressionAnswer):
        return _expression_answer(c, answer, path)
    if isinstance(answer, (B.ChoiceAnswer, B.MultiAnswer)):
        return _choice_answer(c, answer, path)
    if isinstance(answer, B.TrueFalseAnswer):
        return _truefalse_answer(c, answer, path)
    if isinstance(answer, B.TextAnswer):
        return _text_answer(c, answer, path)
    return CompiledAnswer(answer, path, texts=(c.text(answer.rubric, (*path, "rubric")),))


def _numeric_answer(c: _Compiler, answer: B.NumericAnswer, path: Path) -> CompiledAnswer:
    formula = c.formula(answer.answer, (*path, "answer"))
    return CompiledAnswer(answer, path, formula=formula, mistakes=_mistakes(c, answer, path))


def _expression_answer(c: _Compiler, answer: B.ExpressionAnswer, path: Path) -> CompiledAnswer:
    from quizgen.math.domains import domain_symbol

    variables = {}
    for name, domain in answer.domains().items():
        if name in c.names:
            c.error((*path, "variables"), f"variable '{name}' is also a parameter or 'let' name")
        variables[name] = domain_symbol(name, domain)
    formula = c.formula(answer.answer, (*path, "answer"), variables)
    mistakes = _mistakes(c, answer, path, variables)
    return CompiledAnswer(answer, path, formula=formula, mistakes=mistakes, variables=variables)


def _mistakes(
    c: _Compiler, answer: Any, path: Path, variables: Mapping[str, sympy.Symbol] = {}
) -> tuple[tuple[Formula, Text], ...]:
    return tuple(
        (
            c.formula(m.answer, (*path, "mistakes", i, "answer"), variables),
            c.text(m.feedback, (*path, "mistakes", i, "feedback")),
        )
        for i, m in enumerate(answer.mistakes)
    )


def _choice_answer(c: _Compiler, answer: Any, path: Path) -> CompiledAnswer:
    options = []
    for i, opt in enumerate(answer.options):
        opath = (*path, "options", i)
        body: Formula | Text = (
            c.formula(opt.value, (*opath, "value"))
            if opt.value is not None
            else c.text(opt.text or "", (*opath, "text"))
        )
        feedback = c.text(opt.feedback, (*opath, "feedback")) if opt.feedback else None
        options.append((body, feedback))
    return CompiledAnswer(answer, path, options=tuple(options))


def _truefalse_answer(c: _Compiler, answer: B.TrueFalseAnswer, path: Path) -> CompiledAnswer:
    condition = None
    if isinstance(answer.answer, str):
        condition = c.comparison(answer.answer, (*path, "answer"))
    texts = (c.text(answer.feedback, (*path, "feedback")),) if answer.feedback else ()
    return CompiledAnswer(answer, path, condition=condition, texts=texts)


def _text_answer(c: _Compiler, answer: B.TextAnswer, path: Path) -> CompiledAnswer:
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
    return CompiledAnswer(answer, path, texts=texts, mistakes=mistakes)


def _parts(c: _Compiler, q: B.MultipartQuestion) -> list[CompiledPart]:
    parts = []
    for j, part in enumerate(q.parts):
        path = (*c.base, "parts", j)
        spec = _answer(c, part, path)
        prompt = c.text(part.prompt, (*path, "prompt"))
        solution = c.text(part.solution, (*path, "solution"), {"answer"}) if part.solution else None
        texts = (prompt, solution) if solution is not None else (prompt,)
        reads = spec.reads().union(*(t.reads for t in texts)) & set(c.names)
        parts.append(CompiledPart(part, spec, prompt, solution, tuple(sorted(reads))))
    return parts


# --- questions ---------------------------------------------------------------------------------


@dataclass
class CompiledQuestion:
    """A question ready to draw variants from (see :func:`quizgen.generate.solve.draw_variant`).

    Attributes:
        space: the parameters, ``let`` values and ``where`` constraints to draw.
        spec: the answer of a single question (None for a multipart one).
        parts: the parts of a multipart question.
        solved: variants already solved, by draw (filled by :mod:`quizgen.generate.solve`).
    """

    bank: B.Bank
    index: int
    question: Any
    space: ParamSpace
    prompt: Text
    solution: Text
    spec: CompiledAnswer | None
    parts: list[CompiledPart]
    solved: dict[tuple, Variant] = field(default_factory=dict, repr=False)
    #: The option counts of the answers whose options are shuffled, in spec order: each
    #: draw shuffles one order per entry, after the parameters.
    shuffles: tuple[int, ...] = ()

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def path(self) -> Path:
        return ("questions", self.index)

    @property
    def params(self) -> list[Param]:
        return self.space.params

    def space_size(self) -> int:
        """How many parameter combinations exist (before constraints)."""
        return self.space.size()


def compile_question(bank: B.Bank, index: int) -> CompiledQuestion:
    """Compile ``bank.questions[index]``.

    Raises:
        BankErrors: every formula or template problem in the question, located.
    """
    q = bank.questions[index]
    c = _Compiler(bank, index)
    params = _params(c, q)
    lets = _lets(c, q)
    where = [c.comparison(w, (*c.base, "where", i)) for i, w in enumerate(q.where)]
    prompt = c.text(q.prompt, (*c.base, "prompt"))
    solution = c.text(q.solution, (*c.base, "solution"), {"answer"})
    spec, parts = None, []
    if isinstance(q, B.MultipartQuestion):
        parts = _parts(c, q)
    else:
        spec = _answer(c, q, c.base)
    if c.errors:
        raise BankErrors(c.errors)
    space = ParamSpace(bank, params, lets, [w for w in where if w is not None])
    specs = [spec] if spec is not None else [p.spec for p in parts]
    shuffles = tuple(len(s.options) for s in specs if s.shuffled)
    return CompiledQuestion(bank, index, q, space, prompt, solution, spec, parts, shuffles=shuffles)


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
