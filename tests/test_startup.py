"""The CLI starts without sympy, and the core never imports the CLI or terminal UI."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DATA, checkout_env

CORE = [
    "quizgen.bank",
    "quizgen.generate.solve",
    "quizgen.generate.exam",
    "quizgen.check",
    "quizgen.variant",
    "quizgen.math.parse",
    "quizgen.grade.checkers",
    "quizgen.render",
    "quizgen.report",
]


def _modules_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    return set(result.stdout.split())


def _modules_of_command(*args: object) -> set[str]:
    """The modules one ``quizgen`` command loads, run in one process (``--jobs 1``)."""
    argv = ["quizgen", *map(str, args)]
    code = (
        f"import sys\nsys.argv = {argv!r}\nfrom quizgen.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code in (0, None), exc.code"
    )
    script = f"{code}\nprint('\\n'.join(sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=checkout_env()
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_help_does_not_import_sympy() -> None:
    modules = _modules_after(
        "import sys\nsys.argv = ['quizgen', '--help']\nfrom quizgen.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert "quizgen.cli" in modules
    assert "sympy" not in modules


def test_help_lists_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "quizgen", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    for command in ("check", "generate", "schema"):
        assert command in result.stdout


@pytest.mark.parametrize("module", CORE)
def test_core_never_imports_the_cli(module: str) -> None:
    modules = _modules_after(f"import {module}")
    assert "quizgen.cli" not in modules
    assert "typer" not in modules
    assert "rich" not in modules


@pytest.mark.parametrize(
    "module", ["quizgen.report.files", "quizgen.grade.pipeline", "quizgen.keyfile"]
)
def test_grading_and_the_report_load_without_sympy(module: str) -> None:
    """sympy costs about a second to load; the report never needs it."""
    assert "sympy" not in _modules_after(f"import {module}")


def test_sympy_is_loaded_only_for_a_check_that_needs_it() -> None:
    """Grading rational numbers, choices or text needs no sympy; an irrational key does."""
    assert "sympy" not in _modules_after(
        "from quizgen.grade.checkers import check_response\n"
        "from quizgen.variant import NumericKey\n"
        "key = NumericKey(value='20362', approx=20362, display='20362')\n"
        "assert check_response(key, '20,362').status == 'correct'"
    )
    assert "sympy" in _modules_after(
        "from quizgen.grade.checkers import check_response\n"
        "from quizgen.variant import NumericKey\n"
        "key = NumericKey(value='exp(-1)', approx=0.3679, display='0.368')\n"
        "check_response(key, '0.3679')"
    )


@pytest.mark.parametrize("module", ["quizgen.variant", "quizgen.keyfile"])
def test_reading_a_key_does_not_build_the_bank_model(module: str) -> None:
    """A key carries two small bank models (tolerance, text mistake), not the whole bank's."""
    modules = _modules_after(f"import {module}")
    assert "quizgen.bank.answers" in modules
    assert "quizgen.bank.model" not in modules


def test_the_bank_package_still_offers_its_names() -> None:
    modules = _modules_after(
        "from quizgen.bank import Bank, bank_files, load_bank, load_banks, parse_bank\n"
        "from quizgen.bank.model import TextMistake, Tolerance\n"
        "from quizgen.variant import TextKey\n"
        "assert TextKey.model_fields['mistakes'].annotation == list[TextMistake]\n"
        "assert Tolerance(absolute=0.5) == Tolerance.model_validate(0.5)"
    )
    assert "quizgen.bank.model" in modules


SEED = "startup-test-seed-5f0c2a9e41d7b3c8"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory, quizgen_cli: Callable[..., list]) -> Path:
    """An exam of the render bank (expression answers included), as `generate` wrote it."""
    out = tmp_path_factory.mktemp("drawn") / "exam"
    bank = DATA / "render-bank.yaml"
    (run,) = quizgen_cli(["generate", bank, "--count", 3, "--seed", SEED, "--out", out])
    assert run.code == 0, run.stderr
    return out


