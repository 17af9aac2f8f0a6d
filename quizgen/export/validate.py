"""Check LMS export files the way their importers would, and what no schema sees.

* **QTI 1.2 (Canvas)**: the assessment against the IMS QTI ASI 1.2 XSD, the manifest against
  IMS CP 1.1 (after mapping Canvas's Common Cartridge namespace onto it), and cross-references:
  every ``respident`` names a response of its item and every answer compared with a choice
  response names one of its ``response_label``s, every ``displayfeedback`` names an
  ``itemfeedback``, a section selects no more items than it holds, ``assessment_meta.xml``
  carries the assessment's identifier, every file the manifest names is in the package.
* **QTI 2.1**: items and test against ``imsqti_v2p1.xsd``, the manifest against IMS CP 1.1,
  and cross-references (declared responses, choice identifiers, selections, files).
* **Moodle XML** (no schema exists): known question types, a tolerance on numerical
  answers, every grade from Moodle's list, multi grades adding up to 100, every question after
  a ``$course$/…`` category, and Cloze sub-questions parsed as Moodle parses them.
* **GIFT** (no schema exists): parsed by the independent ``gift-pegjs`` grammar through
  ``node`` (``tests/js/parse-gift.mjs``), plus Moodle's grade list for ``%n%`` weights.

XSD checks need ``lxml`` and the schema files (``tests/schemas`` in a source checkout, or the
folder named by ``QUIZGEN_SCHEMAS``); a check that cannot run is listed in
:attr:`Report.skipped`, never silently passed.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from quizgen.export.answers import MOODLE_GRADES

__all__ = [
    "Report",
    "check_gift",
    "check_moodle_xml",
    "check_qti12_document",
    "check_qti12_package",
    "check_qti21_document",
    "check_qti21_package",
    "find_schemas",
    "package_from_dir",
    "package_from_zip",
    "parse_cloze",
    "validate_export",
]

ROOT = Path(__file__).resolve().parents[2]
QTI12_XSD = "qti12/domainProfile_4/ims_qtiasiv1p2.xsd"
IMSCP_XSD = "ims/imscp_v1p1.xsd"
QTI21_XSD = "ims/qtiv2p1/imsqti_v2p1.xsd"
QTI12_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
QTI21_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
IMSCP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
# Canvas and text2qti write the Common Cartridge flavour of IMS CP 1.1; the element set is
# the same, so the validator reads it in the IMS CP namespace. Metadata beyond schema and
# schemaversion (LOM records) is not validated: Canvas ignores it and no schema for the
# variants in the wild is available here.
NAMESPACE_MAP = {"http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1": IMSCP_NS}
MOODLE_TYPES = frozenset(
    [
        "category",
        "multichoice",
        "truefalse",
        "shortanswer",
        "numerical",
        "essay",
        "cloze",
        "description",
        "calculated",
        "calculatedsimple",
        "calculatedmulti",
        "matching",
        "randomsamatch",
        "ddwtos",
        "ddimageortext",
        "ddmarker",
        "gapselect",
        "ordering",
    ]
)
GIFT_SCRIPT = ROOT / "tests" / "js" / "parse-gift.mjs"
NODE_TIMEOUT = 120


@dataclass
class Report:
    """The outcome of validating one export.

    Attributes:
        problems: what is wrong, each as ``file[:line]: message``.
        checks: the checks that ran.
        skipped: the checks that could not run, and why.
    """

    problems: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def merge(self, other: Report) -> Report:
        self.problems += other.problems
        self.checks += [c for c in other.checks if c not in self.checks]
        self.skipped += [s for s in other.skipped if s not in self.skipped]
        return self

    def problem(self, where: str, message: str, line: int | None = None) -> None:
        self.problems.append(f"{where}:{line}: {message}" if line else f"{where}: {message}")


# --- packages and schemas --------------------------------------------------------------------


def package_from_zip(data: bytes) -> dict[str, bytes]:
    """The files of a zip archive (path → bytes).

    Raises:
        zipfile.BadZipFile: ``data`` is not a zip archive.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if not n.endswith("/")}


