"""The JSON Schema of the bank format, for editors and ``quizgen schema``."""

from __future__ import annotations

from typing import Any

from quizgen.bank.model import Bank

__all__ = ["bank_schema"]


def bank_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a bank file."""
    schema = Bank.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "quizgen question bank"
    props = schema.get("properties", {})
    for loader_only in ("source", "sha256"):
        props.pop(loader_only, None)
    return schema
