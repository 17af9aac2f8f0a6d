"""Grade an exam's submissions against its frozen key: Exam + submissions → GradeReport.

Pure: no files, no terminal (the clock is an argument). Every student, question and part
gets one :class:`ItemResult`; identical responses to identical keys are checked once (many
students type the same string). Re-solving a key from edited banks is generation's job
(:mod:`quizgen.generate.regrade`); the grader only takes the exam it is given.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from quizgen.grade.checkers import check_response, load_for
from quizgen.grade.submissions import (
    Note,
    Received,
    Rejection,
    Response,
    Submission,
    Submissions,
    exam_fingerprint,
    validate_submissions,
)
from quizgen.grade.verdict import Verdict
from quizgen.keyfile import StudentRow, papers_by_id, student_rows
from quizgen.variant import (
    AnswerKey,
    Exam,
    Paper,
    Variant,
    answer_markdown,
    assembled,
)

__all__ = [
    "GRADES_FORMAT",
    "Fresh",
    "GradeReport",
    "GradeRun",
    "GradeStats",
    "HandMark",
    "ItemResult",
    "StudentGrade",
    "grade_exam",
    "item_name",
    "missing_grade",
    "response_text",
    "start_grading",
]

GRADES_FORMAT = "quizgen-grades/1"
ItemStatus = Literal["correct", "incorrect", "invalid", "manual", "blank", "missing"]
Clock = Callable[[], float]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemResult(_Model):
    """The verdict on one answerable item (a question, or one part of a multipart one).

    ``status`` adds two values to a checker's verdict: ``blank`` (the student gave no
    answer; not checked) and ``missing`` (no submission at all for this student).
    """

    student_id: str
    question_id: str
    part_id: str = Field(description="'' for a question without parts")
    bank_id: str
    topic: str
    kind: str = Field(description="the answer kind: numeric, expression, choice, …")
    variant_uid: str
    response: Response = None
    response_text: str = ""
    status: ItemStatus
    score: float = Field(ge=0, le=1, description="the checker's score, 0 to 1")
    points: float = Field(description="the item's weight")
    earned: float = Field(description="points × score")
    feedback: str = ""
    method: str = ""
    mistake: int | None = Field(
        default=None, description="index of the key's `mistakes` entry that the response matched"
    )
    expected: str = Field(default="", description="the correct answer, Markdown")
    cached: bool = Field(default=False, description="verdict reused from an identical check")
    seconds: float = Field(default=0.0, description="time spent checking (0 when cached)")


class HandMark(_Model):
    """A person's mark that replaced an item's verdict (``--overrides``), with who and why."""

    student_id: str
    question_id: str
    part_id: str = ""
    earned: float = Field(description="points given by hand")
    points: float = Field(description="the item's points")
    comment: str = ""
    grader: str = Field(default="", description="the 'grader' column, else who ran quizgen")
    graded_at: str = Field(default="", description="the 'graded_at' column, else the file's time")
    source: str = Field(description="overrides file and line")
    replaced_status: str = Field(description="the automatic verdict that this mark replaced")
    replaced_earned: float


def item_name(item: ItemResult) -> str:
    """``question`` or ``question.part``: how files name an item."""
    return f"{item.question_id}.{item.part_id}" if item.part_id else item.question_id


class StudentGrade(_Model):
    """One student's total and items, in paper order."""

    student_id: str
    name: str = ""
    number: int
    status: Literal["graded", "missing"]
    source: str | None = Field(default=None, description="where the submission was read")
    total: float
    max: float
    percent: float
    manual: int = Field(default=0, description="items that a person must still grade")
    items: list[ItemResult]


class GradeStats(_Model):
    """How much checking the run did."""

    items: int = Field(description="items graded, blanks and missing included")
    checks: int = Field(description="checker calls actually made")
    cache_hits: int = Field(description="verdicts reused from an identical check")
    invalid: int = Field(default=0, description="answers that could not be read")


class GradeReport(_Model):
    """Every verdict of one grading run (``grading.json``)."""

    format: Literal["quizgen-grades/1"] = GRADES_FORMAT
    exam_title: str
    exam: str = Field(description="the exam fingerprint")
    seed: str
    key: Literal["frozen", "regraded"] = "frozen"
    students: list[StudentGrade]
    rejections: list[Rejection] = []
    hand_marks: list[HandMark] = Field(default=[], description="marks given with --overrides")
    notes: list[Note] = Field(
        default=[], description="what was decided for a student, e.g. an id read from a file name"
    )
    stats: GradeStats


