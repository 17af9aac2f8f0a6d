"""What a submission file becomes: submissions, where each came from, rejections and notes.

Plain data shared by the readers (:mod:`quizgen.grade.submissions` for JSON and files,
:mod:`quizgen.grade.forms` for CSV) and the grader. Nothing here reads or grades anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
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

__all__ = [
    "RESPONSE_KINDS",
    "Batch",
    "Note",
    "Received",
    "Rejection",
    "Response",
    "Submission",
    "Submissions",
    "pydantic_reason",
    "submission_schema",
    "usable_response",
]

Response = StrictBool | StrictStr | list[StrictStr] | None
"""One answer: text, a list of option labels (multi), a boolean (true/false) or null."""

_RawResponse = StrictBool | StrictStr | StrictInt | StrictFloat | list[StrictStr] | None
RESPONSE_KINDS = "text, a number, true/false, a list of option labels or null"


class Rejection(BaseModel):
    """One problem with the submissions, reported in ``rejected.csv``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="file, with the entry or line where known")
    student: str | None = None
    reason: str


class Note(BaseModel):
    """Something quizgen decided on the student's behalf, e.g. an id read from a file name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    student: str | None = None
    note: str


def _text_response(value: Any) -> Any:
    """JSON numbers are answers too: keep them as the text the student meant."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return value


def usable_response(value: Any) -> bool:
    """Whether ``value`` is one response a checker takes (a part's, or a plain question's)."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return True
    return isinstance(value, list) and all(isinstance(x, str) for x in value)


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
    submitted_at: datetime | None = Field(
        default=None,
        description="when the student submitted (ISO 8601); of two submissions by one "
        "student the later is graded. Without a time zone, UTC is assumed.",
    )
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

    @field_validator("submitted_at", mode="after")
    @classmethod
    def _utc(cls, when: datetime | None) -> datetime | None:
        # Naive and aware times cannot be compared; a time without a zone is taken as UTC.
        if when is not None and when.tzinfo is None:
            return when.replace(tzinfo=timezone.utc)
        return when


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


def pydantic_reason(exc: ValidationError) -> str:
    """One readable line for a schema error (pydantic lists every union member tried)."""
    first = exc.errors(include_url=False)[0]
    loc = [str(p) for p in first["loc"]]
    if len(loc) >= 2 and loc[0] == "answers":
        part = next((loc[i + 1] for i, p in enumerate(loc[:-1]) if p.startswith("dict[")), None)
        where = f"answers.{loc[1]}" + (f".{part}" if part else "")
        if part is None:
            return f"{where}: an answer must be {RESPONSE_KINDS} (or {{part: answer}})"
        return f"{where}: an answer must be {RESPONSE_KINDS}"
    where = ".".join(loc) or "submission"
    return f"{where}: {first['msg']}"


@dataclass(frozen=True)
class Received:
    """A submission and where it came from (``file``, ``file[3]`` or ``file:4``).

    ``file`` and ``mtime`` (the file's modification time) decide between two submissions by
    one student when neither says when it was submitted.
    """

    submission: Submission
    source: str
    file: str = ""
    mtime: float | None = None


@dataclass
class Submissions:
    """What was read: the submissions to grade, the problems found, and notes."""

    received: list[Received] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def extend(self, other: Submissions) -> None:
        """Append another batch (file order is kept)."""
        self.received.extend(other.received)
        self.rejections.extend(other.rejections)
        self.notes.extend(other.notes)

    def reject(self, source: str, reason: str, student: str | None = None) -> None:
        """Add one rejection."""
        self.rejections.append(Rejection(source=source, student=student, reason=reason))
