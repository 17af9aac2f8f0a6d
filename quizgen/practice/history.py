"""The practice history: every counted attempt, in one SQLite file.

Each attempt is committed the moment it is graded, so Ctrl-C, a closed terminal or
``kill -9`` lose nothing already answered. The file is in WAL mode with a busy timeout, so
two sessions may write at once. Its layout is versioned (``PRAGMA user_version``) and
upgraded by :data:`MIGRATIONS`, one step per version. A file that is not a quizgen history
(or not a database at all) is reported and never written to: :func:`open_history` checks it
before it changes anything.

Where it lives: ``--history PATH``, else ``$QUIZGEN_HISTORY``, else ``history.sqlite3`` in
the user's data folder (platformdirs: ``~/.local/share/quizgen`` on Linux). ``:memory:``
keeps a session's history in memory only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from quizgen.errors import QuizgenError

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Attempt",
    "History",
    "HistoryError",
    "default_history_path",
    "open_history",
]

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 10_000

# Version n is reached by running MIGRATIONS[n - 1]. Never edit a shipped step: add one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id          INTEGER PRIMARY KEY,
        started     TEXT NOT NULL,           -- ISO 8601, UTC
        seed        TEXT NOT NULL,
        mode        TEXT NOT NULL,           -- 'practice' or 'review'
        banks       TEXT NOT NULL            -- JSON: [{"id", "sha256", "file"}]
    );
    CREATE TABLE attempts (
        id          INTEGER PRIMARY KEY,
        session_id  INTEGER NOT NULL REFERENCES sessions(id),
        ask         INTEGER NOT NULL,        -- 1 for the session's first question, ...
        time        TEXT NOT NULL,           -- ISO 8601, UTC, when the answer was given
        bank_id     TEXT NOT NULL,
        bank_sha256 TEXT NOT NULL,
        question_id TEXT NOT NULL,
        part_id     TEXT NOT NULL,           -- '' for a question without parts
        topic       TEXT NOT NULL,
        kind        TEXT NOT NULL,
        variant_uid TEXT NOT NULL,
        params      TEXT NOT NULL,           -- JSON: the variant's exact parameter values
        response    TEXT,                    -- NULL when the solution was shown instead
        status      TEXT NOT NULL,           -- correct, partial, incorrect, shown
        score       REAL NOT NULL,           -- 0..1, after the hint's cost
        seconds     REAL NOT NULL,           -- from the question shown to the answer
        hint        INTEGER NOT NULL         -- 1 when a hint was shown first
    );
    CREATE INDEX attempts_by_question ON attempts (bank_id, question_id, time);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
_TABLES = {"sessions", "attempts"}


class HistoryError(QuizgenError):
    """The history file cannot be used (exit code 2); the message says what to do."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(
            f"cannot use the practice history {path}: {problem}; move the file aside, or "
            f"practise without saving: --history {MEMORY}"
        )
        self.path = path


@dataclass(frozen=True)
class Attempt:
    """One counted answer (an invalid answer is never one)."""

    session_id: int
    ask: int
    time: str
    bank_id: str
    bank_sha256: str
    question_id: str
    part_id: str
    topic: str
    kind: str
    variant_uid: str
    params: Mapping[str, str]
    response: str | None
    status: str
    score: float
    seconds: float
    hint: bool


def default_history_path() -> str:
    """``$QUIZGEN_HISTORY``, else ``history.sqlite3`` in the user's data folder."""
    env = os.environ.get("QUIZGEN_HISTORY", "").strip()
    if env:
        return env
    import platformdirs  # only here: the default location is the only use

    return str(platformdirs.user_data_path("quizgen", appauthor=False) / "history.sqlite3")