def package_from_dir(folder: Path) -> dict[str, bytes]:
    """The files under ``folder`` (relative POSIX path → bytes)."""
    folder = Path(folder)
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def find_schemas() -> Path | None:
    """The folder holding the XSD files, laid out as ``qti12/…`` and ``ims/…``.

    Looks at ``$QUIZGEN_SCHEMAS``, then ``tests/schemas`` of a source checkout, then the
    shared ``../shared/lms/xsd`` next to it.
    """
    candidates = [Path(os.environ["QUIZGEN_SCHEMAS"])] if os.environ.get("QUIZGEN_SCHEMAS") else []
    candidates += [ROOT / "tests" / "schemas", ROOT.parent / "shared" / "lms" / "xsd"]
    return next((c for c in candidates if (c / QTI12_XSD).is_file()), None)


def _lxml() -> Any:
    try:
        from lxml import etree
    except ImportError:  # pragma: no cover - lxml is a test dependency
        return None
    return etree


@lru_cache(maxsize=8)
def _schema(path: str) -> Any:
    etree = _lxml()
    return etree.XMLSchema(etree.parse(path))


def _parse(report: Report, name: str, data: bytes) -> Any:
    """Parse XML (no network, no entities); None after reporting a syntax error."""
    etree = _lxml()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        report.problem(name, f"not well-formed XML: {exc}")
        return None


def _xsd(report: Report, name: str, root: Any, schema_file: str, label: str) -> None:
    folder = find_schemas()
    if folder is None:
        report.skipped.append(f"{label} XSD: schema files not found (set QUIZGEN_SCHEMAS)")
        return
    schema = _schema(str(folder / schema_file))
    if not schema.validate(root):
        for error in schema.error_log:
            report.problem(name, f"XSD: {error.message}", error.line)
    report.checks.append(f"{label} XSD")


def _local(element: Any) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Any, name: str) -> list[Any]:
    return [c for c in element if _local(c) == name]


def _descendants(element: Any, name: str) -> list[Any]:
    return [e for e in element.iter() if _local(e) == name]


def _need_lxml(report: Report) -> bool:
    if _lxml() is None:  # pragma: no cover
        report.skipped.append("XML checks: install lxml")
        return False
    return True


def _schema_checked(name: str, data: bytes, xsd: str, label: str) -> tuple[Report, Any]:
    """A new report holding the XSD check of one file, and its root (None: cannot go on)."""
    report = Report()
    if not _need_lxml(report):
        return report, None
    root = _parse(report, name, data)
    if root is not None:
        _xsd(report, name, root, xsd, label)
    return report, root


# --- QTI 1.2 (Canvas) ------------------------------------------------------------------------


def check_qti12_document(name: str, data: bytes) -> Report:
    """One QTI 1.2 file: XSD, then each item's and section's cross-references."""
    report, root = _schema_checked(name, data, QTI12_XSD, "QTI 1.2")
    if root is None:
        return report
    for item in _descendants(root, "item"):
        _qti12_item(report, name, item)
    for section in _descendants(root, "section"):
        _qti12_selection(report, name, section)
    report.checks.append("QTI 1.2 cross-references")
    return report


