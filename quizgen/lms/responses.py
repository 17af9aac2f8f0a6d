"""An LMS's response text, as the report shows it, turned into what quizgen's checkers take.

Each report writes a response as text in its own way: Canvas joins the options picked and the
blanks filled with ``,`` (a comma inside one escaped ``\\,``); Moodle joins the options picked
with ``; `` and a Cloze question's sub-questions as ``part 1: …; part 2: …``; both show an
option by its text, which is matched back to its label here. Typed answers (numbers,
expressions, text) are passed on exactly as typed: judging them is the checkers' job.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from quizgen.export.text import lms_html
from quizgen.grade.checkers import Response
from quizgen.lms.manifest import ManifestVariant, squash
from quizgen.variant import AnswerKey, ChoiceKey, PartVariant, TrueFalseKey

__all__ = ["Parsed", "split_canvas", "to_responses"]

#: A question's responses: one response, or part id → response for a multipart question.
Parsed = Response | dict[str, Response]

_MOODLE_PART = re.compile(r"(?:^|; )part ([0-9]+): ")


def split_canvas(text: str) -> list[str]:
    """Split a Canvas cell at its unescaped commas; ``\\,`` is a comma inside one value."""
    values, current, i = [], [], 0
    while i < len(text):
        if text.startswith("\\,", i):
            current.append(",")
            i += 2
        elif text[i] == ",":
            values.append("".join(current))
            current = []
            i += 1
        else:
            current.append(text[i])
            i += 1
    values.append("".join(current))
    return values


def _option_text(text: str) -> str:
    """An option as the LMS shows it, squashed: the exported HTML of its Markdown."""
    return squash(lms_html(text, inline=True), html_text=True)


def _label(key: ChoiceKey, shown: str) -> str:
    """The label of the option whose text is ``shown``; else ``shown`` (the checker then
    says it is not one of the options)."""
    wanted = squash(shown)
    found = next((o for o in key.options if _option_text(o.text) == wanted), None)
    return found.label if found is not None else shown


def _moodle_picks(key: ChoiceKey, text: str) -> list[str]:
    """Labels of the options in Moodle's ``A; B`` (an option's text may itself hold ``; ``)."""
    tokens, labels, start = text.split("; "), [], 0
    while start < len(tokens):
        for end in range(len(tokens), start, -1):
            label = _label(key, "; ".join(tokens[start:end]))
            if label != "; ".join(tokens[start:end]) or end == start + 1:
                labels.append(label)
                start = end
                break
    return labels


def _single(key: AnswerKey, text: str, lms: str) -> Response:
    if isinstance(key, TrueFalseKey):
        return text.strip().lower()
    if isinstance(key, ChoiceKey):
        if key.kind == "choice":
            return _label(key, text)
        if not text.strip():
            return []
        if lms == "canvas":
            return [_label(key, t) for t in split_canvas(text)]
        return _moodle_picks(key, text)
    return text


def _essay_parts(parts: Sequence[PartVariant], text: str) -> dict[str, Response]:
    """One essay answering every part, split at ``(a)`` or ``a:`` markers naming the parts
    in order; when they are not all found in order, every part gets the whole text."""
    names = "|".join(re.escape(p.id) for p in parts)
    marker = re.compile(rf"(?:^|(?<=\s))(?:\(({names})\)|({names}):)\s*", re.M)
    found = [(m.group(1) or m.group(2), m.start(), m.end()) for m in marker.finditer(text)]
    if [f[0] for f in found] != [p.id for p in parts]:
        return {p.id: text for p in parts}
    ends = [start for _, start, _ in found[1:]] + [len(text)]
    return {pid: text[end:stop].strip() for (pid, _, end), stop in zip(found, ends, strict=True)}


def _dropdowns(parts: Sequence[PartVariant], tokens: list[str]) -> dict[str, Response]:
    """Canvas lists the options chosen in order, leaving out a dropdown left empty: give each
    token to the next part that has it as an option."""
    out: dict[str, Response] = {p.id: None for p in parts}
    queue = list(tokens)
    for part in parts:
        if not queue:
            break
        key = part.answer
        shown = squash(queue[0])
        if isinstance(key, TrueFalseKey) and shown in ("true", "false"):
            out[part.id] = queue.pop(0).strip().lower()
        elif isinstance(key, ChoiceKey) and any(_option_text(o.text) == shown for o in key.options):
            out[part.id] = _label(key, queue.pop(0))
    return out


def _cloze(parts: Sequence[PartVariant], text: str) -> dict[str, Response]:
    found = list(_MOODLE_PART.finditer(text))
    out: dict[str, Response] = {p.id: None for p in parts}
    for match, following in zip(found, [*found[1:], None], strict=True):
        number = int(match.group(1))
        end = following.start() if following is not None else len(text)
        if 1 <= number <= len(parts):
            part = parts[number - 1]
            out[part.id] = _single(part.answer, text[match.end() : end], "moodle")
    return out


def to_responses(entry: ManifestVariant, lms: str, text: str) -> Parsed:
    """The response(s) quizgen grades, from the report's text for this variant."""
    variant = entry.variant
    if variant.answer is not None:
        return _single(variant.answer, text, lms)
    parts = variant.parts
    if entry.qtype in ("essay_question", "essay"):
        return _essay_parts(parts, text)
    if entry.qtype == "cloze":
        return _cloze(parts, text)
    tokens = split_canvas(text) if text else []
    if entry.qtype == "multiple_dropdowns_question":
        return _dropdowns(parts, tokens)
    tokens += [""] * (len(parts) - len(tokens))
    return {p.id: tok for p, tok in zip(parts, tokens, strict=False)}
