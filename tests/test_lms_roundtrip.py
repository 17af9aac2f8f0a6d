"""The LMS round trip: export, fabricate the LMS's own response report, grade it back.

The reports are fabricated from the *exported files* (question texts and option texts as the
LMS would show them, read from the Canvas zip and the Moodle XML), in the layout each LMS's
report code writes (Canvas ``StudentAnalysis#to_csv``, Moodle's Responses report download).
Each of 50 students draws one variant per question and answers it right, wrong, or right in
another written form (an expanded expression, a number with more digits or inside the
tolerance but off the LMS's grid). The oracle is that construction: right and equivalent
answers earn every point, wrong ones none, essays wait for a person. Every score and the
LMS gradebook file are checked against it.
"""

from __future__ import annotations

import csv
import html
import io
import random
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from quizgen.bank.model import load_bank
from quizgen.errors import UsageError
from quizgen.export import export
from quizgen.export.base import ExportResult, ident
from quizgen.export.validate import package_from_zip
from quizgen.grade.numeric import exact_target
from quizgen.lms.manifest import build_manifest, read_manifest, write_manifest
from quizgen.lms.run import grade_lms, write_lms_grading
from quizgen.render.feedback import feedback_files
from quizgen.variant import (
    AnswerKey,
    ChoiceKey,
    EssayKey,
    ExpressionKey,
    NumericKey,
    TextKey,
    TrueFalseKey,
    Variant,
    typed_answer,
)

ROOT = Path(__file__).resolve().parent.parent
EXPORT_BANK = ROOT / "tests" / "data" / "export-bank.yaml"  # every kind and fallback
BANKS = [*sorted((ROOT / "banks").glob("*.yaml")), EXPORT_BANK]
STUDENTS = 50
MODES = ("right", "wrong", "equivalent")


@pytest.fixture(scope="module")
def banks() -> list[Any]:
    return [load_bank(EXPORT_BANK)]


@pytest.fixture(scope="module", params=["canvas", "moodle"])
def exported(request: pytest.FixtureRequest, banks: list[Any]) -> ExportResult:
    """The export bank alone: enough for the refusals."""
    return export(banks, request.param, variants=4, seed="round-trip")


@pytest.fixture(scope="module", params=["canvas", "moodle"])
def exported_all(request: pytest.FixtureRequest) -> ExportResult:
    """Every shipped question and the export bank's kinds and fallbacks."""
    banks = [load_bank(p) for p in BANKS]
    return export(banks, request.param, variants=4, seed="round-trip")


# --- what a student types, and what it must earn -----------------------------------------------