def _qti12_item(report: Report, name: str, item: Any) -> None:
    where = f"item {item.get('ident')!r}"
    labels: dict[str, set[str] | None] = {}
    for response in [*_descendants(item, "response_lid"), *_descendants(item, "response_str")]:
        idents = {lab.get("ident") for lab in _descendants(response, "response_label")}
        labels[response.get("ident")] = idents if _local(response) == "response_lid" else None
    for cond in _descendants(item, "conditionvar"):
        for test in cond.iter():
            if _local(test) not in ("varequal", "varlt", "varlte", "vargt", "vargte", "varsubset"):
                continue
            rid = test.get("respident")
            if rid not in labels:
                report.problem(
                    name, f"{where}: respident {rid!r} names no response", test.sourceline
                )
            elif labels[rid] is not None and (test.text or "").strip() not in labels[rid]:
                report.problem(
                    name,
                    f"{where}: answer {test.text!r} names no response_label of {rid!r}",
                    test.sourceline,
                )
    feedback = {f.get("ident") for f in _descendants(item, "itemfeedback")}
    for link in _descendants(item, "displayfeedback"):
        if link.get("linkrefid") not in feedback:
            report.problem(
                name,
                f"{where}: displayfeedback names no itemfeedback {link.get('linkrefid')!r}",
                link.sourceline,
            )


def _qti12_selection(report: Report, name: str, section: Any) -> None:
    holds = len(_children(section, "item")) + len(_children(section, "section"))
    for selection in _descendants(section, "selection"):
        if _descendants(selection, "sourcebank_ref"):
            continue  # the items live in a question bank elsewhere
        for number in _children(selection, "selection_number"):
            try:
                wanted = int((number.text or "").strip())
            except ValueError:
                report.problem(name, "selection_number is not a whole number", number.sourceline)
                continue
            if wanted > holds:
                report.problem(
                    name,
                    f"section {section.get('ident')!r} selects {wanted} of {holds} items",
                    number.sourceline,
                )


def _manifest(report: Report, files: Mapping[str, bytes], mapping: bool) -> Any:
    if "imsmanifest.xml" not in files:
        report.problem("package", "no imsmanifest.xml")
        return None
    root = _parse(report, "imsmanifest.xml", files["imsmanifest.xml"])
    if root is None:
        return None
    if mapping:
        root = _map_namespaces(root)
    _xsd(report, "imsmanifest.xml", root, IMSCP_XSD, "IMS CP 1.1 manifest")
    resources = {r.get("identifier") for r in _descendants(root, "resource")}
    for element in root.iter():
        href = element.get("href")
        if _local(element) in ("file", "resource") and href and href not in files:
            report.problem(
                "imsmanifest.xml",
                f"{_local(element)} names {element.get('href')!r}, which the package lacks",
                element.sourceline,
            )
        if _local(element) == "dependency" and element.get("identifierref") not in resources:
            report.problem(
                "imsmanifest.xml",
                f"dependency names no resource {element.get('identifierref')!r}",
                element.sourceline,
            )
    report.checks.append("manifest files and dependencies")
    return root


def _map_namespaces(root: Any) -> Any:
    """A copy of ``root`` with Common Cartridge CP elements in the IMS CP 1.1 namespace."""
    etree = _lxml()
    copy = etree.fromstring(etree.tostring(root))
    for element in copy.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace in NAMESPACE_MAP:
            element.tag = etree.QName(NAMESPACE_MAP[qname.namespace], qname.localname).text
    metadata = [e for e in copy if _local(e) == "metadata"]
    for meta in metadata:
        for child in list(meta):
            if _local(child) not in ("schema", "schemaversion"):
                meta.remove(child)
    etree.cleanup_namespaces(copy)
    return etree.fromstring(etree.tostring(copy))


def check_qti12_package(files: Mapping[str, bytes]) -> Report:
    """A Canvas QTI 1.2 package (zip contents or a folder): manifest, QTI files, meta."""
    report = Report()
    if not _need_lxml(report):
        return report
    _manifest(report, files, mapping=True)
    idents: set[str] = set()
    for name in sorted(files):
        if _is_qti12(name, files[name]):
            report.merge(check_qti12_document(name, files[name]))
            root = _parse(Report(), name, files[name])
            if root is not None:
                idents |= {a.get("ident") for a in _descendants(root, "assessment")}
    for name in sorted(n for n in files if n.rsplit("/", 1)[-1] == "assessment_meta.xml"):
        meta = _parse(report, name, files[name])
        if meta is not None and meta.get("identifier") not in idents:
            report.problem(
                name,
                f"identifier {meta.get('identifier')!r} matches no assessment ident "
                f"({', '.join(sorted(idents)) or 'none'})",
            )
    report.checks.append("assessment_meta identifier")
    return report


