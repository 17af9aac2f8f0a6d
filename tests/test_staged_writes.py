"""Files of a staged folder are created in place, and still never appear half-written.

``quizgen generate`` writes into a folder that :func:`~quizgen.output.staged_dir` made for it
alone and swaps in whole, so its ~3,000 files (1,000 students) need no temporary file and
rename each (:func:`~quizgen.output.write_staged`). What a user relies on is unchanged: the
files are those of the atomic writes, byte for byte and mode for mode; a failure or a hard
kill (``kill -9``) mid-run leaves the previous exam in its folder exactly as it was.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import midrun
import pytest
from conftest import BANKS, checkout_env

from quizgen.output import staged_dir, write_staged, write_text_atomic


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_staged_file_is_the_atomic_writes_file_with_its_mode(tmp_path: Path) -> None:
    text = "<p>Ana María — ∫ x² dx</p>\n" * 1000
    write_text_atomic(tmp_path / "atomic" / "papers" / "s1.html", text)
    write_staged(tmp_path / "staged" / "papers" / "s1.html", text)  # its folder made too
    atomic, staged = (tmp_path / d / "papers" / "s1.html" for d in ("atomic", "staged"))
    assert staged.read_bytes() == atomic.read_bytes() == text.encode("utf-8")
    assert staged.stat().st_mode & 0o777 == atomic.stat().st_mode & 0o777
    assert [p.name for p in staged.parent.iterdir()] == ["s1.html"]  # no temporary left


def test_a_staged_file_never_replaces_one_that_exists(tmp_path: Path) -> None:
    """Two writes of one name in a staged folder are a bug to report, not a file to lose."""
    write_staged(tmp_path / "key.html", "first")
    with pytest.raises(FileExistsError):
        write_staged(tmp_path / "key.html", "second")
    assert (tmp_path / "key.html").read_text(encoding="utf-8") == "first"


def test_a_failed_staged_write_removes_its_file(tmp_path: Path, monkeypatch) -> None:
    """A write that fails half-way (a full disk) leaves no half file behind."""
    real_write = os.write
    calls = []

    def half_then_full(fd: int, data) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(OSError, match="No space left"):
        write_staged(tmp_path / "paper.md", "x" * 10_000)
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
    assert len(calls) == 2  # the rest of a short write is written, not dropped


def test_a_staged_folder_of_staged_files_appears_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "exam"
    write_text_atomic(target / "papers" / "s1.md", "old")
    with pytest.raises(OSError), staged_dir(target) as stage:
        write_staged(stage / "papers" / "s1.md", "new")
        raise OSError("disk full")
    assert _files(target) == {"papers/s1.md": b"old"}
    with staged_dir(target) as stage:
        write_staged(stage / "papers" / "s1.md", "new")
        write_staged(stage / "papers" / "s2.md", "two")
    assert _files(target) == {"papers/s1.md": b"new", "papers/s2.md": b"two"}
    assert [p.name for p in tmp_path.iterdir()] == ["exam"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_staged_and_atomic_writes_give_the_same_exam(tmp_path: Path, jobs: int) -> None:
    """``write_stream(staged=True)``, as ``quizgen generate`` calls it, writes the files that
    the atomic writes do: the same names, bytes and modes (key pages and index included)."""
    from quizgen.bank import load_banks
    from quizgen.generate.exam import Draw, exam_head, numbered_students
    from quizgen.generate.write import KEY_PAGE, write_stream
    from quizgen.render import get_renderer

    banks = load_banks([BANKS / "rnn-lstm.yaml"])
    students = numbered_students(KEY_PAGE + 20)  # two key pages and the index
    renderers = [get_renderer("html"), get_renderer("md")]
    made = {}
    for staged in (False, True):
        out = tmp_path / f"staged-{staged}"
        with staged_dir(out) as stage:
            draw = Draw(banks, students, "s" * 24, check=False)
            head = exam_head(banks, "s" * 24)
            files = write_stream(
                head, draw, len(students), stage, renderers, jobs=jobs, staged=staged
            )
        assert len(files) == len(set(files))
        made[staged] = (
            _files(out),
            {str(p.relative_to(out)): p.stat().st_mode for p in out.rglob("*")},
        )
    assert made[True] == made[False]
    assert "keys/key-101-120.html" in made[True][0] and "key.md" in made[True][0]


def _quizgen(*args: str) -> subprocess.Popen:
    """The console script in a session of its own (its workers in its process group)."""
    return midrun.start(
        ["quizgen", *args],
        checkout_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _killed_when(process: subprocess.Popen, ready) -> None:
    """``kill -9`` of the process and its workers, as the OOM killer does, provably mid-run
    (stopped first, while ``ready()`` holds and it is not moving files into place)."""
    midrun.stop_when(process, ready, group=True)
    midrun.signal_stopped(process, signal.SIGKILL, group=True)
    assert midrun.finish(process, timeout=60)[0] == -signal.SIGKILL


def _stage_holds(parent: Path, name: str) -> bool:
    return any((p / name).exists() for p in parent.glob(".exam.*.partial"))


@pytest.mark.parametrize("when", ["drawing", "rendering"])
def test_a_hard_kill_mid_run_loses_nothing_of_the_previous_exam(tmp_path: Path, when: str) -> None:
    """``kill -9`` of ``generate --force`` into the folder of a good run, while it draws the
    key or while it writes papers into its staged folder: the good run's files are all
    there, unchanged, and nothing of the new run is among them; the staged folder is left
    beside it, hidden, and a rerun completes."""
    out = tmp_path / "exam"
    args = ["generate", str(BANKS / "rnn-lstm.yaml"), "--out", str(out), "--jobs", "2"]
    first = _quizgen(*args, "--count", "60", "--seed", "a" * 24)
    assert midrun.finish(first, timeout=300)[0] == 0
    before = _files(out)

    second = _quizgen(*args, "--count", "300", "--seed", "b" * 24, "--force")
    _killed_when(
        second, lambda: _stage_holds(tmp_path, "key.json" if when == "drawing" else "papers")
    )
    assert _files(out) == before
    left = [p.name for p in tmp_path.iterdir() if p.name != "exam"]
    assert len(left) == 1 and left[0].startswith(".exam.") and left[0].endswith(".partial")

    again = _quizgen(*args, "--count", "60", "--seed", "a" * 24, "--force")
    assert midrun.finish(again, timeout=300)[0] == 0
    assert _files(out) == before


# --- quizgen render writes through its staged folder too ------------------------------------


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A class of three key pages, drawn once (``generate``): its folder."""
    from quizgen.generate.write import KEY_PAGE

    out = tmp_path_factory.mktemp("drawn") / "exam"
    run = _quizgen(
        "generate",
        str(BANKS / "rnn-lstm.yaml"),
        "--count",
        str(2 * KEY_PAGE + 30),
        "--seed",
        "c" * 24,
        "--out",
        str(out),
    )
    code, _, stderr = midrun.finish(run, timeout=300)
    assert code == 0, stderr
    return out


