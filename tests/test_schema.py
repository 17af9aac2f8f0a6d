"""The published JSON Schema: current, and it accepts what quizgen accepts (as editors use it)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from quizgen.cli import app

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "docs" / "bank.schema.json"
BANKS = sorted((ROOT / "banks").glob("*.yaml")) + sorted((ROOT / "tests" / "data").glob("*.yaml"))


def test_shipped_schema_is_current(runner) -> None:
    """Banks point editors at docs/bank.schema.json; it must match `quizgen schema`."""
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == SCHEMA.read_text(encoding="utf-8"), (
        "run: quizgen schema > docs/bank.schema.json"
    )


@pytest.mark.parametrize("bank", BANKS, ids=[b.name for b in BANKS])
def test_schema_accepts_every_shipped_bank(bank: Path) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_load(bank))]
    assert not errors


def test_schema_flags_a_misspelled_field() -> None:
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    data = _load(ROOT / "banks" / "rnn-lstm.yaml")
    data["questions"][0]["tolerence"] = 1
    assert not validator.is_valid(data)


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))