# --- text shown for answers and responses ----------------------------------------------------


def response_text(response: Response) -> str:
    """A response as one line of text (labels joined with ', ')."""
    if response is None:
        return ""
    if isinstance(response, bool):
        return "true" if response else "false"
    if isinstance(response, list):
        return ", ".join(response)
    return response


def _is_blank(response: Response) -> bool:
    if response is None:
        return True
    if isinstance(response, str):
        return not response.strip()
    if isinstance(response, list):
        return not any(x.strip() for x in response)
    return False


def _cache_key(response: Response) -> Hashable:
    """A response as a cache key: exactly as typed.

    Folding spaces would raise the hit rate a little, but a verdict can quote the response
    (the caret under a syntax error), and one student must never see another's text.
    """
    if isinstance(response, list):
        return ("list", tuple(response))
    return (type(response).__name__, response)


# --- the grader ------------------------------------------------------------------------------


@dataclass
class _Grader:
    """Checks responses, reusing the verdict of an identical (key, response) pair."""

    timeout: float
    clock: Clock
    cache: dict[tuple[str, Hashable], Verdict] = field(default_factory=dict)
    key_ids: dict[int, str] = field(default_factory=dict)
    keys: list[AnswerKey] = field(default_factory=list)  # keeps id()s in key_ids valid
    shown: dict[int, str] = field(default_factory=dict)  # id(key) → answer_markdown(key)
    # (id(variant), part, response) → (variant, the item's values, checked): see item()
    answered: dict[tuple[int, str, Hashable], tuple[Variant, dict[str, Any], bool]] = field(
        default_factory=dict
    )
    checks: int = 0
    hits: int = 0

    def item(
        self,
        paper: Paper,
        variant: Variant,
        part_id: str,
        key: AnswerKey,
        points: float,
        response: Response,
    ) -> ItemResult:
        """:func:`_grade_item`'s item. Most answers of a class were given before, to the
        same variant: such an item is the earlier one's values with this student's id (its
        verdict comes from the cache, as :meth:`verdict` would give it: ``cached``, no time,
        one more cache hit)."""
        memo = (id(variant), part_id, _cache_key(response))
        found = self.answered.get(memo)
        if found is not None and found[0] is variant:  # is: an id() may be reused
            _, values, checked = found
            self.hits += checked
            values = values.copy()  # in field order, the id first
            values["student_id"] = paper.student_id
            return _made_item(values, checked)
        item = _grade_item(self, paper, variant, part_id, key, points, response)
        if len(self.answered) >= _ANSWERED:
            self.answered.clear()
        checked = item.status != "blank"
        again = {**item.__dict__, "cached": True, "seconds": 0.0} if checked else item.__dict__
        self.answered[memo] = (variant, again, checked)
        return item

    def key_id(self, key: AnswerKey) -> str:
        found = self.key_ids.get(id(key))
        if found is None:
            found = self.key_ids[id(key)] = key.model_dump_json()
            self.keys.append(key)
        return found

    def expected(self, key: AnswerKey) -> str:
        """``answer_markdown(key)``, made once per key."""
        found = self.shown.get(id(key))
        if found is None:
            self.keys.append(key)  # kept, so that its id() stays its own
            found = self.shown[id(key)] = answer_markdown(key)
        return found

    def verdict(self, key: AnswerKey, response: Response) -> tuple[Verdict, bool, float]:
        """(verdict, from cache, seconds spent)."""
        cache_key = (self.key_id(key), _cache_key(response))
        found = self.cache.get(cache_key)
        if found is not None:
            self.hits += 1
            return found, True, 0.0
        load_for(key)  # loading sympy is not the check's time (timing.csv)
        start = self.clock()
        verdict = check_response(key, response, timeout=self.timeout)  # never raises
        spent = self.clock() - start
        self.checks += 1
        self.cache[cache_key] = verdict
        return verdict, False, spent


def _item(
    paper: Paper, variant: Variant, part_id: str, key: AnswerKey, points: float, **fields: Any
) -> ItemResult:
    score = fields.setdefault("score", 0.0)
    return ItemResult(
        student_id=paper.student_id,
        question_id=variant.question_id,
        part_id=part_id,
        bank_id=variant.bank_id,
        topic=variant.topic,
        kind=key.kind,
        variant_uid=variant.uid,
        points=points,
        earned=round(points * score, 9),
        expected=answer_markdown(key),
        **fields,
    )