def _strip(html_text: str) -> str:
    """HTML as an LMS report shows it as text: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", html_text)).strip()


def _typed_number(key: NumericKey, mode: str) -> str:
    value = exact_target(key.value)
    typed = str(typed_answer(key))
    if mode == "right":
        return typed
    if mode == "wrong":
        return str(float(value * 3 + 7))
    # Another form: inside the tolerance but off any LMS grid where there is one, else the
    # value with a trailing zero (an LMS comparing text would refuse both).
    from quizgen.export.answers import tolerance_margin

    margin = tolerance_margin(key.tolerance, value, key.require_sigfigs)
    if margin:
        inside = value + margin * Fraction(37, 100)
        return f"{float(inside):.12g}"
    return typed + ("0" if "." in typed else ".0")


def _typed_expression(key: ExpressionKey, mode: str) -> str:
    typed = str(typed_answer(key))
    return {"right": typed, "wrong": f"({typed}) + 1", "equivalent": f"2*({typed})/2 + 0"}[mode]


def _sample(pattern: str) -> str:
    """A string the (simple) pattern accepts: each [class] by its first character, optional
    characters left out, anchors dropped."""
    text = re.sub(r".\?", "", pattern.strip("^$"))
    text = re.sub(r"\[(.)[^\]]*\]", r"\1", text)
    assert re.fullmatch(pattern, text), f"cannot sample {pattern}"
    return text


def _typed_text(key: TextKey, mode: str) -> str:
    answer = key.answers[0] if key.answers else _sample(key.regex or "")
    if mode == "wrong":
        return "zzz-not-an-answer"
    return answer.upper() if mode == "equivalent" and not key.case_sensitive else answer


def earns(key: AnswerKey, mode: str) -> float | None:
    """The score a response of ``mode`` must earn (None: an essay, graded by hand)."""
    if isinstance(key, EssayKey):
        return None
    return 0.0 if mode == "wrong" else 1.0


# --- the LMS's side: option and question texts as the report shows them -------------------------


@dataclass(frozen=True)
class Shown:
    """One exported variant as the LMS shows it."""

    qtype: str
    question: str  # HTML
    options: dict[str, str]  # label ident or option text → shown text, per response


def _canvas_shown(data: bytes) -> dict[str, Shown]:
    files = package_from_zip(data)
    name = next(n for n in files if n.endswith(".xml") and b"<questestinterop" in files[n][:500])
    found = {}
    for item in etree.fromstring(files[name]).iter("{*}item"):
        qtype = next(
            f.findtext("{*}fieldentry")
            for f in item.iter("{*}qtimetadatafield")
            if f.findtext("{*}fieldlabel") == "question_type"
        )
        labels = {
            lab.get("ident"): "".join(lab.itertext()).strip()
            for lab in item.iter("{*}response_label")
        }
        found[item.get("ident")] = Shown(qtype, next(item.iter("{*}mattext")).text or "", labels)
    return found


def _moodle_shown(data: bytes) -> dict[str, Shown]:
    found = {}
    for q in etree.fromstring(data).findall("question"):
        if q.get("type") == "category":
            continue
        answers = {a.findtext("text") or "": a.findtext("text") or "" for a in q.findall("answer")}
        found[q.findtext("name/text")] = Shown(
            q.get("type"), q.findtext("questiontext/text"), answers
        )
    return found


def _option_text(key: ChoiceKey, correct: bool) -> list[str]:
    from quizgen.export.text import lms_html

    return [_strip(lms_html(o.text, inline=True)) for o in key.options if o.correct == correct]


def _choice_response(key: ChoiceKey, mode: str, join: str) -> str:
    """Options picked, by their shown text, joined as the report joins them."""
    right = _option_text(key, True)
    wrong = _option_text(key, False)
    if key.kind == "choice":
        return right[0] if mode != "wrong" else wrong[0]
    picked = right if mode != "wrong" else wrong
    if join == ",":
        picked = [p.replace(",", "\\,") for p in picked]
    return join.join(picked)


def _single(key: AnswerKey, mode: str, lms: str) -> str:
    if isinstance(key, NumericKey):
        return _typed_number(key, mode)
    if isinstance(key, ExpressionKey):
        return _typed_expression(key, mode)
    if isinstance(key, ChoiceKey):
        return _choice_response(key, mode, "," if lms == "canvas" else "; ")
    if isinstance(key, TrueFalseKey):
        return "True" if key.answer == (mode != "wrong") else "False"
    if isinstance(key, TextKey):
        return _typed_text(key, mode)
    return "An essay answer that a person will grade."


def _blank(key: AnswerKey, mode: str) -> str:
    """A Canvas blank: typed text (a choice part by its letter)."""
    if isinstance(key, ChoiceKey):
        right = [o.label for o in key.options if o.correct]
        wrong = [o.label for o in key.options if not o.correct]
        return right[0] if mode != "wrong" else wrong[0]
    if isinstance(key, TrueFalseKey):
        return "true" if key.answer == (mode != "wrong") else "false"
    return _single(key, mode, "canvas").replace(",", "\\,")


def response_for(variant: Variant, shown: Shown, mode: str, lms: str) -> str:
    """What the report shows as this student's response to the variant."""
    if variant.answer is not None:
        return _single(variant.answer, mode, lms)
    parts = variant.parts
    if shown.qtype in ("essay_question", "essay"):
        return "\n".join(f"({p.id}) {_single(p.answer, mode, lms)}" for p in parts)
    if shown.qtype == "cloze":
        return "; ".join(
            f"part {i}: {_single(p.answer, mode, 'moodle')}" for i, p in enumerate(parts, 1)
        )
    if shown.qtype == "multiple_dropdowns_question":
        return ",".join(_single(p.answer, mode, "canvas") for p in parts)
    return ",".join(_blank(p.answer, mode) for p in parts)


def expected_items(variant: Variant, mode: str) -> list[tuple[float, float | None]]:
    """(points, score) the grader must give each gradable item of the variant (a multipart
    question exported as one essay is still graded part by part)."""
    return [(pts, earns(key, mode)) for _, key, pts in variant.gradable()]


# --- the class ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Taken:
    """One student's draw and answer for one question."""

    variant: Variant
    shown: Shown
    mode: str
    response: str


@dataclass(frozen=True)
class Fabricated:
    report: str
    students: list[tuple[str, str, str]]  # (LMS key, name, sis id)
    taken: dict[str, list[Taken]]  # LMS key → answers in pool order


