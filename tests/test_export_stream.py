"""Exports streamed to a file, pool by pool, in --jobs processes: the same bytes as in memory.

The oracle for every file is the in-memory export (:func:`quizgen.export.export`), and for
the zip writer Python's own :mod:`zipfile` writing the same entries in sorted order.
"""

from __future__ import annotations

import io
import itertools
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import load_bank, parse_bank
from quizgen.export import EXPORTERS, ExportError, export, export_file, stream
from quizgen.export.base import ExportOptions, Pool, PoolStream, build_pools
from quizgen.export.package import EPOCH, LEVEL, ZipWriter, zip_bytes
from quizgen.lms.manifest import build_manifest

ROOT = Path(__file__).resolve().parent.parent
TEST_BANK = ROOT / "tests" / "data" / "export-bank.yaml"
FORMATS = sorted(EXPORTERS)


def stdlib_zip(files: dict[str, bytes]) -> bytes:
    """What ``zipfile`` writes for the entries, sorted, with the package's fixed settings."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=LEVEL)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bank():
    return load_bank(TEST_BANK)


# --- the zip writer --------------------------------------------------------------------------

names = st.text(st.sampled_from("abz/_.-é0"), min_size=1, max_size=12)
contents = st.binary(max_size=3000) | st.text("ab <>\n").map(str.encode)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.dictionaries(names, contents, max_size=12))
def test_zip_writer_writes_what_zipfile_writes_in_any_entry_order(files) -> None:
    assert zip_bytes(files) == stdlib_zip(files)
    assert zip_bytes(dict(reversed(files.items()))) == stdlib_zip(files)


@settings(max_examples=25, derandomize=True, deadline=None)
@given(st.binary(min_size=1, max_size=200_000), st.lists(st.integers(1, 70_000), min_size=1))
def test_an_entry_written_in_chunks_is_the_entry_written_at_once(data, cuts) -> None:
    buffer = io.BytesIO()
    with ZipWriter(buffer) as archive:
        with archive.entry("big.xml") as write:
            at = 0
            for cut in cuts * (len(data) // sum(cuts) + 1):
                write(data[at : at + cut])
                at += cut
        archive.add("a.txt", b"first in the archive")
    assert buffer.getvalue() == stdlib_zip({"big.xml": data, "a.txt": b"first in the archive"})


def test_more_than_65535_entries_get_the_zip64_end_records_zipfile_writes() -> None:
    files = {f"items/i{i:06d}.xml": b"<x/>" for i in range(65_540)}
    data = zip_bytes(files)
    assert data == stdlib_zip(files)
    assert len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 65_540


def test_a_name_written_twice_is_refused() -> None:
    with ZipWriter(io.BytesIO()) as archive:
        archive.add("a.xml", b"1")
        with pytest.raises(ValueError, match=r"a\.xml"):
            archive.add("a.xml", b"2")


# --- export_file: the in-memory bytes, any --jobs --------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("jobs", [1, 2])
def test_export_file_writes_the_bytes_and_warnings_of_export(
    bank, fmt, jobs, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(stream, "MIN_PARALLEL", 0)  # workers even for this small export
    expected = export([bank], fmt, variants=7, seed="stream")
    path = tmp_path / f"quiz{EXPORTERS[fmt].suffix}"
    result = export_file([bank], fmt, path, variants=7, seed="stream", jobs=jobs)
    assert path.read_bytes() == expected.data
    assert result.warnings == list(expected.warnings)
    assert result.variant_count == expected.variant_count
    assert [p.name for p in result.pools] == [p.name for p in expected.pools]


@pytest.mark.parametrize("fmt", ["canvas", "moodle"])
def test_pools_kept_from_workers_make_the_same_manifest(bank, fmt, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(stream, "MIN_PARALLEL", 0)
    expected = export([bank], fmt, variants=4, seed="manifest")
    path = tmp_path / f"quiz{EXPORTERS[fmt].suffix}"
    result = export_file([bank], fmt, path, variants=4, seed="manifest", jobs=2, keep_pools=True)
    assert tuple(result.pools) == expected.pools
    rebuilt = expected.__class__(
        format=fmt,
        suffix=expected.suffix,
        data=path.read_bytes(),
        pools=tuple(result.pools),
        warnings=tuple(result.warnings),
    )
    assert build_manifest(rebuilt, "T") == build_manifest(expected, "T")


def test_strict_refusal_leaves_no_file(bank, tmp_path) -> None:
    path = tmp_path / "quiz.gift"
    with pytest.raises(ExportError):
        export_file([bank], "gift", path, variants=2, seed="s", strict=True)
    assert list(tmp_path.iterdir()) == []


def test_a_draw_error_in_a_worker_reaches_the_caller_as_itself(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(stream, "MIN_PARALLEL", 0)
    never = parse_bank(
        "id: b\ntitle: B\nquestions:\n"
        "  - {id: q, kind: numeric, params: {a: {range: [1, 3]}}, where: ['a > 5'],"
        " answer: a, prompt: 'x {{ a }}'}\n"
        "  - {id: r, kind: numeric, params: {a: {range: [1, 3]}}, answer: a, prompt: 'y {{ a }}'}\n"
    )
    with pytest.raises(Exception) as in_process:
        export([never], "gift", variants=3, seed="s")
    with pytest.raises(type(in_process.value)) as in_worker:
        export_file([never], "gift", tmp_path / "q.gift", variants=3, seed="s", jobs=2)
    assert str(in_worker.value) == str(in_process.value)
    assert not (tmp_path / "q.gift").exists()


# --- streaming: the file is written as the pools arrive --------------------------------------


def _written_before_each_pool(bank, fmt: str, variants: int) -> tuple[list[int], int]:
    """Bytes the writer had put out when it asked for each pool, and the file's size."""
    pools, _ = build_pools([bank], "s", variants)
    options = ExportOptions(title="T", seed="s", variants=variants)
    exporter = EXPORTERS[fmt]
    out = io.BytesIO()
    written: list[int] = []

    def arriving():
        for pool in pools:
            written.append(out.tell())
            yield pool, [exporter.item(v, pool, options, _notes()) for v in pool.variants]

    exporter.write(PoolStream(tuple(p.bank_id for p in pools), arriving()), options, out)
    return written, len(out.getvalue())


