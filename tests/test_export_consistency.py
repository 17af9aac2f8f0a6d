"""Consistency: the scoring rules *inside* each exported file agree with quizgen's key.

No LMS tool checks this. For every exported numeric, choice, multi, true/false and text item,
the exported rules are read back (Canvas ``respcondition``s, Moodle fractions and tolerances,
GIFT weights and ranges, QTI 2.1 response processing) and evaluated by small interpreters
written here: the variant's correct answer must earn full marks, and each declared mistake
must not (unless quizgen's own grader accepts it as within tolerance).

The oracle for numbers is quizgen's grader, never the exporter: the edges of the values the
grader accepts are found by asking it (bisection on :func:`~quizgen.grade.numeric.accepted_by`),
and typed values just inside and just outside them must score as the grader scores them.
"""

from __future__ import annotations

import itertools
from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    localcontext,
)
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from quizgen.bank.model import load_bank
from quizgen.export import EXPORTERS
from quizgen.export.answers import moodle_weights
from quizgen.export.base import (
    ExportOptions,
    ExportResult,
    Pool,
    build_pools,
    ident,
    run_export,
)
from quizgen.export.text import lms_html
from quizgen.export.validate import gift_parser_problem, package_from_zip, parse_cloze, parse_gift
from quizgen.grade.checkers import check_response
from quizgen.grade.choice import multi_score
from quizgen.grade.numeric import accepted_by, exact_target
from quizgen.variant import ChoiceKey, NumericKey, TextKey, TrueFalseKey, Variant

ROOT = Path(__file__).resolve().parent.parent
BANK_FILES = [
    *sorted((ROOT / "banks").glob("*.yaml")),
    ROOT / "tests" / "data" / "export-bank.yaml",
]
FULL = 100.0
EPS = 1e-6


@pytest.fixture(scope="module")
def pools() -> list[Pool]:
    banks = [load_bank(p) for p in BANK_FILES]
    found, _ = build_pools(banks, "consistency", 6)
    return found


def _export(fmt: str, pools: list[Pool]) -> bytes:
    return _export_result(fmt, pools).data


def _export_result(fmt: str, pools: list[Pool]) -> ExportResult:
    options = ExportOptions(title="Consistency", seed="consistency", variants=6)
    return run_export(EXPORTERS[fmt], pools, options)


def _variants(pools: list[Pool]) -> list[Variant]:
    return [v for p in pools for v in p.variants]


# --- the grader as the oracle for numbers -------------------------------------------------------

TYPED_DIGITS = 25  # significant digits of the values typed into the LMS interpreters
BISECTIONS = 64


