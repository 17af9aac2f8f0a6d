"""Tests of quizgen.math.parse: the one safe parser for answers and formulas."""

from __future__ import annotations

import builtins
import importlib
import math
import pathlib
import re
import time
from collections.abc import Callable

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from quizgen.errors import MathSyntaxError
from quizgen.math import parse as mathparse
from quizgen.math.parse import (
    CONSTANTS,
    DEFAULT_LIMITS,
    FUNCTIONS,
    Limits,
    free_names,
    parse_math,
)

R = sympy.Rational
x, y, z, n, h, r = (sympy.Symbol(name, real=True) for name in "xyznhr")
NAMES = ["x", "y", "z", "n", "h"]


def sym(name: str) -> sympy.Symbol:
    """The symbol parse_math creates for a declared name."""
    return sympy.Symbol(name, real=True)


# -- accepted input ---------------------------------------------------------------------------

ACCEPT: list[tuple[str, sympy.Expr]] = [
    # the brief's examples
    ("2x", 2 * x),
    ("4*(n*h + h^2 + h)", 4 * (n * h + h**2 + h)),
    ("x²", x**2),
    ("√(x+1)", sympy.sqrt(x + 1)),
    ("3·4", sympy.Integer(12)),
    ("2^3^2", sympy.Integer(512)),
    ("-x^2", -(x**2)),
    ("0.9^5", R(9, 10) ** 5),
    ("1e-3", R(1, 1000)),
    ("xy", x * y),
    ("sigmoid(0)", R(1, 2)),
    ("log(8, 2)", sympy.Integer(3)),
    ("e^x", sympy.exp(x)),
    # numbers
    ("42", sympy.Integer(42)),
    (".5", R(1, 2)),
    ("5.", sympy.Integer(5)),
    ("2.5E4", sympy.Integer(25000)),
    ("1e3", sympy.Integer(1000)),
    ("0.1 + 0.2", R(3, 10)),
    ("10^1000", sympy.Integer(10) ** 1000),
    ("1" + "0" * 59, sympy.Integer(10) ** 59),
    # operators and precedence
    ("2**10", sympy.Integer(1024)),
    ("x**2", x**2),
    ("2^-1", R(1, 2)),
    ("-2^2", sympy.Integer(-4)),
    ("--x", x),
    ("+x", x),
    ("2*-3", sympy.Integer(-6)),
    ("x/y/z", x / (y * z)),
    ("2^x^2", 2 ** (x**2)),
    ("1/2x", x / 2),
    ("x^2y", x**2 * y),
    ("x - y - z", x - y - z),
    ("(2)(3)", sympy.Integer(6)),
    ("[x+1]*2", 2 * x + 2),
    ("x\t+\ny", x + y),
    # implicit multiplication
    ("2(x+1)", 2 * x + 2),
    ("(x+1)(x-1)", (x + 1) * (x - 1)),
    ("(x+1)2", 2 * (x + 1)),
    ("x y", x * y),
    ("2 pi", 2 * sympy.pi),
    ("3sqrt(x)", 3 * sympy.sqrt(x)),
    ("x(y+1)", x * (y + 1)),
    ("2[x+1]", 2 * x + 2),
    ("nh", n * h),
    ("2xyz", 2 * x * y * z),
    # Unicode
    ("x⁻¹", 1 / x),
    ("x²³", x**23),
    ("10⁻³", R(1, 1000)),
    ("2√3", 2 * sympy.sqrt(3)),
    ("√x", sympy.sqrt(x)),
    ("√x²", sympy.Abs(x)),
    ("√√16", sympy.Integer(2)),
    ("π", sympy.pi),
    ("2πx", 2 * sympy.pi * x),
    ("3\u00d74", sympy.Integer(12)),
    ("3\u22c54\u22172", sympy.Integer(24)),
    ("6÷3", sympy.Integer(2)),
    ("5\u22122", sympy.Integer(3)),
    ("x \u2013 1", x - 1),
    ("1\u00a0+\u2009 2\u202f", sympy.Integer(3)),
    ("\uff10\uff0e\uff15", R(1, 2)),
    ("\uff58\uff0b\uff11", x + 1),
    # functions and constants
    ("e", sympy.E),
    ("2e", 2 * sympy.E),
    ("ln(e)", sympy.Integer(1)),
    ("log(x)", sympy.log(x)),
    ("log(x, 10)", sympy.log(x) / sympy.log(10)),
    ("exp(1e6)", sympy.exp(10**6)),
    ("sin(10^50)", sympy.sin(sympy.Integer(10) ** 50)),
    ("sin(pi/6)", R(1, 2)),
    ("cos(0) + tan(0)", sympy.Integer(1)),
    ("abs(-3)", sympy.Integer(3)),
    ("abs(x)", sympy.Abs(x)),
    ("min(1, 2, 3)", sympy.Integer(1)),
    ("max(x, y)", sympy.Max(x, y)),
    ("max(x, 2, 3)", sympy.Max(x, 3)),
    ("floor(7/2)", sympy.Integer(3)),
    ("ceil(7/2)", sympy.Integer(4)),
    ("floor(sqrt(2))", sympy.Integer(1)),
    ("ceil(-sqrt(2))", sympy.Integer(-1)),
    ("floor(pi)", sympy.Integer(3)),
    ("arctan(1)", sympy.pi / 4),
    ("asin(1)", sympy.pi / 2),
    ("acos(1/2)", sympy.pi / 3),
    ("tanh(0) + sinh(0) + cosh(0)", sympy.Integer(1)),
    ("sigmoid(x)", 1 / (1 + sympy.exp(-x))),
    ("sqrt(16)", sympy.Integer(4)),
    ("x^0.5", sympy.sqrt(x)),
    ("4^(1/2)", sympy.Integer(2)),
    ("-8^(1/3)", sympy.Integer(-2)),
    ("(-8)^3", sympy.Integer(-512)),
    ("sqrt(2)+sqrt(3)", sympy.sqrt(2) + sympy.sqrt(3)),
    ("x^(1/2) + x^(1/3)", sympy.sqrt(x) + sympy.cbrt(x)),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPT)
