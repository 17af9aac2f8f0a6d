"""Shared fixtures: paths to the shipped and test banks, and a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

# CI explores the same examples on every run (a red build must be reproducible); locally,
# hypothesis keeps searching new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BANKS = ROOT / "banks"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def core_bank() -> Path:
    return DATA / "core-bank.yaml"
