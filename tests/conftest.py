"""Shared fixtures: paths to the shipped and test banks, a CLI runner, the real console script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

# Every run explores the same examples and keeps none between runs: the README's test command
# gives the same verdict on a fresh clone, on CI and on the hundredth local run (a saved failing
# example in .hypothesis/ once made one bad draw fail every run after it). To search for new
# examples on purpose: python -m pytest --hypothesis-profile=explore
settings.register_profile("quizgen", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False, database=None, max_examples=2000)
settings.load_profile("quizgen")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BANKS = ROOT / "banks"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def core_bank() -> Path:
    return DATA / "core-bank.yaml"


@dataclass(frozen=True)
class Run:
    """What a user sees of one command: its exit code, standard output and standard error."""

    code: int
    stdout: str
    stderr: str


def checkout_env(hash_seed: str = "0") -> dict[str, str]:
    """The environment of a child process that runs this checkout's code.

    ``PYTHONHASHSEED`` is set explicitly so that tests can vary it on purpose.
    """
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONHASHSEED": hash_seed}


def _console_script() -> str:
    found = shutil.which("quizgen", path=str(Path(sys.executable).parent)) or shutil.which(
        "quizgen"
    )
    if found is None:
        pytest.fail("no 'quizgen' console script: install the package (pip install -e .)")
    return found


@pytest.fixture(scope="session")
def quizgen_cli() -> Callable[..., list[Run]]:
    """Run the installed ``quizgen`` console script as a user does, one process per command.

    ``quizgen_cli(["check", bank], ["generate", ...])`` starts the commands together (they
    are independent) and returns one :class:`Run` each, in order; ``hash_seeds`` gives each
    its own ``PYTHONHASHSEED``. CliRunner cannot stand in for this: it catches the exception
    and never prints the traceback a user would see.
    """
    script = _console_script()

    def run(
        *commands: Sequence[object], cwd: Path | None = None, hash_seeds: Sequence[str] = ()
    ) -> list[Run]:
        seeds = list(hash_seeds) or ["0"] * len(commands)
        children = [
            subprocess.Popen(
                [script, *map(str, command)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                cwd=cwd,
                env={**checkout_env(seed), "COLUMNS": "200"},
            )
            for command, seed in zip(commands, seeds, strict=True)
        ]
        runs = []
        for child in children:
            stdout, stderr = child.communicate(timeout=300)
            runs.append(Run(child.returncode, stdout, stderr))
        return runs

    return run


@pytest.fixture(scope="session")
def checkout_python() -> Callable[..., list[Run]]:
    """Run Python ``code`` in fresh processes of this checkout, one per hash seed, together.

    ``checkout_python(code, ["1", "2"], stdin=text)`` returns one :class:`Run` per seed, in
    order; a child that fails makes the test fail with its stderr.
    """

    def run(code: str, hash_seeds: Sequence[str], stdin: str = "") -> list[Run]:
        children = [
            subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                env=checkout_env(seed),
            )
            for seed in hash_seeds
        ]
        runs = []
        for child in children:
            stdout, stderr = child.communicate(stdin, timeout=600)
            assert child.returncode == 0, stderr
            runs.append(Run(child.returncode, stdout, stderr))
        return runs

    return run


# --- the browser tests (Playwright driving Debian's Chromium, which .ci/run installs) --------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed (CI installs Debian's chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the tests of one module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
