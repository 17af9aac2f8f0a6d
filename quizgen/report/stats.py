"""Statistics on plain numbers for the item analysis: no files, no quizgen objects.

The definitions follow Moodle's quiz statistics report and Canvas' item analysis (see
``docs/report.md`` for the formulas and how to read them):

* spreads are sample standard deviations (divisor ``n - 1``, as Moodle);
* discrimination is Pearson's correlation of an item's score with the *rest-of-test* score
  (the total minus that item), Moodle's discrimination index; for right/wrong items it is the
  point-biserial correlation;
* the upper and lower groups are Canvas' top and bottom 27 %, students tied at a boundary
  joining the higher group;
* Cronbach's alpha is Moodle's coefficient of internal consistency (KR-20 for right/wrong
  items), and the standard error of measurement is ``SD·√(1 − α)``.

Functions return ``None`` where a statistic is undefined (too few values, no spread).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ChiSquared",
    "chi_squared_sf",
    "cronbach_alpha",
    "fisher_exact_2x2",
    "group_mean",
    "histogram",
    "holm",
    "independence_test",
    "mean",
    "median",
    "pearson",
    "sample_sd",
    "sample_variance",
    "standard_error_of_measurement",
    "upper_lower_groups",
]

GROUP_SHARE = 0.27  # Kelley's 27 %, as Canvas


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, or None for no values."""
    return math.fsum(values) / len(values) if values else None


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count), or None."""
    if not values:
        return None
    ordered = sorted(values)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[half]
    return (ordered[half - 1] + ordered[half]) / 2


def sample_variance(values: Sequence[float]) -> float | None:
    """Variance with divisor ``n - 1``; None for fewer than two values."""
    n = len(values)
    if n < 2:
        return None
    centre = math.fsum(values) / n
    return math.fsum((v - centre) ** 2 for v in values) / (n - 1)


def sample_sd(values: Sequence[float]) -> float | None:
    """Standard deviation with divisor ``n - 1``; None for fewer than two values."""
    variance = sample_variance(values)
    return None if variance is None else math.sqrt(variance)


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation of paired values; None when either has no spread.

    With ``xs`` an item's scores and ``ys`` the rest-of-test scores this is the corrected
    item-total correlation (the point-biserial correlation for right/wrong items).
    """
    n = len(xs)
    if n != len(ys):
        raise ValueError("pearson: xs and ys differ in length")
    if n < 2:
        return None
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    scale = math.sqrt(sxx) * math.sqrt(syy)  # not sqrt(sxx·syy): that product may underflow
    if scale <= 0:
        return None
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return max(-1.0, min(1.0, sxy / scale))


def cronbach_alpha(items: Sequence[Sequence[float]]) -> float | None:
    """Cronbach's alpha of a complete table: ``items[i][s]`` is student s's score on item i.

    ``α = k/(k−1) · (1 − Σ var(item) / var(total))``. For items scored 0 or 1 this is KR-20.
    None for fewer than two items or students, or when the totals do not vary.
    """
    k = len(items)
    if k < 2:
        return None
    totals = [math.fsum(scores) for scores in zip(*items, strict=True)]
    total_variance = sample_variance(totals)
    if total_variance is None or total_variance <= 0:
        return None
    item_variance = math.fsum(sample_variance(scores) or 0.0 for scores in items)
    return k / (k - 1) * (1 - item_variance / total_variance)


def standard_error_of_measurement(sd: float | None, alpha: float | None) -> float | None:
    """``SD · √(1 − α)`` (Moodle's standard error); None when either is unknown."""
    if sd is None or alpha is None:
        return None
    return sd * math.sqrt(max(0.0, 1 - alpha))


def _round_half_up(x: float) -> int:
    return math.floor(x + 0.5)


def upper_lower_groups(scores: Sequence[float]) -> tuple[list[int], list[int]]:
    """Indices of the upper and lower 27 % of ``scores``, as Canvas forms them.

    Sorted from low to high, the upper group starts at position ``round(0.73·n)`` and the
    lower group ends before position ``round(0.27·n)``; a student tied with the one at a
    boundary moves into the higher group, so a group may hold more or fewer than 27 %.
    """
    n = len(scores)
    order = sorted(range(n), key=lambda i: scores[i])
    ranked = [scores[i] for i in order]

    def floor_at(share: float) -> int:
        floor = _round_half_up(share * n)
        if floor >= n:
            return n
        while floor > 0 and ranked[floor - 1] == ranked[floor]:
            floor -= 1
        return floor

    top = floor_at(1 - GROUP_SHARE)
    bottom = floor_at(GROUP_SHARE)
    return sorted(order[top:]), sorted(order[:bottom])


