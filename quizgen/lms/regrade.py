"""Map an LMS response report back to the exported variants and grade it quizgen's way.

Every response names its question by the text the LMS shows; :func:`find_variant` looks that
text up in the export manifest (the best-fitting fingerprint wins; where several variants of
one question show the same text, the response itself decides: its options must exist in the
variant, and variants that would grade it differently are never guessed between). Each
student's identified variants become a :class:`~quizgen.variant.Paper` and their responses a
:class:`~quizgen.grade.records.Submission`, so grading, feedback and the output files are
exactly those of ``quizgen grade``.

Refused, each as a rejected row with its reason: a response whose question is in no exported
variant, one that fits several variants that would grade it differently, a second response to
the same question, and with a roster every student missing from the LMS's gradebook.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from quizgen.grade.checkers import check_response
from quizgen.grade.records import Received, Rejection, Submission, Submissions
from quizgen.lms.manifest import Manifest, ManifestPool, ManifestVariant, fit, squash
from quizgen.lms.reports import Answer, LmsReport, Row
from quizgen.lms.responses import Parsed, to_responses
from quizgen.variant import ChoiceKey, Exam, Paper

__all__ = ["LmsExam", "build_exam", "column_variants", "find_variant"]

Found = tuple[ManifestPool, ManifestVariant]


@dataclass
class LmsExam:
    """The exam rebuilt from a report: papers, submissions, and who is who in the LMS."""

    exam: Exam
    submissions: Submissions
    students: dict[str, Row] = field(default_factory=dict)  # student key → the graded row


def _verdicts(entry: ManifestVariant, parsed: Parsed) -> tuple:
    """How quizgen would grade ``parsed`` for this variant (to compare look-alikes)."""
    out = []
    for part_id, key, _ in entry.variant.gradable():
        response = parsed.get(part_id) if isinstance(parsed, dict) else parsed
        verdict = check_response(key, response)
        out.append((verdict.status, round(verdict.score, 9)))
    return tuple(out)


def _options_exist(entry: ManifestVariant, parsed: Parsed) -> bool:
    """Every option picked is an option of this variant (looked-alike variants differ in
    their options when their question text is the same)."""
    for part_id, key, _ in entry.variant.gradable():
        response = parsed.get(part_id) if isinstance(parsed, dict) else parsed
        if not isinstance(key, ChoiceKey) or response is None:
            continue
        picked = response if isinstance(response, list) else [response]
        labels = {o.label for o in key.options}
        if any(isinstance(p, str) and p and p not in labels for p in picked):
            return False
    return True


def _by_text(manifest: Manifest, question: str) -> list[Found]:
    """The variants whose fingerprint fits the report's question text best."""
    shown = squash(question)
    scored = [
        (fit(entry, shown), pool, entry) for pool in manifest.pools for entry in pool.variants
    ]
    best = max((s for s, _, _ in scored), default=0)
    return [(pool, entry) for s, pool, entry in scored if s == best and best > 0]


def column_variants(manifest: Manifest, report: LmsReport) -> dict[str, list[Found]]:
    """For Canvas, whose report gives every drawn item its own column: the variants that fit
    the column's question text *and* every response in it (look-alike variants differ in
    their options, and all of a column's responses answer one item)."""
    if report.lms != "canvas":
        return {}
    columns: dict[str, list[Answer]] = {}
    for row in report.rows:
        for answer in row.answers:
            columns.setdefault(answer.column, []).append(answer)
    found = {}
    for column, answers in columns.items():
        candidates = _by_text(manifest, answers[0].question)
        fitting = [
            c
            for c in candidates
            if all(_options_exist(c[1], to_responses(c[1], "canvas", a.response)) for a in answers)
        ]
        found[column] = fitting or candidates
    return found


def find_variant(
    manifest: Manifest, answer: Answer, among: list[Found] | None = None
) -> tuple[Found | None, Parsed, str]:
    """The exported variant that ``answer`` responds to, its parsed response, and why not.

    Args:
        manifest: the export's manifest.
        answer: one response and its question text.
        among: the candidates already narrowed for its column (see :func:`column_variants`).

    Returns:
        ((pool, variant), parsed response, "") when found; (None, None, reason) otherwise.
    """
    candidates = among if among is not None else _by_text(manifest, answer.question)
    if not candidates:
        return None, None, "its question is not one of the exported variants in the manifest"
    parsed = [to_responses(entry, manifest.lms, answer.response) for _, entry in candidates]
    fitting = [(c, p) for c, p in zip(candidates, parsed, strict=True) if _options_exist(c[1], p)]
    fitting = fitting or list(zip(candidates, parsed, strict=True))
    if len({_verdicts(c[1], p) for c, p in fitting}) > 1:
        names = ", ".join(sorted({pool.question_id for (pool, _), _ in fitting}))
        reason = (
            f"its question text fits {len(fitting)} exported variants ({names}) that would "
            "grade it differently"
        )
        return None, None, reason
    (pool, entry), response = fitting[0]
    return (pool, entry), response, ""


def _paper(
    manifest: Manifest,
    row: Row,
    number: int,
    rejections: list[Rejection],
    columns: dict[str, list[Found]],
) -> tuple[Paper, dict]:
    found: dict[str, tuple[ManifestVariant, Parsed]] = {}
    for answer in row.answers:
        hit, parsed, reason = find_variant(manifest, answer, columns.get(answer.column))
        where = f"response in column {answer.column!r}"
        if hit is None:
            rejections.append(_reject(row, f"{where}: {reason}"))
            continue
        pool, entry = hit
        name = f"{pool.bank_id}/{pool.question_id}"
        if name in found:
            rejections.append(_reject(row, f"{where}: a second response to question {name}"))
            continue
        found[name] = (entry, parsed)
    order = [f"{p.bank_id}/{p.question_id}" for p in manifest.pools]
    chosen = [found[name] for name in order if name in found]
    paper = Paper(
        student_id=row.student.key,
        name=row.student.name,
        number=number,
        variants=[entry.variant for entry, _ in chosen],
    )
    answers = {entry.variant.question_id: parsed for entry, parsed in chosen}
    return paper, answers


def _reject(row: Row, reason: str) -> Rejection:
    return Rejection(source=row.source, reason=reason, student=row.student.key)


def build_exam(
    manifest: Manifest, report: LmsReport, roster: Collection[str] | None = None
) -> LmsExam:
    """The exam and submissions that grade ``report`` against the exported variants.

    Args:
        manifest: what the export wrote.
        report: the LMS's responses, read by :mod:`quizgen.lms.reports`.
        roster: the student keys of the LMS's gradebook; a row of anyone else is rejected.
    """
    rejections = list(report.rejections)
    papers, received, students = [], [], {}
    columns = column_variants(manifest, report)
    for row in report.rows:
        if roster is not None and row.student.key not in roster:
            rejections.append(
                _reject(row, f"student {row.student.key!r} is not in the gradebook (roster)")
            )
            continue
        paper, answers = _paper(manifest, row, len(papers) + 1, rejections, columns)
        if not paper.variants:
            rejections.append(_reject(row, "no response of this row is to an exported variant"))
            continue
        papers.append(paper)
        students[row.student.key] = row
        submission = Submission(student_id=paper.student_id, name=paper.name, answers=answers)
        received.append(Received(submission, row.source))
    exam = Exam(title=manifest.title, seed=f"lms-{manifest.lms}", banks=[], papers=papers)
    return LmsExam(exam, Submissions(received=received, rejections=rejections), students)
