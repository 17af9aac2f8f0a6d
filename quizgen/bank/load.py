"""Find bank files and load them together, so that one run reports every file's errors."""

from __future__ import annotations

from pathlib import Path

from quizgen.bank.model import Bank, load_bank
from quizgen.errors import BankError, BankErrors, UsageError

__all__ = ["bank_files", "load_banks", "load_banks_partial"]


def bank_files(paths: list[Path]) -> list[Path]:
    """Expand folders into their ``*.yaml``/``*.yml`` files (sorted); keep files as given.

    Raises:
        UsageError: a path does not exist, or a folder holds no bank file.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not found:
                raise UsageError(f"no .yaml bank files in folder {path}")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise UsageError(f"no such bank file or folder: {path}")
    return files


def load_banks(paths: list[Path]) -> list[Bank]:
    """Load and validate every bank, reporting the errors of all files together.

    Raises:
        BankErrors: every error of every file, in file order.
    """
    banks, errors = [], []
    for file in bank_files(paths):
        try:
            banks.append(load_bank(file))
        except BankErrors as exc:
            errors.extend(exc.errors)
        except BankError as exc:
            errors.append(exc)
    if errors:
        raise BankErrors(errors)
    return banks


def load_banks_partial(paths: list[Path]) -> tuple[list[Bank], list[BankError]]:
    """Load every bank, keeping the valid part of each invalid one.

    Returns:
        The banks (an invalid bank holds None in place of each invalid question, see
        :func:`quizgen.bank.model.parse_bank`) and every error of every file, in file order.
    """
    banks: list[Bank] = []
    errors: list[BankError] = []
    for file in bank_files(paths):
        try:
            banks.append(load_bank(file))
        except BankErrors as exc:
            errors.extend(exc.errors)
            if isinstance(exc.partial, Bank):
                banks.append(exc.partial)
        except BankError as exc:
            errors.append(exc)
    return banks, errors