def group_mean(values: Sequence[float | None], members: Sequence[int]) -> float | None:
    """The mean of ``values`` over ``members`` (indices), skipping None; None if empty."""
    found = [v for v in (values[i] for i in members) if v is not None]
    return mean(found)


def histogram(values: Sequence[float], edges: Sequence[float]) -> list[int]:
    """Counts in the bins ``[edges[i], edges[i+1])``, the last bin closed on the right.

    Values outside the edges are not counted.
    """
    counts = [0] * (len(edges) - 1)
    for v in values:
        for i in range(len(counts)):
            last = i == len(counts) - 1
            if edges[i] <= v < edges[i + 1] or (last and v == edges[-1]):
                counts[i] += 1
                break
    return counts


# --- tests of independence --------------------------------------------------------------------


@dataclass(frozen=True)
class ChiSquared:
    """The outcome of a test of independence on a contingency table.

    ``test`` is ``"chi-squared"`` or ``"fisher"``; ``statistic`` and ``df`` are None for
    Fisher's exact test. ``approximate`` is True when a chi-squared test was used although
    expected counts are small (Cochran: some expected count below 1, or more than 20 % below
    5), so its p-value is not to be trusted.
    """

    test: str
    p: float
    statistic: float | None
    df: int | None
    min_expected: float
    approximate: bool


def chi_squared_sf(x: float, df: int) -> float:
    """P(X ≥ x) for a chi-squared variable with ``df`` degrees of freedom.

    The regularized upper incomplete gamma function ``Q(df/2, x/2)``, from mpmath (already
    installed with sympy), exact to double precision where scipy's would be.
    """
    if df < 1:
        raise ValueError("chi_squared_sf: df must be at least 1")
    if x <= 0:
        return 1.0
    import mpmath  # only the report needs it; keep it off the CLI's start-up path

    return float(mpmath.gammainc(df / 2, x / 2, mpmath.inf, regularized=True))


def fisher_exact_2x2(table: Sequence[Sequence[int]]) -> float:
    """Two-sided p-value of Fisher's exact test on a 2×2 table of counts.

    The sum of the hypergeometric probabilities of every table with the same margins that is
    no more likely than the observed one (as R's ``fisher.test``), computed in integers, so
    exactly.
    """
    (a, b), (c, d) = table
    row1, col1, n = a + b, a + c, a + b + c + d
    low, high = max(0, col1 - (n - row1)), min(row1, col1)

    def weight(x: int) -> int:  # C(n, col1) × P(top-left = x)
        return math.comb(row1, x) * math.comb(n - row1, col1 - x)

    observed = weight(a)
    extreme = sum(w for w in map(weight, range(low, high + 1)) if w <= observed)
    return min(1.0, extreme / math.comb(n, col1))


def _expected(table: Sequence[Sequence[int]]) -> list[list[float]]:
    rows = [sum(r) for r in table]
    cols = [sum(c) for c in zip(*table, strict=True)]
    n = sum(rows)
    return [[r * c / n for c in cols] for r in rows]


def independence_test(table: Sequence[Sequence[int]]) -> ChiSquared | None:
    """Test whether rows and columns of a table of counts are independent.

    Fisher's exact test for a 2×2 table with an expected count below 5, else Pearson's
    chi-squared test (no continuity correction). None when a row or column is all zero or
    the table is smaller than 2×2: there is nothing to test.
    """
    if len(table) < 2 or len(table[0]) < 2:
        return None
    if any(sum(r) == 0 for r in table) or any(sum(c) == 0 for c in zip(*table, strict=True)):
        return None
    expected = _expected(table)
    cells = [e for row in expected for e in row]
    smallest = min(cells)
    if len(table) == 2 and len(table[0]) == 2 and smallest < 5:
        return ChiSquared("fisher", fisher_exact_2x2(table), None, None, smallest, False)
    statistic = math.fsum(
        (o - e) ** 2 / e
        for obs_row, exp_row in zip(table, expected, strict=True)
        for o, e in zip(obs_row, exp_row, strict=True)
    )
    df = (len(table) - 1) * (len(table[0]) - 1)
    small = sum(e < 5 for e in cells)
    approximate = smallest < 1 or small > 0.2 * len(cells)
    return ChiSquared(
        "chi-squared", chi_squared_sf(statistic, df), statistic, df, smallest, approximate
    )


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the order given.

    ``p_(i)`` (the i-th smallest of m) becomes ``max over j ≤ i of min(1, (m − j + 1)·p_(j))``;
    comparing the adjusted values with 0.05 keeps the chance of any false flag in the whole
    report at 5 %.
    """
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted
