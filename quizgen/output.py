"""Writing files: atomically, into folders that are safe to write, under safe names.

A file is written to a temporary sibling and renamed into place, so a crash or a full disk
never leaves half a file where a complete one is expected. A whole folder of files (an
exam) is written into a temporary sibling folder and swapped in when complete
(:func:`staged_dir`), so Ctrl-C never leaves half an exam. Inside such a staged folder,
which only the run that made it writes into, a file needs no rename of its own: it is
created in place (:func:`write_staged`), and the folder's swap is what makes it appear.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from quizgen.errors import UsageError

__all__ = [
    "INCOMPLETE",
    "atomic_file",
    "file_stem",
    "file_stems",
    "missing_folders",
    "prepare_out_dir",
    "remove_empty",
    "staged_dir",
    "write_bytes_atomic",
    "write_staged",
    "write_text_atomic",
]

#: Left in a folder while a staged run moves its files in; only a hard kill leaves it behind.
INCOMPLETE = ".quizgen-incomplete"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_MODE = 0o666 & ~_umask()  # what open() would give a new file; mkstemp alone gives 0600


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file opened for writing in binary, that appears at ``path`` whole or not at all.

    The bytes go to a temporary sibling, renamed into place when the ``with`` block ends
    without an error (and removed if it raises), for a file too large to build in memory.
    Ctrl-C is held back while the temporary file is made, until its name is known here:
    an interrupt at that moment left it behind (a hidden ``.NAME.*.tmp``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        with _interrupts_deferred():
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            handle = os.fdopen(fd, "w+b")  # closes the descriptor, whatever happens next
        with handle:
            yield handle
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file + rename)."""
    with atomic_file(path) as handle:
        handle.write(data)


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 ``text`` with ``\\n`` line endings to ``path`` atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


#: A new file, never one that exists: two writes of one name in a staged folder are a bug
#: to report, not a file to replace.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def write_staged(path: Path | str, text: str) -> None:
    """Write UTF-8 ``text`` as a new file of a folder that :func:`staged_dir` made.

    No temporary file and rename per file: the staged folder is private to this run and is
    swapped in only once every file is complete (or removed, on an error or Ctrl-C; a hard
    kill leaves it aside as a hidden ``.NAME.*.partial`` folder, never in place), so the
    rename that makes each file whole is the folder's. A file that exists already is an
    error (``FileExistsError``), not replaced; a failed write removes its file. The mode is
    what ``open()`` gives (0o666 less the umask), as :func:`write_text_atomic`'s.
    """
    data = memoryview(text.encode("utf-8"))
    try:
        fd = os.open(path, _NEW_FILE, 0o666)
    except FileNotFoundError:  # the first file of its folder
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, _NEW_FILE, 0o666)
    try:
        while data:
            data = data[os.write(fd, data) :]
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)


def missing_folders(folder: Path) -> list[Path]:
    """``folder`` and those of its parents that do not exist yet, deepest first: what a
    run that writes into ``folder`` will make (:func:`remove_empty` takes them back)."""
    missing = []
    for path in (Path(folder), *Path(folder).parents):
        if path.exists():
            break
        missing.append(path)
    return missing


def remove_empty(folders: list[Path]) -> None:
    """Remove ``folders`` (deepest first) while they are empty: a run refused for the
    bank's sake leaves no folder it made behind."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


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


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back for a few system calls (renames, making a temporary file
    and keeping its name); it arrives afterwards. The mask is restored as it was, so this
    nests. In the main thread only, which is where Python raises KeyboardInterrupt."""
    blockable = hasattr(signal, "pthread_sigmask") and threading.current_thread() is (
        threading.main_thread()
    )
    if blockable:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        if blockable:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _move_into(stage: Path, target: Path) -> None:
    """Move every file of ``stage`` into ``target`` (which holds other files)."""
    marker = target / INCOMPLETE
    marker.write_text(
        "quizgen was moving a new exam into this folder and was stopped; generate it again.\n",
        encoding="utf-8",
    )
    made: set[tuple[str, ...]] = set()
    for parts in _files_under(str(stage)):
        folder = parts[:-1]
        if folder not in made:  # once per folder, not per file (20,000 feedback files)
            os.makedirs(os.path.join(target, *folder), exist_ok=True)
            made.add(folder)
        os.replace(os.path.join(stage, *parts), os.path.join(target, *parts))
    marker.unlink()
    shutil.rmtree(stage, ignore_errors=True)


def _files_under(folder: str, above: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The files below ``folder`` as path parts relative to it, in the order of their
    paths (``sorted`` of ``Path.rglob``'s files): the tree is walked with ``os.scandir``
    and no path object per file. A link to a folder is neither entered nor a file."""
    found: list[tuple[str, ...]] = []
    with os.scandir(os.path.join(folder, *above)) as entries:
        for entry in entries:
            parts = (*above, entry.name)
            if entry.is_dir(follow_symlinks=False):
                found += _files_under(folder, parts)
            elif not entry.is_dir():
                found.append(parts)
    if not above:
        found.sort()
    return found


def _commit(stage: Path, target: Path) -> None:
    """Put the staged files in place: one rename when ``target`` is empty."""
    with _interrupts_deferred():
        if target.is_dir() and not any(target.iterdir()):
            target.rmdir()
        if not target.exists():
            os.chmod(stage, 0o777 & ~_umask())  # mkdtemp made it private
            os.rename(stage, target)
        else:
            _move_into(stage, target)


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """A temporary sibling folder of ``target`` to write into.

    When the block ends normally, the staged files take their place in ``target``: by one
    rename when ``target`` is empty or absent, else file by file under an
    :data:`INCOMPLETE` marker, with Ctrl-C held back until done. When the block raises
    (Ctrl-C included), the staged folder is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = None
    try:
        with _interrupts_deferred():  # Ctrl-C lands once `stage` names the folder to remove
            stage = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
            )
        yield stage
    except BaseException:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
        raise
    try:
        _commit(stage, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)  # gone already unless the commit failed


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