_UNCHECKED = {"feedback", "method", "mistake", "cached", "seconds"}  # not given a blank
_ITEM_SET = frozenset(ItemResult.model_fields) - _UNCHECKED
_ITEM_SET_CHECKED = frozenset(ItemResult.model_fields)
_BLANK = ("blank", 0.0, "", "", None, False, 0.0)  # status, score, feedback, method, …


def _item_of(
    paper: Paper,
    variant: Variant,
    part_id: str,
    key: AnswerKey,
    points: float,
    expected: str,
    response: Response,
    verdict: tuple[str, float, str, str, int | None, bool, float],
) -> ItemResult:
    """The :class:`ItemResult` that :func:`_item` validates, made without validation (two
    hundred thousand a run): every value already has its field's type (the key's and the
    verdict's were validated when they were read or made; the numbers are made floats as
    validation makes them), and the instance is what validation gives, fields set included.
    ``verdict``: status, score, feedback, method, mistake, cached, seconds.
    """
    status, score, feedback, method, mistake, cached, seconds = verdict
    points, score = float(points), float(score)
    values = {
        "student_id": paper.student_id,
        "question_id": variant.question_id,
        "part_id": part_id,
        "bank_id": variant.bank_id,
        "topic": variant.topic,
        "kind": key.kind,
        "variant_uid": variant.uid,
        "response": response,
        "response_text": response_text(response),
        "status": status,
        "score": score,
        "points": points,
        "earned": round(points * score, 9),
        "feedback": feedback,
        "method": method,
        "mistake": mistake,
        "expected": expected,
        "cached": cached,
        "seconds": seconds,
    }
    return _made_item(values, verdict is not _BLANK)


def _made_item(values: dict[str, Any], checked: bool) -> ItemResult:
    """An :class:`ItemResult` of ``values`` (every field, in field order), as validation
    makes it: its fields set are those :func:`_item` passes (``checked``: a verdict's)."""
    return assembled(ItemResult, values, set(_ITEM_SET_CHECKED if checked else _ITEM_SET))


_VERDICT_FIELDS = tuple(Verdict.model_fields)
_VERDICT = itemgetter(*_VERDICT_FIELDS)
_ANSWERED = 100_000  # items remembered by _Grader.item (a few hundred bytes each)


def _response(answers: dict[str, Any], question_id: str, part_id: str) -> Response:
    value = answers.get(question_id)
    if part_id:
        return value.get(part_id) if isinstance(value, dict) else None
    return None if isinstance(value, dict) else value


def _grade_item(
    grader: _Grader,
    paper: Paper,
    variant: Variant,
    part_id: str,
    key: AnswerKey,
    points: float,
    response: Response,
) -> ItemResult:
    expected = grader.expected(key)
    if _is_blank(response):
        return _item_of(paper, variant, part_id, key, points, expected, response, _BLANK)
    verdict, cached, seconds = grader.verdict(key, response)
    found = (
        verdict.status,
        verdict.score,
        verdict.feedback,
        verdict.method,
        verdict.mistake,
        cached,
        seconds,
    )
    return _item_of(paper, variant, part_id, key, points, expected, response, found)


def _student(paper: Paper, items: list[ItemResult], received: Received | None) -> StudentGrade:
    total = round(sum(i.earned for i in items), 9)
    most = round(sum(i.points for i in items), 9)
    return StudentGrade(
        student_id=paper.student_id,
        name=paper.name,
        number=paper.number,
        status="graded" if received else "missing",
        source=received.source if received else None,
        total=total,
        max=most,
        percent=round(100 * total / most, 2) if most else 0.0,
        manual=sum(i.status == "manual" for i in items),
        items=items,
    )


#: A check made afresh: (the item's place on the paper, what its verdict was cached under).
Fresh = tuple[int, Hashable]


def _grade_paper(
    grader: _Grader, paper: Paper, received: Received | None, fresh: list[Fresh] | None = None
) -> StudentGrade:
    """The student's grade; each item checked afresh here (not found in the grader's cache)
    is appended to ``fresh``, when given."""
    items = []
    for variant in paper.variants:
        for part_id, key, points in variant.gradable():
            if received is None:
                items.append(_item(paper, variant, part_id, key, points, status="missing"))
                continue
            response = _response(received.submission.answers, variant.question_id, part_id)
            item = grader.item(paper, variant, part_id, key, points, response)
            if fresh is not None and not item.cached and item.status != "blank":
                fresh.append((len(items), (grader.key_id(key), _cache_key(response))))
            items.append(item)
    return _student(paper, items, received)