def test_accepts(text: str, expected: sympy.Expr) -> None:
    result = parse_math(text, NAMES)
    assert result == expected or sympy.expand(result - expected) == 0
    assert isinstance(result, sympy.Expr)


def test_numbers_are_exact_rationals() -> None:
    result = parse_math("0.9 * x + 1.25", ["x"])
    assert not result.atoms(sympy.Float)
    assert result == R(9, 10) * x + R(5, 4)


def test_declared_names_with_underscores_and_digits() -> None:
    names = ["W_xh", "h_prev", "h2", "c_prev"]
    expected = sym("W_xh") * sym("h_prev") + sym("h2") - sym("c_prev")
    assert parse_math("W_xh*h_prev + h2 - c_prev", names) == expected


def test_declared_name_beats_splitting() -> None:
    assert parse_math("hx", ["h", "x", "hx"]) == sym("hx")
    assert parse_math("hx", ["h", "x"]) == h * x


def test_declared_e_and_pi_beat_the_constants() -> None:
    e_sym, pi_sym = sym("e"), sym("pi")
    assert parse_math("e*x", ["e", "x"]) == e_sym * x
    assert parse_math("e^x", ["e", "x"]) == e_sym**x
    assert parse_math("2pi", ["pi"]) == 2 * pi_sym
    assert parse_math("π", ["pi"]) == pi_sym
    assert parse_math("2e3", ["e"]) == 2000  # scientific notation still wins


def test_mapping_symbols_are_used_as_given() -> None:
    k = sympy.Symbol("k", positive=True, integer=True)
    result = parse_math("sqrt(k^2) + k", {"k": k})
    assert result == 2 * k
    assert result.free_symbols == {k}


def test_iterable_names_become_real_symbols() -> None:
    result = parse_math("x", ("x",))
    assert result.is_real
    assert result == sym("x")


def test_split_names_can_be_disabled() -> None:
    with pytest.raises(MathSyntaxError, match=r"did you mean x\*y\?"):
        parse_math("xy", ["x", "y"], split_names=False)


def test_constants_and_functions_tables() -> None:
    assert CONSTANTS["pi"] is sympy.pi
    assert CONSTANTS["e"] is sympy.E
    wanted = {"sqrt", "exp", "log", "ln", "sin", "cos", "tan", "tanh", "sinh", "cosh"}
    wanted |= {"asin", "arcsin", "acos", "arccos", "atan", "arctan", "sigmoid", "abs"}
    wanted |= {"min", "max", "floor", "ceil"}
    assert wanted <= set(FUNCTIONS)
    assert FUNCTIONS["sigmoid"](sympy.Integer(0)) == R(1, 2)
    assert FUNCTIONS["log"].arity() == "1 or 2 arguments"


def test_public_api() -> None:
    assert set(mathparse.__all__) == {
        "CONSTANTS",
        "DEFAULT_LIMITS",
        "FUNCTIONS",
        "Limits",
        "free_names",
        "parse_math",
    }
    assert Limits() == DEFAULT_LIMITS
    assert DEFAULT_LIMITS.max_length == 1000


# -- refused input ----------------------------------------------------------------------------

