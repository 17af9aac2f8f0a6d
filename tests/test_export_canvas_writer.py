"""Canvas's assessment written by Python (``assessment_pieces``) is the packaged template's text.

The oracle is jinja rendering the packaged ``templates/canvas/assessment.xml.j2`` itself; the
writer is used only when the template an export loads is that file, unedited, and an
instructor's override is still rendered by jinja.
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
from quizgen.export.base import (
    Notes,
    distinct_variants,
    is_packaged_template,
    listed_questions,
    pool_of,
)
from quizgen.export.canvas import (
    ASSESSMENT_TEMPLATE_SHA256,
    Item,
    RespCondition,
    Response,
    _Group,
    assessment_pieces,
    canvas_item,
)
from quizgen.export.moodle import QUIZ_TEMPLATE_SHA256
from quizgen.export.qti21 import ITEM_TEMPLATE_SHA256
from quizgen.generate.compile import compile_question
from quizgen.render.templates import packaged_template_dir, template_environment

ROOT = Path(__file__).resolve().parent.parent
BANKS = sorted((ROOT / "banks").glob("*.yaml"))
TEST_BANK = ROOT / "tests" / "data" / "export-bank.yaml"
SHA256 = {
    "canvas": ASSESSMENT_TEMPLATE_SHA256,
    "moodle": QUIZ_TEMPLATE_SHA256,
    "qti21": ITEM_TEMPLATE_SHA256,
}
CONTEXT = {
    "assessment_id": "g1",
    "title": 'A & B <quiz> "one"',
    "qti_file": "g1/g1.xml",
    "meta_file": "g1/assessment_meta.xml",
    "dependency_id": "d1",
}


def _jinja(groups: list[_Group]) -> str:
    """The oracle: the packaged template file, rendered by jinja."""
    template = template_environment("canvas").get_template("assessment.xml.j2")
    return template.render({**CONTEXT, "groups": iter(groups)})


def _writer(groups: list[_Group]) -> str:
    return "".join(assessment_pieces(CONTEXT, iter(groups)))


def _groups(path: Path, variants: int) -> list[_Group]:
    bank = load_bank(path)
    notes, groups = Notes(), []
    for listed in listed_questions([bank], "writer", None):
        question = compile_question(listed.bank, listed.index)
        drawn = list(distinct_variants(question, "writer", variants))
        pool = pool_of(question, drawn[0])
        items = tuple(canvas_item(v, pool, notes) for v in drawn)
        groups.append(_Group(f"s{listed.index}", pool.title, f"{pool.points:g}", items))
    return groups


WRITTEN = [("canvas", "assessment.xml.j2"), ("moodle", "quiz.xml.j2"), ("qti21", "item.xml.j2")]


@pytest.mark.parametrize(("fmt", "name"), WRITTEN)
def test_the_packaged_templates_are_the_ones_the_writers_were_written_from(
    fmt: str, name: str
) -> None:
    """Fails when a written template is edited: check its writer against it (each format's
    writer tests), then set the module's *_TEMPLATE_SHA256 to the new file's sha256. Until
    then jinja renders it."""
    path = packaged_template_dir() / fmt / name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == SHA256[fmt]
    template = template_environment(fmt).get_template(name)
    assert is_packaged_template(template.filename, fmt, name, SHA256[fmt])


@pytest.mark.parametrize("path", [*BANKS, TEST_BANK], ids=lambda p: p.stem)
def test_every_item_of_the_shipped_banks_is_the_templates_text(path: Path) -> None:
    groups = _groups(path, 6)
    assert groups
    assert _writer(groups) == _jinja(groups)


_TEXT = st.text(alphabet=st.sampled_from(list("aZ09 _-.:/+&<>\"'\n{}%#é")), min_size=0, max_size=12)


@st.composite
def _items(draw: st.DrawFn) -> Item:
    response = st.builds(
        Response,
        ident=_TEXT,
        kind=st.sampled_from(["lid", "str", "other"]),
        cardinality=_TEXT,
        fibtype=_TEXT,
        blank=_TEXT,
        labels=st.lists(st.tuples(_TEXT, _TEXT), max_size=3).map(tuple),
    )
    condition = st.builds(
        RespCondition,
        conditions=st.lists(_TEXT, max_size=3).map(tuple),
        cont=st.booleans(),
        setvar=st.none() | st.tuples(_TEXT, _TEXT),
        feedback=st.lists(_TEXT, max_size=2).map(tuple),
    )
    return Item(
        ident=draw(_TEXT),
        title=draw(_TEXT),
        question_type=draw(_TEXT),
        points=draw(_TEXT),
        prompt=draw(_TEXT),
        responses=tuple(draw(st.lists(response, max_size=3))),
        conditions=tuple(draw(st.lists(condition, max_size=3))),
        feedback=tuple(draw(st.lists(st.tuples(_TEXT, _TEXT), max_size=2))),
        answer_ids=tuple(draw(st.lists(_TEXT, max_size=3))),
    )


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT, _TEXT, st.lists(_items(), max_size=3)), max_size=3))
def test_any_items_are_the_templates_text_escaping_included(raw: list) -> None:
    groups = [_Group(i, t, p, tuple(items)) for i, t, p, items in raw]
    assert _writer(groups) == _jinja(groups)


def _assessment(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        (name,) = [n for n in archive.namelist() if n.count("/") == 1 and "meta" not in n]
        return archive.read(name)


def test_an_instructors_assessment_template_is_still_rendered_by_jinja(tmp_path: Path) -> None:
    bank = load_bank(TEST_BANK)
    packaged = (packaged_template_dir() / "canvas" / "assessment.xml.j2").read_text("utf-8")
    marker = "<!-- my own assessment -->"
    folder = tmp_path / "mine" / "canvas"
    folder.mkdir(parents=True)
    (folder / "assessment.xml.j2").write_text(packaged.replace("    <qtimetadata>", marker, 1))
    mine = export([bank], "canvas", variants=2, seed="s", template_dir=tmp_path / "mine")
    plain = export([bank], "canvas", variants=2, seed="s")
    assert marker.encode() in _assessment(mine.data)
    assert marker.encode() not in _assessment(plain.data)


@pytest.mark.parametrize(("fmt", "name"), WRITTEN)
def test_an_unedited_copy_of_a_written_template_gives_the_same_file(
    fmt: str, name: str, tmp_path: Path
) -> None:
    """A copy in an override folder is rendered by jinja (it is not the packaged file) and
    gives the bytes the Python writer gives (Canvas's assessment, Moodle's quiz, QTI 2.1's
    items)."""
    bank = load_bank(TEST_BANK)
    folder = tmp_path / "copy" / fmt
    folder.mkdir(parents=True)
    (folder / name).write_bytes((packaged_template_dir() / fmt / name).read_bytes())
    copied = export([bank], fmt, variants=3, seed="s", template_dir=tmp_path / "copy")
    assert copied.data == export([bank], fmt, variants=3, seed="s").data
    assert not is_packaged_template(str(folder / name), fmt, name, SHA256[fmt])
