"""Banks: the model an instructor writes in YAML, its loader with locations, its JSON Schema.

``yamlsrc`` reads YAML keeping line and column, ``model`` validates it into a :class:`Bank`,
``load`` expands folders and loads many banks at once, ``schema`` publishes the JSON Schema.
"""

from __future__ import annotations

from quizgen.bank.load import bank_files, load_banks
from quizgen.bank.model import Bank, load_bank, parse_bank

__all__ = ["Bank", "bank_files", "load_bank", "load_banks", "parse_bank"]