def test_gift_writes_each_pool_before_it_asks_for_the_next(bank) -> None:
    written, _ = _written_before_each_pool(bank, "gift", 3)
    assert all(a < b for a, b in itertools.pairwise(written))


def test_moodle_xml_is_written_while_later_pools_are_still_to_come(bank) -> None:
    written, size = _written_before_each_pool(bank, "moodle", 40)
    assert size > 3 * (1 << 16)  # more than the writer's batches of 64 KiB
    assert 0 < written[-1] < size


def test_canvas_groups_are_made_one_at_a_time(bank) -> None:
    pools, _ = build_pools([bank], "s", 2)
    options = ExportOptions(title="T", seed="s", variants=2)
    exporter = EXPORTERS["canvas"]
    alive: list[int] = []
    made: list[Pool] = []

    def arriving():
        for pool in pools:
            alive.append(len(made))
            made.append(pool)
            yield pool, [exporter.item(v, pool, options, _notes()) for v in pool.variants]

    exporter.write(PoolStream(tuple(p.bank_id for p in pools), arriving()), options, io.BytesIO())
    assert alive == list(range(len(pools)))  # each pool asked for only when the last is out


def _notes():
    from quizgen.export.base import Notes

    return Notes()


# --- the command line ------------------------------------------------------------------------


def test_cli_jobs_1_and_2_write_the_same_files(quizgen_cli, tmp_path) -> None:
    args = ["export", TEST_BANK, "--seed", "jobs", "--variants", "30", "--no-check"]
    runs = quizgen_cli(
        [*args, "--to", "canvas", "--out", tmp_path / "j1.zip", "--jobs", "1",
         "--manifest", tmp_path / "j1.json"],
        [*args, "--to", "canvas", "--out", tmp_path / "j2.zip", "--jobs", "2",
         "--manifest", tmp_path / "j2.json"],
        [*args, "--to", "qti21", "--out", tmp_path / "j1q.zip", "--jobs", "1"],
        [*args, "--to", "qti21", "--out", tmp_path / "j2q.zip", "--jobs", "2"],
    )  # fmt: skip
    for run in runs:
        assert run.code == 0, run.stderr
    assert runs[0].stderr == runs[1].stderr and runs[2].stderr == runs[3].stderr
    assert (tmp_path / "j1.zip").read_bytes() == (tmp_path / "j2.zip").read_bytes()
    assert (tmp_path / "j1.json").read_bytes() == (tmp_path / "j2.json").read_bytes()
    assert (tmp_path / "j1q.zip").read_bytes() == (tmp_path / "j2q.zip").read_bytes()


def test_cli_refuses_too_many_variants_before_reading_the_banks(quizgen_cli, tmp_path) -> None:
    missing = tmp_path / "no-such-bank.yaml"
    [run] = quizgen_cli(
        ["export", missing, "--to", "gift", "--seed", "s", "--variants", "5001",
         "--out", tmp_path / "q.gift"]
    )  # fmt: skip
    assert run.code == 2 and "Traceback" not in run.stderr
    assert "5,001" in run.stderr and "5,000" in run.stderr
    assert not (tmp_path / "q.gift").exists()