def test_render_from_a_key_loads_neither_sympy_nor_the_bank_model(
    drawn: Path, tmp_path: Path
) -> None:
    """Rendering reads the frozen key only: no drawing, so no sympy and no bank model;
    its files are still the ones `generate` wrote (expression answers included)."""
    out = tmp_path / "rendered"
    modules = _modules_of_command("render", drawn / "key.json", "--out", out, "--jobs", 1)
    assert "quizgen.render.html" in modules and "quizgen.generate.write" in modules
    assert "sympy" not in modules
    assert "quizgen.bank.model" not in modules
    assert "quizgen.generate.exam" not in modules
    papers = sorted(p.name for p in (drawn / "papers").iterdir())
    assert papers == sorted(p.name for p in (out / "papers").iterdir())
    _, differ, missing = filecmp.cmpfiles(drawn / "papers", out / "papers", papers, shallow=False)
    assert differ == [] and missing == []


def test_generate_still_loads_sympy_for_its_formulas(drawn: Path) -> None:
    """The guard above is not vacuous: drawing a bank with formulas does load sympy."""
    out = drawn.parent / "again"
    bank = DATA / "render-bank.yaml"
    args = ("generate", bank, "--count", 1, "--seed", SEED, "--out", out, "--jobs", 1)
    assert "sympy" in _modules_of_command(*args)


PLAIN_ANSWERS = """\
id: plain-answers
title: Numbers, choices and words
questions:
  - id: sum
    kind: numeric
    topic: t
    answer: 6*7/4
    prompt: What is 6 × 7 / 4?
  - id: pick
    kind: choice
    topic: t
    prompt: Which is a prime?
    options:
      - {text: "7", correct: true}
      - {text: "8"}
  - id: word
    kind: text
    topic: t
    prompt: Name the colour of the sky.
    answers: [blue]
"""


def _graded_alone(
    tmp_path: Path, quizgen_cli: Callable[..., list], bank_text: str, answers: dict
) -> tuple[Path, set[str]]:
    """One student of ``bank_text`` drawn, answering ``answers``, graded with feedback in
    one process: the output folder and the modules the command loaded."""
    bank = tmp_path / "bank.yaml"
    bank.write_text(bank_text, encoding="utf-8")
    exam = tmp_path / "exam"
    (run,) = quizgen_cli(["generate", bank, "--count", 1, "--seed", SEED, "--out", exam])
    assert run.code == 0, run.stderr
    submission = json.loads((exam / "submissions" / "s001.json").read_text(encoding="utf-8"))
    submission["answers"] = answers
    sent = tmp_path / "answers"
    sent.mkdir()
    (sent / "s001.json").write_text(json.dumps(submission), encoding="utf-8")
    out = tmp_path / "grades"
    modules = _modules_of_command("grade", exam / "key.json", sent, "--out", out, "--jobs", 1)
    return out, modules


def test_grading_numbers_choices_and_text_loads_no_sympy(
    tmp_path: Path, quizgen_cli: Callable[..., list]
) -> None:
    """`quizgen grade` of rational, choice and text answers, feedback files included."""
    answers = {"sum": "10.5", "pick": "A", "word": "blue"}
    out, modules = _graded_alone(tmp_path, quizgen_cli, PLAIN_ANSWERS, answers)
    assert "quizgen.grade.checkers" in modules and "quizgen.render.feedback" in modules
    assert "sympy" not in modules
    grades = (out / "grades.csv").read_text(encoding="utf-8")
    assert "s001" in grades and ",3,3," in grades, grades


ONE_FORMULA = (
    PLAIN_ANSWERS
    + """\
  - id: lstm
    kind: expression
    topic: t
    variables: {n: positive integer, h: positive integer}
    answer: 4*(n*h + h^2 + h)
    prompt: How many parameters has an LSTM layer?
"""
)