def missing_grade(row: StudentRow) -> StudentGrade:
    """A student without a submission: listed, 0 points, and no items (their paper is not
    read, so grading a few submissions against a large class's key stays quick)."""
    grade = StudentGrade.__new__(StudentGrade)
    # What model_construct does, without its per-field loop: 100,000 missing students of a
    # large class's key cost 2.6 s through it. The values are plain, from the key's index.
    fields = {
        "student_id": row.student_id,
        "name": row.name,
        "number": row.number,
        "status": "missing",
        "source": None,
        "total": 0.0,
        "max": round(float(row.points), 9),
        "percent": 0.0,
        "manual": 0,
        "items": [],
    }
    object.__setattr__(grade, "__dict__", fields)
    object.__setattr__(grade, "__pydantic_fields_set__", set(_ALL_FIELDS))
    object.__setattr__(grade, "__pydantic_extra__", None)
    object.__setattr__(grade, "__pydantic_private__", None)
    return grade


_ALL_FIELDS = frozenset(StudentGrade.model_fields)


def _as_submissions(submissions: Submissions | Iterable[Submission | Received]) -> Submissions:
    if isinstance(submissions, Submissions):
        return submissions
    found = Submissions()
    for i, sub in enumerate(submissions):
        found.received.append(sub if isinstance(sub, Received) else Received(sub, f"<{i}>"))
    return found


