"""Benchmark: one expression check, against the naive ``sympy.simplify(a - b) == 0``.

Times :func:`quizgen.grade.checkers.check_response` on realistic expression pairs (right
answers, equivalent answers in other forms, wrong answers, near misses) and, in the same run,
the naive baseline on the same pairs (the response parsed with ``parse_math``, never
``sympify``). Keys are prepared once (a class shares them); sympy's cache is cleared before
every round so that repeated rounds do not time a cache; one untimed round first lets sympy
import what it imports on first use. Also times the time-limit mechanism (setitimer) alone.

Targets: median expression check ≤ 2 ms, p99 ≤ 50 ms.

Also reports, over the equivalence tables of the tests (tests/equivalence_table.py and the
table of tests/test_grade_expression.py, 450 pairs): right %, false accepts, false rejects,
invalid (undecided or refused) and the median / p99 / max time per check (issue 10).

Run: ``python bench/bench_checks.py [--rounds N]``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

import sympy
from sympy.core.cache import clear_cache

from quizgen.grade.checkers import _check_unbounded, check_response
from quizgen.grade.expression import prepare_key
from quizgen.math.parse import parse_math
from quizgen.variant import ExpressionKey

NH = {"n": "positive integer", "h": "positive integer"}
RNN = {"x": "positive integer", "h": "positive integer", "y": "positive integer"}
T = {"T": "positive integer"}
X = {"x": "real"}
XP = {"x": "positive"}
XY = {"x": "real", "y": "real"}

# (key, variables, response, expected status)
PAIRS: list[tuple[str, dict[str, str], str, str]] = [
    # right, as written by most students
    ("4*(n*h + h^2 + h)", NH, "4*(n*h + h^2 + h)", "correct"),
    ("4*(n*h + h^2 + h)", NH, "4*h*(n+h+1)", "correct"),
    ("4*(n*h + h^2 + h)", NH, "4*n*h + 4*h^2 + 4*h", "correct"),
    ("3*(n*h + h^2 + h)", NH, "3*h*(n + h + 1)", "correct"),
    ("3*(n*h + h^2 + h)", NH, "3*n*h + 3*h^2 + 3*h", "correct"),
    ("8*(n*h + h^2 + h)", NH, "2*4*(n*h + h^2 + h)", "correct"),
    ("x*h + h^2 + h*y + h + y", RNN, "h*(x + h + y + 1) + y", "correct"),
    ("x*h + h^2 + h*y + h + y", RNN, "x*h + h^2 + h*y + h + y", "correct"),
    ("0.9^T", T, "(9/10)^T", "correct"),
    ("0.9^T", T, "0.9^T", "correct"),
    ("(x + 1)^2", X, "x^2 + 2*x + 1", "correct"),
    ("x^2 - 1", X, "(x - 1)*(x + 1)", "correct"),
    ("1/(1 + exp(-x))", X, "1/(1 + exp(-x))", "correct"),
    ("exp(2*x)", X, "exp(x)^2", "correct"),
    # right, in a form the canonical layer cannot settle
    ("1/(1 + exp(-x))", X, "exp(x)/(1 + exp(x))", "correct"),
    ("tanh(x)", X, "(exp(x) - exp(-x))/(exp(x) + exp(-x))", "correct"),
    ("1 - tanh(x)^2", X, "1/cosh(x)^2", "correct"),
    ("x/(x + 1)", X, "1 - 1/(x + 1)", "correct"),
    ("1/x + 1/y", XY, "(x + y)/(x*y)", "correct"),
    ("sin(2*x)", X, "2*sin(x)*cos(x)", "correct"),
    ("2*log(x)", XP, "log(x^2)", "correct"),
    ("x", XP, "sqrt(x^2)", "correct"),
    ("abs(x)", X, "sqrt(x^2)", "correct"),
    # wrong
    ("4*(n*h + h^2 + h)", NH, "4*(n*h + h^2)", "incorrect"),
    ("4*(n*h + h^2 + h)", NH, "3*(n*h + h^2 + h)", "incorrect"),
    ("4*(n*h + h^2 + h)", NH, "4*(n*h + h^2 + 2*h)", "incorrect"),
    ("4*(n*h + h^2 + h)", NH, "n*h + h^2 + h", "incorrect"),
    ("3*(n*h + h^2 + h)", NH, "3*h*(n + h)", "incorrect"),
    ("x*h + h^2 + h*y + h + y", RNN, "x*h + h^2 + h*y", "incorrect"),
    ("0.9^T", T, "0.9*T", "incorrect"),
    ("0.9^T", T, "0.1^T", "incorrect"),
    ("(x + 1)^2", X, "x^2 + 1", "incorrect"),
    ("1/(1 + exp(-x))", X, "1/(1 + exp(x))", "incorrect"),
    ("tanh(x)", X, "1/(1 + exp(-x))", "incorrect"),
    ("exp(2*x)", X, "2*exp(x)", "incorrect"),
    # near misses
    ("x", X, "sqrt(x^2)", "incorrect"),
    ("log(x^2)", X, "2*log(x)", "incorrect"),
    ("4*(n*h + h^2 + h)", NH, "4*(n*h + h^2 + h) + 1", "incorrect"),
    ("x/2", X, "0.4999*x", "incorrect"),
    ("sin(x)", X, "x - x^3/6", "incorrect"),
    ("exp(x)", X, "1 + x + x^2/2 + x^3/6", "incorrect"),
    ("1 - tanh(x)^2", X, "tanh(x)^2", "incorrect"),
]


def _key(value: str, variables: dict[str, str]) -> ExpressionKey:
    return ExpressionKey(value=value, latex="", variables=variables)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _time(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def time_checks(rounds: int) -> tuple[list[float], dict[str, int], list[str]]:
    """Times of check_response over ``rounds`` rounds, methods used, wrong verdicts."""
    keys = [_key(k, v) for k, v, _, _ in PAIRS]
    for key in keys:
        prepare_key(key)  # keys are shared by a whole class: prepared once
    times: list[float] = []
    methods: dict[str, int] = {}
    wrong: list[str] = []
    for round_ in range(rounds + 1):
        clear_cache()
        for key, (_, _, response, expected) in zip(keys, PAIRS, strict=True):
            elapsed, verdict = _time(partial(check_response, key, response))
            if round_ == 0:
                continue  # warm-up: sympy imports modules on first use
            times.append(elapsed)
            methods[verdict.method] = methods.get(verdict.method, 0) + 1
            if verdict.status != expected:
                wrong.append(f"{key.value} vs {response}: {verdict.status}")
    return times, methods, wrong


def time_naive(rounds: int) -> list[float]:
    """Times of parse + ``simplify(a - b) == 0`` on the same pairs."""
    from quizgen.math.domains import domain_symbol

    times = []
    for _ in range(rounds):
        clear_cache()
        for value, variables, response, _ in PAIRS:
            symbols = {n: domain_symbol(n, d) for n, d in variables.items()}
            key = parse_math(value, symbols, split_names=False)

            def naive(symbols: dict = symbols, key: sympy.Expr = key, response: str = response):
                return sympy.simplify(parse_math(response, symbols) - key) == 0

            times.append(_time(naive)[0])
    return times


def time_timer_overhead(repeat: int = 2000) -> tuple[float, float]:
    """Median of one warm check without and with the time limit around it."""
    key = _key("4*(n*h + h^2 + h)", NH)
    check_response(key, "4*h*(n+h+1)")
    bare = [_time(lambda: _check_unbounded(key, "4*h*(n+h+1)"))[0] for _ in range(repeat)]
    bounded = [_time(lambda: check_response(key, "4*h*(n+h+1)"))[0] for _ in range(repeat)]
    return statistics.median(bare), statistics.median(bounded)


def _table_rows() -> list[tuple[str, object, str, str]]:
    """The tests' equivalence tables (key, variables, response, expected)."""
    import importlib
    from pathlib import Path

    tests = str(Path(__file__).resolve().parent.parent / "tests")
    sys.path.insert(0, tests)
    try:
        rows = [r[:4] for r in importlib.import_module("equivalence_table").ROWS]
        rows += [r[:4] for r in importlib.import_module("test_grade_expression").PAIRS]
    finally:
        sys.path.remove(tests)
    return rows


