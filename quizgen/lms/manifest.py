"""The export manifest: which variants an LMS file holds, and how the LMS will show each one.

An LMS's response report names a question by its text, not by anything quizgen wrote, so the
manifest keeps, for every exported variant, the frozen variant itself (its key, to grade with)
and the *text fingerprint* of its question as the exported file states it: the question's
text reduced to letters and digits, cut where a Moodle Cloze sub-question stands (the report
shows those differently). :func:`matches` finds a report's question text among them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, ValidationError

from quizgen.errors import UsageError
from quizgen.export.base import ExportResult, ident
from quizgen.export.validate import package_from_zip
from quizgen.output import write_text_atomic
from quizgen.variant import Variant

__all__ = [
    "MANIFEST_FORMAT",
    "Manifest",
    "ManifestPool",
    "ManifestVariant",
    "build_manifest",
    "fingerprint",
    "fit",
    "matches",
    "read_manifest",
    "squash",
    "write_manifest",
]

MANIFEST_FORMAT = "quizgen-lms-manifest/1"
LMS_FORMATS = ("canvas", "moodle")

_TAG = re.compile(r"<[^>]*>")
_CLOZE_CODE = re.compile(r"\{[0-9]*:[A-Z_]+:.*?\}", re.S)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ManifestVariant(_Model):
    """One exported variant: its frozen key, LMS question type and text fingerprint."""

    variant: Variant
    qtype: str
    text: list[str]
    choices: list[str] = []  # squashed option texts that Moodle's summary lists after the text


class ManifestPool(_Model):
    """One question pool (a Canvas question group, a Moodle category)."""

    bank_id: str
    question_id: str
    title: str
    points: float
    variants: list[ManifestVariant]


class Manifest(_Model):
    """Everything ``quizgen grade-lms`` needs to grade an LMS's responses to one export."""

    format: Literal["quizgen-lms-manifest/1"] = MANIFEST_FORMAT
    lms: Literal["canvas", "moodle"]
    title: str
    pools: list[ManifestPool]


def squash(text: str, *, html_text: bool = False) -> str:
    """Text as a fingerprint: only its letters and digits, case folded, entities decoded.

    Each LMS turns HTML into text its own way (Canvas strips tags and keeps entities, Moodle's
    html_to_text decodes them and adds line breaks and marks); what survives all of them is
    the letters and digits. ``html_text``: ``text`` is HTML as exported, whose tags go first
    (a report's text has none; a ``<`` in it is the student's or the bank's).
    """
    if html_text:
        text = _TAG.sub(" ", text)
    plain = html.unescape(text)
    return "".join(ch for ch in plain.casefold() if ch.isalnum())


def fingerprint(question_html: str) -> list[str]:
    """A question text's fingerprint: its squashed pieces between Cloze sub-questions."""
    pieces = (squash(piece, html_text=True) for piece in _CLOZE_CODE.split(question_html))
    return [piece for piece in pieces if piece]


def fit(entry: ManifestVariant, shown: str) -> int:
    """How well the squashed report text ``shown`` fits ``entry`` (0: not at all): the text's
    fit, plus the options' when the report lists them after it, as Moodle's summary of a
    choice question does (so look-alike variants that differ only in options are told apart)."""
    score = matches(entry.text, shown)
    if score and entry.choices:
        listed = matches([entry.text[-1], *entry.choices], shown[shown.rfind(entry.text[-1]) :])
        score += listed and sum(len(c) for c in entry.choices)
    return score


def matches(text: list[str], shown: str) -> int:
    """How well the report's question text ``shown`` (squashed) fits a fingerprint: 0 when it
    does not (it must start with the first piece and hold the others in order), else the
    letters matched, so that of two fingerprints where one extends the other the longer wins
    (a report may add text after the question: Moodle lists a choice question's options)."""
    if not text or not shown.startswith(text[0]):
        return 0
    at = len(text[0])
    for piece in text[1:]:
        found = shown.find(piece, at)
        if found < 0:
            return 0
        at = found + len(piece)
    return sum(len(piece) for piece in text)


# --- reading the exported file back ----------------------------------------------------------


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _canvas_items(data: bytes) -> dict[str, tuple[str, str, list[str]]]:
    """Item ident → (question type, question HTML, no options), from a Canvas export zip."""
    found = {}
    for name, content in package_from_zip(data).items():
        if not name.endswith(".xml") or b"<questestinterop" not in content[:500]:
            continue
        for item in etree.fromstring(content).iter("{*}item"):
            qtype = ""
            for field in item.iter("{*}qtimetadatafield"):
                if field.findtext("{*}fieldlabel") == "question_type":
                    qtype = field.findtext("{*}fieldentry") or ""
            text = next(item.iter("{*}mattext")).text or ""
            found[item.get("ident")] = (qtype, text, [])
    return found


def _moodle_questions(data: bytes) -> dict[str, tuple[str, str, list[str]]]:
    """Question name → (question type, question HTML, option texts), from Moodle XML."""
    root = etree.fromstring(data)
    return {
        q.findtext("name/text") or "": (
            q.get("type") or "",
            q.findtext("questiontext/text") or "",
            [a.findtext("text") or "" for a in q.findall("answer")]
            if q.get("type") == "multichoice"
            else [],
        )
        for q in root.findall("question")
        if q.get("type") != "category"
    }


def _shown_as(result: ExportResult) -> dict[str, tuple[str, str, list[str]]]:
    """Variant uid → (LMS question type, question HTML, options listed) in the file."""
    variants = [v for pool in result.pools for v in pool.variants]
    if result.format == "canvas":
        items = _canvas_items(result.data)
        return {v.uid: items[ident("i", v.uid)] for v in variants}
    questions = _moodle_questions(result.data)
    return {v.uid: questions[f"{v.question_id} {v.uid[:10]}"] for v in variants}


def build_manifest(result: ExportResult, title: str | None = None) -> Manifest:
    """The manifest of a Canvas or Moodle export, read from the file it wrote.

    Args:
        result: what :func:`quizgen.export.export` returned.
        title: the quiz title given to the export (default: read from the file).

    Raises:
        UsageError: the export is in another format (only Canvas and Moodle reports are read).
    """
    if result.format not in LMS_FORMATS:
        raise UsageError(
            f"a manifest is written for canvas and moodle exports only, not {result.format}"
        )
    shown = _shown_as(result)
    pools = [
        ManifestPool(
            bank_id=pool.bank_id,
            question_id=pool.question_id,
            title=pool.title,
            points=pool.points,
            variants=[
                ManifestVariant(
                    variant=v,
                    qtype=shown[v.uid][0],
                    text=fingerprint(shown[v.uid][1]),
                    choices=[squash(c, html_text=True) for c in shown[v.uid][2]],
                )
                for v in pool.variants
            ],
        )
        for pool in result.pools
    ]
    return Manifest(lms=result.format, title=title or _title(result), pools=pools)  # type: ignore[arg-type]


def _title(result: ExportResult) -> str:
    if result.format == "canvas":
        for name, content in package_from_zip(result.data).items():
            if name.endswith(".xml") and b"<questestinterop" in content[:500]:
                assessment = next(etree.fromstring(content).iter("{*}assessment"))
                return assessment.get("title") or ""
    root = etree.fromstring(result.data)
    first = root.find("question/category/text")
    return (first.text or "").split("/")[1] if first is not None and first.text else ""


def write_manifest(manifest: Manifest, path: Path) -> Path:
    """Write the manifest as JSON (atomically)."""
    write_text_atomic(Path(path), manifest.model_dump_json(indent=1) + "\n")
    return Path(path)


def read_manifest(path: Path) -> Manifest:
    """Read a manifest written by ``quizgen export --manifest``.

    Raises:
        UsageError: the file is missing or is not a quizgen export manifest (says why).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the manifest {path}: {exc.strerror or exc}") from None
    try:
        return Manifest.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(
            f"{path} is not a quizgen export manifest ({where}: {first['msg']})",
            hint="write one with `quizgen export … --to canvas|moodle --manifest FILE`",
        ) from None


def variants_of(manifest: Manifest) -> Sequence[tuple[ManifestPool, ManifestVariant]]:
    """Every (pool, variant) of the manifest, in export order."""
    return [(pool, v) for pool in manifest.pools for v in pool.variants]