def _shown_for(result: ExportResult) -> dict[str, Shown]:
    if result.format == "canvas":
        shown = _canvas_shown(result.data)
        return {v.uid: shown[ident("i", v.uid)] for p in result.pools for v in p.variants}
    shown = _moodle_shown(result.data)
    return {v.uid: shown[f"{v.question_id} {v.uid[:10]}"] for p in result.pools for v in p.variants}


def fabricate(result: ExportResult, seed: int = 15) -> Fabricated:
    rng = random.Random(seed)
    shown = _shown_for(result)
    students, taken = [], {}
    for n in range(1, STUDENTS + 1):
        key = f"{1000 + n}" if result.format == "canvas" else f"student{n}@example.edu"
        students.append((key, f"Student {n:02d}", f"S{n:03d}"))
        answers = []
        for pool in result.pools:
            variant = rng.choice(pool.variants)
            mode = MODES[(n + len(answers)) % 3]
            s = shown[variant.uid]
            answers.append(Taken(variant, s, mode, response_for(variant, s, mode, result.format)))
        taken[key] = answers
    write = _canvas_report if result.format == "canvas" else _moodle_report
    return Fabricated(write(students, taken), students, taken)


def _csv(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _canvas_report(students: list, taken: dict[str, list[Taken]]) -> str:
    """As ``StudentAnalysis#to_csv``: a column pair per Canvas question any student drew."""
    columns: dict[str, tuple[str, float]] = {}
    for answers in taken.values():
        for t in answers:
            qid = str(100000 + len(columns))
            # Rails' strip_tags: tags removed, entities left as they are
            text = re.sub(r"<[^>]*>", "", t.shown.question)
            columns.setdefault(t.variant.uid, (f"{qid}: {text}", t.variant.points))
    header = ["name", "id", "sis_id", "section", "section_id", "section_sis_id", "submitted"]
    for text, points in columns.values():
        header += [text, f"{points:.1f}"]
    header += ["n correct", "n incorrect", "score"]
    rows = [header]
    for key, name, sis in students:
        mine = {t.variant.uid: t for t in taken[key]}
        row = [name, key, sis, "Section 1", "7", "", "2026-12-04 10:00:00 UTC"]
        for uid in columns:
            t = mine.get(uid)
            row += [t.response, "0.0"] if t else ["", ""]
        rows.append([*row, "0", "0", "0.0"])
    return _csv(rows)


def _moodle_summary(shown: Shown) -> str:
    """Moodle's question summary: the text, sub-questions as blanks, choices listed."""
    text = re.sub(r"\{[0-9]*:[A-Z_]+:.*?\}", " _____ ", shown.question, flags=re.S)
    text = _strip(re.sub(r"</p>", "\n", text))
    if shown.qtype == "multichoice":
        text += ": " + "; ".join(_strip(o) for o in shown.options.values())
    return text


def _moodle_report(students: list, taken: dict[str, list[Taken]]) -> str:
    slots = len(next(iter(taken.values())))
    header = ["Last name", "First name", "Email address", "Status", "Started on", "Completed"]
    header += ["Time taken", "Grade/10.00"]
    for n in range(1, slots + 1):
        header += [f"Question {n}", f"Response {n}", f"Right answer {n}"]
    rows = [header]
    for key, name, _ in students:
        first, last = name.split(" ", 1)
        row = [last, first, key, "Finished", "4 December 2026  10:00 AM"]
        row += ["4 December 2026  10:30 AM", "30 mins", "0.00"]
        for t in taken[key]:
            row += [_moodle_summary(t.shown), t.response or "-", "…"]
        rows.append(row)
    return _csv(rows)


# --- the round trip ------------------------------------------------------------------------------


def _grade(tmp_path: Path, result: ExportResult, report: str, roster: Path | None = None):
    manifest = write_manifest(build_manifest(result), tmp_path / "manifest.json")
    responses = tmp_path / "responses.csv"
    responses.write_text(report, encoding="utf-8")
    loaded = read_manifest(manifest)
    graded = grade_lms(loaded, result.format, responses, roster=roster)
    out = tmp_path / "out"
    out.mkdir()
    write_lms_grading(out, graded, loaded, assignment="Quiz 1", feedback=feedback_files)
    return graded, out


def _items_by_student(graded: Any) -> dict[str, Any]:
    return {s.student_id: s for s in graded.report.students}


def test_round_trip_grades_every_response_as_constructed(
    exported_all: ExportResult, tmp_path: Path
) -> None:
    exported = exported_all
    fab = fabricate(exported)
    graded, out = _grade(tmp_path, exported, fab.report)
    assert graded.report.rejections == []
    students = _items_by_student(graded)
    assert len(students) == STUDENTS
    checked = 0
    for key, answers in fab.taken.items():
        student = students[key]
        items = iter(student.items)
        total = 0.0
        for t in answers:
            for points, score in expected_items(t.variant, t.mode):
                item = next(items)
                assert item.variant_uid == t.variant.uid
                where = f"{key} {t.variant.question_id}.{item.part_id} ({t.mode}: {t.response!r})"
                if score is None:
                    assert item.status == "manual", where
                else:
                    assert item.score == pytest.approx(score), f"{where}: {item.feedback}"
                    total += points * score
                checked += 1
        assert student.total == pytest.approx(total)
    assert checked > STUDENTS * 120
    _check_gradebook(out / f"gradebook-{exported.format}.csv", exported.format, fab, students)
    assert (out / "feedback").is_dir() and len(list((out / "feedback").glob("*.html"))) == STUDENTS


def _check_gradebook(path: Path, lms: str, fab: Fabricated, students: dict[str, Any]) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    if lms == "canvas":
        assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Quiz 1"]
        assert rows[1][0] == "Points Possible"
        body = {r[1]: r for r in rows[2:]}
        for key, name, sis in fab.students:
            assert body[key][0] == name and body[key][2] == sis and body[key][4] == "Section 1"
            assert float(body[key][5]) == pytest.approx(students[key].total)
    else:
        assert rows[0] == ["Email address", "Full name", "Quiz 1"]
        body = {r[0]: r for r in rows[1:]}
        for key, name, _ in fab.students:
            assert body[key][1] == name
            assert float(body[key][2]) == pytest.approx(students[key].total)
    assert len(body) == STUDENTS


# --- refused rows: never silent ---------------------------------------------------------------


def _edit(report: str, change: Any) -> str:
    rows = list(csv.reader(io.StringIO(report)))
    change(rows)
    return _csv(rows)


def test_unknown_column_is_rejected_and_the_rest_graded(
    exported: ExportResult, tmp_path: Path
) -> None:
    fab = fabricate(exported)

    def add_column(rows: list[list[str]]) -> None:
        rows[0].insert(3, "favourite colour")
        for row in rows[1:]:
            row.insert(3, "blue")

    graded, _ = _grade(tmp_path, exported, _edit(fab.report, add_column))
    reasons = [r.reason for r in graded.report.rejections]
    assert reasons == ["unknown column 'favourite colour' (column 4); ignored"]
    assert sum(s.status == "graded" for s in graded.report.students) == STUDENTS


def test_response_to_a_variant_not_in_the_manifest_is_rejected(
    exported: ExportResult, tmp_path: Path
) -> None:
    fab = fabricate(exported)

    def foreign(rows: list[list[str]]) -> None:
        if exported.format == "canvas":  # the first question column's header
            rows[0][7] = "999: A question this export never wrote"
            return
        rows[1][8] = "A question this export never wrote"  # Question 1 of the first student

    graded, _ = _grade(tmp_path, exported, _edit(fab.report, foreign))
    rejected = [r for r in graded.report.rejections if "not one of the exported" in r.reason]
    assert rejected, graded.report.rejections
    assert all("manifest" in r.reason for r in rejected)
    # the rest of the report is still graded:
    assert sum(s.status == "graded" for s in graded.report.students) == STUDENTS


def test_student_missing_from_the_gradebook_is_rejected(
    exported: ExportResult, tmp_path: Path
) -> None:
    fab = fabricate(exported)
    roster = tmp_path / "gradebook-export.csv"
    keys = [key for key, _, _ in fab.students[1:]]  # the first student is not enrolled
    if exported.format == "canvas":
        roster.write_text(_csv([["Student", "ID", "SIS User ID"], *[["x", k, ""] for k in keys]]))
    else:
        roster.write_text(_csv([["First name", "Email address"], *[["x", k] for k in keys]]))
    graded, _ = _grade(tmp_path, exported, fab.report, roster)
    [rejected] = graded.report.rejections
    assert rejected.student == fab.students[0][0]
    assert "is not in the gradebook" in rejected.reason
    assert len(graded.report.students) == STUDENTS - 1


def test_a_manifest_of_the_other_lms_is_refused(banks: list[Any], tmp_path: Path) -> None:
    result = export(banks, "canvas", variants=1, seed="s")
    manifest = build_manifest(result)
    responses = tmp_path / "r.csv"
    responses.write_text("Last name,Email address,Response 1,Question 1\n")
    with pytest.raises(UsageError, match="manifest is of a canvas export"):
        grade_lms(manifest, "moodle", responses)
