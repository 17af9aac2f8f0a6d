"""Check short text answers and record essays for manual grading.

Normalization, applied alike to the response, the accepted answers and the mistakes:

1. Unicode NFKC (full-width letters, ligatures and compatibility forms become their plain
   equivalents; accents are kept: no transliteration, ``café`` never equals ``cafe``);
2. invisible format characters (zero-width spaces and joiners, soft hyphens, BOM) removed;
3. every run of whitespace becomes one space;
4. punctuation around the answer is removed (``"LSTM."`` → ``LSTM``), inner punctuation kept;
5. case folded (``str.casefold``) unless the key is ``case_sensitive``.

A bank ``regex`` must match the whole response (``re.fullmatch``) after steps 1–3; it ignores
case unless the key is case sensitive. A response longer than
:data:`~quizgen.grade.limits.MAX_TEXT_MATCH_CHARS` (200) characters is never handed to the
regex (and never matches it): a costly pattern only ever meets a short string. Cutting the
response instead would let its first 200 characters match a pattern the whole does not.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from quizgen.grade.limits import MAX_TEXT_MATCH_CHARS
from quizgen.grade.verdict import Verdict
from quizgen.variant import EssayKey, TextKey

__all__ = ["check_essay", "check_text", "normalize_text"]

MANUAL = "needs manual grading"


def _strip_punctuation(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_edge(text[start]):
        start += 1
    while end > start and _is_edge(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_edge(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def _visible(text: str) -> str:
    """Steps 1–3: NFKC, format characters removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def normalize_text(text: str, case_sensitive: bool = False) -> str:
    """The normalized form of a text answer (module docstring, steps 1–5).

    Examples: ``normalize_text("  Long  Short-Term Memory. ")`` is
    ``"long short-term memory"``; ``normalize_text("ＬＳＴＭ")`` is ``"lstm"``.
    """
    text = _strip_punctuation(_visible(text))
    return text if case_sensitive else text.casefold()


@lru_cache(maxsize=256)
def _pattern(regex: str, case_sensitive: bool) -> re.Pattern[str]:
    return re.compile(regex, 0 if case_sensitive else re.IGNORECASE)


def _matches_regex(key: TextKey, response: str) -> bool:
    if key.regex is None:
        return False
    subject = _visible(response[: MAX_TEXT_MATCH_CHARS * 2])
    if len(subject) > MAX_TEXT_MATCH_CHARS:
        return False  # cutting it would let a prefix match; no short answer is this long
    return _pattern(key.regex, key.case_sensitive).fullmatch(subject) is not None


def check_text(key: TextKey, response: str) -> Verdict:
    """Grade a short text answer: an accepted answer, the regex, or a known mistake."""
    answer = normalize_text(response[: MAX_TEXT_MATCH_CHARS * 2], key.case_sensitive)
    accepted = {normalize_text(a, key.case_sensitive) for a in key.answers}
    if answer in accepted:
        return Verdict(status="correct", score=1, feedback="Correct.", method="text")
    if _matches_regex(key, response):
        return Verdict(status="correct", score=1, feedback="Correct.", method="regex")
    for i, mistake in enumerate(key.mistakes):
        if normalize_text(mistake.answer, key.case_sensitive) == answer:
            return Verdict(
                status="incorrect", score=0, feedback=mistake.feedback, method="mistake", mistake=i
            )
    return Verdict(status="incorrect", score=0, feedback="Incorrect.", method="text")


def check_essay(key: EssayKey, response: str) -> Verdict:
    """Record an essay: status ``manual``, score 0, the rubric for the grader."""
    feedback = MANUAL + (f"\nRubric: {key.rubric}" if key.rubric.strip() else "")
    return Verdict(status="manual", score=0, feedback=feedback, method="manual")
