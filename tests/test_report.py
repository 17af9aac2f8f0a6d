"""`quizgen report`: item statistics checked against values computed by hand.

The oracles here are independent of quizgen.report: fractions worked out on paper, closed
forms of the chi-squared distribution, and Python's ``statistics`` module applied to a class
whose answers the test itself planned.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import statistics
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from conftest import needs_chromium
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.bank.model import load_bank
from quizgen.errors import UsageError
from quizgen.generate.exam import build_exam, numbered_students
from quizgen.generate.write import key_json
from quizgen.grade.pipeline import GradeReport, grade_exam
from quizgen.grade.submissions import Submission
from quizgen.grade.write import grading_json
from quizgen.report import analyse, analyse_run, build_report, load_run, stats
from quizgen.report.files import read_grading, read_key
from quizgen.report.html import report_html
from quizgen.report.items import ItemAnalysis
from quizgen.report.tables import items_csv
from quizgen.variant import ChoiceKey, Exam, NumericKey, Paper

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "tests" / "data" / "report-bank.yaml"
SCREENSHOTS = Path("/tmp/quizgen-browser")

# --- statistics on a table small enough to work out on paper -------------------------------------
#
#          item 1  item 2  item 3   total  rest of item 1  rest of item 3
#   s1       1       1       1        3          2              2
#   s2       1       1       0        2          1              2
#   s3       1       0       0        1          0              1
#   s4       0       1       0        1          1              1
#   s5       0       0       0        0          0              0
#
# p = 3/5, 3/5, 1/5, so Σpq = 6/25 + 6/25 + 4/25 = 16/25. Totals: mean 7/5, population variance
# 26/25. KR-20 = 3/2 · (1 − (16/25)/(26/25)) = 3/2 · 10/26 = 15/26.
# Item 1 against its rest score (mean 4/5, population variance 14/25): mean rest of those right
# 1, of those wrong 1/2; r = (1 − 1/2)/√(14/25) · √(6/25) = ½·√(3/7) = √(3/28).
# Item 3: right mean 2, wrong mean 1, rest variance 14/25, pq = 4/25: r = √(4/14) = √(2/7).
# Sample SD of the totals √(26/20) = √1.3; SEM = √1.3 · √(1 − 15/26) = √(13/10 · 11/26) = √(11/20).

PAPER = [[1, 1, 1, 0, 0], [1, 1, 0, 1, 0], [1, 0, 0, 0, 0]]  # items × students


def test_kr20_on_paper() -> None:
    assert stats.cronbach_alpha(PAPER) == pytest.approx(15 / 26, abs=1e-12)


def test_point_biserial_with_the_rest_score_on_paper() -> None:
    totals = [sum(column) for column in zip(*PAPER, strict=True)]
    rest1 = [t - x for t, x in zip(totals, PAPER[0], strict=True)]
    rest3 = [t - x for t, x in zip(totals, PAPER[2], strict=True)]
    assert stats.pearson(PAPER[0], rest1) == pytest.approx(math.sqrt(3 / 28), abs=1e-12)
    assert stats.pearson(PAPER[2], rest3) == pytest.approx(math.sqrt(2 / 7), abs=1e-12)


def test_standard_error_of_measurement_on_paper() -> None:
    totals = [sum(column) for column in zip(*PAPER, strict=True)]
    sd = stats.sample_sd(totals)
    assert sd == pytest.approx(math.sqrt(1.3), abs=1e-12)
    sem = stats.standard_error_of_measurement(sd, stats.cronbach_alpha(PAPER))
    assert sem == pytest.approx(math.sqrt(11 / 20), abs=1e-12)


def test_undefined_statistics_are_none() -> None:
    assert stats.pearson([1, 1, 1], [0, 1, 2]) is None  # an item nobody or everybody got
    assert stats.cronbach_alpha([[1, 0, 1]]) is None  # one item
    assert stats.cronbach_alpha([[1, 1], [1, 1]]) is None  # totals without spread
    assert stats.sample_sd([3.0]) is None
    assert stats.mean([]) is None and stats.median([]) is None


@pytest.mark.parametrize(
    ("values", "expected"), [([3, 1, 2], 2), ([4, 1, 3, 2], 2.5), ([5], 5), ([1, 1, 9, 9], 5)]
)
def test_median(values: list[float], expected: float) -> None:
    assert stats.median(values) == expected


def test_histogram_counts_the_top_edge_in_the_last_bin() -> None:
    assert stats.histogram([0, 9.99, 10, 55, 100, 100], [0, 10, 50, 100]) == [2, 1, 3]


@pytest.mark.parametrize(
    ("scores", "upper", "lower"),
    [
        # 10 distinct scores: round(2.7) = 3 in each group
        (list(range(10)), [7, 8, 9], [0, 1, 2]),
        # Canvas' tie rule: the students tied at a boundary join the higher group
        ([0, 1, 2, 5, 5, 5, 6, 6, 6, 9], [6, 7, 8, 9], [0, 1, 2]),
        # the four 5s straddle position 7: all join the upper group; the 2s leave the lower one
        ([0, 2, 2, 2, 5, 5, 5, 5, 6, 9], [4, 5, 6, 7, 8, 9], [0]),
        ([4, 4, 4, 4], [0, 1, 2, 3], []),
    ],
)
def test_upper_and_lower_27_percent(scores: list[float], upper: list[int], lower: list[int]):
    assert stats.upper_lower_groups(scores) == (upper, lower)


@pytest.mark.parametrize("x", [0.5, 1.0, 3.84, 10.0, 25.0])
def test_chi_squared_survival_matches_closed_forms(x: float) -> None:
    assert stats.chi_squared_sf(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-12)
    assert stats.chi_squared_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-12)
    assert stats.chi_squared_sf(x, 4) == pytest.approx(math.exp(-x / 2) * (1 + x / 2), rel=1e-12)


def test_fisher_exact_tea_tasting() -> None:
    # Fisher's lady tasting tea: P(a) for a = 0..4 is 1, 16, 36, 16, 1 (/70); observed a = 3,
    # so the two-sided p sums the tables no more likely than 16/70: (1 + 16 + 16 + 1)/70.
    assert stats.fisher_exact_2x2([[3, 1], [1, 3]]) == pytest.approx(34 / 70, abs=1e-15)
    assert stats.fisher_exact_2x2([[4, 0], [0, 4]]) == pytest.approx(2 / 70, abs=1e-15)


def test_independence_test_chooses_and_computes() -> None:
    # 40 right and 40 wrong split 30/10 against 10/30: each expected count is 20, and
    # X² = 4 · 10²/20 = 20 with one degree of freedom.
    found = stats.independence_test([[30, 10], [10, 30]])
    assert (found.test, found.df, found.approximate) == ("chi-squared", 1, False)
    assert found.statistic == pytest.approx(20.0, abs=1e-12)
    assert found.p == pytest.approx(math.erfc(math.sqrt(10)), rel=1e-12)
    small = stats.independence_test([[3, 1], [1, 3]])
    assert small.test == "fisher" and small.p == pytest.approx(34 / 70)
    assert stats.independence_test([[5, 5], [0, 0]]) is None  # nobody wrong: nothing to test
    sparse = stats.independence_test([[1, 2, 3], [2, 1, 0]])
    assert sparse.test == "chi-squared" and sparse.approximate


def test_holm_on_paper() -> None:
    # sorted: 0.01·3 = 0.03; 0.03·2 = 0.06; 0.04·1 = 0.04 → kept monotone at 0.06
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([]) == []


finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.tuples(finite, finite), min_size=2, max_size=30))
def test_pearson_is_symmetric_and_bounded(pairs: list[tuple[float, float]]) -> None:
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    r = stats.pearson(xs, ys)
    assert r == stats.pearson(ys, xs)
    assert r is None or -1 <= r <= 1


@settings(derandomize=True, max_examples=100)
@given(
    st.lists(st.integers(0, 1), min_size=3, max_size=20).filter(lambda c: len(set(c)) > 1),
    st.integers(2, 6),
)
def test_alpha_of_identical_items_is_one(column: list[int], k: int) -> None:
    assert stats.cronbach_alpha([column] * k) == pytest.approx(1.0)


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=15))
def test_holm_never_lowers_a_p_value_and_keeps_the_order(ps: list[float]) -> None:
    adjusted = stats.holm(ps)
    assert all(a >= p - 1e-15 and a <= 1 for a, p in zip(adjusted, ps, strict=True))
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    assert [adjusted[i] for i in order] == sorted(adjusted[i] for i in order)


@settings(derandomize=True, max_examples=200)
@given(st.integers(0, 12), st.integers(0, 12), st.integers(0, 12), st.integers(0, 12))
def test_fisher_p_is_a_probability_and_symmetric(a: int, b: int, c: int, d: int) -> None:
    if a + b + c + d == 0:
        return
    p = stats.fisher_exact_2x2([[a, b], [c, d]])
    assert 0 < p <= 1
    assert p == pytest.approx(stats.fisher_exact_2x2([[b, a], [d, c]]))  # columns swapped


# --- a class with known statistics ---------------------------------------------------------------
#
# 41 students; s041 submits nothing. The other 40 are ranked k = 0 (best) … 39. Points: warm-a
# and warm-b 4 each, every other item 1. Right answers:
#   warm-a k < 11, warm-b k < 29, warm-c k < 35      (so the top 11 and the bottom 11 are
#                                                      separated by at least 2 points whatever
#                                                      the rest: the 27 % groups are exact)
#   top-half       k < 20 only                        facility ½, upper–lower index 1
#   never          nobody (k ≥ 38 leave it blank)     facility 0
#   rnn-count      h = 32: k < 36;  h = 256: k < 4    the h = 256 variant is much harder;
#                  wrong with h = 256: even k give the first mistake, odd k a plain wrong number;
#                  wrong with h = 32: the second mistake
#   variant-choice k < 28 pick LSTM, k ≥ 28 pick "Hopfield network" (the lower group's
#                  distractor); nobody picks the other two options

STUDENTS = 40
SEED = "r3"  # draws h = 32 for 22 students and h = 256 for 18: every expected count ≥ 5
POINTS = {"warm-a": 4, "warm-b": 4}
ITEMS = ["warm-a", "warm-b", "warm-c", "top-half", "never", "rnn-count", "variant-choice"]
UPPER = set(range(11))
LOWER = set(range(29, 40))


def _label(key: ChoiceKey, text: str) -> str:
    return next(o.label for o in key.options if o.text == text)


def _h(paper: Paper) -> int:
    return int(next(v for v in paper.variants if v.question_id == "rnn-count").values["h"])


def _plan(k: int, paper: Paper) -> tuple[dict[str, Any], dict[str, int]]:
    """(answers, whether each item is meant to be right) for student k."""
    keys = {v.question_id: v.answer for v in paper.variants}
    right = {
        "warm-a": k < 11,
        "warm-b": k < 29,
        "warm-c": k < 35,
        "top-half": k < 20,
        "never": False,
        "rnn-count": k < (36 if _h(paper) == 32 else 4),
        "variant-choice": k < 28,
    }
    answers: dict[str, Any] = {}
    for item in ITEMS[:6]:
        key = keys[item]
        assert isinstance(key, NumericKey)
        answers[item] = key.display if right[item] else "1"
    if k >= 38:
        answers["never"] = None
    rnn = keys["rnn-count"]
    if not right["rnn-count"] and _h(paper) == 256 and k % 2 == 0:
        answers["rnn-count"] = rnn.mistakes[0].display
    elif not right["rnn-count"] and _h(paper) == 32:
        answers["rnn-count"] = rnn.mistakes[1].display
    choice = keys["variant-choice"]
    answers["variant-choice"] = _label(choice, "LSTM" if k < 28 else "Hopfield network")
    return answers, {item: int(ok) for item, ok in right.items()}


@pytest.fixture(scope="module")
def known_class() -> tuple[Exam, GradeReport, list[dict[str, int]]]:
    exam = build_exam([load_bank(BANK)], numbered_students(STUDENTS + 1), SEED)
    subs, plan = [], []
    for k, paper in enumerate(exam.papers[:STUDENTS]):
        answers, right = _plan(k, paper)
        subs.append(Submission(student_id=paper.student_id, answers=answers))
        plan.append(right)
    return exam, grade_exam(exam, subs), plan


@pytest.fixture(scope="module")
def analysis(known_class: tuple[Exam, GradeReport, list[dict[str, int]]]) -> ItemAnalysis:
    exam, report, _ = known_class
    return analyse(report, exam)


def _earned(plan: list[dict[str, int]], item: str) -> list[int]:
    return [row[item] * POINTS.get(item, 1) for row in plan]


def _totals(plan: list[dict[str, int]]) -> list[int]:
    return [sum(row[i] * POINTS.get(i, 1) for i in ITEMS) for row in plan]


def _by_hand(plan: list[dict[str, int]], item: str) -> dict[str, float | None]:
    """Facility, SD, rest-of-test correlation and upper–lower index from the planned table."""
    right = [row[item] for row in plan]
    earned = _earned(plan, item)
    rest = [t - x for t, x in zip(_totals(plan), earned, strict=True)]
    try:
        r: float | None = statistics.correlation(earned, rest)
    except statistics.StatisticsError:  # no spread
        r = None
    upper = Fraction(sum(right[k] for k in UPPER), len(UPPER))
    lower = Fraction(sum(right[k] for k in LOWER), len(LOWER))
    return {
        "facility": float(Fraction(sum(right), len(right))),
        "sd": statistics.stdev(right),
        "discrimination": r,
        "upper_lower": float(upper - lower),
    }


def test_the_grader_graded_the_plan(known_class) -> None:
    _, report, plan = known_class
    graded = [s for s in report.students if s.status == "graded"]
    assert len(graded) == STUDENTS
    for row, student in zip(plan, graded, strict=True):
        assert {i.question_id: int(i.score) for i in student.items} == row


def test_class_statistics_by_hand(analysis, known_class) -> None:
    _, _, plan = known_class
    totals = _totals(plan)
    columns = [_earned(plan, item) for item in ITEMS]
    variance = Fraction(statistics.variance(totals))
    alpha = 7 / 6 * (1 - sum(Fraction(statistics.variance(c)) for c in columns) / variance)
    klass = analysis.klass
    assert (klass.students, klass.missing, klass.max_points) == (40, 1, 13)
    assert (klass.upper, klass.lower) == (11, 11)
    assert klass.mean == pytest.approx(statistics.fmean(totals), abs=5e-5)
    assert klass.median == pytest.approx(statistics.median(totals), abs=5e-5)
    assert klass.sd == pytest.approx(statistics.stdev(totals), abs=5e-5)
    assert klass.mean_percent == pytest.approx(100 * statistics.fmean(totals) / 13, abs=5e-5)
    assert klass.alpha == pytest.approx(float(alpha), abs=5e-5)
    sem = statistics.stdev(totals) * math.sqrt(1 - float(alpha))
    assert klass.sem == pytest.approx(sem, abs=5e-5)
    assert not klass.dichotomous  # warm-a and warm-b weigh 4 points: alpha, not KR-20
    assert sum(b.count for b in klass.histogram) == 40


@pytest.mark.parametrize("item", ITEMS)
def test_item_statistics_by_hand(analysis, known_class, item: str) -> None:
    _, _, plan = known_class
    hand = _by_hand(plan, item)
    found = next(i for i in analysis.items if i.item == item)
    assert found.students == 40
    for name, value in hand.items():
        got = getattr(found, name)
        assert (got is None) == (value is None), name
        if value is not None:
            assert got == pytest.approx(value, abs=5e-5), name


def test_the_known_items(analysis) -> None:
    items = {i.item: i for i in analysis.items}
    top, never = items["top-half"], items["never"]
    assert (top.facility, top.upper_lower, top.flags) == (0.5, 1.0, ())
    assert (never.facility, never.discrimination, never.upper_lower) == (0, None, 0)
    assert never.flags == ("too hard",) and never.blank == 2


def test_the_harder_variant_is_flagged(analysis, known_class) -> None:
    exam, _, plan = known_class
    hs = [_h(p) for p in exam.papers[:STUDENTS]]
    n = {h: hs.count(h) for h in (32, 256)}
    right = {h: sum(row["rnn-count"] for row, x in zip(plan, hs, strict=True) if x == h) for h in n}
    # 2×2 table a b / c d (right/wrong by h); X² = N(ad − bc)² / (row and column totals)
    a, b = right[32], n[32] - right[32]
    c, d = right[256], n[256] - right[256]
    x2 = 40 * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    split = next(p for p in analysis.params if p.item == "rnn-count" and p.names == ("h",))
    assert [lv.value for lv in split.levels] == ["32", "256"]
    assert [lv.facility for lv in split.levels] == pytest.approx([a / n[32], c / n[256]], abs=5e-5)
    assert split.test == "chi-squared" and split.df == 1
    assert split.statistic == pytest.approx(x2, abs=5e-5)
    assert split.p == pytest.approx(math.erfc(math.sqrt(x2 / 2)), rel=1e-9)
    # tests run: parameter a of warm-a, warm-b, warm-c, top-half (never: nobody right, no
    # test), and h, x and weights of rnn-count = 7; the h split has the smallest p
    assert sum(p.p is not None for p in analysis.params) == 7
    assert split.p_holm == pytest.approx(7 * split.p, rel=1e-9)
    assert split.significant
    assert [p for p in analysis.params if p.significant] == [split]


def test_the_lower_groups_distractor(analysis) -> None:
    options = {o.text: o for o in analysis.options if o.item == "variant-choice"}
    lstm, hopfield = options["LSTM"], options["Hopfield network"]
    assert (lstm.correct, lstm.picked, lstm.shown) == (True, 28, 40)
    assert (lstm.share, lstm.upper_share, lstm.lower_share) == (0.7, 1.0, 0.0)
    assert (hopfield.picked, hopfield.share, hopfield.upper_share, hopfield.lower_share) == (
        12,
        0.3,
        0.0,
        1.0,
    )
    assert hopfield.flags == ()
    for text in ("Echo state network", "Bidirectional RNN"):
        assert (options[text].picked, options[text].flags) == (0, ("never chosen",))


def test_mistakes_are_counted(analysis, known_class) -> None:
    exam, _, plan = known_class
    hs = [_h(p) for p in exam.papers[:STUDENTS]]
    first = {k for k in range(STUDENTS) if hs[k] == 256 and k >= 4 and k % 2 == 0}
    second = {k for k in range(STUDENTS) if hs[k] == 32 and k >= 36}
    wrong = sum(1 - row["rnn-count"] for row in plan)
    rows = [m for m in analysis.mistakes if m.item == "rnn-count"]
    assert [(m.entry, m.hits) for m in rows] == [(1, len(first)), (2, len(second))]
    one = rows[0]
    assert one.feedback == "Count the bias vector too." and one.answer_varies
    assert one.share == pytest.approx(len(first) / 40)
    assert one.share_of_wrong == pytest.approx(len(first) / wrong)
    assert one.upper_share == pytest.approx(len(first & UPPER) / 11)
    assert one.lower_share == pytest.approx(len(first & LOWER) / 11)


def test_a_class_without_submissions_still_gets_a_report() -> None:
    exam = build_exam([load_bank(BANK)], numbered_students(3), SEED)
    empty = analyse(grade_exam(exam, []), exam)
    assert (empty.klass.students, empty.klass.missing, empty.items) == (0, 3, ())
    assert empty.notes == ("3 student(s) without a submission are left out.",)
    page = report_html(empty)
    assert "No choice or multi questions." in page and "None" not in page
    assert items_csv(empty).count("\n") == 1  # the header only


# --- files and the command line ------------------------------------------------------------------


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def run_dirs(known_class, tmp_path_factory) -> tuple[Path, Path]:
    """(grades folder, key.json) as `quizgen grade` and `quizgen generate` write them."""
    exam, report, _ = known_class
    root = tmp_path_factory.mktemp("run")
    grades = root / "grades"
    grades.mkdir()
    (grades / "grading.json").write_text(grading_json(report), encoding="utf-8")
    (root / "key.json").write_text(key_json(exam), encoding="utf-8")
    return grades, root / "key.json"


def test_csv_files_carry_the_figures_to_4_decimals(run_dirs, known_class) -> None:
    grades, key = run_dirs
    _, written = build_report(grades, key, grades / "report.html")
    assert sorted(p.name for p in written) == [
        "items.csv",
        "mistakes.csv",
        "options.csv",
        "params.csv",
        "report.html",
    ]
    _, _, plan = known_class
    items = {r["item"]: r for r in _rows((grades / "items.csv").read_text(encoding="utf-8"))}
    assert list(items) == ITEMS
    for item in ITEMS:
        for name, value in _by_hand(plan, item).items():
            column = "upper_lower" if name == "upper_lower" else name
            shown = items[item][column]
            assert shown == ("" if value is None else f"{value:.4f}"), (item, name)
    assert items["never"]["flags"] == "too hard"
    options = _rows((grades / "options.csv").read_text(encoding="utf-8"))
    hopfield = next(r for r in options if r["option"] == "Hopfield network")
    assert (hopfield["share"], hopfield["upper_share"], hopfield["lower_share"]) == (
        "0.3000",
        "0.0000",
        "1.0000",
    )
    params = _rows((grades / "params.csv").read_text(encoding="utf-8"))
    h_rows = [r for r in params if r["item"] == "rnn-count" and r["parameter"] == "h"]
    assert [r["value"] for r in h_rows] == ["32", "256"]
    assert {r["significant"] for r in h_rows} == {"yes"}
    mistakes = _rows((grades / "mistakes.csv").read_text(encoding="utf-8"))
    assert [(r["item"], r["entry"]) for r in mistakes] == [("rnn-count", "1"), ("rnn-count", "2")]


def test_report_is_reproducible(run_dirs, tmp_path) -> None:
    grades, key = run_dirs
    one, two = tmp_path / "one" / "r.html", tmp_path / "two" / "r.html"
    build_report(grades, key, one)
    build_report(grades, key, two)
    for name in ("r.html", "items.csv", "options.csv", "mistakes.csv", "params.csv"):
        assert (one.parent / name).read_bytes() == (two.parent / name).read_bytes(), name


def test_html_shows_the_figures_and_flags(run_dirs) -> None:
    grades, key = run_dirs
    build_report(grades, key, grades / "report.html")
    page = (grades / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "variants differ" in page and "never chosen" in page and "too hard" in page
    assert page.count("<svg") >= 3  # histogram, item map, the flagged split
    row = page.split('id="item-top-half"')[1].split("</tr>")[0]
    assert ">0.50<" in row and ">1.00<" in row


def test_templates_override_the_report_by_name(run_dirs, tmp_path) -> None:
    grades, key = run_dirs
    (tmp_path / "mine" / "report").mkdir(parents=True)
    (tmp_path / "mine" / "report" / "report.css").write_text("body { color: teal; }")
    build_report(grades, key, tmp_path / "r.html", templates=tmp_path / "mine")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "body { color: teal; }" in page and "--accent" not in page
    with pytest.raises(UsageError, match="template folder not found"):
        build_report(grades, key, tmp_path / "r.html", templates=tmp_path / "nowhere")


def _quizgen(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the installed console script against this checkout."""
    script = Path(sys.executable).with_name("quizgen")
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [str(script), *map(str, args)], capture_output=True, text=True, env=env, timeout=120
    )