def table_report() -> tuple[dict[str, int], list[float], list[str]]:
    """Verdict counts and check times over the equivalence tables (keys prepared first)."""
    rows = _table_rows()
    keys = []
    for value, variables, _, _ in rows:
        domains = variables if isinstance(variables, dict) else dict.fromkeys(variables, "real")
        keys.append(_key(value, domains))
    for key in keys:
        prepare_key(key)
    counts = {"right": 0, "false accept": 0, "false reject": 0, "invalid": 0}
    times, slow = [], []
    for key, (_, _, response, expected) in zip(keys, rows, strict=True):
        elapsed, verdict = _time(partial(check_response, key, response))
        times.append(elapsed)
        if verdict.status == expected:
            counts["right"] += 1
        elif verdict.status == "correct":
            counts["false accept"] += 1
        elif verdict.status == "invalid":
            counts["invalid"] += 1
        else:
            counts["false reject"] += 1
        if elapsed > 0.05:
            slow.append(f"{elapsed * 1000:.0f} ms: {key.value} vs {response}")
    return counts, times, slow


def main(argv: list[str]) -> int:
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 5
    checks, methods, wrong = time_checks(rounds)
    naive = time_naive(max(1, rounds // 2))
    bare, bounded = time_timer_overhead()
    ms = 1000
    rows = [
        ("quizgen check_response", checks),
        ("naive simplify(a-b)==0", naive),
    ]
    print(f"{len(PAIRS)} expression pairs, {rounds} rounds (sympy cache cleared each round)")
    print(f"{'':26} {'median ms':>10} {'p99 ms':>10} {'max ms':>10} {'mean ms':>10}")
    for name, values in rows:
        print(
            f"{name:26} {statistics.median(values) * ms:10.3f} "
            f"{_percentile(values, 0.99) * ms:10.3f} {max(values) * ms:10.3f} "
            f"{statistics.mean(values) * ms:10.3f}"
        )
    ratio_median = statistics.median(naive) / statistics.median(checks)
    ratio_mean = statistics.mean(naive) / statistics.mean(checks)
    print(f"naive / quizgen: {ratio_median:.0f}× at the median, {ratio_mean:.0f}× on the mean")
    print("decided by: " + ", ".join(f"{m} {n}" for m, n in sorted(methods.items())))
    print(
        f"time limit (setitimer): {(bounded - bare) * 1e6:.1f} µs per check "
        f"(median {bare * ms:.3f} ms bare, {bounded * ms:.3f} ms bounded)"
    )
    median_ok = statistics.median(checks) <= 0.002
    p99_ok = _percentile(checks, 0.99) <= 0.050
    print(
        f"targets: median ≤ 2 ms {'met' if median_ok else 'MISSED'}, "
        f"p99 ≤ 50 ms {'met' if p99_ok else 'MISSED'}"
    )
    for line in wrong:
        print("UNEXPECTED VERDICT:", line)
    counts, times, slow = table_report()
    total = sum(counts.values())
    print(
        f"equivalence tables: {total} pairs, right {100 * counts['right'] / total:.1f} %, "
        f"false accepts {counts['false accept']}, false rejects {counts['false reject']}, "
        f"invalid {counts['invalid']}; per check median "
        f"{statistics.median(times) * ms:.3f} ms, p99 {_percentile(times, 0.99) * ms:.3f} ms, "
        f"max {max(times) * ms:.1f} ms"
    )
    for line in slow:
        print("  slow:", line)
    return 0 if not wrong and not counts["false accept"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
