"""Writing files: atomically, into folders that are safe to write, under safe names.

A file is written to a temporary sibling and renamed into place, so a crash or a full disk
never leaves half a file where a complete one is expected.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from quizgen.errors import UsageError

__all__ = ["file_stem", "file_stems", "prepare_out_dir", "write_bytes_atomic", "write_text_atomic"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give a new file; mkstemp alone gives 0600


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` with ``\\n`` line endings to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def prepare_out_dir(path: Path, force: bool = False) -> Path:
    """Make sure ``path`` is a folder we may write into.

    Raises:
        UsageError: ``path`` is a file, is not writable, or is a non-empty folder and
            ``force`` is not set.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"output path {path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise UsageError(
            f"output folder {path} is not empty",
            hint="choose another folder, or pass --force to overwrite the files quizgen writes",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create output folder {path}: {exc.strerror}") from None
    if not os.access(path, os.W_OK):
        raise UsageError(f"output folder {path} is not writable")
    return path


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(student_id: str) -> str:
    """A file-name-safe stem for a student id (``Ana María/3`` → ``Ana_Mar_a_3``)."""
    stem = _UNSAFE.sub("_", student_id).strip("._") or "student"
    return stem[:80]


def file_stems(student_ids: Iterable[str]) -> list[str]:
    """Unique stems, in order (ids that clean up alike get a number suffix).

    Papers, submission templates and feedback files of one student share the stem.
    """
    seen: dict[str, int] = {}
    stems = []
    for student_id in student_ids:
        stem = file_stem(student_id)
        n = seen.get(stem.lower(), 0)
        seen[stem.lower()] = n + 1
        stems.append(stem if n == 0 else f"{stem}-{n + 1}")
    return stems