def _is_qti12(name: str, data: bytes) -> bool:
    return name.endswith((".xml", ".qti")) and b"<questestinterop" in data[:2000]


# --- QTI 2.1 ---------------------------------------------------------------------------------


def check_qti21_document(name: str, data: bytes) -> Report:
    """One QTI 2.1 item or test: XSD, then its internal cross-references."""
    report, root = _schema_checked(name, data, QTI21_XSD, "QTI 2.1")
    if root is None:
        return report
    if _local(root) == "assessmentItem":
        _qti21_item(report, name, root)
    for section in _descendants(root, "assessmentSection"):
        holds = len(_children(section, "assessmentItemRef")) + len(
            _children(section, "assessmentSection")
        )
        for selection in _children(section, "selection"):
            if int(selection.get("select", "0")) > holds:
                report.problem(
                    name,
                    f"section {section.get('identifier')!r} selects "
                    f"{selection.get('select')} of {holds}",
                    selection.sourceline,
                )
    report.checks.append("QTI 2.1 cross-references")
    return report


def _qti21_item(report: Report, name: str, root: Any) -> None:
    declared = {d.get("identifier"): d for d in _descendants(root, "responseDeclaration")}
    outcomes = {d.get("identifier") for d in _descendants(root, "outcomeDeclaration")}
    choices: dict[str, set[str]] = {}
    for interaction in root.iter():
        rid = interaction.get("responseIdentifier") if isinstance(interaction.tag, str) else None
        if rid is None:
            continue
        if rid not in declared:
            report.problem(
                name, f"interaction answers undeclared response {rid!r}", interaction.sourceline
            )
        choices[rid] = {c.get("identifier") for c in _descendants(interaction, "simpleChoice")}
    for rid, declaration in declared.items():
        if declaration.get("baseType") != "identifier" or rid not in choices:
            continue
        named = [v.text for v in _descendants(declaration, "value")]
        named += [e.get("mapKey") for e in _descendants(declaration, "mapEntry")]
        for value in named:
            if value not in choices[rid]:
                report.problem(
                    name, f"response {rid!r} names no choice {value!r}", declaration.sourceline
                )
    for variable in _descendants(root, "variable") + _descendants(root, "correct"):
        ref = variable.get("identifier")
        if ref not in declared and ref not in outcomes:
            report.problem(name, f"variable {ref!r} is not declared", variable.sourceline)


def check_qti21_package(files: Mapping[str, bytes]) -> Report:
    """A QTI 2.1 content package: manifest, every item and test, item references."""
    report = Report()
    if not _need_lxml(report):
        return report
    _manifest(report, files, mapping=False)
    for name in sorted(files):
        data = files[name]
        if name.endswith(".xml") and (
            b"<assessmentItem" in data[:3000] or b"<assessmentTest" in data[:3000]
        ):
            report.merge(check_qti21_document(name, data))
            if b"<assessmentTest" in data[:3000]:
                _qti21_refs(report, name, data, files)
    return report


def _qti21_refs(report: Report, name: str, data: bytes, files: Mapping[str, bytes]) -> None:
    root = _parse(report, name, data)
    if root is None:
        return
    base = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
    for ref in _descendants(root, "assessmentItemRef"):
        href = base + ref.get("href", "")
        if href not in files:
            report.problem(name, f"item reference {href!r} is not in the package", ref.sourceline)


# --- Moodle XML ------------------------------------------------------------------------------

