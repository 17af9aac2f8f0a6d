"""Shared fixtures: paths to the shipped and test banks, and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BANKS = ROOT / "banks"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def core_bank() -> Path:
    return DATA / "core-bank.yaml"