def test_cli_writes_the_report(run_dirs, tmp_path) -> None:
    grades, key = run_dirs
    out = tmp_path / "out" / "analysis.html"
    result = _quizgen("report", grades, "--key", key, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "40 student(s), 7 item(s)" in result.stdout.replace("\n", " ")
    assert out.is_file() and (out.parent / "params.csv").is_file()


def _broken(tmp_path: Path, grading: str | None) -> Path:
    folder = tmp_path / "grades"
    folder.mkdir()
    if grading is not None:
        (folder / "grading.json").write_text(grading, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("grading", "message"),
    [
        (None, "no grading.json in"),
        ('{"format": "quizgen-grades/1", ', "not valid JSON"),
        ('{"format": "quizgen-grades/9"}', "not a quizgen grading file (format 'quizgen-grades/9'"),
        ('{"students": []}', "not a quizgen grading file (no quizgen format field"),
        ('{"format": "quizgen-grades/1", "students": 3}', "not a quizgen grading file"),
    ],
)
def test_cli_bad_grading_file_exits_2(tmp_path, run_dirs, grading, message) -> None:
    _, key = run_dirs
    result = _quizgen("report", _broken(tmp_path, grading), "--key", key)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_missing_folder_key_and_wrong_key_exit_2(tmp_path, run_dirs, known_class) -> None:
    grades, key = run_dirs
    missing = _quizgen("report", tmp_path / "nowhere", "--key", key)
    assert missing.returncode == 2 and "grades folder not found" in missing.stderr
    no_key = _quizgen("report", grades)
    assert no_key.returncode == 2 and "--key" in no_key.stderr
    no_file = _quizgen("report", grades, "--key", tmp_path / "key.json")
    assert no_file.returncode == 2 and "cannot read key" in no_file.stderr
    exam, _, _ = known_class
    other = build_exam([load_bank(BANK)], numbered_students(3), "another seed")
    (tmp_path / "other.json").write_text(key_json(other), encoding="utf-8")
    wrong = _quizgen("report", grades, "--key", tmp_path / "other.json")
    assert wrong.returncode == 2 and "the grades in" in wrong.stderr
    assert exam.seed != other.seed
    folder_out = _quizgen("report", grades, "--key", key, "--out", tmp_path)
    assert folder_out.returncode == 2 and "is a folder" in folder_out.stderr
    for result in (missing, no_key, no_file, wrong, folder_out):
        assert "Traceback" not in result.stderr


def test_the_fast_reader_gives_the_same_analysis_as_the_models(run_dirs, analysis) -> None:
    # `quizgen report` reads only what it needs of the JSON files, without pydantic; the
    # result must be exactly what the validated GradeReport and Exam give
    grades, key = run_dirs
    assert analyse_run(*load_run(grades, key)) == analysis


def _edited(path: Path, tmp_path: Path, edit) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    target = tmp_path / path.name
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def _first_choice(data: dict) -> dict:
    variants = data["papers"][0]["variants"]
    return next(v for v in variants if v["kind"] == "choice")["answer"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(format="quizgen-exam/7"), "format: 'quizgen-exam/7', expected"),
        (lambda d: d.pop("seed"), "seed: Field required"),
        (lambda d: d["papers"][0]["variants"][0].pop("uid"), "papers[0].variants[0].uid: missing"),
        (
            lambda d: d["papers"][1]["variants"][0]["values"].update(a=3),
            "papers[1].variants[0].values: expected text values",
        ),
        (
            lambda d: _first_choice(d)["options"][1].update(correct="yes"),
            "variants[6].answer.options[1]: expected an option",
        ),
        (
            lambda d: d["papers"][0]["variants"][5]["answer"]["mistakes"][0].pop("feedback"),
            "variants[5].answer.mistakes[0].feedback: missing",
        ),
        (lambda d: d.update(papers={}), "papers: expected a list"),
    ],
)
def test_a_broken_key_is_named_where_it_breaks(run_dirs, tmp_path, edit, message) -> None:
    _, key = run_dirs
    with pytest.raises(UsageError) as caught:
        read_key(_edited(key, tmp_path, edit))
    assert "not a quizgen key" in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["students"][2]["items"][1].update(score="1"), "items[1].score: expected a"),
        (lambda d: d["students"][0]["items"][3].update(status="great"), "unknown status 'great'"),
        (lambda d: d["students"][0]["items"][0].update(mistake=True), "mistake: expected a"),
        (lambda d: d["students"][4].pop("items"), "students[4].items: missing"),
        (lambda d: d.pop("exam"), "exam: missing"),
    ],
)
def test_a_broken_grading_file_is_named_where_it_breaks(run_dirs, tmp_path, edit, message):
    grades, _ = run_dirs
    folder = tmp_path / "grades"
    folder.mkdir()
    _edited(grades / "grading.json", folder, edit)
    with pytest.raises(UsageError) as caught:
        read_grading(folder)
    assert "not a quizgen grading file" in str(caught.value) and message in str(caught.value)


