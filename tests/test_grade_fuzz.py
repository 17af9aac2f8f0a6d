"""Differential fuzz of the expression checker against an independent high-precision oracle.

Pairs are built by construction (issue 10):

* **equivalent** — a random formula and the same formula expanded, factored, with its sums and
  products reordered, with log/exp/power rules that hold on the declared domain (logs of
  positive variables), trig, hyperbolic and sigmoid identities, and piecewise rewrites
  (``max(a, b) = (a + b + |a - b|)/2``);
* **not equivalent** — a small perturbation of either: a coefficient or exponent off by one, a
  sign flipped, a term dropped or added with a tiny factor (down to 10^-45), a variable swapped,
  a function swapped, a rule applied off its domain (``2 log x`` for ``log x^2`` with real x).

The oracle is written here, independent of quizgen: sympy's own objects (never quizgen's parse)
evaluated by ``sympy.lambdify`` in mpmath at 120 digits (and 360 to see through cancellation)
on 30 random points per pair; pairs it cannot classify are dropped. The checker gets the pairs
as text, as a student would type them.

Verdicts: a false accept (checker 'correct', oracle 'different') must never happen; false
rejects and undecided answers ('invalid') are reported (run with ``-s`` to see the counts).
Seeded and derandomized: the same pairs on every run.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

import mpmath
import pytest
import sympy

from quizgen import check_answer

SEED = 20251204
N_PAIRS = 2100
ORACLE_DIGITS = 120
ORACLE_POINTS = 30

NAMES = ["a", "b", "c", "f", "g", "i", "o", "u", "x", "y", "z"]
_FUNCTION_NAMES = {sympy.Abs: "abs", sympy.Max: "max", sympy.Min: "min"}


# --- printing sympy objects as a student types them (shuffled, varied) ---------------------------


def show(expr: sympy.Expr, rnd: random.Random) -> str:
    """Text of ``expr`` in quizgen's syntax, with the terms and factors in a random order."""
    if expr.is_Symbol:
        return expr.name
    if expr is sympy.pi:
        return "pi"
    if expr is sympy.E:
        return "e"
    if expr.is_Integer:
        return f"({expr})" if expr < 0 else str(expr)
    if expr.is_Rational:
        return f"({expr.p}/{expr.q})"
    if expr.is_Add:
        terms = list(expr.args)
        rnd.shuffle(terms)
        return "(" + " + ".join(show(t, rnd) for t in terms) + ")"
    if expr.is_Mul:
        factors = list(expr.args)
        rnd.shuffle(factors)
        return "(" + rnd.choice(["*", " * "]).join(show(f, rnd) for f in factors) + ")"
    if expr.is_Pow:
        if expr.exp == sympy.S.Half and rnd.random() < 0.5:
            return f"sqrt({show(expr.base, rnd)})"
        caret = rnd.choice(["^", "**"])
        return f"({show(expr.base, rnd)}){caret}({show(expr.exp, rnd)})"
    if isinstance(expr, sympy.exp):
        return f"exp({show(expr.args[0], rnd)})"
    name = _FUNCTION_NAMES.get(type(expr), type(expr).__name__)
    return f"{name}({', '.join(show(a, rnd) for a in expr.args)})"


# --- random formulas -----------------------------------------------------------------------------