@pytest.mark.parametrize(("formula", "loads"), [("  ", False), ("4*h*(n + h + 1)", True)])
def test_grading_loads_sympy_only_when_an_expression_is_answered(
    tmp_path: Path, quizgen_cli: Callable[..., list], formula: str, loads: bool
) -> None:
    """`quizgen grade` loads sympy only for an expression answered: an exam with an
    expression question whose answers are all blank needs none (a blank is "no answer"
    unchecked); one expression answered loads it."""
    answers = {"sum": "10.5", "pick": "A", "word": "blue", "lstm": formula}
    out, modules = _graded_alone(tmp_path, quizgen_cli, ONE_FORMULA, answers)
    assert ("sympy" in modules) is loads
    grades = (out / "grades.csv").read_text(encoding="utf-8")
    assert f",{3 + loads},4," in grades, grades


NO_FORMULAS = """\
id: no-formulas
title: Words and choices
questions:
  - id: capital
    kind: choice
    topic: geo
    prompt: Which is the capital of France?
    options:
      - {text: Paris, correct: true}
      - {text: Lyon}
  - id: river
    kind: truefalse
    topic: geo
    prompt: The Seine flows through Paris.
    answer: true
  - id: gate
    kind: text
    topic: lstm
    params:
      gate: {choice: [forget, input, output]}
    prompt: Name the {{ gate }} gate.
    answers: ["{{ gate }}", "{{ gate }} gate"]
    mistakes:
      - answer: update gate
        feedback: That gate is the GRU's.
    examples:
      - params: {gate: input}
        answer: input gate
"""


@pytest.mark.parametrize("command", ["check", "generate"])
def test_a_bank_without_formulas_loads_no_sympy(command: str, tmp_path: Path) -> None:
    """Choices, true/false and texts (with a parameter drawn from a list) need no sympy:
    checking the bank (its example and mistake included) and drawing papers from it."""
    bank = tmp_path / "words.yaml"
    bank.write_text(NO_FORMULAS, encoding="utf-8")
    args: tuple[object, ...] = ("check", bank)
    if command == "generate":
        args = ("generate", bank, "--count", 3, "--seed", SEED, "--out", tmp_path / "exam")
        args += ("--jobs", 1)
    modules = _modules_of_command(*args)
    assert "quizgen.generate.compile" in modules and "quizgen.check" in modules
    assert "sympy" not in modules
    if command == "generate":
        assert len(list((tmp_path / "exam" / "papers").iterdir())) == 6  # 3 × HTML + Markdown


@pytest.mark.parametrize(
    "fmt,ext", [("canvas", "zip"), ("moodle", "xml"), ("gift", "gift"), ("qti21", "zip")]
)
def test_exporting_a_bank_without_formulas_loads_no_sympy(
    fmt: str, ext: str, tmp_path: Path
) -> None:
    """An LMS export of choices and texts: the exporters' number helpers need no sympy
    (regression: export/answers.py imported the evaluator at the top)."""
    bank = tmp_path / "words.yaml"
    bank.write_text(NO_FORMULAS, encoding="utf-8")
    out = tmp_path / f"pool.{ext}"
    args = ("export", bank, "--to", fmt, "--variants", 3, "--seed", SEED, "--out", out)
    modules = _modules_of_command(*args, "--jobs", 1)
    assert "quizgen.export.answers" in modules
    assert "sympy" not in modules
    assert out.stat().st_size > 0


def test_a_bank_with_one_formula_still_loads_sympy(tmp_path: Path) -> None:
    """The same bank with one numeric answer: the guard above is not vacuous."""
    bank = tmp_path / "words.yaml"
    numeric = "  - id: sum\n    kind: numeric\n    topic: t\n    prompt: 2 + 2?\n"
    numeric += "    answer: 2 + 2\n"
    bank.write_text(NO_FORMULAS + numeric, encoding="utf-8")
    assert "sympy" in _modules_of_command("check", bank)