# (text, expected part of the message, expected offset) with x and y declared
REFUSE: list[tuple[str, str, int]] = [
    ("__import__('os').system('x')", "names starting with '_'", 0),
    ("().__class__.__bases__", "unexpected ')' — expected a number, a name or '('", 1),
    ("(1).real", "'.' is only allowed inside a number", 3),
    ("lambda: 1", "character ':' is not allowed", 6),
    ("x.real", "'.' after a name", 1),
    ('"abc"', "quotes", 0),
    ("open('f')", "function 'open' is not allowed", 0),
    ("2*'x'", "quotes", 2),
    ("exit()", "function 'exit' is not allowed (allowed: abs, acos", 0),
    ("factorial(10^9)", "factorial() of a number needs a whole number of at most 1000", 0),
    ("binomial(10^9, 3)", "binomial() of a number needs a whole number", 0),
    ("x!!", "'!!' (double factorial) is not allowed", 1),
    ("tanh^-1(x)", "for the inverse function write atanh(x)", 0),
    ("root(x, y)", "the degree of root() must be a whole number", 0),
    ("acosh(1/2)", "is not a real number", 0),
    ("9^9^9^9", "exponent too large (limit 1000)", 4),
    ("10^10^10", "exponent too large (limit 1000)", 3),
    ("1e999999999", "exponent in 1e999999999 is too large", 0),
    ("9" * 5000, "too long (5000 characters; limit 1000)", 1000),
    ("(" * 100000, "too long", 1000),
    ("x" * 1_000_000, "too long", 1000),
    ("x^1000001", "exponent too large (limit 1000)", 2),
    ("x^100000", "exponent too large", 2),
    ("2^(x^1000000)", "exponent too large", 5),
    ("nan", "unknown name 'nan' (known: x, y)", 0),
    ("inf", "unknown name 'inf'", 0),
    ("oo", "unknown name 'oo'", 0),
    ("zoo", "unknown name 'zoo'", 0),
    ("I", "unknown name 'I'", 0),
    ("2j", "unknown name 'j'", 1),
    ("1/0", "division by zero", 1),
    ("0/0", "division by zero", 1),
    ("x/(y-y)", "division by zero", 1),
    ("0^-1", "undefined", 0),
    ("log(0)", "log(0) is undefined", 0),
    ("tan(pi/2)", "undefined", 0),
    ("x,y", "',' is only allowed between function arguments", 1),
    ("20,362", "write 20362 without separators", 2),
    ("0,5", "use '.' for decimals", 1),
    ("(1, 2)", "',' is only allowed between function arguments", 2),
    ("2x+", "unexpected end of input — expected a number, a name or '('", 3),
    ("x^", "unexpected end of input", 2),
    (")", "')' has no matching '('", 0),
    ("(x+1", "'(' is never closed", 0),
    ("(x]", "expected ')' to close '('", 2),
    ("(*2)", "unexpected '*' — expected a number, a name or '('", 1),
    ("x==1", "'=' is not allowed", 1),
    ("x = 1", "'=' is not allowed", 2),
    ("x;y", "';' is not allowed", 1),
    ("x@y", "character '@' is not allowed", 1),
    ("x%2", "'%' is not allowed", 1),
    ("x&y", "character '&' is not allowed", 1),
    ("'x'", "quotes", 0),
    ("`x`", "backticks", 0),
    ("\u0445", "character '\u0445' (CYRILLIC SMALL LETTER HA) is not allowed", 0),
    ("2\u0445", "CYRILLIC SMALL LETTER HA", 1),
    ("x\u200by", "U+200B (ZERO WIDTH SPACE)", 1),
    ("x\u202ey", "U+202E (RIGHT-TO-LEFT OVERRIDE)", 1),
    ("x\u200d", "ZERO WIDTH JOINER", 1),
    ("\u00bd", "VULGAR FRACTION ONE HALF", 0),
    ("x\x00", "U+0000", 1),
    ("", "the input is empty", 0),
    ("   ", "the input is empty", 0),
    ("sqrt()", "sqrt() takes 1 argument (0 given)", 0),
    ("sqrt(1,2)", "sqrt() takes 1 argument (2 given)", 0),
    ("max(1)", "max() takes at least 2 arguments (1 given)", 0),
    ("log(1,2,3)", "log() takes 1 or 2 arguments (3 given)", 0),
    ("sin x", "function 'sin' needs parentheses", 0),
    ("Symbol('x')", "function 'Symbol' is not allowed", 0),
    ("S('x')", "function 'S' is not allowed", 0),
    ("S(x)", "function 'S' is not allowed", 0),
    ("eval", "unknown name 'eval'", 0),
    ("exec", "unknown name 'exec'", 0),
    ("getattr", "unknown name 'getattr'", 0),
    ("x[0]", "looks like indexing", 1),
    ("{}", "unexpected '}'", 1),
    ("#", "character '#' is not allowed", 0),
    ("$x$", "'$' is not allowed", 0),
    ("\\frac{1}{2}", "LaTeX", 0),
    ("import", "unknown name 'import'", 0),
    ("if", "unknown name 'if'", 0),
    ("for", "unknown name 'for'", 0),
    ("X", "names are case-sensitive: did you mean x?", 0),
    ("2 3", "two numbers in a row", 2),
    ("1.2.3", "only one decimal point", 3),
    ("2_000", "'_' is not allowed in numbers", 1),
    ("1" + "0" * 60, "too many digits (61; limit 60)", 0),
    ("_x", "names starting with '_'", 0),
    ("a__b", "'__'", 0),
    ("a" * 41, "name is too long (limit 40", 0),
    ("sinx", "did you mean sin(x)?", 0),
    ("xsin(y)", "did you mean x*sin(...)?", 0),
    ("ex", "did you mean e*x?", 0),
    ("pix", "did you mean pi*x?", 0),
    ("sqrt(-4)", "not a real number", 0),
    ("(-8)^(1/3)", "not a real number", 0),
    ("asin(2)", "outside [-1, 1]", 0),
    ("log(-1)", "not a real number", 0),
    ("exp(exp(exp(100)))", "the argument of exp() is too large", 0),
    ("sin(exp(10^6))+1", "too large to evaluate", 0),
    ("floor(exp(1000))", "floor() of a number this large", 0),
    ("(10^20)^1000", "number too large", 0),
    ("sqrt(3^900+1)", "root of a number this large", 0),
    ("2^(1/1000)", "algebraic degree", 0),
    ("floor((1/3)^(1e-300))", "algebraic degree", 6),
    ("floor((1+sqrt(2))^2 - 2sqrt(2))", "close to an integer", 0),
    ("sqrt(2)+sqrt(3)+sqrt(5)+sqrt(7)+sqrt(11)", "algebraic degree > 16", 0),
    ("-" * 100 + "x", "nesting deeper than 60 levels", 61),
    ("2^" * 100 + "2", "nesting deeper than 60 levels", 122),
    ("(" * 61 + "x" + ")" * 61, "nesting deeper than 60 levels", 60),
]