_CLOZE_TYPES = (
    "NUMERICAL|NM|MULTICHOICE_VS|MULTICHOICE_HS|MULTICHOICE_V|MULTICHOICE_H|MULTICHOICE_S|"
    "MULTICHOICE|MCVS|MCHS|MCV|MCH|MCS|MC|SHORTANSWER_C|SHORTANSWER|SAC|MWC|SA|MW|"
    "MULTIRESPONSE_HS|MULTIRESPONSE_H|MULTIRESPONSE_S|MULTIRESPONSE|MRHS|MRH|MRS|MR"
)
_ALT = (
    r"(?:=|%-?[0-9]+(?:[.,][0-9]*)?%)?.+?(?<![\\&])(?<!&amp;)(?=[~#}]|$)(?:#.*?(?<!\\)(?=[~}]|$))?"
)
_CLOZE_START = re.compile(r"\{([0-9]*):(" + _CLOZE_TYPES + r")\b")
_CLOZE = re.compile(
    r"\{([0-9]*):(" + _CLOZE_TYPES + r"):(" + _ALT + r"(?:~" + _ALT + r")*)\}", re.S
)
_CLOZE_ALT = re.compile(
    r"~?(=|%(-?[0-9]+(?:[.,][0-9]*)?)%)?(.+?(?<![\\&])(?<!&amp;)(?=[~#}]|$))(#(.*?(?<!\\)(?=[~}]|$)))?",
    re.S,
)
_NUMBER = r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?"
_CLOZE_NUMERIC = re.compile(rf"^({_NUMBER})(:{_NUMBER})?$")


@dataclass(frozen=True)
class ClozeAnswer:
    fraction: Fraction
    text: str
    feedback: str
    fraction_text: str


@dataclass(frozen=True)
class ClozePart:
    """One Cloze sub-question as Moodle reads it."""

    weight: int
    kind: str  # "numerical" | "multichoice" | "multiresponse" | "shortanswer"
    answers: tuple[ClozeAnswer, ...]


def parse_cloze(text: str) -> tuple[list[ClozePart], list[str]]:
    """The sub-questions of Cloze question text, and what Moodle would refuse in it.

    Follows Moodle's ``qtype_multianswer_extract_question`` and its validation: every
    ``{n:TYPE:…}`` must parse, a multiple-choice needs two answers, some answer must earn full
    marks, a numerical answer must be a number (or ``*``), and ``%n%`` must be an allowed grade.
    """
    parts, problems, covered = [], [], []
    for match in _CLOZE.finditer(text):
        covered.append(match.span())
        part, errors = _cloze_part(match)
        parts.append(part)
        problems += [f"sub-question {len(parts)}: {e}" for e in errors]
    for start in _CLOZE_START.finditer(text):
        if not any(a <= start.start() < b for a, b in covered):
            problems.append(f"sub-question {start.group()!r}… is not well-formed")
    if not parts:
        problems.append("Cloze question has no sub-questions")
    return parts, problems


def _cloze_part(match: re.Match[str]) -> tuple[ClozePart, list[str]]:
    kind_code = match.group(2)
    kind = (
        "numerical" if kind_code in ("NUMERICAL", "NM")
        else "shortanswer" if kind_code.startswith(("SHORTANSWER", "SA", "MW"))
        else "multiresponse" if kind_code.startswith(("MULTIRESPONSE", "MR"))
        else "multichoice"
    )  # fmt: skip
    answers, errors = [], []
    for alt in _CLOZE_ALT.finditer(match.group(3)):
        mark, percent, body, _, feedback = alt.groups()
        fraction = (
            Fraction(100)
            if mark == "="
            else Fraction(percent.replace(",", "."))
            if percent
            else Fraction(0)
        )
        if percent is not None and not _allowed_grade(fraction):
            errors.append(f"grade {percent}% is not one Moodle allows")
        if kind == "numerical" and not (_CLOZE_NUMERIC.match(body) or body.strip() == "*"):
            errors.append(f"numerical answer {body!r} is not a number")
        answers.append(ClozeAnswer(fraction, body, feedback or "", percent or ""))
    if kind in ("multichoice", "multiresponse") and len(answers) < 2:
        errors.append("a multiple-choice sub-question needs at least two answers")
    best = max((a.fraction for a in answers), default=Fraction(0))
    if (kind == "multiresponse" and best <= 0) or (kind != "multiresponse" and best != 100):
        errors.append("no answer earns full marks")
    weight = int(match.group(1) or 1)
    return ClozePart(weight, kind, tuple(answers)), errors


