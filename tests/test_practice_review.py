"""Leitner boxes, due dates, review order and progress, replayed from attempts.

Expectations follow the rule in docs/practice.md: right → one box up (at most 5), anything
else → box 1; due 0, 1, 3, 7, 21 days after the last showing for boxes 1–5.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from quizgen.practice.history import Attempt
from quizgen.practice.progress import progress
from quizgen.practice.review import cards, due_items, showings

DAY0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def _at(day: int, minute: int = 0) -> str:
    return (DAY0 + timedelta(days=day, minutes=minute)).isoformat(timespec="microseconds")


def _a(question: str, day: int, status: str = "correct", *, session: int | None = None,
       ask: int = 1, part: str = "", topic: str = "t/a", sha: str = "s1", hint: bool = False,
       minute: int = 0) -> Attempt:  # fmt: skip
    score = {"correct": 1.0, "partial": 0.5}.get(status, 0.0)
    return Attempt(
        session_id=session if session is not None else day, ask=ask, time=_at(day, minute),
        bank_id="b", bank_sha256=sha, question_id=question, part_id=part, topic=topic,
        kind="numeric", variant_uid="u", params={}, response="1", status=status,
        score=score * (0.5 if hint else 1), seconds=1.0, hint=hint,
    )  # fmt: skip


def _local(day: int) -> date:
    return datetime.fromisoformat(_at(day)).astimezone().date()


# Each showing on the day it is due: day 0 (new), then +0/1/3/7/21 days by box.
@pytest.mark.parametrize(
    ("results", "days", "box", "due_after"),
    [
        (["correct"], [0], 2, 1),
        (["incorrect"], [0], 1, 0),
        (["correct", "correct"], [0, 1], 3, 3),
        (["correct", "correct", "correct"], [0, 1, 4], 4, 7),
        (["correct"] * 4, [0, 1, 4, 11], 5, 21),
        (["correct"] * 6, [0, 1, 4, 11, 32, 53], 5, 21),
        (["correct", "correct", "incorrect"], [0, 1, 4], 1, 0),
        (["correct", "partial"], [0, 1], 1, 0),
        (["correct", "shown"], [0, 1], 1, 0),
        (["incorrect", "correct"], [0, 0], 2, 1),
        (["correct", "correct"], [0, 0], 2, 1),  # right again the same day: no promotion
        (["correct", "correct", "correct"], [0, 1, 2], 3, 3),  # day 2 is before day 4
    ],
)
def test_leitner_boxes(results: list[str], days: list[int], box: int, due_after: int) -> None:
    attempts = [
        _a("q", day, status, session=n, minute=n)
        for n, (day, status) in enumerate(zip(days, results, strict=True))
    ]
    card = cards(showings(attempts))[("b", "q")]
    assert card.box == box
    assert card.due == _local(days[-1]) + timedelta(days=due_after)
    assert card.last_missed == (results[-1] != "correct")


def test_a_hint_keeps_a_question_in_box_1() -> None:
    card = cards(showings([_a("q", 0), _a("q", 1, hint=True)]))[("b", "q")]
    assert (card.box, card.last_missed) == (1, True)


def test_a_multipart_showing_needs_every_part_right() -> None:
    parts = [_a("m", 0, "correct", part="a"), _a("m", 0, "incorrect", part="b", minute=1)]
    assert cards(showings(parts))[("b", "m")].box == 1
    parts = [_a("m", 0, "correct", part="a"), _a("m", 0, "correct", part="b", minute=1)]
    assert cards(showings(parts))[("b", "m")].box == 2


def test_a_changed_bank_starts_its_questions_afresh() -> None:
    shown = showings([_a("q", 0), _a("q", 1), _a("q", 2)])
    assert cards(shown, {"b": "s1"})[("b", "q")].box == 3
    fresh = cards(shown, {"b": "s2"})[("b", "q")]
    assert (fresh.afresh, fresh.box, fresh.showings) == (True, 1, 0)
    assert fresh.is_due(_local(2))


def test_review_asks_due_questions_missed_first() -> None:
    attempts = [
        _a("known", 0),  # box 2, due on day 1
        _a("older-miss", 0, "incorrect", topic="t/b", minute=1),
        _a("fine", 3, topic="t/b"),  # box 2, due on day 4: not yet
        _a("recent-miss", 3, "incorrect", minute=2),
    ]
    items = ["never-seen", "known", "fine", "older-miss", "recent-miss"]
    order = due_items(items, lambda q: ("b", q), showings(attempts), {"b": "s1"}, _local(3))
    assert order == ["recent-miss", "older-miss", "known"]


def test_review_prefers_weak_topics_among_the_rest() -> None:
    attempts = [
        _a("strong", 0, topic="t/strong"),
        _a("weak", 0, topic="t/weak", minute=1),
        _a("weak-2", 0, "incorrect", topic="t/weak", minute=2),
        _a("weak-2", 1, topic="t/weak"),  # right now: not missed last time, box 2
    ]
    order = due_items(
        ["strong", "weak", "weak-2"], lambda q: ("b", q), showings(attempts), {"b": "s1"},
        _local(9),
    )  # fmt: skip
    assert order[:2] == ["weak", "weak-2"] or order[:2] == ["weak-2", "weak"]
    assert order[-1] == "strong"


def test_progress_per_topic_and_due_summary() -> None:
    attempts = [
        _a("p", 0, topic="arith", session=1),
        _a("q", 0, "incorrect", topic="arith", session=1, ask=2, minute=1),
        _a("q", 1, topic="arith", session=2),
        _a("r", 1, "incorrect", topic="lstm", session=2, ask=2, minute=1),
    ]
    report = progress(attempts, _local(1))
    rows = {t.topic: t for t in report.topics}
    assert (rows["arith"].questions, rows["arith"].answers, rows["arith"].correct) == (2, 3, 2)
    assert rows["arith"].trend == [50, 100]
    assert rows["arith"].box == 2.0  # p and q both in box 2
    assert (rows["lstm"].box, rows["lstm"].due, rows["lstm"].trend) == (1.0, 1, [0])
    assert (report.answers, report.sessions, report.due_today, report.due_missed) == (4, 2, 2, 1)
    assert report.summary().startswith("Due today: 2 question(s) (1 missed last time) in arith")
    later = progress(attempts[:1], _local(0))
    assert later.summary() == f"Nothing due today; next on {_local(1).isoformat()}."
    assert progress([], _local(0)).summary().startswith("No practice yet")
