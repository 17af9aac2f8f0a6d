"""The equivalence table of issue 10 (tests/equivalence_table.py): every row, and its size."""

from __future__ import annotations

import pytest
from equivalence_table import ROWS
from test_grade_expression import PAIRS

from quizgen import check_answer


@pytest.mark.parametrize(("key", "variables", "response", "expected", "source"), ROWS)
def test_equivalence_table_of_issue_10(
    key: str, variables: object, response: str, expected: str, source: str
) -> None:
    answer = {"kind": "expression", "answer": key, "variables": variables}
    verdict = check_answer(answer, response)
    assert verdict.status == expected, (source, verdict)


def test_the_equivalence_tables_hold_at_least_400_pairs_with_sources() -> None:
    assert len(ROWS) + len(PAIRS) >= 400
    assert all(source for *_, source in ROWS)
    assert len({(k, str(v), r) for k, v, r, _, _ in ROWS}) == len(ROWS)  # no duplicates
