"""Mastery per topic from the practice history: what ``quizgen progress`` shows.

Pure: attempts in, plain data out (the terminal draws the table, ``--json`` dumps it).
Boxes and due dates follow the Leitner rule of :mod:`quizgen.practice.review`; a bank's
current content is taken to be the one of its latest attempt.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from quizgen.practice.history import Attempt
from quizgen.practice.review import INTERVALS, cards, local_day, showings

__all__ = ["Progress", "TopicProgress", "progress"]

TREND_SESSIONS = 5  # sessions shown in a topic's trend


@dataclass(frozen=True)
class TopicProgress:
    """One topic's row."""

    topic: str
    questions: int  # distinct questions seen
    answers: int  # counted answers (one per part)
    correct: int  # answers fully right
    box: float  # mean Leitner box of its questions (1–5)
    interval_days: int  # the review interval of that (rounded) box
    last_seen: str  # local date, YYYY-MM-DD
    due: int  # questions due today
    trend: list[int]  # percent scored in each of its last sessions, oldest first


@dataclass(frozen=True)
class Progress:
    """Every topic, and what is due."""

    topics: list[TopicProgress]
    answers: int
    sessions: int
    due_today: int
    due_missed: int  # of which missed last time
    due_topics: list[str]
    next_due: str | None  # the earliest due date after today, when nothing is due

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """The one-line summary of what is due today."""
        if not self.answers:
            return "No practice yet: start with `quizgen practice BANK`."
        if self.due_today:
            missed = f" ({self.due_missed} missed last time)" if self.due_missed else ""
            return (
                f"Due today: {self.due_today} question(s){missed} in "
                f"{', '.join(self.due_topics)}: quizgen practice BANK --review"
            )
        later = f"; next on {self.next_due}" if self.next_due else ""
        return f"Nothing due today{later}."


def progress(attempts: Sequence[Attempt], today: date) -> Progress:
    """Summarize ``attempts`` (oldest first) per topic, as of the local date ``today``."""
    shown = showings(attempts)
    deck = cards(shown)
    by_topic: dict[str, list[Attempt]] = defaultdict(list)
    for a in attempts:
        by_topic[a.topic].append(a)
    rows = []
    for topic in sorted(by_topic):
        topic_cards = [c for c in deck.values() if c.topic == topic]
        rows.append(_row(topic, by_topic[topic], topic_cards, today))
    due = [c for c in deck.values() if c.is_due(today)]
    later = sorted(c.due for c in deck.values() if not c.is_due(today))
    return Progress(
        topics=rows,
        answers=len(attempts),
        sessions=len({a.session_id for a in attempts}),
        due_today=len(due),
        due_missed=sum(c.last_missed for c in due),
        due_topics=sorted({c.topic for c in due}),
        next_due=later[0].isoformat() if later and not due else None,
    )


def _row(topic: str, attempts: list[Attempt], deck: list[Any], today: date) -> TopicProgress:
    box = sum(c.box for c in deck) / len(deck) if deck else 1.0
    per_session: dict[int, list[float]] = defaultdict(list)
    for a in attempts:
        per_session[a.session_id].append(a.score)
    last = sorted(per_session, key=lambda s: max(a.time for a in attempts if a.session_id == s))
    trend = [round(100 * sum(per_session[s]) / len(per_session[s])) for s in last[-TREND_SESSIONS:]]
    return TopicProgress(
        topic=topic,
        questions=len({(a.bank_id, a.question_id) for a in attempts}),
        answers=len(attempts),
        correct=sum(a.status == "correct" and a.score >= 1 for a in attempts),
        box=round(box, 1),
        interval_days=INTERVALS[max(1, min(5, round(box)))],
        last_seen=local_day(max(a.time for a in attempts)).isoformat(),
        due=sum(c.is_due(today) for c in deck),
        trend=trend,
    )
