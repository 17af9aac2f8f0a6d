"""Hostile and careless answers: refused or marked wrong, quickly, with no code executed.

Every answer below is graded against several keys (expression, numeric, text, choice). Each
must come back ``invalid`` or ``incorrect`` with a message, within the time limit, and a marker
file that a successful injection would create must not exist afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from quizgen.grade.checkers import check_response
from quizgen.grade.limits import MAX_RESPONSE_CHARS
from quizgen.variant import ChoiceKey, ExpressionKey, NumericKey, OptionKey, TextKey

TIMEOUT = 2.0
SLACK = 1.5  # generous: a loaded CI machine, the interpreter's signal latency

INJECTIONS = [
    "__import__('os').system('touch {m}')",
    '__import__("os").system("touch {m}")',
    "__import__('subprocess').call(['touch', '{m}'])",
    "eval(\"__import__('os').system('touch {m}')\")",
    "exec(\"open('{m}', 'w').write('x')\")",
    "open('{m}', 'w').write('x')",
    "compile('open(\"{m}\", \"w\")', 'f', 'exec')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__.__mro__",
    "n.__class__.__init__.__globals__",
    "h.__dict__",
    "(lambda: __import__('os').system('touch {m}'))()",
    "lambda n: n",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "getattr(__builtins__, 'open')('{m}', 'w')",
    "sympify(\"__import__('os').system('touch {m}')\")",
    "parse_expr(\"__import__('os').system('touch {m}')\")",
    "S(\"__import__('os').system('touch {m}')\")",
    "Symbol('n').__class__",
    "Function('f')(n)",
    "f(n)",
    "n.subs(n, 1)",
    "n.evalf()",
    "sin.__call__(n)",
    "exit()",
    "quit()",
    "sys.exit(0)",
    "os._exit(0)",
    "os.system('touch {m}')",
    "import os",
    "n; import os; os.system('touch {m}')",
    "n\nimport os\nos.system('touch {m}')",
    "__builtins__",
    "globals()",
    "locals()",
    "vars()",
    "breakpoint()",
    "'n'",
    '"n" + "h"',
    "b'n'",
    "{'a': 1}",
    "[n, h]",
    "n if h else 1",
    "n == h",
    "n and h",
    "n @ h",
    "n % 2",
    "n // 2",
    "~n",
    "n << 2",
    "n := 5",
    "${7*7}",
    "<script>alert(1)</script>",
    "%s%s%s%n",
    "Integral(n, n)",
    "Matrix([[1]])",
    "_",
    "__",
    "n._h",
]

RESOURCE_ATTACKS = [
    "9^9^9^9",
    "9**9**9**9",
    "2^2^2^2^2^2^2",
    "factorial(10^9)",
    "10^10^10",
    "1e999999999",
    "n^(10^9)",
    "n^n^n^n^n^n",
    "h^(h^(h^(h^(h^h))))",
    "exp(exp(exp(exp(n))))",
    "(n + h + 1)^1000",
    "9" * 10_000,
    "1." + "0" * 5000 + "1",
    "n+" * 500_000 + "n",  # a megabyte
    "(" * 100_000 + "n" + ")" * 100_000,
    "(" * 900 + "n" + ")" * 900,
    "-" * 1500 + "n",
    "sqrt(" * 300 + "n" + ")" * 300,
    "n" * MAX_RESPONSE_CHARS,
    "n*" * 999 + "n",
]

LOOKALIKES = [
    "4х(n+h+1)",  # Cyrillic х
    "4h(n+һ+1)",  # Cyrillic һ
    "５h(n+h+1)",  # full-width digit (read as 5: a wrong answer, not a crash)
    "4h(n+h+1)\u200b",  # zero-width space
    "4\u200dh(n+h+1)",  # zero-width joiner
    "4h(n+h+1)\u202e",  # right-to-left override
    "4h(n+h+1)\x00",  # NUL
    "4h(n+h+1) 😀",
    "ℎ",  # mathematical italic h (U+210E)
]

SPECIAL = [
    "nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "∞",
    "zoo",
    "oo",
    "-oo",
    "I",
    "1/0",
    "0/0",
    "n/0",
    "log(0)",
    "sqrt(-1)",
    "E**zoo",
]

CARELESS = [
    "",
    " ",
    "   ",
    "\t\n",
    "?",
    "-",
    "+",
    "*",
    "(",
    ")",
    "()",
    "n +",
    "= 4h",
    "4h(n+h+1",
    "4h(n+h+1))",
    "4 h (n + h + 1) = ",
    "answer: 4h(n+h+1)",
    "idk",
    "...",
]

HOSTILE = INJECTIONS + RESOURCE_ATTACKS + LOOKALIKES + SPECIAL + CARELESS


def keys() -> dict[str, object]:
    options = [
        OptionKey(id="o1", label="A", text="LSTM", correct=True),
        OptionKey(id="o2", label="B", text="GRU", correct=False),
    ]
    return {
        "expression": ExpressionKey(
            value="4*h**2 + 4*h*n + 4*h",
            latex="",
            variables={"n": "positive integer", "h": "positive integer"},
        ),
        "numeric": NumericKey(value="20362", approx=20362.0, display="20362"),
        "text": TextKey(answers=["long short-term memory"], regex=r"(bi-?directional )?lstm"),
        "choice": ChoiceKey(kind="choice", options=options),
        "multi": ChoiceKey(kind="multi", options=options, scoring="partial"),
    }


def _fill(answer: str, marker: Path) -> str:
    return answer.replace("{m}", str(marker)) if len(answer) < 10_000 else answer


@pytest.mark.parametrize("kind", ["expression", "numeric", "text", "choice", "multi"])
def test_hostile_answers_are_refused_quickly_and_run_nothing(kind: str, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    key = keys()[kind]
    slow = []
    for answer in HOSTILE:
        start = time.perf_counter()
        verdict = check_response(key, _fill(answer, marker), timeout=TIMEOUT)
        elapsed = time.perf_counter() - start
        assert verdict.status in ("invalid", "incorrect"), (answer[:80], verdict)
        assert verdict.score == 0 or kind == "multi", (answer[:80], verdict)
        assert verdict.feedback.strip(), answer[:80]
        if elapsed > TIMEOUT + SLACK:
            slow.append((answer[:60], elapsed))
    assert slow == []
    assert not marker.exists()


def test_injections_are_format_errors_for_expressions(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    key = keys()["expression"]
    for answer in INJECTIONS:
        verdict = check_response(key, _fill(answer, marker))
        assert verdict.status == "invalid", (answer, verdict)
        assert "^" in verdict.feedback or "too long" in verdict.feedback, answer
    assert not marker.exists()


@pytest.mark.parametrize("answer", ["n+" * 500_000 + "n", "(" * 100_000 + "n" + ")" * 100_000])
def test_huge_answers_are_refused_before_parsing(answer: str) -> None:
    start = time.perf_counter()
    verdict = check_response(keys()["expression"], answer)
    assert time.perf_counter() - start < 0.1
    assert verdict.status == "invalid"
    assert "too long" in verdict.feedback


def test_empty_answers_are_no_answer() -> None:
    for answer in ["", " ", "\t\n", None]:
        verdict = check_response(keys()["expression"], answer)
        assert (verdict.status, verdict.feedback) == ("incorrect", "no answer")


def test_a_batch_with_hostile_answers_grades_the_normal_ones(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    k = keys()
    normal = [
        (k["expression"], "4h(n+h+1)", "correct"),
        (k["expression"], "4*(n*h + h^2 + h)", "correct"),
        (k["expression"], "4h(n+h)", "incorrect"),
        (k["numeric"], "20362", "correct"),
        (k["numeric"], "20,362", "correct"),
        (k["numeric"], "20363", "incorrect"),
        (k["text"], "LSTM", "correct"),
        (k["choice"], "A", "correct"),
        (k["choice"], "B", "incorrect"),
    ]
    batch: list[tuple[object, str, str | None]] = []
    for i, answer in enumerate(HOSTILE):
        batch.append((k["expression"], _fill(answer, marker), None))
        batch.append(normal[i % len(normal)])
    results = [check_response(key, answer) for key, answer, _ in batch]  # type: ignore[arg-type]
    for (_, answer, expected), verdict in zip(batch, results, strict=True):
        if expected is None:
            assert verdict.status in ("invalid", "incorrect")
        else:
            assert verdict.status == expected, (answer, verdict)
    assert not marker.exists()


# --- the time bound ------------------------------------------------------------------------------


def _spin(seconds: float) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return "done"


def test_deadline_stops_python_code_and_nests() -> None:
    from quizgen.grade.limits import CheckTimeout, deadline, remaining, run_bounded

    with pytest.raises(CheckTimeout):
        run_bounded(_spin, (5.0,), 0.2)
    assert run_bounded(_spin, (0.01,), 1.0) == "done"
    with deadline(1.0):
        with pytest.raises(CheckTimeout), deadline(0.1):  # the inner budget ends, not the outer
            _spin(5.0)
        left = remaining()
        assert left is not None and 0.5 < left < 1.0
    assert remaining() is None


def _burn(seconds: float) -> None:
    """Use ``seconds`` of this process's CPU time."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_deadline_gives_back_the_callers_timer() -> None:
    import signal

    from quizgen.grade.limits import run_bounded

    fired = []
    previous = signal.signal(signal.SIGPROF, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_PROF, 0.5)  # a sampling profiler's timer, say
        signal.setitimer(signal.ITIMER_REAL, 30)  # and a wall-clock alarm: never touched
        run_bounded(_spin, (0.05,), 1.0)
        delay, _ = signal.getitimer(signal.ITIMER_PROF)
        assert 0.2 < delay < 0.5  # still armed, shortened by the CPU time the check took
        assert 29 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
        _burn(0.6)
        assert fired == [True]
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, previous)


