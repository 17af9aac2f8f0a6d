"""The result of checking one response against one answer key."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Status", "Verdict"]

Status = Literal["correct", "incorrect", "invalid", "manual"]


class Verdict(BaseModel):
    """One check's outcome.

    ``invalid`` means the response could not be read (a format error, shown with a caret);
    it is not a wrong answer. ``manual`` means a person must grade it (essays).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Status
    score: float = Field(ge=0, le=1)
    feedback: str = ""
    method: str = Field(default="", description="how it was decided, e.g. 'canonical', 'sampling'")
    mistake: int | None = Field(
        default=None, description="index of the key's `mistakes` entry that the response matched"
    )
