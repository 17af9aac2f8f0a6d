"""Variant records made where they are drawn (issue 14): the key's bytes do not change.

``generate --jobs N`` draws in worker processes, which now hand the parent each variant's
key record already serialized (:func:`quizgen.keyfile.prepare_variant`); the parent only
fills in the offsets of the shared texts and writes. The key is the frozen source of truth
for grading, so its bytes must be exactly those of the format's definition
(docs/key-format.md): compared here with a reference writer made from that definition,
on any JSON data (NULs, quotes, escapes, non-ASCII, strings around the 48-character line,
long keys), not only on drawn variants.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import string
from pathlib import Path
from typing import Any

import pytest
from classroom import BANK, SEED, make_exam
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen import keyfile
from quizgen.bank.model import load_bank
from quizgen.generate import write
from quizgen.generate.exam import Draw, exam_head, numbered_students
from quizgen.generate.write import write_stream
from quizgen.keyfile import DrawnPaper, KeyWriter, prepare_variant


def _dumps(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


class _Reference:
    """The record lines of docs/key-format.md, written the plain way: every string value of
    48 characters or more becomes ``{"$text": OFFSET}`` of its text record, written first
    where first used (and again after the writer forgot it, every ``remembered`` texts)."""

    def __init__(self, start: int, remembered: int) -> None:
        self.out = bytearray()
        self.start = start
        self.texts: dict[str, int] = {}
        self.remembered = remembered

    def _write(self, line: bytes) -> int:
        at = self.start + len(self.out)
        self.out += line
        return at

    def _shared(self, data: Any) -> Any:
        if isinstance(data, str) and len(data) >= 48:
            digest = hashlib.sha256(data.encode()).hexdigest()[:32]
            if digest not in self.texts:
                if len(self.texts) >= self.remembered:
                    self.texts.clear()
                self.texts[digest] = self._write(_dumps({"text": digest, "value": data}))
            return {"$text": self.texts[digest]}
        if isinstance(data, dict):
            return {k: self._shared(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self._shared(v) for v in data]
        return data

    def variant(self, data: Any) -> None:
        self._write(_dumps({"variant": self._shared(data)}))


def _records(path: Path) -> bytes:
    """The key's records between the header and the first student line."""
    raw = path.read_bytes()
    start = raw.index(b"\n") + 1
    return raw[start : raw.index(b'{"student":')]


def _written(tmp_path: Path, variants: list[Any], prepare: Any) -> tuple[bytes, int]:
    """The records a KeyWriter writes for one paper of ``variants`` (data by uid)."""
    exam = make_exam(1).model_copy(update={"papers": []})
    path = tmp_path / "key.json"
    writer = KeyWriter(path, exam)
    uids = tuple(f"u{i}" for i in range(len(variants)))
    by_uid = dict(zip(uids, variants, strict=True))
    writer.add_drawn(DrawnPaper("s1", "", 1, 1.0, uids), lambda uid: prepare(by_uid[uid]))
    writer.close("0" * 16)
    head = path.read_bytes().index(b"\n") + 1
    return _records(path), head


def _expected(variants: list[Any], start: int, remembered: int = keyfile.REMEMBERED) -> bytes:
    reference = _Reference(start, remembered)
    for data in variants:
        reference.variant(data)
    return bytes(reference.out)


_TEXT = st.text(alphabet=st.sampled_from('ab "\\\x00\n\t/é€😀\u2028<'), max_size=60)
_NEAR_LINE = st.text(alphabet=st.sampled_from(string.ascii_letters + '"\\\x00é'), min_size=46)
_SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), _TEXT, _NEAR_LINE.map(lambda s: s[:50])
)
_JSON = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_TEXT | _NEAR_LINE, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(variants=st.lists(st.dictionaries(_TEXT, _JSON, max_size=5), min_size=1, max_size=4))
def test_prepared_records_are_the_formats_bytes(tmp_path_factory, variants) -> None:
    """Whatever the strings hold, the written records are the reference's byte for byte."""
    tmp_path = tmp_path_factory.mktemp("key")
    texts: dict[str, Any] = {}
    got, start = _written(tmp_path, variants, lambda data: prepare_variant(data, texts))
    assert got == _expected(variants, start)