def test_a_hard_kill_of_render_leaves_the_previous_files_as_they_were(
    tmp_path: Path, drawn: Path
) -> None:
    """``kill -9`` of ``render --force`` while it writes papers into its staged folder, over
    the folder of an earlier render of other students: those files are all there,
    unchanged, nothing of the killed run is among them, and a rerun completes."""
    out = tmp_path / "exam"
    key = str(drawn / "key.json")
    first = _quizgen("render", key, "--out", str(out), "--students", "1-40")
    assert midrun.finish(first, timeout=300)[0] == 0
    before = _files(out)

    second = _quizgen("render", key, "--out", str(out), "--force", "--jobs", "2")
    _killed_when(second, lambda: _stage_holds(tmp_path, "papers"))
    assert _files(out) == before
    left = [p.name for p in tmp_path.iterdir() if p.name != "exam"]
    assert len(left) == 1 and left[0].startswith(".exam.") and left[0].endswith(".partial")

    again = _quizgen("render", key, "--out", str(out), "--force")
    assert midrun.finish(again, timeout=300)[0] == 0
    assert _files(out) == {k: v for k, v in _files(drawn).items() if k != "key.json"}


def test_shards_rendered_into_one_folder_make_the_files_of_a_whole_run(
    tmp_path: Path, drawn: Path
) -> None:
    """Shards rendered one after another into the same folder (``--force`` from the second
    on), each through its own staged folder: exactly the files, bytes and modes of the whole
    class's ``generate``, key pages and index included, and no staged folder left."""
    out = tmp_path / "exam"
    for i, shard in enumerate(["1-77", "78-150", "151-230"]):
        force = ["--force"] if i else []
        run = _quizgen(
            "render",
            str(drawn / "key.json"),
            "--students",
            shard,
            "--out",
            str(out),
            "--jobs",
            str(1 + i % 2),
            *force,
        )
        code, _, stderr = midrun.finish(run, timeout=300)
        assert code == 0, stderr
    whole = {k: v for k, v in _files(drawn).items() if k != "key.json"}
    assert _files(out) == whole
    modes = {str(p.relative_to(out)): p.stat().st_mode for p in out.rglob("*")}
    assert modes == {
        str(p.relative_to(drawn)): p.stat().st_mode
        for p in drawn.rglob("*")
        if p.name != "key.json"
    }
    assert [p.name for p in tmp_path.iterdir()] == ["exam"]


def test_render_makes_no_temporary_file_per_file(
    tmp_path: Path, drawn: Path, runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``quizgen render`` creates its files in its staged folder (one ``mkdtemp``), not
    each through a temporary file and a rename (690 of them for these 230 students)."""
    import tempfile

    from quizgen.cli import app

    made = []
    real = tempfile.mkstemp
    monkeypatch.setattr(tempfile, "mkstemp", lambda *a, **k: made.append(a or k) or real(*a, **k))
    out = tmp_path / "exam"
    result = runner.invoke(
        app, ["render", str(drawn / "key.json"), "--out", str(out), "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    assert made == []
    assert _files(out) == {k: v for k, v in _files(drawn).items() if k != "key.json"}
