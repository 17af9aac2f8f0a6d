"""QTI 2.1 items written by Python (``item_xml``) are the packaged ``item.xml.j2``'s text.

The oracle is jinja rendering the packaged template file itself; the writer is used only
when the template an export loads is that file, unedited, and an instructor's override is
still rendered by jinja.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import load_bank
from quizgen.export import export
from quizgen.export.base import Notes, distinct_variants, listed_questions, pool_of
from quizgen.export.qti21 import (
    ITEM_TEMPLATE_SHA256,
    Block,
    Declaration,
    Item,
    Mapping,
    _is_packaged,
    item_xml,
    qti21_item,
)
from quizgen.generate.compile import compile_question
from quizgen.render.templates import packaged_template_dir, template_environment

ROOT = Path(__file__).resolve().parent.parent
BANKS = sorted((ROOT / "banks").glob("*.yaml"))
TEST_BANK = ROOT / "tests" / "data" / "export-bank.yaml"


def _jinja(item: Item) -> str:
    """The oracle: the packaged template file, rendered by jinja."""
    return template_environment("qti21").get_template("item.xml.j2").render(item=item)


def _items(path: Path, variants: int) -> list[Item]:
    bank = load_bank(path)
    notes, items = Notes(), []
    for listed in listed_questions([bank], "writer", None):
        question = compile_question(listed.bank, listed.index)
        variants_drawn = list(distinct_variants(question, "writer", variants))
        pool = pool_of(question, variants_drawn[0])
        items += [qti21_item(v, pool, notes) for v in variants_drawn]
    return items


def test_the_packaged_template_is_the_one_the_writer_was_written_from() -> None:
    """Fails when item.xml.j2 is edited: check item_xml against it (the tests below), then
    set ITEM_TEMPLATE_SHA256 to the new file's sha256. Until then jinja renders it."""
    path = packaged_template_dir() / "qti21" / "item.xml.j2"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == ITEM_TEMPLATE_SHA256
    template = template_environment("qti21").get_template("item.xml.j2")
    assert _is_packaged(template.filename)


@pytest.mark.parametrize("path", [*BANKS, TEST_BANK], ids=lambda p: p.stem)
def test_every_item_of_the_shipped_banks_is_the_templates_text(path: Path) -> None:
    items = _items(path, 6)
    assert items
    for item in items:
        assert item_xml(item) == _jinja(item)


_TEXT = st.text(alphabet=st.sampled_from(list("aZ09 _-.:/+&<>\"'\n{}%#é")), min_size=0, max_size=12)
_NON_EMPTY = _TEXT.filter(bool)


@st.composite
def _item(draw: st.DrawFn) -> Item:
    mapping = st.builds(
        Mapping,
        entries=st.lists(st.tuples(_NON_EMPTY, _TEXT, _TEXT), max_size=3).map(tuple),
        default=_TEXT,
        lower=_TEXT,
        upper=_TEXT,
    )
    declaration = st.builds(
        Declaration,
        identifier=_NON_EMPTY,
        cardinality=_NON_EMPTY,
        base_type=_NON_EMPTY,
        correct=st.lists(_TEXT, max_size=3).map(tuple),
        mapping=st.none() | mapping,
    )
    block = st.builds(
        Block,
        kind=st.sampled_from(["html", "choice", "text", "extended", "scorer", "other"]),
        html=_TEXT,
        response=_TEXT,
        choices=st.lists(st.tuples(_TEXT, _TEXT), max_size=3).map(tuple),
        max_choices=st.integers(0, 3),
        numeric=st.booleans(),
    )
    return Item(
        identifier=draw(_NON_EMPTY),
        title=draw(_TEXT),
        href="items/x.xml",
        points=draw(_TEXT),
        declarations=tuple(draw(st.lists(declaration, max_size=3))),
        blocks=tuple(draw(st.lists(block, max_size=4))),
        rules=tuple(draw(st.lists(_TEXT, max_size=3))),
        feedback=tuple(draw(st.lists(st.tuples(_TEXT, _TEXT), max_size=3))),
    )


@settings(max_examples=300, derandomize=True, deadline=None)
@given(_item())
def test_any_item_is_the_templates_text_escaping_included(item: Item) -> None:
    assert item_xml(item) == _jinja(item)


def _item_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if n.startswith("items/")}


def test_an_instructors_item_template_is_still_rendered_by_jinja(tmp_path: Path) -> None:
    bank = load_bank(TEST_BANK)
    packaged = (packaged_template_dir() / "qti21" / "item.xml.j2").read_text(encoding="utf-8")
    marker = "<!-- my own item -->"
    folder = tmp_path / "mine" / "qti21"
    folder.mkdir(parents=True)
    (folder / "item.xml.j2").write_text(packaged.replace("  <itemBody>", marker + "\n  <itemBody>"))
    mine = _item_files(
        export([bank], "qti21", variants=2, seed="s", template_dir=tmp_path / "mine").data
    )
    plain = _item_files(export([bank], "qti21", variants=2, seed="s").data)
    assert mine.keys() == plain.keys() and mine
    for name, data in plain.items():
        assert marker.encode() not in data
        assert mine[name] == data.replace(b"  <itemBody>", marker.encode() + b"\n  <itemBody>")


def test_an_unedited_copy_of_the_template_gives_the_same_items(tmp_path: Path) -> None:
    """A copy in an override folder is rendered by jinja (it is not the packaged file) and
    gives the bytes the writer gives."""
    bank = load_bank(TEST_BANK)
    folder = tmp_path / "copy" / "qti21"
    folder.mkdir(parents=True)
    (folder / "item.xml.j2").write_bytes(
        (packaged_template_dir() / "qti21" / "item.xml.j2").read_bytes()
    )
    copied = export([bank], "qti21", variants=3, seed="s", template_dir=tmp_path / "copy")
    assert copied.data == export([bank], "qti21", variants=3, seed="s").data
    assert not _is_packaged(str(folder / "item.xml.j2"))
