"""The seed is a secret; the fingerprint names an exam without revealing it (issue 9).

On main the fingerprint was a hash of title, seed and bank ids: with the bank, a student could
test a million guessed seeds a second against the fingerprint on their template. It is now a
keyed hash of the key's whole contents, computed once and stored in key.json.
"""

from __future__ import annotations

import json

import pytest
from classroom import BANK, SEED, make_exam, students

from quizgen.bank.model import load_bank
from quizgen.fingerprint import compute_fingerprint, exam_fingerprint, legacy_fingerprint
from quizgen.generate.exam import build_exam, new_seed, weak_seed
from quizgen.generate.regrade import regrade_exam
from quizgen.grade.pipeline import grade_exam
from quizgen.grade.submissions import Received, Submission, Submissions, validate_submissions


def test_the_fingerprint_is_stored_reproducible_and_over_the_contents() -> None:
    exam = make_exam(3)
    assert exam.fingerprint == compute_fingerprint(exam) == make_exam(3).fingerprint
    assert len(exam.fingerprint) == 16
    # Same seed, title and banks, another roster: the old seed hash could not tell them apart.
    other = make_exam(4)
    assert legacy_fingerprint(other) == legacy_fingerprint(exam)
    assert other.fingerprint != exam.fingerprint
    assert exam.fingerprint != legacy_fingerprint(exam)


def test_the_fingerprint_changes_with_the_seed() -> None:
    bank = load_bank(BANK)
    a = build_exam([bank], students(2), SEED)
    b = build_exam([bank], students(2), SEED + "x")
    assert a.fingerprint != b.fingerprint


def test_regrade_keeps_the_fingerprint_and_an_old_key_keeps_its_own(tmp_path) -> None:
    exam = make_exam(2)
    edited = tmp_path / "bank.yaml"
    text = BANK.read_text(encoding="utf-8").replace("answer: weights + h", "answer: weights")
    edited.write_text(text, encoding="utf-8")
    fresh, changes = regrade_exam(exam, [load_bank(edited)])
    assert changes and fresh.fingerprint == exam.fingerprint
    old = exam.model_copy(update={"fingerprint": None})  # a key.json written before
    assert exam_fingerprint(old) == legacy_fingerprint(old)
    sub = Submission(exam=legacy_fingerprint(old), student_id="s1", answers={})
    checked = validate_submissions(old, Submissions(received=[Received(sub, "s1.json")]))
    assert checked.rejections == [] and len(checked.received) == 1
    assert grade_exam(old, [sub]).exam == legacy_fingerprint(old)


def test_a_new_seed_is_128_random_bits() -> None:
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(len(s) == 32 and int(s, 16) >= 0 for s in seeds)
    assert all(weak_seed(s) is None or "different characters" in weak_seed(s) for s in seeds)


@pytest.mark.parametrize(
    ("seed", "why"),
    [
        ("7", "only 1 character(s)"),
        ("2026-midterm", "only 12 character(s)"),
        ("ab" * 15, "only 2 different characters"),
        ("c2f1e0a97b4d4e55b8a3f6d1e7c9a0b2", None),
        ("correct horse battery staple", None),
    ],
)
def test_weak_seeds(seed: str, why: str | None) -> None:
    assert weak_seed(seed) == why


def test_an_old_keys_fingerprint_is_computed_once(tmp_path, monkeypatch) -> None:
    """Regression (noted since session 11): for a key without a stored fingerprint, the
    fallback one was computed again by each step that asks for it: reading the
    submissions, admitting them, the report, and every paper's submission template."""
    import quizgen.fingerprint as fingerprint
    from quizgen.grade.submissions import read_submissions, template_for
    from quizgen.rng import stable_hash

    old = make_exam(4).model_copy(update={"fingerprint": None, "title": "a key from before"})
    expected = stable_hash("quizgen-exam", old.title, old.seed, *(b.id for b in old.banks))[:16]
    made = []
    monkeypatch.setattr(fingerprint, "stable_hash", lambda *a: made.append(a) or stable_hash(*a))
    fingerprint._legacy.cache_clear()

    templates = [template_for(old, paper) for paper in old.papers]
    for template in templates:
        (tmp_path / f"{template['student_id']}.json").write_text(json.dumps(template))
    checked = read_submissions([tmp_path], old, jobs=1)
    report = grade_exam(old, checked)
    assert {t["exam"] for t in templates} == {report.exam} == {expected}
    assert len(checked.received) == 4 and checked.rejections == []
    assert len(made) == 1
