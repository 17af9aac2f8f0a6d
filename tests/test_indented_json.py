"""Submission templates are written with json.dumps's indented layout, built faster.

The oracle is the standard library: for any JSON data, ``indented_json`` must write the text
``json.dumps(data, indent=2, ensure_ascii=False)`` writes (students' files and the graders
that read them were made with it).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizgen.generate.write import indented_json

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=True, allow_infinity=True)
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


def _oracle(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


@given(_DATA)
def test_any_json_data_is_laid_out_as_json_dumps_does(data: object) -> None:
    assert indented_json(data) == _oracle(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="empty-dict"),
        pytest.param([], id="empty-list"),
        pytest.param({"a": {}, "b": [], "c": [[]]}, id="empty-inside"),
        pytest.param({"q1": None, "q2": {"a": None, "b": None}}, id="submission-shape"),
        pytest.param({"name": 'O\'Brien "Bob" \\ é 中 \u2028 \x00 \t\n'}, id="escapes"),
        pytest.param({1: "int key", None: "none key", 2.5: "float key"}, id="other-keys"),
        pytest.param({"x": 1.5, "y": float("nan")}, id="floats"),
        pytest.param({"t": (1, 2)}, id="tuple"),
        pytest.param([True, False, 0, -7, 10**30], id="bools-and-ints"),
    ],
)
def test_edge_cases_match_json_dumps(data: object) -> None:
    assert indented_json(data) == _oracle(data)


def test_circular_data_is_refused_as_json_dumps_refuses_it() -> None:
    data: dict[str, object] = {}
    data["self"] = data
    with pytest.raises(ValueError, match="Circular reference"):
        indented_json(data)


def test_written_submission_templates_are_what_json_dumps_writes(tmp_path: Path) -> None:
    from classroom import make_exam

    from quizgen.generate.write import write_exam
    from quizgen.grade.submissions import template_for
    from quizgen.render import get_renderer

    exam = make_exam(3)
    write_exam(exam, tmp_path, [get_renderer("md")])
    head = exam.model_copy(update={"papers": [], "fingerprint": None})
    for paper in exam.papers:
        written = (tmp_path / "submissions" / f"{paper.student_id}.json").read_text("utf-8")
        fingerprinted = head.model_copy(update={"fingerprint": json.loads(written)["exam"]})
        assert written == _oracle(template_for(fingerprinted, paper)) + "\n"
