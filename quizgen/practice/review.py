"""Spaced review with Leitner boxes, computed from the attempts in the history.

Why Leitner and not SM-2: SM-2 needs the learner to rate each recall 0–5, while here the
grader already says right or wrong; a box is something a student can read ("box 3: back in 3
days"), and the state is a pure replay of the attempts, so nothing but attempts is stored.

The rule, per question (one *showing* = the question asked once, all its parts):

* a question starts in box 1; a showing answered fully right without a hint, on or after the
  day it was due, moves it up one box (at most :data:`TOP_BOX`; right again before it was due,
  it stays: cramming does not promote); any other showing (wrong, partly right, hint,
  solution shown) sends it back to box 1;
* it is due :data:`INTERVALS` days after the day of its last showing: box 1 the same day,
  box 2 a day later, then 3, 7 and 21 days;
* only attempts made with the bank's current content count: when a bank's sha256 changes,
  its questions start afresh (box 1, due at once).

``quizgen practice --review`` asks the due questions: those missed last time first (latest
miss first), then by the share of recent misses in their topic, then lowest box, then
longest unseen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from quizgen.practice.history import Attempt

__all__ = ["INTERVALS", "TOP_BOX", "Card", "Showing", "cards", "due_items", "showings"]

TOP_BOX = 5
INTERVALS = {1: 0, 2: 1, 3: 3, 4: 7, 5: 21}  # days from the last showing, by box
RECENT = 10  # showings per topic that decide how weak a topic is

Key = tuple[str, str]  # (bank id, question id)


@dataclass(frozen=True)
class Showing:
    """A question asked once: its counted attempts (one per part answered) together."""

    bank_id: str
    question_id: str
    topic: str
    bank_sha256: str
    session_id: int
    time: str  # of its last attempt
    score: float  # mean over its parts
    success: bool  # every part fully right, no hint, no solution shown


@dataclass
class Card:
    """A question's review state."""

    bank_id: str
    question_id: str
    topic: str
    box: int = 1
    last_seen: str = ""
    due: date = field(default_factory=date.today)
    showings: int = 0
    successes: int = 0
    last_missed: bool = False
    afresh: bool = False  # seen before, but its bank changed since

    def is_due(self, today: date) -> bool:
        return self.due <= today


def showings(attempts: Iterable[Attempt]) -> list[Showing]:
    """Group attempts into showings, in time order."""
    groups: dict[tuple[int, int, str, str], list[Attempt]] = defaultdict(list)
    for a in attempts:
        groups[(a.session_id, a.ask, a.bank_id, a.question_id)].append(a)
    result = []
    for group in groups.values():
        last = max(group, key=lambda a: a.time)
        result.append(
            Showing(
                bank_id=last.bank_id,
                question_id=last.question_id,
                topic=last.topic,
                bank_sha256=last.bank_sha256,
                session_id=last.session_id,
                time=last.time,
                score=sum(a.score for a in group) / len(group),
                success=all(a.status == "correct" and a.score >= 1 and not a.hint for a in group),
            )
        )
    return sorted(result, key=lambda s: s.time)


def local_day(timestamp: str) -> date:
    """The local calendar day of a stored UTC timestamp."""
    return datetime.fromisoformat(timestamp).astimezone().date()


def cards(shown: Sequence[Showing], current: Mapping[str, str] | None = None) -> dict[Key, Card]:
    """Replay the showings into one card per question.

    Args:
        shown: showings in time order (:func:`showings`).
        current: bank id → sha256 of the bank as it is now; a bank not given (or None at
            all) counts as unchanged since its latest showing.
    """
    latest = {s.bank_id: s.bank_sha256 for s in shown}
    result: dict[Key, Card] = {}
    for s in shown:
        key = (s.bank_id, s.question_id)
        card = result.setdefault(key, Card(s.bank_id, s.question_id, s.topic))
        sha = (current or {}).get(s.bank_id, latest[s.bank_id])
        if s.bank_sha256 != sha:
            card.afresh = card.showings == 0
            card.due = local_day(s.time)
            continue
        card.afresh = False
        card.topic = s.topic
        day = local_day(s.time)
        if not s.success:
            card.box = 1
        elif card.showings == 0 or day >= card.due:  # right before it was due: no promotion
            card.box = min(card.box + 1, TOP_BOX)
        card.showings += 1
        card.successes += s.success
        card.last_missed = not s.success
        card.last_seen = s.time
        card.due = day + timedelta(days=INTERVALS[card.box])
    return result


def topic_weakness(shown: Sequence[Showing], deck: Mapping[Key, Card]) -> dict[str, float]:
    """Per topic, the share of misses among its last :data:`RECENT` counted showings."""
    by_topic: dict[str, list[bool]] = defaultdict(list)
    for s in shown:
        card = deck.get((s.bank_id, s.question_id))
        if card is not None and card.showings and not card.afresh:
            by_topic[s.topic].append(s.success)
    return {
        topic: 1 - sum(results[-RECENT:]) / len(results[-RECENT:])
        for topic, results in by_topic.items()
    }


def due_items(
    items: Sequence[Any],
    key_of: Callable[[Any], Key],
    shown: Sequence[Showing],
    current: Mapping[str, str],
    today: date,
) -> list[Any]:
    """The due ones of ``items`` (never-seen questions are not due), most urgent first.

    Args:
        items: candidate questions (any objects; ``key_of(item)`` gives (bank id, question id)).
        key_of: how to name an item in the history.
        shown: every showing, in time order.
        current: bank id → sha256 of each bank now.
        today: the local date.
    """
    deck = cards(shown, current)
    weakness = topic_weakness(shown, deck)
    due = []
    for position, item in enumerate(items):
        card = deck.get(key_of(item))
        if card is None or not (card.afresh or card.is_due(today)):
            continue
        urgency = (
            0 if card.last_missed else 1,
            -_seconds(card.last_seen) if card.last_missed else 0.0,
            -weakness.get(card.topic, 0.0),
            card.box,
            card.last_seen,
            position,
        )
        due.append((urgency, item))
    return [item for _, item in sorted(due, key=lambda pair: pair[0])]


def _seconds(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()
