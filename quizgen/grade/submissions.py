"""Reading student submissions (JSON or CSV) and checking them against the exam.

A submission names a student and gives one response per question (or per part of a
multipart question). Files are parsed into :class:`Received` submissions; every problem
(unreadable file, bad JSON, unknown student or question, duplicate, wrong exam) becomes a
:class:`Rejection` and everything else is still graded. Nothing here grades anything.

JSON, one submission per file, a batch ``{"submissions": [...]}``, or a bare list::

    {"exam": "3f9c…", "student_id": "s001",
     "answers": {"rnn-param-count": "20362", "lstm-gates": {"a": "B", "b": ["A", "C"]}}}

CSV, one row per student as a forms tool exports it (UTF-8, with or without BOM): a
``student_id`` (or ``id``) column, one column per question id or ``question_id.part_id``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from quizgen.errors import UsageError
from quizgen.rng import stable_hash
from quizgen.variant import ChoiceKey, EssayKey, Exam, ExpressionKey, Paper, TrueFalseKey

__all__ = [
    "Batch",
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

Response = StrictBool | StrictStr | list[StrictStr] | None
"""One answer: text, a list of option labels (multi), a boolean (true/false) or null."""

_RawResponse = StrictBool | StrictStr | StrictInt | StrictFloat | list[StrictStr] | None
SUFFIXES = (".json", ".csv")
ID_COLUMNS = ("student_id", "id")
# Columns a forms tool or an LMS adds that are not answers; anything else unknown is reported.
META_COLUMNS = {
    "timestamp",
    "name",
    "student",
    "full name",
    "first name",
    "last name",
    "email",
    "email address",
    "username",
    "section",
    "score",
    "total score",
    "exam",
    "start time",
    "completion time",
    "submitted",
}
_MULTI_SPLIT = re.compile(r"[,;]")


class Rejection(BaseModel):
    """One problem with the submissions, reported in ``rejected.csv``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="file, with the entry or line where known")
    student: str | None = None
    reason: str


def _text_response(value: Any) -> Any:
    """JSON numbers are answers too: keep them as the text the student meant."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


class Submission(BaseModel):
    """One student's answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exam: str | None = Field(
        default=None,
        description="the exam fingerprint from the template (or the exam seed); "
        "a submission for another exam is rejected",
    )
    student_id: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, description="ignored when grading")
    answers: dict[str, _RawResponse | dict[str, _RawResponse]] = Field(
        default={},
        description="question id → response, or → {part id → response} for a multipart "
        "question. A response is text, a list of option labels, true/false or null.",
    )
    hints: dict[str, str] = Field(
        default={}, description="written in templates to say what each answer expects; ignored"
    )

    @field_validator("answers", mode="after")
    @classmethod
    def _numbers_as_text(cls, answers: dict[str, Any]) -> dict[str, Any]:
        return {
            qid: (
                {pid: _text_response(v) for pid, v in value.items()}
                if isinstance(value, dict)
                else _text_response(value)
            )
            for qid, value in answers.items()
        }


class Batch(BaseModel):
    """Several submissions in one file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    submissions: list[Submission]


class _SubmissionFile(RootModel[Submission | Batch | list[Submission]]):
    """A submission file: one submission, a batch object, or a list of submissions."""


def submission_schema() -> dict[str, Any]:
    """The JSON Schema of a submission file (``quizgen schema --submission``)."""
    schema = _SubmissionFile.model_json_schema()
    schema["title"] = "quizgen submission"
    schema["description"] = (
        'One submission, {"submissions": [...]}, or a list of submissions. '
        "See docs/grading-pipeline.md."
    )
    return schema


@dataclass(frozen=True)
class Received:
    """A submission and where it came from (``file``, ``file[3]`` or ``file:4``)."""

    submission: Submission
    source: str


@dataclass
class Submissions:
    """What was read: the submissions to grade and the problems found."""

    received: list[Received] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def extend(self, other: Submissions) -> None:
        """Append another batch (file order is kept)."""
        self.received.extend(other.received)
        self.rejections.extend(other.rejections)


# --- the exam side ---------------------------------------------------------------------------


def read_key(path: Path) -> Exam:
    """Read the frozen exam (``key.json``) that ``quizgen generate`` wrote.

    Raises:
        UsageError: the file cannot be read, is not JSON, or is not a quizgen key.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read key {path}: {exc}") from None
    try:
        return Exam.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        if first["type"] == "json_invalid":
            raise UsageError(f"{path}: not valid JSON ({first['msg']})") from None
        raise UsageError(
            f"{path}: not a quizgen key ({where or 'top level'}: {first['msg']})",
            hint="pass the key.json that `quizgen generate` wrote",
        ) from None


def exam_fingerprint(exam: Exam) -> str:
    """A short, stable id of the exam that templates carry (``exam`` field).

    It depends on the exam's title, seed and bank ids, not on the bank contents, so a
    deliberate ``--regrade`` with an edited bank still accepts the same submissions.
    """
    return stable_hash("quizgen-exam", exam.title, exam.seed, *(b.id for b in exam.banks))[:16]


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


_RESPONSE_KINDS = "text, a number, true/false, a list of option labels or null"


def _pydantic_reason(exc: ValidationError) -> str:
    """One readable line for a schema error (pydantic lists every union member tried)."""
    first = exc.errors(include_url=False)[0]
    loc = [str(p) for p in first["loc"]]
    if len(loc) >= 2 and loc[0] == "answers":
        part = next((loc[i + 1] for i, p in enumerate(loc[:-1]) if p.startswith("dict[")), None)
        where = f"answers.{loc[1]}" + (f".{part}" if part else "")
        if part is None:
            return f"{where}: an answer must be {_RESPONSE_KINDS} (or {{part: answer}})"
        return f"{where}: an answer must be {_RESPONSE_KINDS}"
    where = ".".join(loc) or "submission"
    return f"{where}: {first['msg']}"


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
        return entry["student_id"]
    return None


def parse_json_submissions(text: str, source: str) -> Submissions:
    """Submissions from the text of one JSON file (no exam checks yet).

    Bad JSON rejects the whole file, with the line and column; an entry that does not
    match the schema rejects only that entry.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        return Submissions(rejections=[Rejection(source=source, reason=reason)])
    found = _entries(data)
    if found is None:
        reason = 'expected a submission object, {"submissions": [...]} or a list of submissions'
        return Submissions(rejections=[Rejection(source=source, reason=reason)])
    entries, batch = found
    out = Submissions()
    for i, entry in enumerate(entries):
        where = f"{source}[{i}]" if batch else source
        try:
            out.received.append(Received(Submission.model_validate(entry), where))
        except ValidationError as exc:
            out.rejections.append(
                Rejection(source=where, student=_student_of(entry), reason=_pydantic_reason(exc))
            )
    return out


# --- CSV -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    index: int
    question: str
    part: str = ""


def _question_parts(exam: Exam) -> dict[str, set[str]]:
    """Every question id in the exam → the union of its part ids."""
    found: dict[str, set[str]] = {}
    for paper in exam.papers:
        for qid, parts in _paper_items(paper).items():
            found.setdefault(qid, set()).update(parts)
    return found


def _classify(header: str, known: Mapping[str, set[str]]) -> tuple[str, str] | str | None:
    """(question, part) for an answer column, a reason for a bad one, None to ignore it."""
    name = header.strip()
    if name in known:
        return name, ""
    qid, dot, part = name.rpartition(".")
    if dot and qid in known:
        if part in known[qid]:
            return qid, part
        return f"column '{name}': question '{qid}' has no part '{part}'"
    if name.lower() in META_COLUMNS or not name:
        return None
    return f"column '{name}' is not a question of this exam"


def _csv_layout(
    header: list[str], exam: Exam, source: str
) -> tuple[int | None, int | None, list[_Column], list[Rejection]]:
    lowered = [h.strip().lower() for h in header]
    id_col = next((lowered.index(c) for c in ID_COLUMNS if c in lowered), None)
    exam_col = lowered.index("exam") if "exam" in lowered else None
    known = _question_parts(exam)
    columns, rejections = [], []
    for i, name in enumerate(header):
        if i in (id_col, exam_col):
            continue
        kind = _classify(name, known)
        if isinstance(kind, tuple):
            columns.append(_Column(i, *kind))
        elif isinstance(kind, str):
            rejections.append(Rejection(source=f"{source}:1", reason=kind))
    return id_col, exam_col, columns, rejections


def _cell(value: str, multi: bool) -> Response:
    text = value.strip()
    if not text:
        return None
    if multi:
        return [x.strip() for x in _MULTI_SPLIT.split(text) if x.strip()]
    return text


def _multi_items(exam: Exam) -> set[tuple[str, str]]:
    return {
        (v.question_id, part_id)
        for paper in exam.papers
        for v in paper.variants
        for part_id, key, _ in v.gradable()
        if isinstance(key, ChoiceKey) and key.kind == "multi"
    }


def _row_submission(
    row: list[str], id_col: int, exam_col: int | None, columns: list[_Column], multi: set
) -> Submission:
    answers: dict[str, Any] = {}
    for col in columns:
        value = row[col.index] if col.index < len(row) else ""
        response = _cell(value, (col.question, col.part) in multi)
        if col.part:
            answers.setdefault(col.question, {})[col.part] = response
        elif response is not None or col.question not in answers:
            answers[col.question] = response
    exam_value = row[exam_col].strip() if exam_col is not None and exam_col < len(row) else ""
    return Submission(student_id=row[id_col].strip(), exam=exam_value or None, answers=answers)


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """(first physical line, cells) of each record; a quoted cell may span lines."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows, line = [], 1
    for row in reader:
        rows.append((line, row))
        line = reader.line_num + 1
    return rows


def _row_received(
    line: int,
    row: list[str],
    layout: tuple[int, int | None, list[_Column]],
    multi: set,
    source: str,
) -> Received | Rejection:
    id_col, exam_col, columns = layout
    where = f"{source}:{line}"
    if id_col >= len(row) or not row[id_col].strip():
        return Rejection(source=where, reason="empty student id")
    try:
        return Received(_row_submission(row, id_col, exam_col, columns, multi), where)
    except ValidationError as exc:
        return Rejection(
            source=where, student=row[id_col].strip()[:200], reason=_pydantic_reason(exc)
        )


def parse_csv_submissions(text: str, source: str, exam: Exam) -> Submissions:
    """Submissions from the text of a CSV file, one row per student.

    The exam tells answer columns (``question`` or ``question.part``) from the columns a
    forms tool adds; a multi question's cell is split on commas or semicolons.
    """
    try:
        rows = _csv_rows(text)
    except csv.Error as exc:
        return Submissions(rejections=[Rejection(source=source, reason=f"not valid CSV: {exc}")])
    if not rows:
        return Submissions(rejections=[Rejection(source=source, reason="the CSV file is empty")])
    id_col, exam_col, columns, rejections = _csv_layout(rows[0][1], exam, source)
    out = Submissions(rejections=rejections)
    if id_col is None:
        reason = "no 'student_id' (or 'id') column in the first line"
        out.rejections.append(Rejection(source=f"{source}:1", reason=reason))
        return out
    multi = _multi_items(exam)
    for line, row in rows[1:]:
        if any(cell.strip() for cell in row):
            found = _row_received(line, row, (id_col, exam_col, columns), multi, source)
            target = out.received if isinstance(found, Received) else out.rejections
            target.append(found)
    return out


# --- files -----------------------------------------------------------------------------------


def submission_files(paths: Iterable[Path]) -> tuple[list[Path], list[Rejection]]:
    """The files to read: each file given, and every ``*.json``/``*.csv`` in each folder.

    Files inside a folder are taken in name order so that results never depend on the
    file system. A missing path or a file of another type is a rejection.
    """
    files: list[Path] = []
    rejections: list[Rejection] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(
                sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
            )
        elif not path.exists():
            rejections.append(Rejection(source=str(path), reason="no such file or folder"))
        elif path.suffix.lower() not in SUFFIXES:
            rejections.append(Rejection(source=str(path), reason="not a .json or .csv file"))
        else:
            files.append(path)
    return files, rejections


def _read_text(path: Path) -> str | Rejection:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return Rejection(source=str(path), reason=f"cannot read: {exc.strerror}")
    except UnicodeDecodeError as exc:
        return Rejection(source=str(path), reason=f"not UTF-8 text (byte {exc.start})")


def read_submissions(paths: Iterable[Path], exam: Exam) -> Submissions:
    """Read every submission file (or folder of them) and check them against ``exam``."""
    files, rejections = submission_files(paths)
    found = Submissions(rejections=rejections)
    for path in files:
        text = _read_text(path)
        if isinstance(text, Rejection):
            found.rejections.append(text)
        elif path.suffix.lower() == ".csv":
            found.extend(parse_csv_submissions(text, str(path), exam))
        else:
            found.extend(parse_json_submissions(text, str(path)))
    return validate_submissions(exam, found)


# --- checks against the exam -----------------------------------------------------------------


def _check_answers(received: Received, paper: Paper) -> tuple[Received, list[Rejection]]:
    """Drop (and report) answers to questions or parts the student's paper does not have."""
    sub = received.submission
    items = _paper_items(paper)
    kept: dict[str, Any] = {}
    problems: list[str] = []
    for qid, value in sub.answers.items():
        if qid not in items:
            if value not in (None, {}):
                problems.append(f"unknown question '{qid}' (not on this student's paper)")
            continue
        parts = items[qid]
        if parts and not isinstance(value, dict):
            if value is not None:
                problems.append(
                    f"question '{qid}' has parts {', '.join(parts)}: "
                    f"give {{part: answer}}, not a single answer"
                )
            continue
        if not parts and isinstance(value, dict):
            problems.append(f"question '{qid}' has no parts: give a single answer")
            continue
        if parts:
            unknown = [p for p in value if p not in parts]
            problems.extend(f"question '{qid}' has no part '{p}'" for p in unknown)
            value = {p: v for p, v in value.items() if p in parts}
        kept[qid] = value
    rejections = [
        Rejection(source=received.source, student=sub.student_id, reason=p) for p in problems
    ]
    if not problems:
        return received, rejections
    return Received(sub.model_copy(update={"answers": kept}), received.source), rejections


def validate_submissions(exam: Exam, found: Submissions) -> Submissions:
    """Keep the submissions that belong to ``exam``; report the rest.

    Rejected whole: a submission for another exam, for a student not in the exam, or a
    second submission for the same student (the first one read is graded). Rejected
    answer by answer: a question or part that is not on the student's paper.
    """
    papers = {p.student_id: p for p in exam.papers}
    mine = exam_fingerprint(exam)
    accepted = {mine, exam.seed}
    out = Submissions(rejections=list(found.rejections))
    first: dict[str, str] = {}
    for received in found.received:
        sub, where = received.submission, received.source
        reason = None
        if sub.exam is not None and sub.exam not in accepted:
            reason = f"wrong exam: the submission names exam '{sub.exam}', this key is '{mine}'"
        elif sub.student_id not in papers:
            reason = f"unknown student '{sub.student_id}' (not in this exam)"
        elif sub.student_id in first:
            reason = f"duplicate submission (graded the one in {first[sub.student_id]})"
        if reason:
            out.rejections.append(Rejection(source=where, student=sub.student_id, reason=reason))
            continue
        first[sub.student_id] = where
        kept, problems = _check_answers(received, papers[sub.student_id])
        out.received.append(kept)
        out.rejections.extend(problems)
    return out