@pytest.mark.parametrize(("text", "message", "offset"), REFUSE)
def test_refuses(text: str, message: str, offset: int) -> None:
    with pytest.raises(MathSyntaxError) as caught:
        parse_math(text, ["x", "y"])
    error = caught.value
    assert message in error.message
    assert error.offset == offset
    assert error.text == text
    assert 0 <= error.offset <= len(text)
    assert "^" in error.with_caret()


def test_refusals_are_fast() -> None:
    durations = []
    for text, _, _ in REFUSE:
        start = time.perf_counter()
        with pytest.raises(MathSyntaxError):
            parse_math(text, ["x", "y"])
        durations.append(time.perf_counter() - start)
    assert sum(durations) < 2.0  # generous: usually ~50 ms for the whole table
    assert max(durations) < 0.5


def test_caret_points_at_the_culprit() -> None:
    with pytest.raises(MathSyntaxError) as caught:
        parse_math("2 + x\u00b2 + \u0445", ["x"])
    assert caught.value.offset == 9
    assert caught.value.with_caret().splitlines()[-1] == " " * 9 + "^"


def test_offsets_survive_unicode_expansion() -> None:
    # π expands to ' pi ' and ² to '^(2)'; the offset must still index the original text
    with pytest.raises(MathSyntaxError) as caught:
        parse_math("π²·y + q", ["y"])
    assert caught.value.offset == 7
    assert caught.value.width == 1


def test_unknown_names_list_the_known_ones() -> None:
    with pytest.raises(MathSyntaxError, match=r"unknown name 'foo' \(known: h, x, y\)"):
        parse_math("foo", ["y", "x", "h"])
    with pytest.raises(MathSyntaxError, match=r"\(known: none\)"):
        parse_math("foo")


def test_ambiguous_split_is_refused() -> None:
    with pytest.raises(MathSyntaxError, match=r"it could mean a\*b\*c or ab\*c"):
        parse_math("abc", ["a", "b", "c", "ab"])


def test_splitting_never_produces_a_function() -> None:
    with pytest.raises(MathSyntaxError, match=r"did you mean sin\(x\)\?"):
        parse_math("sinx", ["x"])
    with pytest.raises(MathSyntaxError, match=r"it could mean s\*i\*n\*x or sin\(x\)"):
        parse_math("sinx", ["s", "i", "n", "x"])


def test_deep_nesting_fails_fast_without_recursion_error() -> None:
    wide = Limits(max_length=10**6)
    for text in ("(" * 100_000, "-" * 100_000 + "x", "2^" * 50_000 + "2", "sqrt(" * 20_000):
        start = time.perf_counter()
        with pytest.raises(MathSyntaxError, match="nesting deeper"):
            parse_math(text, ["x"], limits=wide)
        assert time.perf_counter() - start < 0.5