class Builder:
    """Random formulas over declared variables (each pair gets its own variables)."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def variables(self, count: int, positive: bool) -> dict[str, sympy.Symbol]:
        names = self.rnd.sample(NAMES, count)
        kind = {"positive": True} if positive else {"real": True}
        return {n: sympy.Symbol(n, **kind) for n in names}

    def coefficient(self) -> sympy.Rational:
        value = self.rnd.choice([1, 1, 2, 3, -1, -2, 5, sympy.Rational(1, 2), sympy.Rational(3, 4)])
        return sympy.Rational(value)

    def monomial(self, xs: list[sympy.Symbol]) -> sympy.Expr:
        term = self.coefficient()
        for x in self.rnd.sample(xs, self.rnd.randint(1, min(3, len(xs)))):
            term *= x ** self.rnd.randint(1, 3)
        return term

    def polynomial(self, xs: list[sympy.Symbol], terms: int = 3) -> sympy.Expr:
        return sympy.Add(*(self.monomial(xs) for _ in range(self.rnd.randint(2, terms))))

    def linear(self, xs: list[sympy.Symbol]) -> sympy.Expr:
        return sympy.Add(*(self.coefficient() * x for x in self.rnd.sample(xs, 2)))


# --- equivalent pairs by construction ------------------------------------------------------------

Pair = tuple[sympy.Expr, sympy.Expr, dict[str, sympy.Symbol]]


def _poly_pair(b: Builder, transform: str) -> Pair:
    xs = b.variables(b.rnd.randint(1, 6), positive=False)
    symbols = list(xs.values())
    p = b.polynomial(symbols)
    q = b.polynomial(symbols, 2)
    product = p * q
    if transform == "expand":
        return product, sympy.expand(product), xs
    if transform == "factor":
        return sympy.expand(product), sympy.factor(sympy.expand(product)), xs
    return p + q, q + p, xs  # commute (the printer also shuffles every sum and product)


def _lstm_pair(b: Builder) -> Pair:
    """Five variables, as in o*tanh(f*c + i*g)."""
    xs = {n: sympy.Symbol(n, real=True) for n in ["o", "f", "c", "i", "g"]}
    o, f, c, i, g = xs.values()
    inner = f * c + i * g
    key = o * sympy.tanh(inner)
    forms = [
        o * (sympy.exp(2 * inner) - 1) / (sympy.exp(2 * inner) + 1),
        o * (2 / (1 + sympy.exp(-2 * inner)) - 1),
        o * sympy.tanh(c * f + g * i),
    ]
    return key, b.rnd.choice(forms), xs


def _log_exp_pair(b: Builder) -> Pair:
    xs = b.variables(b.rnd.randint(2, 5), positive=True)
    x, y, *rest = xs.values()
    k = b.rnd.randint(2, 4)
    choices = [
        (sympy.log(x * y), sympy.log(x) + sympy.log(y)),
        (sympy.log(x**k), k * sympy.log(x)),
        (sympy.log(x / y), sympy.log(x) - sympy.log(y)),
        (sympy.exp(x + y), sympy.exp(x) * sympy.exp(y)),
        (sympy.exp(k * x), sympy.exp(x) ** k),
        (sympy.sqrt(x**2), x),
        (sympy.sqrt(x * y), sympy.sqrt(x) * sympy.sqrt(y)),
        (x ** sympy.Rational(3, 2), x * sympy.sqrt(x)),
        (sympy.exp(sympy.log(x) * k), x**k),
    ]
    key, response = b.rnd.choice(choices)
    extra = sympy.Add(*rest) if rest else sympy.Integer(0)
    return key + extra, response + extra, xs


def _trig_pair(b: Builder) -> Pair:
    xs = b.variables(b.rnd.randint(1, 3), positive=False)
    symbols = list(xs.values())
    u = b.linear(symbols) if len(symbols) > 1 else symbols[0]
    choices = [
        (sympy.sin(2 * u), 2 * sympy.sin(u) * sympy.cos(u)),
        (sympy.cos(2 * u), 1 - 2 * sympy.sin(u) ** 2),
        (sympy.Integer(1), sympy.sin(u) ** 2 + sympy.cos(u) ** 2),
        (sympy.tanh(u), (sympy.exp(u) - sympy.exp(-u)) / (sympy.exp(u) + sympy.exp(-u))),
        (1 - sympy.tanh(u) ** 2, 1 / sympy.cosh(u) ** 2),
        (1 / (1 + sympy.exp(-u)), sympy.exp(u) / (1 + sympy.exp(u))),
        (sympy.cosh(u) ** 2 - sympy.sinh(u) ** 2, sympy.Integer(1)),
        (sympy.exp(u), sympy.cosh(u) + sympy.sinh(u)),
    ]
    key, response = b.rnd.choice(choices)
    return key, response, xs


def _piecewise_pair(b: Builder) -> Pair:
    xs = b.variables(b.rnd.randint(1, 3), positive=False)
    symbols = list(xs.values())
    p = b.linear(symbols) if len(symbols) > 1 else symbols[0]
    q = symbols[-1] * b.rnd.choice([1, 2, -1]) + b.rnd.choice([0, 1, -3])
    choices = [
        (sympy.Max(p, q), (p + q + sympy.Abs(p - q)) / 2),
        (sympy.Min(p, q), (p + q - sympy.Abs(p - q)) / 2),
        (sympy.Abs(p), sympy.Max(p, -p)),
        (sympy.Max(0, p), (p + sympy.Abs(p)) / 2),
        (sympy.Max(p, q), -sympy.Min(-p, -q)),
    ]
    key, response = b.rnd.choice(choices)
    return key, response, xs


def equivalent_pair(b: Builder) -> Pair:
    kind = b.rnd.choice(
        ["expand", "factor", "commute", "lstm", "logexp", "logexp", "trig", "trig", "piecewise"]
    )
    if kind in ("expand", "factor", "commute"):
        return _poly_pair(b, kind)
    builders: dict[str, Callable[[Builder], Pair]] = {
        "lstm": _lstm_pair,
        "logexp": _log_exp_pair,
        "trig": _trig_pair,
        "piecewise": _piecewise_pair,
    }
    return builders[kind](b)


# --- non-equivalent pairs: small perturbations --------------------------------------------------


def perturb(b: Builder, expr: sympy.Expr, xs: dict[str, sympy.Symbol]) -> sympy.Expr:
    """A small change of ``expr`` (the oracle decides whether it really changed the value)."""
    rnd = b.rnd
    symbols = list(xs.values())
    x = rnd.choice(symbols)
    kind = rnd.randrange(9)
    if kind == 0:
        return expr + rnd.choice([1, -1, sympy.Rational(1, 1000)])
    if kind == 1:
        return expr * rnd.choice([2, -1, sympy.Rational(1001, 1000)])
    if kind == 2:
        return expr + sympy.Integer(10) ** -rnd.randint(3, 45) * x
    if kind == 3 and len(symbols) > 1:
        other = rnd.choice([s for s in symbols if s != x])
        return expr.xreplace({x: other})
    if kind == 4:
        return expr.xreplace({x: -x})
    if kind == 5 and expr.is_Add:
        args = list(expr.args)
        args.pop(rnd.randrange(len(args)))
        return sympy.Add(*args)
    if kind == 6:
        swaps = {sympy.sin: sympy.cos, sympy.cos: sympy.sin, sympy.tanh: sympy.sinh}
        for old, new in swaps.items():
            if expr.has(old):
                return expr.replace(old, new)
        return expr + x**2
    if kind == 7:
        powers = [p for p in expr.atoms(sympy.Pow) if p.exp.is_Integer]
        if powers:
            p = rnd.choice(powers)
            return expr.xreplace({p: p.base ** (p.exp + 1)})
        return expr * x
    real = sympy.Symbol(x.name, real=True)
    return sympy.log(real**2) - 2 * sympy.log(real) + expr  # a rule off its domain


# --- the oracle -----------------------------------------------------------------------------------


def _oracle_points(domains: dict[str, str], rnd: random.Random) -> list[dict[str, mpmath.mpf]]:
    """Random points of the declared domains: |values| from 10^-3 to 30, drawn here."""
    points = []
    for _ in range(ORACLE_POINTS):
        point = {}
        for name, domain in domains.items():
            size = mpmath.mpf(rnd.randint(1, 30_000)) / 1000
            negative = domain != "positive" and rnd.random() < 0.5
            point[name] = -size if negative else size
        points.append(point)
    return points


def _value(fn: Callable[..., object], args: list[mpmath.mpf]) -> mpmath.mpf | str | None:
    """The real value, None where undefined, 'complex' where not real."""
    try:
        value = fn(*args)
    except (ZeroDivisionError, ValueError, OverflowError, TypeError):
        return None
    value = mpmath.mpmathify(value)
    if isinstance(value, mpmath.mpc):
        if abs(value.imag) > mpmath.mpf(10) ** -100 * max(1, abs(value)):
            return "complex"
        value = value.real
    if not mpmath.isfinite(value):
        return None
    return value


def _classify(a: mpmath.mpf, r: mpmath.mpf, a2: mpmath.mpf, r2: mpmath.mpf) -> str | None:
    """One point, from the values at ORACLE_DIGITS (a, r) and at three times as many (a2, r2):
    a difference that cancellation made up at the lower precision vanishes at the higher."""
    scale = max(1, abs(a2), abs(r2))
    low, high = abs(a - r), abs(a2 - r2)
    if high <= mpmath.mpf(10) ** -100 * scale:
        return "equal"
    if high > mpmath.mpf(10) ** -60 * scale and abs(low - high) <= mpmath.mpf(10) ** -10 * high:
        return "different"
    return None


def oracle(
    key: sympy.Expr, response: sympy.Expr, domains: dict[str, str], rnd: random.Random
) -> str | None:
    """'equal', 'different', or None (cannot classify), at 120 and 360 digits; the key's
    domain rules (points where the key is not real are skipped)."""
    names = sorted(domains)
    # the same variables everywhere (perturb() may build real twins of positive symbols)
    plain = {s: sympy.Symbol(s.name) for e in (key, response) for s in e.free_symbols}
    args = [sympy.Symbol(n) for n in names]
    fk = sympy.lambdify(args, key.xreplace(plain), modules="mpmath")
    fr = sympy.lambdify(args, response.xreplace(plain), modules="mpmath")
    compared = 0
    for point in _oracle_points(domains, rnd):
        values = [point[n] for n in names]
        with mpmath.workdps(ORACLE_DIGITS):
            a, r = _value(fk, values), _value(fr, values)
        if a is None or a == "complex":
            continue  # the key's domain governs
        if r == "complex":
            return "different"
        if r is None:
            continue
        if abs(a - r) <= mpmath.mpf(10) ** -100 * max(1, abs(a), abs(r)):
            compared += 1  # noise cannot hide a difference this large: equal here
            continue
        with mpmath.workdps(3 * ORACLE_DIGITS):
            a2, r2 = _value(fk, values), _value(fr, values)
        if not all(isinstance(v, mpmath.mpf) for v in (a2, r2)):
            return None
        verdict = _classify(a, r, a2, r2)
        if verdict != "equal":
            return verdict
        compared += 1
    return "equal" if compared >= 10 else None


# --- the run --------------------------------------------------------------------------------------


def _pairs() -> list[tuple[str, str, dict[str, str], str]]:
    rnd = random.Random(SEED)
    b = Builder(rnd)
    out = []
    while len(out) < N_PAIRS:
        key, response, xs = equivalent_pair(b)
        if rnd.random() < 0.5:
            response = perturb(b, response, xs)
        if key.free_symbols - set(xs.values()) or response.free_symbols - set(xs.values()):
            variables = {n: "real" for n in xs}
        else:
            variables = {n: "positive" if s.is_positive else "real" for n, s in xs.items()}
        if response.has(sympy.I) or key.has(sympy.I):
            continue  # a perturbation that left the reals (sqrt(-x) for a positive x)
        truth = oracle(key, response, variables, rnd)
        if truth is None or len(show(response, rnd)) > 900:
            continue
        out.append((show(key, rnd), show(response, rnd), variables, truth))
    return out


@pytest.fixture(scope="module")
def verdicts() -> list[tuple[str, str, dict[str, str], str, str, str]]:
    rows = []
    for key, response, variables, truth in _pairs():
        answer = {"kind": "expression", "answer": key, "variables": variables}
        verdict = check_answer(answer, response)
        rows.append((key, response, variables, truth, verdict.status, verdict.method))
    return rows


def test_differential_fuzz_has_no_false_accept(verdicts) -> None:
    counts = Counter((truth, status) for _, _, _, truth, status, _ in verdicts)
    false_accepts = [r for r in verdicts if r[3] == "different" and r[4] == "correct"]
    false_rejects = [r for r in verdicts if r[3] == "equal" and r[4] == "incorrect"]
    undecided = [r for r in verdicts if r[4] == "invalid"]
    print(
        f"\ndifferential fuzz: {len(verdicts)} pairs; oracle/checker {dict(counts)}; "
        f"false accepts {len(false_accepts)}, false rejects {len(false_rejects)}, "
        f"invalid (undecided or refused) {len(undecided)}"
    )
    for row in false_rejects[:10] + undecided[:10]:
        print("  ", row)
    assert len(verdicts) >= 2000
    assert false_accepts == []


def test_differential_fuzz_covers_five_or_more_variables(verdicts) -> None:
    wide = [r for r in verdicts if len(r[2]) >= 5]
    assert len(wide) >= 100
    assert {r[3] for r in wide} == {"equal", "different"}


def test_differential_fuzz_rejects_few_true_identities(verdicts) -> None:
    """False rejects are reported, and kept rare: a regression here costs instructors' trust."""
    equal = [r for r in verdicts if r[3] == "equal"]
    rejected = [r for r in equal if r[4] == "incorrect"]
    assert len(rejected) <= 0.01 * len(equal), rejected[:5]