@pytest.mark.parametrize(("formula", "loaded"), [(False, False), (True, True)])
def test_a_forking_export_loads_sympy_before_the_workers_only_for_a_formula(
    formula: bool, loaded: bool, tmp_path: Path
) -> None:
    """With workers (--jobs 2, enough variants to fork), `export` compiles the first question
    before they fork, so sympy is loaded once there and the workers inherit it instead of
    each importing it; a bank without formulas still never loads it."""
    bank = tmp_path / "words.yaml"
    numeric = "  - id: sum\n    kind: numeric\n    topic: t\n    prompt: 2 + 2?\n"
    numeric += "    answer: 2 + 2\n"
    text = NO_FORMULAS.replace("questions:\n", "questions:\n" + numeric, 1)  # drawn first
    bank.write_text(text if formula else NO_FORMULAS, encoding="utf-8")
    out = tmp_path / "pool.zip"
    args = ("export", bank, "--to", "qti21", "--variants", 150, "--seed", SEED, "--out", out)
    modules = _modules_of_command(*args, "--jobs", 2)
    assert ("sympy" in modules) is loaded
    assert zipfile.is_zipfile(out)


@pytest.mark.parametrize("module", ["quizgen.grade.write", "quizgen.render.feedback"])
def test_grading_with_feedback_does_not_build_the_bank_model(module: str) -> None:
    """`quizgen grade` renders feedback from the key alone: the bank's pydantic model and
    its YAML reader (~60 ms to import) are not needed."""
    modules = _modules_after(f"import {module}")
    assert "quizgen.bank.model" not in modules
    assert "yaml" not in modules


_FIRST_CHECK = """
import sys
from quizgen.grade import checkers, limits
from quizgen.variant import ExpressionKey

inside = []
bounded = limits.run_bounded


def spy(fn, args, timeout):
    before = set(sys.modules)
    try:
        return bounded(fn, args, timeout)
    finally:
        inside.extend(sorted(set(sys.modules) - before))


checkers.run_bounded = spy
key = ExpressionKey(value="4*h + 4*h^2 + 4*h*n", latex="", variables={"n": "real", "h": "real"})
assert checkers.check_response(key, "4*(n*h + h^2 + h)").status == "correct"
print("\\n".join(inside))
"""


def test_the_first_expression_check_imports_nothing_inside_its_time_bound() -> None:
    """Loading sympy is never counted against a student's 2 s: sympy.tensor, which sympy
    imports on its first sum (~0.1 s, 0.8 s on a busy machine), is loaded before too."""
    result = subprocess.run(
        [sys.executable, "-c", _FIRST_CHECK], capture_output=True, text=True, env=checkout_env()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


_TIMED_CHECK = """
import json, sys
from pathlib import Path
from quizgen.grade.pipeline import grade_exam
from quizgen.grade.submissions import read_submissions
from quizgen.keyfile import open_key

out = Path(sys.argv[1])
template = out / "submissions" / "s001.json"
data = json.loads(template.read_text(encoding="utf-8"))
data["answers"]["expr-lstm"] = "4*(n*h + h^2 + h)"
template.write_text(json.dumps(data), encoding="utf-8")
exam = open_key(out / "key.json")
submissions = read_submissions([template], exam)
assert "sympy" not in sys.modules, "sympy loaded before grading: the test shows nothing"

seen = []
def clock():
    seen.append(set(sys.modules))
    return float(len(seen))

report = grade_exam(exam, submissions, clock=clock)
assert report.students[0].items[0].status == "correct", report.students[0].items[0]
assert len(seen) == 2, len(seen)  # one check: its start and its end
print("\\n".join(sorted(seen[1] - seen[0])))
"""


def test_the_reported_time_of_the_first_expression_check_leaves_loading_sympy_out(
    tmp_path: Path,
) -> None:
    """timing.csv says how long each check took: the ~1 s of loading sympy, which the first
    expression answer of a run needs, is not that check's time (it read 1,124 ms)."""
    out = tmp_path / "exam"
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "quizgen",
            "generate",
            str(DATA / "answer-bank.yaml"),
            "--count",
            "1",
            "--out",
            str(out),
            "--seed",
            "timed-check-0123456789abcdefgh",
        ],
        capture_output=True,
        text=True,
        env=checkout_env(),
    )
    assert made.returncode == 0, made.stderr
    result = subprocess.run(
        [sys.executable, "-c", _TIMED_CHECK, str(out)],
        capture_output=True,
        text=True,
        env=checkout_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []
