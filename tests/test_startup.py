"""The CLI starts without sympy, and the core never imports the CLI or terminal UI."""

from __future__ import annotations

import subprocess
import sys

import pytest

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


@pytest.mark.parametrize("module", ["quizgen.grade.write", "quizgen.render.feedback"])
def test_grading_with_feedback_does_not_build_the_bank_model(module: str) -> None:
    """`quizgen grade` renders feedback from the key alone: the bank's pydantic model and
    its YAML reader (~60 ms to import) are not needed."""
    modules = _modules_after(f"import {module}")
    assert "quizgen.bank.model" not in modules
    assert "yaml" not in modules
