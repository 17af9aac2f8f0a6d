"""Banks: the model an instructor writes in YAML, its loader with locations, its JSON Schema.

``yamlsrc`` reads YAML keeping line and column, ``model`` validates it into a :class:`Bank`,
``load`` expands folders and loads many banks at once, ``schema`` publishes the JSON Schema;
``answers`` holds the two small models a key carries too (tolerance, text mistake).

The names below are imported on first use, so that importing ``quizgen.bank.answers`` (as
the key's model does) does not build the whole bank model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quizgen.bank.load import bank_files, load_banks
    from quizgen.bank.model import Bank, load_bank, parse_bank

__all__ = ["Bank", "bank_files", "load_bank", "load_banks", "parse_bank"]

_HOMES = {
    "Bank": "model",
    "load_bank": "model",
    "parse_bank": "model",
    "bank_files": "load",
    "load_banks": "load",
}


def __getattr__(name: str) -> Any:
    """The package's names, from their modules on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'quizgen.bank' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"quizgen.bank.{home}"), name)
    globals()[name] = value
    return value
