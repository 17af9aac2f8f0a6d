"""The two bank models a frozen key carries too: a numeric tolerance and a text mistake.

They live apart from :mod:`quizgen.bank.model` so that reading a key (grading, reports,
exports) builds these two small models, not the whole bank model with its validators.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["TextMistake", "Tolerance"]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(Model):
    """How far a numeric response may be from the exact answer.

    A bare number in YAML (``tolerance: 0.01``) means an absolute tolerance.
    """

    absolute: float | None = Field(default=None, ge=0)
    relative: float | None = Field(default=None, ge=0)
    sigfigs: int | None = Field(default=None, ge=1, le=15)

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"absolute": value}
        return value


class TextMistake(Model):
    """A known wrong text answer and the feedback it earns."""

    answer: str
    feedback: str
