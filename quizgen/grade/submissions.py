"""Reading student submissions (JSON or CSV) and checking them against the exam.

A submission names a student and gives one response per question (or per part of a
multipart question). Files are parsed into :class:`Received` submissions; every problem
(unreadable file, bad JSON, unknown student or question, superseded resubmission, wrong exam)
becomes a :class:`Rejection` and everything else is still graded: a bad answer costs only
that answer, a bad row only that row. Nothing here grades anything.

JSON, one submission per file, a batch ``{"submissions": [...]}``, or a bare list::

    {"exam": "3f9c…", "student_id": "s001",
     "answers": {"rnn-param-count": "20362", "lstm-gates": {"a": "B", "b": ["A", "C"]}}}

CSV, one row per student as a forms tool exports it: see :mod:`quizgen.grade.forms`.
Every file is read through :mod:`quizgen.inputs` (bounded size, depth and numbers).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from quizgen.errors import UsageError, did_you_mean
from quizgen.fingerprint import exam_fingerprint
from quizgen.grade.forms import parse_csv_submissions
from quizgen.grade.records import (
    RESPONSE_KINDS,
    Batch,
    Note,
    Received,
    Rejection,
    Response,
    Submission,
    Submissions,
    pydantic_reason,
    submission_schema,
    usable_response,
)
from quizgen.inputs import (
    SUBMISSION_BYTES,
    InputError,
    decode_text,
    load_json,
    read_bytes,
)
from quizgen.keyfile import open_key, papers_by_id, student_rows
from quizgen.output import file_stem
from quizgen.pool import ordered_map
from quizgen.variant import ChoiceKey, EssayKey, Exam, ExpressionKey, Paper, TrueFalseKey

__all__ = [
    "Batch",
    "Note",
    "Received",
    "Rejection",
    "Response",
    "Submission",
    "Submissions",
    "exam_fingerprint",
    "parse_csv_submissions",
    "parse_json_submissions",
    "read_key",
    "read_submissions",
    "submission_files",
    "submission_schema",
    "template_for",
    "validate_submissions",
]

SUFFIXES = (".json", ".csv")


# --- the exam side ---------------------------------------------------------------------------


def read_key(path: Path) -> Exam:
    """Open the frozen exam (``key.json``) that ``quizgen generate`` wrote.

    A ``quizgen-exam/2`` key is opened, not loaded: a paper is read when a submission needs
    it (:mod:`quizgen.keyfile`). A ``quizgen-exam/1`` key (at most 1 GB) is parsed whole;
    pydantic's JSON parser bounds nesting (200 levels) and numbers (4,300 digits) itself.

    Raises:
        UsageError: the file cannot be read, is not JSON, or is not a quizgen key.
    """
    return open_key(path)


def _paper_items(paper: Paper) -> dict[str, list[str]]:
    """Question id → its part ids ([] for a plain question)."""
    return {v.question_id: [p.id for p in v.parts] for v in paper.variants}


def _hint(key: Any) -> str | None:
    if isinstance(key, ChoiceKey):
        labels = ", ".join(o.label for o in key.options)
        if key.kind == "multi":
            return f"a list of the labels that apply, from {labels}"
        return f"one label of {labels}"
    if isinstance(key, TrueFalseKey):
        return "true or false"
    if isinstance(key, ExpressionKey):
        return "an expression in " + ", ".join(key.variables)
    if isinstance(key, EssayKey):
        return "free text, graded by hand"
    return None


def template_for(exam: Exam, paper: Paper) -> dict[str, Any]:
    """The empty submission a student fills in: every question (and part) with null.

    ``hints`` says which labels a choice question takes (and what other kinds expect); it
    is ignored when grading. The result is JSON-ready and validates as a :class:`Submission`.
    """
    answers: dict[str, Any] = {}
    hints: dict[str, str] = {}
    for variant in paper.variants:
        if variant.parts:
            answers[variant.question_id] = {p.id: None for p in variant.parts}
        else:
            answers[variant.question_id] = None
        for part_id, key, _ in variant.gradable():
            hint = _hint(key)
            if hint:
                hints[f"{variant.question_id}.{part_id}" if part_id else variant.question_id] = hint
    template: dict[str, Any] = {
        "exam": exam_fingerprint(exam),
        "student_id": paper.student_id,
    }
    if paper.name:
        template["name"] = paper.name
    template["answers"] = answers
    if hints:
        template["hints"] = hints
    return template


# --- JSON ------------------------------------------------------------------------------------


class _Students:
    """Who may have written a submission without a ``student_id``: by file name, by name.

    The tables are built on first use, once per reading, since most files name their student.
    """

    def __init__(self, exam: Exam) -> None:
        self._exam = exam
        self._by_stem: dict[str, str] | None = None
        self._by_name: dict[str, str | None] = {}  # None: two students share the name

    def _tables(self) -> tuple[dict[str, str], dict[str, str | None]]:
        if self._by_stem is None:
            self._by_stem = {}
            for paper in student_rows(self._exam):
                for stem in {paper.student_id.casefold(), file_stem(paper.student_id).casefold()}:
                    self._by_stem.setdefault(stem, paper.student_id)
                if paper.name:
                    name = " ".join(paper.name.casefold().split())
                    self._by_name[name] = None if name in self._by_name else paper.student_id
        return self._by_stem, self._by_name

    def infer(self, entry: dict[str, Any], stem: str | None) -> tuple[str | None, str]:
        """(student id, how it was found) or (None, why not)."""
        by_stem, by_names = self._tables()
        by_file = by_stem.get(stem.casefold()) if stem else None
        name = entry.get("name")
        by_name = None
        if isinstance(name, str):
            by_name = by_names.get(" ".join(name.casefold().split()))
        if by_file and by_name and by_file != by_name:
            return None, (
                f"no student_id, and the file name says '{by_file}' but the name says "
                f"'{by_name}': add \"student_id\""
            )
        if by_file:
            return by_file, f"no student_id: taken from the file name ('{by_file}')"
        if by_name:
            return by_name, f"no student_id: taken from the name '{name}' ('{by_name}')"
        return None, (
            'student_id: missing; add "student_id": "<your id>" (neither the file name '
            "nor a name identifies one student of this exam)"
        )


def _entries(data: Any) -> tuple[list[Any], bool] | None:
    """The raw submission entries of a parsed JSON file, and whether it was a batch."""
    if isinstance(data, list):
        return data, True
    if isinstance(data, dict) and "submissions" in data and "student_id" not in data:
        extra = sorted(set(data) - {"submissions"})
        if extra or not isinstance(data["submissions"], list):
            return None
        return data["submissions"], True
    if isinstance(data, dict):
        return [data], False
    return None


def _student_of(entry: Any) -> str | None:
    if isinstance(entry, dict) and isinstance(entry.get("student_id"), str):
        return entry["student_id"][:200]
    return None


def _usable(value: Any) -> bool:
    if isinstance(value, dict):
        return all(usable_response(v) for v in value.values())
    return usable_response(value)


def _answer_problems(answers: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The answers a checker can take, and a reason for each one it cannot.

    One answer of the wrong shape (``{"x": {"y": 1}}``) costs only that answer (or part).
    """
    if all(_usable(v) for v in answers.values()):
        return answers, []  # the common case: nothing to drop, nothing to copy
    kept: dict[str, Any] = {}
    problems = []
    for qid, value in answers.items():
        if isinstance(value, dict):
            parts = {pid: v for pid, v in value.items() if usable_response(v)}
            problems.extend(
                f"answers.{qid}.{pid}: an answer must be {RESPONSE_KINDS}"
                for pid in value
                if pid not in parts
            )
            if parts or not value:  # all parts bad: the question is reported once
                kept[qid] = parts
        elif usable_response(value):
            kept[qid] = value
        else:
            problems.append(
                f"answers.{qid}: an answer must be {RESPONSE_KINDS} (or {{part: answer}})"
            )
    return kept, problems


def _cleaned(entry: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The entry with unusable answers dropped, and a reason for each one dropped.

    ``hints`` (ignored when grading) is dropped when a student mangled it; a
    ``submitted_at`` that is not a date and time is dropped and reported; a numeric
    ``student_id`` is taken as its digits.
    """
    entry = dict(entry)
    problems: list[str] = []
    if isinstance(entry.get("answers"), dict):
        entry["answers"], problems = _answer_problems(entry["answers"])
    hints = entry.get("hints")
    if "hints" in entry and not (
        isinstance(hints, dict) and all(isinstance(v, str) for v in hints.values())
    ):
        del entry["hints"]
    if "submitted_at" in entry and not _is_time(entry["submitted_at"]):
        problems.append("submitted_at: not an ISO 8601 date and time; ignored")
        del entry["submitted_at"]
    sid = entry.get("student_id")
    if isinstance(sid, int) and not isinstance(sid, bool):
        entry["student_id"] = str(sid)
    return entry, problems


def _is_time(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _entry(
    entry: Any, where: str, students: _Students | None, stem: str | None, out: Submissions
) -> None:
    """Validate one entry into ``out``: a submission, rejections and notes."""
    if not isinstance(entry, dict):
        out.reject(where, "expected a submission object")
        return
    entry, problems = _cleaned(entry)
    if "student_id" not in entry and students is not None:
        sid, how = students.infer(entry, stem)
        if sid is None:
            out.reject(where, how)
            return
        entry["student_id"] = sid
        out.notes.append(Note(source=where, student=sid, note=how))
    try:
        submission = Submission.model_validate(entry)
    except ValidationError as exc:
        out.reject(where, pydantic_reason(exc), _student_of(entry))
        return
    out.received.append(Received(submission, where))
    for problem in problems:
        out.reject(where, problem + "; the other answers are graded", submission.student_id)


def parse_json_submissions(text: str, source: str, exam: Exam | None = None) -> Submissions:
    """Submissions from the text of one JSON file (no exam checks yet).

    Bad JSON rejects the whole file, with the line and column; an entry that does not
    match the schema rejects only that entry, and an answer of the wrong shape only that
    answer. With ``exam``, a submission without ``student_id`` is given the student its
    file name (one submission per file) or its ``name`` identifies, when exactly one does.
    """
    return _parse_json(text, source, _Students(exam) if exam is not None else None)


def _parse_json(text: str, source: str, students: _Students | None) -> Submissions:
    try:
        data = load_json(text)
    except InputError as exc:
        return Submissions(rejections=[Rejection(source=source, reason=exc.message)])
    found = _entries(data)
    if found is None:
        reason = 'expected a submission object, {"submissions": [...]} or a list of submissions'
        return Submissions(rejections=[Rejection(source=source, reason=reason)])
    entries, batch = found
    stem = None if batch else Path(source).stem
    out = Submissions()
    for i, entry in enumerate(entries):
        _entry(entry, f"{source}[{i}]" if batch else source, students, stem, out)
    return out


# --- files -----------------------------------------------------------------------------------


def _folder_files(folder: Path) -> list[Path]:
    """The ``*.json``/``*.csv`` entries of a folder in name order, hidden ones left out.

    Hidden files are what editors and archivers leave (``._s001.json`` from macOS). An
    entry that cannot be resolved (a symbolic-link loop) is kept, so that reading it
    reports it.
    """
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise UsageError(f"cannot list folder {folder}: {exc.strerror or exc}") from None
    files = []
    for entry in entries:
        if entry.name.startswith(".") or Path(entry.name).suffix.lower() not in SUFFIXES:
            continue
        try:
            if entry.is_dir():
                continue
        except OSError:
            pass
        files.append(Path(entry.path))
    return files


def _missing(path: Path) -> UsageError:
    parent = path.parent if str(path.parent) else Path(".")
    try:
        siblings = [p.name for p in parent.iterdir()] if parent.is_dir() else []
    except OSError:
        siblings = []
    hint = did_you_mean(path.name, siblings).removeprefix("; ")
    return UsageError(
        f"no such submissions file or folder: {path}",
        hint=hint or "check the path; nothing was graded",
    )


def submission_files(paths: Iterable[Path]) -> tuple[list[Path], list[Rejection]]:
    """The files to read: each file given, and every ``*.json``/``*.csv`` in each folder.

    Files inside a folder are taken in name order so that results never depend on the
    file system. A file of another type is a rejection.

    Raises:
        UsageError: a path does not exist (a typo must not grade a class as missing), a
            folder cannot be listed or holds no submission file.
    """
    files: list[Path] = []
    rejections: list[Rejection] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = _folder_files(path)
            if not found:
                raise UsageError(
                    f"no .json or .csv submission files in folder {path}",
                    hint="pass the folder that holds the students' files",
                )
            files.extend(found)
        elif not os.path.lexists(path):
            raise _missing(path)
        elif path.suffix.lower() not in SUFFIXES:
            rejections.append(Rejection(source=str(path), reason="not a .json or .csv file"))
        else:
            files.append(path)
    return files, rejections


def _read_file(path: Path, exam: Exam, students: _Students) -> Submissions:
    """The submissions of one file, each knowing its file and modification time."""
    csv = path.suffix.lower() == ".csv"
    try:
        data = read_bytes(path, SUBMISSION_BYTES)
        mtime = os.stat(path).st_mtime
        # A NUL in a CSV costs only its row; JSON has no row to spare.
        text = decode_text(data, allow_nul=csv)
    except (InputError, OSError) as exc:
        reason = exc.message if isinstance(exc, InputError) else f"cannot read: {exc.strerror}"
        if isinstance(exc, InputError) and exc.hint:
            reason += f"; {exc.hint}"
        return Submissions(rejections=[Rejection(source=str(path), reason=reason)])
    source = str(path)
    found = (
        parse_csv_submissions(text, source, exam) if csv else _parse_json(text, source, students)
    )
    found.received = [replace(r, file=source, mtime=mtime) for r in found.received]
    return found


def read_submissions(
    paths: Iterable[Path], exam: Exam, *, first: bool = False, jobs: int = 1
) -> Submissions:
    """Read every submission file (or folder of them) and check them against ``exam``.

    Args:
        paths: files and folders, as given on the command line.
        exam: the exam the submissions answer.
        first: of two submissions by one student, grade the first one read (not the latest).
        jobs: processes that read the files (and check each one's answers against the
            student's paper), by ranges of :data:`READ_RANGE` files; what is found does
            not depend on it.

    Raises:
        UsageError: see :func:`submission_files`.
    """
    files, rejections = submission_files(paths)
    found = Submissions(rejections=rejections)
    _READING.update(files=files, exam=exam, students=_Students(exam), mine=exam_fingerprint(exam))
    try:
        ranges = [(at, at + READ_RANGE) for at in range(0, len(files), READ_RANGE)]
        answers: list[_Answers | None] = []
        for part, checked in ordered_map(_read_range, ranges, jobs):
            found.extend(part)
            answers += checked
    finally:
        _READING.clear()
    return validate_submissions(exam, found, first=first, answers=answers)


READ_RANGE = 250  # submission files per task of a reading process
_READING: dict[str, Any] = {}  # what the reading processes inherit (see quizgen.pool)
#: A submission with the answers its paper does not have dropped, and a reason for each.
_Answers = tuple[Received, list[Rejection]]


def _read_range(start: int, end: int) -> tuple[Submissions, list[_Answers | None]]:
    """Read ``files[start:end]`` of :data:`_READING`, and check the answers of each
    submission that names a student of the exam against that student's paper (what
    :func:`validate_submissions` does with it; None for any other)."""
    exam, students, mine = _READING["exam"], _READING["students"], _READING["mine"]
    found = Submissions()
    for path in _READING["files"][start:end]:
        found.extend(_read_file(path, exam, students))
    papers = papers_by_id(exam)
    accepted = {mine, exam.seed}
    answers = [
        None
        if _admission(r.submission, accepted, mine, papers)
        else _check_answers(r, papers[r.submission.student_id])
        for r in found.received
    ]
    return found, answers


# --- checks against the exam -----------------------------------------------------------------


def _unknown_question(qid: str, items: dict[str, list[str]]) -> str:
    return f"unknown question '{qid}' (not on this student's paper)" + did_you_mean(qid, items)


_DROP = object()  # an answer that is not kept


def _answer_on_paper(qid: str, value: Any, items: dict[str, list[str]]) -> tuple[Any, list[str]]:
    """The answer to keep for ``qid`` (``_DROP``: none) and what is wrong with it."""
    if qid not in items:
        return _DROP, ([_unknown_question(qid, items)] if value not in (None, {}) else [])
    parts = items[qid]
    if parts and not isinstance(value, dict):
        if value is None:
            return _DROP, []
        return _DROP, [
            f"question '{qid}' has parts {', '.join(parts)}: give {{part: answer}}, "
            "not a single answer"
        ]
    if not parts and isinstance(value, dict):
        return _DROP, [f"question '{qid}' has no parts: give a single answer"]
    if not parts:
        return value, []
    problems = [
        f"question '{qid}' has no part '{p}'" + did_you_mean(p, parts)
        for p in value
        if p not in parts
    ]
    return {p: v for p, v in value.items() if p in parts}, problems


def _check_answers(received: Received, paper: Paper) -> tuple[Received, list[Rejection]]:
    """Drop (and report) answers to questions or parts the student's paper does not have."""
    sub = received.submission
    items = _paper_items(paper)
    kept: dict[str, Any] = {}
    problems: list[str] = []
    for qid, value in sub.answers.items():
        answer, found = _answer_on_paper(qid, value, items)
        problems.extend(found)
        if answer is not _DROP:
            kept[qid] = answer
    rejections = [
        Rejection(source=received.source, student=sub.student_id, reason=p) for p in problems
    ]
    if not problems:
        return received, rejections
    update = {"answers": kept}
    return replace(received, submission=sub.model_copy(update=update)), rejections


def _latest(group: list[tuple[int, Received]], first: bool) -> tuple[int, str]:
    """The read index of the submission to grade among one student's, and the rule used.

    The latest by ``submitted_at`` when every one has it; else by the files' modification
    times; else the last one read (files in the order given, folders in name order, rows
    and entries in file order). ``first`` keeps the first one read.
    """
    if first:
        return group[0][0], "the first one read (--first)"
    times = [r.submission.submitted_at for _, r in group]
    if all(t is not None for t in times):
        index = max(group, key=lambda ir: (ir[1].submission.submitted_at, ir[0]))[0]
        return index, "the latest submitted_at"
    mtimes = [r.mtime for _, r in group]
    if all(m is not None for m in mtimes):
        index, winner = max(group, key=lambda ir: (ir[1].mtime, ir[0]))
        if sum(r.mtime == winner.mtime for _, r in group) == 1:
            return index, "the latest file modification time"
        return index, "the last one read (same modification time)"
    return group[-1][0], "the last one read"


def _superseded(groups: dict[str, list[tuple[int, Received]]], first: bool) -> dict[int, str]:
    """Read index → reason, for every submission that another by its student replaces."""
    reasons: dict[int, str] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        index, rule = _latest(group, first)
        graded = next(r for i, r in group if i == index)
        for i, _ in group:
            if i != index:
                reasons[i] = (
                    f"superseded: this student also submitted {graded.source}, which is "
                    f"graded ({rule})"
                )
    return reasons


def _admission(sub: Submission, accepted: set[str], mine: str, papers: dict) -> str | None:
    """Why a submission cannot be graded at all, or None."""
    if sub.exam is not None and sub.exam not in accepted:
        return f"wrong exam: the submission names exam '{sub.exam}', this key is '{mine}'"
    if sub.student_id not in papers:
        return f"unknown student '{sub.student_id}' (not in this exam)" + did_you_mean(
            sub.student_id, papers
        )
    return None


def validate_submissions(
    exam: Exam,
    found: Submissions,
    *,
    first: bool = False,
    answers: Sequence[_Answers | None] | None = None,
) -> Submissions:
    """Keep the submissions that belong to ``exam``; report the rest.

    Rejected whole: a submission for another exam or for a student not in the exam, and
    every submission of a student but the one graded (see :func:`_latest`: the latest, or
    with ``first`` the first one read). Rejected answer by answer: a question or part that
    is not on the student's paper. ``answers``: each received submission's answers checked
    against its paper already (see :func:`_read_range`), so that no paper is read here.
    """
    papers = papers_by_id(exam)
    mine = exam_fingerprint(exam)
    accepted = {mine, exam.seed}
    reasons: dict[int, str] = {}
    groups: dict[str, list[tuple[int, Received]]] = {}
    for i, received in enumerate(found.received):
        reason = _admission(received.submission, accepted, mine, papers)
        if reason:
            reasons[i] = reason
        else:
            groups.setdefault(received.submission.student_id, []).append((i, received))
    reasons.update(_superseded(groups, first))
    out = Submissions(rejections=list(found.rejections), notes=list(found.notes))
    for i, received in enumerate(found.received):
        sid = received.submission.student_id
        if i in reasons:
            out.reject(received.source, reasons[i], sid)
            continue
        done = answers[i] if answers is not None else None
        kept, problems = done if done is not None else _check_answers(received, papers[sid])
        out.received.append(kept)
        out.rejections.extend(problems)
    return out
