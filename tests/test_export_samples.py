"""The validators accept the known-good LMS samples and reject the known-broken ones.

The samples live in ``../shared/lms/samples`` (see its README for where each comes from and
why it is good or broken). Two are special: ``xsd_false_positive_text2qti_file_upload.zip`` is
refused by the IMS XSD although Canvas imports it (the documented false positive, which
quizgen's exports never produce), and Moodle's own ``questions.gift.txt`` fixture is refused by
gift-pegjs although Moodle imports it (the two parsers disagree; quizgen's GIFT passes both).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from quizgen.export import validate as V

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "lms" / "samples"
CANVAS = SAMPLES / "canvas_qti12"
FIXTURES = CANVAS / "instructure_fixtures"

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} is not available")
needs_gift = pytest.mark.skipif(
    V.gift_parser_problem() is not None, reason=f"gift-pegjs: {V.gift_parser_problem()}"
)


def _zip(path: Path) -> V.Report:
    return V.check_qti12_package(V.package_from_zip(path.read_bytes()))


def _qti12(path: Path) -> V.Report:
    return V.check_qti12_document(path.name, path.read_bytes())


def _qti21(path: Path) -> V.Report:
    return V.check_qti21_document(path.name, path.read_bytes())


def _moodle(path: Path) -> V.Report:
    return V.check_moodle_xml(path.read_bytes(), path.name)


def _gift(path: Path) -> V.Report:
    return V.check_gift(path.read_bytes(), path.name)


GOOD: list[tuple[str, Callable[[], V.Report]]] = [
    ("canvas good_text2qti.zip", lambda: _zip(CANVAS / "good_text2qti.zip")),
    (
        "canvas export cartridge",
        lambda: V.check_qti12_package(V.package_from_dir(FIXTURES / "canvas_export_cartridge")),
    ),
    (
        "canvas export with banks",
        lambda: V.check_qti12_package(V.package_from_dir(FIXTURES / "canvas_export_with_banks")),
    ),
    (
        "qti21 good_pkg",
        lambda: V.check_qti21_package(V.package_from_dir(SAMPLES / "qti21/good_pkg")),
    ),
    ("moodle good.xml", lambda: _moodle(SAMPLES / "moodle_xml/good.xml")),
    *[
        (f"moodle fixture {p.name}", lambda p=p: _moodle(p))
        for p in sorted((SAMPLES / "moodle_xml/moodle_fixtures").glob("*.xml"))
        if p.name != "broken_cloze_questions.xml"
    ],
    ("gift good.gift", lambda: _gift(SAMPLES / "gift/good.gift")),
]

# (label, validate, problems that must be found: substrings, one per documented error)
BROKEN: list[tuple[str, Callable[[], V.Report], list[str]]] = [
    (
        "canvas broken_assessment.xml",
        lambda: _qti12(CANVAS / "broken_assessment.xml"),
        ["rcardinality", "'ident' is required", "selection_number"],
    ),
    (
        "canvas broken_crossref.zip",
        lambda: _zip(CANVAS / "broken_crossref.zip"),
        [
            "names no response_label",
            "selects 5 of 2",
            "matches no assessment ident",
            "package lacks",
        ],
    ),
    (
        "canvas file_upload (documented XSD false positive)",
        lambda: _zip(CANVAS / "xsd_false_positive_text2qti_file_upload.zip"),
        ["resprocessing"],
    ),
    (
        "canvas question_group_extended_attrs.xml (non-standard Canvas extension)",
        lambda: _qti12(FIXTURES / "question_group_extended_attrs.xml"),
        ["parent_stimulus_item_ident", "sourcebank_ref"],
    ),
    (
        "qti21 numeric_broken.xml",
        lambda: _qti21(SAMPLES / "qti21/broken/numeric_broken.xml"),
        ["timeDependent", "decimal"],
    ),
    (
        "qti21 test_broken.xml",
        lambda: _qti21(SAMPLES / "qti21/broken/test_broken.xml"),
        ["selection"],
    ),
    (
        "moodle broken.xml",
        lambda: _moodle(SAMPLES / "moodle_xml/broken.xml"),
        [
            "grade 33%",
            "grade 67%",
            "'four:0.01' is not a number",
            "unknown question type 'multiplechoice'",
        ],
    ),
    (
        "moodle broken_cloze_questions.xml",
        lambda: _moodle(SAMPLES / "moodle_xml/moodle_fixtures/broken_cloze_questions.xml"),
        [
            "'Multianswer question without subquestions': Cloze question has no sub-questions",
            "'Multichoice subquestion without choices': Cloze question has no sub-questions",
            "only one choice': sub-question 1: a multiple-choice sub-question needs at least two",
            "no completely correct answer': sub-question 1: no answer earns full marks",
            "buggy answer': sub-question 1: numerical answer 'zero' is not a number",
        ],
    ),
    (
        "gift broken_grades.gift",
        lambda: _gift(SAMPLES / "gift/broken_grades.gift"),
        ["%33%", "%67%"],
    ),
]

BROKEN_GIFT: list[tuple[str, str, list[str]]] = [
    ("gift broken.gift", "gift/broken.gift", ['Expected "}"']),
    (
        "moodle's questions.gift.txt (the parsers disagree)",
        "gift/moodle_fixtures/questions.gift.txt",
        [":31:"],
    ),
]


@pytest.mark.parametrize("check", [c for _, c in GOOD], ids=[label for label, _ in GOOD])
def test_good_samples_are_accepted(check: Callable[[], V.Report]) -> None:
    report = check()
    assert report.ok, report.problems
    assert not [s for s in report.skipped if "XSD" in s], report.skipped


@pytest.mark.parametrize(
    ("check", "expected"), [(c, e) for _, c, e in BROKEN], ids=[label for label, _, _ in BROKEN]
)
def test_broken_samples_are_rejected_for_their_documented_reasons(
    check: Callable[[], V.Report], expected: list[str]
) -> None:
    report = check()
    assert not report.ok
    for needle in expected:
        assert any(needle in p for p in report.problems), (needle, report.problems)


@needs_gift
def test_gift_good_sample_parses_with_gift_pegjs() -> None:
    report = _gift(SAMPLES / "gift/good.gift")
    assert "gift-pegjs parse" in report.checks


@needs_gift
@pytest.mark.parametrize(
    ("path", "expected"),
    [(p, e) for _, p, e in BROKEN_GIFT],
    ids=[label for label, _, _ in BROKEN_GIFT],
)
def test_broken_gift_is_rejected_by_gift_pegjs(path: str, expected: list[str]) -> None:
    report = _gift(SAMPLES / path)
    assert not report.ok
    for needle in expected:
        assert any(needle in p for p in report.problems), report.problems


def test_every_sample_file_is_covered() -> None:
    """A new sample in the shared folder must get a row here (good or broken)."""
    covered = {
        "good_text2qti.zip", "broken_assessment.xml", "broken_crossref.zip",
        "xsd_false_positive_text2qti_file_upload.zip", "question_group_extended_attrs.xml",
        "numeric_broken.xml", "test_broken.xml", "good.xml", "broken.xml",
        "broken_cloze_questions.xml", "multianswer.xml", "nested_categories_with_questions.xml",
        "truefalse.xml", "good.gift", "broken.gift", "broken_grades.gift", "questions.gift.txt",
    }  # fmt: skip
    files = {
        p.name
        for p in SAMPLES.rglob("*")
        if p.is_file()
        and p.suffix in (".zip", ".xml", ".gift", ".txt")
        and "canvas_export" not in str(p)
        and "qti30" not in str(p)
        and "blackboard" not in str(p)
        and "good_pkg" not in str(p)
        and not p.name.startswith("LICENSE")
    }
    assert files <= covered, files - covered
