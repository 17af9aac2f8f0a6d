"""Find bank files and load them together, so that one run reports every file's errors.

Banks loaded together make one exam or export, so their ids must not clash: a question id
names one answer slot in a submission and one category in an LMS.
"""

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
    banks, errors = load_banks_partial(paths)
    if errors:
        raise BankErrors(errors)
    return banks


def load_banks_partial(paths: list[Path]) -> tuple[list[Bank], list[BankError]]:
    """Load every bank, keeping the valid part of each invalid one.

    Returns:
        The banks (an invalid bank holds None in place of each invalid question, see
        :func:`quizgen.bank.model.parse_bank`) and every error of every file, in file order,
        then the ids that clash across files.
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
    errors.extend(_clashes(banks))
    return banks, errors


def _clashes(banks: list[Bank]) -> list[BankError]:
    """A located error for each bank or question id that an earlier bank already uses."""
    errors = []
    bank_ids: dict[str, Bank] = {}
    questions: dict[str, tuple[Bank, int]] = {}
    for bank in banks:
        if bank.id in bank_ids:
            first = bank_ids[bank.id].error(("id",), "")
            errors.append(
                bank.error(("id",), f"bank id '{bank.id}' is also used by {first.location()}")
            )
        bank_ids.setdefault(bank.id, bank)
        for i, question in enumerate(bank.questions):
            if question is None:  # invalid in a partial bank; its own error says why
                continue
            # A repeat inside one bank is that bank's own error (see parse_bank).
            if question.id in questions and questions[question.id][0] is not bank:
                other, j = questions[question.id]
                first = other.error(("questions", j, "id"), "")
                message = (
                    f"question id '{question.id}' is also used in {first.location()} "
                    f"(bank '{other.id}'): question ids must differ across the banks of one "
                    "exam, since a submission names a question by its id alone"
                )
                errors.append(bank.error(("questions", i, "id"), message))
            questions.setdefault(question.id, (bank, i))
    return errors