def test_issue_14_a_busy_machine_does_not_use_up_a_checks_time() -> None:
    """The budget is the process's CPU time: time it waits for a core does not count.

    Under load average 10 on two cores, expression checks that need 0.3 s ran out of their
    wall-clock budget and the same answer was graded "undecided". Waiting (here: sleeping,
    as a process does when other processes hold the cores) must not use the budget; work
    must.
    """
    from quizgen.grade.limits import CheckTimeout, deadline, remaining

    with deadline(0.3):
        time.sleep(0.6)  # twice the budget of waiting
        left = remaining()
        assert left is not None and left > 0.2
    with pytest.raises(CheckTimeout), deadline(0.3):
        _burn(5.0)


def test_checks_from_another_thread_run_in_a_bounded_worker() -> None:
    import threading

    from quizgen.grade.limits import CheckTimeout, run_bounded

    results: dict[str, object] = {}

    def work() -> None:
        k = keys()
        results["right"] = check_response(k["expression"], "4h(n+h+1)")
        results["wrong"] = check_response(k["numeric"], "20363")
        try:
            run_bounded(_spin, (30.0,), 0.3)
        except CheckTimeout:
            results["stopped"] = True
        try:  # one long C call: no signal gets in, so the worker itself is killed
            run_bounded(pow, (7, 10**9), 0.3)
        except CheckTimeout:
            results["killed"] = True
        results["after"] = check_response(k["numeric"], "20362")

    thread = threading.Thread(target=work)
    start = time.perf_counter()
    thread.start()
    thread.join(120)
    assert results["right"].status == "correct"  # type: ignore[union-attr]
    assert results["wrong"].status == "incorrect"  # type: ignore[union-attr]
    assert results["stopped"] is True
    assert results["killed"] is True
    assert results["after"].status == "correct"  # type: ignore[union-attr]
    assert time.perf_counter() - start < 60