def now_utc() -> str:
    """The current time as stored: ISO 8601 in UTC, to the microsecond."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def open_history(path: str | Path | None = None) -> History:
    """Open (creating if needed) the history at ``path`` (default: :func:`default_history_path`).

    Raises:
        HistoryError: the file is not a database, not a quizgen history, newer than this
            quizgen, or cannot be opened; nothing has been written to it.
    """
    where = str(path) if path is not None else default_history_path()
    if where != MEMORY:
        target = Path(where).expanduser()
        if target.is_dir():
            raise HistoryError(where, "it is a folder")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(where, exc.strerror or str(exc)) from None
        where = str(target)
    try:
        connection = sqlite3.connect(where, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise HistoryError(where, str(exc)) from None
    try:
        _prepare(connection, where)
    except sqlite3.Error as exc:
        connection.close()
        raise HistoryError(where, _reason(exc)) from None
    except HistoryError:
        connection.close()
        raise
    return History(connection, where)


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return "the file is not a practice history (or it is damaged)"
    return text


def _prepare(connection: sqlite3.Connection, where: str) -> None:
    """Check the file is ours (reading only), then switch to WAL and migrate."""
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # One read transaction for both reads: another session may create the schema between
    # two separate reads, and version 0 with tables would then look like someone else's file.
    connection.execute("BEGIN")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]  # reads the header
        query = "SELECT name FROM sqlite_master WHERE type='table'"
        tables = {r[0] for r in connection.execute(query)}
    finally:
        connection.execute("COMMIT")
    if version > SCHEMA_VERSION:
        raise HistoryError(
            where,
            f"it was written by a newer quizgen (history version {version}; this one reads "
            f"up to {SCHEMA_VERSION})",
        )
    if version == 0 and tables:  # ours always carry a version: this is someone else's
        raise HistoryError(where, "the file is another program's database")
    _switch_to_wal(connection)
    connection.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at each checkpoint,
    # and a commit survives the process being killed (only a power cut could lose the last one)
    _migrate(connection)


def _switch_to_wal(connection: sqlite3.Connection) -> None:
    """Set WAL mode, waiting for a session that is switching the same new file at once.

    SQLite answers "database is locked" to the second of two simultaneous switches without
    calling the busy handler, so the wait is here, up to the busy timeout.
    """
    give_up = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > give_up:
                raise
            time.sleep(0.02)


def _migrate(connection: sqlite3.Connection) -> None:
    """Run the missing migration steps, each in its own write transaction."""
    while True:
        connection.execute("BEGIN IMMEDIATE")  # a second session waits here, then sees it done
        try:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                connection.execute("COMMIT")
                return
            for statement in _statements(MIGRATIONS[version]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {version + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script (execute() takes one at a time)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line.split("--", 1)[0] + ("\n" if "--" in line else "")
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""


class History:
    """An open history; every write commits at once."""

    def __init__(self, connection: sqlite3.Connection, path: str) -> None:
        self._db = connection
        self.path = path

    def close(self) -> None:
        """Close the file (a no-op when closed already)."""
        self._db.close()

    def start_session(self, seed: str, mode: str, banks: list[Mapping[str, str]]) -> int:
        """Record a new session and return its id."""
        cursor = self._write(
            "INSERT INTO sessions (started, seed, mode, banks) VALUES (?, ?, ?, ?)",
            (now_utc(), seed, mode, json.dumps(banks, sort_keys=True)),
        )
        return int(cursor.lastrowid)

    def _write(self, sql: str, row: tuple) -> sqlite3.Cursor:
        """Run one INSERT (autocommit: it is on disk when this returns)."""
        try:
            return self._db.execute(sql, row)
        except sqlite3.Error as exc:  # disk full, file removed or damaged mid-session
            raise HistoryError(self.path, f"cannot save the answer: {_reason(exc)}") from None

    def record(self, attempt: Attempt) -> None:
        """Store one attempt; committed before this returns."""
        row = (
            attempt.session_id,
            attempt.ask,
            attempt.time,
            attempt.bank_id,
            attempt.bank_sha256,
            attempt.question_id,
            attempt.part_id,
            attempt.topic,
            attempt.kind,
            attempt.variant_uid,
            json.dumps(dict(attempt.params), sort_keys=True),
            attempt.response,
            attempt.status,
            attempt.score,
            attempt.seconds,
            int(attempt.hint),
        )
        self._write(
            "INSERT INTO attempts (session_id, ask, time, bank_id, bank_sha256, question_id,"
            " part_id, topic, kind, variant_uid, params, response, status, score, seconds, hint)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )

    def attempts(self) -> list[Attempt]:
        """Every attempt, oldest first."""
        try:
            rows = self._db.execute(
                "SELECT session_id, ask, time, bank_id, bank_sha256, question_id, part_id, topic,"
                " kind, variant_uid, params, response, status, score, seconds, hint"
                " FROM attempts ORDER BY time, id"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            raise HistoryError(self.path, _reason(exc)) from None
        return [_attempt(row) for row in rows]


def _attempt(row: tuple) -> Attempt:
    (session, ask, time, bank, sha, question, part, topic, kind, uid, params) = row[:11]
    response, status, score, seconds, hint = row[11:]
    return Attempt(
        session_id=session,
        ask=ask,
        time=time,
        bank_id=bank,
        bank_sha256=sha,
        question_id=question,
        part_id=part,
        topic=topic,
        kind=kind,
        variant_uid=uid,
        params=json.loads(params),
        response=response,
        status=status,
        score=float(score),
        seconds=float(seconds),
        hint=bool(hint),
    )
