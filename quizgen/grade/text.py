"""Check short text answers and record essays for manual grading.

Two forms of a text serve the comparison. The **visible** form (steps 1–5) is what a bank
``regex`` sees and what :func:`normalize_text` returns:

1. Unicode NFKC (full-width letters, ligatures and compatibility forms become their plain
   equivalents; accents are kept: no transliteration, ``café`` never equals ``cafe``);
2. invisible format characters (zero-width spaces and joiners, soft hyphens, BOM) removed;
3. every run of whitespace becomes one space;
4. punctuation around the answer is removed (``"LSTM."`` → ``LSTM``), inner punctuation kept;
5. case folded (``str.casefold``) unless the key is ``case_sensitive``.

The **lenient** form (:func:`lenient_form`) is what answers, mistakes and responses are compared
by; on top of steps 1–5 it forgives what a teacher would not mark wrong:

6. dashes and slashes separate words (``short-term`` = ``short term``);
7. the articles *a*, *an*, *the* are dropped (``the forget gate`` = ``forget gate``);
8. each word loses a plural ending (``units`` = ``unit``, ``memories`` = ``memory``);
9. one trailing generic noun — :data:`GENERIC_NOUNS`: *network*, *net*, *cell*, *layer*,
   *unit*, *model* — is dropped (``Hopfield network`` = ``Hopfield``);
10. the words are joined without spaces (``Bi-RNN`` = ``BiRNN`` = ``bi RNN``).

Steps 7–9 never remove the last word. A response (or an accepted answer) written as a name with
its acronym in parentheses, ``gated recurrent unit (GRU)``, stands for both names when the
acronym is the initials of the name; otherwise both halves must be accepted.

A bank ``regex`` must match the whole visible form (``re.fullmatch``; steps 1–3) and ignores
case unless the key is case sensitive. A response longer than
:data:`~quizgen.grade.limits.MAX_TEXT_MATCH_CHARS` (200) characters is never handed to the
regex (and never matches it): a costly pattern only ever meets a short string. Cutting the
response instead would let its first 200 characters match a pattern the whole does not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from quizgen.grade.limits import MAX_TEXT_MATCH_CHARS
from quizgen.grade.verdict import Verdict
from quizgen.variant import EssayKey, TextKey

__all__ = ["GENERIC_NOUNS", "check_essay", "check_text", "lenient_form", "normalize_text"]

MANUAL = "needs manual grading"
ARTICLES = frozenset({"a", "an", "the"})
# Nouns that name the kind of thing rather than the thing: "an echo state network" and "an
# echo state" are the same answer. Only a trailing one is dropped, and never the last word.
GENERIC_NOUNS = frozenset({"network", "net", "cell", "layer", "unit", "model"})
# A name followed by one parenthesised word: "gated recurrent unit (GRU)".
_PARENTHESISED = re.compile(r"^(?P<name>[^()]+?)\s*\((?P<inner>[^()]+)\)$")
_SEPARATORS = re.compile(r"[/\u2044\u2215]")


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
    """The visible form of a text answer (module docstring, steps 1–5).

    Examples: ``normalize_text("  Long  Short-Term Memory. ")`` is
    ``"long short-term memory"``; ``normalize_text("ＬＳＴＭ")`` is ``"lstm"``.
    """
    text = _strip_punctuation(_visible(text))
    return text if case_sensitive else text.casefold()


def _singular(word: str) -> str:
    """The word without a regular English plural ending (both sides get the same rule)."""
    lower = word.casefold()
    if len(word) < 4 or lower.endswith(("ss", "us", "is")) or not lower.endswith("s"):
        return word
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + ("Y" if word[-3].isupper() else "y")
    if lower.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1]


def _words(text: str, case_sensitive: bool) -> list[str]:
    """Steps 1–8: the words of the visible form, dashes split, articles and plurals gone."""
    text = normalize_text(text, case_sensitive)
    text = _SEPARATORS.sub(" ", text)
    text = "".join(" " if unicodedata.category(ch) == "Pd" else ch for ch in text)
    words = [_strip_punctuation(w) for w in text.split()]
    words = [w for w in words if w]
    kept = [w for w in words if w.casefold() not in ARTICLES]
    return [_singular(w) for w in (kept or words)]


def lenient_form(text: str, case_sensitive: bool = False) -> str:
    """The form answers are compared by (module docstring, steps 1–10).

    Examples: ``lenient_form("The Gated Recurrent Units")`` and
    ``lenient_form("gated-recurrent unit")`` are both ``"gatedrecurrent"``;
    ``lenient_form("Bi-RNN")`` is ``"birnn"``.
    """
    words = _words(text, case_sensitive)
    if len(words) > 1 and words[-1].casefold() in GENERIC_NOUNS:
        words = words[:-1]
    return "".join(words)


def _initials(text: str, case_sensitive: bool) -> str:
    return "".join(w[0] for w in _words(text, case_sensitive))


def _is_acronym(inner: str, name: str, case_sensitive: bool) -> bool:
    """Whether ``inner`` is the initials of ``name`` ("GRU" of "gated recurrent unit")."""
    acronym = lenient_form(inner, case_sensitive)
    if len(_words(inner, case_sensitive)) != 1 or len(acronym) < 2:
        return False
    initials = _initials(name, case_sensitive)
    # An acronym may skip the trailing generic noun: "ESN" of "echo state network" has it,
    # "RNN" of "recurrent neural network" too; "LSTM" of "long short-term memory (cell)".
    candidates = {initials, initials[:-1]} if len(initials) > 2 else {initials}
    if not case_sensitive:
        return acronym.casefold() in {c.casefold() for c in candidates}
    return acronym in candidates


def _halves(text: str, case_sensitive: bool) -> tuple[str, str, bool] | None:
    """(name, parenthesised word, whether one is the acronym of the other), or None."""
    match = _PARENTHESISED.match(_visible(text).strip(" .!?;:,"))
    if match is None:
        return None
    name, inner = match["name"], match["inner"]
    return name, inner, _is_acronym(inner, name, case_sensitive)


def _forms(texts: Iterable[str], case_sensitive: bool) -> frozenset[str]:
    """Lenient forms an accepted answer (or mistake) stands for, both names of ``X (Y)`` too."""
    forms = set()
    for text in texts:
        forms.add(lenient_form(text, case_sensitive))
        halves = _halves(text, case_sensitive)
        if halves is not None and halves[2]:
            forms.update(lenient_form(h, case_sensitive) for h in halves[:2])
    return frozenset(forms)


def _matches(forms: frozenset[str], response: str, case_sensitive: bool) -> bool:
    if lenient_form(response, case_sensitive) in forms:
        return True
    halves = _halves(response, case_sensitive)
    if halves is None:
        return False
    name, inner, acronym = halves
    hits = [lenient_form(h, case_sensitive) in forms for h in (name, inner)]
    # "gated recurrent unit (GRU)" names one thing twice; "LSTM (GRU)" names two.
    return any(hits) if acronym else all(hits)


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
    answer = response[: MAX_TEXT_MATCH_CHARS * 2]
    cased = key.case_sensitive
    if _matches(_forms(key.answers, cased), answer, cased):
        return Verdict(status="correct", score=1, feedback="Correct.", method="text")
    if _matches_regex(key, response):
        return Verdict(status="correct", score=1, feedback="Correct.", method="regex")
    for i, mistake in enumerate(key.mistakes):
        if _matches(_forms([mistake.answer], cased), answer, cased):
            return Verdict(
                status="incorrect", score=0, feedback=mistake.feedback, method="mistake", mistake=i
            )
    return Verdict(status="incorrect", score=0, feedback="Incorrect.", method="text")


def check_essay(key: EssayKey, response: str) -> Verdict:
    """Record an essay: status ``manual``, score 0, the rubric for the grader."""
    feedback = MANUAL + (f"\nRubric: {key.rubric}" if key.rubric.strip() else "")
    return Verdict(status="manual", score=0, feedback=feedback, method="manual")