def test_limits_are_configurable() -> None:
    with pytest.raises(MathSyntaxError, match="too long"):
        parse_math("x+x", ["x"], limits=Limits(max_length=2))
    with pytest.raises(MathSyntaxError, match="too many digits"):
        parse_math("1234", limits=Limits(max_digits=3))
    with pytest.raises(MathSyntaxError, match="exponent too large"):
        parse_math("2^11", limits=Limits(max_exponent=10))
    with pytest.raises(MathSyntaxError, match="number too large"):
        parse_math("2^100", limits=Limits(max_result_bits=64))
    with pytest.raises(MathSyntaxError, match="more than 5 parts"):
        parse_math("x+x+x+x+x+x", ["x"], limits=Limits(max_nodes=5))
    with pytest.raises(MathSyntaxError, match="nesting deeper than 2"):
        parse_math("(((x)))", ["x"], limits=Limits(max_depth=2))
    assert parse_math("2^10", limits=Limits(max_exponent=10)) == 1024


@pytest.mark.parametrize(
    "kwargs", [{"max_length": 0}, {"max_depth": 101}, {"max_digits": -1}, {"max_nodes": 1.5}]
)
def test_invalid_limits(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Limits"):
        Limits(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("names", [["sin"], ["2x"], ["_x"], ["a__b"], ["x y"]])
def test_invalid_declared_names(names: list[str]) -> None:
    with pytest.raises(ValueError, match="symbol"):
        parse_math("1", names)


def test_bad_argument_types() -> None:
    with pytest.raises(TypeError):
        parse_math(b"x", ["x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_math("x", "x")
    with pytest.raises(TypeError):
        parse_math("x", {"x": "x"})  # type: ignore[dict-item]


# -- free_names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("n*h + h^2 + h", ["n", "h"]),
        ("e^x + pi*sin(y)", ["x", "y"]),
        ("W_xh*h_prev + b", ["W_xh", "h_prev", "b"]),
        ("xy + 2", ["xy"]),
        ("sqrt(2)", []),
        ("c_prev*sigmoid(z) + z", ["c_prev", "z"]),
    ],
)
def test_free_names(text: str, names: list[str]) -> None:
    assert free_names(text) == names


@pytest.mark.parametrize(
    ("text", "message"),
    [("x(y+1)", "to multiply, write x*(...)"), ("2x+", "unexpected end"), ("a.b", "'.'")],
)
def test_free_names_refuses_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(MathSyntaxError, match=re.escape(message)):
        free_names(text)


# -- no code is ever evaluated ----------------------------------------------------------------


def _forbidden(name: str) -> Callable[..., object]:
    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError(f"{name} was called")

    return refuse


def test_no_eval_exec_or_string_sympify(monkeypatch: pytest.MonkeyPatch) -> None:
    sympify_module = importlib.import_module("sympy.core.sympify")
    sympy_parser = importlib.import_module("sympy.parsing.sympy_parser")

    original = sympify_module.sympify

    def sympify_without_strings(value: object, *args: object, **kwargs: object) -> object:
        if isinstance(value, str):
            raise AssertionError("sympify was called on a string")
        return original(value, *args, **kwargs)

    monkeypatch.setattr(builtins, "eval", _forbidden("eval"))
    monkeypatch.setattr(builtins, "exec", _forbidden("exec"))
    monkeypatch.setattr(sympy, "sympify", sympify_without_strings)
    monkeypatch.setattr(sympify_module, "sympify", sympify_without_strings)
    # S("...") calls the sympify bound when sympy was imported, not the module attribute.
    monkeypatch.setattr(type(sympy.S), "__call__", staticmethod(sympify_without_strings))
    monkeypatch.setattr(sympy_parser, "parse_expr", _forbidden("parse_expr"))
    monkeypatch.setattr(sympy, "parse_expr", _forbidden("parse_expr"), raising=False)
    for text, expected in ACCEPT:
        result = parse_math(text, NAMES)
        assert result == expected or sympy.expand(result - expected) == 0
    for text, _, _ in REFUSE[:40]:
        with pytest.raises(MathSyntaxError):
            parse_math(text, ["x", "y"])


def test_source_never_evaluates_text() -> None:
    package = pathlib.Path(mathparse.__file__).parent  # quizgen/math: parser, evaluator, printing
    pattern = re.compile(r"\b(eval|exec|sympify|parse_expr|__import__)\s*\(")
    for path in package.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not pattern.search(source), path.name
        assert not re.search(r"(?<!re\.)\bcompile\s*\(", source), path.name
        assert "sympy.parsing" not in source, path.name
        assert not re.search(r"\bS\(", source), path.name


# -- properties -------------------------------------------------------------------------------

_LEAVES = st.one_of(
    st.sampled_from(["x", "y", "z"]).map(lambda name: (name, sym(name))),
    st.integers(0, 12).map(lambda k: (str(k), sympy.Integer(k))),
    st.sampled_from(["0.5", "1.25", "0.1", "2.75"]).map(lambda s: (s, sympy.Rational(s))),
    st.just(("pi", sympy.pi)),
)
_UNARY = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "exp": sympy.exp,
    "abs": sympy.Abs,
    "tanh": sympy.tanh,
}


Case = tuple[str, sympy.Expr, bool]  # text, expected value, every intermediate defined


def _defined(expr: sympy.Expr) -> bool:
    bad = (sympy.nan, sympy.zoo, sympy.oo, -sympy.oo, sympy.I)
    return expr not in bad and not any(expr.has(b) for b in bad)


def _combine(draw: st.DrawFn, left: Case, right: Case) -> Case:
    (lt, le, lok), (rt, re_, rok) = left, right
    space = draw(st.sampled_from(["", " ", "  "]))
    op = draw(st.sampled_from(["+", "-", "*", "/", "^", "implicit"]))
    if op == "^":
        power = draw(st.integers(-2, 3))
        caret = draw(st.sampled_from(["^", "**"]))
        text, expr = f"({lt}){space}{caret}{space}({power})", sympy.Pow(le, power)
    elif op == "implicit":
        text, expr = f"({lt}){space}[{rt}]", sympy.Mul(le, re_)
    else:
        text = f"({lt}){space}{op}{space}({rt})"
        expr = {
            "+": lambda: sympy.Add(le, re_),
            "-": lambda: sympy.Add(le, -re_),
            "*": lambda: sympy.Mul(le, re_),
            "/": lambda: sympy.Mul(le, sympy.Pow(re_, -1)),
        }[op]()
    return text, expr, lok and rok and _defined(expr)


@st.composite
def expressions(draw: st.DrawFn, depth: int = 3) -> Case:
    if depth == 0 or draw(st.booleans()):
        text, expr = draw(_LEAVES)
        return text, expr, True
    kind = draw(st.sampled_from(["binary", "binary", "function", "negate"]))
    if kind == "function":
        name = draw(st.sampled_from([*sorted(_UNARY), "sqrt"]))
        text, expr, ok = draw(expressions(depth - 1))
        if name == "sqrt":  # of a non-negative value: roots of negative numbers are refused
            result = sympy.sqrt(sympy.Abs(expr))
            return f"sqrt(abs({text}))", result, ok and _defined(result)
        result = _UNARY[name](expr)
        return f"{name}({text})", result, ok and _defined(result)
    if kind == "negate":
        text, expr, ok = draw(expressions(depth - 1))
        return f"-({text})", -expr, ok
    return _combine(draw, draw(expressions(depth - 1)), draw(expressions(depth - 1)))


# The parser refuses, by design, values too large to evaluate safely (cos(exp(exp(8))) has an
# argument of about e^2981), however well formed the text: a printed tree either parses back to
# its value or is refused for one of the resource limits, never as a syntax error.
_LIMIT_REFUSAL = re.compile(r"too (large|long|deep|many)|nested too deeply")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_printed_trees_parse_back_or_are_refused_for_size(case: Case) -> None:
    text, expected, defined = case
    assume(defined)
    try:
        result = parse_math(text, ["x", "y", "z"])
    except MathSyntaxError as error:
        assert _LIMIT_REFUSAL.search(error.message), (text, error.message)
        return
    assert result == expected or sympy.expand(result - expected) == 0


def test_issue_a_huge_argument_is_refused_with_a_math_syntax_error() -> None:
    """cos(exp(exp(8))) failed the property above: the property wanted every printed tree
    parsed, but the parser rightly refuses a cosine of about e^2981 as too large."""
    with pytest.raises(MathSyntaxError, match="too large"):
        parse_math("cos(exp(exp(8)))", ["x", "y", "z"])


_MATHY = st.sampled_from(
    [*"0123456789xy+-*/^()[],.e \u03c0\u00b2\u221a\u00b7\u2212_", "pi", "sqrt(", "**"]
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_MATHY, max_size=30).map("".join)))
def test_arbitrary_text_only_raises_math_syntax_error(text: str) -> None:
    start = time.perf_counter()
    offset = 0
    try:
        result: object = parse_math(text, ["x", "y"])
    except MathSyntaxError as error:
        result, offset = None, error.offset
    assert result is None or isinstance(result, sympy.Expr)
    assert 0 <= offset <= len(text)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "text", ["exp(exp(exp(0.1)))", "cos(exp(exp(0.1)))", "sigmoid(exp(exp(1/2)))"]
)
def test_issue_nested_exponentials_of_small_numbers_are_accepted(text: str) -> None:
    """The size guard bounded exp(x) by e^(2^mag(x)) at every level, refusing exp(exp(exp(0.1)))
    (about 6.3e8) as 'too large'; numbers of modest size now use their value."""
    assert parse_math(text).evalf(10).is_finite


def test_issue_10_a_bank_name_that_became_a_function_still_works() -> None:
    """attention.yaml declares ``root: sqrt(d)``; root() joined the table in issue 10."""
    from quizgen.math.parse import free_names

    assert free_names("r1/root") == ["r1", "root"]
    assert str(parse_math("r1/root", ["r1", "root"])) == "r1/root"
    assert str(parse_math("root(x, 3)", ["x"])) == "Abs(x)**(1/3)*sign(x)"
    with pytest.raises(ValueError, match="function name"):
        parse_math("sin", ["sin"])


# --- issue 10: glued names under a power bind the letter next to '^' (as textbooks do) ------------

GLUED = [
    # (typed, declared names, the reading written out)
    ("xy^2", "x y", "x*y**2"),
    ("yx^2", "x y", "y*x**2"),
    ("xy^3", "x y", "x*y**3"),
    ("3ab^2", "a b", "3*a*b**2"),
    ("3a^2b", "a b", "3*a**2*b"),
    ("a^3+3a^2b+3ab^2+b^3", "a b", "a**3 + 3*a**2*b + 3*a*b**2 + b**3"),
    ("hx²", "h x", "h*x**2"),
    ("hx^2", "h x", "h*x**2"),
    ("8Lh^2", "L h", "8*L*h**2"),
    ("8Lh", "L h", "8*L*h"),
    ("4hn - 4h^2 + 8Lh^2 + 8Lh", "h n L", "4*h*n - 4*h**2 + 8*L*h**2 + 8*L*h"),
    ("f^Tc0", "f T c0", "f**T*c0"),
    ("nm^(-1)", "n m", "n/m"),
    ("nm^-1", "n m", "n/m"),
    ("xyz^2", "x y z", "x*y*z**2"),
    ("x^2yz", "x y z", "x**2*y*z"),
    ("xy^2z", "x y z", "x*y**2*z"),
    ("ab^cd", "a b c d", "a*b**c*d"),
    ("2xy^2", "x y", "2*x*y**2"),
    ("-xy^2", "x y", "-x*y**2"),
    ("(xy)^2", "x y", "x**2*y**2"),
    ("(x y)^2", "x y", "x**2*y**2"),
    ("x y^2", "x y", "x*y**2"),
    ("x*y^2", "x y", "x*y**2"),
    ("xy²", "x y", "x*y**2"),
    ("xy³", "x y", "x*y**3"),
    ("x²y", "x y", "x**2*y"),
    ("x²y²", "x y", "x**2*y**2"),
    ("nh^2 + h", "n h", "n*h**2 + h"),
    ("4nh + 4h^2 + 4h", "n h", "4*n*h + 4*h**2 + 4*h"),
    ("kn!", "k n", "k*factorial(n)"),
    ("n!", "n", "factorial(n)"),
    ("2n!", "n", "2*factorial(n)"),
    ("(kn)!", "k n", "factorial(k*n)"),
    ("n!^2", "n", "factorial(n)**2"),
    ("e^xy", "x y", "exp(x)*y"),
    ("e^(xy)", "x y", "exp(x*y)"),
    ("2^nk", "n k", "2**n*k"),
    ("xy^(1/2)", "x y", "x*sqrt(y)"),
    ("xy^2/z", "x y z", "x*y**2/z"),
    ("1/xy^2", "x y", "1/(x*y**2)"),  # a glued name is one factor: 1/xy is 1/(x*y)
    ("ab^2c^3", "a b c", "a*b**2*c**3"),
    ("pq^2 - qp^2", "p q", "p*q**2 - q*p**2"),
    ("uv^{2}", "u v", "u*v**2"),
]


