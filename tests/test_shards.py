"""A class drawn once and rendered in shards (issue 14): `generate --key-only`, `render`.

What an instructor with a cluster relies on: the key written alone is the key a whole run
writes; shards rendered from it on separate machines (any ranges, any `--jobs`), copied into
one folder with the key, are byte for byte the folder a whole `generate` writes, key pages
included; a bad range or a missing key is refused with a message and no traceback.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from classroom import BANK, SEED

from quizgen.generate.write import KEY_PAGE

COUNT = 2 * KEY_PAGE + 30  # three key pages
SHARDS = ["1-77", "78-150", "151-230"]  # the boundaries cut key pages and pool chunks


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory, quizgen_cli) -> Path:
    """One ordinary `quizgen generate` of the class."""
    out = tmp_path_factory.mktemp("whole") / "exam"
    (run,) = quizgen_cli(["generate", BANK, "--count", COUNT, "--seed", SEED, "--out", out])
    assert run.code == 0, run.stderr
    return out


def test_shards_rendered_from_the_key_alone_make_the_whole_exam(
    tmp_path: Path, quizgen_cli, whole: Path
) -> None:
    assert COUNT == 230 and len(_tree(whole / "keys")) == 6  # the cut really crosses pages
    drawn = tmp_path / "drawn"
    (run,) = quizgen_cli(
        ["generate", BANK, "--count", COUNT, "--seed", SEED, "--out", drawn, "--key-only"]
    )
    assert run.code == 0, run.stderr
    assert sorted(_tree(drawn)) == ["key.json"]
    assert (drawn / "key.json").read_bytes() == (whole / "key.json").read_bytes()
    assert "quizgen render" in run.stdout  # the next step is named

    key = drawn / "key.json"
    outs = [tmp_path / f"shard{i}" for i in range(len(SHARDS))]
    runs = quizgen_cli(
        *(
            ["render", key, "--students", shard, "--out", o, "--jobs", 1 + i % 2]
            for i, (shard, o) in enumerate(zip(SHARDS, outs, strict=True))
        )
    )
    assert all(r.code == 0 for r in runs), [r.stderr for r in runs]
    merged = tmp_path / "merged"
    shutil.copytree(drawn, merged)
    for o in outs:
        shutil.copytree(o, merged, dirs_exist_ok=True)
    assert _tree(merged) == _tree(whole)

    # each shard holds its own students' papers and nobody else's
    first = {p.name for p in (outs[0] / "papers").iterdir()}
    assert len(first) == 2 * 77 and {"s001.html", "s077.md"} <= first and "s078.html" not in first


def test_render_of_the_whole_class_is_the_whole_exam(
    tmp_path: Path, quizgen_cli, whole: Path
) -> None:
    out = tmp_path / "again"
    (run,) = quizgen_cli(["render", whole / "key.json", "--out", out])
    assert run.code == 0, run.stderr
    shutil.copy(whole / "key.json", out / "key.json")
    assert _tree(out) == _tree(whole)


@pytest.mark.parametrize(
    ("given", "message"),
    [("0-3", "at least 1"), ("9-2", "at most LAST"), ("x", "FIRST-LAST"), ("999", "only 230")],
)
def test_a_bad_range_is_refused_before_any_file(
    tmp_path: Path, quizgen_cli, whole: Path, given: str, message: str
) -> None:
    out = tmp_path / "shard"
    (run,) = quizgen_cli(["render", whole / "key.json", "--students", given, "--out", out])
    assert run.code == 2 and message in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()


def test_a_missing_or_broken_key_is_refused(tmp_path: Path, quizgen_cli) -> None:
    broken = tmp_path / "key.json"
    broken.write_text('{"format": "quizgen-exam/2"', encoding="utf-8")
    runs = quizgen_cli(
        ["render", tmp_path / "nothing.json", "--out", tmp_path / "a"],
        ["render", broken, "--out", tmp_path / "b"],
    )
    for run in runs:
        assert run.code == 2 and "Traceback" not in run.stderr, run.stderr
    assert "nothing.json" in runs[0].stderr and "key.json" in runs[1].stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("count", "shard"),
    [(1, None), (49, None), (KEY_PAGE, None), (KEY_PAGE + 1, None), (COUNT, None)]
    + [(COUNT, (int(a) - 1, int(b))) for a, b in (s.split("-") for s in SHARDS)],
)
def test_render_tasks_cover_each_student_once_and_write_each_key_page_once(
    count: int, shard: tuple[int, int] | None
) -> None:
    """The pool's tasks: every student of the range in exactly one task, in order; a class of
    several key pages gets one task per page (its papers are read and viewed once); a class on
    one page is still split, so that a small class uses more than one core."""
    from quizgen.generate.write import CHUNK, _ranges

    page = KEY_PAGE if count > KEY_PAGE else count
    lo, hi = shard or (0, count)
    tasks = _ranges(count, page, lo, hi)
    covered = [s for a, b, _ in tasks for s in range(a, b)]
    assert covered == list(range(lo, hi))
    writers = [a for a, _, whole in tasks if whole]
    assert writers == [f for f in range(0, count, page) if lo <= f < hi]
    for a, b, _ in tasks:  # no task crosses a key page
        assert a // page == (b - 1) // page
    if count > KEY_PAGE:
        assert len(tasks) == len({a // page for a, _, _ in tasks})
    else:
        assert all(b - a <= CHUNK for a, b, _ in tasks)


def test_rendering_from_a_key_leaves_no_reference_cycles(tmp_path: Path) -> None:
    """Render tasks pause the cycle collector and freeze what they leave alive, which is
    safe only because rendering makes no reference cycles: none may be left for it."""
    import gc

    from classroom import make_exam

    from quizgen.generate.write import render_key, write_exam
    from quizgen.render import get_renderer

    renderers = [get_renderer("html"), get_renderer("md")]
    write_exam(make_exam(KEY_PAGE + 30), tmp_path / "whole", renderers)  # set-up made once
    gc.collect()
    written = render_key(tmp_path / "whole" / "key.json", tmp_path / "again", renderers)
    assert gc.collect() == 0
    assert len(written) == 3 * (KEY_PAGE + 30) + 2 * 2 + 2  # papers, submissions, key pages
