"""What the report reads from a grading run and its key, as small flat records.

A 1,000-student key is tens of megabytes of prompts and worked solutions that the report never
shows, and validating every variant with pydantic takes seconds. So the report reads only what
it uses, straight from the parsed JSON, checking each field it takes and naming the place of
the first one that is wrong. :func:`run_from_report` and :func:`keys_from_exam` build the same
records from the pydantic objects, for callers that already hold them.

Pure: dicts and models in, records out; errors are :class:`~quizgen.errors.UsageError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from quizgen.errors import UsageError
from quizgen.grade.pipeline import GRADES_FORMAT, GradeReport
from quizgen.grade.submissions import exam_fingerprint
from quizgen.keyfile import scan_key
from quizgen.variant import EXAM_FORMAT, AnswerKey, BankRef, ChoiceKey, Exam, OptionKey

__all__ = [
    "ExamRecord",
    "ItemRecord",
    "KeyRecord",
    "MistakeRecord",
    "RunRecord",
    "StudentRecord",
    "VariantRecord",
    "keys_from_exam",
    "keys_from_json",
    "keys_from_v2",
    "run_from_json",
    "run_from_report",
]

STATUSES = frozenset({"correct", "incorrect", "invalid", "manual", "blank", "missing"})


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """One verdict of ``grading.json`` (the fields of ``ItemResult`` the report uses)."""

    question_id: str
    part_id: str
    kind: str
    topic: str
    variant_uid: str
    response: Any
    status: str
    score: float
    points: float
    earned: float
    mistake: int | None


@dataclass(frozen=True, slots=True)
class StudentRecord:
    student_id: str
    status: str
    items: tuple[ItemRecord, ...]


@dataclass(frozen=True)
class RunRecord:
    """A grading run: the exam it was for and every student's verdicts."""

    title: str
    exam: str
    seed: str
    key: str
    rejections: int
    students: tuple[StudentRecord, ...]


@dataclass(frozen=True, slots=True)
class MistakeRecord:
    answer: str
    feedback: str


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One part's answer key: its kind, its options (choice, multi) and declared mistakes."""

    kind: str
    choice: ChoiceKey | None
    mistakes: tuple[MistakeRecord, ...]


@dataclass(frozen=True, slots=True)
class VariantRecord:
    uid: str
    title: str
    values: Mapping[str, str]
    keys: Mapping[str, KeyRecord]  # part id ("" for a plain question) → key


@dataclass(frozen=True)
class ExamRecord:
    """The key: its fingerprint and each student's variant of each question."""

    fingerprint: str
    variants: Mapping[tuple[str, str], VariantRecord]  # (student id, question id) → variant


# --- from the pydantic objects ------------------------------------------------------------------


def run_from_report(report: GradeReport) -> RunRecord:
    """The records of a :class:`GradeReport` already in memory."""
    return RunRecord(
        title=report.exam_title,
        exam=report.exam,
        seed=report.seed,
        key=report.key,
        rejections=len(report.rejections),
        students=tuple(
            StudentRecord(
                s.student_id,
                s.status,
                tuple(
                    ItemRecord(
                        i.question_id,
                        i.part_id,
                        i.kind,
                        i.topic,
                        i.variant_uid,
                        i.response,
                        i.status,
                        i.score,
                        i.points,
                        i.earned,
                        i.mistake,
                    )
                    for i in s.items
                ),
            )
            for s in report.students
        ),
    )


def _key_record(key: AnswerKey) -> KeyRecord:
    mistakes = tuple(
        MistakeRecord(getattr(m, "display", None) or getattr(m, "answer", ""), m.feedback)
        for m in getattr(key, "mistakes", [])
    )
    return KeyRecord(key.kind, key if isinstance(key, ChoiceKey) else None, mistakes)


def keys_from_exam(exam: Exam) -> ExamRecord:
    """The records of an :class:`Exam` already in memory."""
    variants = {
        (p.student_id, v.question_id): VariantRecord(
            v.uid,
            v.title or "",
            v.values,
            {pid: _key_record(key) for pid, key, _ in v.gradable()},
        )
        for p in exam.papers
        for v in p.variants
    }
    return ExamRecord(exam_fingerprint(exam), variants)


# --- from parsed JSON ---------------------------------------------------------------------------