@pytest.mark.parametrize(("typed", "names", "reading"), GLUED)
def test_issue_10_glued_forms_read_as_textbooks_do(typed: str, names: str, reading: str) -> None:
    declared = {n: sympy.Symbol(n, real=True) for n in names.split()}
    expected = sympy.sympify(reading, locals=declared)  # the oracle: a trusted literal, not input
    assert parse_math(typed, declared) == expected


def test_the_glued_table_is_large_enough() -> None:
    assert len(GLUED) >= 40


# --- issue 10: what students of this subject type ---------------------------------------------

TYPED = [
    ("σ(z)", "z", "1/(1 + exp(-z))"),
    ("σ(z)(1-σ(z))", "z", "(1 - 1/(1 + exp(-z)))/(1 + exp(-z))"),
    ("x⊙y", "x y", "x*y"),
    ("x∘y", "x y", "x*y"),
    ("tanh²(x)", "x", "tanh(x)**2"),
    ("tanh^2(x)", "x", "tanh(x)**2"),
    ("1 - tanh^2(x)", "x", "1 - tanh(x)**2"),
    ("sin^2(x) + cos^2(x)", "x", "sin(x)**2 + cos(x)**2"),
    ("e^{-z}", "z", "exp(-z)"),
    ("x^{2}", "x", "x**2"),
    ("{x+1}^2", "x", "(x + 1)**2"),
    ("2\\cdot x", "x", "2*x"),
    ("2 \\times x", "x", "2*x"),
    ("sec(x)", "x", "sec(x)"),
    ("arsinh(x)", "x", "asinh(x)"),
    ("log(x, 2)", "x", "log(x)/log(2)"),
    ("log2(x)", "x", "log(x)/log(2)"),
    ("log10(x)", "x", "log(x)/log(10)"),
    ("nCr(n, 2)", "n", "binomial(n, 2)"),
    ("relu(x)", "x", "Max(0, x)"),
    ("softplus(x)", "x", "log(1 + exp(x))"),
    ("heaviside(x)", "x", "Heaviside(x, 1/2)"),
    ("sgn(x)", "x", "sign(x)"),
    ("cbrt(x)", "x", "sign(x)*Abs(x)**(1/3)"),
]