@contextmanager
def _long_lived_objects_frozen() -> Iterator[None]:
    """Keep the cyclic GC from rescanning the exam and sympy's caches on every collection.

    Grading allocates tens of thousands of small objects; each full collection would walk the
    whole key (and sympy's caches) again. Freezing what exists now cuts the CPU time of a
    1,000-student batch by about a third; the objects are unfrozen afterwards.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _graded_rows(
    exam: Exam, checked: Submissions, grader: _Grader
) -> Iterator[tuple[StudentGrade, Paper | None]]:
    """Each student of ``exam`` in paper order, graded, with the paper that was read (None
    for a student without a submission: their paper is not read)."""
    by_student = {r.submission.student_id: r for r in checked.received}
    papers = papers_by_id(exam) if by_student else {}
    for row in student_rows(exam):
        received = by_student.get(row.student_id)
        if received is None:
            yield missing_grade(row), None
        else:
            paper = papers[row.student_id]
            yield _grade_paper(grader, paper, received), paper


RUN = 10_000  # students without a submission written at once (grade.write's plan of ranges)


@dataclass
class GradeRun:
    """A grading run in progress: students are graded one at a time, as they are asked for.

    Iterate :meth:`students` once (in paper order); :meth:`stats` then counts what was done.
    Nothing of a graded student is kept, so memory stays flat in the size of the class.
    """

    exam: Exam
    checked: Submissions
    timeout: float = 2.0
    clock: Clock = time.perf_counter
    regraded: bool = False
    _grader: _Grader | None = None
    _items: int = 0
    _invalid: int = 0
    _checks: int = 0  # counted by graded() ranges, here or in workers (see absorb())
    _hits: int = 0
    _ranges: _Grader | None = None  # the grader of graded(): this process's own
    _papers: Any = None
    _by_student: dict[str, Received] | None = None

    def students(self) -> Iterator[tuple[StudentGrade, Paper | None]]:
        """(grade, paper read or None) of each student, in paper order, as each is graded."""
        self._grader = _Grader(timeout=self.timeout, clock=self.clock)
        with _long_lived_objects_frozen():
            for student, paper in _graded_rows(self.exam, self.checked, self._grader):
                if paper is not None:
                    self._count(student)
                yield student, paper

    def _count(self, student: StudentGrade) -> None:
        self._items += len(student.items)
        self._invalid += sum(i.status == "invalid" for i in student.items)

    def submitted(self) -> dict[str, Received]:
        """Student id → the submission graded, of every student who sent one."""
        if self._by_student is None:
            self._by_student = {r.submission.student_id: r for r in self.checked.received}
        return self._by_student

    def graded(self, row: StudentRow) -> tuple[StudentGrade, Paper, list[Fresh], int, int]:
        """Grade one student who submitted, for a range of students graded in any process
        (:func:`quizgen.grade.write.grade_into` splits a class into such ranges).

        Returns (grade, paper, the checks made afresh, checks, cache hits): each process
        has its own verdict cache, so a check made afresh here may have been made by
        another process for an earlier student; whoever merges the ranges in paper order
        decides (:meth:`absorb` takes the counts it settles on).
        """
        grader = self._range_grader()
        checks, hits = grader.checks, grader.hits
        fresh: list[Fresh] = []
        paper = self._papers[row.student_id]
        student = _grade_paper(grader, paper, self.submitted()[row.student_id], fresh)
        return student, paper, fresh, grader.checks - checks, grader.hits - hits

    def _range_grader(self) -> _Grader:
        if self._ranges is None:
            self._ranges = _Grader(timeout=self.timeout, clock=self.clock)
            self._papers = papers_by_id(self.exam)
        return self._ranges

    def verdicts(self, keys: Iterable[Hashable]) -> list[tuple[Hashable, tuple[Any, ...]]]:
        """The verdicts that :meth:`graded` found in this process for ``keys`` (the keys of
        its :data:`Fresh` checks), as (key, plain values) for :meth:`learn` elsewhere."""
        cache = self._range_grader().cache
        return [(key, _VERDICT(cache[key].__dict__)) for key in keys]

    def learn(self, verdicts: Iterable[tuple[Hashable, tuple[Any, ...]]]) -> None:
        """Take :meth:`verdicts` checked in another process for earlier students (in paper
        order): the same answer to the same key is then reused here too, as one process
        grading the class in order would reuse it."""
        cache = self._range_grader().cache
        for key, values in verdicts:
            if key not in cache:
                made = dict(zip(_VERDICT_FIELDS, values, strict=True))
                cache[key] = assembled(Verdict, made, set(_VERDICT_FIELDS))

    def frozen(self) -> Any:
        """A context in which the cycle collector leaves what exists now alone (wrap a
        range of :meth:`graded` students in it; see :func:`_long_lived_objects_frozen`)."""
        return _long_lived_objects_frozen()

    def absorb(self, items: int, invalid: int, checks: int, hits: int) -> None:
        """Add the counts of a range of students graded by :meth:`graded` to :meth:`stats`."""
        self._items += items
        self._invalid += invalid
        self._checks += checks
        self._hits += hits

    def stats(self) -> GradeStats:
        """How much checking the run did (after :meth:`students` was exhausted)."""
        grader = self._grader
        return GradeStats(
            items=self._items,
            checks=self._checks + (grader.checks if grader else 0),
            cache_hits=self._hits + (grader.hits if grader else 0),
            invalid=self._invalid,
        )

    def report(self, students: list[StudentGrade]) -> GradeReport:
        """The whole report, for ``students`` (all of them, graded by :meth:`students`)."""
        return GradeReport(
            exam_title=self.exam.title,
            exam=exam_fingerprint(self.exam),
            seed=self.exam.seed,
            key="regraded" if self.regraded else "frozen",
            students=students,
            rejections=self.checked.rejections,
            notes=self.checked.notes,
            stats=self.stats(),
        )


def start_grading(
    exam: Exam,
    submissions: Submissions | Iterable[Submission | Received],
    *,
    timeout: float = 2.0,
    regraded: bool = False,
    first: bool = False,
    clock: Clock = time.perf_counter,
    validated: bool = False,
) -> GradeRun:
    """A :class:`GradeRun` of ``exam``: the submissions are validated now, graded later.

    The arguments are those of :func:`grade_exam`, and ``validated``: the submissions are
    what :func:`~quizgen.grade.submissions.read_submissions` returned for this exam (or a
    range of its students), already checked against it; they are not checked again (that
    reads every paper once more).
    """
    found = _as_submissions(submissions)
    checked = found if validated else validate_submissions(exam, found, first=first)
    return GradeRun(exam, checked, timeout=timeout, clock=clock, regraded=regraded)


def grade_exam(
    exam: Exam,
    submissions: Submissions | Iterable[Submission | Received],
    *,
    timeout: float = 2.0,
    regraded: bool = False,
    first: bool = False,
    clock: Clock = time.perf_counter,
) -> GradeReport:
    """Grade every student of ``exam`` (the whole report in memory; see :func:`start_grading`
    to grade a large class student by student).

    Args:
        exam: the frozen key (or a re-solved one, see :func:`regrade_exam`).
        submissions: what :func:`~quizgen.grade.submissions.read_submissions` returned, or
            plain submissions; they are checked against the exam again (unknown students,
            duplicates, questions not on the paper become rejections).
        timeout: seconds allowed for one check.
        regraded: record that the key was re-solved rather than frozen.
        first: of two submissions by one student, grade the first one (not the latest).
        clock: where check times come from.

    Returns:
        One :class:`StudentGrade` per paper, in paper order; a student without a submission
        is listed with status ``missing``, 0 points and no items.
    """
    run = start_grading(
        exam, submissions, timeout=timeout, regraded=regraded, first=first, clock=clock
    )
    return run.report([student for student, _ in run.students()])
