"""Moodle XML written by Python (``quiz_pieces``) is the packaged ``quiz.xml.j2``'s text.

The oracle is jinja rendering the packaged template file itself; the writer is used only
when the template an export loads is that file, unedited (an override is rendered by jinja:
``tests/test_export_canvas_writer.py`` checks an unedited copy for every written template).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import load_bank
from quizgen.export import export
from quizgen.export.base import (
    ExportOptions,
    Notes,
    PoolStream,
    distinct_variants,
    listed_questions,
    pool_of,
)
from quizgen.export.moodle import (
    Answer,
    Category,
    Question,
    _categories,
    moodle_question,
    quiz_pieces,
)
from quizgen.generate.compile import compile_question
from quizgen.render.templates import packaged_template_dir, template_environment

ROOT = Path(__file__).resolve().parent.parent
BANKS = sorted((ROOT / "banks").glob("*.yaml"))
TEST_BANK = ROOT / "tests" / "data" / "export-bank.yaml"


def _jinja(categories: list[Category]) -> str:
    """The oracle: the packaged template file, rendered by jinja."""
    template = template_environment("moodle").get_template("quiz.xml.j2")
    return template.render(categories=iter(categories), title="T")


def _writer(categories: list[Category]) -> str:
    return "".join(quiz_pieces(iter(categories)))


def _shipped(path: Path, variants: int) -> list[Category]:
    bank = load_bank(path)
    notes, mapped = Notes(), []
    for listed in listed_questions([bank], "writer", None):
        question = compile_question(listed.bank, listed.index)
        drawn = list(distinct_variants(question, "writer", variants))
        pool = pool_of(question, drawn[0])
        mapped.append((pool, [moodle_question(v, pool, notes) for v in drawn]))
    options = ExportOptions(title="T & <quiz>", seed="writer", variants=variants)
    stream = PoolStream(tuple(p.bank_id for p, _ in mapped), iter(mapped))
    return list(_categories(stream, options))


@pytest.mark.parametrize("path", [*BANKS, TEST_BANK], ids=lambda p: p.stem)
def test_every_question_of_the_shipped_banks_is_the_templates_text(path: Path) -> None:
    categories = _shipped(path, 6)
    assert categories
    assert _writer(categories) == _jinja(categories)


_TEXT = st.text(alphabet=st.sampled_from(list("aZ09 _-.:/+&<>\"'\n{}%#é")), min_size=0, max_size=12)
_ANSWER = st.builds(
    Answer,
    fraction=_TEXT,
    text=_TEXT,
    feedback=_TEXT,
    tolerance=st.none() | _TEXT,
    format=_TEXT,
)
_QUESTION = st.builds(
    Question,
    type=st.sampled_from(["multichoice", "shortanswer", "essay", "numerical", "cloze", "x"]),
    name=_TEXT,
    idnumber=_TEXT,
    text=_TEXT,
    general=_TEXT,
    points=_TEXT,
    answers=st.lists(_ANSWER, max_size=3).map(tuple),
    single=st.booleans(),
    usecase=st.booleans(),
    graderinfo=_TEXT,
    fields=st.fixed_dictionaries({"responseformat": _TEXT, "responsefieldlines": _TEXT}),
)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(st.builds(Category, _TEXT, _TEXT, st.lists(_QUESTION, max_size=3).map(tuple))))
def test_any_questions_are_the_templates_text_escaping_included(categories: list) -> None:
    assert _writer(categories) == _jinja(categories)


def test_an_instructors_quiz_template_is_still_rendered_by_jinja(tmp_path: Path) -> None:
    bank = load_bank(TEST_BANK)
    packaged = (packaged_template_dir() / "moodle" / "quiz.xml.j2").read_text("utf-8")
    marker = "<!-- my own quiz -->"
    folder = tmp_path / "mine" / "moodle"
    folder.mkdir(parents=True)
    (folder / "quiz.xml.j2").write_text(packaged.replace("<quiz>", "<quiz>" + marker, 1))
    mine = export([bank], "moodle", variants=2, seed="s", template_dir=tmp_path / "mine")
    plain = export([bank], "moodle", variants=2, seed="s")
    assert mine.data == plain.data.replace(b"<quiz>", b"<quiz>" + marker.encode(), 1)