@pytest.mark.parametrize(("typed", "names", "reading"), TYPED)
def test_issue_10_what_students_type(typed: str, names: str, reading: str) -> None:
    declared = {n: sympy.Symbol(n, real=True) for n in names.split()}
    expected = sympy.sympify(reading, locals=declared)  # the oracle: a trusted literal, not input
    assert sympy.simplify(parse_math(typed, declared) - expected) == 0


@pytest.mark.parametrize(
    ("typed", "names", "message"),
    [
        ("4H(X+H+1)", "h x", "names are case-sensitive: did you mean h and x? (variables: h, x)"),
        ("2sinxcosx", "x", "did you mean sin(x)*cos(x)? (write sin(x), with parentheses)"),
        ("sinx", "x", "did you mean sin(x)?"),
        # the hint named "sin(x" (cut at the '*' inside the call)
        ("sinxh", "x h", "did you mean sin(x*h)? (write sin(x*h), with parentheses)"),
        ("tanh^-1(x)", "x", "for the inverse function write atanh(x) or arctanh(x)"),
        ("\\frac{1}{2}", "x", "LaTeX is not supported"),
    ],
)
def test_issue_10_targeted_messages(typed: str, names: str, message: str) -> None:
    with pytest.raises(MathSyntaxError) as caught:
        parse_math(typed, names.split())
    assert message in caught.value.message


# --- issue 10: each new function with its real domain -----------------------------------------

# (call, inside the domain: value, outside: the refusal) — numbers are evaluated as typed
DOMAINS_TABLE = [
    ("sec(0)", 1, "sec(pi/2)", "undefined"),
    ("csc(pi/2)", 1, "csc(0)", "undefined"),
    ("cot(pi/4)", 1, "cot(0)", "undefined"),
    ("sech(0)", 1, None, None),
    ("csch(1)", 1 / math.sinh(1), "csch(0)", "undefined"),
    ("coth(1)", 1 / math.tanh(1), "coth(0)", "undefined"),
    ("asinh(1)", math.asinh(1), None, None),
    ("acosh(2)", math.acosh(2), "acosh(1/2)", "not a real number"),
    ("atanh(1/2)", math.atanh(0.5), "atanh(2)", "not a real number"),
    ("log(8, 2)", 3, "log(-8, 2)", "not a real number"),
    ("log10(1000)", 3, "log10(0)", "log(0) is undefined"),
    ("log2(1/8)", -3, "log2(-1)", "not a real number"),
    ("cbrt(-8)", -2, None, None),
    ("root(16, 4)", 2, "root(-16, 4)", "not a real number"),
    ("root(-32, 5)", -2, "root(2, 1/2)", "degree of root() must be a whole number"),
    ("sign(-3)", -1, None, None),
    ("sgn(0)", 0, None, None),
    ("factorial(5)", 120, "factorial(-1)", "undefined"),
    ("5!", 120, "factorial(1/2)", "needs a whole number"),
    ("binomial(7, 3)", 35, "binomial(7, 1/2)", "needs a whole number"),
    ("nCr(7, 3)", 35, None, None),
    ("erf(0)", 0, None, None),
    ("relu(-2)", 0, None, None),
    ("softplus(0)", math.log(2), None, None),
    ("heaviside(0)", 0.5, None, None),
    ("heaviside(-1)", 0, None, None),
]


@pytest.mark.parametrize(("good", "value", "bad", "refusal"), DOMAINS_TABLE)
def test_issue_10_function_domains(good: str, value: float, bad: str | None, refusal: str) -> None:
    assert math.isclose(float(parse_math(good, []).evalf(30)), value, abs_tol=1e-12)
    if bad is not None:
        with pytest.raises(MathSyntaxError) as caught:
            parse_math(bad, [])
        assert refusal in caught.value.message