def test_the_timer_does_not_slow_a_check_down() -> None:
    from statistics import median

    from quizgen.grade.checkers import _check_unbounded

    key = keys()["expression"]
    check_response(key, "4h(n+h+1)")  # warm the key cache
    bare, bounded = [], []
    for _ in range(200):
        start = time.perf_counter()
        _check_unbounded(key, "4h(n+h+1)")
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        check_response(key, "4h(n+h+1)")
        bounded.append(time.perf_counter() - start)
    assert median(bounded) - median(bare) < 0.0005  # well under a millisecond


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("(((3!)!)!)!", "factorial() of a number needs a whole number of at most 1000"),
        ("((720)!)^1000", "number too large"),
        ("binomial(10^6, 3)", "binomial() of a number needs a whole number"),
        ("root(x, 10^9)", "the degree of root() must be a whole number from 1 to 16"),
        ("x!!", "'!!' (double factorial) is not allowed"),
        ("{" * 70 + "x" + "}" * 70, "nesting deeper than"),
        ("\\cdot\\cdot x", "unexpected '*'"),
        ("tanh^(10^9)(x)", "write tanh(x)^n for a power"),
    ],
)
def test_issue_10_new_syntax_is_bounded(text: str, fragment: str) -> None:
    """Postfix !, braces, LaTeX products, function powers and the new functions keep the
    parser's bounds: refused with a message, fast."""
    import time

    from quizgen.errors import MathSyntaxError
    from quizgen.math.parse import parse_math

    start = time.perf_counter()
    with pytest.raises(MathSyntaxError) as caught:
        parse_math(text, ["x"])
    assert fragment in caught.value.message
    assert time.perf_counter() - start < 2