def _allowed_grade(percent: Fraction) -> bool:
    """Moodle's test: within 0.00001 of an allowed grade on its 0–1 scale."""
    return any(abs(abs(percent) - g) < Fraction(1, 1000) for g in MOODLE_GRADES)


def check_moodle_xml(data: bytes, name: str = "quiz.xml") -> Report:
    """Moodle XML, checked as Moodle's importer would (it has no schema)."""
    report = Report()
    if not _need_lxml(report):
        return report
    root = _parse(report, name, data)
    if root is None:
        return report
    if _local(root) != "quiz":
        report.problem(name, f"root element is <{_local(root)}>, not <quiz>")
        return report
    category = None
    for question in _children(root, "question"):
        qtype = question.get("type")
        where = f"question {_text(question, 'name') or qtype!r}"
        if qtype not in MOODLE_TYPES:
            report.problem(name, f"{where}: unknown question type {qtype!r}", question.sourceline)
            continue
        if qtype == "category":
            category = _text(question, "category")
            if not re.match(
                r"^\$(course|system|module|cat[0-9]+|coursecategory)\$/", category or ""
            ):
                report.problem(
                    name,
                    f"category {category!r} does not start with $course$/",
                    question.sourceline,
                )
            continue
        if category is None:
            report.problem(name, f"{where}: comes before any category entry", question.sourceline)
        _moodle_question(report, name, where, question)
    report.checks += ["Moodle question types", "Moodle grades", "Moodle categories", "Moodle Cloze"]
    return report


def _text(element: Any, child: str) -> str | None:
    found = _children(element, child)
    if not found:
        return None
    texts = _children(found[0], "text")
    return (texts[0].text or "") if texts else (found[0].text or "")


def _moodle_question(report: Report, name: str, where: str, question: Any) -> None:
    qtype = question.get("type")
    answers = _children(question, "answer")
    fractions = []
    for answer in answers:
        try:
            fraction = Fraction(answer.get("fraction", "0"))
        except ValueError:
            report.problem(
                name,
                f"{where}: fraction {answer.get('fraction')!r} is not a number",
                answer.sourceline,
            )
            continue
        fractions.append(fraction)
        if not _allowed_grade(fraction):
            report.problem(
                name,
                f"{where}: grade {answer.get('fraction')}% is not one Moodle allows",
                answer.sourceline,
            )
        if qtype == "numerical":
            _moodle_numerical(report, name, where, answer)
    if qtype == "multichoice":
        single = (_text(question, "single") or "true").strip().lower() in ("true", "1")
        if len(answers) < 2:
            report.problem(
                name, f"{where}: a multichoice question needs two answers", question.sourceline
            )
        positive = sum(f for f in fractions if f > 0)
        if single and (not fractions or max(fractions) != 100):
            report.problem(name, f"{where}: no answer earns 100%", question.sourceline)
        if not single and abs(positive - 100) > Fraction(1, 100):
            report.problem(
                name,
                f"{where}: the positive grades add up to {float(positive):g}%, not 100%",
                question.sourceline,
            )
    if qtype in ("numerical", "shortanswer", "truefalse") and (
        not fractions or max(fractions) != 100
    ):
        report.problem(name, f"{where}: no answer earns 100%", question.sourceline)
    if qtype == "cloze":
        _, problems = parse_cloze(_text(question, "questiontext") or "")
        for problem in problems:
            report.problem(name, f"{where}: {problem}", question.sourceline)


def _moodle_numerical(report: Report, name: str, where: str, answer: Any) -> None:
    value = (_text(answer, "text") or "").strip()
    tolerance = _children(answer, "tolerance")
    if value != "*" and not re.fullmatch(_NUMBER, value):
        report.problem(
            name, f"{where}: numerical answer {value!r} is not a number", answer.sourceline
        )
    if not tolerance:
        report.problem(
            name, f"{where}: numerical answer {value!r} has no <tolerance>", answer.sourceline
        )
    elif value != "*" and not re.fullmatch(_NUMBER, (tolerance[0].text or "").strip()):
        report.problem(
            name, f"{where}: tolerance {tolerance[0].text!r} is not a number", answer.sourceline
        )


# --- GIFT ------------------------------------------------------------------------------------


def gift_weights(text: str) -> list[tuple[int, str]]:
    """Every ``%n%`` weight right after an unescaped ``=`` or ``~`` inside ``{…}``: (line, n)."""
    found, depth, line, i = [], 0, 1, 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "\n":
            line += 1
            if text.startswith("//", i + 1) and depth == 0:
                i = text.find("\n", i + 1)
                i = len(text) if i < 0 else i
                continue
        elif char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif char in "=~" and depth:
            weight = re.match(r"\s*%(-?[0-9.]*)%", text[i + 1 :])
            if weight:
                found.append((line, weight.group(1)))
        i += 1
    return found


def check_gift(data: bytes, name: str = "quiz.gift", script: Path = GIFT_SCRIPT) -> Report:
    """GIFT text: the gift-pegjs parse (if node and the package are installed) and the grades."""
    report = Report()
    text = data.decode("utf-8")
    for line, weight in gift_weights(text):
        try:
            ok = _allowed_grade(Fraction(weight))
        except ValueError:
            ok = False
        if not ok:
            report.problem(name, f"grade %{weight}% is not one Moodle allows", line)
    report.checks.append("Moodle grade list")
    parsed = parse_gift(data, script)
    if isinstance(parsed, str):
        report.skipped.append(f"gift-pegjs: {parsed}")
    elif not parsed["ok"]:
        error = parsed["error"]
        report.problem(name, f"gift-pegjs: {error['message']}", error.get("line"))
    else:
        report.checks.append("gift-pegjs parse")
    return report


def gift_parser_problem(script: Path = GIFT_SCRIPT) -> str | None:
    """Why the gift-pegjs parser cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not script.is_file():
        return f"{script} is missing"
    if not (script.parent / "node_modules" / "gift-pegjs").is_dir():
        return f"run `npm ci --prefix {script.parent}` to install gift-pegjs"
    return None


def parse_gift(data: bytes, script: Path = GIFT_SCRIPT) -> dict[str, Any] | str:
    """gift-pegjs's parse of ``data`` as JSON, or why it could not run."""
    problem = gift_parser_problem(script)
    if problem is not None:
        return problem
    node = shutil.which("node")
    done = subprocess.run(
        [node, str(script), "-"],
        input=data,
        capture_output=True,
        timeout=NODE_TIMEOUT,
        check=False,
    )
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        return f"parser failed: {done.stderr.decode('utf-8', 'replace')[-500:]}"


# --- one entry point -------------------------------------------------------------------------


def validate_export(fmt: str, data: bytes) -> Report:
    """Validate the bytes of one export in format ``fmt`` (a key of the export registry)."""
    if fmt == "canvas":
        return check_qti12_package(package_from_zip(data))
    if fmt == "qti21":
        return check_qti21_package(package_from_zip(data))
    if fmt == "moodle":
        return check_moodle_xml(data)
    if fmt == "gift":
        return check_gift(data)
    raise ValueError(f"no validator for format {fmt!r}")