def test_a_grading_file_from_before_the_mistake_field_still_reads(run_dirs, tmp_path) -> None:
    grades, _ = run_dirs
    folder = tmp_path / "grades"
    folder.mkdir()
    _edited(
        grades / "grading.json",
        folder,
        lambda d: [i.pop("mistake") for s in d["students"] for i in s["items"]],
    )
    assert all(i.mistake is None for s in read_grading(folder).students for i in s.items)


def test_cli_broken_key_exits_2(run_dirs, tmp_path) -> None:
    grades, key = run_dirs
    broken = _edited(key, tmp_path, lambda d: d["papers"][0]["variants"][0].pop("uid"))
    result = _quizgen("report", grades, "--key", broken)
    assert result.returncode == 2
    assert "papers[0].variants[0].uid: missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_never_imports_the_cli_or_the_generator() -> None:
    script = "import quizgen.report, sys; print('\\n'.join(sys.modules))"
    found = set(
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert not {"quizgen.cli", "typer", "rich", "quizgen.generate", "quizgen.export"} & found


# --- in a browser --------------------------------------------------------------------------------


@needs_chromium
def test_report_opens_in_chromium_without_errors(run_dirs, browser) -> None:
    grades, key = run_dirs
    build_report(grades, key, grades / "report.html")
    url = (grades / "report.html").as_uri()
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    problems, requests = [], []
    page.on("console", lambda m: problems.append(m) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(e))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_load_state("load")
    assert problems == []
    assert requests == [url]  # self-contained: nothing else is fetched
    widths = page.eval_on_selector_all(
        "svg.chart", "e => e.map(s => s.getBoundingClientRect().width)"
    )
    assert len(widths) >= 3 and all(w > 100 for w in widths)
    # the report fits the window: no table pushes the page sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        "[...document.querySelectorAll('.scroll')].every(d => d.scrollWidth <= d.clientWidth)"
    ), "a table is wider than the page at 1200 px"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)


def test_grading_json_round_trip_keeps_mistakes(run_dirs) -> None:
    grades, _ = run_dirs
    data = json.loads((grades / "grading.json").read_text(encoding="utf-8"))
    hits = [i["mistake"] for s in data["students"] for i in s["items"] if i["mistake"] is not None]
    assert set(hits) == {0, 1}


def test_a_v2_key_gives_the_same_report_as_its_v1_twin(run_dirs, known_class, tmp_path) -> None:
    """Issue 14: `generate` writes quizgen-exam/2; the report reads it as it read v1."""
    from quizgen.keyfile import KeyWriter

    grades, v1 = run_dirs
    exam, _, _ = known_class
    v2 = tmp_path / "key.json"
    writer = KeyWriter(v2, exam.model_copy(update={"papers": []}))
    for paper in exam.papers:
        writer.add(paper)
    writer.close(exam.fingerprint)
    outputs = []
    for key, name in ((v1, "one"), (v2, "two")):
        _, written = build_report(grades, key, tmp_path / name / "report.html")
        outputs.append({p.name: p.read_bytes() for p in written})
    assert outputs[0] == outputs[1] and len(outputs[0]) == 5