class _Wrong(Exception):
    """A field that is missing or of the wrong type, with where it is."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")


_NAMES = {str: "text", int: "a number", float: "a number", list: "a list", dict: "an object"}


def _get(data: Any, name: str, types: tuple[type, ...], where: str) -> Any:
    """``data[name]``, whose exact type must be one of ``types`` (so a bool is no number)."""
    place = f"{where}.{name}" if where else name
    if type(data) is not dict:
        raise _Wrong(where or "top level", "expected an object")
    value = data.get(name, _Wrong)
    if value is _Wrong:
        raise _Wrong(place, "missing")
    if type(value) not in types:
        wanted = " or ".join(dict.fromkeys(_NAMES.get(t, "null") for t in types))
        raise _Wrong(place, f"expected {wanted}")
    return value


TEXT, LIST, OBJECT, NUMBER = (str,), (list,), (dict,), (int, float)
_MISTAKE = (int, type(None))
_TEXTS = ("question_id", "part_id", "kind", "topic", "variant_uid", "status")
_NUMBERS = ("score", "points", "earned")
_RESPONSES = (str, bool, list, type(None))


def _item_fast(data: Any) -> ItemRecord | None:
    """The record of a well-formed item, checked in one pass; None to look closer."""
    if type(data) is not dict:
        return None
    try:
        texts = [data[n] for n in _TEXTS]
        numbers = [data[n] for n in _NUMBERS]
    except KeyError:
        return None
    mistake, response = data.get("mistake"), data.get("response")
    if (
        all(type(t) is str for t in texts)
        and all(type(x) is float or type(x) is int for x in numbers)
        and texts[5] in STATUSES
        and (mistake is None or type(mistake) is int)
        and isinstance(response, _RESPONSES)
    ):
        q, part, kind, topic, uid, status = texts
        score, points, earned = map(float, numbers)
        return ItemRecord(
            q, part, kind, topic, uid, response, status, score, points, earned, mistake
        )
    return None


def _item(data: Any, where: str) -> ItemRecord:
    found = _item_fast(data)
    return found if found is not None else _item_checked(data, where)


def _item_checked(data: Any, where: str) -> ItemRecord:
    """The record of one item, naming the first field that is wrong."""
    status = _get(data, "status", TEXT, where)
    if status not in STATUSES:
        raise _Wrong(f"{where}.status", f"unknown status {status!r}")
    mistake = data.get("mistake")  # absent in files written before the field existed
    if type(mistake) not in _MISTAKE:
        raise _Wrong(f"{where}.mistake", "expected a number or null")
    response = data.get("response")
    if not isinstance(response, (str, bool, list, type(None))):
        raise _Wrong(f"{where}.response", "expected text, a list, true/false or null")
    return ItemRecord(
        _get(data, "question_id", TEXT, where),
        _get(data, "part_id", TEXT, where),
        _get(data, "kind", TEXT, where),
        _get(data, "topic", TEXT, where),
        _get(data, "variant_uid", TEXT, where),
        response,
        status,
        float(_get(data, "score", NUMBER, where)),
        float(_get(data, "points", NUMBER, where)),
        float(_get(data, "earned", NUMBER, where)),
        mistake,
    )


def _student(data: Any, where: str) -> StudentRecord:
    items = _get(data, "items", LIST, where)
    return StudentRecord(
        _get(data, "student_id", TEXT, where),
        _get(data, "status", TEXT, where),
        tuple(_item(item, f"{where}.items[{i}]") for i, item in enumerate(items)),
    )


def run_from_json(data: Any, source: str) -> RunRecord:
    """The records of a parsed ``grading.json``.

    Raises:
        UsageError: not a quizgen grading file (names the first wrong field).
    """
    hint = "pass the folder that `quizgen grade --out` wrote"
    found = data.get("format") if isinstance(data, dict) else None
    if found != GRADES_FORMAT:
        what = f"format {found!r}" if isinstance(found, str) else "no quizgen format field"
        raise UsageError(
            f"{source}: not a quizgen grading file ({what}; expected {GRADES_FORMAT!r})",
            hint=hint,
        )
    try:
        students = _get(data, "students", LIST, "")
        return RunRecord(
            title=_get(data, "exam_title", TEXT, ""),
            exam=_get(data, "exam", TEXT, ""),
            seed=_get(data, "seed", TEXT, ""),
            key=_get(data, "key", TEXT, ""),
            rejections=len(_get(data, "rejections", LIST, "")),
            students=tuple(_student(s, f"students[{i}]") for i, s in enumerate(students)),
        )
    except _Wrong as exc:
        raise UsageError(f"{source}: not a quizgen grading file ({exc})", hint=hint) from None


class _Header(BaseModel):
    """The part of ``key.json`` the exam fingerprint depends on."""

    model_config = ConfigDict(extra="ignore")

    format: str
    title: str
    seed: str
    banks: list[BankRef]
    fingerprint: str = ""  # keys before the keyed fingerprint have none


_SCORING = frozenset({"all-or-nothing", "right-minus-wrong", "partial"})


def _option(data: Any, where: str) -> OptionKey:
    if type(data) is dict:
        option_id, label, text = data.get("id"), data.get("label"), data.get("text")
        correct, feedback = data.get("correct"), data.get("feedback")
        texts = type(option_id) is str and type(label) is str and type(text) is str
        if texts and type(correct) is bool and (feedback is None or type(feedback) is str):
            return _option_key(option_id, label, text, correct, feedback)
    raise _Wrong(where, "expected an option with text id, label and text and a true/false correct")


@lru_cache(maxsize=65536)
def _option_key(
    option_id: str, label: str, text: str, correct: bool, feedback: str | None
) -> OptionKey:
    """One frozen OptionKey per distinct option: shuffled variants show the same few again."""
    return OptionKey.model_construct(
        id=option_id, label=label, text=text, correct=correct, feedback=feedback
    )


def _choice(data: dict[str, Any], kind: str, where: str) -> ChoiceKey:
    """A choice key, checked field by field (pydantic would take seconds for a large class)."""
    options = _get(data, "options", LIST, where)
    scoring = data.get("scoring", "all-or-nothing")
    if scoring not in _SCORING:
        raise _Wrong(f"{where}.scoring", f"expected one of {', '.join(sorted(_SCORING))}")
    built = [_option(o, f"{where}.options[{i}]") for i, o in enumerate(options)]
    return ChoiceKey.model_construct(kind=kind, options=built, scoring=scoring)


def _mistake(data: Any, where: str) -> MistakeRecord:
    shown = (data.get("display") or data.get("answer")) if type(data) is dict else None
    if type(shown) is not str:
        raise _Wrong(where, "expected a mistake with 'display' or 'answer'")
    return MistakeRecord(shown, _get(data, "feedback", TEXT, where))


def _answer(data: Any, where: str) -> KeyRecord:
    kind = _get(data, "kind", TEXT, where)
    choice = _choice(data, kind, where) if kind in ("choice", "multi") else None
    mistakes = _get(data, "mistakes", LIST, where) if "mistakes" in data else []
    return KeyRecord(
        kind,
        choice,
        tuple(_mistake(m, f"{where}.mistakes[{i}]") for i, m in enumerate(mistakes)),
    )


def _variant(data: Any, where: str) -> VariantRecord:
    values = _get(data, "values", OBJECT, where)
    if not all(type(v) is str for v in values.values()):
        raise _Wrong(f"{where}.values", "expected text values")
    title = data.get("title") or ""
    if data.get("answer") is not None:
        keys = {"": _answer(data["answer"], f"{where}.answer")}
    else:
        parts = _get(data, "parts", LIST, where)
        keys = {
            _get(p, "id", TEXT, f"{where}.parts[{j}]"): _answer(
                _get(p, "answer", OBJECT, f"{where}.parts[{j}]"), f"{where}.parts[{j}].answer"
            )
            for j, p in enumerate(parts)
        }
    return VariantRecord(_get(data, "uid", TEXT, where), str(title), values, keys)


def _variants(papers: list[Any]) -> dict[tuple[str, str], VariantRecord]:
    found: dict[tuple[str, str], VariantRecord] = {}
    by_uid: dict[str, VariantRecord] = {}  # students who drew the same values share a variant
    for i, paper in enumerate(papers):
        where = f"papers[{i}]"
        student = _get(paper, "student_id", TEXT, where)
        for j, variant in enumerate(_get(paper, "variants", LIST, where)):
            here = f"{where}.variants[{j}]"
            uid = _get(variant, "uid", TEXT, here)
            record = by_uid.get(uid)
            if record is None:
                record = by_uid[uid] = _variant(variant, here)
            found[(student, _get(variant, "question_id", TEXT, here))] = record
    return found


_UNUSED = frozenset({"prompt", "solution"})  # the report never shows them: not read


def keys_from_v2(path: Path) -> ExamRecord:
    """The records of a ``quizgen-exam/2`` key, read in one pass without pydantic.

    Raises:
        UsageError: the key is damaged (names the record).
    """
    hint = "pass the key.json that `quizgen generate` wrote"
    found: dict[tuple[str, str], VariantRecord] = {}
    by_offset: dict[int, tuple[str, VariantRecord]] = {}  # shared by who drew the same
    fingerprint = ""
    try:
        for at, kind, data in scan_key(path, _UNUSED):
            where = f"byte {at}"
            if kind == "header":
                fingerprint = _get(data, "fingerprint", TEXT, where)
            elif kind == "variant":
                question = _get(data, "question_id", TEXT, where)
                by_offset[at] = (question, _variant(data, where))
            else:
                student = _get(data, "student", TEXT, where)
                for ref in _get(data, "variants", LIST, where):
                    entry = by_offset.get(ref) if type(ref) is int else None
                    if entry is None:
                        raise _Wrong(where, f"no variant at byte {ref}")
                    found[(student, entry[0])] = entry[1]
    except _Wrong as exc:
        raise UsageError(f"{path}: not a quizgen key ({exc})", hint=hint) from None
    return ExamRecord(fingerprint, found)


def keys_from_json(data: Any, source: str) -> ExamRecord:
    """The records of a parsed ``key.json``.

    Raises:
        UsageError: not a quizgen key (names the first wrong field).
    """
    hint = "pass the key.json that `quizgen generate` wrote"
    try:
        header = _Header.model_validate(data)
        if header.format != EXAM_FORMAT:
            raise _Wrong("format", f"{header.format!r}, expected {EXAM_FORMAT!r}")
        exam = Exam.model_construct(
            title=header.title,
            seed=header.seed,
            banks=header.banks,
            fingerprint=header.fingerprint,
        )
        return ExamRecord(exam_fingerprint(exam), _variants(_get(data, "papers", LIST, "")))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "top level"
        raise UsageError(
            f"{source}: not a quizgen key ({where}: {first['msg']})", hint=hint
        ) from None
    except _Wrong as exc:
        raise UsageError(f"{source}: not a quizgen key ({exc})", hint=hint) from None
