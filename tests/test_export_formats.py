"""Every export of the shipped banks and of the export test bank passes its validators.

QTI 1.2 (Canvas) and QTI 2.1 against the IMS schemas copied into ``tests/schemas`` plus the
cross-reference checks, Moodle XML through the structural checks, GIFT through gift-pegjs
(via node) and Moodle's grade list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quizgen.bank.model import load_bank
from quizgen.export import EXPORTERS, export
from quizgen.export.base import ExportOptions, Pool, build_pools, run_export
from quizgen.export.validate import find_schemas, gift_parser_problem, validate_export

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "banks").glob("*.yaml"))
TEST_BANK = ROOT / "tests" / "data" / "export-bank.yaml"
FORMATS = sorted(EXPORTERS)


@pytest.fixture(scope="module")
def shipped_pools() -> list[Pool]:
    if not SHIPPED:
        pytest.skip("no shipped banks yet")
    pools, _ = build_pools([load_bank(p) for p in SHIPPED], "validate", 12)
    return pools


@pytest.fixture(scope="module")
def test_pools() -> list[Pool]:
    pools, _ = build_pools([load_bank(TEST_BANK)], "validate", 12)
    return pools


def _validated(fmt: str, pools: list[Pool]) -> None:
    options = ExportOptions(title="Validation run", seed="validate", variants=12)
    result = run_export(EXPORTERS[fmt], pools, options)
    report = validate_export(fmt, result.data)
    assert report.ok, "\n".join(report.problems[:20])
    if fmt == "gift" and gift_parser_problem() is not None:
        pytest.skip(f"gift-pegjs: {gift_parser_problem()} (the grade check passed)")
    assert not report.skipped, report.skipped
    assert report.checks


def test_schemas_are_in_the_repository() -> None:
    folder = find_schemas()
    assert folder is not None and folder == ROOT / "tests" / "schemas"


@pytest.mark.parametrize("fmt", FORMATS)
def test_shipped_banks_export_valid_files(fmt: str, shipped_pools: list[Pool]) -> None:
    _validated(fmt, shipped_pools)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_test_bank_exports_valid_files(fmt: str, test_pools: list[Pool]) -> None:
    _validated(fmt, test_pools)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_shipped_bank_alone_exports_valid_files(fmt: str) -> None:
    """Through the public API, one bank at a time (titles and ids come from the bank)."""
    if not SHIPPED:
        pytest.skip("no shipped banks yet")
    for path in SHIPPED:
        result = export([load_bank(path)], fmt, variants=2, seed="one-bank")
        report = validate_export(fmt, result.data)
        assert report.ok, (path.name, report.problems[:10])


def test_canvas_groups_pick_one_variant_worth_the_question_points(test_pools: list[Pool]) -> None:
    from lxml import etree

    from quizgen.export.validate import package_from_zip

    options = ExportOptions(title="T", seed="validate", variants=12)
    files = package_from_zip(run_export(EXPORTERS["canvas"], test_pools, options).data)
    qti = next(v for k, v in files.items() if k.endswith(".xml") and b"questestinterop" in v[:400])
    root = etree.fromstring(qti)
    ns = {"q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
    groups = root.findall(".//q:section/q:section", ns)
    assert len(groups) == len(test_pools)
    for group, pool in zip(groups, test_pools, strict=True):
        assert group.findtext(".//q:selection_number", namespaces=ns) == "1"
        assert float(group.findtext(".//q:points_per_item", namespaces=ns)) == pool.points
        assert len(group.findall("q:item", ns)) == len(pool.variants)


def test_qti21_sections_select_one_item(test_pools: list[Pool]) -> None:
    from lxml import etree

    from quizgen.export.validate import package_from_zip

    options = ExportOptions(title="T", seed="validate", variants=12)
    files = package_from_zip(run_export(EXPORTERS["qti21"], test_pools, options).data)
    root = etree.fromstring(files["test.xml"])
    ns = {"q": "http://www.imsglobal.org/xsd/imsqti_v2p1"}
    sections = root.findall(".//q:assessmentSection/q:assessmentSection", ns)
    assert len(sections) == len(test_pools)
    for section, pool in zip(sections, test_pools, strict=True):
        assert section.find("q:selection", ns).get("select") == "1"
        assert len(section.findall("q:assessmentItemRef", ns)) == len(pool.variants)


def test_moodle_has_one_category_per_question(test_pools: list[Pool]) -> None:
    from lxml import etree

    options = ExportOptions(title="Quiz / midterm", seed="validate", variants=12)
    root = etree.fromstring(run_export(EXPORTERS["moodle"], test_pools, options).data)
    paths = [q.findtext("category/text") for q in root.findall("question[@type='category']")]
    assert paths == [f"$course$/Quiz // midterm/{p.question_id}" for p in test_pools]