@pytest.mark.parametrize(
    "data",
    [
        {"prompt": "x" * 47, "solution": "y" * 48},  # either side of the line
        {"prompt": "a\x00b", "solution": "long text with a NUL \x00 " * 3},
        {"k" * 48: "a key of 48 characters is never shared", "v": "z" * 60},
        {"prompt": '\\u0000"quoted" \\ ' * 4, "list": ["s" * 49, ["t" * 50], {"u": "u" * 51}]},
        {"values": {"x": "1" * 60}, "approx": 1e-05, "nan": float("nan"), "none": None},
    ],
    ids=["line", "nul", "long-key", "escapes-nested", "numbers"],
)
def test_prepared_records_in_the_awkward_cases(tmp_path: Path, data: dict[str, Any]) -> None:
    twice = [data, dict(reversed(list(data.items())))]  # the texts again: referred, not rewritten
    got, start = _written(tmp_path, twice, prepare_variant)
    assert got == _expected(twice, start)


def test_without_the_c_encoder_the_records_are_the_same(tmp_path: Path, monkeypatch) -> None:
    """A Python whose json has no C encoder (or one that changed: it is not public) gets
    each variant's data back unprepared, and the writer makes the same bytes from it."""
    assert keyfile._C_ENCODER  # this Python's encoder passed the probe: the fast path ran
    data = {"prompt": "p" * 60, "list": ["s" * 49, "short", {"u": "u" * 51}], "x": 1e-05}
    monkeypatch.setattr(keyfile, "_C_ENCODER", False)
    assert prepare_variant(data) is data
    twice = [data, {"again": "p" * 60}]
    got, start = _written(tmp_path, twice, prepare_variant)
    assert got == _expected(twice, start)


def test_records_prepared_in_a_worker_survive_pickling(tmp_path: Path) -> None:
    """What a worker sends (pickled) writes the key that a paper in memory writes."""
    exam = make_exam(3)
    head = exam.model_copy(update={"papers": []})
    whole, sent = tmp_path / "whole.json", tmp_path / "sent.json"
    writer = KeyWriter(whole, head)
    for paper in exam.papers:
        writer.add(paper)
    writer.close("0" * 16)
    writer = KeyWriter(sent, head)
    for paper in exam.papers:
        records = {v.uid: prepare_variant(v.model_dump(mode="json")) for v in paper.variants}
        records = pickle.loads(pickle.dumps(records))
        writer.add_drawn(DrawnPaper.of(paper), records.__getitem__)
    writer.close("0" * 16)
    assert sent.read_bytes() == whole.read_bytes()
    assert b'{"$text":' in whole.read_bytes()  # the drawn variants do share texts


def test_the_writer_forgets_texts_as_the_format_says(tmp_path: Path, monkeypatch) -> None:
    """Past REMEMBERED texts the writer starts afresh and writes a text again."""
    monkeypatch.setattr(keyfile, "REMEMBERED", 2)
    variants = [{"t": [c * 50 for c in "abcab"]}, {"t": ["c" * 50, "a" * 50]}]
    texts: dict[str, Any] = {}
    got, start = _written(tmp_path, variants, lambda data: prepare_variant(data, texts))
    assert got == _expected(variants, start, remembered=2)
    assert got.count(b'"value":"' + b"a" * 50) == 3  # a, then after two clearings


@pytest.mark.parametrize("kept", [1, 4_096])
def test_workers_remembering_few_records_write_the_same_key(tmp_path: Path, monkeypatch, kept):
    """Drawing workers keep the records they made for the next ranges (few or many): the
    key is the one a single process writes, which never uses that memory."""
    bank = load_bank(BANK)
    students = 3 * write.DRAW_CHUNK + 7  # four ranges: two or more per worker

    def key(jobs: int, out: Path) -> bytes:
        draw = Draw([bank], numbered_students(students), SEED)
        out.mkdir()
        head = exam_head([bank], SEED)
        write_stream(head, draw, students, out, [], jobs=jobs, key_only=True)
        return (out / "key.json").read_bytes()

    monkeypatch.setattr(write, "RECORDS_KEPT", kept)  # forked workers inherit it
    assert key(2, tmp_path / "two") == key(1, tmp_path / "one")
    assert write._RECORDS == {}  # nothing of this draw is kept after it