def _typed(q: Fraction) -> str:
    """``q`` as a student could type it: a plain decimal of at most 25 significant digits."""
    with localcontext() as ctx:
        ctx.prec = TYPED_DIGITS
        text = format(Decimal(q.numerator) / Decimal(q.denominator), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _grader_accepts(key: NumericKey, text: str) -> bool:
    """quizgen's grader takes the value typed as ``text`` as the right answer (any tolerance
    rule; the figures written do not matter to an LMS)."""
    try:
        value = Fraction(text)
    except ValueError:
        return False
    return accepted_by(value, exact_target(key.value), key) is not None


_REACH: dict[tuple[Any, ...], tuple[Fraction, Fraction]] = {}


def _grader_reach(key: NumericKey) -> tuple[Fraction, Fraction]:
    """How far below and above the key's value the grader's accepted values reach."""
    cache_key = (key.value, key.tolerance, key.require_sigfigs)
    if cache_key not in _REACH:
        _REACH[cache_key] = (_reach(key, -1), _reach(key, 1))
    return _REACH[cache_key]


def _reach(key: NumericKey, sign: int) -> Fraction:
    """The largest distance ``d`` (to 2^-64 relative) with ``target + sign·d`` accepted."""
    target = exact_target(key.value)
    scale = abs(target) or Fraction(1)

    def accepts(d: Fraction) -> bool:
        return accepted_by(target + sign * d, target, key) is not None

    low, high = Fraction(0), scale / 10**30
    while accepts(high):
        low, high = high, high * 10
        assert high < scale * 10**30, f"the grader accepts anything for {key.value}"
    if low == 0:
        return Fraction(0)  # exact: nothing but the value itself
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        low, high = (middle, high) if accepts(middle) else (low, middle)
    return low


def _probes(key: NumericKey) -> list[str]:
    """Typed values on both sides of each edge of the grader's accepted values, and the key's
    value itself when it has a short exact decimal form (else no LMS can hold it exactly)."""
    target = exact_target(key.value)
    probes = [_typed(target)] if Fraction(_typed(target)) == target else []
    for sign, reach in zip((-1, 1), _grader_reach(key), strict=True):
        if reach == 0:
            offsets = [(abs(target) or Fraction(1)) / 10**6]
        else:
            offsets = [reach / 2, reach * Fraction(99, 100), reach * Fraction(101, 100), reach * 2]
        probes.extend(_typed(target + sign * offset) for offset in offsets)
    return probes


def _local(el: Any) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _find(el: Any, name: str) -> list[Any]:
    return [e for e in el.iter() if _local(e) == name]


# --- Canvas (QTI 1.2) ------------------------------------------------------------------------


def _canvas_items(data: bytes) -> dict[str, Any]:
    files = package_from_zip(data)
    name = next(n for n in files if n.endswith(".xml") and b"<questestinterop" in files[n][:500])
    root = etree.fromstring(files[name])
    return {item.get("ident"): item for item in _find(root, "item")}


class CanvasItem:
    """Evaluates a Canvas item's ``resprocessing`` for a response, as QTI 1.2 defines it."""

    def __init__(self, item: Any) -> None:
        self.item = item
        self.kinds = {}
        for r in _find(item, "response_lid"):
            labels = {
                lab.get("ident"): "".join(_find(lab, "mattext")[0].itertext())
                for lab in _find(r, "response_label")
            }
            self.kinds[r.get("ident")] = ("lid", labels)
        for r in _find(item, "response_str"):
            fib = _find(r, "render_fib")[0].get("fibtype", "")
            self.kinds[r.get("ident")] = ("str", fib)

    def label(self, rid: str, html: str) -> str:
        labels = self.kinds[rid][1]
        return next(ident for ident, text in labels.items() if text == html)

    def score(self, responses: dict[str, Any]) -> float:
        score = 0.0
        for rc in _find(self.item, "respcondition"):
            cv = _find(rc, "conditionvar")[0]
            if self._holds_all(list(cv), responses):
                for sv in _find(rc, "setvar"):
                    value = float(sv.text)
                    score = value if sv.get("action") == "Set" else score + value
                if rc.get("continue", "No") == "No":
                    break
        return score

    def canvas_multi_score(self, picked: set[str]) -> float:
        """Canvas's own score of a multiple-answers item (``multiple_answers_question.rb``).

        Canvas imports the options named in the full-marks ``<and>`` (not under ``<not>``) as
        its correct answers (weight 100), ignores the rest of the response processing, and
        scores (right − wrong)/correct, floored at 0 (partial credit is on by default).
        """
        full = next(
            rc
            for rc in _find(self.item, "respcondition")
            if any(sv.get("action") == "Set" and sv.text == "100" for sv in _find(rc, "setvar"))
        )
        negated = {eq.text for n in _find(full, "not") for eq in _find(n, "varequal")}
        correct = {eq.text for eq in _find(full, "varequal")} - negated
        right, wrong = len(picked & correct), len(picked - correct)
        return FULL * max(0.0, (right - wrong) / max(1, len(correct)))

    def _holds_all(self, conds: list[Any], responses: dict[str, Any]) -> bool:
        # Canvas reads sibling <varequal>s as alternatives (short answers), else all must hold.
        if conds and all(_local(c) == "varequal" for c in conds):
            return any(self._holds(c, responses) for c in conds)
        return all(self._holds(c, responses) for c in conds)

    def _holds(self, c: Any, responses: dict[str, Any]) -> bool:
        tag = _local(c)
        if tag == "other":
            return True
        if tag in ("and", "or", "not"):
            results = [self._holds(child, responses) for child in c]
            return {"and": all, "or": any}.get(tag, lambda r: not r[0])(results)
        rid = c.get("respident")
        kind, detail = self.kinds[rid]
        given = responses.get(rid)
        if given is None:
            return False
        if kind == "lid":
            return tag == "varequal" and c.text in given
        if detail == "Decimal":
            x, v = Fraction(given), Fraction(c.text)
            return {"varequal": x == v, "vargte": x >= v, "varlte": x <= v, "vargt": x > v,
                    "varlt": x < v}[tag]  # fmt: skip
        # Canvas's short answer (short_answer_question.rb): strip.downcase on both sides.
        return tag == "varequal" and given.strip().lower() == (c.text or "").strip().lower()


def test_canvas_scoring_rules_match_the_keys(pools: list[Pool]) -> None:
    result = _export_result("canvas", pools)
    items = _canvas_items(result.data)
    warned = {w.question for w in result.warnings if "(right − wrong)/correct" in w.message}
    checked = 0
    for variant in _variants(pools):
        item = CanvasItem(items[ident("i", variant.uid)])
        key = variant.answer
        if isinstance(key, NumericKey):
            _check_numeric(key, lambda x, item=item: item.score({"response1": x}))
        elif isinstance(key, ChoiceKey) and key.kind == "multi":

            def picks(opts, item=item):
                labels = {item.label("response1", lms_html(o.text, inline=True)) for o in opts}
                return item.canvas_multi_score(labels)

            _check_choice(key, picks)
            differs = _differs_from_quizgen(key, picks)
            assert differs == (f"{variant.bank_id}/{variant.question_id}" in warned), (
                f"{variant.question_id} ({key.scoring}): Canvas's rule "
                f"{'differs' if differs else 'agrees'}, but the export "
                f"{'does not warn' if differs else 'warns'}"
            )
        elif isinstance(key, ChoiceKey):

            def pick(opts, item=item):
                labels = {item.label("response1", lms_html(o.text, inline=True)) for o in opts}
                return item.score({"response1": labels})

            _check_choice(key, pick, exact_match=True)
        elif isinstance(key, TrueFalseKey):
            right, wrong = ("True", "False") if key.answer else ("False", "True")
            assert item.score({"response1": {item.label("response1", right)}}) == FULL
            assert item.score({"response1": {item.label("response1", wrong)}}) < FULL
        elif isinstance(key, TextKey) and key.answers:
            _check_text(key, lambda x, item=item: item.score({"response1": x}))
        elif key is None and item.kinds and all(k == "lid" for k, _ in item.kinds.values()):
            assert item.score(_canvas_part_answers(item, variant)) == pytest.approx(FULL)
        else:
            continue
        checked += 1
    assert checked > 100


def _canvas_part_answers(item: CanvasItem, variant: Variant) -> dict[str, Any]:
    """The correct pick for every dropdown or blank of a multipart item."""
    answers = {}
    for part in variant.parts:
        rid = f"response_{part.id}"
        labels = item.kinds[rid][1]
        key = part.answer
        if isinstance(key, ChoiceKey):
            wanted = {lms_html(o.text, inline=True) for o in key.options if o.correct}
            wanted |= {o.label for o in key.options if o.correct}
        elif isinstance(key, TrueFalseKey):
            wanted = {"True", "true"} if key.answer else {"False", "false"}
        elif isinstance(key, NumericKey):
            answers[rid] = {i for i, text in labels.items() if _grader_accepts(key, text)}
            continue
        else:
            wanted = set(key.answers)
        answers[rid] = {i for i, text in labels.items() if text in wanted}
    return answers


# --- Canvas blanks: text compared as Canvas compares it ----------------------------------------

SHORTENINGS = (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN, ROUND_UP)


def _shortened(q: Fraction, figures: int, rounding: str) -> str:
    """``q`` written with ``figures`` significant figures, as a student shortens it."""
    with localcontext() as ctx:
        ctx.prec = 100
        exact = Decimal(q.numerator) / Decimal(q.denominator)
        if exact == 0:
            return "0"
        quantum = Decimal(1).scaleb(exact.adjusted() - figures + 1)
        return format(exact.quantize(quantum, rounding), "f")


def _typed_values(q: Fraction, padded: bool = True) -> set[str]:
    """What students type for ``q``: 1-8 significant figures, rounded or cut, as decimals.

    ``padded=False`` leaves out the forms longer than ``q``'s own digits (``768.0`` for 768):
    for an exact answer a student types the value, not zeros after it.
    """
    typed = {_shortened(q, n, mode) for n in range(1, 9) for mode in SHORTENINGS[:3]}
    return typed if padded else {t for t in typed if Fraction(t) != q or t == _typed(q)}


def _grader_score(key: NumericKey, typed: str) -> float:
    """quizgen's grader on the text as typed (the oracle)."""
    return check_response(key, typed).score


def canvas_blank_accepts(answers: list[str], response: str) -> bool:
    """Canvas's fill-in-multiple-blanks rule (``fill_in_multiple_blanks_question.rb``): one of
    the blank's answers equals the response after ``strip.downcase`` on both."""
    given = response.strip().lower()
    return any(a.strip().lower() == given for a in answers)


def test_canvas_numeric_blanks_score_like_the_grader(pools: list[Pool]) -> None:
    """Regression (issue 15): a toleranced blank accepted only the key's 15-figure value.

    Canvas compares a blank's text, so the natively scored answers are those a student types:
    the key's value rounded or cut to 1-8 significant figures. Each of them scores full marks in
    Canvas exactly when quizgen's grader gives it full marks; no typed value at the edges of the
    tolerance, nor a declared mistake, scores in Canvas where the grader refuses it. Values
    inside the tolerance that are not a shortening of the key's value (0.15397 for 0.154465 ±
    0.0005) score 0 in Canvas: those go through `quizgen grade-lms`, counted here.
    """
    items = _canvas_items(_export("canvas", pools))
    blanks = disagreements = round_trip = 0
    for variant in _variants(pools):
        item = items[ident("i", variant.uid)]
        if item_type(item) != "fill_in_multiple_blanks_question":
            continue
        labels = CanvasItem(item).kinds
        for part in variant.parts:
            key = part.answer
            if not isinstance(key, NumericKey):
                continue
            blanks += 1
            answers = list(labels[f"response_{part.id}"][1].values())
            target = exact_target(key.value)
            padded = _grader_reach(key) != (0, 0)
            for typed in _typed_values(target, padded) | {key.display}:
                canvas = canvas_blank_accepts(answers, typed)
                disagreements += canvas != (_grader_score(key, typed) == 1.0)
            edges = [Fraction(p) for p in _probes(key)]
            edges += [exact_target(m.value) for m in key.mistakes]
            for typed in {t for q in edges for t in _typed_values(q, padded)} | {*_probes(key)}:
                canvas, grader = canvas_blank_accepts(answers, typed), _grader_score(key, typed)
                disagreements += canvas and grader < 1.0
                round_trip += grader == 1.0 and not canvas
    assert blanks > 50
    assert disagreements == 0
    assert round_trip > 0  # in-tolerance values that only the round trip scores


def test_canvas_multipart_weights_match_or_warn(pools: list[Pool]) -> None:
    """Canvas scores a blanks or dropdowns question as (blanks right)/(blanks), whatever the
    parts' points: where that differs from quizgen's points, the export must say so."""
    result = _export_result("canvas", pools)
    items = _canvas_items(result.data)
    warned = {w.question for w in result.warnings if "weighs every blank" in w.message}
    checked = 0
    for variant in _variants(pools):
        item = items[ident("i", variant.uid)]
        if item_type(item) not in (
            "fill_in_multiple_blanks_question",
            "multiple_dropdowns_question",
        ):
            continue
        total = sum(p.points for p in variant.parts)
        canvas = [FULL / len(variant.parts) for _ in variant.parts]  # one part right, alone
        quizgen = [FULL * p.points / total for p in variant.parts]
        differs = canvas != pytest.approx(quizgen)
        assert differs == (f"{variant.bank_id}/{variant.question_id}" in warned)
        checked += 1
    assert checked > 20 and warned


def item_type(item: Any) -> str:
    """An item's Canvas question type, from its ``qtimetadata``."""
    for field in _find(item, "qtimetadatafield"):
        if field.findtext("{*}fieldlabel") == "question_type":
            return field.findtext("{*}fieldentry") or ""
    return ""


# --- shared checks ---------------------------------------------------------------------------


def _check_numeric(key: NumericKey, score: Any, full: float = FULL) -> None:
    """Every probe scores full marks in the LMS exactly when quizgen's grader accepts it."""
    for typed in _probes(key):
        expected = _grader_accepts(key, typed)
        got = score(typed) >= full - EPS
        assert got == expected, (
            f"{typed} for the key {key.value} ({key.tolerance}): the grader "
            f"{'accepts' if expected else 'refuses'} it, the LMS {'does' if got else 'does not'}"
        )
    for mistake in key.mistakes:
        typed = _typed(exact_target(mistake.value))
        if not _grader_accepts(key, typed):
            assert score(typed) < full - EPS, f"mistake {mistake.value} must not earn full marks"


def _check_choice(
    key: ChoiceKey, pick: Any, *, exact_match: bool = False, full: float = FULL
) -> None:
    right = [o for o in key.options if o.correct]
    assert pick(right) == pytest.approx(full), "the correct options must earn full marks"
    for wrong in (o for o in key.options if not o.correct):
        chosen = [wrong] if key.kind == "choice" else [*right, wrong]
        assert pick(chosen) < full - EPS, f"adding {wrong.text!r} must cost marks"
    if key.kind == "multi" and (exact_match or key.scoring == "all-or-nothing") and len(right) > 1:
        assert pick(right[1:]) < full - EPS


def _check_text(key: TextKey, score: Any, full: float = FULL) -> None:
    for answer in key.answers:
        assert score(answer) == pytest.approx(full)
    for mistake in key.mistakes:
        if mistake.answer.casefold() not in {a.casefold() for a in key.answers}:
            assert score(mistake.answer) < full - EPS


# --- Moodle XML ------------------------------------------------------------------------------


def _moodle_questions(data: bytes) -> dict[str, Any]:
    root = etree.fromstring(data)
    return {
        q.findtext("idnumber"): q for q in root.findall("question") if q.get("type") != "category"
    }


def _moodle_answers(question: Any) -> list[tuple[float, str, str | None]]:
    return [
        (float(a.get("fraction")), a.findtext("text"), a.findtext("tolerance"))
        for a in question.findall("answer")
    ]


MOODLE_EPSILON = 10.0**-14  # PHP's default precision (14): Moodle widens every tolerance by it


def _moodle_numeric(answers: list[tuple[float, str, str | None]], x: str) -> float:
    """Moodle's numerical grading (``qtype_numerical_answer::within_tolerance``, nominal
    tolerance): the first answer with ``min <= x <= max`` in PHP floats, where the window is
    the answer ± (|tolerance| + 10^-14) (MDL-3225)."""
    for fraction, value, tolerance in answers:
        margin = abs(float(tolerance or "0")) + MOODLE_EPSILON
        if float(value) - margin <= float(x) <= float(value) + margin:
            return fraction
    return 0.0


def _moodle_multi(answers: list[tuple[float, str, str | None]], picked: set[str]) -> float:
    total = sum(f for f, text, _ in answers if text in picked)
    return min(FULL, max(0.0, total))


def test_moodle_scoring_rules_match_the_keys(pools: list[Pool]) -> None:
    questions = _moodle_questions(_export("moodle", pools))
    checked = 0
    for variant in _variants(pools):
        q = questions[variant.uid]
        answers = _moodle_answers(q)
        key = variant.answer
        if isinstance(key, NumericKey):
            assert q.get("type") == "numerical"
            _check_numeric(key, lambda x, a=answers: _moodle_numeric(a, x))
        elif isinstance(key, ChoiceKey):

            def pick(opts, a=answers):
                return _moodle_multi(a, {lms_html(o.text, inline=True) for o in opts})

            _check_choice(key, _full_if_moodle_right(pick))
            if key.kind == "multi" and key.scoring == "right-minus-wrong":
                _same_as_quizgen(key, pick)
        elif isinstance(key, TrueFalseKey):
            right = "true" if key.answer else "false"
            assert {t: f for f, t, _ in answers}[right] == FULL
        elif isinstance(key, TextKey) and key.answers:
            _check_text(
                key,
                lambda x, a=answers: max(
                    (f for f, t, _ in a if t.casefold() == x.casefold()), default=0
                ),
            )
        elif key is None and q.get("type") == "cloze":
            _check_cloze(variant, q.findtext("questiontext/text"))
        else:
            continue
        checked += 1
    assert checked > 100


def _full_if_moodle_right(pick: Any) -> Any:
    """Moodle counts a response as right at 99.99999 % (its thirds are 33.33333)."""
    return lambda opts: FULL if pick(opts) >= FULL - 1e-4 else pick(opts)


def _differs_from_quizgen(key: ChoiceKey, pick: Any) -> bool:
    """Some subset of the options scores differently from quizgen's rule."""
    return any(
        abs(pick(chosen) - multi_score(key, list(chosen)) * FULL) > 1e-3
        for r in range(len(key.options) + 1)
        for chosen in itertools.combinations(key.options, r)
    )


def _same_as_quizgen(key: ChoiceKey, pick: Any) -> None:
    """When Moodle's weights are exact, every subset scores as quizgen scores it."""
    for r in range(len(key.options) + 1):
        for chosen in itertools.combinations(key.options, r):
            expected = multi_score(key, list(chosen)) * FULL
            assert pick(chosen) == pytest.approx(expected, abs=1e-3)


def _check_cloze(variant: Variant, text: str) -> None:
    parts, problems = parse_cloze(text)
    assert not problems
    assert len(parts) == len(variant.parts)
    for part, cloze in zip(variant.parts, parts, strict=True):
        key = part.answer
        if isinstance(key, NumericKey):
            answers = [(float(a.fraction), *a.text.split(":")) for a in cloze.answers]
            _check_numeric(key, lambda x, a=answers: _moodle_numeric(a, x))
        elif isinstance(key, ChoiceKey) and key.kind == "choice":
            best = max(cloze.answers, key=lambda a: a.fraction)
            assert _unescape(best.text) == lms_html(
                next(o for o in key.options if o.correct).text, inline=True
            )
        elif isinstance(key, TrueFalseKey):
            best = max(cloze.answers, key=lambda a: a.fraction)
            assert best.text == ("True" if key.answer else "False")
        elif isinstance(key, ChoiceKey):  # MULTIRESPONSE: Moodle adds the picked fractions

            def pick(opts, cloze=cloze):
                shown = {lms_html(o.text, inline=True) for o in opts}
                total = sum(float(a.fraction) for a in cloze.answers if _unescape(a.text) in shown)
                return min(FULL, max(0.0, total))

            _check_choice(key, _full_if_moodle_right(pick))
            if key.scoring == "right-minus-wrong" and moodle_weights(key).exact:
                _same_as_quizgen(key, pick)
        elif isinstance(key, TextKey) and key.answers:

            def said(x, cloze=cloze, case=key.case_sensitive):
                same = (lambda a: a == x) if case else (lambda a: a.casefold() == x.casefold())
                hits = [float(a.fraction) for a in cloze.answers if same(_unescape(a.text))]
                return max(hits, default=0.0)

            _check_text(key, said)
    # Moodle's multianswer scores sum(weight · part score) / sum(weight): the weights must
    # be in the ratio of the parts' points.
    total_points = sum(p.points for p in variant.parts)
    total_weight = sum(c.weight for c in parts)
    for part, cloze in zip(variant.parts, parts, strict=True):
        assert Fraction(cloze.weight, total_weight) == Fraction(str(part.points)) / Fraction(
            str(total_points)
        )


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


# --- GIFT ------------------------------------------------------------------------------------


@pytest.mark.skipif(
    gift_parser_problem() is not None, reason=f"gift-pegjs: {gift_parser_problem()}"
)
def test_gift_scoring_rules_match_the_keys(pools: list[Pool]) -> None:
    parsed = parse_gift(_export("gift", pools))
    assert isinstance(parsed, dict) and parsed["ok"], parsed
    by_title = {q["title"]: q for q in parsed["questions"] if q["type"] != "Category"}
    checked = 0
    for variant in _variants(pools):
        q = by_title[f"{variant.question_id} {variant.uid[:10]}"]
        key = variant.answer
        if isinstance(key, NumericKey):
            _check_numeric(key, lambda x, q=q: _gift_numeric(q, x))
        elif isinstance(key, ChoiceKey):
            _check_choice(key, _full_if_moodle_right(lambda opts, q=q: _gift_pick(q, opts)))
        elif isinstance(key, TrueFalseKey):
            assert q["type"] == "TF" and q["isTrue"] == key.answer
        elif isinstance(key, TextKey) and key.answers:
            _check_text(key, lambda x, q=q: _gift_short(q, x))
        else:
            continue
        checked += 1
    assert checked > 100


def _gift_weight(choice: dict[str, Any]) -> float:
    weight = choice["weight"]
    return float(weight) if weight is not None else (FULL if choice["isCorrect"] else 0.0)


def _gift_numeric(q: dict[str, Any], x: str) -> float:
    """Moodle's numerical rule (GIFT imports as a Moodle numerical question), on the numbers
    as gift-pegjs reads them (floats, as PHP reads them too)."""
    for choice in q["choices"]:
        value = choice["text"]
        margin = abs(float(value["range"])) + MOODLE_EPSILON
        if float(value["number"]) - margin <= float(x) <= float(value["number"]) + margin:
            return _gift_weight(choice)
    return 0.0


def _gift_pick(q: dict[str, Any], options: Any) -> float:
    wanted = {lms_html(o.text, inline=True) for o in options}
    total = sum(_gift_weight(c) for c in q["choices"] if c["text"]["text"] in wanted)
    return min(FULL, max(0.0, total))


def _gift_short(q: dict[str, Any], x: str) -> float:
    for choice in q["choices"]:
        if choice["text"]["text"].replace("\\*", "*").casefold() == x.casefold():
            return _gift_weight(choice)
    return 0.0


# --- QTI 2.1 ---------------------------------------------------------------------------------


class QtiItem:
    """Evaluates the response processing quizgen writes (a subset of QTI 2.1 operators)."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.decl = {d.get("identifier"): d for d in _find(root, "responseDeclaration")}

    def score(self, responses: dict[str, Any]) -> float:
        self.vars: dict[str, Any] = {"SCORE": 0.0, "FEEDBACK": None, **responses}
        for rule in _find(self.root, "responseProcessing")[0]:
            self._run(rule)
        return self.vars["SCORE"]

    def _run(self, rule: Any) -> None:
        if _local(rule) == "setOutcomeValue":
            self.vars[rule.get("identifier")] = self._eval(rule[0])
            return
        for branch in rule:  # responseIf / responseElseIf / responseElse
            body = list(branch)
            if _local(branch) == "responseElse" or self._eval(body[0]):
                for action in body if _local(branch) == "responseElse" else body[1:]:
                    self._run(action)
                return

    def _eval(self, e: Any) -> Any:
        tag, args = _local(e), list(e)
        if tag == "variable":
            return self.vars.get(e.get("identifier"))
        if tag == "correct":
            values = [v.text for v in _find(self.decl[e.get("identifier")], "value")]
            return set(values) if len(values) != 1 else values[0]
        if tag == "baseValue":
            return float(e.text) if e.get("baseType") == "float" else e.text
        if tag == "sum":
            return sum(self._eval(a) for a in args)
        if tag == "product":
            out = 1.0
            for a in args:
                out *= self._eval(a)
            return out
        if tag == "isNull":
            value = self._eval(args[0])
            return value is None or value == set() or value == ""
        if tag == "not":
            return not self._eval(args[0])
        if tag == "match":
            left, right = (self._eval(a) for a in args)
            return left is not None and (set(left) if isinstance(left, set) else left) == right
        if tag == "member":
            return self._eval(args[0]) in (self._eval(args[1]) or set())
        if tag == "equal":
            left, right = (self._eval(a) for a in args)
            if left is None:
                return False
            margin = (
                float(e.get("tolerance", "0 0").split()[0])
                if e.get("toleranceMode") == "absolute"
                else 0
            )
            return abs(float(left) - float(right)) <= margin + 1e-12 * abs(float(right))
        if tag == "stringMatch":
            left, right = (self._eval(a) for a in args)
            same = (
                left == right
                if e.get("caseSensitive") == "true"
                else str(left).casefold() == str(right).casefold()
            )
            return left is not None and same
        if tag == "mapResponse":
            return self._map(e.get("identifier"))
        if tag == "multiple":
            return {
                x
                for a in args
                for x in ([self._eval(a)] if not isinstance(self._eval(a), set) else self._eval(a))
                if x is not None
            }
        raise AssertionError(f"operator {tag} is not interpreted")

    def _map(self, rid: str) -> float:
        mapping = _find(self.decl[rid], "mapping")[0]
        given = self.vars.get(rid)
        values = given if isinstance(given, set) else {given}
        total = 0.0
        for value in values:
            hit = float(mapping.get("defaultValue", "0"))
            for entry in _find(mapping, "mapEntry"):
                key = entry.get("mapKey")
                same = (
                    value == key
                    if entry.get("caseSensitive") == "true"
                    else str(value).casefold() == key.casefold()
                )
                if same:
                    hit = float(entry.get("mappedValue"))
                    break
            total += hit
        if mapping.get("lowerBound") is not None:
            total = max(total, float(mapping.get("lowerBound")))
        if mapping.get("upperBound") is not None:
            total = min(total, float(mapping.get("upperBound")))
        return total


def test_qti21_scoring_rules_match_the_keys(pools: list[Pool]) -> None:
    files = package_from_zip(_export("qti21", pools))
    checked = 0
    for variant in _variants(pools):
        item = QtiItem(etree.fromstring(files[f"items/{ident('i', variant.uid)}.xml"]))
        points = variant.points
        for part_id, key, part_points in variant.gradable():
            rid = f"RESPONSE_{part_id}" if part_id else "RESPONSE"
            suffix = f"_{part_id}" if part_id else ""
            scale = FULL / part_points

            def only(value: Any, rid: str = rid, scale: float = scale, item=item) -> float:
                return item.score({rid: value}) * scale

            if isinstance(key, NumericKey):
                _check_numeric(key, lambda x, only=only: only(float(x)))
            elif isinstance(key, ChoiceKey):

                def pick(opts, only=only, key=key, suffix=suffix):
                    ids = {o.id + suffix for o in opts}
                    return only(ids if key.kind == "multi" else next(iter(ids), None))

                _check_choice(key, pick)
                if key.kind == "multi":
                    _same_as_quizgen(key, pick)
            elif isinstance(key, TrueFalseKey):
                assert only(("true" if key.answer else "false") + suffix) == pytest.approx(FULL)
                assert only(("false" if key.answer else "true") + suffix) < FULL - EPS
            elif isinstance(key, TextKey) and key.answers:
                _check_text(key, only)
            else:
                continue
            checked += 1
        assert points > 0
    assert checked > 100
